"""A CRM owner map may name only reps routing's roster has: sla-monitor learns them from
rep.changed (consumed as its consumer would), and a subscription naming another is refused with
each unknown rep named — whether never announced or removed since."""

from __future__ import annotations

from uuid import uuid4

import pytest
from delivery_events import NOW, announce, rep_changed

from leadkit.db import Pool
from sla_monitor.delivery.sending import Sending
from sla_monitor.delivery.subscribing import NewSubscription, UnknownReps, create_subscription

HUBSPOT = "http://127.0.0.1:9"  # a stand-in's address: nothing is sent here


def hubspot_mapping(owner_map: dict[str, str]) -> NewSubscription:
    return NewSubscription(
        "hubspot", HUBSPOT, ["lead.qualified"], {}, "HubSpot", {"token": "pat-na1-test"}, owner_map
    )


async def create(pool: Pool, sender: Sending, owner_map: dict[str, str]) -> None:
    async with pool.acquire() as conn:
        await create_subscription(conn, sender, hubspot_mapping(owner_map), NOW)


async def test_an_owner_map_naming_reps_never_announced_is_refused_naming_each(
    pool: Pool, sender: Sending
) -> None:
    known, ghost, other_ghost = (f"rep-{uuid4().hex[:8]}" for _ in range(3))
    await announce(pool, rep_changed(known))
    with pytest.raises(UnknownReps) as refused:
        await create(pool, sender, {known: "501", ghost: "502", other_ghost: "503"})
    assert refused.value.rep_ids == sorted([ghost, other_ghost])
    assert [loc for loc, _ in refused.value.problems()] == [
        ("owner_map", r) for r in sorted([ghost, other_ghost])
    ]


async def test_a_rep_removed_from_the_roster_is_refused_until_put_back(pool: Pool, sender: Sending) -> None:
    rep = f"rep-{uuid4().hex[:8]}"
    await announce(pool, rep_changed(rep), rep_changed(rep, deleted=True))  # the last of a batch wins
    with pytest.raises(UnknownReps):
        await create(pool, sender, {rep: "501"})
    await announce(pool, rep_changed(rep, team="na"))
    await create(pool, sender, {rep: "501"})


async def test_a_rep_switched_off_may_still_be_mapped(pool: Pool, sender: Sending) -> None:
    """Unavailable today is still on the roster: its leads keep their owner in the CRM."""
    rep = f"rep-{uuid4().hex[:8]}"
    await announce(pool, rep_changed(rep, active=False))
    await create(pool, sender, {rep: "501"})

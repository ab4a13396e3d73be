"""Deliveries' event handlers, set-based: what a lead's card says (lead.captured, lead.scored),
a delivery row for every subscription that wants an event (in the transaction that consumes it,
so an event is never lost between Kafka and a subscriber), erasure (lead.erased), and the reps
a CRM owner map may name (rep.changed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from lead_schemas import Envelope, LeadCaptured, LeadErased, LeadQualified, LeadScored, RepChanged
from leadkit.consumer import HandlerContext
from leadkit.erasure import erased_among
from sla_monitor.db.leads import lead_facts
from sla_monitor.delivery.db import cards, crm_records, deliveries, reps, subscriptions
from sla_monitor.delivery.domain import payloads
from sla_monitor.delivery.domain.payloads import payload
from sla_monitor.delivery.domain.subscriptions import EVENT_TYPES, Facts

# what a card keeps of a touch: what a payload shows of one, and its id
CARD_TOUCH_FIELDS = {"id", *payloads.TOUCH_FIELDS}


async def remember_captures(events: Sequence[LeadCaptured], ctx: HandlerContext) -> None:
    """The person and touches a delivery tells a CRM; none of a person already erased."""
    erased = await erased_among(ctx.connection, {event.lead_id for event in events})
    latest: dict[UUID, LeadCaptured] = {e.lead_id: e for e in events if e.lead_id not in erased}
    rows = []
    for lead_id in sorted(latest):
        data = latest[lead_id].data
        person = data.person.model_dump(mode="json", exclude={"attributes"})
        touch = data.touch.model_dump(mode="json", include=CARD_TOUCH_FIELDS)
        first = (
            data.first_touch.model_dump(mode="json", include=CARD_TOUCH_FIELDS) if data.first_touch else None
        )
        rows.append((lead_id, person, first, touch))
    await cards.record_captures(ctx.connection, rows, ctx.now)


async def remember_scores(events: Sequence[LeadScored], ctx: HandlerContext) -> None:
    latest = {event.lead_id: event for event in events}
    rows = [
        (
            lead_id,
            event.data.score,
            event.data.grade,
            [
                hit.model_dump(mode="json", include={"rule_id", "description", "points"})
                for hit in event.data.reasons
            ],
        )
        for lead_id in sorted(latest)
        for event in (latest[lead_id],)
    ]
    await cards.record_scores(ctx.connection, rows, ctx.now)


async def enqueue_deliveries(events: Sequence[Envelope], ctx: HandlerContext) -> None:
    """A delivery for each (event, subscription that wants it), paused subscriptions included:
    their events wait for the resume. An erased person's events are never queued."""
    wanted = [event for event in events if event.type in EVENT_TYPES]
    if not wanted:
        return
    conn = ctx.connection
    found = await subscriptions.wanting(conn, sorted({event.type for event in wanted}))
    if not found:
        return
    lead_ids = {event.lead_id for event in wanted}
    erased = await erased_among(conn, lead_ids)
    known = await lead_facts(conn, lead_ids)
    lead_cards = await cards.cards_of(conn, lead_ids)
    rows: list[deliveries.NewDelivery] = []
    for event in wanted:
        if event.lead_id in erased:
            continue
        facts = _facts(event, known.get(event.lead_id, {}))
        targets = [s.subscription.id for s in found if s.subscription.wants(event.type, facts)]
        if not targets:
            continue
        body = payload(event, lead_cards.get(event.lead_id))
        rows.extend(
            deliveries.NewDelivery(sub, event.lead_id, event.id, event.type, event.occurred_at, body)
            for sub in targets
        )
    await deliveries.enqueue(conn, rows, ctx.now)


async def forget_erased(events: Sequence[LeadErased], ctx: HandlerContext) -> None:
    """An erased person's card goes; their queued deliveries are never sent and what was sent is
    not kept."""
    lead_ids = sorted({event.lead_id for event in events})
    await cards.forget_cards(ctx.connection, lead_ids)
    await deliveries.forget_people(ctx.connection, lead_ids)
    await crm_records.forget_records(ctx.connection, lead_ids)


async def remember_reps(events: Sequence[RepChanged], ctx: HandlerContext) -> None:
    """Each rep's state as routing last announced it (a rep's events come in order: one key)."""
    latest = {event.data.rep_id: event for event in events}
    await reps.record_reps(
        ctx.connection,
        [
            reps.RepState(rep_id, e.data.team, e.data.active, e.data.deleted, e.occurred_at)
            for rep_id, e in latest.items()
        ],
    )


def _facts(event: Envelope, known: Mapping[str, str | None]) -> Facts:
    """What filters test: the event's own word where it has one (a qualification names the new
    owner and team), else what sla-monitor last knew of the lead."""
    facts = dict(known)
    if isinstance(event, LeadQualified):
        data = event.data
        facts |= {"owner": data.owner, "team": data.team, "grade": data.grade, "source": data.source}
        facts["region"] = data.region
    elif isinstance(event, LeadScored):
        facts["grade"] = event.data.grade
    return facts

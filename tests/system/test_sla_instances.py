"""Two sla-monitor instances share the timers in PostgreSQL; one is killed mid-run (SIGKILL, its
open transactions roll back) and the other fires everything that is left — each due timer once."""

from __future__ import annotations

import json
from collections import Counter
from uuid import uuid4

import httpx

from leadkit.testing import eventually, group_members
from tests.system.fixtures import QUALIFYING, System, metric_total

LEADS = 40


async def test_two_instances_share_the_timers_and_one_dies_mid_run(
    system: System, client: httpx.AsyncClient
) -> None:
    run = uuid4().hex[:6]
    breached = await system.tail("lead.sla_breached")
    recycled = await system.tail("lead.recycled")
    await system.start_instance("sla-monitor-2", service="sla-monitor", port=18014)
    first = system.url("sla-monitor", "")
    try:
        leads = [{**QUALIFYING, "email": f"{uuid4().hex[:10]}@timers-{run}.example"} for _ in range(LEADS)]
        posted = await client.post(
            system.url("capture", "/v1/leads/batch"), json={"leads": leads}, headers=system.headers
        )
        assert posted.status_code == 200, posted.text
        ours = {result["lead_id"] for result in posted.json()["results"]}

        # nobody accepts: every lead's 4 s accept clock breaches, is reassigned, breaches again and
        # is recycled. Once the first breaches are out, the second instance dies.
        async def breaches_began() -> None:
            await breached.poll_new()
            assert {json.loads(m.value)["lead_id"] for m in breached.messages} & ours, "no breach yet"

        await eventually(breaches_began, within=90, interval=0.2)
        before = await metric_total(client, first, "leadloop_sla_timers_fired_total", outcome="breached")
        system.processes.kill("sla-monitor-2")

        async def all_recycled() -> None:
            await recycled.poll_new()
            done = {json.loads(m.value)["lead_id"] for m in recycled.messages} & ours
            assert done == ours, f"{len(done)}/{LEADS} recycled"

        await eventually(all_recycled, within=180, interval=0.5)

        async def all_breaches_read() -> None:
            await breached.poll_new()
            steps = {
                (json.loads(m.value)["lead_id"], json.loads(m.value)["data"]["escalation_step"])
                for m in breached.messages
            }
            assert len({s for s in steps if s[0] in ours}) == 2 * LEADS

        await eventually(all_breaches_read, within=60, interval=0.2)

        # the killed member holds its partitions until the broker drops it: the tests after this
        # one would find sla-monitor not reading part of every topic (and the personal topics'
        # 20 s window passing over what it never read)
        async def survivor_alone() -> None:
            assert await group_members("test.sla-monitor") == 1

        await eventually(survivor_alone, within=90, interval=0.5)
    finally:
        system.processes.stop("sla-monitor-2")  # if the test failed before killing it
        await breached.stop()
        await recycled.stop()

    breaches = [json.loads(m.value) for m in breached.messages]
    breaches = [b for b in breaches if b["lead_id"] in ours]
    # each lead's clock breached once per owner: step 1 reassigned, step 2 recycled — never twice
    per_step = Counter((b["lead_id"], b["data"]["escalation_step"]) for b in breaches)
    assert set(per_step.values()) == {1}
    assert len(per_step) == 2 * LEADS
    assert Counter(b["data"]["escalation"] for b in breaches) == {"reassign": LEADS, "recycle": LEADS}
    recycles = [json.loads(m.value) for m in recycled.messages]
    assert Counter(r["lead_id"] for r in recycles if r["lead_id"] in ours) == dict.fromkeys(ours, 1)
    # the survivor fired what was left (every second-round breach came after the kill)
    assert await metric_total(client, first, "leadloop_sla_timers_fired_total", outcome="breached") > before

"""The SLA screen in the browser against the running system (the test policy's accept clock runs
4 s, so a lead nobody accepts breaches): the breach waits for a manager, an operator acknowledges
it with a note, sla-monitor keeps who and what; the compliance chart's table twin and the heat
map hold sla-monitor's numbers for the period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.async_api import Page, expect

from leadkit.testing import eventually
from tests.system.browser import CONSOLE, SCREENSHOTS, console_key, sign_in
from tests.system.fixtures import System
from tests.system.test_sla_breaches import breached_clock


async def test_an_operator_acknowledges_a_breach_from_the_sla_screen(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    clock = await breached_clock(system, client)
    operator = console_key(system, "operator")
    await page.goto(f"{CONSOLE}#/sla?tz=UTC")
    await sign_in(page, operator)
    waiting = page.get_by_role("table", name="Breaches not yet acknowledged, newest first")
    row = waiting.locator("tbody tr").filter(has=page.get_by_role("link", name=clock["lead_id"][:8]))
    await expect(row.first).to_contain_text(clock["owner"])
    note = "reached the rep; the lead is called this afternoon"
    form = page.get_by_role("form", name=f"Acknowledge the breach of lead {clock['lead_id']}").first
    await form.get_by_label("Note").fill(note)
    await form.get_by_role("button", name="Acknowledge").click()
    await expect(page.locator("#action-status")).to_have_text(
        f"Breach of lead {clock['lead_id']} acknowledged."
    )

    async def kept() -> list[Any]:
        story = await client.get(
            system.url("sla-monitor", f"/v1/leads/{clock['lead_id']}/sla"), headers=system.headers
        )
        done = [
            (c["acknowledged_by"], c["acknowledgement"])
            for c in story.json()["clocks"]
            if c["acknowledged_at"]
        ]
        assert done == [("browser-operator", note)]
        return done

    await eventually(kept, within=10)
    if SCREENSHOTS:
        await page.screenshot(path=SCREENSHOTS / "sla.png", full_page=True)


async def test_the_sla_screen_s_tables_hold_sla_monitor_s_numbers(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    clock = await breached_clock(system, client)
    today = datetime.now(UTC).date()
    period = {"from": f"{today}T00:00:00Z", "to": f"{today + timedelta(days=1)}T00:00:00Z"}
    heat = await client.get(
        system.url("sla-monitor", "/v1/sla/breaches/heatmap"),
        params=period | {"timezone": "UTC"},
        headers=system.headers,
    )
    await page.goto(f"{CONSOLE}#/sla?from={today}&through={today}&tz=UTC")
    await sign_in(page, console_key(system, "viewer"))
    hint = page.get_by_text("breaches in all.")
    await expect(hint).to_be_visible()
    shown_total = int((await hint.inner_text()).split()[0])
    assert shown_total >= heat.json()["total"] >= 1
    due = datetime.fromisoformat(clock["due_at"]).astimezone(UTC)
    cell = page.get_by_role("table", name="Breaches by weekday and hour they fell due (UTC)").get_by_label(
        f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][due.weekday()]} {due.hour:02d}:00,"
    )
    assert int(await cell.inner_text()) >= 1
    # a viewer steers nothing here either
    assert await page.get_by_role("button", name="Acknowledge").count() == 0
    assert await page.get_by_role("button", name="Reassign now").count() == 0

    compliance = await client.get(
        system.url("sla-monitor", "/v1/sla/compliance"), params=period, headers=system.headers
    )
    per_rep: dict[str, list[int]] = {}
    for row in compliance.json()["rows"]:
        if row["level"] == "rep":
            per_rep.setdefault(row["rep"], [0, 0])
            per_rep[row["rep"]][0] += row["met"]
            per_rep[row["rep"]][1] += row["breached"]
    twin = page.get_by_role("table", name="Clocks met and breached per rep, every clock: the numbers")
    rows = await twin.locator("tbody tr").all_inner_texts()
    shown = {cells[0]: [int(cells[1]), int(cells[2])] for cells in (r.split("\t") for r in rows)}
    # the screen asked a moment after this test did: a rep's counts only grow in between
    assert set(shown) >= set(per_rep)
    for rep, (met, breached) in per_rep.items():
        assert shown[rep][0] >= met
        assert shown[rep][1] >= breached
    assert await page.locator("#sla-by-rep svg").count() == 1  # the chart was drawn, as SVG

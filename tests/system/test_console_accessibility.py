"""Every screen of the console through axe-core (vendored, tests/system/vendor): no serious or
critical violation of the WCAG 2.1 A and AA rules; every chart has an accessible name; the
keyboard reaches the actions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.system.browser import CONSOLE, sign_in
from tests.system.fixtures import API_KEY, System
from tests.system.test_console import posted_and_routed

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TODAY = datetime.now(UTC).date()
SCREENS = {
    "overview": ("#/overview", "Overview"),
    "routing": ("#/routing", "Routing"),
    "sla": ("#/sla?tz=UTC", "SLA"),
    "funnel": (f"#/funnel?from={TODAY}&through={TODAY}", "Funnel and velocity"),
    "attribution": (f"#/attribution?from={TODAY}&through={TODAY}&outcome=mql", "Attribution"),
    "sources": (f"#/sources?from={TODAY}&through={TODAY}", "Sources and quality"),
    "operations": ("#/operations", "Operations"),
    "policies": ("#/policies?kind=sla", "Policies"),
}


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE))
    found: dict[str, Any] = await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def test_the_sign_in_screen_has_no_serious_violation(system: System, page: Page) -> None:
    await page.goto(CONSOLE)
    await expect(page.get_by_label("API key")).to_be_visible()
    assert await serious_violations(page) == []


@pytest.mark.parametrize("screen", SCREENS)
async def test_each_screen_has_no_serious_violation_and_every_chart_a_name(
    system: System, page: Page, screen: str
) -> None:
    fragment, heading = SCREENS[screen]
    await page.goto(f"{CONSOLE}{fragment}")
    await sign_in(page, API_KEY)
    await expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    await expect(page.locator("p.loading")).to_have_count(0)
    assert await serious_violations(page) == [], screen
    for chart in await page.locator(".chart").all():
        assert (await chart.get_attribute("aria-label") or "").strip(), screen


async def test_the_lead_page_has_no_serious_violation_and_the_keyboard_reaches_reassign(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    lead_id, _ = await posted_and_routed(client, system)
    await page.goto(f"{CONSOLE}#/leads/{lead_id}")
    await sign_in(page, API_KEY)
    await expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    assert await serious_violations(page) == []
    reason = page.get_by_label("Reason")  # the reassign form, reached from the top by Tab alone
    await page.locator("main").focus()
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await reason.evaluate("node => node === document.activeElement"):
            break
    assert await reason.evaluate("node => node === document.activeElement")
    await page.keyboard.type("reached by keyboard")
    await page.keyboard.press("Shift+Tab")  # back to whom it goes to
    assert await page.evaluate("document.activeElement.id") == "reassign-to"

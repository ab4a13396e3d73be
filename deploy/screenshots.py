"""`make screenshots`: PNGs of the console's main screens, for the README and docs/console.md.

Drives Debian's chromium through Playwright against the running system (`make up`, then `make
demo` to fill it), at 1280 by 720 with the browser's clock fixed at the moment the run starts (the
countdowns and "as of" lines hold still while the shots are taken), and writes
docs/screenshots/<screen>.png. Every screen shows today's data (UTC), which `make demo` posted.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo import REPORTING, api_key

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CONSOLE = f"{REPORTING}/console/"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


async def a_routed_lead(key: str) -> str | None:
    async with httpx.AsyncClient(headers={"X-API-Key": key}, timeout=10) as client:
        feed = await client.get(f"{REPORTING}/v1/reports/latest-leads", params={"limit": 50})
        feed.raise_for_status()
        routed = [lead for lead in feed.json()["leads"] if lead["stage"] in ("routed", "accepted")]
        return routed[0]["lead_id"] if routed else None


async def shoot(page: Page, name: str, fragment: str, heading: str) -> None:
    await page.goto(f"{CONSOLE}{fragment}")
    await expect(page.get_by_role("heading", level=1).first).to_contain_text(heading)
    await expect(page.locator("p.loading")).to_have_count(0)
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=OUT / f"{name}.png")
    print(f"  {OUT.relative_to(ROOT)}/{name}.png")  # noqa: T201


async def main() -> None:
    key = api_key()
    today = datetime.now(UTC).date()
    period = f"from={today}&through={today}"
    try:
        lead = await a_routed_lead(key)
    except httpx.HTTPError:
        sys.exit("the system is not answering: `make up` (and `make demo`) first")
    OUT.mkdir(parents=True, exist_ok=True)
    screens = [
        ("overview", f"#/overview?{period}", "Overview"),
        ("routing", "#/routing", "Routing"),
        ("sla", f"#/sla?{period}&tz=UTC", "SLA"),
        ("funnel", f"#/funnel?{period}&group_by=source", "Funnel"),
        ("attribution", f"#/attribution?{period}&outcome=won&group_by=source", "Attribution"),
        ("sources", f"#/sources?{period}", "Sources"),
        ("policies", "#/policies?kind=routing", "Policies"),
        ("operations", "#/operations", "Operations"),
    ]
    if lead:
        screens.insert(1, ("lead", f"#/leads/{lead}", ""))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = await browser.new_context(viewport={"width": 1280, "height": 720})
        page = await context.new_page()
        await page.clock.set_fixed_time(datetime.now(UTC))
        await page.goto(CONSOLE)
        await page.get_by_label("API key").fill(key)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        for name, fragment, heading in screens:
            await shoot(page, name, fragment, heading)
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main())

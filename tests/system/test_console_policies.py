"""The policies screen in the browser against routing: a draft with a wrong value shows routing's
message at the line it names; fixed, it checks clean, is saved, simulated and activated, and the
activation log says who did it. The test then rolls routing back to the version it found, so the
other tests route as before (the document it activates routes as the shipped one does)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.system.browser import CONSOLE, SCREENSHOTS, console_key, sign_in
from tests.system.fixtures import API_KEY, System

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "routing/src/routing/config/default_policy.toml").read_text()


async def test_a_draft_is_corrected_at_its_line_then_simulated_and_activated(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    policies = system.url("routing", "/v1/routing/policies")
    before = (await client.get(f"{policies}/active", headers=system.headers)).json()["version"]
    wrong = SHIPPED.replace("credit_limit = 10", "credit_limit = -5")
    line = next(n for n, text in enumerate(wrong.splitlines(), start=1) if "credit_limit = -5" in text)
    try:
        await page.goto(f"{CONSOLE}#/policies?kind=routing")
        await sign_in(page, API_KEY)
        editor = page.get_by_label(re.compile("^Document \\(TOML\\)"))
        await editor.fill(wrong)
        await page.get_by_role("button", name="Check").click()
        at_line = page.locator(f'ol.source li[data-line="{line}"]')
        await expect(at_line.locator("p.problem")).to_contain_text(f"line {line}: distribution.credit_limit")
        assert await page.locator("ol.source li.wrong").count() == 1  # only that line

        await editor.fill(SHIPPED)
        await page.get_by_role("button", name="Check").click()
        await expect(page.get_by_text("The draft is valid.")).to_be_visible()
        await page.get_by_label("Why", exact=True).first.fill("console test: the shipped policy again")
        await page.get_by_role("button", name="Save draft").click()
        await expect(page.get_by_role("heading", name=re.compile(r"^Version \d+$"))).to_be_visible()
        version = int(
            (await page.get_by_role("heading", name=re.compile(r"^Version \d+$")).inner_text()).split()[1]
        )
        assert version > before
        saved = page.get_by_role("table", name=re.compile("^Every version of the routing policy"))
        await expect(
            saved.locator("tbody tr").filter(has_text="console test: the shipped policy again").last
        ).to_contain_text("system-0")
        shown = (await client.get(f"{policies}/{version}", headers=system.headers)).json()
        assert shown["created_by"] == "system-0"
        await page.get_by_label("Compare with").select_option(str(before))
        earlier = (await client.get(f"{policies}/{before}", headers=system.headers)).json()["source"]
        if earlier == SHIPPED:
            await expect(page.get_by_text(f"No difference from version {before}.")).to_be_visible()
        else:
            await expect(
                page.get_by_text(re.compile(f"line\\(s\\) differ from version {before}"))
            ).to_be_visible()
            assert await page.locator("pre.diff span.added, pre.diff span.removed").count() >= 1

        today = datetime.now(UTC).date().isoformat()
        await page.get_by_label("From").last.fill(today)
        await page.get_by_role("button", name="Simulate").click()
        await expect(page.locator("#simulation dl, #simulation table").first).to_be_visible(timeout=30_000)

        await page.get_by_role("button", name=f"Activate version {version}").click()
        await expect(page.locator("#action-status")).to_have_text(f"Version {version} is active (activate).")
        log = page.get_by_role("table", name="Activations, newest first")
        await expect(log.locator("tbody tr").first).to_contain_text(f"{version}activatesystem-0")
        active = (await client.get(f"{policies}/active", headers=system.headers)).json()
        assert active["version"] == version
        activations = (await client.get(f"{policies}/activations", headers=system.headers)).json()
        assert (activations[0]["version"], activations[0]["by"]) == (version, "system-0")
        if SCREENSHOTS:
            await page.screenshot(path=SCREENSHOTS / "policies.png", full_page=True)
    finally:
        restored = await client.post(
            f"{policies}/{before}/activate", params={"note": "console test done"}, headers=system.headers
        )
        assert restored.status_code == 200, restored.text


async def test_a_viewer_reads_checks_and_simulates_but_saves_and_activates_nothing(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    viewer = console_key(system, "viewer")
    await page.goto(f"{CONSOLE}#/policies?kind=sla")
    await sign_in(page, viewer)
    await expect(
        page.get_by_role("table", name=re.compile("^Every version of the SLA policy"))
    ).to_be_visible()
    await expect(page.get_by_role("button", name="Check")).to_be_visible()
    await expect(page.get_by_role("button", name="Simulate")).to_be_visible()
    assert await page.get_by_role("button", name="Save draft").count() == 0
    assert await page.get_by_role("button", name=re.compile("^Activate")).count() == 0
    refused = await client.post(
        system.url("sla-monitor", "/v1/sla/policies/rollback"), headers={"X-API-Key": viewer}
    )
    assert refused.status_code == 403


async def test_the_diff_marks_each_line_only_one_version_has(system: System, page: Page) -> None:
    await page.goto(CONSOLE)
    diff = await page.evaluate(
        """async () => (await import("./policies.js")).lineDiff("a\\nb\\nc\\ne", "a\\nc\\nd\\ne")"""
    )
    removed = "\N{MINUS SIGN}"  # the console marks a removed line as the diff tools print it
    assert diff == [[" ", "a"], [removed, "b"], [" ", "c"], ["+", "d"], [" ", "e"]]
    same = await page.evaluate("""async () => (await import("./policies.js")).lineDiff("x", "x")""")
    assert same == [[" ", "x"]]

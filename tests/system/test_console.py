"""The console in a real browser: Debian's chromium, headless, driven by Playwright against the
running test system. Signing in (a refused key stays out; no key is ever in a request's URL), and
the lead page — one lead's story, checked against the services' own JSON. The browser calls each
service itself, which the services allow for the console's origin only (CORS)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from playwright.async_api import Browser, Page, expect

from leadkit.testing import eventually
from tests.receiver import Receiver, served
from tests.system.browser import CONSOLE, SCREENSHOTS, console_key, requested_urls, sign_in
from tests.system.fixtures import API_KEY, QUALIFYING, System


async def test_the_browser_and_playwright_agree(browser: Browser) -> None:
    """The smoke test: the system's chromium is one Playwright can drive."""
    major = int(browser.version.split(".")[0])
    assert major >= 120, f"chromium {browser.version} is older than Playwright supports"


async def test_a_refused_key_stays_out_and_no_key_is_ever_in_a_url(system: System, page: Page) -> None:
    urls = requested_urls(page)
    await page.goto(CONSOLE)
    wrong = f"wrong-{uuid4().hex}"
    await sign_in(page, wrong)
    await expect(page.locator("#sign-in-status")).to_have_text("That key was refused.")
    await sign_in(page, API_KEY)
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()  # the first screen
    assert await page.evaluate("sessionStorage.getItem('leadloop.key')") == API_KEY
    assert urls, "the console asked for nothing"
    assert not [url for url in urls if wrong in url or API_KEY in url]
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("API key")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('leadloop.key')") is None


async def test_the_lead_page_tells_the_lead_s_story_as_the_services_record_it(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    email = f"{uuid4().hex[:10]}@hopper-labs.example"
    body = {"email": email, **QUALIFYING, "utm_source": "console-test", "utm_campaign": "why-page"}
    posted = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["lead_id"]

    async def routed() -> dict[str, Any]:
        answer = await client.get(
            system.url("routing", f"/v1/leads/{lead_id}/routing"), headers=system.headers
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        assert found["assignments"], "not routed yet"
        return found

    routing = await eventually(routed, within=60)
    decision = routing["assignments"][0]

    await page.goto(CONSOLE)
    await sign_in(page, API_KEY)
    await page.get_by_role("navigation", name="Screens").get_by_role("link", name="Lead").click()
    await page.get_by_label("Lead id").fill(lead_id)
    await page.get_by_role("button", name="Open").click()
    await expect(page).to_have_url(f"{CONSOLE}#/leads/{lead_id}")  # a URL to share; no key in it
    await expect(page.get_by_role("heading", level=1)).to_have_text(QUALIFYING["first_name"])
    standing = page.get_by_label("Where the lead stands")
    await expect(standing).to_contain_text(f"Owner{decision['owner']}")
    await expect(standing).to_contain_text(f"Status{routing['status']}")
    assert "[object" not in await page.locator("main").inner_text()  # every value shown as itself
    timeline = page.get_by_role("list", name="What happened to this lead, oldest first")
    routing_entry = timeline.locator("li.routing").first
    await expect(routing_entry.get_by_role("heading")).to_contain_text(f"Assigned to {decision['owner']}")
    await expect(routing_entry.locator(".reason")).to_have_text(decision["reason"])
    candidates = routing_entry.get_by_role("table", name="Candidates")
    await expect(candidates.locator("tbody tr")).to_have_count(len(decision["candidates"]))
    touch = timeline.locator("li.touch").first
    await expect(touch).to_contain_text("console-test")
    await expect(touch).to_contain_text("why-page")
    await expect(timeline.locator("li.score").first).to_contain_text("Rules that fired")
    if SCREENSHOTS:
        await page.screenshot(path=SCREENSHOTS / "lead.png", full_page=True)


async def test_a_lead_capture_does_not_know_is_said_so_and_a_service_down_is_named(
    system: System, page: Page
) -> None:
    unknown = str(uuid4())
    await page.goto(f"{CONSOLE}#/leads/{unknown}")  # signed out: the lead waits for the sign-in
    await sign_in(page, API_KEY)
    await expect(page.get_by_text("capture knows no lead with this id")).to_be_visible()
    await expect(page.get_by_text("Nothing is known of this lead yet.")).to_be_visible()

    async def while_down() -> None:
        await page.reload()
        await expect(page.get_by_role("alert").filter(has_text="scoring is not answering")).to_be_visible()

    await system.restart("scoring", while_down=while_down)


async def test_only_the_console_s_origin_may_call_a_service_from_a_browser(
    system: System, client: httpx.AsyncClient
) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        }

    allowed = await client.options(
        system.url("routing", "/v1/reps"), headers=preflight("http://127.0.0.1:18005")
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://127.0.0.1:18005"
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
    elsewhere = await client.options(
        system.url("routing", "/v1/reps"), headers=preflight("https://evil.example")
    )
    assert "access-control-allow-origin" not in elsewhere.headers
    read = await client.get(
        system.url("routing", "/v1/reps"), headers={**system.headers, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in read.headers  # the browser there cannot read it


async def posted_and_routed(client: httpx.AsyncClient, system: System) -> tuple[str, dict[str, Any]]:
    body = {"email": f"{uuid4().hex[:10]}@hopper-labs.example", **QUALIFYING}
    posted = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
    assert posted.status_code == 202, posted.text
    lead_id = str(posted.json()["lead_id"])

    async def routed() -> dict[str, Any]:
        answer = await client.get(
            system.url("routing", f"/v1/leads/{lead_id}/routing"), headers=system.headers
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        assert found["owner"], "not assigned yet"
        return found

    return lead_id, await eventually(routed, within=60)


async def open_lead(page: Page, lead_id: str, key: str = API_KEY) -> None:
    await page.goto(f"{CONSOLE}#/leads/{lead_id}")
    await sign_in(page, key)
    await expect(page.get_by_role("heading", name="Timeline")).to_be_visible()


async def test_a_lead_is_reassigned_from_its_page_with_a_reason_routing_records(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    lead_id, routing = await posted_and_routed(client, system)
    reps = (await client.get(system.url("routing", "/v1/reps"), headers=system.headers)).json()
    other = next(
        rep["id"]
        for rep in reps
        if rep["id"] != routing["owner"] and rep["team"] == routing["team"] and rep["active"]
    )
    await open_lead(page, lead_id)
    reason = f"the customer asked for {other} ({uuid4().hex[:6]})"
    await page.get_by_label("Reassign to").select_option(other)
    await page.get_by_label("Reason").fill(reason)
    await page.get_by_role("button", name="Reassign").click()
    await expect(page.locator("#action-status")).to_have_text(f"Reassigned to {other}.")
    latest = page.locator("li.routing").last
    await expect(latest.get_by_role("heading")).to_contain_text(f"Reassigned by hand to {other}")
    await expect(latest.locator(".reason")).to_contain_text(reason)
    recorded = await client.get(system.url("routing", f"/v1/leads/{lead_id}/routing"), headers=system.headers)
    assert recorded.json()["owner"] == other
    assert reason in recorded.json()["assignments"][-1]["reason"]


async def test_a_refused_reassignment_is_shown_in_routing_s_words(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    lead_id, _ = await posted_and_routed(client, system)
    await open_lead(page, lead_id)
    await page.get_by_role("button", name="Reassign").click()  # no reason: the browser asks for one
    assert await page.locator("#reassign-reason").evaluate("input => !input.validity.valid")
    await page.get_by_label("Reason").fill("   ")  # only spaces: routing refuses it, and says why
    await page.get_by_role("button", name="Reassign").click()
    await expect(page.locator("#action-status")).to_contain_text("routing: reason:")  # the field it named
    await expect(page.locator("#action-status")).to_have_class("problem")


async def test_a_person_is_erased_from_their_page_after_a_second_click(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    lead_id, _ = await posted_and_routed(client, system)
    await open_lead(page, lead_id)
    await page.get_by_role("button", name="Erase this person…").click()
    await expect(page.get_by_text("this cannot be undone")).to_be_visible()
    await page.get_by_role("button", name="Erase for good").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Erased lead")
    await expect(page.locator("#action-status")).to_have_text("Erased: every service forgets this person.")
    lead = await client.get(system.url("capture", f"/v1/leads/{lead_id}"), headers=system.headers)
    assert lead.json()["erased_at"] is not None
    assert lead.json()["email"] is None


async def test_the_lead_page_shows_what_reached_the_sales_tools(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    async with served(Receiver()) as receiver:
        made = await client.post(
            system.url("sla-monitor", "/v1/subscriptions"),
            json={"url": receiver.url, "event_types": ["lead.qualified"], "description": "the team's CRM"},
            headers=system.headers,
        )
        assert made.status_code == 201, made.text
        try:
            lead_id, _ = await posted_and_routed(client, system)

            async def delivered() -> str:
                found = [r for r in receiver.received if lead_id.encode() in r.body]
                assert found, "not delivered yet"
                return found[0].headers["webhook-id"]

            webhook_id = await eventually(delivered, within=60)

            async def recorded() -> None:  # the outcome is written a moment after the answer
                answer = await client.get(
                    system.url("sla-monitor", f"/v1/leads/{lead_id}/deliveries"), headers=system.headers
                )
                ours = [d for d in answer.json() if d["subscription_id"] == made.json()["id"]]
                assert [d["status"] for d in ours] == [
                    "delivered"
                ]  # other tests' subscriptions may have more

            await eventually(recorded, within=30)
            await open_lead(page, lead_id)
            delivery = page.locator("li.delivery").filter(has_text="the team's CRM")
            await expect(delivery).to_contain_text('lead.qualified to webhook "the team\'s CRM": delivered')
            await expect(delivery).to_contain_text(webhook_id)
        finally:
            await client.delete(
                system.url("sla-monitor", f"/v1/subscriptions/{made.json()['id']}"), headers=system.headers
            )


async def test_the_overview_shows_reporting_s_numbers_for_the_chosen_period(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    await posted_and_routed(client, system)  # at least one lead today
    today = datetime.now(UTC).date()
    start, through = today - timedelta(days=6), today
    await page.goto(CONSOLE)
    await sign_in(page, API_KEY)
    await page.get_by_label("From", exact=True).fill(start.isoformat())
    await page.get_by_label("Through", exact=True).fill(through.isoformat())
    await page.get_by_role("button", name="Show").click()
    await expect(page).to_have_url(f"{CONSOLE}#/overview?from={start}&through={through}")
    window = {"from": f"{start}T00:00:00Z", "to": f"{through + timedelta(days=1)}T00:00:00Z"}
    for month in sorted({f"{start:%Y-%m}", f"{through:%Y-%m}"}):
        put = await client.put(
            system.url("reporting", f"/v1/targets/{month}"),
            json={"mqls": 300, "won": 12},
            headers=system.headers,
        )
        assert put.status_code == 200, put.text

    async def same_as_reporting() -> None:
        answer = await client.get(
            system.url("reporting", "/v1/reports/overview"), params=window, headers=system.headers
        )
        assert answer.status_code == 200, answer.text
        current, previous = answer.json()["current"], answer.json()["previous"]
        await page.reload()
        rows = page.get_by_role("table", name=re.compile("^Captured")).locator("tbody tr")
        await expect(rows).to_have_count(5)
        shown = {
            (await row.locator("td").nth(0).inner_text()): (
                await row.locator("td").nth(1).inner_text(),
                await row.locator("td").nth(2).inner_text(),
                await row.locator("td").nth(4).inner_text(),
            )
            for row in await rows.all()
        }
        targets = answer.json()["targets"]
        for name, key in (
            ("Leads", "leads"),
            ("MQLs", "mqls"),
            ("SQLs", "sqls"),
            ("Won", "won"),
            ("Revenue", "revenue"),
        ):
            target = "no target" if targets[key] is None else str(targets[key])
            assert shown[name] == (str(current[key]), str(previous[key]), target), name
        assert targets["mqls"] is not None
        bands = page.get_by_role(
            "table", name="MQLs by minutes from capture to first contact: the numbers"
        ).locator("tbody tr")
        await expect(bands).to_have_count(len(current["speed_bands"]))
        for index, (band, count) in enumerate(current["speed_bands"].items()):
            await expect(bands.nth(index).locator("td")).to_have_text([band, str(count)])

    assert (
        await client.get(
            system.url("reporting", "/v1/reports/overview"), params=window, headers=system.headers
        )
    ).json()["current"]["leads"] >= 1
    await eventually(same_as_reporting, within=30, interval=1)
    assert await page.locator("#speed-bands svg").count() == 1  # the chart beside its table
    if SCREENSHOTS:
        await page.screenshot(path=SCREENSHOTS / "overview.png", full_page=True)


async def test_a_period_without_leads_says_so(system: System, page: Page) -> None:
    await page.goto(f"{CONSOLE}#/overview?from=2001-01-01&through=2001-01-31")
    await sign_in(page, API_KEY)
    await expect(page.get_by_text("No leads in this period, nor in the one before.")).to_be_visible()


async def test_a_rep_taken_offline_with_a_reason_is_skipped_and_the_ledger_says_so(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    _, routing = await posted_and_routed(client, system)
    team, rep = routing["team"], routing["owner"]  # the shipped team's rep that got the last lead
    reason = f"at a conference ({uuid4().hex[:6]})"
    await page.goto(f"{CONSOLE}#/routing?team={team}")
    await sign_in(page, API_KEY)
    roster = page.get_by_role("table", name=f"The reps of {team}")
    row = roster.locator("tbody tr").filter(has_text=f"({rep})")
    try:
        await row.get_by_label("Why").fill(reason)
        await row.get_by_role("button", name="Take offline").click()
        await expect(page.locator("#routing-status")).to_have_text(f"{rep} is offline.")
        await expect(row).to_contain_text(f"off: {reason}")
        shown = (await client.get(system.url("routing", f"/v1/reps/{rep}"), headers=system.headers)).json()
        assert (shown["active"], shown["availability_reason"]) == (False, reason)

        later = [await posted_and_routed(client, system) for _ in range(3)]
        assert rep not in {found["owner"] for _, found in later}  # the next leads go elsewhere
        fairness = page.get_by_role("table", name=re.compile(f"^The round robin of {team}"))
        skipped = fairness.locator("tbody tr").filter(has_text=rep).locator("td").nth(5)

        async def the_screen_shows_the_ledger() -> None:
            # other tests' leads (and their SLA breaches) reach the shipped team meanwhile, so the
            # screen is compared with the ledger as it is when the screen is read
            await page.reload()
            shown = await skipped.text_content(timeout=5000)
            ledger = (
                await client.get(
                    system.url("routing", "/v1/routing/fairness"),
                    params={"team": team},
                    headers=system.headers,
                )
            ).json()
            (mine,) = [r for r in ledger["reps"] if r["rep_id"] == rep]
            assert mine["skips"], "the ledger has no skip for the offline rep"
            assert shown == ", ".join(f"{why}: {n}" for why, n in mine["skips"].items()), shown

        await eventually(the_screen_shows_the_ledger, within=30, interval=1)
        if SCREENSHOTS:
            await page.screenshot(path=SCREENSHOTS / "routing.png", full_page=True)
    finally:
        back = await client.put(
            system.url("routing", f"/v1/reps/{rep}/availability"),
            json={"active": True, "reason": "back"},
            headers=system.headers,
        )
        assert back.status_code == 200, back.text


async def test_a_rep_s_weight_and_caps_are_changed_from_the_roster(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    run = uuid4().hex[:6]
    team, rep = f"ui-{run}", f"uma-{run}"
    headers = system.headers
    made = await client.put(system.url("routing", f"/v1/teams/{team}"), json={"name": "UI"}, headers=headers)
    assert made.status_code == 200, made.text
    put = await client.put(
        system.url("routing", f"/v1/reps/{rep}"),
        json={
            "name": "Uma",
            "email": "uma@example.com",
            "team": team,
            "weight": 1,
            "hours": "mon-fri 09:00-17:00",
        },
        headers=headers,
    )
    assert put.status_code == 200, put.text
    await page.goto(f"{CONSOLE}#/routing?team={team}")
    await sign_in(page, API_KEY)
    await expect(page.get_by_text("No round-robin assignments in this team yet.")).to_be_visible()
    row = (
        page.get_by_role("table", name=f"The reps of {team}").locator("tbody tr").filter(has_text=f"({rep})")
    )
    await row.get_by_text("Weight and caps").click()
    await row.get_by_label("Weight", exact=True).fill("3")
    await row.get_by_label("Day cap").fill("12")
    await row.get_by_role("button", name="Save").click()
    await expect(page.locator("#routing-status")).to_have_text(f"{rep}: weight and caps saved.")
    await expect(row.locator("td").nth(3)).to_have_text("3")
    await expect(row.locator("td").nth(4)).to_have_text("12 / — / —")
    shown = (await client.get(system.url("routing", f"/v1/reps/{rep}"), headers=headers)).json()
    assert (shown["weight"], shown["daily_cap"], shown["weekly_cap"], shown["max_open"]) == (
        3,
        12,
        None,
        None,
    )
    assert (shown["hours"], shown["email"], shown["active"]) == (
        "mon-fri 09:00-17:00",
        "uma@example.com",
        True,
    )


async def test_a_viewer_sees_no_steering_button_and_the_api_refuses_it_anyway(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    viewer = console_key(system, "viewer")
    lead_id, routing = await posted_and_routed(client, system)
    await open_lead(page, lead_id, viewer)
    await expect(page.locator("#who")).to_contain_text("(viewer, personal data masked)")
    await expect(page.get_by_role("heading", level=1)).to_have_text(QUALIFYING["first_name"][0] + "•••")
    await expect(page.locator("li.routing").first.locator(".reason")).to_be_visible()  # the why is shown
    assert await page.get_by_role("heading", name="Actions").count() == 0
    assert await page.get_by_role("button", name="Reassign").count() == 0
    await page.goto(f"{CONSOLE}#/routing?team={routing['team']}")
    await expect(page.get_by_role("table", name=f"The reps of {routing['team']}")).to_be_visible()
    assert await page.get_by_role("button", name="Take offline").count() == 0
    assert await page.get_by_role("button", name="Save").count() == 0
    # what the console hides, the API refuses: the same call made from the page with the viewer's key
    status = await page.evaluate(
        """async ([url, key]) => (await fetch(url, {method: "POST", headers: {"X-API-Key": key,
        "Content-Type": "application/json"}, body: JSON.stringify({reason: "viewer tries"})})).status""",
        [system.url("routing", f"/v1/leads/{lead_id}/reassign"), viewer],
    )
    assert status == 403


async def test_an_operator_steers_the_day_but_changes_no_configuration(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    operator = console_key(system, "operator")
    lead_id, routing = await posted_and_routed(client, system)
    await open_lead(page, lead_id, operator)
    await expect(page.get_by_role("button", name="Reassign")).to_be_visible()
    assert await page.get_by_role("button", name="Erase this person…").count() == 0
    await page.goto(f"{CONSOLE}#/routing?team={routing['team']}")
    roster = page.get_by_role("table", name=f"The reps of {routing['team']}")
    await expect(
        roster.get_by_role("button", name=re.compile("Take offline|Bring online")).first
    ).to_be_visible()
    assert await roster.get_by_role("button", name="Save").count() == 0


async def test_posted_leads_arrive_in_the_live_feed_and_advance_without_a_reload(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    await page.goto(CONSOLE)
    await sign_in(page, API_KEY)
    feed = page.get_by_role("table", name="The latest leads, newest first (updates by itself)")
    await expect(feed).to_be_visible()
    loads: list[str] = []
    page.on("load", lambda _: loads.append("load"))
    posted = []
    for _ in range(2):
        body = {"email": f"{uuid4().hex[:10]}@feed.example", **QUALIFYING, "utm_source": "live-feed"}
        answer = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
        assert answer.status_code == 202, answer.text
        posted.append(answer.json()["lead_id"])
    for lead_id in posted:
        row = feed.locator(f'tr[data-lead="{lead_id}"]')
        await expect(row).to_be_visible(timeout=30_000)
        await expect(row.locator("td.stage")).to_contain_text("captured → scored → routed", timeout=30_000)
        await expect(row).to_contain_text("live-feed")
        routed = await client.get(
            system.url("routing", f"/v1/leads/{lead_id}/routing"), headers=system.headers
        )
        await expect(row.locator("td").nth(5)).to_have_text(routed.json()["owner"])
    assert loads == []  # it updated in place


async def test_one_date_range_follows_the_user_across_the_screens(system: System, page: Page) -> None:
    await page.goto(f"{CONSOLE}#/overview?from=2026-10-01&through=2026-10-31")
    await sign_in(page, API_KEY)
    await expect(page.get_by_label("From", exact=True)).to_have_value("2026-10-01")
    for screen in ("Funnel", "SLA", "Attribution", "Sources"):
        await page.get_by_role("navigation", name="Screens").get_by_role("link", name=screen).click()
        await expect(page.get_by_label("From", exact=True)).to_have_value("2026-10-01")
        await expect(page.get_by_label("Through", exact=True)).to_have_value("2026-10-31")
    await page.get_by_label("From", exact=True).fill("2026-10-15")
    await page.get_by_role("button", name="Show").click()
    await page.get_by_role("navigation", name="Screens").get_by_role("link", name="Overview").click()
    await expect(page.get_by_label("From", exact=True)).to_have_value("2026-10-15")

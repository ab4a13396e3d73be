"""The report screens in the browser against the running system: the funnel filtered and grouped,
attribution's models side by side, sources and quality — each table equal to reporting's JSON for
the same question, the CSV button saving reporting's own CSV, and a model's formula one click
away. Leads posted here carry a source of their own, so other tests' leads stay out of the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from playwright.async_api import Page, expect

from leadkit.testing import eventually
from tests.system.browser import CONSOLE, SCREENSHOTS, console_key, sign_in
from tests.system.fixtures import QUALIFYING, System


def today_window() -> tuple[str, dict[str, str]]:
    today = datetime.now(UTC).date()
    return str(today), {"from": f"{today}T00:00:00Z", "to": f"{today + timedelta(days=1)}T00:00:00Z"}


async def posted(system: System, client: httpx.AsyncClient, source: str, campaigns: list[str]) -> None:
    for campaign in campaigns:
        body = {"email": f"{uuid4().hex[:10]}@reports.example", **QUALIFYING}
        body |= {"utm_source": source, "utm_campaign": campaign, "utm_medium": "cpc"}
        answer = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
        assert answer.status_code == 202, answer.text


async def table_rows(page: Page, name: str) -> list[list[str]]:
    table = page.get_by_role("table", name=name)
    await expect(table).to_be_visible()
    return [row.split("\t") for row in await table.locator("tbody tr").all_inner_texts()]


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


async def test_the_funnel_filtered_and_grouped_is_reporting_s_and_its_csv_too(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    source = f"fun-{uuid4().hex[:6]}"
    await posted(system, client, source, ["spring", "spring", "summer"])
    today, window = today_window()
    params = window | {"group_by": "campaign", "source": source}

    async def projected() -> dict[str, Any]:
        answer = await client.get(
            system.url("reporting", "/v1/reports/funnel"), params=params, headers=system.headers
        )
        rows = answer.json()["rows"]
        assert sum(r["mqls"] for r in rows) == 3, rows
        return dict(answer.json())

    report = await eventually(projected, within=60)
    await page.goto(
        f"{CONSOLE}#/funnel?from={today}&through={today}&group_by=campaign&only=source&equals={source}"
    )
    await sign_in(page, console_key(system, "viewer"))
    scope = f"campaign, leads captured {today} through {today}, source = {source}"
    shown = await table_rows(page, f"Stage rates by {scope}")
    assert shown == [
        [
            r["key"],
            percent(r["rates"]["lead_to_mql"]),
            percent(r["rates"]["mql_to_sal"]),
            percent(r["rates"]["sal_to_sql"]),
            percent(r["rates"]["sql_to_opportunity"]),
            percent(r["rates"]["opportunity_to_won"]),
            percent(r["rates"]["lead_to_won"]),
            str(r["lost"]),
            str(r["rejected"]),
            str(r["recycled"]),
            str(r["revenue"]),
        ]
        for r in report["rows"]
    ]
    twin = await table_rows(page, f"The funnel by {scope}: the numbers")
    assert [[row[0], row[1], row[2]] for row in twin] == [
        [r["key"], str(r["leads"]), str(r["mqls"])] for r in report["rows"]
    ]
    assert {row[0] for row in twin} == {"spring", "summer"}

    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download CSV").click()
    saved = (await (await downloading.value).path()).read_bytes().decode()
    as_csv = await client.get(
        system.url("reporting", "/v1/reports/funnel"),
        params=params | {"format": "csv"},
        headers=system.headers,
    )
    assert saved == as_csv.text
    if SCREENSHOTS:
        await page.screenshot(path=SCREENSHOTS / "funnel.png", full_page=True)


async def test_attribution_s_models_side_by_side_are_reporting_s_and_each_formula_is_a_click_away(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    source = f"att-{uuid4().hex[:6]}"
    await posted(system, client, source, ["one", "two"])
    today, window = today_window()
    params = window | {"outcome": "mql", "group_by": "source"}

    async def credited() -> dict[str, Any]:
        answer = await client.get(
            system.url("reporting", "/v1/reports/attribution"), params=params, headers=system.headers
        )
        linear = {c["key"]: c["conversions"] for c in answer.json()["models"]["linear"]}
        assert linear.get(source) == 2.0, linear
        return dict(answer.json())

    await eventually(credited, within=60)
    await page.goto(f"{CONSOLE}#/attribution?from={today}&through={today}&outcome=mql&group_by=source")
    await sign_in(page, console_key(system, "viewer"))
    table = page.get_by_role("table", name="Conversions credited to each source by each model: the numbers")
    await expect(table).to_be_visible()
    headings = await table.locator("thead th").all_inner_texts()
    row = (await table.locator("tbody tr").filter(has_text=source).first.inner_text()).split("\t")
    report = (
        await client.get(
            system.url("reporting", "/v1/reports/attribution"), params=params, headers=system.headers
        )
    ).json()
    for model, shown in zip(headings[1:], row[1:], strict=True):
        credits = {c["key"]: c["conversions"] for c in report["models"][model]}
        assert float(shown) == credits[source], model
    assert headings[1:] == list(report["models"])  # every model, in reporting's order

    await page.locator("summary", has_text="markov").click()
    models = (
        await client.get(system.url("reporting", "/v1/reports/attribution/models"), headers=system.headers)
    ).json()
    markov = next(m["formula"] for m in models if m["model"] == "markov")
    await expect(page.get_by_text(markov)).to_be_visible()

    await page.get_by_label("Measure").select_option("revenue")
    await page.get_by_role("button", name="Show").click()
    revenue = page.get_by_role("table", name="Revenue credited to each source by each model: the numbers")
    await expect(revenue.locator("tbody tr").filter(has_text=source)).to_have_count(1)
    if SCREENSHOTS:
        await page.screenshot(path=SCREENSHOTS / "attribution.png", full_page=True)


async def test_sources_and_quality_are_reporting_s(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    source = f"qual-{uuid4().hex[:6]}"
    await posted(system, client, source, ["x", "y", "z"])
    today, window = today_window()
    params = window | {"group_by": "source"}

    async def counted() -> dict[str, Any]:
        answer = await client.get(
            system.url("reporting", "/v1/reports/quality"), params=params, headers=system.headers
        )
        found = [r for r in answer.json()["rows"] if r["key"] == source]
        assert [r["mqls"] for r in found] == [3], found
        return dict(found[0])

    mine = await eventually(counted, within=60)
    await page.goto(f"{CONSOLE}#/sources?from={today}&through={today}&group_by=source")
    await sign_in(page, console_key(system, "viewer"))
    rows = await table_rows(page, f"Quality by source, leads captured {today} through {today}")
    (shown,) = [row for row in rows if row[0] == source]
    assert shown[:8] == [
        source,
        str(mine["leads"]),
        str(mine["mqls"]),
        str(mine["sqls"]),
        str(mine["won"]),
        percent(mine["lead_to_mql"]),
        percent(mine["mql_to_sql"]),
        percent(mine["sql_to_won"]),
    ]
    assert await page.locator("#quality-chart svg").count() == 1

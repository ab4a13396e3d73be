"""Closed-loop reports on the real system: leads with backdated touches over several sources,
outcomes reported by sales, then the funnel (rates, velocity) and every attribution model side by
side, as JSON and as CSV."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
import pytest

from leadkit.db import create_pool
from leadkit.testing import eventually
from tests.system.fixtures import QUALIFYING, System, database_url

MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley")


async def lead(client: httpx.AsyncClient, system: System, source: str, at: datetime) -> str:
    body = {
        "email": f"{uuid4().hex[:10]}@reports.example",
        "utm_source": source,
        "occurred_at": at.isoformat(),
    }
    posted = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
    assert posted.status_code == 202, posted.text
    return str(posted.json()["lead_id"])


async def touch(client: httpx.AsyncClient, system: System, lead_id: str, source: str, at: datetime) -> None:
    body = {"lead_id": lead_id, "type": "page_visit", "utm_source": source, "occurred_at": at.isoformat()}
    posted = await client.post(system.url("capture", "/v1/touches"), json=body, headers=system.headers)
    assert posted.status_code == 202, posted.text


async def step(client: httpx.AsyncClient, system: System, lead_id: str, at: datetime, **step: str) -> None:
    """A step sales reported from the CRM for a lead that never qualified: its first may be any."""

    async def reported() -> None:
        answer = await client.post(
            system.url("sla-monitor", f"/v1/leads/{lead_id}/progress"),
            json={**step, "occurred_at": at.isoformat()},
            headers=system.headers,
        )
        assert answer.status_code == 202, answer.text

    await eventually(reported)


async def won(client: httpx.AsyncClient, system: System, lead_id: str, amount: str, at: datetime) -> None:
    await step(client, system, lead_id, at, stage="won", amount=amount, currency="EUR")


def quiet_hour(system: System, first: datetime, years: int) -> datetime:
    """A random hour from `first` on, taken only when reporting holds nothing from five days before
    it to twelve after: the test topics keep every earlier run's history, and the rebuild test
    replays it, so an hour picked blindly can meet an earlier run's journeys."""
    with httpx.Client(headers=system.headers, timeout=30) as client:
        for _ in range(20):
            at = first + timedelta(hours=random.randrange(0, 24 * 365 * years))
            window = {
                "from": (at - timedelta(days=5)).isoformat(),
                "to": (at + timedelta(days=12)).isoformat(),
            }
            answer = client.get(
                system.url("reporting", "/v1/reports/funnel"), params={**window, "group_by": "source"}
            )
            assert answer.status_code == 200, answer.text
            if not answer.json()["rows"]:
                return at
    raise AssertionError("no quiet stretch in twenty tries")


@pytest.fixture(scope="module")
def t0(system: System) -> datetime:
    """A quiet past hour of its own, so this module's journeys are the only ones in its window."""
    return quiet_hour(system, datetime(2000, 1, 3, tzinfo=UTC), years=20)


async def test_funnel_and_attribution_over_backdated_journeys(
    system: System, client: httpx.AsyncClient, t0: datetime
) -> None:
    run = uuid4().hex[:6]
    google, linkedin, news = f"google-{run}", f"linkedin-{run}", f"newsletter-{run}"
    day = timedelta(days=1)
    first = await lead(client, system, google, t0)  # google → linkedin → newsletter → won 900
    await touch(client, system, first, linkedin, t0 + day)
    await touch(client, system, first, news, t0 + 2 * day)
    second = await lead(client, system, linkedin, t0)  # linkedin → google → won 300
    await touch(client, system, second, google, t0 + day)
    await lead(client, system, google, t0)  # google, no outcome
    rejected = await lead(client, system, news, t0)  # newsletter, rejected by sales: bad data
    await step(client, system, rejected, t0 + day, stage="rejected", reason="bad_data")
    await won(client, system, first, "900.00", t0 + 3 * day)
    await won(client, system, second, "300.00", t0 + 2 * day)
    window = {"from": (t0 - timedelta(hours=1)).isoformat(), "to": (t0 + 10 * day).isoformat()}
    url = system.url("reporting", "/v1/reports/attribution")

    async def projected() -> dict[str, Any]:
        answer = await client.get(url, params={**window, "group_by": "source"}, headers=system.headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert (body["journeys"], body["conversions"], body["revenue"]) == (4, 2, "1200.00"), body
        # every touch projected (touches and outcomes travel on different topics): the last touches
        last = {r["key"]: r["revenue"] for r in body["models"]["last_touch"]}
        assert last == {news: "900.00", google: "300.00"}, last
        return body

    report = await eventually(projected, within=60)
    assert set(report["models"]) == set(MODELS)
    for model, rows in report["models"].items():
        assert sum(r["conversions"] for r in rows) == pytest.approx(2, abs=1e-4), model
        assert sum(Decimal(r["revenue"]) for r in rows) == Decimal("1200.00"), model
    credits = {
        m: {r["key"]: (r["conversions"], r["revenue"]) for r in rows} for m, rows in report["models"].items()
    }
    assert credits["first_touch"] == {google: (1.0, "900.00"), linkedin: (1.0, "300.00")}
    assert credits["last_touch"] == {news: (1.0, "900.00"), google: (1.0, "300.00")}
    assert credits["linear"][google] == (pytest.approx(1 / 3 + 1 / 2, abs=1e-6), "450.00")
    assert credits["linear"][news] == (pytest.approx(1 / 3, abs=1e-6), "300.00")
    assert set(report["markov"]["removal_effects"]) == {google, linkedin, news}
    assert report["markov"]["transitions"]["(start)"] == pytest.approx(
        {google: 0.5, linkedin: 0.25, news: 0.25}
    )

    only = await client.get(
        url, params={**window, "group_by": "source", "models": "markov,linear"}, headers=system.headers
    )
    assert set(only.json()["models"]) == {"linear", "markov"}
    as_csv = await client.get(
        url,
        params={**window, "group_by": "source", "models": "first_touch"},
        headers=system.headers | {"Accept": "text/csv"},
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["model", "key", "conversions", "revenue"]
    assert sorted(rows[1:]) == [
        ["first_touch", google, "1.0", "900.00"],
        ["first_touch", linkedin, "1.0", "300.00"],
    ]

    # the funnel of the same leads: counts, rates, the sales cycle
    funnel = await client.get(
        system.url("reporting", "/v1/reports/funnel"),
        params={**window, "group_by": "source"},
        headers=system.headers,
    )
    assert funnel.status_code == 200, funnel.text
    by_source = {row["key"]: row for row in funnel.json()["rows"]}
    assert set(by_source) == {google, linkedin, news}  # a lead counts under its first touch
    assert (by_source[news]["leads"], by_source[news]["rejected"]) == (1, 1)
    assert (by_source[google]["leads"], by_source[google]["won"], by_source[google]["revenue"]) == (
        2,
        1,
        "900.00",
    )
    assert by_source[google]["rates"]["lead_to_won"] == 0.5
    assert by_source[google]["velocity_hours"]["sales_cycle"] == {"median": 72.0, "p90": 72.0}
    assert by_source[linkedin]["velocity_hours"]["sales_cycle"]["median"] == 48.0
    narrowed = await client.get(
        system.url("reporting", "/v1/reports/funnel"),
        params={**window, "group_by": "month", "source": linkedin, "format": "csv"},
        headers=system.headers,
    )
    table = list(csv.DictReader(io.StringIO(narrowed.text)))
    assert [(r["key"], r["leads"], r["won"], r["sales_cycle_median_hours"]) for r in table] == [
        (t0.strftime("%Y-%m-01"), "1", "1", "48.0")
    ]

    # the running reporting keeps the aggregates in the handler's transaction: the day's cell holds
    # the leads already, and the same answer comes from them
    pool = await create_pool(database_url("reporting"), size=1)
    try:
        async with pool.acquire() as conn:

            async def counted() -> None:
                leads = await conn.fetchval(
                    "SELECT leads FROM funnel_cells WHERE grain = 'day' AND dimension = 'source'"
                    " AND period = $1 AND key = $2",
                    datetime.combine(t0.date(), datetime.min.time(), tzinfo=UTC),
                    google,
                )
                assert leads == 2, leads

            await eventually(counted, within=30)
    finally:
        await pool.close()
    assert await projected() == report


async def test_the_issues_five_journeys_give_its_markov_removal_effects(
    system: System, client: httpx.AsyncClient
) -> None:
    """A>A>B (won, 90), A>B>A (won, 90), C (won, 30), B>C and C>B (no outcome), posted as leads,
    touches and sales' outcomes: P = 0.6, RE(A) = 0.575758, RE(B) = 0.555556, RE(C) = 0.466667."""
    # an hour of its own: no other test (nor the integration tests, on the same database) uses 1984-88
    t0 = quiet_hour(system, datetime(1984, 1, 2, tzinfo=UTC), years=5)
    run = uuid4().hex[:6]
    names = {channel: f"{channel}-{run}" for channel in "ABC"}
    journeys = [("AAB", "90.00"), ("ABA", "90.00"), ("C", "30.00"), ("BC", None), ("CB", None)]
    for number, (path, amount) in enumerate(journeys):
        at = t0 + timedelta(minutes=number)
        lead_id = await lead(client, system, names[path[0]], at)
        for hop, channel in enumerate(path[1:], start=1):
            await touch(client, system, lead_id, names[channel], at + timedelta(hours=hop))
        if amount:
            await won(client, system, lead_id, amount, at + timedelta(hours=len(path)))
    window = {"from": t0.isoformat(), "to": (t0 + timedelta(days=1)).isoformat(), "group_by": "source"}

    async def attributed() -> dict[str, Any]:
        answer = await client.get(
            system.url("reporting", "/v1/reports/attribution"), params=window, headers=system.headers
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert (body["journeys"], body["conversions"], body["revenue"]) == (5, 3, "210.00"), body
        # every touch projected: the first-order chain of the five paths, counted by hand
        # (start>A>B>conv, start>A>B>A>conv, start>C>conv, start>B>C>null, start>C>B>null)
        a, b, c = names["A"], names["B"], names["C"]
        assert body["markov"]["transitions"] == {  # as the report rounds them, to six places
            "(start)": {a: 0.4, b: 0.2, c: 0.4},
            a: {b: 0.666667, "(conversion)": 0.333333},
            b: {"(conversion)": 0.25, a: 0.25, c: 0.25, "(null)": 0.25},
            c: {"(conversion)": 0.333333, "(null)": 0.333333, b: 0.333333},
        }, body["markov"]["transitions"]
        return body

    report = await eventually(attributed, within=60)
    assert report["markov"]["conversion_probability"] == pytest.approx(0.6, abs=1e-6)
    effects = report["markov"]["removal_effects"]
    assert effects == pytest.approx(
        {names["A"]: 0.575758, names["B"]: 0.555556, names["C"]: 0.466667}, abs=1e-6
    )
    for model, rows in report["models"].items():
        assert sum(row["conversions"] for row in rows) == pytest.approx(3, abs=1e-4), model
        assert sum(Decimal(row["revenue"]) for row in rows) == Decimal("210.00"), model
    markov = {row["key"]: row["conversions"] for row in report["models"]["markov"]}
    assert markov[names["A"]] == pytest.approx(3 * 0.575758 / (0.575758 + 0.555556 + 0.466667), abs=1e-5)


async def test_bad_report_parameters_are_named(system: System, client: httpx.AsyncClient) -> None:
    url = system.url("reporting", "/v1/reports/attribution")
    window = {"from": "2025-01-01T00:00:00Z", "to": "2025-01-02T00:00:00Z"}
    wrong_model = await client.get(url, params={**window, "models": "linear,magic"}, headers=system.headers)
    assert wrong_model.status_code == 422
    assert "magic" in wrong_model.text
    assert "shapley" in wrong_model.text  # the allowed ones are listed
    for params in ({"group_by": "country"}, {"outcome": "lunch"}):
        answer = await client.get(url, params={**window, **params}, headers=system.headers)
        assert answer.status_code == 422, params
    backwards = await client.get(
        url, params={"from": window["to"], "to": window["from"]}, headers=system.headers
    )
    assert backwards.status_code == 422
    empty = await client.get(
        # a month no test writes (the rebuild test re-projects every event the test topics hold)
        url,
        params={"from": "1972-01-01T00:00:00Z", "to": "1972-02-01T00:00:00Z"},
        headers=system.headers,
    )
    assert empty.status_code == 200
    assert (empty.json()["journeys"], empty.json()["conversions"], empty.json()["models"]["linear"]) == (
        0,
        0,
        [],
    )
    assert (await client.get(url, params=window)).status_code == 401


async def test_lead_quality_names_sales_reasons_per_source(
    system: System, client: httpx.AsyncClient, t0: datetime
) -> None:
    """Runs after the journeys above: their rejected newsletter lead, by source and by score band."""
    window = {"from": (t0 - timedelta(hours=1)).isoformat(), "to": (t0 + timedelta(days=10)).isoformat()}
    url = system.url("reporting", "/v1/reports/quality")
    answer = await client.get(url, params={**window, "group_by": "source"}, headers=system.headers)
    assert answer.status_code == 200, answer.text
    rows = {row["key"]: row for row in answer.json()["rows"]}
    (news,) = [key for key in rows if key.startswith("newsletter-")]
    assert (rows[news]["rejected"], rows[news]["rejected_by_reason"]) == (1, {"bad_data": 1})
    assert rows[news]["recycled_by_reason"] == {"rejected_by_sales": 1}
    (google,) = [key for key in rows if key.startswith("google-")]
    assert (rows[google]["won"], rows[google]["sql_to_won"]) == (1, 1.0)
    bands = await client.get(url, params={**window, "group_by": "score_band"}, headers=system.headers)
    assert bands.status_code == 200
    assert sum(row["leads"] for row in bands.json()["rows"]) == 4
    as_csv = await client.get(url, params={**window, "format": "csv"}, headers=system.headers)
    assert as_csv.text.splitlines()[0] == "key,leads,mqls,sqls,won,mql_to_sql,sql_to_won,kind,reason,count"
    assert f"{news},1,0,0,0,,,rejected,bad_data,1" in as_csv.text


async def test_speed_to_lead_per_source(system: System, client: httpx.AsyncClient) -> None:
    source = f"speedy-{uuid4().hex[:6]}"
    qualified = await system.tail("lead.qualified")
    body = {**QUALIFYING, "email": f"{uuid4().hex[:10]}@speed.example", "utm_source": source}
    posted = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["lead_id"]
    (assignment,) = await qualified.events_for(lead_id, within=60)
    await qualified.stop()
    owner = assignment["data"]["owner"]

    async def accepted() -> None:
        sla = await client.get(system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=system.headers)
        assert sla.json()["owner"] is not None, "sla-monitor has not taken the assignment yet"
        answer = await client.post(
            system.url("sla-monitor", f"/v1/leads/{lead_id}/progress"),
            json={"stage": "accepted"},
            headers=system.headers,
        )
        assert answer.status_code == 202, answer.text

    await eventually(accepted)
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}

    async def measured() -> dict[str, Any]:
        answer = await client.get(
            system.url("reporting", "/v1/reports/speed"),
            params={**window, "group_by": "source"},
            headers=system.headers,
        )
        assert answer.status_code == 200, answer.text
        rows = [r for r in answer.json()["rows"] if r["key"] == source]
        assert rows, "the lead is not projected yet"
        (row,) = rows
        assert row["business_minutes"]["accept"]["median"] is not None, "the acceptance is not projected yet"
        return dict(row)

    row = await eventually(measured, within=60)
    assert (row["leads"], row["assigned"], row["no_human_step"]) == (1, 1, 0)
    assert owner is not None
    # a lead posted now is assigned within seconds; the accept clock ran on business minutes
    assert 0 <= row["wall_minutes"]["to_assignment"]["median"] < 5
    assert row["wall_minutes"]["to_acceptance"]["median"] >= row["wall_minutes"]["to_assignment"]["median"]
    assert row["business_minutes"]["accept"]["median"] >= 0
    wrong = await client.get(
        system.url("reporting", "/v1/reports/speed"),
        params={**window, "group_by": "hour", "timezone": "Mars/Olympus"},
        headers=system.headers,
    )
    assert wrong.status_code == 422
    by_hour = await client.get(
        system.url("reporting", "/v1/reports/speed"),
        params={**window, "group_by": "weekday", "timezone": "Europe/Berlin", "format": "csv"},
        headers=system.headers,
    )
    assert by_hour.status_code == 200
    assert by_hour.text.startswith(
        "key,leads,assigned,breached,breach_rate,no_human_step,wall_to_assignment_median"
    )


async def test_spend_roi_and_goals(
    system: System, client: httpx.AsyncClient, t0: datetime, tmp_path: Any
) -> None:
    """Runs after the journeys above: spend on their google source, and what it bought under linear."""
    google = await _source_of(client, system, t0, "google-")
    first_day = t0.date()
    spend = {
        "entries": [
            {
                "from": str(first_day),
                "to": str(first_day),
                "source": google,
                "amount": "400.00",
                "currency": "EUR",
            },
        ]
    }
    put = await client.put(system.url("reporting", "/v1/spend"), json=spend, headers=system.headers)
    assert put.status_code == 200, put.text
    # the rest of it from a CSV file, through the CLI; a wrong file is refused naming the line
    csv_file = tmp_path / "spend.csv"
    csv_file.write_text(
        f"from,to,channel,source,campaign,amount,currency\n{first_day},{first_day},,{google},brand,200.00,EUR\n"
    )
    imported = system.leadloop_cli("reporting", "spend", "import", str(csv_file))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(f"from,to,source,amount,currency\n{first_day},{first_day},{google},-5,EUR\n")
    refused = system.leadloop_cli("reporting", "spend", "import", str(wrong))
    assert refused.returncode == 1
    assert "line 2: amount" in refused.stderr
    bad = await client.put(
        system.url("reporting", "/v1/spend"),
        content="from,to,amount,currency\n2026-01-02,2026-01-01,5,EUR\n",
        headers=system.headers | {"Content-Type": "text/csv"},
    )
    assert bad.status_code == 422
    assert "line 2" in bad.text

    window = {"from": (t0 - timedelta(hours=1)).isoformat(), "to": (t0 + timedelta(days=10)).isoformat()}
    roi = await client.get(
        system.url("reporting", "/v1/reports/roi"),
        params={**window, "group_by": "source", "model": "linear"},
        headers=system.headers,
    )
    assert roi.status_code == 200, roi.text
    (row,) = [r for r in roi.json()["rows"] if r["key"] == google]
    # 600 spent; two leads came in on google; linear credits it 1/3 + 1/2 of a customer and 300 + 150
    assert (row["spend"], row["leads"], row["cost_per_lead"]) == ("600.00", 2, "300.00")
    assert row["customers"] == pytest.approx(5 / 6, abs=1e-6)
    assert (row["revenue"], row["roi"], row["roas"]) == ("450.00", -0.25, 0.75)
    assert row["cac"] == "720.00"

    # a $1M target with every rate and the deal size given: the needs follow from them alone
    target = {
        "revenue_target": "1000000",
        "average_deal": "10000",
        "lead_to_mql": 0.5,
        "mql_to_sql": 0.5,
        "sql_to_opportunity": 0.5,
        "opportunity_to_won": 0.1,
    }
    goals = await client.get(
        system.url("reporting", "/v1/reports/goals"),
        params={**target, "period": "quarter"},
        headers=system.headers,
    )
    assert goals.status_code == 200, goals.text
    body = goals.json()
    assert body["per_period"] == {
        "leads": 8000,
        "mqls": 4000,
        "sqls": 2000,
        "opportunities": 1000,
        "won": 100,
    }
    assert body["per_month"] == {"leads": 2667, "mqls": 1334, "sqls": 667, "opportunities": 334, "won": 34}
    assert Decimal(body["pipeline_value"]) == body["open_opportunities"] * 10000
    as_csv = await client.get(
        system.url("reporting", "/v1/reports/goals"),
        params={**target, "format": "csv"},
        headers=system.headers,
    )
    assert as_csv.text.splitlines()[1] == "period,8000,4000,2000,1000,100"


async def _source_of(client: httpx.AsyncClient, system: System, t0: datetime, prefix: str) -> str:
    window = {"from": (t0 - timedelta(hours=1)).isoformat(), "to": (t0 + timedelta(days=10)).isoformat()}
    funnel = await client.get(
        system.url("reporting", "/v1/reports/funnel"),
        params={**window, "group_by": "source"},
        headers=system.headers,
    )
    (source,) = [row["key"] for row in funnel.json()["rows"] if row["key"].startswith(prefix)]
    return str(source)

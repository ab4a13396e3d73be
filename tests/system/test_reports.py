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

from leadkit.testing import eventually
from tests.system.fixtures import System

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


async def won(client: httpx.AsyncClient, system: System, lead_id: str, amount: str, at: datetime) -> None:
    """A deal sales closed from the CRM for a lead that never qualified: its first step may be won."""

    async def reported() -> None:
        answer = await client.post(
            system.url("sla-monitor", f"/v1/leads/{lead_id}/progress"),
            json={"stage": "won", "amount": amount, "currency": "EUR", "occurred_at": at.isoformat()},
            headers=system.headers,
        )
        assert answer.status_code == 202, answer.text

    await eventually(reported)


@pytest.fixture(scope="module")
def t0() -> datetime:
    """A quiet past hour of its own, so this module's journeys are the only ones in its window."""
    return datetime(2025, 1, 6, tzinfo=UTC) + timedelta(hours=random.randrange(0, 24 * 300))


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
    await won(client, system, first, "900.00", t0 + 3 * day)
    await won(client, system, second, "300.00", t0 + 2 * day)
    window = {"from": (t0 - timedelta(hours=1)).isoformat(), "to": (t0 + 10 * day).isoformat()}
    url = system.url("reporting", "/v1/reports/attribution")

    async def projected() -> dict[str, Any]:
        answer = await client.get(url, params={**window, "group_by": "source"}, headers=system.headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert (body["journeys"], body["conversions"], body["revenue"]) == (3, 2, "1200.00"), body
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
    assert report["markov"]["transitions"]["(start)"] == pytest.approx({google: 2 / 3, linkedin: 1 / 3})

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
    assert set(by_source) == {google, linkedin}  # a lead counts under its first touch
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
        url, params={"from": "1990-01-01T00:00:00Z", "to": "1990-02-01T00:00:00Z"}, headers=system.headers
    )
    assert empty.status_code == 200
    assert (empty.json()["journeys"], empty.json()["conversions"], empty.json()["models"]["linear"]) == (
        0,
        0,
        [],
    )
    assert (await client.get(url, params=window)).status_code == 401

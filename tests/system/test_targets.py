"""Monthly targets at reporting: an admin saves them, anyone may read them, and the overview
measures a window against each month's target in proportion to the part of the month it covers."""

from __future__ import annotations

import httpx

from tests.system.browser import console_key
from tests.system.fixtures import System


async def test_targets_are_saved_by_an_admin_and_prorated_by_the_overview(
    system: System, client: httpx.AsyncClient
) -> None:
    viewer = {"X-API-Key": console_key(system, "viewer")}
    url = system.url("reporting", "/v1/targets/2031-03")
    target = {"mqls": 310, "revenue": "31000.00"}
    assert (await client.put(url, json=target, headers=viewer)).status_code == 403
    saved = await client.put(url, json=target, headers=system.headers)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["month"], saved.json()["mqls"], saved.json()["updated_by"]) == (
        "2031-03",
        310,
        "system-0",
    )
    listed = await client.get(
        system.url("reporting", "/v1/targets"),
        params={"from": "2031-03", "through": "2031-03"},
        headers=viewer,
    )
    assert [(t["month"], t["mqls"], t["revenue"], t["leads"]) for t in listed.json()] == [
        ("2031-03", 310, "31000.00", None)
    ]
    overview = await client.get(
        system.url("reporting", "/v1/reports/overview"),
        params={"from": "2031-03-01T00:00:00Z", "to": "2031-03-11T00:00:00Z"},
        headers=viewer,
    )
    assert overview.status_code == 200, overview.text
    assert overview.json()["targets"] == {
        "leads": None,
        "mqls": 100,
        "sqls": None,
        "won": None,
        "revenue": "10000.00",
    }
    # a window reaching into a month without targets has none for it
    longer = await client.get(
        system.url("reporting", "/v1/reports/overview"),
        params={"from": "2031-03-01T00:00:00Z", "to": "2031-04-02T00:00:00Z"},
        headers=viewer,
    )
    assert longer.json()["targets"]["mqls"] is None
    assert (await client.delete(url, headers=system.headers)).status_code == 204
    assert (await client.delete(url, headers=system.headers)).status_code == 404


async def test_a_wrong_target_is_a_422_naming_it(system: System, client: httpx.AsyncClient) -> None:
    base = system.url("reporting", "/v1/targets")
    for month, body in [
        ("2031-13", {"mqls": 1}),
        ("1999-12", {"mqls": 1}),
        ("2031-3", {"mqls": 1}),
        ("2031-03", {"mqls": -1}),
        ("2031-03", {"mqls": 10**12}),
        ("2031-03", {"revenue": "NaN"}),
        ("2031-03", {"revenue": "0.001"}),
        ("2031-03", {"pipeline": 5}),
    ]:
        answer = await client.put(f"{base}/{month}", json=body, headers=system.headers)
        assert answer.status_code == 422, (month, body, answer.text)

"""The SLA screen's API against the running system (the test policy's accept clock runs 4 s): a
lead nobody accepts breaches; it is listed to acknowledge, counted in the heat map at its due
weekday and hour, and acknowledged once, by an operator, with a note kept on the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx

from leadkit.testing import eventually
from tests.system.fixtures import QUALIFYING, System


def console_key(system: System, role: str, *options: str) -> str:
    created = system.leadloop_cli("console-keys", "create", "--name", f"sla-{role}", "--role", role, *options)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


async def breached_clock(system: System, client: httpx.AsyncClient) -> dict[str, Any]:
    posted = await client.post(
        system.url("capture", "/v1/leads"),
        json={"email": f"{uuid4().hex[:10]}@breach.example", **QUALIFYING},
        headers=system.headers,
    )
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["lead_id"]

    async def listed() -> dict[str, Any]:
        answer = await client.get(
            system.url("sla-monitor", "/v1/sla/breaching"), params={"limit": 500}, headers=system.headers
        )
        assert answer.status_code == 200, answer.text
        found = [c for c in answer.json()["breached"] if c["lead_id"] == lead_id and c["clock"] == "accept"]
        assert found, "not breached yet"
        return found[-1]  # newest first: the first owner's clock is the last

    return await eventually(listed, within=60)


async def test_a_breach_is_listed_counted_and_acknowledged_once(
    system: System, client: httpx.AsyncClient
) -> None:
    clock = await breached_clock(system, client)
    assert clock["status"] == "breached"
    assert clock["acknowledged_at"] is None
    assert clock["breached_at"] >= clock["due_at"]

    due = datetime.fromisoformat(clock["due_at"])
    for zone in ("UTC", "Asia/Kolkata"):  # +05:30: another hour, maybe another weekday
        heat = await client.get(
            system.url("sla-monitor", "/v1/sla/breaches/heatmap"),
            params={
                "from": clock["due_at"],
                "to": (due + timedelta(microseconds=1)).isoformat(),
                "timezone": zone,
                "team": clock["team"],
            },
            headers=system.headers,
        )
        assert heat.status_code == 200, heat.text
        local = due.astimezone(ZoneInfo(zone))
        assert heat.json()["total"] >= 1
        assert {
            "weekday": local.weekday(),
            "hour": local.hour,
            "breaches": heat.json()["total"],
        } in heat.json()["cells"]

    viewer, operator = console_key(system, "viewer"), console_key(system, "operator")
    url = system.url("sla-monitor", f"/v1/sla/breaches/{clock['id']}/acknowledge")
    note = f"called the rep, Ada takes it ({uuid4().hex[:6]})"
    refused = await client.post(url, json={"note": note}, headers={"X-API-Key": viewer})
    assert refused.status_code == 403
    blank = await client.post(url, json={"note": "   "}, headers={"X-API-Key": operator})
    assert blank.status_code == 422
    done = await client.post(url, json={"note": note}, headers={"X-API-Key": operator})
    assert done.status_code == 200, done.text
    assert (done.json()["acknowledged_by"], done.json()["acknowledgement"]) == ("sla-operator", note)
    again = await client.post(url, json={"note": "twice"}, headers=system.headers)
    assert again.status_code == 409
    assert "sla-operator" in again.json()["detail"]

    # no longer waiting for a manager; still there when asked for the acknowledged ones too
    breaching = system.url("sla-monitor", "/v1/sla/breaching")
    waiting = (await client.get(breaching, params={"limit": 500}, headers=system.headers)).json()
    assert clock["id"] not in [c["id"] for c in waiting["breached"]]
    everything = await client.get(
        breaching, params={"limit": 500, "acknowledged": "true"}, headers=system.headers
    )
    assert clock["id"] in [c["id"] for c in everything.json()["breached"]]

    # the lead's story carries it; a key without personal data sees that a note exists, not its words
    story = system.url("sla-monitor", f"/v1/leads/{clock['lead_id']}/sla")
    shown = (await client.get(story, headers=system.headers)).json()
    acknowledged = [c for c in shown["clocks"] if c["acknowledged_at"]]
    assert [(c["acknowledged_by"], c["acknowledgement"]) for c in acknowledged] == [("sla-operator", note)]
    masked = (await client.get(story, headers={"X-API-Key": viewer})).json()
    assert note not in str(masked)
    assert [c["acknowledged_by"] for c in masked["clocks"] if c["acknowledged_at"]] == ["sla-operator"]


async def test_only_a_breach_is_acknowledged_and_odd_input_is_a_4xx(
    system: System, client: httpx.AsyncClient
) -> None:
    clock = await breached_clock(system, client)
    listed = (
        await client.get(
            system.url("sla-monitor", "/v1/sla/breaching"), params={"limit": 500}, headers=system.headers
        )
    ).json()
    for running in listed["due"]:
        assert running["seconds_left"] is not None
        assert running["status"] == "pending"
    base = system.url("sla-monitor", "/v1/sla/breaches")
    assert (
        await client.post(f"{base}/{2**62}/acknowledge", json={"note": "x"}, headers=system.headers)
    ).status_code == 404
    assert (
        await client.post(f"{base}/{2**63}/acknowledge", json={"note": "x"}, headers=system.headers)
    ).status_code == 422
    assert (
        await client.post(f"{base}/0/acknowledge", json={"note": "x"}, headers=system.headers)
    ).status_code == 422
    long_note = {"note": "x" * 1001}
    assert (
        await client.post(f"{base}/{clock['id']}/acknowledge", json=long_note, headers=system.headers)
    ).status_code == 422
    heat = f"{base}/heatmap"
    window = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}
    assert (
        await client.get(heat, params=window | {"timezone": "Mars/Olympus"}, headers=system.headers)
    ).status_code == 422
    backwards = {"from": window["to"], "to": window["from"]}
    assert (await client.get(heat, params=backwards, headers=system.headers)).status_code == 422


async def test_a_breach_note_goes_when_the_person_is_erased(
    system: System, client: httpx.AsyncClient
) -> None:
    clock = await breached_clock(system, client)
    url = system.url("sla-monitor", f"/v1/sla/breaches/{clock['id']}/acknowledge")
    acknowledged = await client.post(
        url, json={"note": "Grace asked to be called Monday"}, headers=system.headers
    )
    assert acknowledged.status_code == 200, acknowledged.text
    erased = await client.post(
        system.url("capture", "/v1/erasures"), json={"lead_id": clock["lead_id"]}, headers=system.headers
    )
    assert erased.status_code in (200, 202), erased.text
    story = system.url("sla-monitor", f"/v1/leads/{clock['lead_id']}/sla")

    async def forgotten() -> list[Any]:
        clocks = (await client.get(story, headers=system.headers)).json()["clocks"]
        kept = [(c["acknowledged_by"], c["acknowledgement"]) for c in clocks if c["acknowledged_at"]]
        assert kept == [("system-0", None)], kept
        return kept

    await eventually(forgotten, within=60)

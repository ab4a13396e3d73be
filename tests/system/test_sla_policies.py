"""The SLA policy on the real system: a tier with accept and first-contact clocks; the lead
accepted, first contact missed — the warning, the breach, the reassignment; an impossible step
refused with the allowed ones; a CRM's outcomes imported; compliance per rep; the marketing side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from leadkit.api_keys import PREFIX_RANDOM_CHARACTERS
from leadkit.testing import eventually
from tests.system.fixtures import QUALIFYING, System, active_routing_policy, active_sla_policy

FIRST_CONTACT_SECONDS = 6


async def routed_team(client: httpx.AsyncClient, system: System, team: str, reps: int) -> None:
    routing = system.url("routing", "")
    made = await client.put(f"{routing}/v1/teams/{team}", json={"name": team}, headers=system.headers)
    assert made.status_code == 200, made.text
    for number in range(reps):
        rep = await client.put(
            f"{routing}/v1/reps/{team}-{number}",
            json={"name": f"Rep {number}", "email": f"rep{number}@example.com", "team": team},
            headers=system.headers,
        )
        assert rep.status_code == 200, rep.text


async def test_a_policy_with_a_wrong_part_is_refused_with_its_path(
    system: System, client: httpx.AsyncClient
) -> None:
    url = system.url("sla-monitor", "/v1/sla/policies/validate")
    text = '[[tiers]]\nname = "x"\naccept = { minutes = 0 }\ncalendar = { timezone = "UTC", hours = "" }\n'
    refused = await client.post(
        url, content=text, headers=system.headers | {"Content-Type": "application/toml"}
    )
    assert refused.status_code == 422, refused.text
    paths = {problem["path"] for problem in refused.json()["problems"]}
    assert {"tiers[0].accept", "tiers[0].calendar.hours"} <= paths
    missing = '[[tiers]]\nname = "x"\nteam_calendar = "no-such-team"\n'
    refused = await client.post(
        url, content=missing, headers=system.headers | {"Content-Type": "application/toml"}
    )
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["path"] == "tiers[0].team_calendar"


async def test_first_contact_missed_warns_breaches_and_reassigns_and_outcomes_import(
    system: System, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    run = uuid4().hex[:6]
    team = f"sla-{run}"
    await routed_team(client, system, team, reps=2)
    routing_policy = f'[[rules]]\nid = "sla"\nwhen = {{ "attributes.desk" = "{run}" }}\nteam = "{team}"\n'
    routing_policy += '[fallback]\nteam = "sales"\n'
    sla_policy = (
        f'[[tiers]]\nname = "fast-{run}"\nwhen = {{ team = "{team}" }}\nmax_reassignments = 2\n'
        "accept = { minutes = 2 }\n"
        f"first_contact = {{ minutes = {FIRST_CONTACT_SECONDS / 60}, warn_share = 0.5 }}\n"
        f'[[targets]]\nteam = "{team}"\nmqls = 5\nmin_accepted_share = 0.5\n'
        + (Path(__file__).parent / "sla_policy.toml").read_text()
    )
    qualified_tail = await system.tail("lead.qualified")
    warned_tail = await system.tail("lead.sla_warned")
    breached_tail = await system.tail("lead.sla_breached")
    headers = system.headers
    email = f"{run}@sla-{run}.example"
    # the policies stay active to the end: a reassignment picks its tier by the active one
    async with (
        active_routing_policy(client, system, routing_policy),
        active_sla_policy(client, system, sla_policy),
    ):
        posted = await client.post(
            system.url("capture", "/v1/leads"),
            json={**QUALIFYING, "email": email, "desk": run},
            headers=headers,
        )
        assert posted.status_code == 202, posted.text
        lead_id = posted.json()["lead_id"]
        (first,) = await qualified_tail.events_for(lead_id, within=60)
        assert first["data"]["team"] == team
        progress = system.url("sla-monitor", f"/v1/leads/{lead_id}/progress")

        async def assigned(owner: str) -> None:  # sla-monitor took the assignment (not only the capture)
            sla = await client.get(system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=headers)
            assert sla.status_code == 200, sla.text
            assert sla.json()["owner"] == owner

        await eventually(lambda: assigned(first["data"]["owner"]))
        answer = await client.post(progress, json={"stage": "accepted"}, headers=headers)
        assert answer.status_code == 202, answer.text
        # nobody reports a contact: the warning at half of first contact's target, then the breach
        (warning,) = await warned_tail.events_for(lead_id, within=60)
        (breach,) = await breached_tail.events_for(lead_id, within=60)
        first_again, second = await qualified_tail.events_for(lead_id, count=2, within=60)
        for tail in (qualified_tail, warned_tail, breached_tail):
            await tail.stop()

        assert first_again["id"] == first["id"]
        assert (warning["data"]["policy"], warning["data"]["share"]) == ("first_contact", 0.5)
        assert warning["data"]["owner"] == first["data"]["owner"]
        assert breach["data"]["policy"] == "first_contact"
        assert (breach["data"]["escalation"], breach["data"]["tier"], breach["data"]["team"]) == (
            "reassign",
            f"fast-{run}",
            team,
        )
        assert warning["occurred_at"] < breach["occurred_at"]
        assert second["causation_id"] == breach["id"]
        assert second["data"]["owner"] != first["data"]["owner"]

        # the new owner starts from acceptance: won now is an impossible step
        await eventually(lambda: assigned(second["data"]["owner"]))
        refused = await client.post(progress, json={"stage": "won", "amount": "10.00"}, headers=headers)
        assert refused.status_code == 409, refused.text
        assert refused.json()["current"] is None
        assert refused.json()["allowed"] == ["accepted", "rejected"]

        sla = await client.get(system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=headers)
        assert sla.status_code == 200, sla.text
        clocks = sla.json()["clocks"]
        by_clock = {(c["clock"], c["owner"]): c for c in clocks}
        met = by_clock[("accept", first["data"]["owner"])]
        assert (met["status"], met["met_in_time"], met["met_by"]) == ("met", True, first["data"]["owner"])
        missed = by_clock[("first_contact", first["data"]["owner"])]
        assert (missed["status"], missed["met_in_time"], missed["warned"]) == ("breached", False, True)
        assert missed["business_minutes"] == FIRST_CONTACT_SECONDS / 60 == missed["target_minutes"]
        assert sla.json()["tier"] == f"fast-{run}"
        assert [step["stage"] for step in sla.json()["steps"]] == ["accepted"]

        # a CRM's history in time order whatever the file's order, even when one row names the lead
        # by id and a later line, of an earlier step, by email; a bad row and an unknown one
        now = datetime.now(UTC)
        csv_file = tmp_path / "outcomes.csv"
        csv_file.write_text(
            "email,lead_id,stage,reason,amount,currency,occurred_at\n"
            f",{lead_id},won,,4200.00,EUR,{now.isoformat()}\n"
            f"{email},,accepted,,,,{(now - timedelta(seconds=1)).isoformat()}\n"
            f"{email},,promoted,,,,{now.isoformat()}\n"
            f"nobody-{run}@example.com,,accepted,,,,{now.isoformat()}\n"
            f",{uuid4()},lost,whatever,,,\n"
        )
        imported = system.leadloop_cli("import", "outcomes", str(csv_file))
        assert imported.returncode == 1, imported.stdout + imported.stderr
        assert "imported 2, already imported 0, refused 3" in imported.stdout
        assert "line 4: stage" in imported.stdout
        assert "line 5: no lead with that email" in imported.stdout
        assert "line 6: unknown reason code 'whatever' for lost" in imported.stdout
        again = system.leadloop_cli("import", "outcomes", str(csv_file))
        assert "imported 0, already imported 2, refused 3" in again.stdout

        sla = await client.get(system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=headers)
        steps = sla.json()["steps"]
        assert [(s["stage"], s["via"]) for s in steps] == [
            ("accepted", "api"),
            ("accepted", "import"),
            ("won", "import"),
        ]
        assert steps[-1]["amount"] == "4200.00"

        # compliance per rep: the first owner met accept and breached first contact
        window = {
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
        }
        report = await client.get(
            system.url("sla-monitor", "/v1/sla/compliance"), params={**window, "team": team}, headers=headers
        )
        assert report.status_code == 200, report.text
        rows = {(r["clock"], r["level"], r["rep"]): r for r in report.json()["rows"]}
        first_owner = first["data"]["owner"]
        assert (
            rows[("accept", "rep", first_owner)]["met"],
            rows[("accept", "rep", first_owner)]["breached"],
        ) == (1, 0)
        contact = rows[("first_contact", "rep", first_owner)]
        assert (contact["met"], contact["breached"], contact["met_share"]) == (0, 1, 0.0)
        assert contact["median_business_minutes"] == FIRST_CONTACT_SECONDS / 60
        assert (
            rows[("accept", "team", None)]["met"] == 2
        )  # the first owner's, and the import's for the second

        # the same window through a draft with a one-minute accept clock: both accepts here took
        # seconds, so they still meet it; the missed first contact stays breached
        strict = sla_policy.replace("accept = { minutes = 2 }", "accept = { minutes = 1 }")
        drafted = await client.post(
            system.url("sla-monitor", "/v1/sla/policies"),
            content=strict,
            headers=headers | {"Content-Type": "application/toml"},
        )
        assert drafted.status_code == 201, drafted.text
        simulated = await client.post(
            system.url("sla-monitor", f"/v1/sla/policies/{drafted.json()['version']}/simulate"),
            params=window,
            headers=headers,
        )
        assert simulated.status_code == 200, simulated.text
        ours = simulated.json()["by_clock"]
        assert ours["accept"]["draft"].get("met", 0) >= 2
        assert ours["first_contact"]["draft"].get("breached", 0) >= 1

        backwards = await client.get(
            system.url("sla-monitor", "/v1/sla/compliance"),
            params={"from": window["to"], "to": window["from"]},
            headers=headers,
        )
        assert backwards.status_code == 422

        # the marketing side: one MQL delivered to this team this month, accepted, against a target of 5
        marketing = await client.get(system.url("sla-monitor", "/v1/sla/marketing"), headers=headers)
        assert marketing.status_code == 200, marketing.text
        (row,) = [r for r in marketing.json()["rows"] if r["team"] == team]
        expected: dict[str, Any] = {"delivered": 1, "accepted": 1, "rejected": 0, "volume_met": False}
        assert {key: row[key] for key in expected} == expected
        assert row["target"]["mqls"] == 5
        wrong = await client.get(
            system.url("sla-monitor", "/v1/sla/marketing"), params={"period": "2026-13"}, headers=headers
        )
        assert wrong.status_code == 422


async def test_a_sales_tool_reports_with_its_own_progress_key_and_nothing_more(
    system: System, client: httpx.AsyncClient
) -> None:
    run = uuid4().hex[:6]
    created = system.leadloop_cli("sla", "keys", "create", "--name", f"crm-{run}")
    assert created.returncode == 0, created.stdout + created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("ll_sla_crm")
    tool = {"X-API-Key": key}
    # a lead that does not qualify: sales closed it from the CRM all the same
    posted = await client.post(
        system.url("capture", "/v1/leads"),
        json={"email": f"{run}@closed-{run}.example"},
        headers=system.headers,
    )
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["lead_id"]
    sla = system.url("sla-monitor", f"/v1/leads/{lead_id}/sla")

    async def known() -> None:
        answer = await client.get(sla, headers=tool)
        assert answer.status_code == 200, answer.text

    await eventually(known)
    won = await client.post(
        system.url("sla-monitor", f"/v1/leads/{lead_id}/progress"),
        json={"stage": "won", "amount": "990.00", "currency": "EUR"},
        headers=tool,
    )
    assert won.status_code == 202, won.text
    # management and reports need a system key
    for path in ("/v1/sla/policies", "/v1/sla/calendars", "/v1/sla/marketing"):
        refused = await client.get(system.url("sla-monitor", path), headers=tool)
        assert refused.status_code == 401, path
    listed = system.leadloop_cli("sla", "keys", "list")
    assert f"crm-{run}" in listed.stdout
    assert key not in listed.stdout
    prefix = key[: len(f"ll_sla_crm{run}_") + PREFIX_RANDOM_CHARACTERS]
    assert prefix in listed.stdout
    revoked = system.leadloop_cli("sla", "keys", "revoke", prefix)
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert (await client.get(sla, headers=tool)).status_code == 401

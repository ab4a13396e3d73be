"""Routing on the real system: reps, accounts and a policy loaded the way docs/routing.md shows, leads
posted to capture, decisions read from lead.qualified and routing's API; two instances at once."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from leadkit.testing import eventually
from tests.system.fixtures import QUALIFYING, System, active_routing_policy, metric_total


def _csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join((header, *rows)) + "\n")
    return path


async def _post(client: httpx.AsyncClient, system: System, email: str, **fields: Any) -> str:
    body = {**QUALIFYING, "email": email, **fields}
    response = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["lead_id"])


async def test_reps_accounts_and_a_policy_route_each_lead_with_a_reason_fairly_and_on_after_a_breach(
    system: System, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    run = uuid4().hex[:6]
    emea, amer = f"emea-{run}", f"amer-{run}"
    ana, ben, cat, dan, olga = (f"{name}-{run}" for name in ("ana", "ben", "cat", "dan", "olga"))
    reps_csv = _csv(
        tmp_path / "reps.csv",
        "id,name,email,team,weight,timezone,hours,skills",
        f"{ana},Ana Ruiz,ana-{run}@example.com,{emea},2,Europe/Berlin,,language:de",
        f"{ben},Ben Ode,ben-{run}@example.com,{emea},1,Europe/Paris,,language:fr",
        f"{cat},Cat Ng,cat-{run}@example.com,{emea},1,Europe/London,,",
        f"{dan},Dan Lee,dan-{run}@example.com,{amer},1,America/New_York,,",
        f"{olga},Olga Berg,olga-{run}@example.com,{amer},1,America/Chicago,,",
        f"bad-{run},No Email,,{emea},1,Mars/Olympus,,",
    )
    imported = system.leadloop_cli("routing", "reps", "import", str(reps_csv))
    assert imported.returncode == 1, imported.stdout + imported.stderr  # the one bad row is refused
    assert "5 reps written" in imported.stdout
    assert f"bad-{run}" in imported.stdout
    accounts_csv = _csv(
        tmp_path / "accounts.csv",
        "id,name,owner,domains",
        f"acme-{run},Acme {run} Inc.,{olga},acme-{run}.example",
        f"globex-{run},Globex {run} GmbH,{dan},",
    )
    loaded = system.leadloop_cli("routing", "accounts", "import", str(accounts_csv))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr

    today = datetime.now(UTC).date()
    away = await client.put(
        system.url("routing", f"/v1/reps/{cat}/availability"),
        json={
            "absences": [
                {
                    "starts": str(today - timedelta(days=1)),
                    "ends": str(today + timedelta(days=2)),
                    "reason": "vacation",
                }
            ]
        },
        headers=system.headers,
    )
    assert away.status_code == 200, away.text
    assert away.json()["absences"][0]["reason"] == "vacation"

    policy = f"""
[regions]
emea = ["DE", "FR", "ES"]

[[rules]]
id = "owned-accounts"
when = {{ account_owned = true }}
account_owner = true
fallback = {{ team = "{amer}" }}

[[rules]]
id = "emea-region"
when = {{ region = "emea" }}
team = "{emea}"

[fallback]
team = "{amer}"
"""
    # a policy naming a team that does not exist is refused with the path of the wrong part
    url = system.url("routing", "/v1/routing/policies")
    toml = system.headers | {"Content-Type": "application/toml"}
    wrong = await client.post(
        url, content=policy.replace(f'team = "{emea}"', 'team = "nowhere"'), headers=toml
    )
    assert wrong.status_code == 422
    assert [p["path"] for p in wrong.json()["problems"]] == ["rules[1].team"]
    unfallen = await client.post(url, content=policy.split("[fallback]")[0], headers=toml)
    assert unfallen.status_code == 422
    assert "fallback" in [p["path"] for p in unfallen.json()["problems"]]

    qualified = await system.tail("lead.qualified")
    started = datetime.now(UTC)
    async with active_routing_policy(client, system, policy) as version:
        owned = await _post(client, system, f"buyer@acme-{run}.example", country="US")
        by_name = await _post(client, system, f"cfo@globex-{run}-mail.example", company=f"GLOBEX {run}, Ltd.")
        regional = [await _post(client, system, f"p{i}@other-{run}.example", country="DE") for i in range(3)]
        (first_owned,) = await qualified.events_for(owned, within=60)
        assert first_owned["data"]["owner"] == olga
        assert first_owned["data"]["rule"] == "owned-accounts"
        assert first_owned["data"]["policy_version"] == version
        assert "account's owner" in first_owned["data"]["reason"]
        (first_by_name,) = await qualified.events_for(by_name, within=60)
        assert first_by_name["data"]["owner"] == dan
        firsts = [(await qualified.events_for(lead, within=60))[0] for lead in regional]
        assert {e["data"]["team"] for e in firsts} == {emea}
        assert {e["data"]["rule"] for e in firsts} == {"emea-region"}
        # weights 2:1:1 with cat away: three turns give ana two and ben one; cat is passed over each time
        assert Counter(e["data"]["owner"] for e in firsts) == {ana: 2, ben: 1}
        for event in firsts:
            assert any(p["rep_id"] == cat and "absent" in p["why"] for p in event["data"]["passed_over"])

        record = await client.get(
            system.url("routing", f"/v1/leads/{regional[0]}/routing"), headers=system.headers
        )
        assert record.status_code == 200
        decision = record.json()["assignments"][0]
        assert decision["policy_version"] == version
        assert decision["rule"] == "emea-region"
        assert {c["rep_id"]: c["why"] for c in decision["candidates"]}[cat] == "absent"
        assert decision["tie_break"]
        assert decision["decision_us"] is not None
        assert decision["inputs"]["profile"]["country"] == "DE"

        # the SLA (4 s in this system) runs out: each lead moves to the next rep of its team, never back
        for lead, first in zip(regional, firsts, strict=True):
            _, second = await qualified.events_for(lead, count=2, within=60)
            assert second["data"]["team"] == emea
            assert second["data"]["owner"] not in {first["data"]["owner"], cat}
            assert second["data"]["previous_owner"] == first["data"]["owner"]
            assert "reassigned" in second["data"]["reason"]

        fairness = await client.get(
            system.url("routing", "/v1/routing/fairness"), params={"team": emea}, headers=system.headers
        )
        assert fairness.status_code == 200, fairness.text
        reps = {rep["rep_id"]: rep for rep in fairness.json()["reps"]}
        assert reps[cat]["skips"]["absent"] >= 3
        assert reps[cat]["credits"] >= 3
        assert reps[ana]["assignments"] + reps[ben]["assignments"] >= 6
        assert reps[ana]["reassigned_away"] + reps[ben]["reassigned_away"] >= 3
        shown = system.leadloop_cli("routing", "fairness", "--team", emea, "--json")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert {rep["rep_id"]: rep["credits"] for rep in json.loads(shown.stdout)}[cat] == reps[cat][
            "credits"
        ]

        # what-if: the same window under a draft without the account rule
        draft_text = policy.replace("account_owner = true", f'team = "{emea}"')
        draft = await client.post(url, content=draft_text, headers=toml)
        assert draft.status_code == 201, draft.text
        simulated = await client.post(
            f"{url}/{draft.json()['version']}/simulate",
            params={"from": started.isoformat(), "to": datetime.now(UTC).isoformat()},
            headers=system.headers,
        )
        assert simulated.status_code == 200, simulated.text
        result = simulated.json()
        assert result["leads"] >= 5
        changed = {c["lead_id"]: c for c in result["changes"]}
        assert changed[owned]["actual_owner"] == olga
        assert changed[owned]["draft_team"] == emea
        teams = {row["team"]: row for row in result["by_team"]}
        assert teams[emea]["draft"] - teams[emea]["actual"] >= 2  # the two owned leads move to emea
    await qualified.stop()


async def test_two_routing_instances_share_the_work_without_double_assignment_or_overrun_caps(
    system: System, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    run = uuid4().hex[:6]
    fair, capped = f"fair-{run}", f"capped-{run}"
    weights = {f"f1-{run}": 3, f"f2-{run}": 2, f"f3-{run}": 1}
    caps = [f"c{i}-{run}" for i in (1, 2, 3)]
    rows = [f"{rep},Rep {rep},{rep}@example.com,{fair},{w},,," for rep, w in weights.items()]
    rows += [f"{rep},Rep {rep},{rep}@example.com,{capped},1,4,2," for rep in caps]
    imported = system.leadloop_cli(
        "routing",
        "reps",
        "import",
        str(_csv(tmp_path / "reps.csv", "id,name,email,team,weight,daily_cap,max_open,hours", *rows)),
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    policy = f"""
[[rules]]
id = "capped"
when = {{ "attributes.bucket" = "{capped}" }}
team = "{capped}"
fallback = "queue"

[fallback]
team = "{fair}"
"""
    qualified = await system.tail("lead.qualified")
    recycled = await system.tail("lead.recycled")
    second = await system.start_instance("routing-2", service="routing", port=18013)
    try:
        # the group rebalances when routing-2 joins: until it holds partitions, leads (routed by
        # the default policy, to another team) keep coming
        async def second_took_part() -> None:
            await _post(client, system, f"{uuid4().hex[:10]}@warmup-{run}.example")
            assert (
                await metric_total(client, second, "leadloop_events_consumed_total", topic="lead.scored") > 0
            )

        await eventually(second_took_part, within=60, interval=1)
        instances = (second, system.url("routing", ""))

        async def consumed() -> list[float]:
            return [
                await metric_total(client, base, "leadloop_events_consumed_total", topic="lead.scored")
                for base in instances
            ]

        before = await consumed()
        async with active_routing_policy(client, system, policy):
            leads = [
                {**QUALIFYING, "email": f"{uuid4().hex[:10]}@load-{run}.example", "bucket": bucket}
                for bucket in ["fair"] * 60 + [capped] * 30
            ]
            posted = await client.post(
                system.url("capture", "/v1/leads/batch"), json={"leads": leads}, headers=system.headers
            )
            assert posted.status_code == 200, posted.text
            lead_ids = [result["lead_id"] for result in posted.json()["results"]]
            fair_leads, capped_leads = lead_ids[:60], lead_ids[60:]
            ours = set(fair_leads) | set(capped_leads)

            def first_decisions() -> set[str]:
                return {json.loads(m.value)["lead_id"] for m in qualified.messages} & ours

            async def everyone_decided_and_caps_reached() -> None:
                await qualified.poll_new()
                assert first_decisions() == ours, f"{len(first_decisions())}/{len(ours)} decided"
                given = [json.loads(m.value)["data"]["owner"] for m in qualified.messages]
                assert sum(owner in caps for owner in given) == 12, "the capped team's day is not full yet"

            await eventually(everyone_decided_and_caps_reached, within=120, interval=0.5)
            # both instances did the work: Kafka gave each some of the partitions
            assert all(after > earlier for after, earlier in zip(await consumed(), before, strict=True))
        await recycled.poll_new()
    finally:
        system.processes.stop("routing-2")
        await recycled.stop()
        await qualified.stop()

    events = [json.loads(m.value) for m in (*qualified.messages, *recycled.messages)]
    events = sorted((e for e in events if e["lead_id"] in ours), key=lambda e: e["occurred_at"])
    decisions = [e for e in events if e["type"] == "lead.qualified"]
    # one lead, one first owner: never assigned twice by the two instances
    firsts = Counter(e["lead_id"] for e in decisions if e["data"]["assignment"] == 1 and e["data"]["owner"])
    assert max(firsts.values()) == 1
    assert set(fair_leads) <= set(firsts)
    # caps: no capped rep got more than its 4 a day; capacity: never more than 2 open at once
    given = Counter(e["data"]["owner"] for e in decisions if e["data"]["owner"] in caps)
    assert set(given.values()) == {4}
    # A routing transaction's events share its instant, and only its end state is ever committed;
    # so replay instant by instant: each lead's last event of the instant, then count.
    open_now: dict[str, set[str]] = defaultdict(set)
    for _, group in itertools.groupby(events, key=lambda e: e["occurred_at"]):
        last = {event["lead_id"]: event for event in group}
        for held in open_now.values():
            held.difference_update(last)  # reassigned away, queued or recycled: no longer anyone's
        for lead, event in last.items():
            if event["type"] == "lead.qualified" and event["data"]["owner"]:
                open_now[event["data"]["owner"]].add(lead)
        for rep in caps:
            assert len(open_now[rep]) <= 2, f"{rep} holds {sorted(open_now[rep])}"
    # fairness over both instances: the fair team's turns follow its weights 3:2:1
    turns = Counter(e["data"]["owner"] for e in decisions if e["data"]["owner"] in weights)
    total = sum(turns.values())
    for rep, weight in weights.items():
        assert abs(turns[rep] / total - weight / 6) <= 0.06, (rep, turns)


async def test_the_roster_api_checks_what_it_is_given_and_a_lead_can_be_moved_by_hand(
    system: System, client: httpx.AsyncClient
) -> None:
    run = uuid4().hex[:6]
    team, amy, bob = f"solo-{run}", f"amy-{run}", f"bob-{run}"
    headers = system.headers
    rep_url = system.url("routing", "/v1/reps")
    unknown_team = await client.put(
        f"{rep_url}/{amy}", json={"name": "Amy", "email": "amy@example.com", "team": team}, headers=headers
    )
    assert unknown_team.status_code == 422
    assert unknown_team.json()["detail"][0]["loc"] == ["body", "team"]
    made = await client.put(
        system.url("routing", f"/v1/teams/{team}"), json={"name": "Solo"}, headers=headers
    )
    assert made.status_code == 200, made.text
    wrong = await client.put(
        f"{rep_url}/{amy}",
        json={
            "name": "Amy",
            "email": "amy@example.com",
            "team": team,
            "timezone": "Mars/Olympus",
            "hours": "weekdays 9-5",
            "weight": -1,
        },
        headers=headers,
    )
    assert wrong.status_code == 422
    assert {tuple(e["loc"]) for e in wrong.json()["detail"]} == {
        ("body", "timezone"),
        ("body", "hours"),
        ("body", "weight"),
    }
    for rep in (amy, bob):
        put = await client.put(
            f"{rep_url}/{rep}",
            json={
                "name": rep.title(),
                "email": f"{rep}@example.com",
                "team": team,
                "timezone": "Asia/Tokyo",
                "hours": "mon-sun 00:00-24:00",
                "skills": ["language:ja"],
                "max_open": 5,
            },
            headers=headers,
        )
        assert put.status_code == 200, put.text
    assert (await client.get(f"{rep_url}/{amy}", headers=headers)).json()["hours"] == "mon-sun 00:00-24:00"
    no_owner = await client.put(
        system.url("routing", "/v1/accounts"),
        json={"accounts": [{"id": f"x-{run}", "name": "X", "owner": "nobody", "domains": ["not a domain"]}]},
        headers=headers,
    )
    assert no_owner.status_code == 422
    policy = (
        f'[[rules]]\nid = "solo"\nwhen = {{ "attributes.desk" = "{run}" }}\nteam = "{team}"\n'
        '[fallback]\nteam = "sales"\n'
    )
    qualified = await system.tail("lead.qualified")
    async with active_routing_policy(client, system, policy):
        lead = await _post(client, system, f"{uuid4().hex[:8]}@solo-{run}.example", desk=run)
        (first,) = await qualified.events_for(lead, within=60)
        first_owner = first["data"]["owner"]
        assert first_owner in {amy, bob}
        other = bob if first_owner == amy else amy
        reassign_url = system.url("routing", f"/v1/leads/{lead}/reassign")
        to_nobody = await client.post(reassign_url, json={"reason": "x", "to": "nobody"}, headers=headers)
        assert to_nobody.status_code == 422
        moved = await client.post(
            reassign_url, json={"reason": "speaks the customer's dialect", "to": other}, headers=headers
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["owner"] == other
        assert moved.json()["assignments"][-1]["kind"] == "manual"
        _, by_hand = await qualified.events_for(lead, count=2, within=30)
        assert by_hand["data"]["owner"] == other
        assert by_hand["data"]["previous_owner"] == first_owner
        assert "speaks the customer's dialect" in by_hand["data"]["reason"]
        # a deleted rep keeps its open lead until someone moves it
        assert (await client.delete(f"{rep_url}/{other}", headers=headers)).status_code == 204
        record = await client.get(system.url("routing", f"/v1/leads/{lead}/routing"), headers=headers)
        assert record.json()["owner"] == other
        assert (await client.get(f"{rep_url}/{other}", headers=headers)).json()["deleted"] is True
        unknown = await client.post(
            system.url("routing", f"/v1/leads/{uuid4()}/reassign"), json={"reason": "x"}, headers=headers
        )
        assert unknown.status_code == 404
    await qualified.stop()
    assert (await client.get(system.url("routing", "/v1/teams"))).status_code == 401

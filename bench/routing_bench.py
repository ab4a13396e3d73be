"""Routing's figure for `make bench`: one decision in-process with 200 reps, 50 rules and 10,000
accounts — match the lead's account, build the fields its rules test, pick the rule, run the team's
rotation over its reps' availability, caps, capacity, hours and skills — p50/p99 over many leads.
The rotation's credits and the reps' loads carry from one lead to the next, as in a poll's batch."""

from __future__ import annotations

import random
import statistics
import time
import tomllib
from datetime import UTC, datetime, timedelta
from typing import Any

from lead_schemas import LeadProfile
from leadkit.hours import parse_hours
from routing.domain.accounts import Account, AccountIndex
from routing.domain.decide import RotationView, decide, lead_fields
from routing.domain.policy import parse_routing_policy
from routing.domain.roster import Absence, Load, Rep, Roster, Team

COUNTRIES = ["DE", "FR", "GB", "ES", "IT", "NL", "US", "CA", "BR", "MX", "JP", "AU", "IN", "SG"]
LANGUAGES = ["de", "fr", "en", "es", "it", "nl", "pt", "ja"]
SIZES = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5000+"]
INDUSTRIES = ["Software", "Retail", "Finance", "Health", "Manufacturing", "Education"]
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "America/Chicago", "Asia/Tokyo", "UTC"]
TEAMS = 10


def _roster(rng: random.Random, now: datetime) -> Roster:
    teams = {f"team-{t}": Team(f"team-{t}", f"Team {t}", manager=f"rep-{t}-0") for t in range(TEAMS)}
    reps: dict[str, Rep] = {}
    for t in range(TEAMS):
        for r in range(20):
            absences = (
                (Absence(now.date() - timedelta(days=1), now.date() + timedelta(days=1), "vacation"),)
                if rng.random() < 0.1
                else ()
            )
            rep = Rep(
                id=f"rep-{t}-{r}",
                name=f"Rep {t}-{r}",
                email=f"rep-{t}-{r}@example.com",
                team=f"team-{t}",
                weight=rng.choice([1, 1, 2, 3]),
                daily_cap=rng.choice([None, 50, 100]),
                weekly_cap=rng.choice([None, 400]),
                max_open=rng.choice([None, 60, 120]),
                skills=frozenset(f"language:{lang}" for lang in rng.sample(LANGUAGES, 3)),
                timezone=rng.choice(ZONES),
                hours=parse_hours(rng.choice(["", "mon-fri 08:00-20:00", "mon-sun 00:00-24:00"])),
                absences=absences,
            )
            reps[rep.id] = rep
    return Roster(teams=teams, reps=reps)


def _policy(rng: random.Random) -> Any:
    rules = [
        '[[rules]]\nid = "owned"\nwhen = { account_owned = true }\naccount_owner = true\n'
        'fallback = { team = "team-0" }'
    ]
    for index in range(49):
        team = f"team-{index % TEAMS}"
        country = rng.choice(COUNTRIES)
        size = rng.sample(SIZES, 2)
        rules.append(
            f'[[rules]]\nid = "r{index}"\nwhen = {{ country = "{country}", company_size = {size!r}, '
            f'industry = "{rng.choice(INDUSTRIES)}", score = {{ min = {rng.randint(20, 60)} }} }}\n'
            f'team = "{team}"\n' + ('match_skills = ["language"]\n' if index % 3 == 0 else "")
        )
    document = (
        "\n\n".join(rules)
        + '\n\n[regions]\nemea = ["DE", "FR", "GB", "ES", "IT", "NL"]\n\n[fallback]\nteam = "team-9"\n'
    )
    return parse_routing_policy(tomllib.loads(document.replace("'", '"')))


def routing_decision_in_process(leads: int = 5000) -> dict[str, Any]:
    rng = random.Random(7)
    now = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    roster = _roster(rng, now)
    policy = _policy(rng)
    accounts = AccountIndex.of(
        Account(
            f"acct-{i}",
            f"Company {i} GmbH",
            rng.choice(list(roster.reps)) if i % 2 else None,
            (f"company{i}.example",),
        )
        for i in range(10_000)
    )
    credits: dict[str, dict[str, int]] = {}
    loads: dict[str, Load] = {
        rep: Load(rng.randint(0, 40), rng.randint(0, 30), rng.randint(0, 200)) for rep in roster.reps
    }
    timings: list[float] = []
    owners = 0
    for index in range(leads):
        company = rng.randint(0, 14_999)  # a third match no account
        profile = LeadProfile(
            company=f"Company {company} Inc.",
            company_domain=f"company{company}.example" if rng.random() < 0.5 else None,
            country=rng.choice(COUNTRIES),
            company_size=rng.choice(SIZES),
            industry=rng.choice(INDUSTRIES),
            language=rng.choice(LANGUAGES),
            source="google",
            medium="cpc",
            campaign=f"c{index % 20}",
        )
        started = time.perf_counter()
        account = accounts.match(company_domain=profile.company_domain, company=profile.company)
        fields = lead_fields(
            score=rng.randint(0, 100),
            grade="A",
            qualified=True,
            profile=profile,
            policy=policy,
            account=account,
        )
        decision = decide(fields, account, policy, roster, RotationView(credits, loads), at=now)
        timings.append(time.perf_counter() - started)
        credits.update(decision.credits)
        if decision.owner is not None:
            owners += 1
            loads[decision.owner] = loads[decision.owner].plus_one()
    timings.sort()
    return {
        "reps": len(roster.reps),
        "rules": len(policy.rules),
        "accounts": 10_000,
        "decisions": leads,
        "assigned": owners,
        "p50_ms": round(statistics.median(timings) * 1000, 3),
        "p99_ms": round(timings[int(len(timings) * 0.99)] * 1000, 3),
        "max_ms": round(timings[-1] * 1000, 3),
    }


if __name__ == "__main__":
    print(routing_decision_in_process())  # noqa: T201

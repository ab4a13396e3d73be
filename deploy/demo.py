"""`make demo`: post realistic leads to the running system, report sales progress, print the funnel.

Talks to the services over HTTP only, like any form or sales tool would.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = os.environ.get("CAPTURE_URL", "http://127.0.0.1:8001")
ROUTING = os.environ.get("ROUTING_URL", "http://127.0.0.1:8003")
SLA_MONITOR = os.environ.get("SLA_MONITOR_URL", "http://127.0.0.1:8004")
REPORTING = os.environ.get("REPORTING_URL", "http://127.0.0.1:8005")

# (utm_source, utm_medium, campaigns, content, share of leads)
SOURCES = [
    ("google", "cpc", ["brand-search", "competitor-search"], ["ad-a", "ad-b"], 0.30),
    ("linkedin", "paid_social", ["abm-enterprise", "thought-leadership"], ["carousel", "video"], 0.20),
    ("newsletter", "email", ["nov-digest"], ["hero-cta", "footer-link"], 0.15),
    ("webinar", "event", ["routing-masterclass"], ["live", "replay"], 0.15),
    ("google", "organic", [None], [None], 0.10),
    ("partner-hub", "referral", ["partner-q4"], ["listing"], 0.10),
]
TITLES = [
    "VP Sales",
    "Head of Marketing",
    "Marketing Manager",
    "CTO",
    "Sales Ops Lead",
    "Analyst",
    "Student",
    "Founder",
    "Director of Revenue Operations",
    "Engineer",
]
SIZES = ["1-10", "11-50", "51-200", "201-500", "1001-5000", "5000+"]
INDUSTRIES = ["Software", "SaaS", "Financial Services", "Retail", "Education", "Manufacturing"]
COUNTRIES = ["US", "GB", "DE", "FR", "NL", "BR", "IN", "AU"]
FORMS = ["demo-request", "pricing", "ebook-download", "newsletter-signup", "contact"]
FIRST = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia"]
LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson"]


def api_key() -> str:
    key = os.environ.get("LEADLOOP_API_KEYS", "")
    env_file = ROOT / ".env"
    if not key and env_file.exists():
        for line in env_file.read_text().splitlines():
            if line.startswith("LEADLOOP_API_KEYS="):
                key = line.split("=", 1)[1]
    if not key:
        sys.exit("no API key: run `make up` first (it writes one to .env)")
    return key.split(",")[0].strip()


def fake_lead(rng: random.Random, run: str) -> dict[str, Any]:
    source, medium, campaigns, contents, _ = rng.choices(SOURCES, weights=[s[4] for s in SOURCES])[0]
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = rng.choice(["gmail.com", f"{last.lower()}-labs.example", f"{first.lower()}corp.example"])
    lead: dict[str, Any] = {
        "email": f"{first}.{last}.{run}{rng.randrange(10_000)}@{domain}".lower(),
        "first_name": first,
        "last_name": last,
        "company": f"{last} Labs",
        "job_title": rng.choice(TITLES),
        "company_size": rng.choice(SIZES),
        "industry": rng.choice(INDUSTRIES),
        "country": rng.choice(COUNTRIES),
        "form_id": rng.choice(FORMS),
        "utm_source": source,
        "utm_medium": medium,
        "page_url": f"https://www.example.com/{rng.choice(['pricing', 'demo', 'blog/lead-routing'])}",
    }
    campaign, content = rng.choice(campaigns), rng.choice(contents)
    if campaign:
        lead["utm_campaign"] = campaign
    if content:
        lead["utm_content"] = content
    return lead


async def main() -> None:
    rng = random.Random(int(os.environ.get("DEMO_SEED", "7")))
    run = uuid4().hex[:4]
    headers = {"X-API-Key": api_key()}
    console = Console()
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        await month_targets(client)
        before = totals(await funnel(client))
        won_here = 0
        lead_ids: list[str] = []
        with Progress(console=console) as progress:
            task = progress.add_task("posting leads", total=40)
            for _ in range(40):
                response = await client.post(f"{CAPTURE}/v1/leads", json=fake_lead(rng, run))
                response.raise_for_status()
                lead_ids.append(response.json()["lead_id"])
                progress.advance(task)

            owners: dict[str, str] = {}
            task = progress.add_task("waiting for scoring and routing", total=len(lead_ids))
            pending = set(lead_ids)
            for _ in range(60):
                for lead_id in list(pending):
                    response = await client.get(f"{ROUTING}/v1/leads/{lead_id}/assignments")
                    if response.status_code == 200:
                        pending.discard(lead_id)
                        progress.advance(task)
                        if response.json()["owner"]:
                            owners[lead_id] = response.json()["owner"]
                if not pending:
                    break
                await asyncio.sleep(0.5)

            task = progress.add_task("sales reports progress", total=len(owners))
            for lead_id in owners:
                for step in sales_story(rng):
                    response = await client.post(f"{SLA_MONITOR}/v1/leads/{lead_id}/progress", json=step)
                    response.raise_for_status()
                    won_here += step["stage"] == "won"
                progress.advance(task)

            # reporting is eventually consistent: wait until it has projected this run
            want = (before[0] + len(lead_ids), before[1] + won_here)
            rows = await funnel(client)
            for _ in range(60):
                if totals(rows) >= want:
                    break
                await asyncio.sleep(0.5)
                rows = await funnel(client)
    print_funnel(console, rows, qualified=len(owners), posted=len(lead_ids))
    if totals(rows) < want:
        console.print(
            "reporting has not projected all of this run yet (is it replaying a rebuild?); "
            "the funnel above is as of now: run `make demo` again or query it later"
        )


async def month_targets(client: httpx.AsyncClient) -> None:
    """This month's targets, for the console's overview to measure against — unless it has some."""
    month = f"{datetime.now(UTC):%Y-%m}"
    found = await client.get(f"{REPORTING}/v1/targets", params={"from": month, "through": month})
    found.raise_for_status()
    if not found.json():
        target = {"leads": 1200, "mqls": 360, "sqls": 110, "won": 25, "revenue": "600000.00"}
        saved = await client.put(f"{REPORTING}/v1/targets/{month}", json=target)
        saved.raise_for_status()


async def funnel(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get(f"{REPORTING}/v1/reports/funnel", params={"group_by": "source"})
    response.raise_for_status()
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


def totals(rows: list[dict[str, Any]]) -> tuple[int, int]:
    return sum(r["leads"] for r in rows), sum(r["won"] for r in rows)


def sales_story(rng: random.Random) -> list[dict[str, Any]]:
    roll = rng.random()
    if roll < 0.15:
        reason, detail = rng.choice([("not_a_lead", "not our market"), ("no_budget", "student, no budget")])
        return [{"stage": "rejected", "reason": reason, "detail": detail}]
    steps: list[dict[str, Any]] = [{"stage": "accepted"}, {"stage": "contacted"}]
    if roll < 0.35:
        return steps
    steps.append({"stage": "sql"})
    if roll < 0.5:
        return [*steps, {"stage": "lost", "reason": "bad_timing", "detail": "not now, revisit next quarter"}]
    steps.append({"stage": "opportunity"})
    if roll < 0.7:
        return steps
    amount = Decimal(rng.randrange(50, 400) * 100)
    return [*steps, {"stage": "won", "amount": str(amount), "currency": "EUR"}]


def print_funnel(console: Console, rows: list[dict[str, Any]], *, qualified: int, posted: int) -> None:
    table = Table(title=f"Funnel by first-touch source ({posted} leads posted, {qualified} qualified now)")
    for column in ("source", "leads", "MQLs", "SALs", "SQLs", "opps", "won", "revenue", "recycled"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for row in rows:
        table.add_row(
            row["key"],
            *(str(row[k]) for k in ("leads", "mqls", "sals", "sqls", "opportunities", "won")),
            f"{Decimal(row['revenue']):,.2f}",
            str(row["recycled"]),
        )
    console.print(table)


if __name__ == "__main__":
    asyncio.run(main())

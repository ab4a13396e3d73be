"""Team calendars on the real system: set through the API, holidays imported, and a qualified lead's
accept clock falling due in its team's business time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import uuid4

import httpx

from leadkit.hours import WEEKDAYS
from leadkit.testing import eventually
from tests.system.fixtures import ACCEPT_SECONDS, QUALIFYING, System, active_routing_policy


async def test_a_team_calendar_is_checked_takes_a_year_of_holidays_and_moves_the_due_time(
    system: System, client: httpx.AsyncClient
) -> None:
    run = uuid4().hex[:6]
    team = f"cal-{run}"
    url = system.url("sla-monitor", f"/v1/sla/calendars/{team}")
    headers = system.headers
    no_zone = await client.put(
        url, json={"timezone": "Mars/Olympus", "hours": "mon-fri 09:00-18:00"}, headers=headers
    )
    assert no_zone.status_code == 422
    assert no_zone.json()["detail"][0]["loc"] == ["body", "timezone"]
    closed = await client.put(url, json={"timezone": "UTC", "hours": ""}, headers=headers)
    assert closed.status_code == 422
    assert closed.json()["detail"][0]["loc"] == ["body", "hours"]
    no_calendar = await client.post(
        f"{url}/holidays", params={"country": "DE", "year": 2027}, headers=headers
    )
    assert no_calendar.status_code == 404

    # one working hour a week, two days from now: whenever this runs, the clock waits for it
    day = datetime.now(UTC).date() + timedelta(days=2)
    hours = f"{WEEKDAYS[day.weekday()]} 09:00-10:00"
    made = await client.put(url, json={"timezone": "UTC", "hours": hours}, headers=headers)
    assert made.status_code == 200, made.text
    imported = await client.post(
        f"{url}/holidays", params={"country": "DE", "subdivision": "BY", "year": 2025}, headers=headers
    )  # a past year, so no holiday can fall on the working day the clock below waits for
    assert imported.status_code == 200, imported.text
    assert {"2025-01-01", "2025-01-06", "2025-12-25"} <= set(imported.json()["holidays"])
    unknown = await client.post(f"{url}/holidays", params={"country": "XX", "year": 2027}, headers=headers)
    assert unknown.status_code == 422

    # a rep in that team, and a policy that routes this test's leads to it
    routing = system.url("routing", "")
    assert (
        await client.put(f"{routing}/v1/teams/{team}", json={"name": "Calendar"}, headers=headers)
    ).status_code == 200
    rep = await client.put(
        f"{routing}/v1/reps/{team}-rep",
        json={"name": "Cal Rep", "email": "cal@example.com", "team": team},
        headers=headers,
    )
    assert rep.status_code == 200, rep.text
    policy = f'[[rules]]\nid = "cal"\nwhen = {{ "attributes.desk" = "{run}" }}\nteam = "{team}"\n'
    policy += '[fallback]\nteam = "sales"\n'
    async with active_routing_policy(client, system, policy):
        body = {**QUALIFYING, "email": f"{run}@calendar-{run}.example", "desk": run}
        posted = await client.post(system.url("capture", "/v1/leads"), json=body, headers=headers)
        assert posted.status_code == 202, posted.text
        lead_id = posted.json()["lead_id"]

        async def clock_started() -> dict[str, object]:
            sla = await client.get(system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=headers)
            assert sla.status_code == 200, sla.text
            clocks = sla.json()["clocks"]
            assert len(clocks) == 1, "sla-monitor has not started the clock yet"
            (timer,) = clocks
            return timer  # type: ignore[no-any-return]

        timer = await eventually(clock_started, within=60)
    opening = datetime.combine(day, time(9), tzinfo=UTC)
    assert timer["calendar"] == team
    assert datetime.fromisoformat(str(timer["due_at"])) == opening + timedelta(seconds=ACCEPT_SECONDS)
    assert timer["status"] == "pending"
    # the warning runs on the same calendar: 80 % of the 4 s target after the opening
    assert datetime.fromisoformat(str(timer["warn_at"])) == opening + timedelta(seconds=ACCEPT_SECONDS * 0.8)

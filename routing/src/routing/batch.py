"""One transaction's routing: the leads and teams it locked, its decisions in memory, its writes.

Every routing instance takes the same locks in the same order: the leads' rows (in id order),
then the rows of every team the batch may touch (in id order), before it reads a team's rotation
or its reps' loads; so two instances never decide on stale state. The batch plans its own locks:
a caller says what it will do with each lead (`batch.plan`, domain/lock_plan.py), then
`lock_planned` takes every team those steps may reach, at once.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from lead_schemas import Envelope, LeadQualified
from leadkit.db import Connection
from leadkit.messaging import Outbox
from routing.db.leads import lock_leads, lock_queued, write_batch
from routing.db.roster import load_team_state, lock_teams
from routing.domain.assignment import assignment_record, lead_row, qualified_data
from routing.domain.decide import Decision, RotationView, decide, decide_within_team
from routing.domain.lead import Lead
from routing.domain.lock_plan import LockPlan, lead_fields_of
from routing.domain.policy import RoutingPolicy
from routing.domain.roster import Load, LoadRow, Roster
from routing.metrics import DECISION_SECONDS, DECISIONS
from routing.parts import RoutingParts

PRODUCER = "routing"
log = structlog.get_logger(__name__)


class RoutingBatch:
    """One transaction's routing: the locked leads and teams, decisions in memory, written at the end."""

    def __init__(
        self,
        conn: Connection,
        outbox: Outbox,
        now: datetime,
        policy: tuple[int, RoutingPolicy],
        roster: Roster,
    ) -> None:
        self.conn, self.outbox, self.now = conn, outbox, now
        self.version, self.policy = policy
        self.roster = roster
        self.leads: dict[UUID, Lead] = {}
        self.credits: dict[str, dict[str, int]] = {}
        self.loads: dict[str, LoadRow] = {}
        self._loads_view: dict[str, Load] | None = None
        self.locked: set[str] = set()
        self.plan = LockPlan(self.roster, self.policy)
        self.touched_teams: set[str] = set()
        self.released_teams: set[str] = set()
        self.records: list[tuple[Any, ...]] = []
        self.ledger: list[tuple[Any, ...]] = []

    async def lock_planned(self) -> None:
        """Lock every team the planned steps may reach (`self.plan`; none planned: no lock, no wait)."""
        await self.lock(self.plan.teams)

    # --- locks and state ------------------------------------------------------------------------
    async def lock(self, teams: Collection[str]) -> None:
        """Lock every team this batch may touch, once, in id order, then read their rotation and the
        loads of their reps: members, and owners or managers whose team is among them. Only loads
        read under their team's lock are ever written back."""
        if self.locked:
            raise RuntimeError("a batch locks its teams once, before deciding")
        wanted = {team for team in teams if team}
        if not wanted:
            return
        self.locked = set(await lock_teams(self.conn, wanted))
        candidates = {rep.id for team in self.locked for rep in self.roster.members(team)}
        candidates |= {lead.owner for lead in self.leads.values() if lead.owner}
        candidates |= {self.roster.teams[t].manager or "" for t in self.locked if t in self.roster.teams}
        under_lock = {rep for rep in candidates if self.roster.team_of(rep) in self.locked}
        self.credits, self.loads = await load_team_state(self.conn, self.locked, under_lock)

    def view(self) -> RotationView:
        """What decisions read; the caps' view of every load is computed once a batch and kept in
        step as assignments and releases change a rep's row (not rebuilt for every lead)."""
        if self._loads_view is None:
            self._loads_view = {rep: self._load_now(rep) for rep in self.loads}
        return RotationView(self.credits, self._loads_view)

    def _load_now(self, rep_id: str) -> Load:
        return self.loads[rep_id].load_at(self.roster.reps.get(rep_id), self.now)

    def _changed(self, rep_id: str) -> None:
        if self._loads_view is not None:
            self._loads_view[rep_id] = self._load_now(rep_id)

    # --- the use cases ----------------------------------------------------------------------------
    def route(self, lead: Lead, cause: Envelope | None, why: str) -> None:
        started = time.perf_counter_ns()
        decision = decide(
            lead_fields_of(lead, self.policy),
            lead.account,
            self.policy,
            self.roster,
            self.view(),
            at=self.now,
        )
        self.apply(lead, decision, cause, why, kind="assign", started=started)

    def reassign(
        self,
        lead: Lead,
        cause: Envelope | None,
        why: str,
        *,
        exclude: Collection[str],
        kind: str = "reassign",
    ) -> None:
        started = time.perf_counter_ns()
        team = lead.team or self.roster.team_of(lead.owner or "") or self.policy.fallback.team or ""
        decision = decide_within_team(
            lead_fields_of(lead, self.policy),
            team,
            self.policy,
            self.roster,
            self.view(),
            at=self.now,
            exclude=exclude,
            exhausted=True,
        )
        self.apply(lead, decision, cause, why, kind=kind, started=started)

    def serve_queued(self, lead: Lead) -> bool:
        """A queued lead's turn: assigned when someone in its team can take it now; else it waits
        (no record, no event: it is still where the last record says)."""
        started = time.perf_counter_ns()
        decision = decide_within_team(
            lead_fields_of(lead, self.policy),
            lead.team or "",
            self.policy,
            self.roster,
            self.view(),
            at=self.now,
            exclude=lead.earlier_owners,
            exhausted=False,
        )
        if decision.owner is None:
            return False
        waited = self.now - lead.queued_at if lead.queued_at else None
        why = f"{lead.qualification_reason}; served from the queue" + (
            f" after {int(waited.total_seconds())} s" if waited is not None else ""
        )
        self.apply(lead, decision, None, why, kind="queue_turn", started=started)
        return True

    def assign_to(self, lead: Lead, rep_id: str, why: str) -> None:
        """A person's choice (`POST /v1/leads/{id}/reassign` with `to`): recorded as theirs."""
        rep = self.roster.reps[rep_id]
        decision = Decision(rep.id, rep.team, "manual", "manual", f"{rep.name} was chosen by hand")
        self.apply(lead, decision, None, why, kind="manual", started=time.perf_counter_ns())

    def release(self, lead: Lead, why: str) -> None:
        """Sales closed or recycled the lead: its owner's open-lead count drops by one."""
        if lead.status == "assigned" and lead.owner:
            self._release(lead.owner)
            log.debug("capacity released", lead_id=str(lead.lead_id), owner=lead.owner, why=why)

    def _release(self, rep_id: str) -> None:
        team = self.roster.team_of(rep_id)
        if team is None or rep_id not in self.loads:
            # an owner the roster never had (a rep from before the roster was data): nothing counts it
            log.warning("released an owner the roster lacks", rep_id=rep_id)
            return
        self.loads[rep_id].released()
        self._changed(rep_id)
        self.released_teams.add(team)

    def _load(self, rep_id: str) -> LoadRow:
        """A rep's load as read under the lock; a rep the batch did not lock for is a bug, not a 0."""
        if rep_id not in self.loads:
            raise RuntimeError(f"rep {rep_id}'s load was not read under its team's lock")
        return self.loads[rep_id]

    def apply(
        self, lead: Lead, decision: Decision, cause: Envelope | None, why: str, *, kind: str, started: int
    ) -> None:
        decision_us = (time.perf_counter_ns() - started) // 1000
        DECISIONS.labels(kind, decision.method).inc()
        DECISION_SECONDS.observe(decision_us / 1_000_000)
        previous_owner = lead.owner
        was_open = lead.status == "assigned"
        for team, credits in decision.credits.items():
            self.credits[team] = credits
            self.touched_teams.add(team)
        if was_open and previous_owner:
            self._release(previous_owner)
            self._ledger(previous_owner, lead, "reassigned_away", decision.method, why)
        if decision.owner is not None:
            rep = self.roster.reps[decision.owner]
            self._load(rep.id).assigned(rep, self.now)
            self._changed(rep.id)
            lead.owner, lead.status, lead.queued_at = rep.id, "assigned", None
            lead.assignments += 1
            lead.earlier_owners.add(rep.id)
            entry = "reassigned_to" if previous_owner else "assigned"
            self._ledger(rep.id, lead, entry, decision.method, None)
        else:
            lead.owner, lead.status = None, "queued"
            lead.queued_at = lead.queued_at or self.now
        lead.team = decision.team
        for candidate in decision.candidates:
            if not candidate.eligible and candidate.rep_id != decision.owner:
                self._ledger(
                    candidate.rep_id, lead, "skipped", decision.method, candidate.why, candidate.credited
                )
        reason = f"{why}; rule {decision.rule}: {decision.reason}"
        owner = self.roster.reps.get(decision.owner) if decision.owner else None
        data = qualified_data(
            lead,
            decision,
            owner=owner,
            previous_owner=previous_owner,
            reason=reason,
            policy=self.policy,
            version=self.version,
        )
        if cause is not None:
            event = cause.caused(LeadQualified, producer=PRODUCER, occurred_at=self.now, data=data)
        else:
            event = LeadQualified.new(
                producer=PRODUCER,
                lead_id=lead.lead_id,
                correlation_id=lead.correlation_id or lead.lead_id,
                occurred_at=self.now,
                data=data,
            )
        self.outbox.add(event)
        self.records.append(
            assignment_record(
                lead,
                decision,
                previous_owner=previous_owner,
                reason=reason,
                cause_id=cause.id if cause else None,
                event_id=event.id,
                at=self.now,
                kind=kind,
                version=self.version,
                decision_us=decision_us,
            )
        )

    def _ledger(
        self, rep_id: str, lead: Lead, entry: str, method: str, reason: str | None, credited: bool = False
    ) -> None:
        team = self.roster.team_of(rep_id) or lead.team or ""
        self.ledger.append((team, rep_id, lead.lead_id, entry, method, reason, credited, self.now))

    async def serve_queues(self, teams: Collection[str], limit: int = 100) -> int:
        """Give queued leads of `teams` (already locked) to whoever can take them now, oldest first."""
        if not teams:
            return 0
        queued = [
            lead for lead in await lock_queued(self.conn, teams, limit) if lead.lead_id not in self.leads
        ]
        served = 0
        for lead in queued:
            self.leads[lead.lead_id] = lead
            served += self.serve_queued(lead)
        return served

    async def write(self) -> None:
        """Leads, records, ledger, rotation and loads: one statement, one round trip."""
        leads = sorted(self.leads.values(), key=lambda lead: lead.lead_id)
        rotation = [
            (team, rep, credit)
            for team in sorted(self.touched_teams)
            for rep, credit in sorted(self.credits[team].items())
        ]
        loads = sorted(
            (r.rep_id, r.open_leads, r.day, r.day_count, r.week, r.week_count) for r in self.loads.values()
        )
        await write_batch(
            self.conn,
            [lead_row(lead, self.now) for lead in leads],
            self.records,
            self.ledger,
            rotation,
            loads,
        )


async def open_batch(
    conn: Connection, outbox: Outbox, now: datetime, parts: RoutingParts, lead_ids: Collection[UUID]
) -> RoutingBatch:
    """The active policy, the roster as it is now, and the leads locked in id order."""
    batch = RoutingBatch(conn, outbox, now, await parts.policies.active(conn), await parts.roster(conn))
    batch.leads = await lock_leads(conn, lead_ids)
    return batch

"""The event types of DESIGN.md's topic table, version 1.

Past 300 lines on purpose: this module is the contract (the JSON schemas and the AsyncAPI document
are generated from it), and one event's data beside the next is how a reader checks that a field
means the same on every topic."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from pydantic import AwareDatetime, Field, JsonValue

from lead_schemas.envelope import Envelope, Payload

Stage = Literal["accepted", "contacted", "meeting", "sql", "opportunity", "won", "lost", "rejected"]
Channel = Literal["call", "email", "meeting", "social"]
TouchType = Literal[
    "form_submission",
    "ad_lead",
    "content_download",
    "webinar_attended",
    "email_click",
    "page_visit",
    "meeting_booked",
    "import",
]
Via = Literal["api", "form", "meta", "google", "linkedin", "touch", "import"]


class Person(Payload):
    """Who the lead is, as capture knows them after normalization and merging."""

    email: str | None = None
    phone: str | None = Field(default=None, description="E.164")
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    company_size: str | None = None
    industry: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    company_domain: str | None = Field(
        default=None, description="From a work email; never a free-mail domain"
    )
    attributes: dict[str, JsonValue] = Field(
        default_factory=dict, description="Fields the form sent that leadloop has no column for."
    )


class Consent(Payload):
    """What the person agreed to with this touch, and the text they were shown."""

    marketing: bool | None = None
    text: str | None = None


class Touch(Payload):
    """One interaction that brought the lead in or back: where it came from."""

    id: str
    occurred_at: AwareDatetime
    type: TouchType = "form_submission"
    via: Via = Field(default="api", description="The capture path: api, form, meta, google, linkedin, …")
    channel: str | None = Field(default=None, description="Derived from medium, source, click ids, referrer")
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    term: str | None = None
    gclid: str | None = None
    fbclid: str | None = None
    msclkid: str | None = None
    li_fat_id: str | None = None
    form_id: str | None = None
    page_url: str | None = None
    referrer: str | None = None
    external_id: str | None = Field(default=None, description="The platform's own id for this lead")
    is_test: bool = False
    consent: Consent | None = None


class LeadCapturedData(Payload):
    is_new: bool = Field(description="True on the first submission from this person.")
    person: Person
    touch: Touch
    first_touch: Touch | None = Field(
        default=None, description="The lead's earliest touch (first-touch attribution)"
    )


class RuleHit(Payload):
    rule_id: str = Field(description="The model's rule id; `cap:<group>` for a group cap's line.")
    kind: Literal["fit", "engagement"] = Field(description="The part of the score the line counts in.")
    rule_kind: Literal["fit", "engagement", "negative", "cap"] | None = Field(
        default=None,
        description="The model's kind of rule: a negative rule subtracts, a cap takes back excess.",
    )
    description: str
    points: int = Field(
        description="Whole points at the instant scored, after decay; the lines sum to `score`."
    )
    times: int = Field(default=0, description="The touches the rule counted (0 for a rule on person facts).")


class LeadProfile(Payload):
    """What routing decides on, as scoring knows it when it scores: the person's firmographics and
    the touch that brought them in last (routing reads no capture or scoring table)."""

    company: str | None = None
    company_domain: str | None = Field(default=None, description="From a work email; absent for free mail.")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    company_size: str | None = None
    industry: str | None = None
    job_title: str | None = None
    language: str | None = Field(default=None, description="From the `language` attribute, e.g. `de`.")
    attributes: dict[str, JsonValue] = Field(default_factory=dict)
    source: str | None = Field(default=None, description="Of the latest touch, as are the next five.")
    medium: str | None = None
    campaign: str | None = None
    channel: str | None = None
    content: str | None = None
    form_id: str | None = None


class LeadScoredData(Payload):
    score: int = Field(description="fit_score + engagement_score at the instant scored.")
    grade: Literal["A", "B", "C", "D"] = Field(description="From fit_score and the model's grade bands.")
    fit_score: int
    engagement_score: int = Field(description="After decay, at the instant scored.")
    model_version: str
    reasons: list[RuleHit] = Field(description="Every rule that fired, with its points.")
    previous_score: int | None = None
    previous_grade: str | None = None
    engagement_level: str | None = Field(
        default=None, description="The model's level for engagement_score, e.g. `hot`, `warm`, `cold`."
    )
    qualified: bool | None = Field(
        default=None,
        description="Marketing-qualified: the model's matrix holds (grade, engagement_level). "
        "Absent only on events from before scoring carried it.",
    )
    previous_level: str | None = None
    previous_qualified: bool | None = None
    cause: Literal["captured", "decay", "activation", "recycled"] = Field(
        default="captured",
        description="What made scoring emit: a touch, decay alone, a model activation, or a recycle.",
    )
    predicted_conversion: float | None = Field(
        default=None,
        description="Chance of reaching SQL from the classifier fitted on outcomes; absent until "
        "enough outcomes exist.",
    )
    predicted_win: float | None = Field(default=None, description="Chance of being won, likewise.")
    lead: LeadProfile | None = Field(
        default=None,
        description="The facts routing's rules test; absent on events from before it was carried.",
    )


class PassedOver(Payload):
    rep_id: str
    why: str


class LeadQualifiedData(Payload):
    owner: str | None = Field(
        description="The assigned rep's id; null while the lead waits in its team's queue (see `reason`)."
    )
    owner_name: str | None = None
    owner_email: str | None = None
    reason: str = Field(description="Why the lead qualified and why this rep, in words.")
    rule: str = Field(description="The assignment rule that matched, e.g. `round_robin`.")
    score: int
    grade: str
    assignment: int = Field(description="1 for the first assignment, 2 for the first reassignment, …")
    previous_owner: str | None = None
    passed_over: list[PassedOver] = Field(default_factory=list)
    team: str | None = Field(default=None, description="The team whose rule or queue the lead is in.")
    policy_version: int | None = Field(default=None, description="The routing policy version that decided.")
    source: str | None = Field(default=None, description="The source of the lead's latest touch.")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    region: str | None = Field(
        default=None, description="The routing policy's region of `country`, e.g. `emea`; SLA tiers test it."
    )


class ClockAnswered(Payload):
    """An SLA clock a step met, as sla-monitor measured it on the clock's own calendar."""

    clock: str = Field(description="accept, first_contact, follow_up or disposition")
    business_minutes: float = Field(description="Working time from the clock's start to the step")
    target_minutes: float | None = None
    in_time: bool = Field(description="Met by the clock's due time")


class LeadProgressedData(Payload):
    stage: Stage
    owner: str | None = None
    amount: Decimal | None = Field(default=None, description="Deal value; present when stage is `won`.")
    currency: str | None = None
    reason: str | None = Field(
        default=None,
        description="For rejected and lost: the reason code agreed with marketing, e.g. `no_budget`.",
    )
    detail: str | None = Field(
        default=None,
        description="Never published (always null): sales' free text stays in sla-monitor's database, "
        "where an erasure reaches it. Kept in the schema for readers of older events.",
    )
    channel: Channel | None = Field(
        default=None, description="For contacted: call, email, meeting or social."
    )
    forced: bool = Field(
        default=False, description="Reported against the stage order, by someone who said why (`detail`)."
    )
    clocks_met: list[ClockAnswered] = Field(
        default_factory=list, description="The SLA clocks this step met (speed to lead, in business time)."
    )


class LeadSlaBreachedData(Payload):
    policy: str = Field(description="The SLA that ran out, e.g. `accept`.")
    owner: str
    started_at: AwareDatetime
    due_at: AwareDatetime
    escalation_step: int
    escalation: Literal["warn", "reassign", "notify", "recycle"] = Field(
        description="What the breach does: routing reassigns, the team's manager is notified, or the "
        "lead is recycled to marketing (`warn` is sla_warned's and not used here)."
    )
    tier: str | None = Field(default=None, description="The SLA policy tier the clock belongs to.")
    sla_version: int | None = Field(default=None, description="The SLA policy version that set the clock.")
    team: str | None = Field(default=None, description="The lead's team: whose manager `notify` means.")
    target_minutes: float | None = Field(default=None, description="The clock's target, in business minutes.")


class LeadSlaWarnedData(Payload):
    policy: str = Field(description="The SLA whose clock passed its warning share, e.g. `accept`.")
    owner: str
    started_at: AwareDatetime
    due_at: AwareDatetime = Field(description="When the clock will breach if nothing happens.")
    share: float = Field(description="The share of the target gone when the warning fired, e.g. 0.8.")


class LeadRecycledData(Payload):
    reason: Literal["rejected_by_sales", "sla_exhausted", "lost_not_now"]
    detail: str | None = Field(
        default=None,
        description="leadloop's own words (an SLA breach's clock); never sales' free text, which stays in "
        "sla-monitor's database.",
    )
    owner: str | None = None
    reason_code: str | None = Field(
        default=None, description="Sales' reason code when rejected or lost, e.g. `bad_timing`."
    )
    nurture_track: str | None = Field(
        default=None, description="The marketing nurture track the SLA policy names for this reason."
    )


class LeadErasedData(Payload):
    requested_at: AwareDatetime


class RepChangedData(Payload):
    """A rep as routing's roster has it after a change: what other services need to name reps
    (an owner map, a filter), and nothing personal (the name and email stay in routing)."""

    rep_id: str = Field(description="The rep's id in routing's roster, e.g. `amara`.")
    team: str = Field(description="The rep's team.")
    active: bool = Field(description="Whether the rep takes new leads (availability).")
    deleted: bool = Field(default=False, description="Removed from the roster; past leads keep the id.")


REP_NAMESPACE = UUID("5b6c1a8e-2f0d-4f43-9c3e-7a1d4e0b9f21")


def rep_key(rep_id: str) -> UUID:
    """A roster event's `lead_id` and Kafka key: it is about a rep, not a lead, so the envelope's
    lead field carries a uuid5 of the rep id instead — stable, so one rep's changes stay in order
    on one partition, and never the id of any lead (leads get random uuid4s)."""
    return uuid5(REP_NAMESPACE, rep_id)


class LeadCaptured(Envelope):
    topic: ClassVar[str] = "lead.captured"
    type: Literal["lead.captured"] = "lead.captured"
    version: Literal[1] = 1
    data: LeadCapturedData


class LeadScored(Envelope):
    topic: ClassVar[str] = "lead.scored"
    type: Literal["lead.scored"] = "lead.scored"
    version: Literal[1] = 1
    data: LeadScoredData


class LeadQualified(Envelope):
    topic: ClassVar[str] = "lead.qualified"
    type: Literal["lead.qualified"] = "lead.qualified"
    version: Literal[1] = 1
    data: LeadQualifiedData


class LeadProgressed(Envelope):
    topic: ClassVar[str] = "lead.progressed"
    type: Literal["lead.progressed"] = "lead.progressed"
    version: Literal[1] = 1
    data: LeadProgressedData


class LeadSlaBreached(Envelope):
    topic: ClassVar[str] = "lead.sla_breached"
    type: Literal["lead.sla_breached"] = "lead.sla_breached"
    version: Literal[1] = 1
    data: LeadSlaBreachedData


class LeadSlaWarned(Envelope):
    topic: ClassVar[str] = "lead.sla_warned"
    type: Literal["lead.sla_warned"] = "lead.sla_warned"
    version: Literal[1] = 1
    data: LeadSlaWarnedData


class LeadRecycled(Envelope):
    topic: ClassVar[str] = "lead.recycled"
    type: Literal["lead.recycled"] = "lead.recycled"
    version: Literal[1] = 1
    data: LeadRecycledData


class LeadErased(Envelope):
    topic: ClassVar[str] = "lead.erased"
    type: Literal["lead.erased"] = "lead.erased"
    version: Literal[1] = 1
    data: LeadErasedData


class RepChanged(Envelope):
    """Routing's roster changed: a rep was added, changed, switched on or off, or removed. Its
    `lead_id` is `rep_key(rep_id)` (about no lead); `correlation_id` the same."""

    topic: ClassVar[str] = "rep.changed"
    type: Literal["rep.changed"] = "rep.changed"
    version: Literal[1] = 1
    data: RepChangedData

    @classmethod
    def of(cls, data: RepChangedData, *, producer: str, occurred_at: datetime) -> RepChanged:
        key = rep_key(data.rep_id)
        return cls.new(producer=producer, lead_id=key, correlation_id=key, data=data, occurred_at=occurred_at)


EVENT_TYPES: dict[str, type[Envelope]] = {
    cls.topic: cls
    for cls in (
        LeadCaptured,
        LeadScored,
        LeadQualified,
        LeadProgressed,
        LeadSlaWarned,
        LeadSlaBreached,
        LeadRecycled,
        LeadErased,
        RepChanged,
    )
}
TOPICS: tuple[str, ...] = tuple(EVENT_TYPES)


class UnknownEventType(ValueError):
    pass


def parse_event(raw: bytes | str | dict[str, Any]) -> Envelope:
    """Decode one event into its typed model; raises ValueError when it is not one."""
    if isinstance(raw, dict):
        event_type = raw.get("type")
        cls = EVENT_TYPES.get(str(event_type))
        if cls is None:
            raise UnknownEventType(f"unknown event type {event_type!r}")
        return cls.model_validate(raw)

    decoded = json.loads(raw)
    if not isinstance(decoded, dict):
        raise ValueError("an event must be a JSON object")
    return parse_event(decoded)

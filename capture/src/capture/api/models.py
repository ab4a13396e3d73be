"""HTTP models of capture's API: what a form or integration posts, what it gets back.

Past 300 lines on purpose: `LeadCreate` — every field a lead source may send, with the checks and
normalizations each needs — is most of it, and the touch, batch and erasure models reuse its
field types; split, a field's check would sit apart from its neighbours'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from capture.domain.normalize import (
    clean_text,
    company_size_band,
    normalize_country,
    normalize_email,
    normalize_phone,
)
from capture.domain.submission import Submission, build_submission
from leadkit.bounds import Instant

# text fields are trimmed as they are read: an empty one becomes None and never overwrites a fact
ShortText = Annotated[str | None, Field(default=None, max_length=300), AfterValidator(clean_text)]
LongText = Annotated[str | None, Field(default=None, max_length=2000), AfterValidator(clean_text)]
# a sender's clock may run a little ahead; beyond this, a time in the future is a mistake that
# would make the touch the lead's latest one until the future arrived
CLOCK_SKEW = timedelta(minutes=5)


def not_in_the_future(value: datetime | None) -> datetime | None:
    if value is not None and value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("occurred_at is in the future; send when the submission happened")
    return value


PastTime = Annotated[Instant | None, AfterValidator(not_in_the_future)]


def headcount_as_text(value: Any) -> Any:
    """Enrichment tools and many integrations send `company_size` as a JSON number."""
    if isinstance(value, bool):  # a JSON true is not a head count (bool is an int in Python)
        raise ValueError("company_size is a number of employees or a range such as 201-500")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("company_size cannot be negative")
        return str(value)
    return value


class LeadCreate(BaseModel):
    """Flat field names, as web forms send them. Fields not listed are kept as custom attributes."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "email": "ada@example.com",
                "first_name": "Ada",
                "company": "Analytical Engines Ltd",
                "job_title": "VP Engineering",
                "company_size": "201-500",
                "country": "GB",
                "form_id": "demo-request",
                "utm_source": "google",
                "utm_medium": "cpc",
                "utm_campaign": "brand-q4",
            }
        },
    )

    email: Annotated[str | None, Field(default=None, max_length=320)]
    # country comes before phone: it is the phone number's region hint
    country: Annotated[str | None, Field(default=None, max_length=60)]
    phone: Annotated[str | None, Field(default=None, max_length=40)]
    first_name: ShortText
    last_name: ShortText
    company: ShortText
    job_title: ShortText
    company_size: Annotated[ShortText, BeforeValidator(headcount_as_text)] = Field(
        default=None, description='A head count (250 or "250") or a range ("201-500"); stored as a band'
    )
    industry: ShortText
    form_id: ShortText
    page_url: LongText
    utm_source: ShortText
    utm_medium: ShortText
    utm_campaign: ShortText
    utm_content: ShortText
    utm_term: ShortText
    gclid: ShortText
    fbclid: ShortText
    msclkid: ShortText
    li_fat_id: ShortText
    referrer: LongText
    consent: bool | None = Field(default=None, description="Marketing consent given with this submission")
    consent_text: LongText = Field(default=None, description="Text shown")
    occurred_at: PastTime = Field(
        default=None, description="When the submission happened, for imports; defaults to now."
    )

    @field_validator("company_size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        return company_size_band(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value and clean_text(value) else None

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return normalize_country(value) if value and clean_text(value) else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not clean_text(value):
            return None
        assert value is not None
        return normalize_phone(value, country=info.data.get("country"))

    @model_validator(mode="after")
    def _email_or_phone(self) -> LeadCreate:
        if not self.email and not self.phone:
            raise ValueError("an email or a phone is required")
        return self

    def custom_attributes(self) -> dict[str, JsonValue]:
        return dict(self.model_extra or {})

    def to_submission(self, **context: Any) -> Submission:
        """The submission this request describes; `context` says how it came in (see build_submission)."""
        return build_submission(
            self.model_dump(exclude=set(self.model_extra or ())),
            attributes=self.custom_attributes(),
            **context,
        )

    @classmethod
    def lenient(cls, data: dict[str, Any]) -> tuple[LeadCreate | None, list[str]]:
        """For platforms' data, which nobody can correct: drop the fields that do not validate and keep
        the lead when an email or a phone survives. Returns the lead (or None) and what was dropped."""
        dropped: list[str] = []
        for _ in range(len(data) + 1):
            try:
                return cls.model_validate(data), dropped
            except ValidationError as exc:
                bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
                if not bad or not bad & set(data):
                    return None, dropped
                dropped.extend(sorted(bad & set(data)))
                data = {k: v for k, v in data.items() if k not in bad}
        return None, dropped


class LeadAccepted(BaseModel):
    lead_id: UUID
    correlation_id: UUID


class TouchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    occurred_at: datetime
    type: str
    via: str
    channel: str | None
    external_id: str | None
    is_test: bool
    referrer: str | None
    consent_marketing: bool | None
    source: str | None
    medium: str | None
    campaign: str | None
    content: str | None
    term: str | None
    gclid: str | None
    fbclid: str | None
    form_id: str | None
    page_url: str | None
    submitted: dict[str, Any] | None = Field(
        description="What an unauthenticated post (a public form) said of the person: kept here for "
        "review, never merged over the person's known fields"
    )


class LeadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    company_domain: str | None
    erased_at: datetime | None
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    job_title: str | None
    company_size: str | None
    industry: str | None
    country: str | None
    attributes: dict[str, JsonValue]
    created_at: datetime
    updated_at: datetime
    touches: list[TouchRead]


EngagementType = Literal[
    "content_download", "webinar_attended", "email_click", "page_visit", "meeting_booked"
]


class TouchCreate(BaseModel):
    """Engagement from a lead capture already knows, named by its lead id or its email."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "email": "ada@example.com",
                "type": "webinar_attended",
                "utm_campaign": "routing-masterclass",
            }
        },
    )

    lead_id: UUID | None = None
    email: Annotated[str | None, Field(default=None, max_length=320)]
    type: EngagementType
    occurred_at: PastTime = None
    page_url: LongText
    referrer: LongText
    utm_source: ShortText
    utm_medium: ShortText
    utm_campaign: ShortText
    utm_content: ShortText
    utm_term: ShortText

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value and clean_text(value) else None

    @model_validator(mode="after")
    def _lead_named(self) -> TouchCreate:
        if self.lead_id is None and self.email is None:
            raise ValueError("a lead_id or an email is required")
        return self


class ErasureCreate(BaseModel):
    """Forget one person, named by lead id, email or phone (in E.164)."""

    model_config = ConfigDict(extra="forbid")

    lead_id: UUID | None = None
    email: Annotated[str | None, Field(default=None, max_length=320)]
    phone: Annotated[str | None, Field(default=None, max_length=40)]

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value and clean_text(value) else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value, country=None) if value and clean_text(value) else None

    @model_validator(mode="after")
    def _someone_named(self) -> ErasureCreate:
        if self.lead_id is None and self.email is None and self.phone is None:
            raise ValueError("a lead_id, an email or a phone is required")
        return self


class ErasureAccepted(BaseModel):
    lead_id: UUID | None = Field(
        description="The first lead erased; null when only spam rows held the person"
    )
    lead_ids: list[UUID] = Field(description="Every lead erased: the id, email and phone may name several")
    erased_at: datetime


BATCH_LIMIT = 500


class LeadBatch(BaseModel):
    """Many leads in one request, for importers and integrations. Each is validated on its own:
    a bad one is answered with its errors and the rest are still captured."""

    leads: list[dict[str, Any]] = Field(
        min_length=1, max_length=BATCH_LIMIT, description="Each as `POST /v1/leads` takes it"
    )


class TouchBatch(BaseModel):
    touches: list[dict[str, Any]] = Field(
        min_length=1, max_length=BATCH_LIMIT, description="Each as `POST /v1/touches` takes it"
    )


class ItemResult(BaseModel):
    index: int = Field(description="The item's position in the request, from 0")
    status: int = Field(description="202 captured; 422 invalid (see errors); 404 no such lead (touches)")
    lead_id: UUID | None = None
    correlation_id: UUID | None = None
    errors: list[dict[str, Any]] | None = None


class BatchAccepted(BaseModel):
    accepted: int
    rejected: int
    results: list[ItemResult]

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from lead_schemas import (
    LeadCaptured,
    LeadCapturedData,
    LeadScored,
    LeadScoredData,
    Person,
    Touch,
    UnknownEventType,
    parse_event,
)

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _captured() -> LeadCaptured:
    return LeadCaptured.new(
        producer="capture",
        lead_id=uuid4(),
        correlation_id=uuid4(),
        occurred_at=NOW,
        data=LeadCapturedData(
            is_new=True,
            person=Person(email="ada@example.com"),
            touch=Touch(id="t1", occurred_at=NOW, source="google", medium="cpc"),
        ),
    )


def test_an_event_round_trips_through_json() -> None:
    event = _captured()
    assert parse_event(event.model_dump_json().encode()) == event


def test_a_caused_event_keeps_lead_and_correlation_and_points_back() -> None:
    captured = _captured()
    data = LeadScoredData(
        score=40, grade="B", fit_score=30, engagement_score=10, model_version="1", reasons=[]
    )
    scored = captured.caused(LeadScored, producer="scoring", data=data, occurred_at=NOW)
    assert (scored.lead_id, scored.correlation_id, scored.causation_id) == (
        captured.lead_id,
        captured.correlation_id,
        captured.id,
    )
    assert scored.type == "lead.scored"
    assert scored.id != captured.id


def test_readers_ignore_fields_they_do_not_know() -> None:
    event = _captured()
    raw = event.model_dump(mode="json")
    raw["added_later"] = 1
    raw["data"]["person"]["added_later"] = "x"
    assert parse_event(raw) == event


@pytest.mark.parametrize("raw", [b"[]", b'{"type": "lead.nope"}', b"not json"])
def test_what_is_not_an_event_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - UnknownEventType and JSON errors are both ValueErrors
        parse_event(raw)


def test_unknown_type_is_named() -> None:
    with pytest.raises(UnknownEventType, match=r"lead\.nope"):
        parse_event({"type": "lead.nope"})

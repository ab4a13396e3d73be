import json
import logging
import tomllib
from collections.abc import Iterator

import pytest
import structlog

from leadkit.admin import DEFAULT_TOPICS_FILE, topic_specs
from leadkit.logging import configure_logging
from leadkit.settings import LeadloopSettings
from leadkit.topics import TopicNames


def test_every_contract_topic_has_a_dead_letter_twin_kept_forever() -> None:
    specs = topic_specs(tomllib.loads(DEFAULT_TOPICS_FILE.read_text()))
    names = {spec.name for spec in specs}
    contract = {
        "lead.captured",
        "lead.scored",
        "lead.qualified",
        "lead.progressed",
        "lead.sla_breached",
        "lead.recycled",
        "lead.erased",
    }
    assert names == contract | {f"{t}.dlq" for t in contract}
    assert {spec.partitions for spec in specs} == {12}
    assert all(spec.config["retention.ms"] == "-1" for spec in specs)


def test_overrides_win_over_defaults() -> None:
    definition = {
        "defaults": {"partitions": 12, "replication_factor": 1, "config": {"retention.ms": "-1"}},
        "topics": {"a": {"partitions": 3, "config": {"retention.ms": "1000"}}},
    }
    (spec,) = topic_specs(definition, replication_factor=3)
    assert (spec.partitions, spec.replication_factor, spec.config) == (3, 3, {"retention.ms": "1000"})


def test_a_prefix_isolates_topics_and_groups_but_not_logical_names() -> None:
    names = TopicNames("test.")
    assert names.physical("lead.scored") == "test.lead.scored"
    assert names.logical("test.lead.scored") == "lead.scored"
    assert names.group("routing") == "test.routing"


def test_api_keys_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADLOOP_API_KEYS", " k1, k2 ,,")
    assert LeadloopSettings().api_key_list() == ["k1", "k2"]


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers; give the next tests theirs back, so nothing
    logs into the stream pytest closes after this test."""
    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.mark.usefixtures("restored_logging")
def test_every_log_line_carries_the_trace_keys(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="unit", level="INFO")
    with structlog.contextvars.bound_contextvars(lead_id="L1"):
        structlog.get_logger("t").info("with lead")
    logging.getLogger("plain.stdlib").warning("from the standard library")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["with lead", "from the standard library"]
    assert lines[0]["lead_id"] == "L1"
    for line in lines:
        assert {"lead_id", "correlation_id", "causation_id", "service", "timestamp"} <= set(line)

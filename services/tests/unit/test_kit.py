import json
import logging
import tomllib
from collections.abc import Iterator
from urllib.parse import quote

import asyncpg
import pytest
import structlog
from sqlalchemy.exc import DBAPIError

from lead_schemas import EVENT_TYPES
from lead_schemas.privacy import HISTORY_TOPICS, PERSONAL_TOPICS
from leadkit.infrastructure import is_infrastructure_error
from leadkit.logging import configure_logging
from leadkit.redact import Redactor, secrets_of
from leadkit.settings import LeadloopSettings
from leadkit.topic_specs import DEFAULT_TOPICS_FILE, topic_specs
from leadkit.topics import TopicNames


def test_history_is_kept_forever_and_personal_data_for_the_privacy_window_only() -> None:
    specs = {spec.name: spec for spec in topic_specs(tomllib.loads(DEFAULT_TOPICS_FILE.read_text()))}
    contract = set(EVENT_TYPES) | set(HISTORY_TOPICS)
    assert set(specs) == contract | {f"{t}.dlq" for t in contract}
    assert {spec.partitions for spec in specs.values()} == {3}  # one machine; a cluster sets more
    thirty_days = str(30 * 86_400_000)
    kept_forever = {name for name, spec in specs.items() if spec.config["retention.ms"] == "-1"}
    assert kept_forever == contract - set(PERSONAL_TOPICS)  # reporting rebuilds from these alone
    for name in [*PERSONAL_TOPICS, *(n for n in specs if n.endswith(".dlq"))]:
        assert specs[name].config["retention.ms"] == thirty_days, name
        assert int(specs[name].config["segment.ms"]) <= 86_400_000  # the bound's last day


def test_a_privacy_window_of_seconds_rolls_segments_as_often() -> None:
    specs = topic_specs(tomllib.loads(DEFAULT_TOPICS_FILE.read_text()), privacy_window_ms=20_000)
    (captured,) = [spec for spec in specs if spec.name == "lead.captured"]
    assert (captured.config["retention.ms"], captured.config["segment.ms"]) == ("20000", "20000")


def test_overrides_win_over_defaults() -> None:
    definition = {
        "defaults": {"partitions": 12, "replication_factor": 1, "config": {"retention.ms": "-1"}},
        "topics": {"a": {"partitions": 3, "config": {"retention.ms": "1000"}}},
    }
    (spec,) = topic_specs(definition, replication_factor=3)
    assert (spec.partitions, spec.replication_factor, spec.config) == (3, 3, {"retention.ms": "1000"})


def test_the_deployment_sets_the_partitions_of_every_topic() -> None:
    specs = topic_specs(tomllib.loads(DEFAULT_TOPICS_FILE.read_text()), partitions=12)
    assert {spec.partitions for spec in specs} == {12}


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


@pytest.mark.usefixtures("restored_logging")
def test_secrets_never_reach_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "s3cr3t/token+1"
    configure_logging(service="unit", level="INFO", redactor=Redactor([secret]))
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/1.1" %d', "127.0.0.1:1", "GET", "/hook?hub.verify_token=guess&x=1", 403)
    logging.getLogger("httpx").info("HTTP Request: GET https://graph.example/1?access_token=%s", secret)
    try:
        raise RuntimeError(f"fetch failed for url https://api.example/?key={quote(secret, safe='')}")
    except RuntimeError:
        structlog.get_logger("t").exception("failed", detail={"token": secret})
    out = capsys.readouterr().out
    assert secret not in out
    assert quote(secret, safe="") not in out
    assert "guess" not in out  # a credential-named parameter is masked whatever its value
    assert "hub.verify_token=[redacted]&x=1" in out
    assert out.count("[redacted]") >= 4


def test_secrets_are_every_secret_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADLOOP_API_KEYS", "key-one-123,key-two-456")
    assert sorted(secrets_of(LeadloopSettings())) == ["key-one-123", "key-two-456"]
    assert Redactor(["abc"])("abc stays: too short to replace everywhere") == (
        "abc stays: too short to replace everywhere"
    )


def _with_sqlstate(code: str) -> Exception:
    error = Exception(f"server error {code}")
    error.sqlstate = code  # type: ignore[attr-defined]  # as asyncpg's errors carry it
    return error


@pytest.mark.parametrize(
    ("error", "infrastructure"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (DBAPIError("SELECT 1", {}, Exception("closed"), connection_invalidated=True), True),
        (_with_sqlstate("57P03"), True),  # the database system is starting up
        (_with_sqlstate("08006"), True),  # connection failure
        (_with_sqlstate("53300"), True),  # too many connections
        (_with_sqlstate("23505"), False),  # a unique violation is the handler's own
        (_with_sqlstate("40P01"), False),  # a deadlock too
        (RuntimeError("a bug"), False),
        (ValueError("bad event"), False),
        # asyncpg on a connection PostgreSQL dropped mid-operation while restarting
        (
            asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
            True,
        ),
        (asyncpg.InternalClientError("something else"), False),
    ],
)
def test_which_errors_are_the_infrastructure(error: BaseException, infrastructure: bool) -> None:
    assert is_infrastructure_error(error) is infrastructure
    wrapped = RuntimeError("while handling")  # as it reaches the consumer through a handler
    wrapped.__cause__ = error
    assert is_infrastructure_error(wrapped) is infrastructure


def test_two_keys_of_one_long_source_never_share_a_prefix() -> None:
    from leadkit.api_keys import PREFIX_RANDOM_CHARACTERS, new_key, slug_of

    first, second = (new_key(slug_of("auditrotation", default="key")) for _ in range(2))
    assert first.prefix != second.prefix
    assert first.key.startswith(first.prefix)
    assert len(first.prefix) == len("ll_auditrotatio_") + PREFIX_RANDOM_CHARACTERS


def test_one_glob_matcher_for_rules_conditions_and_tiers() -> None:
    from leadkit.globs import compile_globs, matches_any

    assert matches_any(("partner-*",), "Partner-Acme")  # case-blind, whole value
    assert not matches_any(("partner-*",), "my-partner-acme")
    assert matches_any(("de", "at"), ["fr", "AT"])  # a list matches when any item does
    assert not matches_any(("*",), None)  # a missing value never matches
    assert not matches_any((), "anything")
    assert compile_globs(("*/pricing*",)).match("https://x.example/pricing?plan=pro")
    assert matches_any(("lead?",), "leads")
    assert not matches_any(("lead?",), "lead")

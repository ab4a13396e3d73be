import pytest

from routing.domain.config import InvalidRoutingConfig, load_routing_config
from routing.domain.qualify import qualify
from routing.settings import DEFAULT_CONFIG


@pytest.mark.parametrize(("score", "qualified"), [(49, False), (50, True), (95, True)])
def test_an_event_from_before_scoring_qualified_falls_back_to_the_mql_bar(
    score: int, qualified: bool
) -> None:
    decision = qualify(score=score, grade="B", level=None, qualified=None, model_version="1", threshold=50)
    assert decision.qualified is qualified
    assert "MQL bar of 50" in decision.reason


@pytest.mark.parametrize("qualified", [True, False])
def test_scoring_s_qualification_wins_over_the_bar(qualified: bool) -> None:
    # a score far above the old bar, and far below it: the event's verdict decides either way
    for score in (5, 95):
        decision = qualify(
            score=score, grade="A", level="warm", qualified=qualified, model_version="3", threshold=50
        )
        assert decision.qualified is qualified
        assert "grade A, engagement warm" in decision.reason
        assert "scoring model 3" in decision.reason


def test_the_default_config_loads() -> None:
    config = load_routing_config(DEFAULT_CONFIG.read_text())
    assert config.mql_threshold == 50
    assert len(config.reps) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[reps]]\nid='a'\nname='A'\nemail='a'", "KeyError"),
        (
            "[qualification]\nmql_threshold=1\n[[reps]]\nid='a'\nname='A'\nemail='a'\nteam='x'",
            "unknown teams",
        ),
        (
            "[qualification]\nmql_threshold=1\n[[reps]]\nid='a'\nname='A'\nemail='a'\n[[reps]]\nid='a'\nname='B'\nemail='b'",
            "unique",
        ),
    ],
)
def test_a_broken_config_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidRoutingConfig, match=message):
        load_routing_config(text)

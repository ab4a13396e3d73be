"""score_at: fit, decaying engagement, caps, the matrix, and when decay alone changes a level."""

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.domain.model import DEFAULT_MODEL as DEFAULT_RULES
from scoring.domain.model import load_rule_model
from scoring.domain.score import Score, round_half_away, score_at
from scoring.domain.touches import Touch

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC).timestamp()
DAY = 86400.0
DEFAULT = load_rule_model(DEFAULT_RULES.read_text())

# A model small enough to work out by hand: a webinar worth 40 with a 10-day half-life, page
# visits worth 10 under a group cap of 15, levels hot ≥ 30, warm ≥ 10.
WEBINAR = load_rule_model(
    """
label = "hand"
[grades]
A = { min = 20 }
B = { min = 10, max = 20 }
[levels]
hot = 30
warm = 10
cold = 0
[qualification]
A = ["hot"]
B = ["hot"]
[groups.web]
cap = 15
[[rules]]
id = "senior"
kind = "fit"
field = "job_title"
op = "contains_any"
value = ["vp"]
points = 25
[[rules]]
id = "webinar"
kind = "engagement"
touch = { type = ["webinar_attended"] }
half_life = "10d"
points = 40
[[rules]]
id = "visit"
kind = "engagement"
touch = { type = ["page_visit"], page_url = ["*/pricing*"] }
group = "web"
max_times = 2
points = 10
[[rules]]
id = "unsubscribed"
kind = "negative"
field = "attributes.unsubscribed"
op = "is_true"
points = -5
"""
)
VP = {"job_title": "VP Sales"}


def _touch(n: int, at: float, type: str = "webinar_attended", **fields: str) -> Touch:
    return Touch(id=f"t{n}", at=at, type=type, **fields)


def _sum_of_lines(score: Score) -> int:
    return sum(hit.points for hit in score.hits)


def test_a_webinar_halves_every_half_life() -> None:
    touches = [_touch(1, T0)]
    fresh = score_at(VP, touches, WEBINAR, T0)
    assert (fresh.fit, fresh.engagement, fresh.grade, fresh.level, fresh.qualified) == (
        25,
        40,
        "A",
        "hot",
        True,
    )
    assert score_at(VP, touches, WEBINAR, T0 + 10 * DAY).engagement == 20  # 40 · 0.5
    assert score_at(VP, touches, WEBINAR, T0 + 20 * DAY).engagement == 10  # 40 · 0.25
    three_days = score_at(VP, touches, WEBINAR, T0 + 3 * DAY)
    assert three_days.hits[-1].exact == pytest.approx(40 * 0.5 ** (3 / 10))  # 32.49…
    assert three_days.engagement == 32


def test_decay_alone_moves_the_level_at_the_crossing() -> None:
    score = score_at(VP, [_touch(1, T0)], WEBINAR, T0)
    # 40 · 0.5^(d/10) rounds below 30 once it is under 29.5: d = 10 · log2(40 / 29.5) days
    crossing = T0 + 10 * DAY * math.log2(40 / 29.5)
    assert score.next_change_at == pytest.approx(crossing, abs=0.5)
    assert score_at(VP, [_touch(1, T0)], WEBINAR, crossing - 1).level == "hot"
    after = score_at(VP, [_touch(1, T0)], WEBINAR, crossing + 1)
    assert (after.level, after.qualified) == ("warm", False)
    # and the next one: under 9.5, from warm to cold
    assert after.next_change_at == pytest.approx(T0 + 10 * DAY * math.log2(40 / 9.5), abs=0.5)


def test_points_that_never_decay_never_schedule_a_change() -> None:
    score = score_at(VP, [_touch(1, T0, "page_visit", page_url="https://x.example/pricing")], WEBINAR, T0)
    assert score.engagement == 10
    assert score.next_change_at is None


def test_repeat_caps_count_the_latest_touches_and_group_caps_take_back_the_excess() -> None:
    visits = [_touch(n, T0 + n, "page_visit", page_url="https://x.example/Pricing/plans") for n in range(5)]
    score = score_at(VP, visits, WEBINAR, T0 + 10)
    visit = next(hit for hit in score.hits if hit.rule_id == "visit")
    cap = next(hit for hit in score.hits if hit.rule_id == "cap:web")
    assert (visit.points, visit.times) == (20, 2)
    assert (cap.kind, cap.points) == ("cap", -5)
    assert score.engagement == 15 == _sum_of_lines(score) - score.fit


def test_a_touch_matches_on_every_field_it_names() -> None:
    other_page = _touch(1, T0, "page_visit", page_url="https://x.example/careers")
    assert score_at(VP, [other_page], WEBINAR, T0).engagement == 0


def test_negative_rules_subtract_from_fit() -> None:
    score = score_at({**VP, "attributes.unsubscribed": True}, [], WEBINAR, T0)
    assert (score.fit, score.grade) == (20, "A")
    assert [(hit.rule_id, hit.kind, hit.points) for hit in score.hits] == [
        ("senior", "fit", 25),
        ("unsubscribed", "negative", -5),
    ]


def test_touches_after_the_instant_and_before_a_reset_do_not_count() -> None:
    touches = [_touch(1, T0), _touch(2, T0 + DAY)]
    assert score_at(VP, touches, WEBINAR, T0 + DAY / 2).hits[-1].times == 1
    assert score_at(VP, touches, WEBINAR, T0 + DAY, engagement_since=T0 + 1).hits[-1].times == 1


@pytest.mark.parametrize(
    ("value", "whole"), [(2.5, 3), (-2.5, -3), (2.49, 2), (0.5, 1), (0.49, 0), (-0.5, -1)]
)
def test_points_round_half_away_from_zero(value: float, whole: int) -> None:
    assert round_half_away(value) == whole


def test_the_default_model_qualifies_a_senior_buyer_asking_for_a_demo() -> None:
    facts = {
        "job_title": "VP Sales",
        "employees": 201,
        "industry": "SaaS",
        "country": "DE",
        "has_phone": True,
    }
    demo = _touch(1, T0, "form_submission", form_id="demo-request")
    score = score_at(facts, [demo], DEFAULT, T0)
    assert {hit.rule_id for hit in score.hits} == {
        "senior-title", "mid-market", "target-industry", "served-country", "reachable-by-phone",
        "hand-raiser", "returning",
    }  # fmt: skip
    assert (score.fit, score.engagement, score.grade, score.level, score.qualified) == (
        70,
        35,
        "A",
        "warm",
        True,
    )


def test_a_student_with_a_free_email_is_a_d() -> None:
    score = score_at({"job_title": "Student", "email_domain": "gmail.com"}, [], DEFAULT, T0)
    assert (score.fit, score.grade, score.qualified) == (-45, "D", False)


TOUCH_TYPES = st.sampled_from(
    ["webinar_attended", "page_visit", "email_click", "content_download", "form_submission"]
)
TOUCHES = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=120 * DAY),
        TOUCH_TYPES,
        st.sampled_from(["/pricing", "/blog", "/demo"]),
    ),
    max_size=25,
).map(
    lambda specs: sorted(
        (Touch(id=f"t{n}", at=T0 + at, type=type, page_url=f"https://x.example{page}", form_id="demo")
         for n, (at, type, page) in enumerate(specs)),
        key=lambda touch: touch.at,
    )
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(TOUCHES, st.floats(min_value=0, max_value=400 * DAY))
def test_the_lines_sum_to_the_total_and_the_same_history_gives_the_same_score(
    touches: list[Touch], later: float
) -> None:
    at = T0 + later
    score = score_at(VP, touches, DEFAULT, at)
    assert _sum_of_lines(score) == score.total == score.fit + score.engagement
    assert score_at(VP, list(touches), DEFAULT, at) == score


@settings(max_examples=40, deadline=None)
@given(TOUCHES)
def test_the_level_holds_until_the_scheduled_change_and_differs_right_after(touches: list[Touch]) -> None:
    at = T0 + 120 * DAY
    score = score_at(VP, touches, DEFAULT, at)
    if score.next_change_at is None:
        assert score_at(VP, touches, DEFAULT, at + 10_000 * DAY).level == score.level
        return
    assert score.next_change_at > at
    assert score_at(VP, touches, DEFAULT, score.next_change_at - 1).level == score.level
    assert score_at(VP, touches, DEFAULT, score.next_change_at).level != score.level

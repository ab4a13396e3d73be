"""What outcomes say about the model, the classifier fitted on them, and the what-if. Pure."""

import random
from uuid import uuid4

import pytest

from scoring.domain.insights import LeadOutcome, band_of, calibration, contradicted_rules
from scoring.domain.model import load_rule_model
from scoring.domain.predict import Predictor
from scoring.domain.simulate import SimulatedLead, simulate
from scoring.domain.touches import Touch
from scoring.learning import Example, TooLittleData, fit_predictor


def _lead(
    rules: set[str], *stages: str, rejected: str | None = None, score: int = 50, grade: str = "B"
) -> LeadOutcome:
    return LeadOutcome(score, grade, frozenset(rules), frozenset(stages), rejected_reason=rejected)


def test_a_rule_whose_leads_sales_rejects_for_one_reason_is_named_in_plain_words() -> None:
    target = [_lead({"target-industry"}, "rejected", rejected="no_budget") for _ in range(16)]
    target += [_lead({"target-industry"}, "accepted", "sql") for _ in range(9)]
    others = [_lead({"senior-title"}, "accepted", "sql") for _ in range(48)]
    [found] = contradicted_rules(target + others, min_leads=10)
    assert (found.rule_id, found.verdict, found.reason, found.leads) == (
        "target-industry",
        "rejected",
        "no_budget",
        25,
    )
    assert found.line == (
        "leads matching `target-industry` were rejected 64 % of the time as `no_budget`, "
        "against 22 % overall (25 leads with an outcome)"
    )


def test_a_rule_with_too_few_outcomes_or_an_ordinary_share_is_not_named() -> None:
    few = [_lead({"rare"}, "rejected", rejected="no_budget") for _ in range(3)]
    ordinary = [_lead({"common"}, "rejected", rejected="bad_timing") for _ in range(10)]
    ordinary += [_lead({"common"}, "accepted") for _ in range(30)]
    assert contradicted_rules(few + ordinary, min_leads=10) == []


def test_calibration_groups_by_band_and_grade() -> None:
    outcomes = [_lead(set(), "sql", score=80, grade="A"), _lead(set(), "won", "sql", score=90, grade="A")]
    outcomes += [_lead(set(), "rejected", score=10, grade="D")]
    bands, grades = calibration(outcomes)
    assert [(c.key, c.leads, c.sql_rate, c.win_rate) for c in bands] == [
        ("0..24", 1, 0.0, 0.0),
        ("75..99", 2, 1.0, 0.5),
    ]
    assert [(c.key, c.leads) for c in grades] == [("A", 2), ("D", 1)]
    assert band_of(-3) == "-25..-1"


def test_too_little_data_is_said_not_guessed() -> None:
    examples = [Example({"fit": 0.5}, reached_sql=i < 5, won=False) for i in range(40)]
    refused = fit_predictor(examples, min_leads=200, min_conversions=20)
    assert isinstance(refused, TooLittleData)
    assert "40 leads with an outcome of which 5 reached SQL" in refused.message


def test_the_fitted_classifier_is_calibrated_and_survives_its_parameters() -> None:
    rng = random.Random(7)
    examples = []
    for _ in range(1500):  # leads with the hand-raiser rule reach SQL 60 % of the time, others 10 %
        raised = rng.random() < 0.5
        sql = rng.random() < (0.6 if raised else 0.1)
        examples.append(Example({"rule:hand-raiser": 1.0} if raised else {}, sql, sql and rng.random() < 0.3))
    fitted = fit_predictor(examples, min_leads=200, min_conversions=20)
    assert isinstance(fitted, Predictor)
    again = Predictor.from_parameters(1, fitted.parameters())
    raised_p = again.sql.probability([1.0])
    other_p = again.sql.probability([0.0])
    assert raised_p == pytest.approx(0.6, abs=0.06)
    assert other_p == pytest.approx(0.1, abs=0.04)
    assert again.won is not None


SIMPLE_DOCUMENT = """
[grades]
A = { min = 10 }
[levels]
hot = 20
cold = 0
[qualification]
A = ["hot"]
[[rules]]
id = "senior"
kind = "fit"
field = "job_title"
op = "contains_any"
value = ["vp"]
points = 10
[[rules]]
id = "webinar"
kind = "engagement"
touch = { type = ["webinar_attended"] }
points = 20
"""
SIMPLE = load_rule_model(SIMPLE_DOCUMENT)
STRICT = load_rule_model(SIMPLE_DOCUMENT.replace("hot = 20", "hot = 30"))


def _sim_lead(webinars: int, source: str, *stages: str) -> SimulatedLead:
    touches = [
        Touch(id=f"t{n}", at=1000.0 + n, type="webinar_attended", source=source) for n in range(webinars)
    ]
    return SimulatedLead(uuid4(), {"job_title": "VP"}, touches, frozenset(stages))


def test_a_stricter_draft_has_fewer_mqls_and_says_which_flipped_and_how_they_converted() -> None:
    leads = [_sim_lead(1, "google", "rejected"), _sim_lead(2, "google", "sql"), _sim_lead(1, "meta")]
    result = simulate(leads, draft=STRICT, active=SIMPLE, until=5000.0)
    assert (result.leads, result.active_mqls, result.draft_mqls) == (3, 3, 1)
    assert (result.stopped_being_mql.count, result.became_mql.count) == (2, 0)
    assert {example["source"] for example in result.stopped_being_mql.examples} == {"google", "meta"}
    assert (result.by_source["google"].active, result.by_source["google"].draft) == (2, 1)
    assert (result.draft_outcomes.mqls, result.draft_outcomes.reached_sql) == (1, 1)
    assert (result.active_outcomes.with_outcome, result.active_outcomes.rejected) == (2, 1)

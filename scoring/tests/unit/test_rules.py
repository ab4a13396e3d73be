from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lead_schemas import LeadCapturedData, Person, Touch
from leadkit.policies import InvalidPolicy
from scoring.domain.facts import employees_lower_bound, fold_captured
from scoring.domain.model import Condition, Rule, RuleModel, load_rule_model
from scoring.domain.rules import grade_for, matches, score
from scoring.settings import DEFAULT_RULES

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MODEL = load_rule_model(DEFAULT_RULES.read_text())


def _captured(form_id: str | None = None, **person: str) -> LeadCapturedData:
    return LeadCapturedData(
        is_new=True,
        person=Person(**person),
        touch=Touch(id="t", occurred_at=NOW, form_id=form_id, medium="cpc", gclid="g1"),
    )


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        (Condition("job_title", "contains_any", ["vp", "chief"]), {"job_title": "Chief of Staff"}, True),
        (Condition("job_title", "contains_any", ["vp"]), {"job_title": "Engineer"}, False),
        (Condition("country", "in", ["US", "GB"]), {"country": "gb"}, True),
        (Condition("employees", "gte", 50), {"employees": 51}, True),
        (Condition("employees", "gte", 50), {"employees": None}, False),
        (Condition("employees", "lte", 10), {"employees": "ten"}, False),
        (Condition("forms", "contains_any", ["demo"]), {"forms": ["newsletter", "demo-request"]}, True),
        (Condition("has_phone", "is_true"), {"has_phone": True}, True),
        (Condition("has_phone", "is_true"), {"has_phone": "yes"}, False),
        (Condition("company", "exists"), {"company": ""}, False),
        (Condition("industry", "equals", "software"), {"industry": "Software"}, True),
        (Condition("missing", "in", ["x"]), {}, False),
    ],
)
def test_conditions(condition: Condition, facts: dict[str, object], expected: bool) -> None:
    assert matches(condition, facts) is expected


def test_a_senior_buyer_asking_for_a_demo_is_an_a_with_reasons() -> None:
    facts = fold_captured(
        {},
        _captured(
            form_id="demo-request",
            job_title="VP Sales",
            company_size="201-500",
            industry="SaaS",
            country="DE",
            email="vp@corp.example",
            phone="+4930901820",
        ),
    )
    result = score(facts, MODEL)
    fired = {rule.id for rule in result.fired}
    assert fired == {
        "senior-title",
        "mid-market",
        "target-industry",
        "served-country",
        "hand-raiser",
        "reachable-by-phone",
    }
    assert (result.fit, result.engagement) == (65, 35)
    assert (result.score, result.grade) == (100, "A")  # 100 after clamping
    assert result.model_version == MODEL.version


def test_a_student_with_a_free_email_scores_low() -> None:
    result = score(fold_captured({}, _captured(email="kid@gmail.com", job_title="Student")), MODEL)
    assert [rule.id for rule in result.fired] == ["free-email"]
    assert (result.score, result.grade) == (0, "D")


def test_touches_accumulate_into_engagement() -> None:
    facts: dict[str, object] = {}
    for _ in range(4):
        facts = fold_captured(facts, _captured(email="a@corp.example"))
    assert facts["touch_count"] == 4
    assert {"returning", "engaged"} <= {rule.id for rule in score(facts, MODEL).fired}


def test_a_newer_empty_field_does_not_erase_a_fact() -> None:
    facts = fold_captured({}, _captured(job_title="CTO", email="a@corp.example"))
    facts = fold_captured(facts, _captured(email="a@corp.example"))
    assert facts["job_title"] == "CTO"


@pytest.mark.parametrize(
    ("size", "employees"),
    [("51-200", 51), ("1000+", 1000), ("1,001-5,000", 1001), ("small", None), (None, None)],
)
def test_company_size_bands(size: str | None, employees: int | None) -> None:
    assert employees_lower_bound(size) == employees


def test_grades_follow_the_floors() -> None:
    assert [grade_for(s, MODEL) for s in (100, 75, 74, 50, 25, 24, 0)] == ["A", "A", "B", "B", "C", "D", "D"]


@given(st.lists(st.integers(min_value=-200, max_value=200), max_size=12))
def test_a_score_stays_within_0_and_the_maximum(points: list[int]) -> None:
    model = RuleModel(
        version="h",
        rules=tuple(Rule(f"r{i}", "fit", "", p, Condition("x", "exists")) for i, p in enumerate(points)),
        grade_floors=(("A", 75),),
    )
    assert 0 <= score({"x": 1}, model).score <= model.max_score


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        (
            '[[rules]]\nid = "a"',
            {"rules[0].kind", "rules[0].description", "rules[0].points", "rules[0].field", "rules[0].op"},
        ),
        (
            '[[rules]]\nid="a"\nkind="fit"\ndescription=""\npoints=1\nfield="employees"\nop="near"',
            {"rules[0].op"},
        ),
        (
            '[[rules]]\nid="a"\nkind="vibe"\ndescription=""\npoints=1\nfield="employees"\nop="exists"',
            {"rules[0].kind"},
        ),
        (
            '[[rules]]\nid="a"\nkind="fit"\ndescription=""\npoints=1\nfield="shoe_size"\nop="exists"',
            {"rules[0].field"},
        ),
        ("max_score = 0\n[grades]\nA = 10\nB = 20", {"max_score"}),
        ("[grades]\nA = 10\nB = 20", {"grades"}),
        ("colour = 'red'", {"colour"}),
        ("not = [toml", {"$"}),
    ],
)
def test_a_broken_rule_model_is_refused_naming_the_path_of_each_wrong_part(
    text: str, paths: set[str]
) -> None:
    with pytest.raises(InvalidPolicy) as refused:
        load_rule_model(text)
    assert {problem.path for problem in refused.value.problems} == paths


def test_every_part_of_a_model_with_many_faults_is_named_at_once() -> None:
    rule = 'id="{id}"\nkind="fit"\ndescription=""\npoints=1\nfield="employees"\nop="{op}"'
    text = "\n".join(
        ["[[rules]]\n" + rule.format(id="a", op="exists")] * 2
        + ["[[rules]]\n" + rule.format(id="b", op="near")]
    )
    with pytest.raises(InvalidPolicy) as refused:
        load_rule_model(text)
    assert {problem.path for problem in refused.value.problems} == {"rules[1].id", "rules[2].op"}
    with pytest.raises(InvalidPolicy) as duplicate:
        load_rule_model("\n".join(["[[rules]]\n" + rule.format(id="a", op="exists")] * 2))
    assert [problem.path for problem in duplicate.value.problems] == ["rules[1].id"]

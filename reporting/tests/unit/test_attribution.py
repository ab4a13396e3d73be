"""Each attribution model on small journeys worked by hand (and the issue's five-journey Markov
example); every model's credits sum to the totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from reporting.domain.attribution import MODELS, attribute
from reporting.domain.journeys import Journey, TouchPoint, apportion
from reporting.domain.markov import CONVERSION, NULL, START, markov
from reporting.domain.model_formulas import MODEL_FORMULAS
from reporting.domain.shapley import shapley_credits, shapley_values

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def journey(
    keys: str,
    converted: bool = True,
    revenue: str = "0",
    *,
    created: int = 0,
    opportunity_after: int | None = None,
) -> Journey:
    """Touches a day apart; the outcome a day after the last touch."""
    touches = tuple(TouchPoint(T0 + timedelta(days=i), key, i == created) for i, key in enumerate(keys))
    opportunity = None if opportunity_after is None else T0 + timedelta(days=opportunity_after, hours=1)
    return Journey(touches, converted, Decimal(revenue), T0 + timedelta(days=len(keys)), opportunity)


def credits(model: str, *journeys: Journey, half_life: float = 168.0) -> dict[str, tuple[float, Decimal]]:
    result = attribute(journeys, [model], half_life_hours=half_life)  # type: ignore[list-item]
    return {c.key: (c.conversions, c.revenue) for c in result.models[model]}  # type: ignore[index]


def test_first_and_last_touch() -> None:
    path = journey("ABC", revenue="100")
    assert credits("first_touch", path) == {"A": (1.0, Decimal("100.00"))}
    assert credits("last_touch", path) == {"C": (1.0, Decimal("100.00"))}


def test_linear_gives_each_touch_a_share_so_a_key_touched_twice_of_three_gets_two_thirds() -> None:
    found = credits("linear", journey("ABA", revenue="90"))
    assert found == {
        "A": (pytest.approx(2 / 3), Decimal("60.00")),
        "B": (pytest.approx(1 / 3), Decimal("30.00")),
    }


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("A", {"A": 1.0}),
        ("AB", {"A": 0.5, "B": 0.5}),
        ("ABC", {"A": 0.4, "B": 0.2, "C": 0.4}),
        ("ABCD", {"A": 0.4, "B": 0.1, "C": 0.1, "D": 0.4}),
    ],
)
def test_u_shaped(keys: str, expected: dict[str, float]) -> None:
    found = {key: value for key, (value, _) in credits("u_shaped", journey(keys)).items()}
    assert found == pytest.approx(expected)


def test_w_shaped_positions_and_how_they_merge() -> None:
    # first A, made-the-lead B, last before the opportunity D; C and E share the 10 %
    five = journey("ABCDE", created=1, opportunity_after=3)
    found = {k: v for k, (v, _) in credits("w_shaped", five).items()}
    assert found == pytest.approx({"A": 0.3, "B": 0.3, "C": 0.05, "D": 0.3, "E": 0.05})
    # the first touch made the lead: it holds two positions (60 %), the last before the outcome 30 %
    three = journey("ABC", created=0)
    assert {k: v for k, (v, _) in credits("w_shaped", three).items()} == pytest.approx(
        {"A": 0.6, "B": 0.1, "C": 0.3}
    )
    # two touches, no others: the 10 % goes to the positions alike — A holds two of three
    two = journey("AB", created=0)
    assert {k: v for k, (v, _) in credits("w_shaped", two).items()} == pytest.approx({"A": 2 / 3, "B": 1 / 3})
    assert credits("w_shaped", journey("A"))["A"][0] == pytest.approx(1.0)


def test_time_decay_halves_a_touchs_weight_per_half_life_before_the_outcome() -> None:
    # touches 3, 2 and 1 days before the outcome with a one-day half-life: weights 1/8, 1/4, 1/2
    found = {k: v for k, (v, _) in credits("time_decay", journey("ABC"), half_life=24.0).items()}
    assert found == pytest.approx({"A": 1 / 7, "B": 2 / 7, "C": 4 / 7})


def test_markov_on_the_issues_five_journeys() -> None:
    journeys = [
        journey("AAB", revenue="90"),
        journey("ABA", revenue="90"),
        journey("C", revenue="30"),
        journey("BC", converted=False),
        journey("CB", converted=False),
    ]
    model = markov(journeys)
    assert model.conversion_probability == pytest.approx(0.6)
    assert model.removal_effects == pytest.approx({"A": 0.575758, "B": 0.555556, "C": 0.466667}, abs=1e-6)
    assert model.transitions[START] == pytest.approx({"A": 0.4, "B": 0.2, "C": 0.4})
    assert model.transitions["C"] == pytest.approx({CONVERSION: 1 / 3, "B": 1 / 3, NULL: 1 / 3})
    result = attribute(journeys, ["markov"])
    total = sum(model.removal_effects.values())
    found = {c.key: c for c in result.models["markov"]}
    assert found["A"].conversions == pytest.approx(3 * 0.575758 / total, abs=1e-5)
    assert sum(c.revenue for c in found.values()) == Decimal("210.00")


def test_shapley_values_of_a_two_player_game_by_hand() -> None:
    # v(A) = 0.5, v(B) = 0.1, v(AB) = 0.8: φA = ½(0.5) + ½(0.8 - 0.1) = 0.6, φB = 0.2
    worth = {frozenset("A"): 0.5, frozenset("B"): 0.1, frozenset("AB"): 0.8}
    assert shapley_values(frozenset("AB"), worth) == pytest.approx({"A": 0.6, "B": 0.2})


def test_shapley_splits_each_sets_conversions_by_its_game() -> None:
    journeys = [
        journey("A", revenue="10"),  # {A}: 1 of 2 converted
        journey("A", converted=False),
        journey("B", converted=False),  # {B}: 0 of 1
        journey("AB", revenue="100"),  # {A,B}: 1 of 1 — v = 1, φA = ½·0.5 + ½·1 = 0.75, φB = 0.25
    ]
    found, _ = shapley_credits(journeys)
    assert dict(found.conversions) == pytest.approx({"A": 1.75, "B": 0.25})
    result = {c.key: c.revenue for c in attribute(journeys, ["shapley"]).models["shapley"]}
    assert result == {"A": Decimal("85.00"), "B": Decimal("25.00")}


def test_every_model_sums_to_the_totals() -> None:
    journeys = [
        journey("ABCA", revenue="1000.01", created=1, opportunity_after=2),
        journey("BBC", revenue="333.33"),
        journey("C", revenue="0.01"),
        journey("CAB", converted=False),
        journey("D", revenue="12.50"),
    ]
    result = attribute(journeys, MODELS, half_life_hours=30)
    assert (result.journeys, result.conversions, result.revenue) == (5, 4, Decimal("1345.85"))
    for model in MODELS:
        rows = result.models[model]
        assert sum(c.conversions for c in rows) == pytest.approx(4, abs=1e-5), model
        assert sum(c.revenue for c in rows) == Decimal("1345.85"), model


def test_revenue_is_apportioned_in_cents_that_add_up() -> None:
    assert apportion(Decimal("100.00"), {"a": 1, "b": 1, "c": 1}) == {
        "a": Decimal("33.34"),
        "b": Decimal("33.33"),
        "c": Decimal("33.33"),
    }
    assert apportion(Decimal(0), {"a": 1.0}) == {"a": Decimal("0.00")}


def test_every_model_has_its_formula_in_words_and_in_the_reference() -> None:
    assert set(MODEL_FORMULAS) == set(MODELS)
    reference = (Path(__file__).resolve().parents[3] / "docs" / "reports.md").read_text()
    for model in MODELS:
        assert f"`{model}`" in reference
        assert len(MODEL_FORMULAS[model]) > 30

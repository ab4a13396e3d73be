"""Each attribution model's formula in words, as `GET /v1/reports/attribution/models` answers it
and the console shows it beside the model's numbers. The reference with worked examples is
docs/reports.md; a unit test holds the two to the same models."""

from __future__ import annotations

from reporting.domain.attribution import Model

MODEL_FORMULAS: dict[Model, str] = {
    "first_touch": "All the credit to the journey's first touch t1.",
    "last_touch": "All the credit to the journey's last touch tn.",
    "linear": "1/n to each of the n touches (a key touched twice in three touches gets 2/3).",
    "u_shaped": "n = 1: 1; n = 2: 1/2 each; n >= 3: 0.4 to t1, 0.4 to tn, 0.2/(n-2) to each touch between.",
    "w_shaped": "0.3 to each of three positions: t1, the touch that made the lead, and the last touch at or "
    "before the opportunity (before the outcome when there was none); 0.1/(n - positions) to every other "
    "touch. A touch holding k positions takes 0.3 for each; with no other touch the 0.1 is shared by the "
    "positions alike.",
    "time_decay": "0.5^(h_i / half-life) for each touch, h_i the hours from t_i to the outcome, divided by "
    "the journey's sum (half-life: half_life_hours, 7 days by default).",
    "markov": "First-order Markov chain over (start), the keys and (conversion)/(null), from every journey "
    "in the window. P = probability of reaching (conversion) from (start); removing key c sends its "
    "transitions to (null): P-c. Removal effect RE(c) = 1 - P-c / P; c's credit is RE(c) / sum of RE.",
    "shapley": "For each set K of keys seen in converting journeys, v(S) = the conversion rate of journeys "
    "whose distinct keys are exactly S. phi_i = sum over S in K without i of |S|!(|K|-|S|-1)!/|K|! * "
    "(v(S + i) - v(S)); K's conversions and revenue split over K in proportion to phi (equally past 12 "
    "keys).",
}

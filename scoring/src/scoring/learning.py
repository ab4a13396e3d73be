"""Fitting the classifier on outcomes with scikit-learn: logistic regression, calibrated with
Platt's sigmoid on held-out folds. The fitted numbers are stored as plain parameters
(scoring.domain.predict), so scoring's hot path predicts without scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scoring.domain.predict import Calibrated, Predictor

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Example:
    features: dict[str, float]
    reached_sql: bool
    won: bool


@dataclass(frozen=True)
class TooLittleData:
    leads: int
    conversions: int
    min_leads: int
    min_conversions: int

    @property
    def message(self) -> str:
        return (
            f"not fitted: {self.leads} leads with an outcome of which {self.conversions} reached SQL; "
            f"the classifier needs at least {self.min_leads} and {self.min_conversions}"
        )


def _calibrated(x: np.ndarray, y: np.ndarray) -> Calibrated | None:
    """None when one class has too few members to hold out three folds of it."""
    # imported here, not at the top: numpy, scipy and scikit-learn add ~90 MB to a process, and
    # only the process that fits needs them
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    if min(int(y.sum()), int(len(y) - y.sum())) < 3:
        return None
    fitted = CalibratedClassifierCV(
        LogisticRegression(max_iter=2000), method="sigmoid", cv=3, ensemble=False
    ).fit(x, y)
    inner = fitted.calibrated_classifiers_[0]
    regression, sigmoid = inner.estimator, inner.calibrators[0]
    return Calibrated(
        weights=tuple(float(w) for w in regression.coef_[0]),
        intercept=float(regression.intercept_[0]),
        a=float(sigmoid.a_),
        b=float(sigmoid.b_),
    )


def fit_predictor(
    examples: Sequence[Example], *, min_leads: int, min_conversions: int
) -> Predictor | TooLittleData:
    conversions = sum(example.reached_sql for example in examples)
    if len(examples) < min_leads or conversions < min_conversions:
        return TooLittleData(len(examples), conversions, min_leads, min_conversions)
    import numpy as np

    names = tuple(sorted({name for example in examples for name in example.features}))
    x = np.array([[example.features.get(name, 0.0) for name in names] for example in examples])
    sql = _calibrated(x, np.array([example.reached_sql for example in examples], dtype=int))
    if sql is None:
        return TooLittleData(len(examples), conversions, min_leads, min_conversions)
    won = _calibrated(x, np.array([example.won for example in examples], dtype=int))
    return Predictor(id=0, names=names, sql=sql, won=won)

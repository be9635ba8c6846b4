"""The scikit-learn estimator behind the risk model: logistic regression, Platt-calibrated.

Only training needs this module (and scikit-learn); scoring reads the saved weights as plain
arrays (:class:`casenotes.model.RiskModel`), so a scoring process starts without importing
scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

#: lbfgs run to the optimum. The L2-regularised objective has one minimum; stopped at
#: scikit-learn's default tolerance (1e-4), the risk model's weights were up to 0.38 from it,
#: at a point that depends on the CPU's floating-point path (a retrain with the recorded seed
#: on another machine moved them by 0.15 and flipped borderline verdicts).
TOLERANCE: Final = 1e-8
MAX_ITER: Final = 10_000


def converged_logistic(C: float, max_iter: int = MAX_ITER) -> LogisticRegression:
    """An L2 logistic regression that runs to the optimum (:data:`TOLERANCE`)."""
    return LogisticRegression(C=C, max_iter=max_iter, tol=TOLERANCE)


class PlattLogisticRegression(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Binary logistic regression with Platt-scaled probabilities from out-of-fold scores.

    The weights are fitted on all the data; the sigmoid that turns decision values into
    probabilities is fitted on decision values predicted out of fold, so the probabilities are
    calibrated. Pass ``groups`` (e.g. note ids) to ``fit`` so folds never split a note.
    ``decision_function`` returns the calibrated log-odds, so ``predict``, ``predict_proba``
    and ``decision_function`` agree.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength.
    cv : int, default=5
        Folds for the out-of-fold decision values (fewer when a class is smaller).
    max_iter : int, default=10000
    random_state : int or None, default=None
        Seeds the stratified folds used when no groups are given.
    """

    def __init__(self, *, C: float = 1.0, cv: int = 5, max_iter: int = MAX_ITER,
                 random_state: int | None = None) -> None:
        self.C = C
        self.cv = cv
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = True
        return tags

    def _logistic(self) -> LogisticRegression:
        return converged_logistic(self.C, self.max_iter)

    def fit(self, X: Any, y: Any, groups: Any = None) -> PlattLogisticRegression:
        """Fit the weights on all rows and the calibration on out-of-fold scores."""
        X, y = validate_data(self, X, y, accept_sparse="csr")
        check_classification_targets(y)
        self.classes_ = unique_labels(y)
        if len(self.classes_) > 2:
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{type_of_target(y)}."
            )
        if len(self.classes_) < 2:
            raise ValueError(
                "PlattLogisticRegression needs two classes in y; got 1 class"
            )
        positive = np.asarray(y == self.classes_[1])
        smallest = int(min(positive.sum(), (~positive).sum()))
        n_splits = min(self.cv, smallest)
        if groups is not None:
            n_splits = min(n_splits, len(np.unique(groups)))
        if n_splits >= 2:
            if groups is not None:
                splits = GroupKFold(n_splits=n_splits).split(X, y, groups)
            else:
                splits = StratifiedKFold(n_splits=n_splits, shuffle=True,
                                         random_state=self.random_state).split(X, y)
            scores = np.zeros(X.shape[0])
            for train, test in splits:
                if len(np.unique(y[train])) < 2:
                    scores[test] = 0.0
                    continue
                fold = self._logistic().fit(X[train], y[train])
                scores[test] = fold.decision_function(X[test])
            platt = converged_logistic(1e4).fit(scores.reshape(-1, 1), positive)
            self.calibration_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        else:
            self.calibration_ = (1.0, 0.0)
        final = self._logistic().fit(X, y)
        # The average training row: reasons are contributions relative to it, so a feature
        # nearly every mention has ("no imperatives in the note") explains nothing.
        self.feature_means_ = np.asarray(X.mean(axis=0), dtype=float).ravel()
        self.coef_ = final.coef_
        self.intercept_ = final.intercept_
        self.n_iter_ = final.n_iter_
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Calibrated log-odds of ``classes_[1]``."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        raw = np.asarray(X @ self.coef_.T).ravel() + self.intercept_[0]
        slope, offset = self.calibration_
        return np.asarray(slope * raw + offset)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, columns in ``classes_`` order."""
        positive = np.asarray(expit(self.decision_function(X)), dtype=float)
        return np.asarray(np.column_stack([1.0 - positive, positive]), dtype=float)

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class of each row."""
        positive = self.decision_function(X) > 0
        labels: np.ndarray = np.asarray(self.classes_)
        return np.asarray(labels[positive.astype(int)])


def make_model(*, C: float = 1.0, random_state: int | None = 0) -> Pipeline:
    """The untrained risk pipeline: named features in, calibrated P(risk) out."""
    return Pipeline([
        ("vectorize", DictVectorizer()),
        ("classify", PlattLogisticRegression(C=C, random_state=random_state)),
    ])


__all__ = ["PlattLogisticRegression", "make_model"]


def fit_one_vs_rest(rows: Any, targets: dict[str, list[bool]], *, c: float = 1.0,
                    sample_weight: Sequence[float] | None = None,
                    ) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """One L2 logistic regression per target over named features (the event model): each
    target's weights by feature name (near-zero ones dropped) and its intercept. A target
    with one class only gets no weights and an intercept of -10 (never) or 10 (always).
    ``sample_weight``: one weight per row (None: every row counts once)."""
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(rows)
    names = vectorizer.get_feature_names_out()
    weights: dict[str, dict[str, float]] = {}
    intercepts: dict[str, float] = {}
    for name, target in targets.items():
        if not any(target) or all(target):
            weights[name], intercepts[name] = {}, 10.0 if all(target) and target else -10.0
            continue
        fitted = converged_logistic(c).fit(matrix, target, sample_weight=sample_weight)
        weights[name] = {str(n): round(float(w), 5) for n, w in zip(
            names, fitted.coef_[0], strict=True) if abs(w) > 1e-4}
        intercepts[name] = round(float(fitted.intercept_[0]), 5)
    return weights, intercepts


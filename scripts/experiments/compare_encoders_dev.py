"""Experiment: a newly fine-tuned encoder against the shipped one, on dev only.

    python scripts/train_encoder.py --out build/encoder-new     # the training extra; ~20 min
    python scripts/experiments/compare_encoders_dev.py build/encoder-new

For each encoder (the shipped file through onnxruntime, the new one by the PyTorch dev
probabilities that train_encoder.py writes) it makes the release's dev choices
(``release_encoder.choose_readers``: the blend with the fast model, the reader settings and the
cascade's band under the read budget) and prints their dev hazard F1. The test split is not
read. Measured after the lexicon's senses (issue 7/10): the new encoder alone 0.836 against
0.823, but blended 0.838 against 0.847 and in cascade 0.831 against 0.830, so it was not
shipped. Again after the wider fault patterns of session 5 (fine-tuned on their readings;
``train_encoder.py --redo-dev`` re-read dev after the last lexicon changes): alone 0.839
against 0.833, blended 0.853 against 0.857, in cascade 0.836 against 0.834; not shipped.
The two encoders together (the mean of their log-odds, a third row; session 6): alone 0.839,
blended 0.856, in cascade 0.834: an ensemble of two fine-tuned MiniLMs gains nothing here and
would double the encoder's cost.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from release_encoder import choose_readers, read_dev  # noqa: E402

from casenotes.encoder import load_encoder  # noqa: E402
from casenotes.model import load_model, logit  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    trained = Path(sys.argv[1])
    dev = read_dev(load_model())
    shipped_p = load_encoder().predict_proba(dev.inputs)
    new_p = np.asarray(json.loads((trained / "dev_probabilities.json").read_text())[
        "probabilities"])
    if len(new_p) != len(dev.fast_p):
        raise SystemExit("the new encoder's dev probabilities do not line up with today's dev "
                         "mentions: train it on the current lexicon")
    z = (logit(shipped_p) + logit(new_p)) / 2  # logit keeps them a millionth off 0 and 1
    ensemble_p = 1.0 / (1.0 + np.exp(-z))
    for name, probabilities in (("shipped", shipped_p), (str(trained), new_p),
                                ("both (mean log-odds)", ensemble_p)):
        print(f"== {name}")
        choose_readers(dev.notes, dev.fast, dev.examples, probabilities, dev.fast_p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

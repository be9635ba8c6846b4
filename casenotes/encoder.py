"""The accurate tier: a fine-tuned small encoder that reads each mention in its context.

The encoder is an ONNX file with its tokenizer and card in ``models/<name>/``; scoring needs
only ``onnxruntime`` and ``tokenizers`` (``pip install 'casenotes[accurate]'``), never PyTorch.
Training and scoring build the encoder's input with the same :func:`encoder_input`, so what
the encoder reads at scoring time is exactly what it learned from. Both files are checked
against the SHA-256 on the card before either is parsed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from .errors import ModelError
from .model import logit
from .types import Mention, NoteFindings

ENCODER_FORMAT: Final = 1
#: Version of :func:`encoder_input`: a model trained on another input layout is refused.
INPUT_VERSION: Final = 1
ENCODER_FILE: Final = "model.onnx"
TOKENIZER_FILE: Final = "tokenizer.json"
CARD_FILE: Final = "card.json"
BUNDLED_ENCODER: Final = "hazard-risk-encoder-v1"

#: Characters of the note read either side of a mention, and of each later sentence that
#: names the same hazard (where an outcome such as "treated, no further action" is written).
LEFT_CHARS: Final = 160
RIGHT_CHARS: Final = 160
LATER_CHARS: Final = 140
LATER_SENTENCES: Final = 2
_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def encoder_input(text: str, mention: Mention, findings: NoteFindings) -> str:
    """What the encoder reads for one mention: hazard, the term marked in its sentence with a
    window either side, and the later sentences of the note that name the same hazard.

    >>> from casenotes.nlp.pipeline import MentionFinder
    >>> note = "Mould in bedroom. Tenant has asthma. Mould treated and resolved."
    >>> found = MentionFinder().analyse(note)
    >>> encoder_input(note, found.mentions[0], found)
    'damp_mould | [[ Mould ]] in bedroom. Tenant has asthma. Mould treated and resolved.'
    """
    left_start = max(0, mention.start - LEFT_CHARS)
    left = text[left_start:mention.start]
    if left_start > 0:  # a whole first word
        left = left.split(None, 1)[1] if len(left.split(None, 1)) == 2 else ""
    window_end = mention.end + RIGHT_CHARS
    right = text[mention.end:window_end]
    if window_end < len(text):  # a whole last word
        right = right.rsplit(None, 1)[0] if len(right.rsplit(None, 1)) == 2 else ""
    left, right = _squash(left), _squash(right)
    later: list[str] = []
    seen: set[int] = {mention.sentence_start}
    for other in findings.mentions:
        if (other.category != mention.category or other.start <= mention.end
                or other.sentence_start in seen or other.sentence_end <= window_end):
            continue
        seen.add(other.sentence_start)
        later.append(_squash(text[other.sentence_start:other.sentence_end])[:LATER_CHARS])
    later = later[-LATER_SENTENCES:]
    marked = _squash(f"{mention.category} | {left} [[ {_squash(mention.term)} ]] {right}")
    return marked + (f" | later: {' '.join(later)}" if later else "")


#: Blend weights that leave the encoder's P(risk) as it is (cards written before blending).
ENCODER_ONLY: Final = (1.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    """How one way of reading turns mention probabilities into hazard verdicts: Platt scaling
    of a hazard's strongest mention and the verdict threshold, both fitted on dev hazards.

    ``blend`` weighs the two readings of a mention the encoder reads: P(risk) is
    ``sigmoid(w_encoder * logit(encoder) + w_fast * logit(fast) + offset)``, fitted on dev
    mentions; the two models err on different notes, so together they read better than either.
    """

    mention_threshold: float
    hazard_calibration: tuple[float, float] = (1.0, 0.0)
    hazard_threshold: float = 0.5
    blend: tuple[float, float, float] = ENCODER_ONLY

    def blended(self, encoder: np.ndarray, fast: np.ndarray) -> np.ndarray:
        """P(risk) of mentions the encoder read, from its probabilities and the fast model's."""
        if self.blend == ENCODER_ONLY:
            return np.asarray(encoder, dtype=float)
        w_encoder, w_fast, offset = self.blend
        z = w_encoder * logit(encoder) + w_fast * logit(fast) + offset
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True, slots=True)
class EncoderCard:
    """Provenance, settings and figures that travel with an encoder (``card.json``).

    ``band`` is the range of the fast model's P(risk) that the cascade hands to the encoder;
    ``readers`` holds the settings of ``"accurate"`` (the cascade) and ``"encoder"`` (the
    encoder on every mention).
    """

    model_id: str
    encoder_sha256: str
    tokenizer_sha256: str
    lexicon_sha256: str
    fast_model_id: str
    band: tuple[float, float]
    readers: dict[str, ReaderSettings]
    max_tokens: int = 128
    input_version: int = INPUT_VERSION
    encoder_format: int = ENCODER_FORMAT
    quantisation: str = "fp32"
    base: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    failure_modes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str) -> EncoderCard:
        known = set(cls.__dataclass_fields__)
        required = {f.name for f in cls.__dataclass_fields__.values()
                    if f.default is MISSING and f.default_factory is MISSING}
        if not isinstance(data, Mapping) or set(data) - known or required - set(data):
            raise ModelError(
                f"{source}: card.json is not a casenotes encoder card; use a folder written by "
                "scripts/release_encoder.py, or the bundled encoder (--model accurate)")
        values = dict(data)
        try:
            low, high = values["band"]
            values["band"] = (float(low), float(high))
            values["readers"] = {
                name: ReaderSettings(float(r["mention_threshold"]),
                                     (float(r["hazard_calibration"][0]),
                                      float(r["hazard_calibration"][1])),
                                     float(r["hazard_threshold"]),
                                     _blend(r.get("blend", ENCODER_ONLY)))
                for name, r in dict(values["readers"]).items()}
            values["failure_modes"] = tuple(str(m) for m in values.get("failure_modes", ()))
            return cls(**values)
        except (KeyError, TypeError, ValueError, IndexError):
            raise ModelError(f"{source}: card.json has a malformed band or readers entry; "
                             "rewrite it with scripts/release_encoder.py") from None


def _blend(values: Sequence[Any]) -> tuple[float, float, float]:
    w_encoder, w_fast, offset = (float(v) for v in values)
    if not all(np.isfinite([w_encoder, w_fast, offset])):
        raise ValueError("blend weights must be finite")
    return w_encoder, w_fast, offset


def is_encoder_folder(path: str | Path) -> bool:
    """Whether a folder holds an encoder (its card names an ONNX file) rather than a fast model."""
    card = Path(path) / CARD_FILE
    try:
        return "encoder_sha256" in json.loads(card.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def bundled_encoder_dir() -> Any:
    """Where the bundled encoder lives: in the installed package, else the checkout's models/."""
    from .model import bundled_model_dir

    return bundled_model_dir().parent.joinpath(BUNDLED_ENCODER)


class EncoderModel:
    """An ONNX encoder and its tokenizer: P(risk) for mention inputs.

    Each input is read alone. Dynamic int8 quantises activations with one scale over the
    whole input tensor, so in a padded batch a mention's P(risk) would depend on the others
    in it (by up to 0.34 on dev); alone, it depends on the mention only. On one thread this is
    also no slower than batches of 64 (measured: 130 against 108 mentions/s on dev).
    Runs on the GPU when onnxruntime offers the CUDA provider, otherwise on the CPU.
    """

    def __init__(self, session: Any, tokenizer: Any, card: EncoderCard) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self.card = card
        self._inputs = {i.name for i in session.get_inputs()}

    @property
    def model_id(self) -> str:
        return self.card.model_id

    @property
    def providers(self) -> list[str]:
        return list(self._session.get_providers())

    def predict_proba(self, inputs: Sequence[str]) -> np.ndarray:
        """P(risk) for each input built by :func:`encoder_input`, in input order."""
        logits = np.empty(len(inputs), dtype=float)
        for i, encoded in enumerate(self._tokenizer.encode_batch(list(inputs))):
            ids = np.asarray([encoded.ids], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.zeros_like(ids)}
            logits[i] = float(np.asarray(self._session.run(
                None, {k: v for k, v in feed.items() if k in self._inputs})[0]).reshape(-1)[0])
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=float)


def _accurate_extra() -> tuple[Any, Any]:
    try:
        import onnxruntime
        import tokenizers
    except ImportError:
        raise ModelError(
            "the accurate tier needs onnxruntime and tokenizers: pip install "
            "'casenotes[accurate]' (or score with the fast model, --model fast)") from None
    return onnxruntime, tokenizers


def load_encoder(path: str | Path | None = None, *, threads: int | None = None) -> EncoderModel:
    """Load an encoder folder, or the bundled encoder when ``path`` is None.

    Both files are checked against the card's SHA-256 before either is parsed: a tampered
    or replaced file is refused.

    Raises
    ------
    ModelError
        If the extra is missing, or the folder, card or files are missing, altered or built
        for another version; the message says how to fix it.
    """
    onnxruntime, tokenizers = _accurate_extra()
    folder = bundled_encoder_dir() if path is None else Path(path)
    source = f"bundled encoder {BUNDLED_ENCODER}" if path is None else str(folder)
    if path is not None and not Path(folder).is_dir():
        raise ModelError(f"encoder folder {str(folder)!r} does not exist; pass the folder that "
                         "scripts/release_encoder.py wrote (card.json, model.onnx, tokenizer.json)")
    card_bytes = _read(folder.joinpath(CARD_FILE), f"{source}: {CARD_FILE}")
    try:
        card = EncoderCard.from_dict(json.loads(card_bytes), source=source)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(f"{source}: card.json is not valid JSON; reinstall casenotes or "
                         "rerun scripts/release_encoder.py") from None
    if card.encoder_format != ENCODER_FORMAT or card.input_version != INPUT_VERSION:
        raise ModelError(
            f"{source}: encoder format {card.encoder_format}/input v{card.input_version}, but "
            f"this casenotes reads format {ENCODER_FORMAT}/input v{INPUT_VERSION}; retrain it "
            "with scripts/train_encoder.py and scripts/release_encoder.py")
    encoder_bytes = _read(folder.joinpath(ENCODER_FILE), f"{source}: {ENCODER_FILE}")
    tokenizer_bytes = _read(folder.joinpath(TOKENIZER_FILE), f"{source}: {TOKENIZER_FILE}")
    for name, data, expected in ((ENCODER_FILE, encoder_bytes, card.encoder_sha256),
                                 (TOKENIZER_FILE, tokenizer_bytes, card.tokenizer_sha256)):
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected:
            raise ModelError(
                f"{source}: {name} does not match its card (SHA-256 {digest[:12]}... but the "
                f"card records {expected[:12]}...); the file was altered or replaced. Refusing "
                "to load it: reinstall casenotes or rerun scripts/release_encoder.py")
    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    available = onnxruntime.get_available_providers()
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    try:
        session = onnxruntime.InferenceSession(encoder_bytes, options, providers=providers)
        tokenizer = tokenizers.Tokenizer.from_str(tokenizer_bytes.decode("utf-8"))
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"{source}: the encoder files do not load ({type(exc).__name__}); "
                         "reinstall casenotes or rerun scripts/release_encoder.py") from None
    tokenizer.no_padding()
    tokenizer.enable_truncation(card.max_tokens)
    return EncoderModel(session, tokenizer, card)


def _read(resource: Any, what: str) -> bytes:
    try:
        return bytes(resource.read_bytes())
    except (FileNotFoundError, OSError):
        raise ModelError(f"{what} is missing; reinstall casenotes (the bundled encoder ships "
                         "in the wheel), or pass a folder written by "
                         "scripts/release_encoder.py") from None


__all__ = [
    "BUNDLED_ENCODER", "EncoderCard", "EncoderModel", "ReaderSettings", "encoder_input",
    "is_encoder_folder", "load_encoder",
]

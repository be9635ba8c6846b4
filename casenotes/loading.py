"""Which models a name or folder means, loaded with every file's hash checked.

Kept apart from scoring so that ``casenotes score`` can refuse a bad model, in one line and
before any worker starts, without importing spaCy (a second on the run's critical path).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

from .errors import ModelError
from .model import RiskModel, load_model

if TYPE_CHECKING:
    from .encoder import EncoderModel

Reader = Literal["fast", "accurate", "encoder"]
READERS: Final[tuple[Reader, ...]] = get_args(Reader)


def load_models(model: str | Path | None = None, *, lexicon_sha256: str | None = None,
                threads: int | None = None) -> tuple[RiskModel, EncoderModel | None, Reader]:
    """The fast model, the encoder (or None) and the reader that ``model`` names: ``"fast"``
    (or None), ``"accurate"`` or ``"encoder"`` with the bundled models, or a folder: a fast
    model's, or an encoder's (read as the cascade). Every file's hash is checked."""
    from .encoder import is_encoder_folder, load_encoder

    if model is None or model == "fast":
        return load_model(lexicon_sha256=lexicon_sha256), None, "fast"
    if model in ("accurate", "encoder"):
        return (load_model(lexicon_sha256=lexicon_sha256), load_encoder(threads=threads),
                "accurate" if model == "accurate" else "encoder")
    if not Path(model).is_dir():
        raise ModelError(
            f"model {str(model)!r} is neither a model name nor a folder; use fast, accurate "
            "(the cascade, needs pip install 'casenotes[accurate]'), encoder, or a folder "
            "written by `casenotes train -o` or scripts/release_encoder.py")
    if is_encoder_folder(model):
        return (load_model(lexicon_sha256=lexicon_sha256), load_encoder(model, threads=threads),
                "accurate")
    return load_model(model, lexicon_sha256=lexicon_sha256), None, "fast"


@lru_cache(maxsize=4)
def check_model(model: str | Path | None) -> None:
    """Load the models ``model`` names, with their hash checks, and let them go: a missing,
    junk or tampered model fails here, in one line, before any worker starts or any output is
    written. The spaCy pipeline is not built; a model that passed is not checked again in
    this process."""
    load_models(model, threads=1)

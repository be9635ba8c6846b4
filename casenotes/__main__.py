"""``python -m casenotes``."""

from .cli import main

main()

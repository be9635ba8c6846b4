"""``python -m casenotes``."""

from ._entry import main

main()

"""The language of the command line: ``--lang ja|en`` and ``$SAIHAN_LANG``.

Light on purpose (the cold start of ``saihan`` reads it before building the parser).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = ["LANG_VARIABLE", "chosen_language", "user_language"]

LANG_VARIABLE = "SAIHAN_LANG"


def user_language(default: str = "ja") -> str:
    """``$SAIHAN_LANG`` when it is ja or en, else ``default``."""
    chosen = os.environ.get(LANG_VARIABLE, "").strip().lower()
    return chosen if chosen in ("ja", "en") else default


def chosen_language(argv: Sequence[str]) -> str | None:
    """The language a command line asks for: its last ``--lang ja|en`` (before or after
    the command), else ``$SAIHAN_LANG``, else None."""
    chosen = None
    for index, word in enumerate(argv):
        value = argv[index + 1] if word == "--lang" and index + 1 < len(argv) else None
        if word.startswith("--lang="):
            value = word.removeprefix("--lang=")
        if value in ("ja", "en"):
            chosen = value
    if chosen is None and user_language("") in ("ja", "en"):
        chosen = user_language()
    return chosen

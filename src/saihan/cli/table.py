"""Plain-text tables that line up Japanese (double-width) text in a terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["display_width", "render_table"]


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` columns (ending in …) and pad it to exactly that width."""
    if display_width(text) > width:
        kept = ""
        for char in text:
            if display_width(kept + char) > width - 1:
                break
            kept += char
        text = kept + "…"
    return text + " " * (width - display_width(text))


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, max_width: int = 40
) -> str:
    """A table with a header rule; each column as wide as its widest cell, up to ``max_width``."""
    widths = [
        min(max_width, max([display_width(h), *(display_width(row[i]) for row in rows)]))
        for i, h in enumerate(headers)
    ]
    lines = ["  ".join(_fit(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(_fit(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
    return "\n".join(lines)

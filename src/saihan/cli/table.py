"""Plain-text tables that line up Japanese (double-width) text in a terminal.

Tables fit the terminal (80 columns when output is not a terminal) by wrapping text
onto more lines, never by cutting it: an id that is cut cannot be copied into the next
command, so the columns named in ``keep`` are never even wrapped.
"""

from __future__ import annotations

import shutil
import unicodedata
from collections.abc import Sequence

__all__ = [
    "display_width",
    "paragraph",
    "render_fields",
    "render_table",
    "terminal_width",
    "wrap",
]

_SEPARATOR = "  "
_NARROWEST = 12  # a wrapped column is never narrower than this
_JOIN = " · "  # between the cells of a row laid out under its ids
_BREAK_AFTER = frozenset(" ,、。・/)）]」")


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def render_fields(rows: Sequence[tuple[str, str]]) -> str:
    """``label  value`` lines, the values lined up (labels may be double-width)."""
    width = max((display_width(label) for label, _ in rows), default=0)
    return "\n".join(
        f"{label}{' ' * (width - display_width(label))}  {value}" for label, value in rows
    )


def terminal_width(default: int = 80) -> int:
    """The terminal's width, or ``default`` when output is not a terminal."""
    return shutil.get_terminal_size((default, 24)).columns


def paragraph(text: str, indent: str = "", width: int | None = None) -> str:
    """``text`` after ``indent``, wrapped to the terminal (80 columns when output is not
    one), each further line indented as the first, ending in a newline.  What starts
    the text (an id) is never cut: breaks come after spaces and punctuation first."""
    width = terminal_width() if width is None else width
    room = max(20, width - display_width(indent))
    return "".join(f"{indent}{line}\n" for line in wrap(text, room))


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken after a space or
    punctuation where one is near, else between characters (Japanese has no spaces)."""
    lines: list[str] = []
    while display_width(text) > width:
        used, cut, last_break = 0, 0, 0
        for index, char in enumerate(text):
            used += display_width(char)
            if used > width:
                break
            cut = index + 1
            if char in _BREAK_AFTER:
                last_break = index + 1
        if last_break > cut // 3:
            cut = last_break
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    lines.append(text)
    return lines


def _widths(natural: list[int], keep: frozenset[int], width: int) -> list[int]:
    fixed = sum(natural[i] for i in keep)
    flexible = [i for i in range(len(natural)) if i not in keep]
    room = width - len(_SEPARATOR) * (len(natural) - 1) - fixed
    widths = list(natural)
    # Water-filling: columns that fit in a fair share keep their width; the rest share
    # what is left equally.
    pending = sorted(flexible, key=lambda i: natural[i])
    while pending:
        share = max(_NARROWEST, room // len(pending))
        column = pending[0]
        if natural[column] <= share:
            room -= natural[column]
            pending.pop(0)
            continue
        for column in pending:
            widths[column] = share
        break
    return widths


def _stacked(
    headers: Sequence[str], rows: Sequence[Sequence[str]], keep: Sequence[int], width: int
) -> str:
    """Too narrow for columns: each row's ids on one line, its other cells below them,
    indented and wrapped."""
    indent = "    "

    def block(cells: Sequence[str]) -> list[str]:
        ids = _SEPARATOR.join(cells[i] for i in keep)
        rest = _JOIN.join(cell for i, cell in enumerate(cells) if i not in keep and cell)
        return [ids, *(indent + line for line in wrap(rest, width - len(indent)) if line)]

    lines = block(headers)
    lines.append("-" * min(width, max(display_width(line) for line in lines)))
    for row in rows:
        lines.extend(block(row))
    return "\n".join(lines)


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    keep: Sequence[int] = (0,),
    width: int | None = None,
) -> str:
    """A table with a header rule, at most ``width`` columns wide (default: the terminal's).

    Cells of the columns in ``keep`` (by default the first, the id) are shown whole;
    other cells wrap onto further lines of their row when the table would be too wide,
    and when even that leaves them too narrow, each row's other cells go on lines of
    their own under its ids.
    """
    total = terminal_width() if width is None else width
    natural = [
        max([display_width(header), *(display_width(row[i]) for row in rows)])
        for i, header in enumerate(headers)
    ]
    widths = _widths(natural, frozenset(keep), total)
    if sum(widths) + len(_SEPARATOR) * (len(widths) - 1) > total and len(keep) < len(headers):
        return _stacked(headers, rows, keep, total)

    def lines_of(cells: Sequence[str]) -> list[str]:
        wrapped = [[cell] if i in keep else wrap(cell, widths[i]) for i, cell in enumerate(cells)]
        height = max(len(parts) for parts in wrapped)
        out = []
        for line in range(height):
            parts = []
            for i, column in enumerate(wrapped):
                text = column[line] if line < len(column) else ""
                parts.append(text + " " * max(0, widths[i] - display_width(text)))
            out.append(_SEPARATOR.join(parts).rstrip())
        return out

    lines = lines_of(headers)
    lines.append(_SEPARATOR.join("-" * w for w in widths))
    for row in rows:
        lines.extend(lines_of(row))
    return "\n".join(lines)

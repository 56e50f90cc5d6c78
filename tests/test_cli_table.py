"""Tables fit their width by wrapping text, never by cutting it, and never touch ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from saihan.cli.table import display_width, render_table

_text = st.text(
    alphabet=st.sampled_from(list("abcdefg hijk,、住居支援相談窓口・（）ﾀﾞﾙｸ")), max_size=60
).map(str.strip)
_ids = st.from_regex(r"[a-z][a-z0-9-]{0,40}", fullmatch=True)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    columns = draw(st.integers(min_value=2, max_value=6))
    headers = ["id", *(draw(_text) or f"h{i}" for i in range(1, columns))]
    rows = [
        [draw(_ids), *(draw(_text) for _ in range(1, columns))]
        for _ in range(draw(st.integers(min_value=0, max_value=6)))
    ]
    return headers, rows


def _squeezed(text: str) -> str:
    return "".join(text.split()).replace("·", "")


@given(_tables(), st.integers(min_value=40, max_value=160))
def test_a_table_fits_its_width_and_keeps_every_character(
    table: tuple[list[str], list[list[str]]], width: int
) -> None:
    headers, rows = table
    rendered = render_table(headers, rows, width=width)
    lines = rendered.splitlines()
    for line in lines:
        first = line.split("  ")[0]
        # Only an id longer than the whole width may push a line past it.
        assert display_width(line) <= width or display_width(first) > width - 12
    ids = {line.split()[0] for line in lines if line and not line.startswith((" ", "-"))}
    assert {row[0] for row in rows} <= ids  # every id starts a line, whole
    everything = _squeezed(rendered)
    for row in rows:
        for cell in row[1:]:
            # Wrapping drops no character of any cell (nothing is cut with "…").
            for character in _squeezed(cell):
                assert character in everything


def test_a_narrow_table_lays_each_row_under_its_id() -> None:
    rows = [["a-very-long-service-id-that-fills-the-line", "生活困窮者の自立相談支援", "足立区"]]
    rendered = render_table(["id", "サービス", "対象地域"], rows, width=50)
    lines = rendered.splitlines()
    assert lines[3] == "a-very-long-service-id-that-fills-the-line"
    assert lines[4] == "    生活困窮者の自立相談支援 · 足立区"


def test_a_wide_table_is_one_line_per_row() -> None:
    rows = [["desk-1", "相談", "八王子市"], ["desk-2", "住居", "足立区"]]
    lines = render_table(["id", "サービス", "対象地域"], rows, width=80).splitlines()
    assert len(lines) == 4
    assert lines[2].split() == ["desk-1", "相談", "八王子市"]

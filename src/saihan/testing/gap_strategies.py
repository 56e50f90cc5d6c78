"""Hypothesis strategies for gap reports (``saihan gaps --format json``)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from saihan.directory.municipalities import tokyo_municipalities
from saihan.directory.taxonomy import default_taxonomy
from saihan.referral.gaps import UNKNOWN_PLACE, GapReport, GapRow

__all__ = ["gap_reports", "gap_rows"]


@st.composite
def _gap_row(draw: DrawFn) -> GapRow:
    places = [m.code for m in tokyo_municipalities()] + [UNKNOWN_PLACE]
    cases = draw(st.integers(min_value=1, max_value=500))
    unmet = draw(st.integers(min_value=0, max_value=cases))
    return GapRow(
        municipality=draw(st.sampled_from(places)),
        need=draw(st.sampled_from(sorted(need.code for need in default_taxonomy()))),
        cases=cases,
        unmet=unmet,
        poorly_met=draw(st.integers(min_value=0, max_value=cases - unmet)),
    )


def gap_rows() -> SearchStrategy[GapRow]:
    """One municipality and need, with counts that add up (unmet + poorly met <= cases)."""
    return _gap_row()


def gap_reports() -> SearchStrategy[GapReport]:
    """A report over some cases; each row's counts are consistent."""
    return st.builds(
        GapReport,
        cases=st.integers(min_value=0, max_value=10_000),
        rules_id=st.just("tokyo-default"),
        rules_version=st.just("2024.1"),
        rows=st.lists(gap_rows(), max_size=5).map(tuple),
    )

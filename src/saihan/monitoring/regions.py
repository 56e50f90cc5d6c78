"""Tokyo's regions: where a municipality lies, for figures coarser than a municipality.

A case example shared outside its municipality may name only its region: 区部 (the
23 special wards), 多摩 (the 26 cities and the Nishitama towns and village) or 島しょ
(the Izu and Ogasawara islands).  A code outside Tokyo is ``outside-tokyo``; no code
is ``unknown``.
"""

from __future__ import annotations

import enum

from saihan.directory.municipalities import code_problem
from saihan.errors import ValidationError

__all__ = ["Region", "region_of"]


class Region(enum.StrEnum):
    """A region of Tokyo (or none)."""

    WARDS = "wards"  # 区部
    TAMA = "tama"  # 多摩
    ISLANDS = "islands"  # 島しょ
    OUTSIDE_TOKYO = "outside-tokyo"
    UNKNOWN = "unknown"

    @property
    def ja(self) -> str:
        return _JA[self]


_JA = {
    Region.WARDS: "区部",
    Region.TAMA: "多摩",
    Region.ISLANDS: "島しょ",
    Region.OUTSIDE_TOKYO: "都外",
    Region.UNKNOWN: "不明",
}

_FIRST_ISLAND = "13361"  # 大島町 (133612): the island towns and villages come after it


def region_of(code: str | None) -> Region:
    """The region of a municipality code (JIS X 0402 with check digit), or
    ``unknown`` for None.  ValidationError (path ``municipality``) for a bad code."""
    if code is None:
        return Region.UNKNOWN
    problem = code_problem(code)
    if problem is not None:
        raise ValidationError(problem, path="municipality")
    if not code.startswith("13"):
        return Region.OUTSIDE_TOKYO
    if code.startswith("131"):
        return Region.WARDS
    if code[:5] >= _FIRST_ISLAND:
        return Region.ISLANDS
    return Region.TAMA

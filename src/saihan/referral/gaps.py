"""Gap reports: over many cases, which needs nothing meets, or meets poorly, and where.

For a municipality's own plan reviews: each row counts, for one
municipality and one need, the cases that raised it (or had it added by a
rule), how many found nothing eligible (*unmet*) and how many found only a
poor fit (*poorly met*: the best recommendation meets only a broader or a sibling need,
such as a general consultation desk, or serves the whole country rather
than Tokyo or the municipality).  Cases are grouped by the municipality of
residence, else the municipality handling the case, else ``unknown``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable

import attrs

from saihan._validation import types_only
from saihan.directory.directory import Directory
from saihan.errors import ValidationError
from saihan.referral.case import ConsultationCase
from saihan.referral.match import (
    AREA_NATIONAL,
    FIT_BROADER,
    FIT_SIBLING,
    DirectorySource,
    match,
)
from saihan.referral.plan import NeedPlan
from saihan.referral.rules import RuleSet, default_rules

__all__ = ["GapReport", "GapRow", "gap_report"]

UNKNOWN_PLACE = "unknown"


@attrs.frozen
class GapRow:
    """One municipality and need: how often it came up, and how often it went unmet."""

    municipality: str = attrs.field(metadata={"doc": "Municipality code, or 'unknown'."})
    need: str = attrs.field(metadata={"doc": "Need code."})
    cases: int = attrs.field(metadata={"doc": "Cases with this need."})
    unmet: int = attrs.field(metadata={"doc": "Cases where nothing eligible met it."})
    poorly_met: int = attrs.field(metadata={"doc": "Cases where only a poor fit was found."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @property
    def met_well(self) -> int:
        return self.cases - self.unmet - self.poorly_met


@attrs.frozen
class GapReport:
    """Rows sorted by most unmet, then most poorly met, then municipality and need."""

    cases: int = attrs.field(metadata={"doc": "Number of cases matched."})
    rules_id: str = attrs.field(metadata={"doc": "Rule set used."})
    rules_version: str = attrs.field(metadata={"doc": "Its version."})
    rows: tuple[GapRow, ...] = attrs.field(default=(), metadata={"doc": "The counts."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def by_need(self) -> dict[str, tuple[int, int, int]]:
        """Totals per need over every municipality: (cases, unmet, poorly met)."""
        totals: dict[str, tuple[int, int, int]] = {}
        for row in self.rows:
            cases, unmet, poor = totals.get(row.need, (0, 0, 0))
            totals[row.need] = (cases + row.cases, unmet + row.unmet, poor + row.poorly_met)
        return dict(sorted(totals.items()))

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["municipality", "need", "cases", "unmet", "poorly_met"])
        for row in self.rows:
            writer.writerow([row.municipality, row.need, row.cases, row.unmet, row.poorly_met])
        return out.getvalue()


def _poorly_met(need_plan: NeedPlan) -> bool:
    best = need_plan.recommendations[0]
    fit = next((r.points for r in best.reasons if r.code == "need_fit"), FIT_BROADER)
    area = next((r.points for r in best.reasons if r.code == "area"), AREA_NATIONAL)
    return fit <= FIT_SIBLING or area <= AREA_NATIONAL


def gap_report(
    cases: Iterable[ConsultationCase],
    directory: Directory | DirectorySource,
    rules: RuleSet | None = None,
    at: dt.datetime | None = None,
) -> GapReport:
    """Match every case (each at its own reception time unless ``at`` is given) and count gaps.

    ``directory`` may be a store (or a :class:`~saihan.storage.CachedDirectorySource`):
    each case is then matched against the part of the stored directory it can use,
    as :func:`~saihan.referral.match` reads it, never the whole directory.
    """
    if not isinstance(directory, Directory | DirectorySource):
        raise ValidationError(
            f"expected a Directory or a store, got {type(directory).__name__}", path="directory"
        )
    counts: dict[tuple[str, str], list[int]] = {}
    total = 0
    used = rules or default_rules()
    for position, case in enumerate(cases):
        if not isinstance(case, ConsultationCase):
            raise ValidationError(
                f"expected a ConsultationCase, got {type(case).__name__}", path=f"cases[{position}]"
            )
        plan = match(case, directory, used, at)
        total += 1
        place = case.subject.residence or case.municipality or UNKNOWN_PLACE
        for need_plan in plan.needs:
            row = counts.setdefault((place, need_plan.need), [0, 0, 0])
            row[0] += 1
            if not need_plan.recommendations:
                row[1] += 1
            elif _poorly_met(need_plan):
                row[2] += 1
    rows = sorted(
        (GapRow(place, need, *numbers) for (place, need), numbers in counts.items()),
        key=lambda row: (-row.unmet, -row.poorly_met, row.municipality, row.need),
    )
    return GapReport(cases=total, rules_id=used.id, rules_version=used.version, rows=tuple(rows))

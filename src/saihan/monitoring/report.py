"""The plan's figures for one fiscal year (``saihan report``), each with its definition.

:func:`plan_report` reads the year's cases and referrals the principal may read (through
the store's date queries: the cases received in the year, the referrals first requested
in it) and counts, for fiscal year ``fiscal_year`` (April to March; 令和6年度 is FY2024),
the figures of :data:`FIGURES`: consultations by channel and by who consulted, referrals by need,
agency kind and municipality, their outcomes at the year's end and why they ended
without success, the business days to acceptance and to an outcome, the follow-ups
overdue at the year's end, and the needs unmet by municipality (the gap report).
Small counts are suppressed by the rule of :mod:`saihan.monitoring.suppression`.

Every figure reads the year as of its end: a referral's status is the one its history
had at the end of 31 March (Tokyo time); later events do not count.  Days are the
person's days (:meth:`~saihan.referral.ConsultationCase.local_day`); business days are
those of a Tokyo municipal office (:data:`~saihan.referral.followup.OFFICE_CALENDAR`:
weekdays, not national holidays, not 29 December to 3 January).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from saihan._validation import ID_RE, types_only
from saihan.access import CASE_ROLES
from saihan.directory.agency_kinds import default_agency_kinds
from saihan.directory.municipalities import municipality as _municipality
from saihan.directory.municipalities import municipality_code
from saihan.directory.taxonomy import default_taxonomy
from saihan.directory.vocabulary import Audience, Channel
from saihan.errors import AccessDenied, ErrorItem, NotFoundError, ValidationError
from saihan.monitoring.reasons import REASON_CODES, reason_code
from saihan.monitoring.suppression import SUPPRESSION_RULE, SUPPRESSION_RULE_JA, suppress
from saihan.referral.case import ConsultationCase
from saihan.referral.followup import OFFICE_CALENDAR, followups_due
from saihan.referral.gaps import gap_report
from saihan.referral.lifecycle import EventKind, Referral, ReferralStatus
from saihan.schedule.calendar import BusinessCalendar
from saihan.schedule.japan import fiscal_year_bounds, to_era
from saihan.storage.store import Store
from saihan.text import LocalizedText

__all__ = [
    "FIGURES",
    "PLAN_PERIOD",
    "Cell",
    "Figure",
    "GapCell",
    "PlanReport",
    "Statistic",
    "acceptance_days",
    "as_of",
    "era_name",
    "percentile",
    "plan_report",
]

TOKYO = ZoneInfo("Asia/Tokyo")
PLAN_PERIOD = (2024, 2028)
"""The plan's fiscal years, first and last (令和6-10年度)."""

_S = ReferralStatus
_T = LocalizedText

FIGURES: dict[str, tuple[LocalizedText, LocalizedText]] = {
    "consultations_by_channel": (
        _T(ja="相談の受付経路", en="Consultations by channel"),
        _T(
            ja="年度内に受け付けた相談（本人の日付で4月1日から3月31日）の件数を、受付経路"
            "（電話・来所・メール・ウェブフォーム・FAX）別に数えたもの。",
            en="Cases received in the fiscal year (the person's day, 1 April to 31 March), "
            "counted by the channel they came in by.",
        ),
    ),
    "consultations_by_consulter": (
        _T(ja="相談者", en="Consultations by who consulted"),
        _T(
            ja="年度内に受け付けた相談の件数を、相談者（本人・家族・支援者・関係機関の職員）別に"
            "数えたもの。",
            en="Cases received in the fiscal year, counted by who consulted: the person, "
            "family, a supporter or a professional.",
        ),
    ),
    "referrals_by_need": (
        _T(ja="紹介（ニーズ別）", en="Referrals by need"),
        _T(
            ja="年度内に依頼した紹介（requested になった日が年度内）の件数を、紹介のニーズの"
            "分野（ニーズ分類の最上位）別に数えたもの。ニーズのない紹介は unspecified。",
            en="Referrals requested in the fiscal year (the day they first became "
            "requested), counted by the area of their need (the top of the need "
            "taxonomy); unspecified when a referral names no need.",
        ),
    ),
    "referrals_by_agency_kind": (
        _T(ja="紹介（機関の種類別）", en="Referrals by agency kind"),
        _T(
            ja="年度内に依頼した紹介の件数を、紹介先の機関の種類別に数えたもの。",
            en="Referrals requested in the fiscal year, counted by the kind of agency referred to.",
        ),
    ),
    "referrals_by_municipality": (
        _T(ja="紹介（区市町村別）", en="Referrals by municipality"),
        _T(
            ja="年度内に依頼した紹介の件数を、ケースを担当する区市町村別に数えたもの。",
            en="Referrals requested in the fiscal year, counted by the municipality "
            "handling the case (unknown when none).",
        ),
    ),
    "referral_outcomes": (
        _T(ja="紹介の状況（年度末）", en="Referral status at the year's end"),
        _T(
            ja="年度内に依頼した紹介の、年度末（3月31日の終わり、東京時間）の状態別の件数。",
            en="Referrals requested in the fiscal year, counted by their status at the end "
            "of the year (the end of 31 March, Tokyo time).",
        ),
    ),
    "referral_end_reasons": (
        _T(ja="不成立の理由", en="Why referrals ended without success"),
        _T(
            ja="年度内に依頼し、年度末までに rejected・failed・cancelled となった紹介の件数を、"
            "状態と理由コード別に数えたもの（理由の文言は数えない）。",
            en="Referrals requested in the fiscal year that were rejected, failed or "
            "cancelled by its end, counted by status and reason code (never the words).",
        ),
    ),
    "time_to_acceptance": (
        _T(ja="受入までの開庁日数", en="Business days to acceptance"),
        _T(
            ja="年度内に依頼し年度末までに受け入れられた紹介の、依頼の日（算入）から受入の日"
            "（不算入）までの開庁日数（区市町村の開庁日: 平日、祝日と12月29日〜1月3日を除く）。"
            "中央値と90パーセンタイル（最近順位法）。",
            en="Referrals requested in the fiscal year and accepted by its end: business "
            "days from the day requested (counted) to the day accepted (not counted), on a "
            "municipal office's calendar (weekdays except national holidays and 29 "
            "December to 3 January). Median and 90th percentile (nearest rank).",
        ),
    ),
    "time_to_outcome": (
        _T(ja="結果までの開庁日数", en="Business days to an outcome"),
        _T(
            ja="年度内に依頼し年度末までに completed または failed となった紹介の、依頼の日から"
            "その日までの開庁日数。中央値と90パーセンタイル。",
            en="Referrals requested in the fiscal year that were completed or failed by its "
            "end: business days from the day requested to that day, counted as above. "
            "Median and 90th percentile.",
        ),
    ),
    "overdue_followups": (
        _T(ja="フォローアップ期限超過（年度末）", en="Follow-ups overdue at the year's end"),
        _T(
            ja="年度内に依頼し年度末に開いている紹介のうち、フォローアップの期日（既定の方針、"
            "紹介元の開庁日）を過ぎたものの件数を、ケースを担当する区市町村別に数えたもの。",
            en="Referrals requested in the fiscal year and open at its end whose follow-up "
            "(the default policy, on the referring service's business days) was past due "
            "then, counted by the municipality handling the case.",
        ),
    ),
}
"""Every count figure's id, title and definition."""

UNMET_NEEDS = (
    _T(ja="満たされないニーズ（区市町村別）", en="Unmet needs by municipality"),
    _T(
        ja="年度内に受け付けた相談を、受付時点の規則とストアのディレクトリで照合したとき、"
        "区市町村（住所、なければ担当）とニーズごとに、そのニーズのあるケース数、適格な"
        "サービスが一つもないケース数（unmet）、不十分な適合しかないケース数（poorly met）。"
        "ケース数が k 未満の行は全体を、k 未満の数は個別に秘匿する。",
        en="The fiscal year's cases matched (at the moment received, with the default "
        "rules, on the store's directory): for each municipality (of residence, else "
        "handling) and need, the cases with the need, those with nothing eligible "
        "(unmet) and those with only a poor fit (poorly met), as the gap report counts "
        "them. A row of fewer than k cases is suppressed whole; any other count below k "
        "on its own.",
    ),
)
"""The unmet-needs table's title and definition."""


@attrs.frozen
class Cell:
    """One count of a figure; ``count`` is None when suppressed."""

    key: str = attrs.field(metadata={"doc": "The category (a code)."})
    label: LocalizedText = attrs.field(metadata={"doc": "Its name."})
    count: int | None = attrs.field(metadata={"doc": "The count; null when suppressed."})
    suppressed: bool = attrs.field(default=False, metadata={"doc": "Suppressed (small count)."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class Statistic:
    """A median or percentile of a figure; ``value`` is None when suppressed or empty."""

    name: str = attrs.field(metadata={"doc": "median or p90."})
    value: float | None = attrs.field(metadata={"doc": "The value; null when suppressed."})
    suppressed: bool = attrs.field(default=False, metadata={"doc": "Over fewer than k items."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class Figure:
    """One figure: its id, title, definition, counts and total (and statistics)."""

    id: str = attrs.field(metadata={"doc": "The figure's id (FIGURES)."})
    title: LocalizedText = attrs.field(metadata={"doc": "Its title."})
    definition: LocalizedText = attrs.field(metadata={"doc": "What it counts."})
    cells: tuple[Cell, ...] = attrs.field(metadata={"doc": "The counts, in order."})
    total: int | None = attrs.field(metadata={"doc": "Their total; null when suppressed."})
    total_suppressed: bool = attrs.field(default=False, metadata={"doc": "Total suppressed."})
    statistics: tuple[Statistic, ...] = attrs.field(default=(), metadata={"doc": "Medians ..."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class GapCell:
    """One municipality and need of the unmet-needs table (None: suppressed)."""

    municipality: str = attrs.field(metadata={"doc": "Municipality code, or unknown."})
    need: str = attrs.field(metadata={"doc": "Need code."})
    cases: int | None = attrs.field(metadata={"doc": "Cases with the need."})
    unmet: int | None = attrs.field(metadata={"doc": "Cases with nothing eligible."})
    poorly_met: int | None = attrs.field(metadata={"doc": "Cases with only a poor fit."})
    suppressed: bool = attrs.field(default=False, metadata={"doc": "Any count suppressed."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PlanReport:
    """The plan's figures for one fiscal year, suppressed for publication."""

    fiscal_year: int = attrs.field(metadata={"doc": "The fiscal year (FY2024 = 令和6年度)."})
    era: str = attrs.field(metadata={"doc": "The year in era form, 令和6年度."})
    first_day: dt.date = attrs.field(metadata={"doc": "1 April."})
    last_day: dt.date = attrs.field(metadata={"doc": "31 March."})
    as_of: dt.datetime = attrs.field(metadata={"doc": "The end of the year, Tokyo time."})
    municipality: str | None = attrs.field(metadata={"doc": "The municipality; null: all."})
    k: int = attrs.field(metadata={"doc": "Counts below k are suppressed."})
    in_plan_period: bool = attrs.field(metadata={"doc": "Within FY2024-FY2028."})
    figures: tuple[Figure, ...] = attrs.field(metadata={"doc": "The figures, in order."})
    unmet_needs: tuple[GapCell, ...] = attrs.field(metadata={"doc": "The gap report's rows."})
    rules: str = attrs.field(metadata={"doc": "The rule set the gaps were matched with."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def figure(self, id: str) -> Figure:
        """The figure ``id`` (NotFoundError naming the known ones)."""
        for figure in self.figures:
            if figure.id == id:
                return figure
        raise NotFoundError(f"no figure {id!r}; the figures are {', '.join(FIGURES)}")

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data (schema ``cli-report``)."""
        return {
            "fiscal_year": self.fiscal_year,
            "era": self.era,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "as_of": self.as_of.isoformat(),
            "municipality": self.municipality,
            "k": self.k,
            "plan_period": f"FY{PLAN_PERIOD[0]}-FY{PLAN_PERIOD[1]}",
            "in_plan_period": self.in_plan_period,
            "suppression_rule": {"ja": SUPPRESSION_RULE_JA, "en": SUPPRESSION_RULE},
            "figures": [
                {
                    "id": figure.id,
                    "title": _words(figure.title),
                    "definition": _words(figure.definition),
                    "cells": [
                        {
                            "key": cell.key,
                            "label": _words(cell.label),
                            "count": cell.count,
                            "suppressed": cell.suppressed,
                        }
                        for cell in figure.cells
                    ],
                    "total": figure.total,
                    "total_suppressed": figure.total_suppressed,
                    "statistics": {
                        stat.name: {"value": stat.value, "suppressed": stat.suppressed}
                        for stat in figure.statistics
                    },
                }
                for figure in self.figures
            ],
            "unmet_needs": {
                "title": _words(UNMET_NEEDS[0]),
                "definition": _words(UNMET_NEEDS[1]),
                "rules": self.rules,
                "rows": [attrs.asdict(row) for row in self.unmet_needs],
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_data(), ensure_ascii=False, indent=2) + "\n"

    def to_csv(self) -> str:
        """Long form, one value a line: ``figure,category,measure,value,suppressed``
        (``value`` empty when suppressed); statistics have category ``all``, the
        unmet-needs rows ``<municipality>/<need>`` and measures cases, unmet, poorly_met."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["fiscal_year", "figure", "category", "measure", "value", "suppressed"])
        year = self.fiscal_year

        def value(number: float | None) -> str:
            return "" if number is None else str(number)

        for figure in self.figures:
            for cell in figure.cells:
                row = [year, figure.id, cell.key, "count", value(cell.count), cell.suppressed]
                writer.writerow(row)
            writer.writerow(
                [year, figure.id, "total", "count", value(figure.total), figure.total_suppressed]
            )
            for stat in figure.statistics:
                writer.writerow(
                    [year, figure.id, "all", stat.name, value(stat.value), stat.suppressed]
                )
        for gap in self.unmet_needs:
            for measure in ("cases", "unmet", "poorly_met"):
                number = getattr(gap, measure)
                category = f"{gap.municipality}/{gap.need}"
                writer.writerow(
                    [year, "unmet_needs", category, measure, value(number), number is None]
                )
        return out.getvalue().replace(",True\n", ",true\n").replace(",False\n", ",false\n")

    def to_text(self, lang: str = "ja") -> str:
        """The figures as plain text for a terminal."""
        en = lang == "en"
        title = (
            f"FY{self.fiscal_year} plan monitoring report"
            if en
            else f"{self.era} 再犯防止推進計画 モニタリング報告"
        )
        lines = [title, f"k = {self.k}", ""]
        for figure in self.figures:
            lines.append(_pick(figure.title, en))
            for cell in figure.cells:
                shown = "*" if cell.count is None else str(cell.count)
                lines.append(f"  {_pick(cell.label, en)}: {shown}")
            total = "*" if figure.total is None else str(figure.total)
            lines.append(f"  {'total' if en else '合計'}: {total}")
            for stat in figure.statistics:
                shown = "*" if stat.suppressed else "-" if stat.value is None else f"{stat.value:g}"
                lines.append(f"  {stat.name}: {shown}")
            lines.append("")
        lines.append(_pick(UNMET_NEEDS[0], en))
        for gap in self.unmet_needs:
            cells = [gap.cases, gap.unmet, gap.poorly_met]
            shown = " / ".join("*" if n is None else str(n) for n in cells)
            lines.append(f"  {gap.municipality} {gap.need}: {shown}")
        return "\n".join(lines) + "\n"


def _words(text: LocalizedText) -> dict[str, str | None]:
    return {"ja": text.ja, "en": text.en}


def _pick(text: LocalizedText, en: bool) -> str:
    return (text.en or text.ja) if en else text.ja


def era_name(fiscal_year: int) -> str:
    """The fiscal year in era form, by its 1 April: 2024 is 令和6年度, 2019 平成31年度."""
    return to_era(dt.date(fiscal_year, 4, 1)).format(gannen=True).split("年")[0] + "年度"


def as_of(fiscal_year: int) -> dt.datetime:
    """The end of the fiscal year: 1 April of the next year, 00:00 Tokyo time."""
    return dt.datetime(fiscal_year + 1, 4, 1, tzinfo=TOKYO)


def percentile(values: Sequence[int], share: float) -> int | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the
    values at or below it (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def _median(values: Sequence[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _truncated(referral: Referral, moment: dt.datetime) -> Referral | None:
    """The referral as it was just before ``moment`` (None if it did not exist yet)."""
    kept = tuple(event for event in referral.history if event.at < moment)
    return attrs.evolve(referral, history=kept) if kept else None


def acceptance_days(
    referral: Referral,
    case: ConsultationCase,
    to: Iterable[ReferralStatus] = (_S.ACCEPTED,),
    calendar: BusinessCalendar = OFFICE_CALENDAR,
) -> int | None:
    """Business days from the day ``referral`` was requested (counted) to the day it first
    entered one of ``to`` (not counted), the person's days; None if it did not."""
    wanted = frozenset(to)
    start = referral.requested_at
    if start is None:
        return None
    for event in referral.history:
        if event.kind is EventKind.TRANSITION and event.status in wanted and event.at >= start:
            return calendar.business_days_between(case.local_day(start), case.local_day(event.at))
    return None


def _figure(
    id: str,
    counts: Sequence[tuple[str, LocalizedText, int]],
    k: int,
    statistics: Sequence[tuple[str, float | None, int]] = (),
) -> Figure:
    hidden, total_hidden = suppress([count for _, _, count in counts], k)
    cells = tuple(
        Cell(key=key, label=label, count=None if hide else count, suppressed=hide)
        for (key, label, count), hide in zip(counts, hidden, strict=True)
    )
    total = sum(count for _, _, count in counts)
    stats = tuple(
        Statistic(name=name, value=None if items < k else value, suppressed=0 < items < k)
        for name, value, items in statistics
    )
    title, definition = FIGURES[id]
    return Figure(
        id=id,
        title=title,
        definition=definition,
        cells=cells,
        total=None if total_hidden else total,
        total_suppressed=total_hidden,
        statistics=stats,
    )


def _label(ja: str, en: str | None = None) -> LocalizedText:
    return LocalizedText(ja=ja, en=en or ja)


_CHANNELS = {
    Channel.PHONE: ("電話", "phone"),
    Channel.VISIT: ("来所", "visit"),
    Channel.EMAIL: ("メール", "e-mail"),
    Channel.WEB_FORM: ("ウェブフォーム", "web form"),
    Channel.FAX: ("FAX", "fax"),
}
_CONSULTERS = {
    Audience.PERSON: ("本人", "the person"),
    Audience.FAMILY: ("家族", "family"),
    Audience.SUPPORTER: ("支援者", "a supporter"),
    Audience.PROFESSIONAL: ("関係機関の職員", "a professional"),
}
_STATUSES = {
    _S.REQUESTED: ("依頼中", "requested"),
    _S.ACCEPTED: ("受入", "accepted"),
    _S.IN_PROGRESS: ("支援中", "in progress"),
    _S.ON_HOLD: ("保留", "on hold"),
    _S.COMPLETED: ("完了", "completed"),
    _S.REJECTED: ("不受理", "rejected"),
    _S.FAILED: ("不成立", "failed"),
    _S.CANCELLED: ("取消", "cancelled"),
    _S.ENTERED_IN_ERROR: ("誤登録", "entered in error"),
}
_BUCKETS = ((0, 0, "0"), (1, 1, "1"), (2, 2, "2"), (3, 5, "3-5"), (6, 10, "6-10"))


def _place_label(code: str) -> LocalizedText:
    if code == "unknown":
        return _label("不明", "unknown")
    try:
        found = _municipality(code)
    except NotFoundError:
        return _label(code)
    return _label(found.name_ja, found.name_en)


def _area(need: str | None) -> str:
    if need is None:
        return "unspecified"
    taxonomy = default_taxonomy()
    return taxonomy.root(need).code if need in taxonomy else "other"


def _area_label(code: str) -> LocalizedText:
    taxonomy = default_taxonomy()
    if code in taxonomy:
        return taxonomy.get(code).label
    return _label("指定なし", "unspecified") if code == "unspecified" else _label("その他", "other")


def _counted(
    items: Iterable[str],
    order: Sequence[str] | None,
    label: Callable[[str], LocalizedText],
) -> list[tuple[str, LocalizedText, int]]:
    counts = Counter(items)
    keys = list(order) if order is not None else sorted(counts, key=lambda key: (-counts[key], key))
    return [(key, label(key), counts.get(key, 0)) for key in keys]


def _buckets(days: Sequence[int]) -> list[tuple[str, LocalizedText, int]]:
    rows = []
    for low, high, name in _BUCKETS:
        rows.append(
            (name, _label(f"{name}日", f"{name} days"), sum(low <= d <= high for d in days))
        )
    rows.append(("11+", _label("11日以上", "11 days or more"), sum(d >= 11 for d in days)))
    return rows


def plan_report(
    store: Store,
    *,
    fiscal_year: int,
    municipality: str | None = None,
    k: int = 5,
    recipient: str = "plan-review",
    details: Sequence[str] = (),
) -> PlanReport:
    """The plan's figures of ``fiscal_year`` for the cases the store's principal may
    read (handled by ``municipality``, a code or name, when given), counts below ``k``
    suppressed; writes an ``exported`` audit event (``plan-report`` for ``recipient``).

    AccessDenied for no principal or one that works on no cases; ValidationError
    (``fiscal_year``, ``k``, ``recipient``, ``municipality``: a name that is not one
    of Tokyo's, with the nearest names) before anything is read.
    """
    if not isinstance(store, Store):
        raise ValidationError([ErrorItem("store", f"expected a Store, got {type(store).__name__}")])
    problems = []
    if (
        isinstance(fiscal_year, bool)
        or not isinstance(fiscal_year, int)
        or not 2000 <= fiscal_year <= 2100
    ):
        problems.append(ErrorItem("fiscal_year", "expected a fiscal year 2000..2100"))
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 1000:
        problems.append(ErrorItem("k", "expected a whole number 1..1000"))
    if not isinstance(recipient, str) or not ID_RE.fullmatch(recipient):
        problems.append(ErrorItem("recipient", "name who it is for as an id, e.g. plan-review"))
    if problems:
        raise ValidationError(problems)
    code = None if municipality is None else municipality_code(municipality)
    principal = store.principal
    if principal is None or not (principal.is_system or principal.roles & CASE_ROLES):
        raise AccessDenied(
            "the report counts cases: act as a principal that works on cases (desk-worker, "
            "municipal-officer, supervisor or system; see docs/access.md)"
        )
    first, last = fiscal_year_bounds(fiscal_year)
    end = as_of(fiscal_year)
    with store.transaction():
        cases, referrals = _read_year(store, code, first, last, end)
        directory = store.load_directory()
        report = _report(fiscal_year, first, last, end, code, k, cases, referrals, directory)
        store.record_export(
            "plan-report",
            recipient,
            [
                f"fiscal_year={fiscal_year}",
                f"municipality={code or 'all'}",
                f"k={k}",
                f"cases={report.figure('consultations_by_channel').total or 0}",
                *details,
            ],
        )
    return report


# The earliest UTC offset there is: a person's day starts no earlier than its midnight.
_EARLIEST = dt.timezone(dt.timedelta(hours=14))


def _read_year(
    store: Store, code: str | None, first: dt.date, last: dt.date, end: dt.datetime
) -> tuple[list[ConsultationCase], list[tuple[ConsultationCase, Referral]]]:
    """What the report counts, read through the store's date queries: the cases
    received in the year (handled by ``code``) and the referrals first requested
    from the year's first day (in any time zone) to its end, with their cases (those
    of a case received before the year read one by one).  Each read is the
    principal's and audited; the report keeps exactly its own from these.  With a
    municipality, a referral does not say where its case is handled, so the case of
    each referral of the year not among that municipality's cases of the year is
    read to tell (no more than the year's cases with referrals)."""
    stored = store.cases.search(municipality=code, received_from=first, received_to=last)
    cases = {item.value.id: item.value for item in stored}
    start = dt.datetime.combine(first, dt.time(0), tzinfo=_EARLIEST)
    earlier: dict[str, ConsultationCase | None] = {}
    referrals = []
    for item in store.referrals.requested_between(start, end):
        referral = item.value
        case = cases.get(referral.case_id)
        if case is None:
            if referral.case_id not in earlier:
                found = store.cases.find(referral.case_id)
                earlier[referral.case_id] = None if found is None else found.value
            case = earlier[referral.case_id]
            if case is None or (code is not None and case.municipality != code):
                continue
        referrals.append((case, referral))
    return list(cases.values()), referrals


def _report(
    fiscal_year: int,
    first: dt.date,
    last: dt.date,
    end: dt.datetime,
    code: str | None,
    k: int,
    cases: list[ConsultationCase],
    referrals: list[tuple[ConsultationCase, Referral]],
    directory: Any,
) -> PlanReport:
    year_cases = sorted(
        (case for case in cases if first <= case.received_on <= last), key=lambda c: c.id
    )
    made: list[tuple[ConsultationCase, Referral]] = []
    for case, referral in referrals:
        then = _truncated(referral, end)
        requested = None if then is None else then.requested_at
        if then is not None and requested is not None and first <= case.local_day(requested):
            made.append((case, then))
    figures = [
        _figure(
            "consultations_by_channel",
            _counted(
                (c.received_via.value for c in year_cases),
                [ch.value for ch in _CHANNELS],
                lambda key: _label(*_CHANNELS[Channel(key)]),
            ),
            k,
        ),
        _figure(
            "consultations_by_consulter",
            _counted(
                (c.consulter.value for c in year_cases),
                [a.value for a in _CONSULTERS],
                lambda key: _label(*_CONSULTERS[Audience(key)]),
            ),
            k,
        ),
        _figure(
            "referrals_by_need",
            _counted(
                (_area(r.need) for _, r in made),
                [need.code for need in default_taxonomy().roots()] + ["other", "unspecified"],
                _area_label,
            ),
            k,
        ),
        _figure(
            "referrals_by_agency_kind",
            _counted((r.agency_kind for _, r in made), None, _kind_label(directory)),
            k,
        ),
        _figure(
            "referrals_by_municipality",
            _counted((c.municipality or "unknown" for c, _ in made), None, _place_label),
            k,
        ),
        _figure(
            "referral_outcomes",
            _counted(
                (r.status.value for _, r in made),
                [status.value for status in _STATUSES],
                lambda key: _label(*_STATUSES[ReferralStatus(key)]),
            ),
            k,
        ),
        _figure(
            "referral_end_reasons",
            _counted(
                (
                    f"{r.status.value}:{reason_code(r.history[-1].reason)}"
                    for _, r in made
                    if r.status in (_S.REJECTED, _S.FAILED, _S.CANCELLED)
                ),
                None,
                _reason_label,
            ),
            k,
        ),
    ]
    to_accept: list[int] = []
    to_outcome: list[int] = []
    for case, r in made:
        accepted = acceptance_days(r, case)
        if accepted is not None:
            to_accept.append(accepted)
        if r.status in (_S.COMPLETED, _S.FAILED):
            ended = acceptance_days(r, case, (_S.COMPLETED, _S.FAILED))
            if ended is not None:
                to_outcome.append(ended)
    for id, values in (("time_to_acceptance", to_accept), ("time_to_outcome", to_outcome)):
        stats = [("median", _median(values), len(values)), ("p90", _p90(values), len(values))]
        figures.append(_figure(id, _buckets(values), k, stats))
    due = followups_due(
        ((referral, case) for case, referral in made),
        end - dt.timedelta(microseconds=1),
        calendar_of=_calendar_of(directory),
    )
    overdue = [item.municipality or "unknown" for item in due if item.overdue]
    figures.append(_figure("overdue_followups", _counted(overdue, None, _place_label), k))
    gaps = gap_report(year_cases, directory)
    unmet = []
    for row in sorted(gaps.rows, key=lambda row: (row.municipality, row.need)):
        if 0 < row.cases < k:
            unmet.append(GapCell(row.municipality, row.need, None, None, None, suppressed=True))
            continue
        cases_n, unmet_n, poor_n = (
            None if 0 < n < k else n for n in (row.cases, row.unmet, row.poorly_met)
        )
        hidden = None in (cases_n, unmet_n, poor_n)
        unmet.append(GapCell(row.municipality, row.need, cases_n, unmet_n, poor_n, hidden))
    return PlanReport(
        fiscal_year=fiscal_year,
        era=era_name(fiscal_year),
        first_day=first,
        last_day=last,
        as_of=end,
        municipality=code,
        k=k,
        in_plan_period=PLAN_PERIOD[0] <= fiscal_year <= PLAN_PERIOD[1],
        figures=tuple(figures),
        unmet_needs=tuple(unmet),
        rules=f"{gaps.rules_id} {gaps.rules_version}",
    )


def _p90(days: Sequence[int]) -> float | None:
    found = percentile(days, 0.9)
    return None if found is None else float(found)


def _calendar_of(directory: Any) -> Callable[[str | None], BusinessCalendar]:
    """A referring service's calendar in ``directory`` (the office's when it has none)."""
    hours: dict[str, BusinessCalendar] = {
        service.id: service.hours for service in directory.services if service.hours is not None
    }

    def calendar_of(service_id: str | None) -> BusinessCalendar:
        return OFFICE_CALENDAR if service_id is None else hours.get(service_id, OFFICE_CALENDAR)

    return calendar_of


def _kind_label(directory: Any) -> Callable[[str], LocalizedText]:
    kinds = (*default_agency_kinds(), *directory.agency_kinds)
    names = {kind.code: kind.name for kind in kinds}

    def label(code: str) -> LocalizedText:
        name = names.get(code)
        return name if isinstance(name, LocalizedText) else _label(code)

    return label


def _reason_label(key: str) -> LocalizedText:
    status, _, code = key.partition(":")
    words = REASON_CODES.get(code, REASON_CODES["other"])
    ja, en = _STATUSES[ReferralStatus(status)]
    return LocalizedText(ja=f"{ja}: {words.ja}", en=f"{en}: {words.en}")

"""Case examples shared without personal data (区市町村担当者連絡会): k-anonymous rows.

Each shared row is one case: its *quasi-identifiers* (what someone who knows the person
could know: :data:`QUASI_IDENTIFIERS`), the areas of the needs raised, its referrals'
paths and outcomes (agency kind, statuses in order, the outcome and a reason *code*), and
the summary a reviewer edited for sharing, if there is one.  Nothing else of the case
leaves: no id, name, birth date, exact date, contact, note, reason or outcome in words.

The rows are made *k*-anonymous by generalising first, then suppressing:

1. every quasi-identifier has levels, from exact to ``*`` (:data:`LEVELS`): the age in
   10-year bands, then in four broad bands; the municipality, then the region; the legal
   situation, then its group; the attributes, then their groups; the month received,
   then the fiscal quarter, then the fiscal year;
2. of every combination of levels, those that leave at most ``max_suppression`` of the
   cases in groups (of equal generalised quasi-identifiers) smaller than ``k`` are
   allowed; the one losing least (the mean of each level's height, 0 exact to 1 ``*``)
   is chosen, ties going to the one suppressing fewer cases, then to the first in
   :data:`QUASI_IDENTIFIERS` order;
3. the cases still in groups smaller than ``k`` are left out (suppressed).

So every row shares its quasi-identifiers with at least ``k - 1`` other rows, each of
another case; fewer than ``k`` cases give no rows at all.  :class:`ShareReport` says
which levels were chosen and how many cases were left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from saihan._validation import ID_RE, types_only
from saihan.access import CASE_ROLES
from saihan.directory.taxonomy import default_taxonomy
from saihan.directory.vocabulary import LegalSituation, PersonAttribute
from saihan.errors import AccessDenied, ErrorItem, ValidationError
from saihan.monitoring.reasons import reason_code
from saihan.monitoring.regions import region_of
from saihan.referral.case import ConsultationCase
from saihan.referral.lifecycle import REASON_REQUIRED, EventKind, Referral
from saihan.schedule.japan import fiscal_year, fiscal_year_bounds
from saihan.storage.store import Store

__all__ = [
    "ANY",
    "LEVELS",
    "QUASI_IDENTIFIERS",
    "ShareReport",
    "SharedCases",
    "SharedReferral",
    "SharedRow",
    "anonymise",
    "generalised",
    "share_cases",
]

ANY = "*"
"""The value of a quasi-identifier generalised away altogether."""

UNKNOWN = "unknown"

QUASI_IDENTIFIERS = ("age_band", "place", "legal_situation", "attributes", "month")
"""What someone who knows the person could know, in the order ties are broken."""

LEVELS: dict[str, tuple[str, ...]] = {
    "age_band": ("10-year band", "broad band (0-19, 20-39, 40-64, 65+)", ANY),
    "place": ("municipality", "region", ANY),
    "legal_situation": ("legal situation", "its group", ANY),
    "attributes": ("attributes", "their groups", ANY),
    "month": ("month received", "fiscal quarter", "fiscal year", ANY),
}
"""The levels of each quasi-identifier, from exact to ``*``."""

_BROAD_BANDS = ((0, 19, "0-19"), (20, 39, "20-39"), (40, 64, "40-64"), (65, 200, "65+"))

_L = LegalSituation
LEGAL_GROUPS: dict[LegalSituation, str] = {
    _L.NONE: "none",
    _L.UNKNOWN: UNKNOWN,
    _L.UNDER_INVESTIGATION: "in-custody-or-trial",
    _L.IN_PRISON: "in-custody-or-trial",
    _L.PROSECUTION_DEFERRED: "in-the-community",
    _L.SUSPENDED_SENTENCE: "in-the-community",
    _L.ON_PROBATION: "in-the-community",
    _L.ON_PAROLE: "in-the-community",
    _L.RELEASED_FROM_PRISON: "released",
    _L.RELEASED_FROM_JUVENILE_TRAINING_SCHOOL: "released",
    _L.JUVENILE_CASE: "juvenile",
}
"""The group of each legal situation (the second level)."""

_A = PersonAttribute
ATTRIBUTE_GROUPS: dict[PersonAttribute, str] = {
    _A.ELDERLY: "elderly",
    _A.PHYSICAL_DISABILITY: "disability",
    _A.INTELLECTUAL_DISABILITY: "disability",
    _A.MENTAL_DISABILITY: "disability",
    _A.DEVELOPMENTAL_DISABILITY: "disability",
    _A.DRUG_DEPENDENCE: "dependence",
    _A.ALCOHOL_DEPENDENCE: "dependence",
    _A.GAMBLING_DEPENDENCE: "dependence",
    _A.HOMELESS: "housing",
    _A.UNEMPLOYED: "livelihood",
    _A.DEBT: "livelihood",
    _A.STUDENT: "other",
    _A.NEEDS_INTERPRETER: "other",
    _A.SPECIFIED_JUVENILE: "other",
}
"""The group of each attribute (the second level).  Suspected attributes are never shared."""

NEVER_SHARED = (
    "id",
    "subject.name",
    "subject.birth_date",
    "subject.age (exact)",
    "received_at (exact)",
    "subject.released_on",
    "subject.expected_release_on",
    "subject.suspected_attributes",
    "summary",
    "needs[].note",
    "consents",
    "worker",
    "organisation",
    "received_by",
    "referrals' services, agencies, dates, reasons and outcomes in words",
)
"""What a shared row never holds, as the report lists it."""


def _band(low: int, high: int) -> tuple[str, str]:
    broad = next((name for a, b, name in _BROAD_BANDS if a <= low and high <= b), ANY)
    decade = low // 10 * 10
    fine = f"{decade}-{decade + 9}" if high <= decade + 9 else broad
    return fine, broad


def _place(case: ConsultationCase) -> str | None:
    subject = case.subject
    return subject.residence or subject.preferred_municipality or case.municipality


def _quarter(day: dt.date) -> str:
    return f"FY{fiscal_year(day)}-Q{(day.month - 4) % 12 // 3 + 1}"


def generalised(case: ConsultationCase) -> dict[str, tuple[str, ...]]:
    """Each quasi-identifier of ``case`` at every level of :data:`LEVELS`."""
    day = case.received_on
    bounds = case.subject.age_bounds(day, day)
    if bounds is None:
        age: tuple[str, ...] = (UNKNOWN, UNKNOWN, ANY)
    else:
        age = (*_band(*bounds), ANY)
    code = _place(case)
    place = (code or UNKNOWN, region_of(code).value, ANY)
    legal = case.subject.legal_situation
    attributes = case.subject.attributes
    groups = sorted({ATTRIBUTE_GROUPS[attribute] for attribute in attributes})
    return {
        "age_band": age,
        "place": place,
        "legal_situation": (legal.value, LEGAL_GROUPS[legal], ANY),
        "attributes": (
            "+".join(sorted(a.value for a in attributes)) or "none",
            "+".join(groups) or "none",
            ANY,
        ),
        "month": (f"{day.year:04d}-{day.month:02d}", _quarter(day), f"FY{fiscal_year(day)}", ANY),
    }


@attrs.frozen
class SharedReferral:
    """One referral of a shared case: where to, the statuses it went through, how it
    ended and the code of its reason (never the words)."""

    need: str | None = attrs.field(metadata={"doc": "The area (top-level need) it was for."})
    agency_kind: str = attrs.field(metadata={"doc": "The kind of agency referred to."})
    path: tuple[str, ...] = attrs.field(metadata={"doc": "The statuses entered, in order."})
    outcome: str = attrs.field(metadata={"doc": "The status at the time of the export."})
    reason: str | None = attrs.field(
        default=None, metadata={"doc": "The code of the last reason given (docs/monitoring.md)."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class SharedRow:
    """One shared case: generalised quasi-identifiers, need areas, referrals, and the
    summary a reviewer edited for sharing (null when none)."""

    number: int = attrs.field(metadata={"doc": "Row number (not a case id)."})
    age_band: str = attrs.field(metadata={"doc": "Age band on the day received."})
    place: str = attrs.field(metadata={"doc": "Municipality code, region or *."})
    legal_situation: str = attrs.field(metadata={"doc": "Legal situation, its group or *."})
    attributes: str = attrs.field(metadata={"doc": "Attributes (joined by +), groups or *."})
    month: str = attrs.field(metadata={"doc": "Month received, fiscal quarter, year or *."})
    needs: tuple[str, ...] = attrs.field(metadata={"doc": "Areas of the needs raised."})
    referrals: tuple[SharedReferral, ...] = attrs.field(metadata={"doc": "Its referrals."})
    summary: str | None = attrs.field(
        default=None, metadata={"doc": "The summary as reviewed for sharing; null: none."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def quasi_identifiers(self) -> tuple[str, ...]:
        return tuple(getattr(self, name) for name in QUASI_IDENTIFIERS)


@attrs.frozen
class ShareReport:
    """What was generalised and suppressed, and what never leaves."""

    k: int = attrs.field(metadata={"doc": "Every row shares its quasi-identifiers with k-1 more."})
    max_suppression: float = attrs.field(metadata={"doc": "Largest share of cases left out."})
    cases: int = attrs.field(metadata={"doc": "Cases read."})
    rows: int = attrs.field(metadata={"doc": "Rows written."})
    suppressed: int = attrs.field(metadata={"doc": "Cases left out (in groups under k)."})
    groups: int = attrs.field(metadata={"doc": "Groups of equal quasi-identifiers written."})
    smallest_group: int | None = attrs.field(metadata={"doc": "Rows in the smallest; null: none."})
    levels: tuple[tuple[str, str], ...] = attrs.field(
        metadata={"doc": "Each quasi-identifier and the level it was generalised to."}
    )
    summaries_shared: int = attrs.field(metadata={"doc": "Rows with a reviewed summary."})
    summaries_withheld: int = attrs.field(
        metadata={"doc": "Rows whose case has a summary never reviewed for sharing."}
    )
    never_shared: tuple[str, ...] = attrs.field(
        default=NEVER_SHARED, metadata={"doc": "Fields no row holds."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class SharedCases:
    """The rows and the report of a case-sharing export."""

    rows: tuple[SharedRow, ...] = attrs.field(metadata={"doc": "The shared cases."})
    report: ShareReport = attrs.field(metadata={"doc": "What was generalised and suppressed."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data: ``{"report": {...}, "rows": [...]}``."""
        report = attrs.asdict(self.report)
        report["levels"] = dict(self.report.levels)
        report["never_shared"] = list(self.report.never_shared)
        return {
            "report": report,
            "rows": [
                {
                    **{name: getattr(row, name) for name in ("number", *QUASI_IDENTIFIERS)},
                    "needs": list(row.needs),
                    "referrals": [
                        {**attrs.asdict(referral), "path": list(referral.path)}
                        for referral in row.referrals
                    ],
                    "summary": row.summary,
                }
                for row in self.rows
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_data(), ensure_ascii=False, indent=2) + "\n"

    def to_csv(self) -> str:
        """One line per row; referrals as ``need>kind:status>status...[:reason]`` joined
        by ``;``, needs by ``;``."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["number", *QUASI_IDENTIFIERS, "needs", "referrals", "summary"])
        for row in self.rows:
            writer.writerow(
                [
                    row.number,
                    *row.quasi_identifiers(),
                    ";".join(row.needs),
                    ";".join(_referral_text(referral) for referral in row.referrals),
                    row.summary or "",
                ]
            )
        return out.getvalue()

    def to_markdown(self) -> str:
        """A handout for the liaison meeting: the report, the rows, the summaries."""
        report = self.report
        lines = [
            "# 共有事例 / Shared case examples",
            "",
            f"k = {report.k}: every row shares its age band, place, legal situation, "
            f"attributes and month with at least {report.k - 1} other rows.",
            "",
            f"- cases read: {report.cases}; rows: {report.rows}; "
            f"left out (groups under k): {report.suppressed}",
            "- generalised to: " + ", ".join(f"{name}: {level}" for name, level in report.levels),
            f"- reviewed summaries shared: {report.summaries_shared}; "
            f"summaries never reviewed, withheld: {report.summaries_withheld}",
            "",
            "| # | age | place | legal situation | attributes | month | needs | referrals |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in self.rows:
            cells = [
                str(row.number),
                *row.quasi_identifiers(),
                ", ".join(row.needs),
                "<br>".join(_referral_text(referral) for referral in row.referrals) or "-",
            ]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        summaries = [row for row in self.rows if row.summary]
        if summaries:
            lines += ["", "## 概要 / Summaries reviewed for sharing", ""]
            for row in summaries:
                lines.append(f"- **#{row.number}**: {_cell(row.summary or '')}")
        return "\n".join(lines) + "\n"

    def render(self, output_format: str) -> str:
        """The export as ``json``, ``csv``, ``md`` or ``text`` (``md`` without markup)."""
        if output_format == "json":
            return self.to_json()
        if output_format == "csv":
            return self.to_csv()
        if output_format in ("md", "text"):
            return self.to_markdown()
        raise ValidationError(
            [ErrorItem("format", f"{output_format!r} is not one of json, csv, md, text")]
        )


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "｜").split())


def _referral_text(referral: SharedReferral) -> str:
    text = f"{referral.need or '-'}>{referral.agency_kind}:{'>'.join(referral.path)}"
    return f"{text}:{referral.reason}" if referral.reason else text


def _area(need: str | None) -> str | None:
    if need is None:
        return None
    taxonomy = default_taxonomy()
    return taxonomy.root(need).code if need in taxonomy else "other"


def _shared_referral(referral: Referral) -> SharedReferral:
    path = tuple(
        event.status.value for event in referral.history if event.kind is EventKind.TRANSITION
    )
    reason = None
    for event in referral.history:
        if event.kind is EventKind.TRANSITION and event.status in REASON_REQUIRED:
            reason = reason_code(event.reason)
    return SharedReferral(
        need=_area(referral.need),
        agency_kind=referral.agency_kind,
        path=path,
        outcome=referral.status.value,
        reason=reason,
    )


def _check_k(k: object, max_suppression: object) -> tuple[int, float]:
    problems = []
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 1000:
        problems.append(ErrorItem("k", "expected a whole number 2..1000"))
    if (
        isinstance(max_suppression, bool)
        or not isinstance(max_suppression, int | float)
        or not 0 <= max_suppression <= 1
    ):
        problems.append(ErrorItem("max_suppression", "expected a share of cases, 0..1"))
    if problems:
        raise ValidationError(problems)
    assert isinstance(k, int)
    assert isinstance(max_suppression, int | float)
    return k, float(max_suppression)


def _key(value: dict[str, tuple[str, ...]], levels: Sequence[int]) -> tuple[str, ...]:
    return tuple(value[name][level] for name, level in zip(QUASI_IDENTIFIERS, levels, strict=True))


def anonymise(
    records: Iterable[tuple[ConsultationCase, Sequence[Referral]]],
    *,
    k: int,
    max_suppression: float = 0.1,
) -> SharedCases:
    """The k-anonymous rows of ``records`` (each a case and its referrals), generalised
    and suppressed as the module says.  ValidationError (``k``, ``max_suppression``,
    ``records[i]``) for bad arguments."""
    k, max_suppression = _check_k(k, max_suppression)
    items: list[tuple[ConsultationCase, Sequence[Referral]]] = []
    for index, record in enumerate(records):
        if (
            not isinstance(record, tuple)
            or len(record) != 2
            or not isinstance(record[0], ConsultationCase)
            or not all(isinstance(r, Referral) for r in record[1])
        ):
            raise ValidationError(
                [ErrorItem(f"records[{index}]", "expected (a ConsultationCase, its referrals)")]
            )
        items.append(record)
    values = [generalised(case) for case, _ in items]
    # Each case's values at every level, flat: a combination of levels is then a choice
    # of positions, counted with itemgetter and Counter at C speed.
    flat = [tuple(v for name in QUASI_IDENTIFIERS for v in value[name]) for value in values]
    offsets = list(
        itertools.accumulate((len(LEVELS[name]) for name in QUASI_IDENTIFIERS), initial=0)
    )
    allowed = int(max_suppression * len(items) + 1e-9)
    heights = [len(LEVELS[name]) - 1 for name in QUASI_IDENTIFIERS]
    best: tuple[float, int, tuple[int, ...]] | None = None
    for vector in itertools.product(*(range(height + 1) for height in heights)):
        pick = operator.itemgetter(*(offsets[i] + level for i, level in enumerate(vector)))
        keys = Counter(map(pick, flat))
        suppressed = sum(count for count in keys.values() if count < k)
        if suppressed > allowed and len(items) >= k:
            continue
        loss = sum(level / height for level, height in zip(vector, heights, strict=True))
        candidate = (loss / len(heights), suppressed, vector)
        if best is None or candidate < best:
            best = candidate
    assert best is not None
    _, _, chosen = best
    keyed = [(_key(value, chosen), item) for value, item in zip(values, items, strict=True)]
    sizes = Counter(key for key, _ in keyed)
    kept = [(key, item) for key, item in keyed if sizes[key] >= k]
    unsorted = []
    for key, (case, referrals) in kept:
        shared = sorted(
            (_shared_referral(referral) for referral in referrals),
            key=lambda r: (r.need or "", r.agency_kind, r.path, r.outcome, r.reason or ""),
        )
        needs = tuple(sorted({_area(need.code) or "other" for need in case.needs}))
        summary = case.shared_summary.text if case.shared_summary is not None else None
        unsorted.append((key, needs, tuple(shared), summary, case.summary is not None))
    unsorted.sort(key=lambda row: (row[0], row[1], repr(row[2]), row[3] or ""))
    rows = tuple(
        SharedRow(
            number=number,
            **dict(zip(QUASI_IDENTIFIERS, key, strict=True)),
            needs=needs,
            referrals=referrals,
            summary=summary,
        )
        for number, (key, needs, referrals, summary, _) in enumerate(unsorted, start=1)
    )
    kept_sizes = Counter(row.quasi_identifiers() for row in rows)
    report = ShareReport(
        k=k,
        max_suppression=max_suppression,
        cases=len(items),
        rows=len(rows),
        suppressed=len(items) - len(rows),
        groups=len(kept_sizes),
        smallest_group=min(kept_sizes.values()) if kept_sizes else None,
        levels=tuple(
            (name, LEVELS[name][level])
            for name, level in zip(QUASI_IDENTIFIERS, chosen, strict=True)
        ),
        summaries_shared=sum(1 for row in rows if row.summary is not None),
        summaries_withheld=sum(1 for _, _, _, summary, has in unsorted if has and summary is None),
    )
    return SharedCases(rows=rows, report=report)


def share_cases(
    store: Store,
    *,
    k: int,
    recipient: str,
    fiscal_year: int | None = None,
    municipality: str | None = None,
    max_suppression: float = 0.1,
    details: Sequence[str] = (),
) -> SharedCases:
    """Read the cases the store's principal may read (received in ``fiscal_year``,
    handled by ``municipality``, when given) with their referrals, make them
    k-anonymous (:func:`anonymise`), and write an ``exported`` audit event
    (``case-share`` for ``recipient``; with ``details``, e.g. the file format).

    The reads go through the principal (each audited for a non-``system`` one).
    AccessDenied for no principal or one that works on no cases (an auditor);
    ValidationError for bad arguments, before anything is read.
    """
    if not isinstance(store, Store):
        raise ValidationError([ErrorItem("store", f"expected a Store, got {type(store).__name__}")])
    _check_k(k, max_suppression)
    if not isinstance(recipient, str) or not ID_RE.fullmatch(recipient):
        raise ValidationError(
            [ErrorItem("recipient", "name who it is for as an id, e.g. liaison-meeting-2024-10")]
        )
    first, last = _year_bounds(fiscal_year)
    principal = store.principal
    if principal is None or not (principal.is_system or principal.roles & CASE_ROLES):
        raise AccessDenied(
            "sharing case examples reads cases: act as a principal that works on cases "
            "(desk-worker, municipal-officer, supervisor or system; see docs/access.md)"
        )
    with store.transaction():
        found = store.cases.search(municipality=municipality, received_from=first, received_to=last)
        records = [
            (item.value, [r.value for r in store.referrals.for_case(item.value.id)])
            for item in found
        ]
        shared = anonymise(records, k=k, max_suppression=max_suppression)
        report = shared.report
        store.record_export(
            "case-share",
            recipient,
            [
                f"k={k}",
                f"max_suppression={max_suppression}",
                f"fiscal_year={fiscal_year if fiscal_year is not None else 'all'}",
                f"municipality={municipality if municipality is not None else 'all'}",
                f"cases={report.cases}",
                f"rows={report.rows}",
                f"suppressed={report.suppressed}",
                f"summaries={report.summaries_shared}",
                *details,
            ],
        )
    return shared


def _year_bounds(year: int | None) -> tuple[dt.date | None, dt.date | None]:
    if year is None:
        return None, None
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError([ErrorItem("fiscal_year", "expected a fiscal year 2000..2100")])
    return fiscal_year_bounds(year)

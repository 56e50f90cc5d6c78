"""The referral models' record types: consultation cases, rule sets, referral plans.

Like the directory's record types these are plain :class:`RecordType`
declarations: every backend stores them without change (no new tables, no
schema version; see ``docs/storage.md``).

Cases (kind ``case``, id: the case id)
    Index entries: ``municipality`` (code of the municipality handling the
    case), ``residence`` (the subject's residence code), ``worker`` (the worker
    in charge), ``legal_situation``, ``need`` (each raised need code) and
    ``received``: the day received, in the case's own UTC offset, at three
    grains (``2024``, ``2024-11`` and ``2024-11-05``) so that a range of days
    is one query over whole years, whole months and the days at its edges
    (:func:`received_cover`).  No references: consents name agency ids and
    kinds that may be absent from the store (an agency may close; a consent
    still says what the person agreed to), and need codes are kept as they
    were raised.  Case documents are special care-required personal
    information: nothing here logs them, and messages about a case name its
    id and field paths only, never the summary, names or notes.

Rule sets (kind ``rule_set``, id: :func:`rule_set_record_id`)
    One record per *version* of a rule set: a plan names the ``rules_id`` and
    ``rules_version`` it was made with, and the exact rules must stay readable
    afterwards to explain it.  So a stored version is never changed (writing
    different rules under a stored version is refused: give them a new
    version), and a record's id is derived from the rule set id and version.
    The id pattern has no room for ``id@version`` (``@`` is not allowed, and
    versions are free text such as ``2024.1`` or ``第2版``), so the record id is
    ``<id>.<version as an id>.<hash>``: readable, and unique because the
    10-hex-digit hash covers the whole id and version.  Index entry:
    ``rule_set`` (the rule set id).

Referral plans (kind ``referral_plan``, id: :func:`plan_record_id`)
    ``<case id>.<at in UTC, 20241105t013000>``: one plan per case and moment;
    one case's plan ids sort by time.
    Plans are append-only in spirit: a plan records what was proposed at
    ``at`` with the rules and directory of that day, so it is created once
    and not updated; matching again makes a new plan with a new ``at``.
    Index entries: ``case`` (the case id) and ``rule_set`` (the rules' id).
    A plan holds facts from its case (see :mod:`saihan.referral.plan`): keep
    and delete it with the case.  No references: deleting a case does not
    delete its plans (find them with ``store.plans.for_case``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from typing import Any

from saihan._validation import _ID_RE
from saihan.errors import ErrorItem, ValidationError
from saihan.referral.case import ConsultationCase
from saihan.referral.plan import ReferralPlan
from saihan.referral.rules import RuleSet
from saihan.storage.records import Reader, RecordType

__all__ = [
    "CASES",
    "PLANS",
    "REFERRAL_RECORD_TYPES",
    "RULE_SETS",
    "plan_record_id",
    "received_cover",
    "received_keys",
    "rule_set_record_id",
]

_MAX_ID = 128
_HASH = 10
_NOT_ID = re.compile(r"[^a-z0-9.-]+")


def _digest(*parts: str) -> str:
    data = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:_HASH]


# -- cases ----------------------------------------------------------------------


def received_keys(day: dt.date) -> tuple[str, str, str]:
    """The ``received`` index values of a day: its year, month and date."""
    return (f"{day.year:04d}", f"{day.year:04d}-{day.month:02d}", day.isoformat())


def _month_end(day: dt.date) -> dt.date:
    if day.month == 12:
        return dt.date(day.year, 12, 31)
    return dt.date(day.year, day.month + 1, 1) - dt.timedelta(days=1)


def received_cover(first: dt.date, last: dt.date) -> frozenset[str]:
    """The fewest ``received`` index values that cover the days ``first..last``.

    Whole years as ``2024``, whole months as ``2024-11``, other days as
    ``2024-11-05``: a range is one query of at most a few dozen values per
    year it spans at its edges.  Empty when ``first`` is after ``last``.
    """
    values: set[str] = set()
    day = first
    while day <= last:
        if (day.month, day.day) == (1, 1) and dt.date(day.year, 12, 31) <= last:
            values.add(f"{day.year:04d}")
            end = dt.date(day.year, 12, 31)
        elif day.day == 1 and _month_end(day) <= last:
            values.add(f"{day.year:04d}-{day.month:02d}")
            end = _month_end(day)
        else:
            values.add(day.isoformat())
            end = day
        if end == dt.date.max:
            break
        day = end + dt.timedelta(days=1)
    return frozenset(values)


def _case_index(case: ConsultationCase) -> Iterable[tuple[str, str]]:
    if case.municipality is not None:
        yield ("municipality", case.municipality)
    if case.subject.residence is not None:
        yield ("residence", case.subject.residence)
    if case.worker is not None:
        yield ("worker", case.worker)
    yield ("legal_situation", case.subject.legal_situation.value)
    for need in case.needs:
        yield ("need", need.code)
    for value in received_keys(case.received_on):
        yield ("received", value)


CASES: RecordType[ConsultationCase] = RecordType(
    kind="case",
    model=ConsultationCase,
    id_of=lambda case: case.id,
    label="case",
    index=_case_index,
)

# -- rule sets --------------------------------------------------------------------


def rule_set_record_id(rule_set_id: str, version: str) -> str:
    """The record id of one version of a rule set: ``tokyo-default.2024.1.<hash>``.

    The readable part is the rule set id and the version made id-like
    (lower case; other characters become ``-``), cut to fit 128 characters;
    the hash of the full id and version keeps different versions apart even
    when their readable parts are the same (``2024.1`` and ``2024/1``).
    """
    slug = _NOT_ID.sub("-", version.lower()).strip(".-")
    readable = f"{rule_set_id}.{slug}" if slug else rule_set_id
    readable = readable[: _MAX_ID - _HASH - 1].rstrip(".-_") or "rule-set"
    return f"{readable}.{_digest(rule_set_id, version)}"


def _rule_set_id(rule_set: RuleSet) -> str:
    return rule_set_record_id(rule_set.id, rule_set.version)


def _check_rule_set(rule_set: RuleSet, reader: Reader) -> list[ErrorItem]:
    stored = reader.load(RULE_SETS, _rule_set_id(rule_set))
    if stored is None or stored == rule_set:
        return []
    if (stored.id, stored.version) != (rule_set.id, rule_set.version):
        return [ErrorItem("version", "its record id is taken by another rule set version")]
    return [
        ErrorItem(
            "version",
            f"rule set {rule_set.id!r} version {rule_set.version!r} is already stored with "
            "other rules; plans name it, so a stored version never changes: "
            "store the change under a new version",
        )
    ]


RULE_SETS: RecordType[RuleSet] = RecordType(
    kind="rule_set",
    model=RuleSet,
    id_of=_rule_set_id,
    label="rule set",
    index=lambda rule_set: [("rule_set", rule_set.id)],
    check=_check_rule_set,
)

# -- plans ------------------------------------------------------------------------


def _timestamp(at: dt.datetime) -> str:
    # No zone letter at the end: without one, one case's plan ids sort by time even
    # when some have microseconds (20241105t013000 < 20241105t013000000001).
    utc = at.astimezone(dt.UTC)
    text = utc.strftime("%Y%m%dt%H%M%S")
    return f"{text}{utc.microsecond:06d}" if utc.microsecond else text


def plan_record_id(case_id: str, at: dt.datetime) -> str:
    """The record id of the plan for ``case_id`` at ``at``: ``<case id>.20241105t013000``.

    ``at`` is written in UTC (microseconds only when there are some), so two
    offsets naming the same moment give the same id, and the ids of one case's
    plans sort by time.  A case id too long to
    leave room for the time is cut and followed by a hash of the whole of it.
    Raises :class:`ValidationError` (``case_id``, ``at``) for a case id that is
    not an id and for a time without a UTC offset.
    """
    problems = []
    if not isinstance(case_id, str) or not _ID_RE.match(case_id):
        problems.append(ErrorItem("case_id", "not a valid case id"))
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        problems.append(ErrorItem("at", "give the time with its UTC offset"))
    if problems:
        raise ValidationError(problems)
    stamp = _timestamp(at)
    room = _MAX_ID - len(stamp) - 1
    prefix = case_id
    if len(case_id) > room:
        prefix = f"{case_id[: room - _HASH - 1].rstrip('.-_')}.{_digest(case_id)}"
    return f"{prefix}.{stamp}"


def _plan_id(plan: ReferralPlan) -> str:
    return plan_record_id(plan.case_id, plan.at)


def _plan_index(plan: ReferralPlan) -> Iterable[tuple[str, str]]:
    yield ("case", plan.case_id)
    if isinstance(plan.rules_id, str) and _ID_RE.match(plan.rules_id):
        yield ("rule_set", plan.rules_id)


def _check_plan(plan: ReferralPlan, reader: Reader) -> list[ErrorItem]:
    stored = reader.load(PLANS, _plan_id(plan))
    if stored is not None and (stored.case_id, stored.at) != (plan.case_id, plan.at):
        return [ErrorItem("case_id", "its record id is taken by the plan of another case")]
    return []


PLANS: RecordType[ReferralPlan] = RecordType(
    kind="referral_plan",
    model=ReferralPlan,
    id_of=_plan_id,
    label="referral plan",
    index=_plan_index,
    check=_check_plan,
)

REFERRAL_RECORD_TYPES: tuple[RecordType[Any], ...] = (CASES, RULE_SETS, PLANS)
"""The referral package's record types (none refers to another record)."""

"""The referral models' record types: consultation cases, rule sets, referral plans.

Like the directory's record types these are plain :class:`RecordType`
declarations: every backend stores them without change (no new tables, no
schema version; see ``docs/storage.md``).

Cases (kind ``case``, id: the case id; audited)
    Index entries: ``municipality`` (code of the municipality handling the
    case), ``residence`` (the subject's residence code), ``worker`` (the worker
    in charge), ``legal_situation``, ``need`` (each raised need code) and
    ``received``: the day received, the person's day (``received_on``: in the
    case's ``time_zone``, else in the UTC offset of ``received_at``), at three
    grains (``2024``, ``2024-11`` and ``2024-11-05``) so that a range of days
    is one query over whole years, whole months and the days at its edges
    (:func:`received_cover`).  No references: consents name agency ids and
    kinds that may be absent from the store (an agency may close; a consent
    still says what the person agreed to), and need codes are kept as they
    were raised.  Case documents are special care-required personal
    information: nothing here logs them, and messages about a case name its
    id and field paths only, never the summary, names or notes.
    Checks: a case is closed (``closed_at``) only when every referral of it
    has ended; a change to its consents may not leave a referral that holds
    the person's information (requested, accepted, in progress, on hold)
    without a consent covering it, and a consent's withdrawal stays as recorded
    (``consents[i].withdrawn_on`` cannot be cleared or moved), and so does a
    consent's ``decision`` (a refusal never becomes a consent): withdraw consent with
    :func:`saihan.casework.withdraw_consent`, which cancels them first.

Referrals (kind ``referral``, id: the referral id; audited)
    References its case (a case with referrals cannot be deleted).  Index
    entries: ``case``, ``service``, ``agency``, ``status``, ``open``
    (``yes`` until it ends, for follow-up) and ``requested``: the UTC day it was
    first requested (:attr:`~saihan.referral.Referral.requested_at`), at the three
    grains of ``received`` (:func:`requested_keys`), none if it never was; a
    referral stored before schema version 4 has ``requested`` = ``unknown`` (made
    by the migration) until it is next written, and every date query takes those
    too.  Checks: the history extends the
    stored one (append-only: no event is changed or dropped, and the case,
    service and agency never change); every event that enters a status
    needing consent is covered by a consent of the stored case on its day;
    a closed case takes no new referral.

Audit events (kind ``audit_event``, id: ``e<revision>``; internal)
    Written by the store with every change to an audited record; never
    through a repository.  Index entries: ``record`` (``case:<id>``),
    ``actor``, ``action`` and ``day`` (UTC day of ``at``).  Hash-chained:
    each holds the digest of the one before it and its own.

Audit chain head (kind ``audit_chain``, id ``head``; internal)
    The last event's id and digest and the number of events, rewritten (at its
    expected version) with every event in the event's transaction.

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

Support flows (kind ``flow``, id: ``rule_set_record_id(flow id, version)``)
    Kept as rule sets are, one record per version, never changed: a plan's
    ``flow`` names the flow id and version it followed.  Index entry: ``flow``.

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

from saihan._validation import ID_RE
from saihan.errors import ErrorItem, ValidationError
from saihan.referral.audit import AuditAction, AuditChainHead, AuditEvent, changed_paths
from saihan.referral.case import ConsultationCase
from saihan.referral.flows.model import Flow
from saihan.referral.lifecycle import EventKind, Referral, lost_coverage
from saihan.referral.plan import ReferralPlan
from saihan.referral.rules import RuleSet
from saihan.serialization import unstructure
from saihan.storage.records import AuditChange, Reader, RecordType, Reference

__all__ = [
    "AUDITED_RECORD_TYPES",
    "AUDIT_CHAIN",
    "AUDIT_CHAIN_HEAD_ID",
    "AUDIT_EVENTS",
    "CASES",
    "FLOWS",
    "PLANS",
    "REFERRALS",
    "REFERRAL_RECORD_TYPES",
    "REQUESTED_UNKNOWN",
    "RULE_SETS",
    "audit_event_id",
    "plan_record_id",
    "received_cover",
    "received_keys",
    "requested_keys",
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


def _check_case(case: ConsultationCase, reader: Reader) -> list[ErrorItem]:
    referrals = reader.load_where(REFERRALS, [("case", [case.id])])
    problems = []
    if case.closed_at is not None:
        still_open = [referral.id for referral in referrals if not referral.ended]
        if still_open:
            named = ", ".join(repr(id) for id in still_open[:5])
            problems.append(
                ErrorItem(
                    "closed_at",
                    f"case {case.id!r} cannot be closed while referrals are open: {named}",
                )
            )
    stored = reader.load(CASES, case.id)
    if stored is not None:
        # A withdrawal is a fact about the past: it stays as recorded (an undone
        # withdrawal would otherwise pass for a new one in the trail).
        for index, (old, new) in enumerate(zip(stored.consents, case.consents, strict=False)):
            if old.withdrawn_on is not None and new.withdrawn_on != old.withdrawn_on:
                problems.append(
                    ErrorItem(
                        f"consents[{index}].withdrawn_on",
                        f"consent {index} was withdrawn on {old.withdrawn_on}: a withdrawal "
                        "cannot be undone or moved; record a new consent instead",
                    )
                )
            if new.decision is not old.decision:
                # Turning a refusal into a consent would fake the person's agreement.
                problems.append(
                    ErrorItem(
                        f"consents[{index}].decision",
                        f"consent {index} was recorded {old.decision.value}: a decision stays "
                        "as recorded; record a new consent (give_consent) or refusal "
                        "(refuse_consent) instead",
                    )
                )
        for referral in referrals:
            if not referral.status.needs_consent:
                continue
            day = lost_coverage(stored, case, referral)
            if day is not None:
                problems.append(
                    ErrorItem(
                        "consents",
                        f"would leave referral {referral.id!r} ({referral.status}) without "
                        f"consent from {day}: withdraw consent with withdraw_consent(), which "
                        "cancels the referrals it covered",
                    )
                )
    return problems


def _audit_case(old: ConsultationCase | None, new: ConsultationCase | None) -> AuditChange:
    if old is None:
        return AuditChange(AuditAction.CREATED)
    if new is None:
        return AuditChange(AuditAction.DELETED)
    changed = changed_paths(unstructure(old), unstructure(new))
    action = AuditAction.UPDATED
    if old.closed_at is None and new.closed_at is not None:
        action = AuditAction.CLOSED
    elif old.closed_at is not None and new.closed_at is None:
        action = AuditAction.REOPENED
    elif any(path.startswith("consents[") and path.endswith("].withdrawn_on") for path in changed):
        action = AuditAction.CONSENT_WITHDRAWN
    elif len(new.consents) > len(old.consents):
        added = new.consents[len(old.consents) :]
        refused = all(consent.refused for consent in added)
        action = AuditAction.CONSENT_REFUSED if refused else AuditAction.CONSENT_GIVEN
    return AuditChange(action, changed)


CASES: RecordType[ConsultationCase] = RecordType(
    kind="case",
    model=ConsultationCase,
    id_of=lambda case: case.id,
    label="case",
    index=_case_index,
    check=_check_case,
    audit=_audit_case,
)

# -- referrals --------------------------------------------------------------------


REQUESTED_UNKNOWN = "unknown"
"""The ``requested`` index value the schema version 4 migration gives the referrals
stored before it (their day is not known to the backend until the Store rewrites them)."""


def requested_keys(referral: Referral) -> tuple[str, ...]:
    """The ``requested`` index values of a referral: the UTC day it was first
    requested at three grains (:func:`received_keys`), none if it never was."""
    at = referral.requested_at
    if at is None:
        return ()
    return received_keys(at.astimezone(dt.UTC).date())


def _referral_index(referral: Referral) -> Iterable[tuple[str, str]]:
    yield ("case", referral.case_id)
    yield ("service", referral.service_id)
    yield ("agency", referral.agency_id)
    yield ("status", referral.status.value)
    if not referral.ended:
        yield ("open", "yes")
    for value in requested_keys(referral):
        yield ("requested", value)


def _check_referral(referral: Referral, reader: Reader) -> list[ErrorItem]:
    problems: list[ErrorItem] = []
    stored = reader.load(REFERRALS, referral.id)
    known = 0
    if stored is not None:
        for name in ("case_id", "service_id", "agency_id", "agency_kind"):
            if getattr(stored, name) != getattr(referral, name):
                problems.append(ErrorItem(name, "cannot change: make a new referral instead"))
        known = len(stored.history)
        if referral.history[:known] != stored.history:
            problems.append(
                ErrorItem(
                    "history",
                    f"the history is append-only: its first {known} events must stay as stored",
                )
            )
    case = reader.load(CASES, referral.case_id)
    if case is None:
        return problems  # the reference check reports the missing case
    if stored is None and case.closed_at is not None:
        problems.append(ErrorItem("case_id", f"case {case.id!r} is closed"))
    for index in range(known, len(referral.history)):
        event = referral.history[index]
        if event.kind is not EventKind.TRANSITION or not event.status.needs_consent:
            continue
        day = case.local_day(event.at)
        if case.consent_for(referral.agency_id, referral.agency_kind, day) is None:
            problems.append(
                ErrorItem(
                    f"history[{index}].status",
                    f"case {case.id!r} has no consent in force on {day} that covers agency "
                    f"{referral.agency_id!r}",
                )
            )
    return problems


def _audit_referral(old: Referral | None, new: Referral | None) -> AuditChange:
    if new is None:
        assert old is not None
        return AuditChange(AuditAction.DELETED, status_from=old.status.value)
    if old is None:
        return AuditChange(AuditAction.CREATED, status_to=new.status.value)
    changed = tuple(f"history[{index}]" for index in range(len(old.history), len(new.history)))
    if new.status is not old.status:
        action = AuditAction.STATUS_CHANGED
    elif changed:
        action = AuditAction.FOLLOWED_UP
    else:
        action = AuditAction.UPDATED
        changed = changed_paths(unstructure(old), unstructure(new))
    return AuditChange(action, changed, old.status.value, new.status.value)


REFERRALS: RecordType[Referral] = RecordType(
    kind="referral",
    model=Referral,
    id_of=lambda referral: referral.id,
    label="referral",
    index=_referral_index,
    references=lambda referral: [Reference("case_id", "case", referral.case_id)],
    check=_check_referral,
    audit=_audit_referral,
)

# -- audit events -------------------------------------------------------------------


def audit_event_id(revision: int, *, deleted: bool = False) -> str:
    """The id of the audit event of the write that took store revision ``revision``
    (with ``deleted``: of a deletion; the store rewrites the record to take a fresh
    revision just before deleting it, so that its event sorts in commit order)."""
    return f"e{revision:015d}" + ("-deleted" if deleted else "")


def _audit_index(event: AuditEvent) -> Iterable[tuple[str, str]]:
    yield ("record", f"{event.record_kind}:{event.record_id}")
    yield ("action", event.action.value)
    yield ("day", event.at.astimezone(dt.UTC).date().isoformat())
    if event.actor is not None:
        yield ("actor", event.actor)


AUDIT_EVENTS: RecordType[AuditEvent] = RecordType(
    kind="audit_event",
    model=AuditEvent,
    id_of=lambda event: event.id,
    label="audit event",
    index=_audit_index,
    internal=True,
)

AUDIT_CHAIN_HEAD_ID = "head"
"""The id of the one :data:`AUDIT_CHAIN` record."""

AUDIT_CHAIN: RecordType[AuditChainHead] = RecordType(
    kind="audit_chain",
    model=AuditChainHead,
    id_of=lambda _: AUDIT_CHAIN_HEAD_ID,
    label="audit chain head",
    internal=True,
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


def _stored_version_unchanged(
    record_type: RecordType[Any], item: Any, reader: Reader, what: str, content: str
) -> list[ErrorItem]:
    """Refuse other ``content`` under an ``(id, version)`` already stored: plans name
    rule sets and flows by id and version, so a stored version never changes."""
    stored = reader.load(record_type, record_type.id_of(item))
    if stored is None or stored == item:
        return []
    if (stored.id, stored.version) != (item.id, item.version):
        return [ErrorItem("version", f"its record id is taken by another {what} version")]
    return [
        ErrorItem(
            "version",
            f"{what} {item.id!r} version {item.version!r} is already stored with "
            f"other {content}; plans name it, so a stored version never changes: "
            "store the change under a new version",
        )
    ]


def _check_rule_set(rule_set: RuleSet, reader: Reader) -> list[ErrorItem]:
    return _stored_version_unchanged(RULE_SETS, rule_set, reader, "rule set", "rules")


RULE_SETS: RecordType[RuleSet] = RecordType(
    kind="rule_set",
    model=RuleSet,
    id_of=_rule_set_id,
    label="rule set",
    index=lambda rule_set: [("rule_set", rule_set.id)],
    check=_check_rule_set,
)

# -- flows ------------------------------------------------------------------------


def _flow_record_id(flow: Flow) -> str:
    return rule_set_record_id(flow.id, flow.version)


def _check_flow(flow: Flow, reader: Reader) -> list[ErrorItem]:
    return _stored_version_unchanged(FLOWS, flow, reader, "flow", "nodes")


FLOWS: RecordType[Flow] = RecordType(
    kind="flow",
    model=Flow,
    id_of=_flow_record_id,
    label="flow",
    index=lambda flow: [("flow", flow.id)],
    check=_check_flow,
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
    if not isinstance(case_id, str) or not ID_RE.match(case_id):
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
    if isinstance(plan.rules_id, str) and ID_RE.match(plan.rules_id):
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

REFERRAL_RECORD_TYPES: tuple[RecordType[Any], ...] = (
    CASES,
    RULE_SETS,
    PLANS,
    REFERRALS,
    AUDIT_EVENTS,
    FLOWS,
    AUDIT_CHAIN,
)
"""The referral package's record types."""

AUDITED_RECORD_TYPES: tuple[RecordType[Any], ...] = (CASES, REFERRALS)
"""The record types whose every change writes an audit event."""

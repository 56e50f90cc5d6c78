"""The life of a referral: statuses, the transitions between them, and its history.

A :class:`Referral` connects one case to one service.  Its statuses are those
of HL7 FHIR's Task as the Gravity Project's SDOH referral profile uses them
(``draft``, ``requested``, ``accepted``, ``rejected``, ``in-progress``,
``on-hold``, ``cancelled``, ``failed``, ``completed``, ``entered-in-error``);
:data:`TRANSITIONS` says which status may follow which.  A status without a
way out is *ended*: nothing moves a referral out of it.

A referral's status is the last entry of its ``history``, an append-only list
of :class:`ReferralEvent` (who, when, why, with what outcome).  Functions here
never change a referral: :func:`transition` returns a new one with one more
event, and the store refuses a write whose history does not extend the stored
one (see :mod:`saihan.storage.referral_records`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.errors import (
    ConflictError,
    ConsentError,
    ConsentRefusedError,
    ErrorItem,
    IllegalTransitionError,
    ValidationError,
)
from saihan.referral.case import ConsultationCase

__all__ = [
    "ENDED",
    "NEEDS_CONSENT",
    "REASON_REQUIRED",
    "TRANSITIONS",
    "EventKind",
    "IllegalTransitionError",
    "Referral",
    "ReferralEvent",
    "ReferralStatus",
    "check_consent",
    "lost_coverage",
    "new_referral",
    "parse_status",
    "record_followup",
    "transition",
]

_SENSITIVE = {"sensitive": True}


class ReferralStatus(enum.StrEnum):
    """FHIR Task statuses used for SDOH referrals (http://hl7.org/fhir/task-status)."""

    DRAFT = "draft"  # prepared, not yet sent: no data has gone anywhere
    REQUESTED = "requested"  # sent to the service, waiting for its answer
    ACCEPTED = "accepted"  # the service agreed to take the person on
    REJECTED = "rejected"  # the service declined
    IN_PROGRESS = "in-progress"  # support has started
    ON_HOLD = "on-hold"  # paused (hospital stay, custody, the person asked to wait)
    CANCELLED = "cancelled"  # withdrawn by the referrer, or consent withdrawn
    FAILED = "failed"  # attempted, but the support could not be given
    COMPLETED = "completed"  # the support was given
    ENTERED_IN_ERROR = "entered-in-error"  # should never have existed

    @property
    def ended(self) -> bool:
        """True for a status no transition leaves."""
        return not TRANSITIONS[self]

    @property
    def needs_consent(self) -> bool:
        """True while the service holds the person's information for this referral."""
        return self in NEEDS_CONSENT


_S = ReferralStatus

TRANSITIONS: Mapping[ReferralStatus, frozenset[ReferralStatus]] = {
    _S.DRAFT: frozenset({_S.REQUESTED, _S.CANCELLED, _S.ENTERED_IN_ERROR}),
    _S.REQUESTED: frozenset({_S.ACCEPTED, _S.REJECTED, _S.CANCELLED, _S.ENTERED_IN_ERROR}),
    _S.ACCEPTED: frozenset(
        {_S.IN_PROGRESS, _S.ON_HOLD, _S.COMPLETED, _S.FAILED, _S.CANCELLED, _S.ENTERED_IN_ERROR}
    ),
    _S.IN_PROGRESS: frozenset(
        {_S.ON_HOLD, _S.COMPLETED, _S.FAILED, _S.CANCELLED, _S.ENTERED_IN_ERROR}
    ),
    _S.ON_HOLD: frozenset({_S.IN_PROGRESS, _S.FAILED, _S.CANCELLED, _S.ENTERED_IN_ERROR}),
    _S.REJECTED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.FAILED: frozenset(),
    _S.COMPLETED: frozenset(),
    _S.ENTERED_IN_ERROR: frozenset(),
}
"""Which statuses may follow each status.  Ended statuses have none."""

ENDED: frozenset[ReferralStatus] = frozenset(s for s, after in TRANSITIONS.items() if not after)
"""rejected, cancelled, failed, completed, entered-in-error."""

NEEDS_CONSENT: frozenset[ReferralStatus] = frozenset(
    {_S.REQUESTED, _S.ACCEPTED, _S.IN_PROGRESS, _S.ON_HOLD}
)
"""Statuses in which the service holds the person's information: entering one
needs a consent that covers the service's agency on that day."""

REASON_REQUIRED: frozenset[ReferralStatus] = frozenset(
    {_S.REJECTED, _S.ON_HOLD, _S.CANCELLED, _S.FAILED, _S.ENTERED_IN_ERROR}
)
"""Statuses that are entered only with a reason (FHIR's ``statusReason``)."""


class EventKind(enum.StrEnum):
    """What a history entry records."""

    TRANSITION = "transition"  # the status changed (or the referral was made)
    FOLLOW_UP = "follow-up"  # someone checked on it; the status stayed


@attrs.frozen
class ReferralEvent:
    """One entry of a referral's history: who did what, when, why, with what outcome.

    ``reason`` and ``outcome`` are the worker's own words and may say things
    about the person: they are sensitive (kept out of ``repr``, of audit
    events and of every message).
    """

    at: dt.datetime = attrs.field(metadata={"doc": "When it happened, with its UTC offset."})
    actor: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Id of who did it."}
    )
    status: ReferralStatus = attrs.field(metadata={"doc": "The status after this event."})
    previous: ReferralStatus | None = attrs.field(
        default=None, metadata={"doc": "The status before it; null for the first event."}
    )
    kind: EventKind = attrs.field(
        default=EventKind.TRANSITION, metadata={"doc": "A transition or a follow-up."}
    )
    reason: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={**_SENSITIVE, "doc": "Why (FHIR statusReason), in the worker's words."},
    )
    outcome: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={**_SENSITIVE, "doc": "What came of it, in the worker's words."},
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("actor", self.actor)
        check.non_blank_optional("reason", self.reason)
        check.non_blank_optional("outcome", self.outcome)
        if self.kind is EventKind.FOLLOW_UP and self.previous is not self.status:
            check.add("previous", "a follow-up leaves the status as it was")
        check.done()


@attrs.frozen
class Referral:
    """A referral of one case to one service, with its whole history.

    ``agency_id`` and ``agency_kind`` are the service's agency when it was
    made: consent is checked against them.  ``referred_by`` is the service
    (a municipal desk, say) that made the referral: follow-up days are counted
    on its business calendar.
    """

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Referral id."})
    case_id: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "The case referred."}
    )
    service_id: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "The service referred to."}
    )
    agency_id: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "The service's agency."}
    )
    agency_kind: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "That agency's kind."}
    )
    history: tuple[ReferralEvent, ...] = attrs.field(
        metadata={"schema": {"minItems": 1}, "doc": "Every event, oldest first (append-only)."}
    )
    need: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "The need it is for."},
    )
    referred_by: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": ID_PATTERN},
            "doc": "The referring service, whose business days count for follow-up.",
        },
    )
    plan_id: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "The stored plan it came from."},
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        for name in ("id", "case_id", "service_id", "agency_id", "agency_kind"):
            check.identifier(name, getattr(self, name))
        for name in ("need", "referred_by", "plan_id"):
            value = getattr(self, name)
            if value is not None:
                check.identifier(name, value)
        if not self.history:
            check.add("history", "a referral has at least the event that made it")
        for index, event in enumerate(self.history):
            path = f"history[{index}]"
            if index == 0:
                if event.previous is not None:
                    check.add(f"{path}.previous", "the first event has no previous status")
                elif event.status not in (_S.DRAFT, _S.REQUESTED):
                    check.add(f"{path}.status", "a referral starts as draft or requested")
                elif event.kind is not EventKind.TRANSITION:
                    check.add(f"{path}.kind", "the first event makes the referral")
                continue
            before = self.history[index - 1]
            if event.previous is not before.status:
                check.add(
                    f"{path}.previous",
                    f"is {_name(event.previous)} but the status before it was {before.status}",
                )
            elif (
                event.kind is EventKind.TRANSITION
                and event.status not in TRANSITIONS[before.status]
            ):
                check.add(
                    f"{path}.status",
                    f"cannot go from {before.status} to {event.status}",
                )
            elif event.kind is EventKind.FOLLOW_UP and before.status.ended:
                check.add(f"{path}.kind", f"nothing follows up an ended ({before.status}) referral")
            if event.at < before.at:
                check.add(f"{path}.at", "is earlier than the event before it")
            if (
                event.kind is EventKind.TRANSITION
                and event.status in REASON_REQUIRED
                and event.reason is None
            ):
                check.add(f"{path}.reason", f"say why it is {event.status}")
        check.done()

    @property
    def status(self) -> ReferralStatus:
        """The current status: that of the last event."""
        return self.history[-1].status

    @property
    def ended(self) -> bool:
        return self.status.ended

    @property
    def created_at(self) -> dt.datetime:
        return self.history[0].at

    @property
    def updated_at(self) -> dt.datetime:
        return self.history[-1].at

    @property
    def requested_at(self) -> dt.datetime | None:
        """When it was first requested: its first transition into ``requested``
        (None if it never was).  The history is append-only, so this never moves."""
        for event in self.history:
            if event.status is ReferralStatus.REQUESTED and event.kind is EventKind.TRANSITION:
                return event.at
        return None

    def entered(self, status: ReferralStatus) -> dt.datetime | None:
        """When the referral last entered ``status`` (None if it never did)."""
        for event in reversed(self.history):
            if event.status is status and event.previous is not status:
                return event.at
        return None

    def last_followup(self) -> dt.datetime | None:
        """When it was last followed up (None if never)."""
        for event in reversed(self.history):
            if event.kind is EventKind.FOLLOW_UP:
                return event.at
        return None


def _name(status: ReferralStatus | None) -> str:
    return "none" if status is None else str(status)


def parse_status(value: object, path: str) -> ReferralStatus:
    """``value`` as a :class:`ReferralStatus`; ValidationError at ``path`` otherwise."""
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return ReferralStatus(value)
    except ValueError:
        known = ", ".join(status.value for status in ReferralStatus)
        raise ValidationError([ErrorItem(path, f"{value!r} is not one of {known}")]) from None


def check_consent(case: ConsultationCase, referral: Referral, on: dt.date) -> None:
    """Raise :class:`~saihan.errors.ConsentError` unless one of the case's consents
    covers the referral's agency on ``on``: :class:`~saihan.errors.ConsentRefusedError`
    when the person refused it (and gave no consent since), else ConsentError (not
    asked yet, or the consent ended).  The message names the case, the agency and
    the day, nothing else of the case."""
    if case.id != referral.case_id:
        raise ValidationError(
            [ErrorItem("case", f"is case {case.id!r}, the referral is of {referral.case_id!r}")]
        )
    refusal = case.consent_refused_for(referral.agency_id, referral.agency_kind, on)
    if refusal is not None:
        raise ConsentRefusedError(
            f"case {case.id!r}: the person refused on {refusal.given_on} to let their "
            f"information go to agency {referral.agency_id!r} (kind {referral.agency_kind!r}): "
            "the referral cannot be requested unless they give consent later"
        )
    if case.consent_for(referral.agency_id, referral.agency_kind, on) is None:
        raise ConsentError(
            f"case {case.id!r} has no consent in force on {on} that covers agency "
            f"{referral.agency_id!r} (kind {referral.agency_kind!r}): record the person's "
            "consent before requesting the referral"
        )


def new_referral(
    id: str,
    case: ConsultationCase,
    *,
    service_id: str,
    agency_id: str,
    agency_kind: str,
    actor: str,
    at: dt.datetime,
    status: ReferralStatus | str = ReferralStatus.DRAFT,
    need: str | None = None,
    referred_by: str | None = None,
    plan_id: str | None = None,
    reason: str | None = None,
) -> Referral:
    """A new referral of ``case``, as a draft or already requested.

    Made as ``requested`` it needs a consent in force on ``at``'s day that
    covers the agency (else :class:`~saihan.errors.ConsentError`).  A closed
    case takes no new referral (ConflictError).
    """
    first = parse_status(status, "status")
    if first not in (_S.DRAFT, _S.REQUESTED):
        raise ValidationError([ErrorItem("status", "a referral starts as draft or requested")])
    if not isinstance(case, ConsultationCase):
        raise ValidationError([ErrorItem("case", "expected a ConsultationCase")])
    if case.closed_at is not None:
        raise ConflictError(f"case {case.id!r} is closed: it takes no new referral")
    referral = Referral(
        id=id,
        case_id=case.id,
        service_id=service_id,
        agency_id=agency_id,
        agency_kind=agency_kind,
        need=need,
        referred_by=referred_by,
        plan_id=plan_id,
        history=(ReferralEvent(at=at, actor=actor, status=first, reason=reason),),
    )
    if first.needs_consent:
        check_consent(case, referral, case.local_day(at))
    return referral


def transition(
    referral: Referral,
    to: ReferralStatus | str,
    *,
    actor: str,
    at: dt.datetime,
    reason: str | None = None,
    outcome: str | None = None,
    case: ConsultationCase | None = None,
) -> Referral:
    """``referral`` moved to status ``to``: a new Referral with one more event.

    Raises :class:`IllegalTransitionError` (naming both statuses) when the
    table does not allow it, :class:`~saihan.errors.ValidationError` for a
    missing reason or an event earlier than the last, and, when ``to`` needs
    consent, :class:`~saihan.errors.ConsentError` unless ``case`` is given and
    its consent covers the agency on ``at``'s day.
    """
    if not isinstance(referral, Referral):
        raise ValidationError([ErrorItem("referral", "expected a Referral")])
    wanted = parse_status(to, "to")
    current = referral.status
    if wanted not in TRANSITIONS[current]:
        allowed = sorted(status.value for status in TRANSITIONS[current])
        raise IllegalTransitionError(referral.id, current.value, wanted.value, allowed)
    if wanted in REASON_REQUIRED and reason is None:
        raise ValidationError([ErrorItem("reason", f"say why the referral is {wanted}")])
    event = ReferralEvent(
        at=at, actor=actor, status=wanted, previous=current, reason=reason, outcome=outcome
    )
    if event.at < referral.updated_at:
        raise ValidationError([ErrorItem("at", "is earlier than the referral's last event")])
    if wanted.needs_consent:
        if case is None:
            raise ConsentError(
                f"referral {referral.id!r} cannot become {wanted} without checking consent: "
                "pass the case"
            )
        check_consent(case, referral, case.local_day(at))
    return attrs.evolve(referral, history=(*referral.history, event))


def record_followup(
    referral: Referral, *, actor: str, at: dt.datetime, outcome: str | None = None
) -> Referral:
    """``referral`` with a follow-up recorded: its status stays, the clock restarts."""
    if not isinstance(referral, Referral):
        raise ValidationError([ErrorItem("referral", "expected a Referral")])
    if referral.ended:
        raise ConflictError(
            f"referral {referral.id!r} is {referral.status}, an ended status: "
            "there is nothing to follow up"
        )
    event = ReferralEvent(
        at=at,
        actor=actor,
        status=referral.status,
        previous=referral.status,
        kind=EventKind.FOLLOW_UP,
        outcome=outcome,
    )
    if event.at < referral.updated_at:
        raise ValidationError([ErrorItem("at", "is earlier than the referral's last event")])
    return attrs.evolve(referral, history=(*referral.history, event))


def lost_coverage(
    old: ConsultationCase, new: ConsultationCase, referral: Referral
) -> dt.date | None:
    """The first day from the referral's last consent check on which ``old``
    covered it and ``new`` does not (None if there is none).  Coverage only
    changes on the days consents start, end or are withdrawn, so those days
    (and the start) are the only ones to look at."""
    start = new.local_day(referral.updated_at)
    days = {start}
    for consent in (*old.consents, *new.consents):
        days.add(consent.given_on)
        if consent.until is not None and consent.until < dt.date.max:
            days.add(consent.until + dt.timedelta(days=1))
        if consent.withdrawn_on is not None:
            days.add(consent.withdrawn_on)
    for day in sorted(day for day in days if day >= start):
        agency, kind = referral.agency_id, referral.agency_kind
        if old.consent_for(agency, kind, day) and not new.consent_for(agency, kind, day):
            return day
    return None

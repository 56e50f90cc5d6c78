"""The outreach record types: events, registrations, subscribers, newsletter issues.

Plain :class:`RecordType` declarations like the directory's and the referral
package's: every backend stores them without change.

Events (kind ``event``, id: the event id)
    Public, like the directory (writes need ``change-directory``).  References
    the organiser agency (an agency with events cannot be deleted; an import
    must keep it).  Index entries: ``organiser``, ``kind``, ``status``,
    ``audience`` (each), ``municipality`` (each code; ``all`` when the event
    is for all of Tokyo) and ``month`` (``2024-11``, of the start in the
    event's zone).  Checks: a stored event's status changes only along
    :data:`saihan.outreach.EVENT_TRANSITIONS`; its capacity cannot fall below
    the places its registrations hold.

Registrations (kind ``event_registration``; personal data, audited)
    Every read and change is checked against the acting principal
    (:func:`saihan.access.may`, with the registration as the scope: its
    ``organisation`` is the organiser, its ``municipality`` the registrant's)
    and audited, as cases are.  References the event.  Index entries:
    ``event``, ``status``.  Checks: ``organisation`` is the event's organiser;
    the registrations holding a place never outnumber the event's capacity.

Subscribers (kind ``subscriber``; personal data, audited)
    Scoped and audited as registrations (scope: the publishing
    ``organisation``).  Index entries: ``token`` (the SHA-256 digest of the
    unsubscribe token, never the token), ``organisation``, ``active``
    (``yes`` while consented and subscribed).  Checks: an unsubscription
    stays as recorded (``unsubscribed_at`` cannot be cleared or moved): a
    person who unsubscribed subscribes again with a new consent, as a new
    subscriber.

Newsletter issues (kind ``newsletter_issue``, id ``issue-00001``)
    Public.  Index entry: ``sent`` (``yes``/``no``).  Check: a sent issue
    does not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from saihan.errors import ErrorItem
from saihan.outreach.event import EVENT_TRANSITIONS, Event
from saihan.outreach.issue import NewsletterIssue
from saihan.outreach.registration import Registration, RegistrationStatus
from saihan.outreach.subscriber import Subscriber, token_digest
from saihan.referral.audit import AuditAction, changed_paths
from saihan.serialization import unstructure
from saihan.storage.records import AuditChange, Reader, RecordType, Reference
from saihan.text import normalize_for_search

__all__ = [
    "EVENTS",
    "NEWSLETTER_ISSUES",
    "OUTREACH_AUDITED_RECORD_TYPES",
    "OUTREACH_RECORD_TYPES",
    "OUTREACH_SCOPED_RECORD_TYPES",
    "REGISTRATIONS",
    "SUBSCRIBERS",
]


def _audit(old: Any, new: Any) -> AuditChange:
    if old is None:
        return AuditChange(AuditAction.CREATED)
    if new is None:
        return AuditChange(AuditAction.DELETED)
    changed = changed_paths(unstructure(old), unstructure(new))
    status_from = getattr(old, "status", None)
    status_to = getattr(new, "status", None)
    if status_from is not None and status_to is not None and status_from != status_to:
        return AuditChange(AuditAction.STATUS_CHANGED, changed, status_from.value, status_to.value)
    return AuditChange(AuditAction.UPDATED, changed)


# -- events -----------------------------------------------------------------------


def _event_index(event: Event) -> Iterable[tuple[str, str]]:
    yield ("organiser", event.organiser)
    yield ("kind", event.kind.value)
    yield ("status", event.status.value)
    for audience in event.audiences:
        yield ("audience", audience.value)
    for code in event.municipalities or ("all",):
        yield ("municipality", code)
    yield ("month", event.local_start.strftime("%Y-%m"))


def _check_event(event: Event, reader: Reader) -> list[ErrorItem]:
    problems = []
    stored = reader.load(EVENTS, event.id)
    if (
        stored is not None
        and stored.status is not event.status
        and event.status not in EVENT_TRANSITIONS[stored.status]
    ):
        allowed = ", ".join(sorted(EVENT_TRANSITIONS[stored.status])) or "nothing (final)"
        problems.append(
            ErrorItem(
                "status",
                f"event {event.id!r} is {stored.status.value}: it may become {allowed}, "
                f"not {event.status.value}",
            )
        )
    if stored is not None and event.capacity is not None:
        held = [
            r for r in reader.load_where(REGISTRATIONS, [("event", [event.id])]) if r.holds_place
        ]
        if len(held) > event.capacity:
            problems.append(
                ErrorItem(
                    "capacity",
                    f"{len(held)} registrations hold a place: the capacity cannot be "
                    f"{event.capacity}",
                )
            )
    return problems


EVENTS: RecordType[Event] = RecordType(
    kind="event",
    model=Event,
    id_of=lambda event: event.id,
    label="event",
    index=_event_index,
    references=lambda event: [Reference("organiser", "agency", event.organiser)],
    check=_check_event,
    text=lambda event: "\n".join(normalize_for_search(form) for form in event.title.forms()),
)

# -- registrations ------------------------------------------------------------------


def _check_registration(registration: Registration, reader: Reader) -> list[ErrorItem]:
    event = reader.load(EVENTS, registration.event_id)
    if event is None:
        return []  # the reference check says so
    problems = []
    stored = reader.load(REGISTRATIONS, registration.id)
    if stored is not None and stored.event_id != registration.event_id:
        problems.append(ErrorItem("event_id", "cannot change: register for the other event"))
    if registration.organisation != event.organiser:
        problems.append(
            ErrorItem(
                "organisation",
                f"must be the event's organiser {event.organiser!r}",
            )
        )
    if registration.status is RegistrationStatus.REGISTERED and event.capacity is not None:
        others = [
            r
            for r in reader.load_where(REGISTRATIONS, [("event", [event.id])])
            if r.holds_place and r.id != registration.id
        ]
        if len(others) >= event.capacity:
            problems.append(
                ErrorItem(
                    "status",
                    f"event {event.id!r} has no free place ({event.capacity} taken): "
                    "put the registration on the waiting list",
                )
            )
    return problems


REGISTRATIONS: RecordType[Registration] = RecordType(
    kind="event_registration",
    model=Registration,
    id_of=lambda registration: registration.id,
    label="registration",
    index=lambda r: [("event", r.event_id), ("status", r.status.value)],
    references=lambda r: [Reference("event_id", "event", r.event_id)],
    check=_check_registration,
    audit=_audit,
)

# -- subscribers --------------------------------------------------------------------


def _subscriber_index(subscriber: Subscriber) -> Iterable[tuple[str, str]]:
    yield ("token", token_digest(subscriber.token))
    yield ("organisation", subscriber.organisation)
    if subscriber.active:
        yield ("active", "yes")


def _check_subscriber(subscriber: Subscriber, reader: Reader) -> list[ErrorItem]:
    stored = reader.load(SUBSCRIBERS, subscriber.id)
    if stored is None or stored.unsubscribed_at is None:
        return []
    if subscriber.unsubscribed_at != stored.unsubscribed_at:
        return [
            ErrorItem(
                "unsubscribed_at",
                f"subscriber {subscriber.id!r} unsubscribed at "
                f"{stored.unsubscribed_at.isoformat()}: that stays as recorded; a new "
                "subscription with new consent is a new subscriber",
            )
        ]
    return []


SUBSCRIBERS: RecordType[Subscriber] = RecordType(
    kind="subscriber",
    model=Subscriber,
    id_of=lambda subscriber: subscriber.id,
    label="subscriber",
    index=_subscriber_index,
    check=_check_subscriber,
    audit=_audit,
)

# -- newsletter issues ----------------------------------------------------------------


def _check_issue(issue: NewsletterIssue, reader: Reader) -> list[ErrorItem]:
    stored = reader.load(NEWSLETTER_ISSUES, issue.id)
    if stored is not None and stored.sent and stored != issue:
        return [ErrorItem("sent_at", f"issue {issue.number} was sent: it no longer changes")]
    return []


NEWSLETTER_ISSUES: RecordType[NewsletterIssue] = RecordType(
    kind="newsletter_issue",
    model=NewsletterIssue,
    id_of=lambda issue: issue.id,
    label="newsletter issue",
    index=lambda issue: [("sent", "yes" if issue.sent else "no")],
    check=_check_issue,
)

OUTREACH_RECORD_TYPES: tuple[RecordType[Any], ...] = (
    EVENTS,
    REGISTRATIONS,
    SUBSCRIBERS,
    NEWSLETTER_ISSUES,
)
"""The outreach package's record types."""

OUTREACH_SCOPED_RECORD_TYPES: tuple[RecordType[Any], ...] = (REGISTRATIONS, SUBSCRIBERS)
"""Personal data: reads and changes checked against the principal, with the record itself
as the scope (:func:`saihan.access.may`)."""

OUTREACH_AUDITED_RECORD_TYPES: tuple[RecordType[Any], ...] = (REGISTRATIONS, SUBSCRIBERS)
"""The outreach record types whose every change writes an audit event."""

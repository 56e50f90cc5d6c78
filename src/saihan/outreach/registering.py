"""Registering for events on a store: places, the waiting list, promotion, event status.

Each operation is one store transaction: either everything it changes is
written (the registration, a promotion, the event's status) or nothing is.
They act as the store's principal: one who may read the event's
registrations (a ``system`` principal, or the organiser's staff; see
``docs/access.md``), since the places taken are counted from them.  The
store's own check keeps the places taken within the capacity whatever the
caller does (a second registration for the last place is refused with a
ValidationError at ``status``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import attrs

from saihan.errors import ConflictError, ErrorItem, NotFoundError, ValidationError
from saihan.outreach.event import Event, EventStatus, organiser_calendar
from saihan.outreach.registration import Registration, RegistrationStatus
from saihan.schedule.calendar import BusinessCalendar

if TYPE_CHECKING:
    from saihan.storage import Store, Versioned

__all__ = ["RegistrationResult", "cancel_registration", "change_event_status", "register"]


@dataclasses.dataclass(frozen=True)
class RegistrationResult:
    """What a registration or cancellation did."""

    registration: Registration
    event: Event
    promoted: Registration | None = None  # the registration moved off the waiting list

    @property
    def waiting(self) -> bool:
        return self.registration.status is RegistrationStatus.WAITING


def _moment(at: object, path: str = "at") -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise ValidationError([ErrorItem(path, "give a datetime with its UTC offset")])
    return at


def _calendar(store: Store, event: Event, calendar: BusinessCalendar | None) -> BusinessCalendar:
    if calendar is not None:
        if not isinstance(calendar, BusinessCalendar):
            raise ValidationError([ErrorItem("calendar", "expected a BusinessCalendar")])
        return calendar
    services = [item.value for item in store.services.by_agency(event.organiser)]
    return organiser_calendar(services, event.organiser)


def _held(store: Store, event_id: str) -> list[Versioned[Registration]]:
    return [item for item in store.registrations.for_event(event_id) if item.value.holds_place]


def register(
    store: Store,
    registration: Registration,
    *,
    calendar: BusinessCalendar | None = None,
) -> RegistrationResult:
    """Store ``registration`` (its ``status`` is decided here): a place while one is
    free, else the waiting list; the event becomes ``full`` with its last place.

    Refused (ConflictError) when the event does not take registrations at
    ``registration.registered_at``: not open or full, started, or past its
    deadline (``calendar``: default, the organiser's, :func:`organiser_calendar`).
    NotFoundError when there is no such event.
    """
    if not isinstance(registration, Registration):
        raise ValidationError([ErrorItem("registration", "expected a Registration")])
    with store.transaction():
        found = store.events.find(registration.event_id)
        if found is None:
            raise NotFoundError(f"no event has id {registration.event_id!r}")
        event = found.value
        if not event.registration_open_at(
            registration.registered_at, _calendar(store, event, calendar)
        ):
            raise ConflictError(
                f"event {event.id!r} does not take registrations at "
                f"{registration.registered_at.isoformat()} (it is {event.status.value}, "
                "or it has started, or its registration deadline has passed)"
            )
        held = len(_held(store, event.id))
        free = event.capacity is None or held < event.capacity
        status = RegistrationStatus.REGISTERED if free else RegistrationStatus.WAITING
        stored = attrs.evolve(registration, organisation=event.organiser, status=status)
        store.registrations.put(stored)
        if (
            event.capacity is not None
            and held + (1 if free else 0) >= event.capacity
            and event.status is EventStatus.OPEN
        ):
            event = event.moved_to(EventStatus.FULL)
            store.events.put(event, expected_version=found.version)
    return RegistrationResult(stored, event)


def cancel_registration(store: Store, registration_id: str) -> RegistrationResult:
    """Cancel a registration; when it held a place, the first on the waiting list
    (by ``registered_at``) takes it, and a full event with no one waiting opens again."""
    with store.transaction():
        current = store.registrations.get(registration_id)
        registration = current.value
        if registration.status is RegistrationStatus.CANCELLED:
            raise ConflictError(f"registration {registration_id!r} is already cancelled")
        event_found = store.events.get(registration.event_id)
        event = event_found.value
        cancelled = attrs.evolve(registration, status=RegistrationStatus.CANCELLED)
        store.registrations.put(cancelled, expected_version=current.version)
        promoted = None
        if registration.holds_place:
            waiting = store.registrations.waiting(event.id)
            if waiting:
                first = waiting[0]
                promoted = attrs.evolve(first.value, status=RegistrationStatus.REGISTERED)
                store.registrations.put(promoted, expected_version=first.version)
            elif event.status is EventStatus.FULL:
                event = event.moved_to(EventStatus.OPEN)
                store.events.put(event, expected_version=event_found.version)
    return RegistrationResult(cancelled, event, promoted)


def change_event_status(store: Store, event_id: str, status: EventStatus | str) -> Event:
    """Move an event to ``status`` along :data:`~saihan.outreach.EVENT_TRANSITIONS`
    (ValidationError at ``status`` otherwise).  Opening a full event needs a free place."""
    with store.transaction():
        found = store.events.get(event_id)
        event = found.value.moved_to(status)
        full = event.capacity is not None and len(_held(store, event.id)) >= event.capacity
        if event.status is EventStatus.OPEN and full:
            raise ValidationError(
                [ErrorItem("status", f"event {event_id!r} has no free place: it stays full")]
            )
        store.events.put(event, expected_version=found.version)
    return event

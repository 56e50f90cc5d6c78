"""Outreach: events of the support network, registrations, newsletter subscribers and issues.

The models (:class:`Event`, :class:`Registration`, :class:`Subscriber`,
:class:`NewsletterIssue`) are frozen attrs classes validated at the boundary
like every saihan model; the store keeps them (``store.events``,
``store.registrations``, ``store.subscribers``, ``store.newsletters``).
Registering with a waiting list (:func:`register`, :func:`cancel_registration`),
iCalendar feeds (:func:`events_to_ical`, :func:`select_events`), composing an issue
(:func:`compose_issue`) and sending it (:func:`send_issue`, :func:`unsubscribe`) work
on them.  See ``docs/outreach.md``.
"""

from __future__ import annotations

from saihan.outreach.event import (
    DEFAULT_OFFICE_CALENDAR,
    EVENT_TRANSITIONS,
    Event,
    EventAudience,
    EventKind,
    EventStatus,
    Material,
    organiser_calendar,
)
from saihan.outreach.feeds import events_to_ical, select_events
from saihan.outreach.issue import NewsletterIssue, ServiceSnapshot, issue_id
from saihan.outreach.newsletter import (
    ComposedIssue,
    DirectoryChanges,
    compose_issue,
    directory_changes,
    issue_message,
    render_editorial,
)
from saihan.outreach.registering import (
    RegistrationResult,
    cancel_registration,
    change_event_status,
    register,
)
from saihan.outreach.registration import Registration, RegistrationStatus
from saihan.outreach.sample import load_events, sample_events
from saihan.outreach.sending import SendReport, send_issue, unsubscribe, unsubscribe_link
from saihan.outreach.subscriber import Subscriber, new_token, token_digest
from saihan.outreach.web import unsubscribe_app

__all__ = [
    "DEFAULT_OFFICE_CALENDAR",
    "EVENT_TRANSITIONS",
    "ComposedIssue",
    "DirectoryChanges",
    "Event",
    "EventAudience",
    "EventKind",
    "EventStatus",
    "Material",
    "NewsletterIssue",
    "Registration",
    "RegistrationResult",
    "RegistrationStatus",
    "SendReport",
    "ServiceSnapshot",
    "Subscriber",
    "cancel_registration",
    "change_event_status",
    "compose_issue",
    "directory_changes",
    "events_to_ical",
    "issue_id",
    "issue_message",
    "load_events",
    "new_token",
    "organiser_calendar",
    "register",
    "render_editorial",
    "sample_events",
    "select_events",
    "send_issue",
    "token_digest",
    "unsubscribe",
    "unsubscribe_app",
    "unsubscribe_link",
]

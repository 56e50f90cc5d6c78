"""Sending an issue: one message per subscriber who consented, over SMTP; unsubscribing.

:func:`send_issue` reads the issue and the subscribers through the store's
principal (subscribers are personal data: audited reads for anyone but
``system``), connects to the SMTP server, and sends each active subscriber
whose municipalities the issue concerns a message of their own, with their
own unsubscribe link.  Each subscriber is read again just before their
message, so an unsubscription made while an issue is going out takes effect
at once.  A recipient the server refuses (``RCPT`` answered 5xx) is counted as
``refused`` (a bounce); any other failure of one message (a 4xx, a refused
message, a dropped connection, after which the rest are tried on a new one)
as ``failed``.  The issue is marked sent, with the counts, in one write after
the last message; when the server cannot be reached at all nothing is sent
and the store is left as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import smtplib
import urllib.parse
from typing import TYPE_CHECKING

import attrs

from saihan.errors import (
    ConflictError,
    DeliveryError,
    ErrorItem,
    NotFoundError,
    ValidationError,
)
from saihan.outreach.issue import NewsletterIssue, issue_id
from saihan.outreach.newsletter import issue_message
from saihan.outreach.subscriber import Subscriber

if TYPE_CHECKING:
    from saihan.storage import Store

__all__ = ["SendReport", "send_issue", "unsubscribe", "unsubscribe_link"]

TOKEN_HOLE = "{token}"


@dataclasses.dataclass(frozen=True)
class SendReport:
    """What sending an issue did (counts only: never an address)."""

    issue: int
    delivered: int
    refused: int
    failed: int
    skipped: int  # active subscribers the issue is not for (other municipalities)


def unsubscribe_link(template: str, token: str) -> str:
    """``template`` with ``{token}`` replaced by the URL-quoted token."""
    return template.replace(TOKEN_HOLE, urllib.parse.quote(token, safe=""))


def _check_template(template: object) -> str:
    if not isinstance(template, str) or not template.startswith("https://"):
        raise ValidationError(
            "give an https:// URL with {token} in it (RFC 8058 one-click needs HTTPS)",
            path="unsubscribe_url",
        )
    if TOKEN_HOLE not in template or any(c in template for c in '<>\r\n "'):
        raise ValidationError(
            "the URL must hold {token} (each subscriber's own) and no spaces or <>",
            path="unsubscribe_url",
        )
    return template


def _address(smtp: object) -> tuple[str, int]:
    if not isinstance(smtp, str) or ":" not in smtp:
        raise ValidationError("give the SMTP server as HOST:PORT, e.g. 127.0.0.1:25", path="smtp")
    host, _, port = smtp.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValidationError(f"{smtp!r} is not HOST:PORT", path="smtp")
    return host.strip("[]"), int(port)


def send_issue(
    store: Store,
    *,
    smtp: str,
    sender: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None = None,
    number: int | None = None,
    at: dt.datetime | None = None,
    timeout: float = 30.0,
) -> SendReport:
    """Send issue ``number`` (default: the latest unsent one) to every active subscriber
    it concerns, through the SMTP server ``smtp`` (``HOST:PORT``).

    ``unsubscribe_url`` is an ``https://`` template with ``{token}``; each message gets
    its subscriber's link in ``List-Unsubscribe``, with ``List-Unsubscribe-Post:
    List-Unsubscribe=One-Click``.  ConflictError when the issue was sent already;
    NotFoundError when there is none to send; DeliveryError when the server cannot
    be reached (the store unchanged).
    """
    template = _check_template(unsubscribe_url)
    host, port = _address(smtp)
    if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
        raise ValidationError([ErrorItem("at", "give a datetime with its UTC offset")])
    issue = _issue(store, number)
    issue_message(issue, sender=sender, unsubscribe_mailto=unsubscribe_mailto)  # checks them
    subscribers = [item.value for item in store.subscribers.active()]
    chosen = [s for s in subscribers if s.wants(issue.municipalities)]
    try:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"cannot reach the SMTP server {host}:{port}: {error}") from None
    delivered = refused = failed = 0
    try:
        for subscriber in chosen:
            current = store.subscribers.find(subscriber.id)
            if current is None or not current.value.active:
                continue  # unsubscribed meanwhile: at once
            outcome, connection = _send_one(
                connection, issue, current.value, sender, template, unsubscribe_mailto,
                (host, port, timeout),
            )  # fmt: skip
            if outcome == "delivered":
                delivered += 1
            elif outcome == "refused":
                refused += 1
            else:
                failed += 1
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    done = attrs.evolve(
        issue,
        sent_at=at or dt.datetime.now(dt.UTC).replace(microsecond=0),
        delivered=delivered,
        refused=refused,
        failed=failed,
    )
    stored = store.newsletters.get(issue.id)
    store.newsletters.put(done, expected_version=stored.version)
    return SendReport(issue.number, delivered, refused, failed, len(subscribers) - len(chosen))


def _issue(store: Store, number: int | None) -> NewsletterIssue:
    if number is None:
        unsent = [item.value for item in store.newsletters.where("sent", "no")]
        if not unsent:
            raise NotFoundError("no unsent newsletter issue: compose one first")
        return max(unsent, key=lambda issue: issue.number)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValidationError(f"{number!r} is not an issue number", path="number")
    found = store.newsletters.find(issue_id(number))
    if found is None:
        raise NotFoundError(f"no newsletter issue {number}")
    if found.value.sent:
        raise ConflictError(f"issue {number} was sent already ({found.value.sent_at})")
    return found.value


def _send_one(
    connection: smtplib.SMTP,
    issue: NewsletterIssue,
    subscriber: Subscriber,
    sender: str,
    template: str,
    mailto: str | None,
    server: tuple[str, int, float],
) -> tuple[str, smtplib.SMTP]:
    message = issue_message(
        issue,
        sender=sender,
        recipient=subscriber.email,
        unsubscribe_url=unsubscribe_link(template, subscriber.token),
        unsubscribe_mailto=mailto,
    )
    try:
        connection.send_message(message, from_addr=sender, to_addrs=[subscriber.email])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        return ("refused" if all(500 <= code < 600 for code in codes) else "failed"), connection
    except smtplib.SMTPServerDisconnected:
        host, port, timeout = server
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection = smtplib.SMTP(host, port, timeout=timeout)
        return "failed", connection
    except (smtplib.SMTPException, OSError):
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.rset()
        return "failed", connection
    return "delivered", connection


def unsubscribe(store: Store, token: str, *, at: dt.datetime | None = None) -> bool:
    """End the subscription whose unsubscribe token is ``token``, at once; True when one
    was ended, False when the token is unknown or already used (no error: a one-click
    unsubscribe must not tell a stranger whether an address is subscribed)."""
    if not isinstance(token, str) or not token:
        raise ValidationError("expected the token of an unsubscribe link", path="token")
    if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
        raise ValidationError([ErrorItem("at", "give a datetime with its UTC offset")])
    with store.transaction():
        found = store.subscribers.by_token(token)
        if found is None or found.value.unsubscribed_at is not None:
            return False
        when = at or dt.datetime.now(dt.UTC).replace(microsecond=0)
        store.subscribers.put(
            attrs.evolve(found.value, unsubscribed_at=when), expected_version=found.version
        )
    return True

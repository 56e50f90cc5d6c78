"""The audit trail: who changed a case, a consent or a referral, when, and what.

The store writes an :class:`AuditEvent` in the same transaction as every
write or deletion of a case or a referral (see ``Store.acting_as`` for how the
actor and time are given), so a change and its event are committed together
or not at all.  An event names the record, the action and the *paths* of the
fields that changed (``consents[1].withdrawn_on``, ``summary``), and for a
referral its statuses; never a value of a case field, so the trail itself is
not special care-required information.  Events cannot be written, changed or
deleted through the store's API: ``store.audit`` only reads.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from saihan._validation import ID_PATTERN, Checker

__all__ = ["MAX_CHANGED_PATHS", "AuditAction", "AuditEvent", "changed_paths"]

MAX_CHANGED_PATHS = 100
"""An event lists at most this many paths (then ``...``): a rewrite of a whole
record is recorded as such without an event larger than the record."""


class AuditAction(enum.StrEnum):
    """What a change did."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    CONSENT_GIVEN = "consent-given"  # a case gained a consent
    CONSENT_WITHDRAWN = "consent-withdrawn"  # a consent of a case was withdrawn
    CLOSED = "closed"  # a case was closed
    REOPENED = "reopened"  # a closed case was opened again
    STATUS_CHANGED = "status-changed"  # a referral moved to another status
    FOLLOWED_UP = "followed-up"  # a referral was followed up
    READ = "read"  # a principal read the record (APPI: a record of who accessed it)
    ACCESS_DENIED = "access-denied"  # a principal was refused (the operation failed)


@attrs.frozen
class AuditEvent:
    """One change to a case or a referral, or one access to it (``read``,
    ``access-denied``: then ``changed`` names what was asked, e.g. ``read``).

    ``id`` sorts in the order the changes were committed: it is made from the
    store revision the change took.  ``actor`` is the acting principal's id
    (:class:`saihan.access.Principal`), or the worker a ``system`` principal
    recorded the change for; None only for a refusal when no principal was given.
    """

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Event id."})
    at: dt.datetime = attrs.field(metadata={"doc": "When the change was made, with UTC offset."})
    actor: str | None = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Who made it; null if not given."}
    )
    record_kind: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "case or referral."}
    )
    record_id: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "The record changed."}
    )
    action: AuditAction = attrs.field(metadata={"doc": "What the change did."})
    version: int | None = attrs.field(
        metadata={"schema": {"minimum": 1}, "doc": "The version written; null for a deletion."}
    )
    changed: tuple[str, ...] = attrs.field(
        default=(), metadata={"doc": "Paths of the fields that changed (never their values)."}
    )
    status_from: str | None = attrs.field(
        default=None, metadata={"doc": "A referral's status before the change."}
    )
    status_to: str | None = attrs.field(
        default=None, metadata={"doc": "A referral's status after the change."}
    )
    roles: tuple[str, ...] = attrs.field(
        default=(), metadata={"doc": "The acting principal's roles, sorted (docs/access.md)."}
    )
    organisation: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "The acting principal's organisation."},
    )

    def __attrs_post_init__(self) -> None:
        check = Checker()
        check.identifier("id", self.id)
        if self.at.utcoffset() is None:
            check.add("at", "give the UTC offset")
        if self.actor is not None:
            check.identifier("actor", self.actor)
        check.identifier("record_kind", self.record_kind)
        check.identifier("record_id", self.record_id)
        if self.version is not None and self.version < 1:
            check.add("version", "versions start at 1")
        check.done()


_MISSING = object()  # a field or item one side does not have (None is a value)


def _walk(before: Any, after: Any, path: str) -> Iterator[str]:
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            yield from _walk(before.get(key, _MISSING), after.get(key, _MISSING), sub)
        return
    if (
        isinstance(before, Sequence)
        and isinstance(after, Sequence)
        and not isinstance(before, str)
        and not isinstance(after, str)
    ):
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else _MISSING
            new = after[index] if index < len(after) else _MISSING
            yield from _walk(old, new, f"{path}[{index}]")
        return
    yield path


def changed_paths(before: Any, after: Any) -> tuple[str, ...]:
    """The paths where two unstructured documents differ, sorted as found.

    Lists compare position by position (an added consent is ``consents[2]``);
    a field present on one side only is a change at its path.  At most
    :data:`MAX_CHANGED_PATHS` paths, then ``...``.
    """
    found: list[str] = []
    for path in _walk(before, after, ""):
        if len(found) == MAX_CHANGED_PATHS:
            found.append("...")
            break
        found.append(path)
    return tuple(found)

"""The audit trail: who changed a case, a consent or a referral, when, and what.

The store writes an :class:`AuditEvent` in the same transaction as every
write or deletion of a case or a referral (see ``Store.acting_as`` for how the
actor and time are given), so a change and its event are committed together
or not at all.  An event names the record, the action and the *paths* of the
fields that changed (``consents[1].withdrawn_on``, ``summary``), and for a
referral its statuses; never a value of a case field, so the trail itself is
not special care-required information.  Events cannot be written, changed or
deleted through the store's API: ``store.audit`` only reads.

Events are hash-chained per store: each holds the digest of the event before
it (``previous``) and its own (``digest``, :func:`event_digest`), the first
chaining from :data:`GENESIS_DIGEST`; an :class:`AuditChainHead` record names
the last one.  ``Store.integrity_check()`` and ``saihan audit verify`` check
the chain; the format is in ``docs/referral-lifecycle.md``.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from saihan._validation import ID_PATTERN, Checker, checked

__all__ = [
    "GENESIS_DIGEST",
    "MAX_CHANGED_PATHS",
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "canonical_digest",
    "changed_paths",
    "event_digest",
]

GENESIS_DIGEST = "0" * 64
"""The ``previous`` digest of a store's first chained audit event."""

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
    CONSENT_REFUSED = "consent-refused"  # a case gained a refusal (asked, said no)
    CLOSED = "closed"  # a case was closed
    REOPENED = "reopened"  # a closed case was opened again
    STATUS_CHANGED = "status-changed"  # a referral moved to another status
    FOLLOWED_UP = "followed-up"  # a referral was followed up
    READ = "read"  # a principal read the record (APPI: a record of who accessed it)
    ACCESS_DENIED = "access-denied"  # a principal was refused (the operation failed)
    EXPORTED = "exported"  # a principal exported figures or case examples read from cases


_HEX = "^[0-9a-f]{64}$"
_HEX_RE = re.compile("[0-9a-f]{64}")


def canonical_digest(data: Any) -> str:
    """sha256 (hex) of ``data``'s canonical JSON: keys sorted, no whitespace,
    non-ASCII as itself, UTF-8 (lone surrogates, which only old stored
    documents may hold, encoded as by ``surrogatepass``)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def event_digest(data: Mapping[str, Any]) -> str:
    """The digest of an unstructured audit event: :func:`canonical_digest` of every
    field but ``digest`` (so ``previous`` is covered, which makes the chain)."""
    return canonical_digest({key: value for key, value in data.items() if key != "digest"})


@attrs.frozen
class AuditChainHead:
    """The last link of a store's audit chain, rewritten with every event in the
    event's transaction (so deleting the newest events shows).  ``count``:
    chained events; ``legacy``: events written before the chain began
    (without digests), which precede every chained one."""

    event_id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}})
    digest: str = attrs.field(metadata={"schema": {"pattern": _HEX}})
    count: int = attrs.field(metadata={"schema": {"minimum": 1}})
    legacy: int = attrs.field(default=0, metadata={"schema": {"minimum": 0}})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("event_id", self.event_id)
        if not _HEX_RE.fullmatch(self.digest):
            check.add("digest", "expected 64 lower-case hex digits (sha256)")
        check.require(self.count >= 1, "count", "a head counts at least one event")
        check.require(self.legacy >= 0, "legacy", "must not be negative")


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
    record_digest: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": _HEX},
            "doc": "canonical_digest of the record as written; null for a deletion.",
        },
    )
    previous: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": _HEX},
            "doc": "The digest of the store's previous event (genesis: 64 zeros); "
            "null only in events written before the chain.",
        },
    )
    digest: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": _HEX},
            "doc": "This event's digest (event_digest); null only before the chain.",
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        for name in ("record_digest", "previous", "digest"):
            value = getattr(self, name)
            if value is not None and not _HEX_RE.fullmatch(value):
                check.add(name, "expected 64 lower-case hex digits (sha256)")
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

"""Record types: how a model is stored, indexed and checked.

A :class:`RecordType` ties a model class to a record ``kind`` and says how to
derive its index entries, its references and its cross-record checks.  The
directory's five record types are in :mod:`saihan.storage.directory_records`;
a later model (case records, referrals) is stored by declaring one more
record type and asking ``store.repository(record_type)``: backends need no
change, since they store any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

from saihan.errors import ErrorItem
from saihan.storage.engine import RecordKeys

__all__ = ["AuditChange", "Reader", "RecordType", "Reference", "storable_text"]

T = TypeVar("T")
U = TypeVar("U")


@attrs.frozen
class Reference:
    """A record another one depends on, and where in the referring record it is named."""

    path: str
    kind: str
    id: str


@attrs.frozen
class AuditChange:
    """What a write did, as a record type's ``audit`` describes it (field paths and
    statuses only: never a value of the record)."""

    action: str
    changed: tuple[str, ...] = ()
    status_from: str | None = None
    status_to: str | None = None


class Reader(Protocol):
    """Read access to the store inside a transaction, for cross-record checks."""

    def load(self, record_type: RecordType[U], id: str) -> U | None: ...

    def load_where(
        self, record_type: RecordType[U], conditions: Sequence[tuple[str, Iterable[str]]]
    ) -> list[U]: ...

    def load_all(self, record_type: RecordType[U]) -> list[U]: ...


def storable_text(text: str) -> str:
    """``text`` as a backend keeps it: NUL (which PostgreSQL cannot hold) becomes
    U+FFFD.  The Store checks a query with either character itself."""
    return text.replace("\x00", "\ufffd")


def _no_keys(_: Any) -> Iterable[tuple[str, str]]:
    return ()


def _no_refs(_: Any) -> Iterable[Reference]:
    return ()


def _no_checks(_: Any, __: Reader) -> list[ErrorItem]:
    return []


@attrs.frozen(eq=False)
class RecordType(Generic[T]):
    """How records of one model are kept.

    ``kind``
        The record kind in the backend (``service``); never change it once used.
    ``model``
        The attrs class; documents are made with saihan's converter.
    ``id_of``
        The record's id (must match saihan's id pattern).
    ``index``
        ``(name, value)`` pairs the record is found by.
    ``references``
        Records that must exist for this one to be valid; they cannot be
        deleted while it refers to them.
    ``check``
        Further checks against the rest of the store (locations of the agency,
        the taxonomy...); problems as ErrorItems with paths into the record.
    ``label``
        What to call a record in messages (``service``).
    ``audit``
        When set, every write and deletion of such a record also writes an
        audit event, in the same transaction; called with the record before
        (None when created) and after (None when deleted).
    ``internal``
        Records only the store itself writes (audit events): repositories
        refuse to put or delete them.
    ``text``
        The record's search key (:attr:`~saihan.storage.RecordKeys.text`):
        its names folded with :func:`saihan.text.normalize_for_search`, one per
        line.  None for a record that is not searched by text.
    """

    kind: str
    model: type[T]
    id_of: Callable[[T], str]
    label: str
    index: Callable[[T], Iterable[tuple[str, str]]] = _no_keys
    references: Callable[[T], Iterable[Reference]] = _no_refs
    check: Callable[[T, Reader], list[ErrorItem]] = _no_checks
    audit: Callable[[T | None, T | None], AuditChange] | None = None
    internal: bool = False
    text: Callable[[T], str] | None = None

    def keys(self, item: T) -> RecordKeys:
        return RecordKeys(
            index=frozenset(self.index(item)),
            refs=frozenset((ref.kind, ref.id) for ref in self.references(item)),
            text="" if self.text is None else storable_text(self.text(item)),
        )

    def __repr__(self) -> str:
        return f"RecordType({self.kind!r}, {self.model.__name__})"

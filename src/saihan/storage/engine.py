"""The backend interface: what a storage plugin implements.

A plugin registers a **backend** (an object with ``open(url) -> Engine``) under
the ``saihan.storage`` entry-point group, named by its URL scheme.  saihan's
:class:`~saihan.storage.Store` does everything model-specific (validation,
references, versions, queries by need and municipality) on top of a small set
of generic operations on **records**:

- a record is ``(kind, id)`` with a ``version`` and a ``document`` (JSON text);
- its **index** is a set of ``(name, value)`` pairs the Store derives from the
  document; :meth:`EngineTransaction.scan` finds records by them;
- its **references** are the ``(kind, id)`` of the records it depends on; a
  record that is referenced cannot be deleted;
- its **text** is a search key the Store derives (names folded for search); a
  backend whose capabilities say ``text_search`` keeps it and answers
  :meth:`EngineTransaction.scan_text`; others are never asked.

A backend therefore never learns about agencies or services, and a new model
needs no backend change.  The conformance suite in :mod:`saihan.testing.storage`
checks a backend against this contract; ``docs/writing-a-storage-plugin.md``
walks through a complete one.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Final, Literal, Protocol, runtime_checkable

import attrs

from saihan.storage.url import StoreURL

__all__ = [
    "ANY_VERSION",
    "AnyVersion",
    "Backend",
    "Capabilities",
    "Condition",
    "Engine",
    "EngineTransaction",
    "NewRecord",
    "RecordKeys",
    "StoredRecord",
    "TextCondition",
]


class AnyVersion(enum.Enum):
    """The type of :data:`ANY_VERSION`."""

    ANY = "any"


ANY_VERSION: Final = AnyVersion.ANY
"""``expected_version=ANY_VERSION``: write or delete whatever version is there."""

ExpectedVersion = int | None | Literal[AnyVersion.ANY]


@attrs.frozen
class Capabilities:
    """What a backend can do.  The conformance suite skips, with a reason, the
    tests of what a backend declares it cannot do.

    ``durable``
        Committed data survives the process ending (or being killed).
    ``multi_process``
        Several processes may open the same store and write at once.
    ``threads``
        One open store may be used from several threads.
    ``max_record_bytes``
        The largest document the backend stores (None: no limit below 100 MB).
    ``text_search``
        The backend keeps each record's :attr:`RecordKeys.text` and implements
        :meth:`EngineTransaction.scan_text`,
        :meth:`EngineTransaction.records_without_text` and
        :meth:`EngineTransaction.set_text`.  Without it the Store filters
        decoded records itself (same results, slower).
    ``candidate_index``
        Every stored service has its ``need_area`` index entries (one per need
        and area pair, :mod:`saihan.storage.directory_records`), including those
        written before the Store made them (a migration adds them), so a match's
        candidates are one :meth:`EngineTransaction.scan` condition.  Without it
        the Store intersects the ``need`` and ``area`` conditions (same results).
    """

    durable: bool = True
    multi_process: bool = True
    threads: bool = True
    max_record_bytes: int | None = None
    text_search: bool = False
    candidate_index: bool = False


@attrs.frozen
class StoredRecord:
    """A record as a backend returns it."""

    id: str
    version: int
    document: str


@attrs.frozen
class RecordKeys:
    """What a record is found by (``index``, ``text``) and what it depends on (``refs``).

    ``text`` is the record's search key: lines of text already folded for search
    (:func:`saihan.text.normalize_for_search`), never containing NUL; empty for a
    record that is not searched by text.
    """

    index: frozenset[tuple[str, str]] = frozenset()
    refs: frozenset[tuple[str, str]] = frozenset()
    text: str = ""


@attrs.frozen
class NewRecord:
    """A record for :meth:`EngineTransaction.replace_kinds`."""

    kind: str
    id: str
    document: str
    keys: RecordKeys


@attrs.frozen
class Condition:
    """Records having an index entry named ``name`` with one of ``values``."""

    name: str
    values: frozenset[str]


@attrs.frozen
class TextCondition:
    """Records in which every one of ``words`` occurs (as a substring, compared
    code point by code point) in the record's own text or in the text of a
    record it references whose kind is one of ``through``.

    A service is found by the words of its agency's name this way: ``through``
    is ``{"agency"}``.  Words are non-empty and contain no white space or NUL.
    Only backends whose capabilities say ``text_search`` are given one
    (:meth:`EngineTransaction.scan_text`).
    """

    words: tuple[str, ...]
    through: frozenset[str] = frozenset()


class EngineTransaction(ABC):
    """One unit of work on a backend, used from one thread.

    Reads see the transaction's own writes.  Write operations are only called
    after :meth:`prepare_write`.  Results that are lists are sorted by id.
    Version numbers are the store's revision: each record written takes the
    next one (1, 2, 3 ... for the store as a whole), so a version never comes
    back after a delete; a rolled-back transaction uses none.
    """

    # -- reads ------------------------------------------------------------------
    @abstractmethod
    def get(self, kind: str, id: str) -> StoredRecord | None:
        """The record, or None."""

    @abstractmethod
    def get_many(self, kind: str, ids: Collection[str]) -> list[StoredRecord]:
        """The records among ``ids`` that exist, sorted by id."""

    @abstractmethod
    def scan(
        self,
        kind: str,
        conditions: Sequence[Condition] = (),
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        """Records of ``kind`` matching every condition, with id > ``after``, sorted by id,
        at most ``limit`` of them."""

    @abstractmethod
    def scan_ids(self, kind: str, conditions: Sequence[Condition] = ()) -> list[str]:
        """The ids :meth:`scan` would return, without documents."""

    @abstractmethod
    def count(self, kind: str) -> int:
        """How many records of ``kind`` there are."""

    def revision(self) -> int | None:
        """The store's revision as this transaction sees it: the last version given
        out (0 for a new store), so it changes with every committed write.  Optional:
        a backend that does not keep one returns None (the default), and callers
        that would cache on it (:class:`~saihan.storage.CachedDirectorySource`) read
        afresh every time instead."""
        return None

    def changes_since(
        self, kinds: Collection[str], revision: int, limit: int
    ) -> list[tuple[str, str]] | None:
        """The ``(kind, id)`` of every record of ``kinds`` written or deleted after
        ``revision`` (a record with a version above it, or deleted at such a
        version), sorted; None when the backend cannot tell: it keeps no such
        log (the default), whole kinds were replaced since (:meth:`replace_kinds`),
        or there are more than ``limit`` of them.

        Optional, like :meth:`revision`: a caller that keeps what it read (a
        :class:`~saihan.storage.CachedDirectorySource`) re-reads only what changed
        when it has the answer, and drops everything it keeps on None.  A record
        counts as deleted at the version it had (the Store rewrites a record at a
        fresh revision before deleting it)."""
        return None

    @abstractmethod
    def referrers(self, kind: str, id: str) -> list[tuple[str, str]]:
        """The ``(kind, id)`` of every record that references ``(kind, id)``, sorted."""

    def scan_text(
        self,
        kind: str,
        conditions: Sequence[Condition],
        text: TextCondition,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        """What :meth:`scan` returns for ``conditions``, less the records ``text``
        does not match.  Only called on a backend with ``text_search``."""
        raise NotImplementedError("this backend does not keep search texts")

    def records_without_text(self, kind: str, limit: int) -> list[StoredRecord]:
        """Up to ``limit`` records of ``kind`` whose text is not known yet (written
        before the backend kept texts), sorted by id.  Only called on a backend
        with ``text_search``; the Store then computes their texts with
        :meth:`set_text`."""
        raise NotImplementedError("this backend does not keep search texts")

    def set_text(self, kind: str, id: str, text: str) -> None:
        """Set the search text of a record, leaving its version and document alone
        (a write: called after :meth:`prepare_write`)."""
        raise NotImplementedError("this backend does not keep search texts")

    # -- writes -----------------------------------------------------------------
    @abstractmethod
    def prepare_write(self) -> None:
        """Called before the checks of every write.  A backend whose transactions
        do not already exclude other writers takes its write lock here, so that
        what the checks read stays true until commit."""

    @abstractmethod
    def write(
        self, kind: str, id: str, document: str, keys: RecordKeys, *, previous: int | None
    ) -> int:
        """Insert (``previous`` None) or update (the record must be at ``previous``)
        a record and replace its keys; returns its new version.

        Raises :class:`~saihan.errors.ConflictError` when the record exists on
        insert, or is missing or at another version on update.
        """

    @abstractmethod
    def delete(self, kind: str, id: str, *, previous: int) -> None:
        """Delete a record that is at version ``previous``, with its keys.

        Raises :class:`~saihan.errors.ConflictError` when it is at another
        version, missing, or still referenced.
        """

    @abstractmethod
    def replace_kinds(
        self,
        kinds: Sequence[str],
        records: Iterable[NewRecord],
        progress: Callable[[int], None],
    ) -> None:
        """Delete every record of ``kinds`` and insert ``records`` (all of those kinds,
        in the order given), giving them consecutive versions.  Call ``progress``
        with the number of records written so far, now and then and at the end.

        Raises :class:`~saihan.errors.ConflictError` when a deleted record is
        still referenced by a record of another kind.
        """

    # -- control ----------------------------------------------------------------
    @abstractmethod
    def savepoint(self) -> object:
        """Mark a point to roll back to; returns a token."""

    @abstractmethod
    def rollback_to(self, token: object) -> None:
        """Undo everything since the savepoint (which stays usable until released)."""

    @abstractmethod
    def release(self, token: object) -> None:
        """Forget a savepoint, keeping what was done since."""

    @abstractmethod
    def commit(self) -> None:
        """Make the transaction's writes permanent, all of them or none."""

    @abstractmethod
    def rollback(self) -> None:
        """Undo the whole transaction."""


class Engine(ABC):
    """An open store on one backend."""

    #: The backend's URL scheme (``sqlite``).
    scheme: str
    capabilities: Capabilities

    @abstractmethod
    def begin(self, *, write: bool) -> EngineTransaction:
        """Start a transaction in the calling thread.  ``write`` says whether it may
        write (a backend may take its write lock now or in ``prepare_write``)."""

    @abstractmethod
    def schema_version(self) -> int:
        """The schema version of the store as opened (after migrations)."""

    @abstractmethod
    def integrity_check(self) -> list[str]:
        """The backend's own integrity check: problems found, empty when sound."""

    @abstractmethod
    def describe(self) -> Mapping[str, str]:
        """Facts about the store for ``saihan store info`` (no credentials)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and files; the engine is unusable afterwards."""


@runtime_checkable
class Backend(Protocol):
    """What a ``saihan.storage`` entry point names (a class is instantiated first)."""

    def open(self, url: StoreURL, *, create: bool) -> Engine:
        """Open (and, when ``create``, create) the store at ``url``; run its migrations."""
        ...

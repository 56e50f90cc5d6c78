"""The ``memory://`` backend: records in a dict, for tests and short-lived tools.

``memory://`` opens a new, empty store every time; ``memory://NAME`` opens the
store called NAME in this process, shared by everyone who opens that name
until :func:`forget` drops it.  Nothing is written to disk.  Transactions are
serialised by a lock and undone from an undo log.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

import attrs

from saihan.errors import ConflictError, NotFoundError
from saihan.storage.engine import (
    Capabilities,
    Condition,
    Engine,
    EngineTransaction,
    NewRecord,
    RecordKeys,
    StoredRecord,
    TextCondition,
)
from saihan.storage.errors import StorageError
from saihan.storage.migrations import SCHEMA_VERSION
from saihan.storage.url import StoreURL

__all__ = ["MemoryBackend", "MemoryEngine", "forget"]

_LOCK_TIMEOUT = 60.0

Target = tuple[str, str]


class _State:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, tuple[int, str, RecordKeys]]] = {}
        self.index: dict[tuple[str, str, str], set[str]] = {}
        self.referrers: dict[Target, set[Target]] = {}
        self.revision = 0
        # Every write as (version, kind, id), in version order, for changes_since; and
        # the revision of the last replace_kinds, before which nothing is known.
        self.log: list[tuple[int, str, str]] = []
        self.replaced = 0
        self.lock = threading.RLock()


_NAMED: dict[str, _State] = {}
_NAMED_LOCK = threading.Lock()


def forget(name: str) -> bool:
    """Drop the named memory store ``name``; True if there was one."""
    with _NAMED_LOCK:
        return _NAMED.pop(name, None) is not None


class _MemoryTransaction(EngineTransaction):
    def __init__(self, state: _State) -> None:
        self._state = state
        self._undo: list[Callable[[], None]] = []
        self._open = True

    def _records(self, kind: str) -> dict[str, tuple[int, str, RecordKeys]]:
        return self._state.records.setdefault(kind, {})

    # -- reads ------------------------------------------------------------------
    def get(self, kind: str, id: str) -> StoredRecord | None:
        found = self._state.records.get(kind, {}).get(id)
        return None if found is None else StoredRecord(id, found[0], found[1])

    def get_many(self, kind: str, ids: Collection[str]) -> list[StoredRecord]:
        records = self._state.records.get(kind, {})
        return [
            StoredRecord(id, records[id][0], records[id][1]) for id in sorted(ids) if id in records
        ]

    def _matching(
        self, kind: str, conditions: Sequence[Condition], text: TextCondition | None = None
    ) -> list[str]:
        records = self._state.records.get(kind, {})
        found: set[str] | None = None
        for condition in conditions:
            hits: set[str] = set()
            for value in condition.values:
                hits |= self._state.index.get((kind, condition.name, value), set())
            found = hits if found is None else found & hits
        if text is not None:
            found = {
                id
                for id in (records if found is None else found)
                if self._has_words(records[id][2], text)
            }
        return sorted(records if found is None else found)

    def _has_words(self, keys: RecordKeys, condition: TextCondition) -> bool:
        texts = [keys.text]
        for target_kind, target_id in keys.refs:
            if target_kind in condition.through:
                target = self._state.records.get(target_kind, {}).get(target_id)
                if target is not None:
                    texts.append(target[2].text)
        return all(any(word in text for text in texts) for word in condition.words)

    def scan(
        self,
        kind: str,
        conditions: Sequence[Condition] = (),
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        return self._page(kind, self._matching(kind, conditions), after, limit)

    def _page(
        self, kind: str, ids: list[str], after: str | None, limit: int | None
    ) -> list[StoredRecord]:
        if after is not None:
            ids = [id for id in ids if id > after]
        if limit is not None:
            ids = ids[:limit]
        records = self._state.records.get(kind, {})
        return [StoredRecord(id, records[id][0], records[id][1]) for id in ids]

    def scan_text(
        self,
        kind: str,
        conditions: Sequence[Condition],
        text: TextCondition,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        return self._page(kind, self._matching(kind, conditions, text), after, limit)

    def scan_ids(self, kind: str, conditions: Sequence[Condition] = ()) -> list[str]:
        return self._matching(kind, conditions)

    def revision(self) -> int | None:
        return self._state.revision

    def count(self, kind: str) -> int:
        return len(self._state.records.get(kind, {}))

    def changes_since(
        self, kinds: Collection[str], revision: int, limit: int
    ) -> list[tuple[str, str]] | None:
        state = self._state
        if state.replaced > revision:
            return None
        wanted = set(kinds)
        start = bisect.bisect_right(state.log, revision, key=lambda entry: entry[0])
        found = {(kind, id) for _, kind, id in state.log[start:] if kind in wanted}
        return None if len(found) > limit else sorted(found)

    def referrers(self, kind: str, id: str) -> list[Target]:
        return sorted(self._state.referrers.get((kind, id), set()))

    def records_without_text(self, kind: str, limit: int) -> list[StoredRecord]:
        return []  # every record is written with its text

    def set_text(self, kind: str, id: str, text: str) -> None:
        current = self._records(kind).get(id)
        if current is None:
            raise ConflictError(f"{kind} {id!r} does not exist")
        version, document, keys = current
        self._put(kind, id, (version, document, attrs.evolve(keys, text=text)))

    # -- writes -----------------------------------------------------------------
    def prepare_write(self) -> None:
        return None  # the transaction already holds the store's lock

    def _put(self, kind: str, id: str, entry: tuple[int, str, RecordKeys] | None) -> None:
        """Set or remove one record with its keys, logging how to undo it."""
        records = self._records(kind)
        old = records.get(id)
        if old is not None:
            self._unlink(kind, id, old[2])
            del records[id]
        if entry is not None:
            records[id] = entry
            self._link(kind, id, entry[2])

        def undo() -> None:
            current = records.get(id)
            if current is not None:
                self._unlink(kind, id, current[2])
                del records[id]
            if old is not None:
                records[id] = old
                self._link(kind, id, old[2])

        self._undo.append(undo)

    def _link(self, kind: str, id: str, keys: RecordKeys) -> None:
        for name, value in keys.index:
            self._state.index.setdefault((kind, name, value), set()).add(id)
        for target in keys.refs:
            self._state.referrers.setdefault(target, set()).add((kind, id))

    def _unlink(self, kind: str, id: str, keys: RecordKeys) -> None:
        for name, value in keys.index:
            ids = self._state.index.get((kind, name, value))
            if ids is not None:
                ids.discard(id)
                if not ids:
                    del self._state.index[(kind, name, value)]
        for target in keys.refs:
            referrers = self._state.referrers.get(target)
            if referrers is not None:
                referrers.discard((kind, id))
                if not referrers:
                    del self._state.referrers[target]

    def _next_revision(self) -> int:
        state = self._state
        before = state.revision
        state.revision += 1

        def undo() -> None:
            state.revision = before

        self._undo.append(undo)
        return state.revision

    def _missing_refs(self, keys: RecordKeys) -> list[Target]:
        return sorted(
            (kind, id) for kind, id in keys.refs if id not in self._state.records.get(kind, {})
        )

    def write(
        self, kind: str, id: str, document: str, keys: RecordKeys, *, previous: int | None
    ) -> int:
        current = self._records(kind).get(id)
        if previous is None and current is not None:
            raise ConflictError(f"{kind} {id!r} already exists")
        if previous is not None and (current is None or current[0] != previous):
            raise ConflictError(f"{kind} {id!r} is no longer at version {previous}")
        missing = self._missing_refs(keys)
        if missing:
            raise ConflictError(f"{kind} {id!r} refers to missing records: {missing}")
        version = self._next_revision()
        self._put(kind, id, (version, document, keys))
        log = self._state.log
        log.append((version, kind, id))

        def forget() -> None:
            log.pop()

        self._undo.append(forget)
        return version

    def delete(self, kind: str, id: str, *, previous: int) -> None:
        current = self._records(kind).get(id)
        if current is None or current[0] != previous:
            raise ConflictError(f"{kind} {id!r} is no longer at version {previous}")
        if self._state.referrers.get((kind, id)):
            raise ConflictError(f"{kind} {id!r} is still referred to")
        self._put(kind, id, None)

    def replace_kinds(
        self,
        kinds: Sequence[str],
        records: Iterable[NewRecord],
        progress: Callable[[int], None],
    ) -> None:
        replaced = set(kinds)
        for kind in kinds:
            for id in list(self._records(kind)):
                self._put(kind, id, None)
        done = 0
        for record in records:
            if record.kind not in replaced:
                raise StorageError(f"record kind {record.kind!r} is not being replaced")
            if record.id in self._records(record.kind):
                raise ConflictError(f"{record.kind} {record.id!r} is given twice")
            self._put(record.kind, record.id, (self._next_revision(), record.document, record.keys))
            done += 1
            if done % 1000 == 0:
                progress(done)
        for kind in kinds:
            for id, (_, _, keys) in self._records(kind).items():
                if self._missing_refs(keys):
                    raise ConflictError(f"{kind} {id!r} refers to missing records")
        for target, referrers in self._state.referrers.items():
            if target[0] in replaced and target[1] not in self._records(target[0]):
                outside = sorted(ref for ref in referrers if ref[0] not in replaced)
                if outside:
                    raise ConflictError(
                        f"{target[0]} {target[1]!r} would be removed but {outside[0][0]} "
                        f"{outside[0][1]!r} still refers to it"
                    )
        state = self._state
        before = state.replaced
        state.replaced = state.revision

        def undo() -> None:
            state.replaced = before

        self._undo.append(undo)
        progress(done)

    # -- control ----------------------------------------------------------------
    def savepoint(self) -> object:
        return len(self._undo)

    def rollback_to(self, token: object) -> None:
        assert isinstance(token, int)
        while len(self._undo) > token:
            self._undo.pop()()

    def release(self, token: object) -> None:
        return None

    def _finish(self) -> None:
        if self._open:
            self._open = False
            self._state.lock.release()

    def commit(self) -> None:
        self._undo.clear()
        self._finish()

    def rollback(self) -> None:
        if self._open:
            self.rollback_to(0)
        self._finish()


class MemoryEngine(Engine):
    """An open memory store."""

    scheme = "memory"
    capabilities = Capabilities(
        durable=False, multi_process=False, threads=True, text_search=True, candidate_index=True
    )

    def __init__(self, state: _State, name: str | None) -> None:
        self._state = state
        self._name = name
        self._closed = False

    def begin(self, *, write: bool) -> EngineTransaction:
        if self._closed:
            raise StorageError("the memory store is closed")
        if not self._state.lock.acquire(timeout=_LOCK_TIMEOUT):
            raise StorageError(f"the memory store stayed locked for {_LOCK_TIMEOUT:.0f} s")
        return _MemoryTransaction(self._state)

    def schema_version(self) -> int:
        return SCHEMA_VERSION

    def integrity_check(self) -> list[str]:
        problems = []
        with self._state.lock:
            state = self._state
            for (kind, name, value), ids in state.index.items():
                for id in ids:
                    entry = state.records.get(kind, {}).get(id)
                    if entry is None or (name, value) not in entry[2].index:
                        problems.append(f"index entry {kind}.{name} of {id!r} has no record")
            for kind, records in state.records.items():
                for id, (version, _, keys) in records.items():
                    if version > state.revision:
                        problems.append(f"{kind} {id!r} has a version above the revision")
                    for target in keys.refs:
                        if target[1] not in state.records.get(target[0], {}):
                            problems.append(f"{kind} {id!r} refers to a missing {target[0]}")
        return problems

    def describe(self) -> Mapping[str, str]:
        return {"name": self._name or "(anonymous)", "persistent": "no"}

    def close(self) -> None:
        self._closed = True


class MemoryBackend:
    """The ``memory`` entry point."""

    def open(self, url: StoreURL, *, create: bool) -> Engine:
        url.check_options(set())
        name = (url.netloc + url.path).strip("/") or None
        if name is None:
            return MemoryEngine(_State(), None)
        with _NAMED_LOCK:
            state = _NAMED.get(name)
            if state is None:
                if not create:
                    raise NotFoundError(f"no memory store named {name!r} in this process")
                state = _NAMED[name] = _State()
        return MemoryEngine(state, name)

"""An example saihan storage backend: the whole store in one JSON file.

URL: ``jsonfile:///absolute/path/store.json``.  Each transaction reads the file,
works on the records in memory and, on commit, writes a new file next to the
old one and renames it over it, so a crash leaves either the old file or the
new one, never half of one.  Only one process may use a file at a time
(``multi_process=False``); threads of that process take turns.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from saihan.errors import ConflictError, ErrorItem, NotFoundError, ValidationError
from saihan.storage import (
    Capabilities,
    Condition,
    Engine,
    EngineTransaction,
    Migration,
    NewRecord,
    RecordKeys,
    StorageError,
    StoredRecord,
    StoreURL,
)
from saihan.storage.migrations import pending

__all__ = ["JsonFileBackend", "JsonFileEngine"]

FORMAT = "saihan-jsonstore"
# Version 1 of saihan's schema: records with index entries and references; version 2:
# records' search texts, which this backend does not keep (its capabilities have no
# text_search, so the Store searches text itself); version 3: the change log and the
# need_area entries, which it does not rely on either (no changes_since, so a kept
# CachedDirectorySource drops its parts on every write; no candidate_index, so the
# Store intersects the need and area conditions); version 4: the referrals'
# ``requested`` index entries, which date queries on referrals rely on, so a file
# written before gets them as the migration says (``requested`` = ``unknown`` for
# every referral), in :func:`_migrated`.  A JSON file has no tables to create, so the
# steps have no statements.
MIGRATIONS = (
    Migration(1, "records in a JSON file", ()),
    Migration(2, "search texts (not kept: no text_search)", ()),
    Migration(3, "change log (not kept: no changes_since, no candidate_index)", ()),
    Migration(4, "the referrals' requested index entries (made when the file is read)", ()),
)

# One lock per file, shared by every store opened on it in this process.
_LOCKS: dict[Path, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()

Records = dict[str, dict[str, dict[str, Any]]]  # kind -> id -> record


def _empty() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "schema_version": MIGRATIONS[-1].version,
        "revision": 0,
        "records": {},
    }


def _migrated(state: dict[str, Any]) -> dict[str, Any]:
    """The content of a file written at an older schema version, brought up to date
    in memory (written back with the next commit)."""
    if state["schema_version"] < 4:
        for record in state["records"].get("referral", {}).values():
            entry = ["requested", "unknown"]
            if entry not in record["index"]:
                record["index"] = sorted([*record["index"], entry])
    state["schema_version"] = MIGRATIONS[-1].version
    return state


class JsonFileTransaction(EngineTransaction):
    """A transaction: the file's content in memory, written back on commit."""

    def __init__(self, engine: JsonFileEngine) -> None:
        self._engine = engine
        self._state = engine.read()
        self._records: Records = self._state["records"]

    # -- reads ------------------------------------------------------------------
    def _of(self, kind: str) -> dict[str, dict[str, Any]]:
        return self._records.setdefault(kind, {})

    @staticmethod
    def _stored(id: str, record: dict[str, Any]) -> StoredRecord:
        return StoredRecord(id, record["version"], record["document"])

    def get(self, kind: str, id: str) -> StoredRecord | None:
        record = self._of(kind).get(id)
        return None if record is None else self._stored(id, record)

    def get_many(self, kind: str, ids: Collection[str]) -> list[StoredRecord]:
        records = self._of(kind)
        return [self._stored(id, records[id]) for id in sorted(ids) if id in records]

    def scan_ids(self, kind: str, conditions: Sequence[Condition] = ()) -> list[str]:
        def matches(record: dict[str, Any]) -> bool:
            entries = {(name, value) for name, value in record["index"]}
            return all(
                any((condition.name, value) in entries for value in condition.values)
                for condition in conditions
            )

        return sorted(id for id, record in self._of(kind).items() if matches(record))

    def scan(
        self,
        kind: str,
        conditions: Sequence[Condition] = (),
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        ids = [id for id in self.scan_ids(kind, conditions) if after is None or id > after]
        return self.get_many(kind, ids if limit is None else ids[:limit])

    def count(self, kind: str) -> int:
        return len(self._of(kind))

    def referrers(self, kind: str, id: str) -> list[tuple[str, str]]:
        return sorted(
            (other_kind, other_id)
            for other_kind, records in self._records.items()
            for other_id, record in records.items()
            if [kind, id] in record["refs"]
        )

    # -- writes -----------------------------------------------------------------
    def prepare_write(self) -> None:
        return None  # the engine's lock already keeps other writers out

    def _store(self, kind: str, id: str, document: str, keys: RecordKeys) -> int:
        missing = [ref for ref in keys.refs if ref[1] not in self._of(ref[0])]
        if missing:
            raise ConflictError(f"{kind} {id!r} refers to missing records {sorted(missing)}")
        self._state["revision"] += 1
        self._of(kind)[id] = {
            "version": self._state["revision"],
            "document": document,
            "index": sorted(keys.index),
            "refs": sorted(keys.refs),
        }
        return int(self._state["revision"])

    def write(
        self, kind: str, id: str, document: str, keys: RecordKeys, *, previous: int | None
    ) -> int:
        current = self._of(kind).get(id)
        if previous is None and current is not None:
            raise ConflictError(f"{kind} {id!r} already exists")
        if previous is not None and (current is None or current["version"] != previous):
            raise ConflictError(f"{kind} {id!r} is no longer at version {previous}")
        return self._store(kind, id, document, keys)

    def delete(self, kind: str, id: str, *, previous: int) -> None:
        current = self._of(kind).get(id)
        if current is None or current["version"] != previous:
            raise ConflictError(f"{kind} {id!r} is no longer at version {previous}")
        if self.referrers(kind, id):
            raise ConflictError(f"{kind} {id!r} is still referred to")
        del self._of(kind)[id]

    def replace_kinds(
        self,
        kinds: Sequence[str],
        records: Iterable[NewRecord],
        progress: Callable[[int], None],
    ) -> None:
        for kind in kinds:
            self._records[kind] = {}
        done = 0
        for record in records:
            self._store(record.kind, record.id, record.document, record.keys)
            done += 1
            if done % 500 == 0:
                progress(done)
        for other_kind, others in self._records.items():
            for other_id, other in others.items():
                for target_kind, target_id in other["refs"]:
                    if target_id not in self._of(target_kind):
                        raise ConflictError(
                            f"{other_kind} {other_id!r} refers to {target_kind} {target_id!r}, "
                            "which the import removes"
                        )
        progress(done)

    # -- control ----------------------------------------------------------------
    def savepoint(self) -> object:
        return copy.deepcopy(self._state)

    def rollback_to(self, token: object) -> None:
        assert isinstance(token, dict)
        self._state = copy.deepcopy(token)
        self._records = self._state["records"]

    def release(self, token: object) -> None:
        return None

    def commit(self) -> None:
        try:
            self._engine.write(self._state)
        finally:
            self._engine.unlock()

    def rollback(self) -> None:
        self._engine.unlock()


class JsonFileEngine(Engine):
    """An open JSON-file store."""

    scheme = "jsonfile"
    capabilities = Capabilities(durable=True, multi_process=False, threads=True)

    def __init__(self, path: Path) -> None:
        self.path = path
        with _LOCKS_GUARD:
            self._lock = _LOCKS.setdefault(path, threading.RLock())
        self._closed = False
        state = self.read()  # refuses a file from a newer saihan before touching it
        if not self.path.exists():
            self.write(state)

    def read(self) -> dict[str, Any]:
        """The file's content (an empty store if there is no file yet)."""
        try:
            state: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _empty()
        except (OSError, ValueError) as error:
            raise StorageError(f"cannot read {str(self.path)!r}: {error}") from None
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise StorageError(f"{str(self.path)!r} is not a saihan JSON store")
        pending(state["schema_version"], MIGRATIONS, store=str(self.path))
        return _migrated(state)

    def write(self, state: dict[str, Any]) -> None:
        """Replace the file atomically: write a temporary file, flush it to disk, rename."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(state, handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except OSError as error:
            raise StorageError(f"cannot write {str(self.path)!r}: {error}") from None

    def begin(self, *, write: bool) -> EngineTransaction:
        if self._closed:
            raise StorageError(f"the store {str(self.path)!r} is closed")
        if not self._lock.acquire(timeout=60):
            raise StorageError(f"{str(self.path)!r} stayed locked for 60 s")
        try:
            return JsonFileTransaction(self)
        except BaseException:
            self._lock.release()
            raise

    def unlock(self) -> None:
        self._lock.release()

    def schema_version(self) -> int:
        return int(self.read()["schema_version"])

    def integrity_check(self) -> list[str]:
        state = self.read()
        problems = []
        for kind, records in state["records"].items():
            for id, record in records.items():
                if record["version"] > state["revision"]:
                    problems.append(f"{kind} {id!r} has a version above the revision")
                for target_kind, target_id in record["refs"]:
                    if target_id not in state["records"].get(target_kind, {}):
                        problems.append(f"{kind} {id!r} refers to a missing {target_kind}")
        return problems

    def describe(self) -> Mapping[str, str]:
        return {"path": str(self.path), "size_bytes": str(self.path.stat().st_size)}

    def close(self) -> None:
        self._closed = True


class JsonFileBackend:
    """The ``jsonfile`` entry point: ``open(url, create=...)`` returns an engine."""

    def open(self, url: StoreURL, *, create: bool) -> Engine:
        url.check_options(set())
        if url.netloc or not url.path.startswith("/"):
            raise ValidationError([ErrorItem("url", "use jsonfile:///absolute/path/store.json")])
        path = Path(url.path)
        if not path.exists() and not create:
            raise NotFoundError(f"no JSON store at {url.path!r}")
        if not path.parent.is_dir():
            raise ValidationError([ErrorItem("url", f"no directory {str(path.parent)!r}")])
        return JsonFileEngine(path)

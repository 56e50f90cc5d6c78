"""The ``sqlite://`` backend, and the embedded default store.

URL forms (as SQLAlchemy writes them): ``sqlite:///relative/path.db`` (three
slashes, relative to the working directory) and ``sqlite:////absolute/path.db``
(four); ``~`` at the start of the path is the home directory.  Options:

``timeout``
    Seconds a writer waits for another to finish (default 30).
``synchronous``
    ``full`` (default: a committed transaction survives a power cut) or
    ``normal`` (faster; survives a crashed or killed process, not a power cut).

The database runs in WAL mode with foreign keys on and a busy timeout; write
transactions take the write lock when they begin (``BEGIN IMMEDIATE``), so any
number of processes may write at once, one after the other.  A new database
file is made readable by its owner only (0600).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import attrs

from saihan.errors import ConflictError, ErrorItem, NotFoundError, ValidationError
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
from saihan.storage.migrations import Migration, pending
from saihan.storage.url import StoreURL

__all__ = ["MIGRATIONS", "SqliteBackend", "SqliteEngine", "sqlite_path"]

APPLICATION_ID = 0x53414948  # "SAIH": marks a SQLite file as a saihan store
BATCH = 2000  # records per executemany during bulk import (and per progress call)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "records, index entries, references and settings",
        (
            "CREATE TABLE saihan_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """CREATE TABLE saihan_records (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                version INTEGER NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (kind, id)
            )""",
            """CREATE TABLE saihan_index (
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                id TEXT NOT NULL,
                PRIMARY KEY (kind, name, value, id)
            ) WITHOUT ROWID""",
            "CREATE INDEX saihan_index_record ON saihan_index (kind, id)",
            """CREATE TABLE saihan_refs (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                target_kind TEXT NOT NULL,
                target_id TEXT NOT NULL,
                PRIMARY KEY (kind, id, target_kind, target_id),
                FOREIGN KEY (kind, id) REFERENCES saihan_records (kind, id) ON DELETE CASCADE,
                FOREIGN KEY (target_kind, target_id) REFERENCES saihan_records (kind, id)
            ) WITHOUT ROWID""",
            "CREATE INDEX saihan_refs_target ON saihan_refs (target_kind, target_id)",
            "INSERT INTO saihan_settings (key, value) VALUES ('revision', '0')",
        ),
    ),
    Migration(
        2,
        "search texts of records",
        (
            # NULL: written before texts were kept; the Store fills it in on open.
            "ALTER TABLE saihan_records ADD COLUMN search_text TEXT",
            "CREATE INDEX saihan_records_untexted ON saihan_records (kind, id) "
            "WHERE search_text IS NULL",
        ),
    ),
    Migration(
        3,
        "the change log (records by version, tombstones, the last replacement) and "
        "the services' need_area index entries",
        (
            "CREATE INDEX saihan_records_changed ON saihan_records (version)",
            # The Store indexes each service by its (need, area) pairs (need_area,
            # saihan.storage.directory_records): made here for the services stored
            # before, from the need and area entries they have.
            "INSERT OR IGNORE INTO saihan_index (kind, name, value, id) "
            "SELECT n.kind, 'need_area', n.value || '@' || a.value, n.id "
            "FROM saihan_index AS n JOIN saihan_index AS a "
            "ON a.kind = n.kind AND a.id = n.id AND a.name = 'area' "
            "WHERE n.kind = 'service' AND n.name = 'need'",
            """CREATE TABLE saihan_deleted (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (kind, id)
            ) WITHOUT ROWID""",
            "CREATE INDEX saihan_deleted_changed ON saihan_deleted (version)",
            # What changed before this step is not known: the log starts here.
            "INSERT INTO saihan_settings (key, value) "
            "SELECT 'replaced', value FROM saihan_settings WHERE key = 'revision'",
        ),
    ),
    Migration(
        4,
        "the referrals' requested index entries",
        (
            # The Store indexes each referral by the day it was first requested
            # (requested, saihan.storage.referral_records); the referrals stored before
            # get 'unknown', which every date query takes, until they are next written.
            "INSERT OR IGNORE INTO saihan_index (kind, name, value, id) "
            "SELECT kind, 'requested', 'unknown', id FROM saihan_records "
            "WHERE kind = 'referral'",
        ),
    ),
)

_CHANGES_SQL = (
    # Through the version indexes (a few rows past the revision), sorted in Python: with
    # ORDER BY kind, id SQLite walks the (kind, id) keys of every record of the kinds
    # instead (62 ms on 100,000 services, against 0.1 ms), on every refresh of a kept part.
    "SELECT kind, id FROM saihan_records INDEXED BY saihan_records_changed WHERE version > ? "
    "AND kind IN (SELECT value FROM json_each(?)) "
    "UNION SELECT kind, id FROM saihan_deleted INDEXED BY saihan_deleted_changed "
    "WHERE version > ? AND kind IN (SELECT value FROM json_each(?)) LIMIT ?"
)
"""The query of :meth:`EngineTransaction.changes_since` (parameters: revision, kinds as
JSON, revision, kinds, limit + 1)."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def sqlite_path(url: StoreURL) -> Path:
    """The database file a ``sqlite://`` URL names."""
    if url.netloc:
        raise ValidationError(
            [
                ErrorItem(
                    "url",
                    f"sqlite URLs name a file, not a host ({url.hostname or ''!r}): "
                    "use sqlite:///relative.db or sqlite:////absolute/path.db",
                )
            ]
        )
    raw = url.path[1:] if url.path.startswith("/") else url.path
    if not raw or raw == ":memory:":
        raise ValidationError(
            [ErrorItem("url", "give a database file (sqlite:///saihan.db); use memory:// for RAM")]
        )
    return Path(os.path.expanduser(raw))


def _translate(store: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Turn sqlite3 errors into saihan's: busy → StorageError, constraint → ConflictError."""

    def decorate(method: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(method)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return method(*args, **kwargs)
            except sqlite3.IntegrityError as error:
                raise ConflictError(f"{store}: the write breaks a constraint ({error})") from None
            except sqlite3.OperationalError as error:
                text = str(error)
                if "locked" in text or "busy" in text:
                    raise StorageError(
                        f"{store}: the database stayed locked by another writer ({text})"
                    ) from None
                raise StorageError(f"{store}: {text}") from error
            except sqlite3.Error as error:
                raise StorageError(f"{store}: {type(error).__name__}: {error}") from error

        return wrapper

    return decorate


_t = _translate("sqlite store")


def _values(values: Iterable[str]) -> str:
    return json.dumps(sorted(values))


def _hits(kind: str, conditions: Sequence[Condition]) -> tuple[str, list[Any]]:
    """SQL for the ids having every condition's index entries, with its parameters."""
    parts = []
    params: list[Any] = []
    for condition in conditions:
        parts.append(
            "SELECT id FROM saihan_index WHERE kind = ? AND name = ? "
            "AND value IN (SELECT value FROM json_each(?))"
        )
        params.extend([kind, condition.name, _values(condition.values)])
    return " INTERSECT ".join(parts), params


def _text_hits(kind: str, text: TextCondition) -> tuple[str, list[Any]]:
    """SQL restricting ids of ``kind`` to those ``text`` matches, one clause per
    word: the word in the record's own text or in that of a record it references."""
    parts = []
    params: list[Any] = []
    through = _values(text.through)
    for word in text.words:
        parts.append(
            " AND id IN (SELECT id FROM saihan_records WHERE kind = ? "
            "AND instr(search_text, ?) > 0 "
            "UNION SELECT f.id FROM saihan_refs AS f JOIN saihan_records AS t "
            "ON t.kind = f.target_kind AND t.id = f.target_id "
            "WHERE f.kind = ? AND f.target_kind IN (SELECT value FROM json_each(?)) "
            "AND instr(t.search_text, ?) > 0)"
        )
        params.extend([kind, word, kind, through, word])
    return "".join(parts), params


@attrs.frozen
class _Savepoint:
    name: str
    revision: int | None
    changed: bool


class _SqliteTransaction(EngineTransaction):
    def __init__(self, engine: SqliteEngine, connection: sqlite3.Connection, write: bool) -> None:
        self._engine = engine
        self._db = connection
        self._write = write
        self._revision: int | None = None
        self._revision_changed = False
        self._savepoints = 0
        self._open = True
        self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    # -- reads ------------------------------------------------------------------
    @_t
    def get(self, kind: str, id: str) -> StoredRecord | None:
        row = self._db.execute(
            "SELECT id, version, document FROM saihan_records WHERE kind = ? AND id = ?",
            (kind, id),
        ).fetchone()
        return None if row is None else StoredRecord(*row)

    @_t
    def get_many(self, kind: str, ids: Collection[str]) -> list[StoredRecord]:
        rows = self._db.execute(
            "SELECT id, version, document FROM saihan_records WHERE kind = ? "
            "AND id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (kind, _values(ids)),
        )
        return [StoredRecord(*row) for row in rows]

    def _select(
        self,
        columns: str,
        kind: str,
        conditions: Sequence[Condition],
        after: str | None,
        limit: int | None,
        text: TextCondition | None = None,
    ) -> Iterator[Any]:
        sql = f"SELECT {columns} FROM saihan_records WHERE kind = ?"
        params: list[Any] = [kind]
        if conditions:
            hits, hit_params = _hits(kind, conditions)
            sql += f" AND id IN ({hits})"
            params.extend(hit_params)
        if text is not None:
            hits, hit_params = _text_hits(kind, text)
            sql += hits
            params.extend(hit_params)
        if after is not None:
            sql += " AND id > ?"
            params.append(after)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return iter(self._db.execute(sql, params))

    @_t
    def scan(
        self,
        kind: str,
        conditions: Sequence[Condition] = (),
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        rows = self._select("id, version, document", kind, conditions, after, limit)
        return [StoredRecord(*row) for row in rows]

    @_t
    def scan_ids(self, kind: str, conditions: Sequence[Condition] = ()) -> list[str]:
        return [row[0] for row in self._select("id", kind, conditions, None, None)]

    @_t
    def scan_text(
        self,
        kind: str,
        conditions: Sequence[Condition],
        text: TextCondition,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        rows = self._select("id, version, document", kind, conditions, after, limit, text)
        return [StoredRecord(*row) for row in rows]

    @_t
    def records_without_text(self, kind: str, limit: int) -> list[StoredRecord]:
        rows = self._db.execute(
            "SELECT id, version, document FROM saihan_records "
            "WHERE kind = ? AND search_text IS NULL ORDER BY id LIMIT ?",
            (kind, limit),
        )
        return [StoredRecord(*row) for row in rows]

    @_t
    def set_text(self, kind: str, id: str, text: str) -> None:
        cursor = self._db.execute(
            "UPDATE saihan_records SET search_text = ? WHERE kind = ? AND id = ?",
            (text, kind, id),
        )
        if cursor.rowcount != 1:
            raise ConflictError(f"{kind} {id!r} does not exist")

    @_t
    def revision(self) -> int | None:
        if self._revision is not None:
            return self._revision
        row = self._db.execute(
            "SELECT value FROM saihan_settings WHERE key = 'revision'"
        ).fetchone()
        return None if row is None else int(row[0])

    @_t
    def changes_since(
        self, kinds: Collection[str], revision: int, limit: int
    ) -> list[tuple[str, str]] | None:
        row = self._db.execute(
            "SELECT value FROM saihan_settings WHERE key = 'replaced'"
        ).fetchone()
        if row is None or int(row[0]) > revision:
            return None
        listed = _values(kinds)
        rows = self._db.execute(_CHANGES_SQL, (revision, listed, revision, listed, limit + 1))
        found = [(row[0], row[1]) for row in rows]
        return None if len(found) > limit else sorted(found)

    @_t
    def count(self, kind: str) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM saihan_records WHERE kind = ?", (kind,)
        ).fetchone()
        return int(row[0])

    @_t
    def referrers(self, kind: str, id: str) -> list[tuple[str, str]]:
        rows = self._db.execute(
            "SELECT kind, id FROM saihan_refs WHERE target_kind = ? AND target_id = ? "
            "ORDER BY kind, id",
            (kind, id),
        )
        return [(row[0], row[1]) for row in rows]

    # -- writes -----------------------------------------------------------------
    @_t
    def prepare_write(self) -> None:
        if not self._write:
            raise StorageError("sqlite store: a read transaction cannot write")
        if self._revision is None:
            row = self._db.execute(
                "SELECT value FROM saihan_settings WHERE key = 'revision'"
            ).fetchone()
            self._revision = int(row[0])

    def _next(self) -> int:
        if self._revision is None:
            raise StorageError("sqlite store: write before prepare_write")
        self._revision += 1
        self._revision_changed = True
        return self._revision

    def _insert_keys(self, kind: str, id: str, keys: RecordKeys) -> None:
        if keys.index:
            self._db.executemany(
                "INSERT INTO saihan_index (kind, name, value, id) VALUES (?, ?, ?, ?)",
                [(kind, name, value, id) for name, value in keys.index],
            )
        if keys.refs:
            self._db.executemany(
                "INSERT INTO saihan_refs (kind, id, target_kind, target_id) VALUES (?, ?, ?, ?)",
                [(kind, id, target_kind, target_id) for target_kind, target_id in keys.refs],
            )

    @_t
    def write(
        self, kind: str, id: str, document: str, keys: RecordKeys, *, previous: int | None
    ) -> int:
        version = self._next()
        if previous is None:
            try:
                self._db.execute(
                    "INSERT INTO saihan_records (kind, id, version, document, search_text) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (kind, id, version, document, keys.text),
                )
            except sqlite3.IntegrityError:
                raise ConflictError(f"{kind} {id!r} already exists") from None
        else:
            cursor = self._db.execute(
                "UPDATE saihan_records SET version = ?, document = ?, search_text = ? "
                "WHERE kind = ? AND id = ? AND version = ?",
                (version, document, keys.text, kind, id, previous),
            )
            if cursor.rowcount != 1:
                raise ConflictError(f"{kind} {id!r} is no longer at version {previous}")
            self._db.execute("DELETE FROM saihan_index WHERE kind = ? AND id = ?", (kind, id))
            self._db.execute("DELETE FROM saihan_refs WHERE kind = ? AND id = ?", (kind, id))
        self._insert_keys(kind, id, keys)
        return version

    @_t
    def delete(self, kind: str, id: str, *, previous: int) -> None:
        self._db.execute("DELETE FROM saihan_index WHERE kind = ? AND id = ?", (kind, id))
        self._db.execute("DELETE FROM saihan_refs WHERE kind = ? AND id = ?", (kind, id))
        try:
            cursor = self._db.execute(
                "DELETE FROM saihan_records WHERE kind = ? AND id = ? AND version = ?",
                (kind, id, previous),
            )
        except sqlite3.IntegrityError:
            raise ConflictError(f"{kind} {id!r} is still referred to") from None
        if cursor.rowcount != 1:
            raise ConflictError(f"{kind} {id!r} is no longer at version {previous}")
        self._db.execute(
            "INSERT OR REPLACE INTO saihan_deleted (kind, id, version) VALUES (?, ?, ?)",
            (kind, id, previous),
        )

    @_t
    def replace_kinds(
        self,
        kinds: Sequence[str],
        records: Iterable[NewRecord],
        progress: Callable[[int], None],
    ) -> None:
        listed = _values(kinds)
        inside = "kind IN (SELECT value FROM json_each(?))"
        # References from other kinds are checked once the new records are in:
        # a record that is replaced by one with the same id stays referable.
        self._db.execute("PRAGMA defer_foreign_keys = ON")
        self._db.execute(f"DELETE FROM saihan_index WHERE {inside}", (listed,))
        self._db.execute(f"DELETE FROM saihan_refs WHERE {inside}", (listed,))
        self._db.execute(f"DELETE FROM saihan_records WHERE {inside}", (listed,))
        self._db.execute(f"DELETE FROM saihan_deleted WHERE {inside}", (listed,))
        done = 0
        batch: list[NewRecord] = []
        for record in records:
            batch.append(record)
            if len(batch) >= BATCH:
                done += self._insert_batch(batch)
                batch = []
                progress(done)
        done += self._insert_batch(batch)
        broken = self._db.execute("PRAGMA foreign_key_check(saihan_refs)").fetchone()
        if broken is not None:
            raise ConflictError(
                "the records being replaced are still referred to by records of other kinds"
            )
        self._db.execute("PRAGMA defer_foreign_keys = OFF")
        # changes_since knows nothing from before a replacement (the deleted records
        # leave no tombstones): it answers None for any earlier revision.
        self._db.execute(
            "INSERT OR REPLACE INTO saihan_settings (key, value) VALUES ('replaced', ?)",
            (str(self._revision),),
        )
        progress(done)

    def _insert_batch(self, batch: list[NewRecord]) -> int:
        if not batch:
            return 0
        assert self._revision is not None
        first = self._revision + 1
        self._revision += len(batch)
        self._revision_changed = True
        self._db.executemany(
            "INSERT INTO saihan_records (kind, id, version, document, search_text) "
            "VALUES (?, ?, ?, ?, ?)",
            [(r.kind, r.id, first + n, r.document, r.keys.text) for n, r in enumerate(batch)],
        )
        self._db.executemany(
            "INSERT INTO saihan_index (kind, name, value, id) VALUES (?, ?, ?, ?)",
            [(r.kind, name, value, r.id) for r in batch for name, value in r.keys.index],
        )
        self._db.executemany(
            "INSERT INTO saihan_refs (kind, id, target_kind, target_id) VALUES (?, ?, ?, ?)",
            [(r.kind, r.id, kind, id) for r in batch for kind, id in r.keys.refs],
        )
        return len(batch)

    # -- control ----------------------------------------------------------------
    @_t
    def savepoint(self) -> object:
        self._savepoints += 1
        name = f"saihan_{self._savepoints}"
        self._db.execute(f"SAVEPOINT {name}")
        return _Savepoint(name, self._revision, self._revision_changed)

    @_t
    def rollback_to(self, token: object) -> None:
        assert isinstance(token, _Savepoint)
        self._db.execute(f"ROLLBACK TO {token.name}")
        self._revision, self._revision_changed = token.revision, token.changed

    @_t
    def release(self, token: object) -> None:
        assert isinstance(token, _Savepoint)
        self._db.execute(f"RELEASE {token.name}")

    @_t
    def commit(self) -> None:
        if not self._open:
            return
        if self._revision_changed:
            self._db.execute(
                "UPDATE saihan_settings SET value = ? WHERE key = 'revision'",
                (str(self._revision),),
            )
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error:
            self.rollback()
            raise
        self._open = False

    @_t
    def rollback(self) -> None:
        if not self._open:
            return
        self._open = False
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


class SqliteEngine(Engine):
    """An open SQLite store: one connection per thread, all to the same file."""

    scheme = "sqlite"
    capabilities = Capabilities(
        durable=True, multi_process=True, threads=True, text_search=True, candidate_index=True
    )

    def __init__(
        self,
        path: Path,
        *,
        timeout: float,
        synchronous: str,
        migrations: Sequence[Migration] | None = None,
    ) -> None:
        self.path = path
        self._timeout = timeout
        self._synchronous = synchronous
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._schema_version = self._migrate(MIGRATIONS if migrations is None else migrations)

    @property
    def _label(self) -> str:
        return f"sqlite store {str(self.path)!r}"

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA foreign_keys = ON")
            db.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            db.execute(f"PRAGMA synchronous = {self._synchronous.upper()}")
        except sqlite3.Error as error:
            raise StorageError(f"{self._label} cannot be opened: {error}") from None
        with self._lock:
            self._connections.append(db)
        return db

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"{self._label} is closed")
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def _migrate(self, migrations: Sequence[Migration]) -> int:
        db = self._connection()
        try:
            found = self._found_version(db)
            # Refuses a newer store untouched; an up-to-date one opens without the write lock.
            current = not pending(found, migrations, store=self._label)
            if current and str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return found
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{self._label} cannot use WAL mode (got {mode})")
            db.execute("BEGIN IMMEDIATE")
            try:
                found = self._found_version(db)  # another process may have migrated meanwhile
                steps = pending(found, migrations, store=self._label)
                for step in steps:
                    for statement in step.statements:
                        db.execute(statement)
                if steps:
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    db.execute(
                        "INSERT INTO saihan_settings (key, value) VALUES ('schema_version', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (str(steps[-1].version),),
                    )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return steps[-1].version if steps else found
        except sqlite3.DatabaseError as error:
            self.close()
            raise StorageError(f"{self._label} cannot be opened: {error}") from None
        except BaseException:
            self.close()
            raise

    def _found_version(self, db: sqlite3.Connection) -> int:
        tables = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        application = db.execute("PRAGMA application_id").fetchone()[0]
        if application not in (0, APPLICATION_ID):
            raise StorageError(f"{self._label} is another application's database")
        if "saihan_settings" not in tables:
            if tables:
                raise StorageError(f"{self._label} is not a saihan store (it has other tables)")
            return 0
        row = db.execute(
            "SELECT value FROM saihan_settings WHERE key = 'schema_version'"
        ).fetchone()
        if row is None:
            raise StorageError(f"{self._label} has no schema version")
        return int(row[0])

    def begin(self, *, write: bool) -> EngineTransaction:
        db = self._connection()
        try:
            return _SqliteTransaction(self, db, write)
        except sqlite3.OperationalError as error:
            raise StorageError(
                f"{self._label}: could not begin a transaction within {self._timeout:g} s ({error})"
            ) from None
        except sqlite3.Error as error:
            raise StorageError(f"{self._label}: {error}") from None

    def schema_version(self) -> int:
        return self._schema_version

    def integrity_check(self) -> list[str]:
        db = self._connection()
        problems: list[str] = []
        try:
            result = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                problems.extend(f"sqlite integrity_check: {line}" for line in result)
            for row in db.execute("PRAGMA foreign_key_check"):
                problems.append(f"foreign key broken in {row[0]} (row {row[1]})")
            orphans = db.execute(
                "SELECT count(*) FROM saihan_index AS i WHERE NOT EXISTS "
                "(SELECT 1 FROM saihan_records AS r WHERE r.kind = i.kind AND r.id = i.id)"
            ).fetchone()[0]
            if orphans:
                problems.append(f"{orphans} index entries have no record")
            revision = db.execute(
                "SELECT value FROM saihan_settings WHERE key = 'revision'"
            ).fetchone()
            top = db.execute("SELECT max(version) FROM saihan_records").fetchone()[0]
            if revision is None:
                problems.append("the store has no revision")
            elif top is not None and int(top) > int(revision[0]):
                problems.append("a record's version is above the store's revision")
            if self._found_version(db) != self._schema_version:
                problems.append("the schema version changed while the store was open")
        except sqlite3.Error as error:
            problems.append(f"sqlite error during the check: {error}")
        return problems

    def describe(self) -> Mapping[str, str]:
        db = self._connection()
        details = {
            "path": str(self.path),
            "sqlite": sqlite3.sqlite_version,
            "journal_mode": str(db.execute("PRAGMA journal_mode").fetchone()[0]),
            "synchronous": self._synchronous,
            "busy_timeout_s": f"{self._timeout:g}",
        }
        with contextlib.suppress(OSError):
            details["size_bytes"] = str(self.path.stat().st_size)
        return details

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for db in connections:
            with contextlib.suppress(sqlite3.Error):
                db.close()


class SqliteBackend:
    """The ``sqlite`` entry point."""

    def open(self, url: StoreURL, *, create: bool) -> Engine:
        url.check_options({"timeout", "synchronous"})
        path = sqlite_path(url)
        timeout = float(url.int_option("timeout", 30))
        synchronous = (url.option("synchronous") or "full").lower()
        if synchronous not in ("full", "normal"):
            raise ValidationError(
                [ErrorItem("url.synchronous", f"expected full or normal, got {synchronous!r}")]
            )
        if not path.exists():
            if not create:
                raise NotFoundError(f"no sqlite store at {str(path)!r}")
            _create_private_file(path)
        elif path.is_dir():
            raise ValidationError([ErrorItem("url", f"{str(path)!r} is a directory")])
        return SqliteEngine(path, timeout=timeout, synchronous=synchronous)


def _create_private_file(path: Path) -> None:
    """An empty database file only its owner can read (case records are sensitive)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(handle)
    except FileExistsError:
        return  # another process created it first
    except OSError as error:
        raise StorageError(f"cannot create {str(path)!r}: {error.strerror}") from None

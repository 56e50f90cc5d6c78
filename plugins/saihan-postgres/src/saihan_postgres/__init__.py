"""PostgreSQL storage backend for saihan: ``postgresql://user@host:port/db?schema=name``.

A separate distribution that registers itself in the ``saihan.storage``
entry-point group, as any third-party backend would.  It uses psycopg 3 with a
connection pool (one connection per transaction, so a store may be shared by
threads), ``COPY`` for bulk import, and the same schema versions as saihan's
built-in SQLite backend.

Text search (``store.services.search(text=...)``) runs in the database: each
record's search text is a column, and when the ``pg_trgm`` extension can be
used a GIN trigram index over a generated column holding the text with every
character doubled (the trigrams of the doubled text are the bigrams of the text:
a two-character Japanese word such as 住居 is found through the index too).  Without the
extension the same query scans the column; the results are the same.

Writers are serialised per store: every write first locks the store's
revision row (``SELECT ... FOR UPDATE``), and the transaction runs at READ
COMMITTED, so the checks a write makes (the agency exists, the version is
still the expected one) read what the previous writer committed and stay true
until this one commits.  Read-only work runs at REPEATABLE READ, READ ONLY, so
``load_directory`` sees one consistent snapshot.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
import psycopg
from psycopg import errors, sql
from psycopg_pool import ConnectionPool, PoolTimeout

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
    TextCondition,
)
from saihan.storage.migrations import pending

__all__ = ["MIGRATIONS", "TRIGRAM_EXTENSION", "PostgresBackend", "PostgresEngine"]

log = logging.getLogger("saihan.storage.postgresql")

__version__ = "0.1.0"

BATCH = 5000  # records per COPY round during bulk import (and per progress call)
_OPTIONS = {"schema", "pool_min", "pool_max", "timeout"}
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Identifiers and values compare byte-wise (COLLATE "C"), as in Python and SQLite.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "records, index entries, references and settings",
        (
            'CREATE TABLE saihan_settings (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL)',
            """CREATE TABLE saihan_records (
                kind TEXT COLLATE "C" NOT NULL,
                id TEXT COLLATE "C" NOT NULL,
                version BIGINT NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (kind, id)
            )""",
            """CREATE TABLE saihan_index (
                kind TEXT COLLATE "C" NOT NULL,
                name TEXT COLLATE "C" NOT NULL,
                value TEXT COLLATE "C" NOT NULL,
                id TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (kind, name, value, id)
            )""",
            "CREATE INDEX saihan_index_record ON saihan_index (kind, id)",
            """CREATE TABLE saihan_refs (
                kind TEXT COLLATE "C" NOT NULL,
                id TEXT COLLATE "C" NOT NULL,
                target_kind TEXT COLLATE "C" NOT NULL,
                target_id TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (kind, id, target_kind, target_id),
                FOREIGN KEY (kind, id) REFERENCES saihan_records (kind, id) ON DELETE CASCADE,
                FOREIGN KEY (target_kind, target_id) REFERENCES saihan_records (kind, id)
                    DEFERRABLE INITIALLY IMMEDIATE
            )""",
            "CREATE INDEX saihan_refs_target ON saihan_refs (target_kind, target_id)",
            "INSERT INTO saihan_settings (key, value) VALUES ('revision', '0')",
        ),
    ),
    Migration(
        2,
        "search texts of records (and their trigram index, when pg_trgm can be used)",
        (
            # NULL: written before texts were kept; the Store fills it in on open.
            'ALTER TABLE saihan_records ADD COLUMN search_text TEXT COLLATE "C"',
            # Every character doubled: the trigrams of the doubled text are the bigrams
            # of the text, and a word occurs in a text exactly when its doubled form
            # occurs in the doubled text (an occurrence at an odd offset spells the word
            # at the same place), so pg_trgm finds two-character words too.
            'ALTER TABLE saihan_records ADD COLUMN search_pairs TEXT COLLATE "C" '
            "GENERATED ALWAYS AS (regexp_replace(search_text, '(.)', '\\1\\1', 'g')) STORED",
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
            "INSERT INTO saihan_index (kind, name, value, id) "
            "SELECT n.kind, 'need_area', n.value || '@' || a.value, n.id "
            "FROM saihan_index AS n JOIN saihan_index AS a "
            "ON a.kind = n.kind AND a.id = n.id AND a.name = 'area' "
            "WHERE n.kind = 'service' AND n.name = 'need' ON CONFLICT DO NOTHING",
            """CREATE TABLE saihan_deleted (
                kind TEXT COLLATE "C" NOT NULL,
                id TEXT COLLATE "C" NOT NULL,
                version BIGINT NOT NULL,
                PRIMARY KEY (kind, id)
            )""",
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
            "INSERT INTO saihan_index (kind, name, value, id) "
            "SELECT kind, 'requested', 'unknown', id FROM saihan_records "
            "WHERE kind = 'referral' ON CONFLICT DO NOTHING",
        ),
    ),
)

TRIGRAM_EXTENSION = "pg_trgm"
"""The extension whose GIN operator class indexes the search texts."""
TRIGRAM_INDEX = "saihan_records_text"
PROBE = 2000  # records in id order a page of text search is first looked for in


def _like_doubled(word: str) -> str:
    """The LIKE pattern that finds ``word`` in a doubled text."""
    escaped = "".join(f"\\{c}\\{c}" if c in "\\%_" else c + c for c in word)
    return f"%{escaped}%"


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _translate(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """psycopg errors as saihan's: constraints → ConflictError, the rest → StorageError.

    Only the primary message is kept: PostgreSQL's DETAIL lines can quote row values.
    """

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except (errors.UniqueViolation, errors.ForeignKeyViolation) as error:
            raise ConflictError(f"postgresql store: {_primary(error)}") from None
        except (errors.LockNotAvailable, errors.QueryCanceled) as error:
            raise StorageError(
                f"postgresql store: gave up waiting for a lock ({_primary(error)})"
            ) from None
        except psycopg.Error as error:
            raise StorageError(
                f"postgresql store: {type(error).__name__}: {_primary(error)}"
            ) from None

    return wrapper


def _primary(error: psycopg.Error) -> str:
    diag = getattr(error, "diag", None)
    message = getattr(diag, "message_primary", None) if diag is not None else None
    return str(message or str(error).splitlines()[0] if str(error) else type(error).__name__)


def _hits(kind: str, conditions: Sequence[Condition]) -> tuple[str, list[Any]]:
    parts = []
    params: list[Any] = []
    for condition in conditions:
        parts.append(
            "SELECT id FROM saihan_index WHERE kind = %s AND name = %s AND value = ANY(%s)"
        )
        params.extend([kind, condition.name, sorted(condition.values)])
    return " INTERSECT ".join(parts), params


def _indexable(word: str) -> bool:
    """Whether the trigram index can find ``word``: two letters or digits in a row
    give its doubled form two trigrams; a shorter word would make the index read
    every entry, and is found by a scan instead."""
    return any(a.isalnum() and b.isalnum() for a, b in itertools.pairwise(word))


def _word_test(alias: str) -> str:
    """SQL true when a word (parameters: the word, the ``through`` kinds, the word)
    is in the text of the record ``alias`` or of a ``through`` record it references."""
    return (
        f"(strpos({alias}.search_text, %s) > 0 OR EXISTS (SELECT 1 FROM saihan_refs AS f "
        "JOIN saihan_records AS t ON t.kind = f.target_kind AND t.id = f.target_id "
        f"WHERE f.kind = {alias}.kind AND f.id = {alias}.id AND f.target_kind = ANY(%s) "
        "AND strpos(t.search_text, %s) > 0))"
    )


def _text_hits(
    kind: str,
    text: TextCondition,
    indexed: bool,
    rows: Callable[[str], float] | None = None,
) -> tuple[str, list[Any], str, list[Any]]:
    """SQL restricting the records ``r`` of ``kind`` to those ``text`` matches.

    The longest word the trigram index can find (when ``indexed``) is looked up
    there once, in a ``WITH`` part, for the records that have it; the records that
    have it or reference one that does are the candidates, and each other word is
    tested on them (:func:`_word_test`).  With no such word, every word is tested
    on every record.  ``rows`` estimates how many records have a word (the planner's
    figure for its pattern); with it the rarest word is looked up, not the longest.
    Returns the ``WITH`` part and its parameters, the clause and its parameters."""
    through = sorted(text.through)
    words = list(text.words)
    found: str | None = None
    if indexed:
        usable = sorted({word for word in words if _indexable(word)}, key=len, reverse=True)
        if len(usable) > 1 and rows is not None:
            usable.sort(key=lambda word: rows(_like_doubled(word)))
        found = usable[0] if usable else None
    with_part, with_params = "", []
    clause, params = "", []
    if found is not None:
        words.remove(found)
        # No test of the kind in here: the planner would rather read every record of
        # those kinds by the primary key than ask the trigram index.
        with_part = (
            "WITH matched AS MATERIALIZED (SELECT kind, id FROM saihan_records "
            "WHERE search_pairs LIKE %s) "
        )
        with_params = [_like_doubled(found)]
        clause = (
            " AND r.id IN (SELECT id FROM matched WHERE kind = %s UNION "
            "SELECT f.id FROM saihan_refs AS f JOIN matched ON f.target_kind = matched.kind "
            "AND f.target_id = matched.id WHERE f.kind = %s AND matched.kind = ANY(%s))"
        )
        params = [kind, kind, through]
    for word in words:
        clause += " AND " + _word_test("r")
        params.extend([word, through, word])
    return with_part, with_params, clause, params


@attrs.frozen
class _Savepoint:
    name: str
    revision: int | None
    changed: bool


class _PostgresTransaction(EngineTransaction):
    def __init__(self, engine: PostgresEngine, connection: psycopg.Connection[Any], write: bool):
        self._engine = engine
        self._db = connection
        self._write = write
        self._revision: int | None = None
        self._changed = False
        self._savepoints = 0
        self._open = True
        if write:
            self._db.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        else:
            self._db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    # -- reads ------------------------------------------------------------------
    @_translate
    def get(self, kind: str, id: str) -> StoredRecord | None:
        row = self._db.execute(
            "SELECT id, version, document FROM saihan_records WHERE kind = %s AND id = %s",
            (kind, id),
        ).fetchone()
        return None if row is None else StoredRecord(row[0], int(row[1]), row[2])

    @_translate
    def get_many(self, kind: str, ids: Collection[str]) -> list[StoredRecord]:
        rows = self._db.execute(
            "SELECT id, version, document FROM saihan_records "
            "WHERE kind = %s AND id = ANY(%s) ORDER BY id",
            (kind, sorted(ids)),
        ).fetchall()
        return [StoredRecord(row[0], int(row[1]), row[2]) for row in rows]

    def _select(
        self,
        columns: str,
        kind: str,
        conditions: Sequence[Condition],
        after: str | None,
        limit: int | None,
        text: TextCondition | None = None,
    ) -> list[tuple[Any, ...]]:
        query = f"SELECT {columns} FROM saihan_records AS r WHERE kind = %s"
        params: list[Any] = [kind]
        indexed = False
        clause, clause_params = "", []  # type: tuple[str, list[Any]]
        if text is not None:
            with_part, with_params, clause, clause_params = _text_hits(
                kind, text, self._engine.text_indexed, self._estimate
            )
            indexed = bool(with_part)
            query = with_part + query
            params = [*with_params, *params]
        if conditions:
            hits, hit_params = _hits(kind, conditions)
            query += f" AND id IN ({hits})"
            params.extend(hit_params)
        query += clause
        params.extend(clause_params)
        if after is not None:
            query += " AND id > %s"
            params.append(after)
        query += " ORDER BY id"
        if limit is not None:
            query += " LIMIT %s"
            params.append(limit)
        if not indexed:
            return self._db.execute(query.encode(), params).fetchall()
        # pg_trgm's cost estimate counts every posting of the words' common trigrams
        # (each doubled word has twice as many), so the planner would rather read the
        # whole table; the index answers in a fraction of that.
        # JIT compiling would cost more than these plans take to run.
        before = self._db.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('jit')"
        ).fetchone()
        self._db.execute(
            "SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)"
        )
        try:
            return self._db.execute(query.encode(), params).fetchall()
        finally:
            if before is not None:
                self._db.execute(
                    "SELECT set_config('enable_seqscan', %s, true), set_config('jit', %s, true)",
                    (before[0], before[1]),
                )

    def _estimate(self, pattern: str) -> float:
        """How many records the planner expects to have a doubled-text ``pattern``."""
        row = self._db.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM saihan_records WHERE search_pairs LIKE %s",
            (pattern,),
        ).fetchone()
        try:
            return float(row[0][0]["Plan"]["Plan Rows"]) if row else 0.0
        except (KeyError, IndexError, TypeError, ValueError):
            return 0.0

    @_translate
    def scan(
        self,
        kind: str,
        conditions: Sequence[Condition] = (),
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        rows = self._select("id, version, document", kind, conditions, after, limit)
        return [StoredRecord(row[0], int(row[1]), row[2]) for row in rows]

    @_translate
    def scan_ids(self, kind: str, conditions: Sequence[Condition] = ()) -> list[str]:
        return [row[0] for row in self._select("id", kind, conditions, None, None)]

    @_translate
    def scan_text(
        self,
        kind: str,
        conditions: Sequence[Condition],
        text: TextCondition,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRecord]:
        if limit is not None:
            first = self._first_page(kind, conditions, text, after, limit)
            if first is not None:
                return first
        rows = self._select("id, version, document", kind, conditions, after, limit, text)
        return [StoredRecord(row[0], int(row[1]), row[2]) for row in rows]

    def _first_page(
        self,
        kind: str,
        conditions: Sequence[Condition],
        text: TextCondition,
        after: str | None,
        limit: int,
    ) -> list[StoredRecord] | None:
        """A page found among the next ``PROBE`` records in id order, or None when
        they hold fewer than ``limit`` matches.  A word most services have (相談)
        makes the index gather a large part of the table for a page of 20; the next
        records in order hold the page."""
        # The texts of the records each one references are read row by row (a
        # subquery in the window's select list), for the window's records only.
        window = (
            "SELECT id, search_text, (SELECT string_agg(t.search_text, E'\\n') "
            "FROM saihan_refs AS f JOIN saihan_records AS t ON t.kind = f.target_kind "
            "AND t.id = f.target_id WHERE f.kind = s.kind AND f.id = s.id "
            "AND f.target_kind = ANY(%s)) AS other FROM saihan_records AS s WHERE kind = %s"
        )
        params: list[Any] = [sorted(text.through), kind]
        if conditions:
            hits, hit_params = _hits(kind, conditions)
            window += f" AND id IN ({hits})"
            params.extend(hit_params)
        if after is not None:
            window += " AND id > %s"
            params.append(after)
        window += " ORDER BY id LIMIT %s"
        params.append(max(PROBE, limit))
        params.append(kind)  # the join's
        tests = []
        for word in text.words:
            tests.append("(strpos(w.search_text, %s) > 0 OR strpos(w.other, %s) > 0)")
            params.extend([word, word])
        query = (
            f"SELECT r.id, r.version, r.document FROM ({window}) AS w "
            "JOIN saihan_records AS r ON r.kind = %s AND r.id = w.id "
            f"WHERE {' AND '.join(tests) or 'true'} ORDER BY r.id LIMIT %s"
        )
        rows = self._db.execute(query.encode(), [*params, limit]).fetchall()
        if len(rows) < limit:
            return None
        return [StoredRecord(row[0], int(row[1]), row[2]) for row in rows]

    @_translate
    def records_without_text(self, kind: str, limit: int) -> list[StoredRecord]:
        rows = self._db.execute(
            "SELECT id, version, document FROM saihan_records "
            "WHERE kind = %s AND search_text IS NULL ORDER BY id LIMIT %s",
            (kind, limit),
        ).fetchall()
        return [StoredRecord(row[0], int(row[1]), row[2]) for row in rows]

    @_translate
    def set_text(self, kind: str, id: str, text: str) -> None:
        cursor = self._db.execute(
            "UPDATE saihan_records SET search_text = %s WHERE kind = %s AND id = %s",
            (text, kind, id),
        )
        if cursor.rowcount != 1:
            raise ConflictError(f"{kind} {id!r} does not exist")

    @_translate
    def revision(self) -> int | None:
        if self._revision is not None:
            return self._revision
        row = self._db.execute(
            "SELECT value FROM saihan_settings WHERE key = 'revision'"
        ).fetchone()
        return None if row is None else int(row[0])

    @_translate
    def changes_since(
        self, kinds: Collection[str], revision: int, limit: int
    ) -> list[tuple[str, str]] | None:
        row = self._db.execute(
            "SELECT value FROM saihan_settings WHERE key = 'replaced'"
        ).fetchone()
        if row is None or int(row[0]) > revision:
            return None
        listed = sorted(kinds)
        rows = self._db.execute(
            "SELECT kind, id FROM saihan_records WHERE version > %s AND kind = ANY(%s) "
            "UNION SELECT kind, id FROM saihan_deleted WHERE version > %s AND kind = ANY(%s) "
            "ORDER BY kind, id LIMIT %s",
            (revision, listed, revision, listed, limit + 1),
        ).fetchall()
        return None if len(rows) > limit else [(row[0], row[1]) for row in rows]

    @_translate
    def count(self, kind: str) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM saihan_records WHERE kind = %s", (kind,)
        ).fetchone()
        return int(row[0]) if row else 0

    @_translate
    def referrers(self, kind: str, id: str) -> list[tuple[str, str]]:
        rows = self._db.execute(
            "SELECT kind, id FROM saihan_refs WHERE target_kind = %s AND target_id = %s "
            "ORDER BY kind, id",
            (kind, id),
        ).fetchall()
        return [(row[0], row[1]) for row in rows]

    # -- writes -----------------------------------------------------------------
    @_translate
    def prepare_write(self) -> None:
        if not self._write:
            raise StorageError("postgresql store: a read transaction cannot write")
        if self._revision is None:
            row = self._db.execute(
                "SELECT value FROM saihan_settings WHERE key = 'revision' FOR UPDATE"
            ).fetchone()
            if row is None:
                raise StorageError("postgresql store: the store has no revision")
            self._revision = int(row[0])

    def _next(self, count: int = 1) -> int:
        if self._revision is None:
            raise StorageError("postgresql store: write before prepare_write")
        first = self._revision + 1
        self._revision += count
        self._changed = True
        return first

    def _insert_keys(self, kind: str, id: str, keys: RecordKeys) -> None:
        with self._db.cursor() as cursor:
            if keys.index:
                cursor.executemany(
                    "INSERT INTO saihan_index (kind, name, value, id) VALUES (%s, %s, %s, %s)",
                    [(kind, name, value, id) for name, value in sorted(keys.index)],
                )
            if keys.refs:
                cursor.executemany(
                    "INSERT INTO saihan_refs (kind, id, target_kind, target_id) "
                    "VALUES (%s, %s, %s, %s)",
                    [(kind, id, target_kind, target_id) for target_kind, target_id in keys.refs],
                )

    @_translate
    def write(
        self, kind: str, id: str, document: str, keys: RecordKeys, *, previous: int | None
    ) -> int:
        version = self._next()
        if previous is None:
            cursor = self._db.execute(
                "INSERT INTO saihan_records (kind, id, version, document, search_text) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (kind, id, version, document, keys.text),
            )
            if cursor.rowcount != 1:
                raise ConflictError(f"{kind} {id!r} already exists")
        else:
            cursor = self._db.execute(
                "UPDATE saihan_records SET version = %s, document = %s, search_text = %s "
                "WHERE kind = %s AND id = %s AND version = %s",
                (version, document, keys.text, kind, id, previous),
            )
            if cursor.rowcount != 1:
                raise ConflictError(f"{kind} {id!r} is no longer at version {previous}")
            self._db.execute("DELETE FROM saihan_index WHERE kind = %s AND id = %s", (kind, id))
            self._db.execute("DELETE FROM saihan_refs WHERE kind = %s AND id = %s", (kind, id))
        self._insert_keys(kind, id, keys)
        return version

    @_translate
    def delete(self, kind: str, id: str, *, previous: int) -> None:
        self._db.execute("DELETE FROM saihan_index WHERE kind = %s AND id = %s", (kind, id))
        self._db.execute("DELETE FROM saihan_refs WHERE kind = %s AND id = %s", (kind, id))
        cursor = self._db.execute(
            "DELETE FROM saihan_records WHERE kind = %s AND id = %s AND version = %s",
            (kind, id, previous),
        )
        if cursor.rowcount != 1:
            raise ConflictError(f"{kind} {id!r} is no longer at version {previous}")
        self._db.execute(
            "INSERT INTO saihan_deleted (kind, id, version) VALUES (%s, %s, %s) "
            "ON CONFLICT (kind, id) DO UPDATE SET version = EXCLUDED.version",
            (kind, id, previous),
        )

    @_translate
    def replace_kinds(
        self,
        kinds: Sequence[str],
        records: Iterable[NewRecord],
        progress: Callable[[int], None],
    ) -> None:
        listed = list(kinds)
        # References from other kinds are checked once the new records are in:
        # a record that is replaced by one with the same id stays referable.
        self._db.execute("SET CONSTRAINTS ALL DEFERRED")
        self._db.execute("DELETE FROM saihan_index WHERE kind = ANY(%s)", (listed,))
        self._db.execute("DELETE FROM saihan_refs WHERE kind = ANY(%s)", (listed,))
        self._db.execute("DELETE FROM saihan_records WHERE kind = ANY(%s)", (listed,))
        self._db.execute("DELETE FROM saihan_deleted WHERE kind = ANY(%s)", (listed,))
        done = 0
        batch: list[NewRecord] = []
        for record in records:
            batch.append(record)
            if len(batch) >= BATCH:
                done += self._copy_batch(batch)
                batch = []
                progress(done)
        done += self._copy_batch(batch)
        try:
            self._db.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checks what was deferred
        except errors.ForeignKeyViolation:
            raise ConflictError(
                "the records being replaced are still referred to by records of other kinds"
            ) from None
        # changes_since knows nothing from before a replacement (the deleted records
        # leave no tombstones): it answers None for any earlier revision.
        self._db.execute(
            "INSERT INTO saihan_settings (key, value) VALUES ('replaced', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (str(self._revision),),
        )
        # Fresh statistics, or the planner takes the new index entries for a handful
        # and filters instead of using the index.
        self._db.execute("ANALYZE saihan_records, saihan_index, saihan_refs")
        progress(done)

    def _copy_batch(self, batch: list[NewRecord]) -> int:
        if not batch:
            return 0
        first = self._next(len(batch))
        with self._db.cursor() as cursor:
            with cursor.copy(
                "COPY saihan_records (kind, id, version, document, search_text) FROM STDIN"
            ) as copy:
                for offset, record in enumerate(batch):
                    copy.write_row(
                        (record.kind, record.id, first + offset, record.document, record.keys.text)
                    )
            with cursor.copy("COPY saihan_index (kind, name, value, id) FROM STDIN") as copy:
                for record in batch:
                    for name, value in record.keys.index:
                        copy.write_row((record.kind, name, value, record.id))
            with cursor.copy(
                "COPY saihan_refs (kind, id, target_kind, target_id) FROM STDIN"
            ) as copy:
                for record in batch:
                    for target_kind, target_id in record.keys.refs:
                        copy.write_row((record.kind, record.id, target_kind, target_id))
        return len(batch)

    # -- control ----------------------------------------------------------------
    @_translate
    def savepoint(self) -> object:
        self._savepoints += 1
        name = f"saihan_{self._savepoints}"
        self._db.execute(sql.SQL("SAVEPOINT {}").format(sql.Identifier(name)))
        return _Savepoint(name, self._revision, self._changed)

    @_translate
    def rollback_to(self, token: object) -> None:
        assert isinstance(token, _Savepoint)
        self._db.execute(sql.SQL("ROLLBACK TO SAVEPOINT {}").format(sql.Identifier(token.name)))
        self._revision, self._changed = token.revision, token.changed

    @_translate
    def release(self, token: object) -> None:
        assert isinstance(token, _Savepoint)
        self._db.execute(sql.SQL("RELEASE SAVEPOINT {}").format(sql.Identifier(token.name)))

    @_translate
    def commit(self) -> None:
        if not self._open:
            return
        try:
            if self._changed:
                self._db.execute(
                    "UPDATE saihan_settings SET value = %s WHERE key = 'revision'",
                    (str(self._revision),),
                )
            self._db.commit()
        except BaseException:
            self.rollback()
            raise
        self._finish()

    @_translate
    def rollback(self) -> None:
        if not self._open:
            return
        try:
            self._db.rollback()
        finally:
            self._finish()

    def _finish(self) -> None:
        if self._open:
            self._open = False
            self._engine._give_back(self._db)


class PostgresEngine(Engine):
    """An open PostgreSQL store: a connection pool and a schema."""

    scheme = "postgresql"
    capabilities = Capabilities(
        durable=True, multi_process=True, threads=True, text_search=True, candidate_index=True
    )

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str,
        pool_min: int,
        pool_max: int,
        timeout: float,
        create: bool,
        label: str,
        migrations: Sequence[Migration] = MIGRATIONS,
        trigram_extension: str = TRIGRAM_EXTENSION,
    ) -> None:
        self._schema = schema
        self._trigram_extension = trigram_extension
        self.text_indexed = False
        """Whether text search goes through the trigram index (else a scan)."""
        self._timeout = timeout
        self._label = label
        self._closed = False
        self._lock = threading.Lock()
        self._schema_version = 0
        if create:
            self._create_schema(conninfo)
        self._pool: ConnectionPool[Any] = ConnectionPool(
            conninfo,
            min_size=pool_min,
            max_size=pool_max,
            timeout=timeout,
            configure=self._configure,
            # A connection the server dropped (a restart) is replaced, not handed out.
            check=ConnectionPool.check_connection,
            open=False,
            name=f"saihan-{schema}",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
            self._schema_version = self._migrate(migrations, create)
        except PoolTimeout:
            self._pool.close()
            raise StorageError(f"{label}: cannot connect within {timeout:g} s") from None
        except BaseException:
            self._pool.close()
            raise

    def _create_schema(self, conninfo: str) -> None:
        try:
            with psycopg.connect(conninfo, connect_timeout=int(self._timeout)) as db:
                db.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self._schema))
                )
        except errors.InsufficientPrivilege:
            pass  # it may exist already; the migration step will tell
        except psycopg.OperationalError as error:
            raise StorageError(f"{self._label}: cannot connect: {_primary(error)}") from None
        except psycopg.Error as error:
            raise StorageError(f"{self._label}: {_primary(error)}") from None

    def _configure(self, db: psycopg.Connection[Any]) -> None:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))
        db.execute(
            "SELECT set_config('lock_timeout', %s, false)", (f"{int(self._timeout * 1000)}ms",)
        )
        db.commit()

    @_translate
    def _migrate(self, migrations: Sequence[Migration], create: bool) -> int:
        with self._pool.connection() as db:
            found = self._found_version(db)
            db.rollback()
            pending(found, migrations, store=self._label)  # a newer store: refused untouched
            if found == 0 and not create:
                raise NotFoundError(f"no saihan store in {self._label}")
            db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"saihan:{self._schema}",))
            found = self._found_version(db)  # another process may have migrated meanwhile
            steps = pending(found, migrations, store=self._label)
            for step in steps:
                for statement in step.statements:
                    db.execute(statement.encode())
                if step.version == 2:
                    self._index_texts(db)
            if steps:
                db.execute(
                    "INSERT INTO saihan_settings (key, value) VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(steps[-1].version),),
                )
            db.commit()
            version = steps[-1].version if steps else found
            self.text_indexed = version >= 2 and self._has_text_index(db)
            db.rollback()
            return version

    def _trigram_schema(self, db: psycopg.Connection[Any]) -> str | None:
        row = db.execute(
            "SELECT n.nspname FROM pg_extension AS e JOIN pg_namespace AS n "
            "ON n.oid = e.extnamespace WHERE e.extname = %s",
            (self._trigram_extension,),
        ).fetchone()
        return None if row is None else str(row[0])

    def _index_texts(self, db: psycopg.Connection[Any]) -> None:
        """The trigram index of the search texts, installing ``pg_trgm`` (a trusted
        extension: the database's owner or anyone allowed to create in it may) in
        the ``public`` schema if needed.  When it cannot be had, or the database
        classifies characters as in the C locale (pg_trgm would then see no
        Japanese letters), there is no index and text search scans the column."""
        ctype = db.execute(
            "SELECT datctype FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        if ctype is not None and str(ctype[0]) in ("C", "POSIX"):
            log.warning("%s: LC_CTYPE is C; text search scans", self._label)
            return
        schema = self._trigram_schema(db)
        if schema is None:
            try:
                with db.transaction():  # a savepoint: a refusal leaves the migration going
                    db.execute(
                        sql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA public").format(
                            sql.Identifier(self._trigram_extension)
                        )
                    )
            except psycopg.Error as error:
                log.warning(
                    "%s: cannot use %s (%s); text search scans",
                    self._label,
                    self._trigram_extension,
                    _primary(error),
                )
            schema = self._trigram_schema(db)  # or another process installed it meanwhile
        if schema is None:
            return
        db.execute(
            sql.SQL(
                "CREATE INDEX {} ON saihan_records USING gin (search_pairs {}.gin_trgm_ops)"
            ).format(sql.Identifier(TRIGRAM_INDEX), sql.Identifier(schema))
        )

    def _has_text_index(self, db: psycopg.Connection[Any]) -> bool:
        row = db.execute(
            "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s",
            (self._schema, TRIGRAM_INDEX),
        ).fetchone()
        return row is not None

    def _found_version(self, db: psycopg.Connection[Any]) -> int:
        tables = {
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (self._schema,)
            )
        }
        if "saihan_settings" not in tables:
            if "saihan_records" in tables:
                raise StorageError(f"{self._label} has saihan tables but no settings")
            return 0
        row = db.execute(
            "SELECT value FROM saihan_settings WHERE key = 'schema_version'"
        ).fetchone()
        if row is None:
            raise StorageError(f"{self._label} has no schema version")
        return int(row[0])

    def _take(self) -> psycopg.Connection[Any]:
        if self._closed:
            raise StorageError(f"{self._label} is closed")
        try:
            db: psycopg.Connection[Any] = self._pool.getconn(timeout=self._timeout)
            return db
        except PoolTimeout:
            raise StorageError(
                f"{self._label}: no connection free within {self._timeout:g} s"
            ) from None

    def _give_back(self, db: psycopg.Connection[Any]) -> None:
        self._pool.putconn(db)

    def begin(self, *, write: bool) -> EngineTransaction:
        db = self._take()
        try:
            return _PostgresTransaction(self, db, write)
        except psycopg.Error as error:
            self._pool.putconn(db)
            raise StorageError(f"{self._label}: cannot begin: {_primary(error)}") from None

    def schema_version(self) -> int:
        return self._schema_version

    @_translate
    def integrity_check(self) -> list[str]:
        problems = []
        with self._pool.connection() as db:
            checks = {
                "index entries have no record": (
                    "SELECT count(*) FROM saihan_index AS i WHERE NOT EXISTS (SELECT 1 FROM "
                    "saihan_records AS r WHERE r.kind = i.kind AND r.id = i.id)"
                ),
                "references name a missing record": (
                    "SELECT count(*) FROM saihan_refs AS f WHERE NOT EXISTS (SELECT 1 FROM "
                    "saihan_records AS r WHERE r.kind = f.target_kind AND r.id = f.target_id)"
                ),
                "records have a version above the store's revision": (
                    "SELECT count(*) FROM saihan_records WHERE version > (SELECT value::bigint "
                    "FROM saihan_settings WHERE key = 'revision')"
                ),
            }
            for problem, query in checks.items():
                row = db.execute(query.encode()).fetchone()
                if row and row[0]:
                    problems.append(f"{row[0]} {problem}")
            if self._found_version(db) != self._schema_version:
                problems.append("the schema version changed while the store was open")
            amcheck = db.execute(
                "SELECT n.nspname FROM pg_extension AS e JOIN pg_namespace AS n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'"
            ).fetchone()
            if amcheck:
                # Its functions live in its own schema, not on the store's search path.
                check = sql.SQL("SELECT {}.bt_index_check(%s::oid::regclass)").format(
                    sql.Identifier(str(amcheck[0]))
                )
                indexes = db.execute(
                    "SELECT c.oid, c.relname FROM pg_index AS x JOIN pg_class AS c "
                    "ON c.oid = x.indexrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace "
                    "JOIN pg_am AS m ON m.oid = c.relam "  # bt_index_check: B-trees only
                    "WHERE n.nspname = %s AND c.relname LIKE 'saihan%%' AND m.amname = 'btree'",
                    (self._schema,),
                ).fetchall()
                for oid, name in indexes:
                    try:
                        db.execute(check, (oid,))
                    except psycopg.Error as error:
                        db.rollback()
                        problems.append(f"index {name}: {_primary(error)}")
            db.rollback()
        return problems

    def describe(self) -> Mapping[str, str]:
        with self._pool.connection() as db:
            server = db.execute("SHOW server_version").fetchone()
            database = db.execute("SELECT current_database()").fetchone()
            db.rollback()
        stats = self._pool.get_stats()
        return {
            "text_search": "pg_trgm index" if self.text_indexed else "scan (no pg_trgm index)",
            "server": str(server[0] if server else "?"),
            "database": str(database[0] if database else "?"),
            "schema": self._schema,
            "pool_size": str(stats.get("pool_size", "?")),
            "pool_max": str(self._pool.max_size),
        }

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close()


# libpq connection keywords that say where to connect and as whom (or read that from a
# file, or set the role and search path through ``options``): given in the query they would
# quietly override the URL's own host, port, database and user, so they are refused.
_WHERE_AND_WHO = {
    "host": "the host",
    "hostaddr": "the host",
    "port": "the port",
    "dbname": "the database",
    "user": "the user",
    "service": "the host, database and user",
    "servicefile": "the host, database and user",
    "passfile": "the user's password",
    "options": "the role and search path",
}


def _conninfo(url: StoreURL) -> str:
    """The URL without saihan's own options, for libpq.

    Query options that would change where to connect or as whom are refused
    (``url.<option>``); put them in the URL itself.
    """
    refused = sorted(set(url.options) & set(_WHERE_AND_WHO))
    if refused:
        raise ValidationError(
            [
                ErrorItem(
                    f"url.{name}",
                    f"sets {_WHERE_AND_WHO[name]} behind the URL's back; write it in the URL "
                    "itself: postgresql://user:password@host:port/database",
                )
                for name in refused
            ]
        )
    parts = urlsplit(url.text)
    kept = [(key, value) for key, value in parse_qsl(parts.query) if key not in _OPTIONS]
    return urlunsplit(parts._replace(scheme="postgresql", query=urlencode(kept)))


class PostgresBackend:
    """The ``postgresql`` (and ``postgres``) entry point."""

    def open(self, url: StoreURL, *, create: bool) -> Engine:
        schema = url.option("schema") or "public"
        if not _SCHEMA_RE.match(schema):
            raise ValidationError(
                [
                    ErrorItem(
                        "url.schema",
                        f"{schema!r} is not a plain schema name (lower-case letters, digits, _)",
                    )
                ]
            )
        pool_min = url.int_option("pool_min", 1, minimum=0)
        pool_max = url.int_option("pool_max", 8, minimum=1)
        if pool_max < pool_min:
            raise ValidationError([ErrorItem("url.pool_max", "must be at least pool_min")])
        timeout = float(url.int_option("timeout", 30, minimum=1))
        label = f"postgresql store {url.redacted()}"
        try:
            return PostgresEngine(
                _conninfo(url),
                schema=schema,
                pool_min=pool_min,
                pool_max=pool_max,
                timeout=timeout,
                create=create,
                label=label,
            )
        except StorageError as error:
            # libpq's words may quote the connection string; never its secrets.
            scrubbed = url.scrub(str(error))
            if scrubbed != str(error):
                raise StorageError(scrubbed) from None
            raise

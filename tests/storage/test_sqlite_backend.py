"""What the SQLite backend adds to the contract: its file, pragmas, migrations and checks."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest

from saihan import storage
from saihan.access import Principal
from saihan.directory import sample_directory
from saihan.errors import ConflictError, NotFoundError, ValidationError
from saihan.monitoring import seed_caseload
from saihan.storage import Migration, StorageError
from saihan.storage.directory_records import SERVICES
from saihan.storage.referral_records import REQUESTED_UNKNOWN, requested_keys
from saihan.storage.sqlite import _CHANGES_SQL, MIGRATIONS, SqliteEngine, sqlite_path
from saihan.storage.url import parse_url
from saihan.testing.storage import small_directory, synthetic_directory, text_queries


def _url(path: Path, query: str = "") -> str:
    return f"sqlite:///{path}{query}"


def test_url_forms_follow_sqlalchemy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert sqlite_path(parse_url("sqlite:///relative/x.db")) == Path("relative/x.db")
    assert sqlite_path(parse_url("sqlite:////abs/x.db")) == Path("/abs/x.db")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert sqlite_path(parse_url("sqlite:///~/x.db")) == tmp_path / "x.db"
    for bad in ("sqlite://host/x.db", "sqlite:///:memory:", "sqlite://"):
        with pytest.raises(ValidationError) as caught:
            sqlite_path(parse_url(bad))
        assert caught.value.paths == ["url"]


def test_bad_options_name_the_option(tmp_path: Path) -> None:
    cases = {
        "?colour=red": "url.colour",
        "?timeout=soon": "url.timeout",
        "?timeout=-1": "url.timeout",
        "?synchronous=off": "url.synchronous",
        "?timeout=1&timeout=2": "url.timeout",
    }
    for query, path in cases.items():
        with pytest.raises(ValidationError) as caught:
            storage.open(_url(tmp_path / "x.db", query), principal=Principal.system())
        assert caught.value.paths == [path]
    assert not (tmp_path / "x.db").exists()


def test_a_new_store_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "store.db"
    with storage.open(
        _url(path, "?synchronous=normal&timeout=7"), principal=Principal.system()
    ) as store:
        store.import_directory(small_directory())
        details = store.info().details
        assert details["journal_mode"] == "wal"
        assert details["synchronous"] == "normal"
        assert details["busy_timeout_s"] == "7"
        engine = store.engine
        assert isinstance(engine, SqliteEngine)
        db = engine._connection()
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 7000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_create_false_does_not_create(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        storage.open(_url(tmp_path / "missing.db"), create=False, principal=Principal.system())
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(ValidationError):
        storage.open(_url(tmp_path), principal=Principal.system())  # a directory


def test_a_store_from_a_newer_saihan_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with storage.open(_url(path), principal=Principal.system()) as store:
        store.import_directory(small_directory())
    db = sqlite3.connect(path)
    db.execute("UPDATE saihan_settings SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(storage.IncompatibleStoreError, match=r"version 99.*newer saihan"):
        storage.open(_url(path), principal=Principal.system())
    assert path.read_bytes() == before


def test_other_files_are_refused_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE patients (name TEXT)")
    db.commit()
    db.close()
    before = other.read_bytes()
    with pytest.raises(StorageError, match="not a saihan store"):
        storage.open(_url(other), principal=Principal.system())
    assert other.read_bytes() == before
    text = tmp_path / "notes.db"
    text.write_text("not a database at all " * 100)
    with pytest.raises(StorageError, match="cannot be opened"):
        storage.open(_url(text), principal=Principal.system())


def test_migrations_run_forward_and_keep_the_data(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with storage.open(_url(path), principal=Principal.system()) as store:
        store.import_directory(small_directory())
        before = store.load_directory()
    step = Migration(
        len(MIGRATIONS) + 1,
        "index services by a new key (a test migration)",
        ("CREATE INDEX saihan_records_version ON saihan_records (version)",),
    )
    engine = SqliteEngine(path, timeout=5, synchronous="full", migrations=[*MIGRATIONS, step])
    assert engine.schema_version() == step.version
    engine.close()
    db = sqlite3.connect(path)
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "saihan_records_version" in names
    version = db.execute("SELECT value FROM saihan_settings WHERE key='schema_version'")
    assert version.fetchone()[0] == str(step.version)
    db.close()
    # This saihan (one schema version behind) now refuses the migrated store, untouched.
    with pytest.raises(storage.IncompatibleStoreError):
        storage.open(_url(path), principal=Principal.system())
    engine = SqliteEngine(path, timeout=5, synchronous="full", migrations=[*MIGRATIONS, step])
    store = storage.Store(engine, parse_url(_url(path)), principal=Principal.system())
    assert store.load_directory() == before
    store.close()


def test_a_version_1_store_gets_its_texts_on_the_next_open(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    directory = sample_directory()
    with storage.open(_url(path), principal=Principal.system()) as store:
        store.import_directory(directory)
    db = sqlite3.connect(path)  # back to the layout of schema version 1
    _undo_version_3(db)
    db.execute("DROP INDEX saihan_records_untexted")
    db.execute("ALTER TABLE saihan_records DROP COLUMN search_text")
    db.execute("UPDATE saihan_settings SET value = '1' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with storage.open(_url(path), principal=Principal.system()) as store:
        assert store.info().schema_version == storage.SCHEMA_VERSION
        db = sqlite3.connect(path)
        missing = db.execute(
            "SELECT count(*) FROM saihan_records WHERE search_text IS NULL "
            "AND kind IN ('service', 'agency')"
        ).fetchone()[0]
        db.close()
        assert missing == 0
        for query in text_queries(directory, limit=300):
            expected = [s.id for s in directory.search(text=query)]
            assert [s.value.id for s in store.services.search(text=query)] == expected
        assert store.integrity_check() == []


def _undo_version_3(db: sqlite3.Connection) -> None:
    """Take a store back to the layout of schema version 2 (no change log)."""
    db.execute("DROP INDEX saihan_records_changed")
    db.execute("DROP TABLE saihan_deleted")
    db.execute("DELETE FROM saihan_index WHERE name = 'need_area'")
    db.execute("DELETE FROM saihan_settings WHERE key = 'replaced'")
    db.execute("UPDATE saihan_settings SET value = '2' WHERE key = 'schema_version'")


def _need_area_entries(path: Path) -> set[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT id, value FROM saihan_index WHERE name = 'need_area'")
        return {(row[0], row[1]) for row in rows}
    finally:
        db.close()


def test_a_version_2_store_gets_its_change_log_on_the_next_open(tmp_path: Path) -> None:
    """Migration 3: what changed before it is not known (changes_since says None
    for earlier revisions); what changes after it is, deletions too."""
    path = tmp_path / "store.db"
    directory = small_directory()
    with storage.open(_url(path), principal=Principal.system()) as store:
        store.import_directory(directory)
        store.services.delete(directory.services[0].id, expected_version=storage.ANY_VERSION)
        migrated_at = store.revision()
    db = sqlite3.connect(path)
    _undo_version_3(db)
    db.commit()
    db.close()
    assert migrated_at is not None
    with storage.open(_url(path), principal=Principal.system()) as store:
        assert store.info().schema_version == storage.SCHEMA_VERSION == 4
        assert store.revision() == migrated_at
        assert store._directory_changes(0, 100) == (None, [])
        assert store._directory_changes(migrated_at, 100) == ([], [])
        kept, gone = directory.services[1], directory.services[2]
        store.services.put(kept, expected_version=storage.ANY_VERSION)
        store.services.delete(gone.id, expected_version=storage.ANY_VERSION)
        changes, current = store._directory_changes(migrated_at, 100)
        assert changes == sorted([("service", kept.id), ("service", gone.id)])
        assert current == [kept]
        assert store._directory_changes(migrated_at, 1) == (None, [])  # past the limit
        assert store.integrity_check() == []
        # The services stored before have their need_area entries, as written now.
        expected = {
            (item.value.id, value)
            for item in store.services.list()
            for name, value in SERVICES.keys(item.value).index
            if name == "need_area"
        }
        assert expected
        assert _need_area_entries(path) == expected


def _requested_entries(path: Path) -> set[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT id, value FROM saihan_index WHERE name = 'requested'")
        return {(row[0], row[1]) for row in rows}
    finally:
        db.close()


def test_a_version_3_store_gets_its_referrals_requested_entries(tmp_path: Path) -> None:
    """Migration 4: the referrals stored before are ``unknown``, which date queries
    take and filter exactly; a referral written again gets its own entries."""
    path = tmp_path / "store.db"
    with storage.open(_url(path), principal=Principal.system()) as store:
        seed_caseload(store, cases=12, seed=3)
        referrals = [item.value for item in store.referrals.list()]
    db = sqlite3.connect(path)
    db.execute("DELETE FROM saihan_index WHERE name = 'requested'")
    db.execute("UPDATE saihan_settings SET value = '3' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with storage.open(_url(path), principal=Principal.system()) as store:
        assert store.info().schema_version == storage.SCHEMA_VERSION == 4
        assert _requested_entries(path) == {(r.id, REQUESTED_UNKNOWN) for r in referrals}
        start = dt.datetime(2024, 10, 1, tzinfo=dt.UTC)
        end = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        expected = sorted(
            r.id for r in referrals if (at := r.requested_at) is not None and start <= at < end
        )
        assert expected
        found = store.referrals.requested_between(start, end)
        assert [item.value.id for item in found] == expected
        again = store.referrals.get(expected[0])
        store.referrals.put(again.value, expected_version=again.version)
        entries = _requested_entries(path)
        assert (expected[0], REQUESTED_UNKNOWN) not in entries
        assert {value for id, value in entries if id == expected[0]} == set(
            requested_keys(again.value)
        )
        found = store.referrals.requested_between(start, end)
        assert [item.value.id for item in found] == expected
        assert store.integrity_check() == []


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with storage.open(_url(path), principal=Principal.system()) as store:
        store.import_directory(small_directory())
    broken = Migration(
        len(MIGRATIONS) + 1,
        "half good, half broken",
        ("CREATE TABLE saihan_extra (x)", "CREATE TABLE ???"),
    )
    with pytest.raises(StorageError):
        SqliteEngine(path, timeout=5, synchronous="full", migrations=[*MIGRATIONS, broken])
    with storage.open(_url(path), principal=Principal.system()) as store:
        assert store.info().schema_version == storage.SCHEMA_VERSION
        assert store.integrity_check() == []
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert "saihan_extra" not in tables


def test_queries_use_the_indexes(tmp_path: Path) -> None:
    with storage.open(_url(tmp_path / "store.db"), principal=Principal.system()) as store:
        store.import_directory(synthetic_directory(300))
        engine = store.engine
        assert isinstance(engine, SqliteEngine)
        db = engine._connection()
        plan = " / ".join(
            row[3]
            for row in db.execute(
                "EXPLAIN QUERY PLAN SELECT id, version, document FROM saihan_records "
                "WHERE kind = ? AND id IN (SELECT id FROM saihan_index WHERE kind = ? AND "
                "name = ? AND value IN (SELECT value FROM json_each(?)) INTERSECT SELECT id "
                "FROM saihan_index WHERE kind = ? AND name = ? AND value IN "
                "(SELECT value FROM json_each(?))) ORDER BY id",
                ("service", "service", "need", '["housing"]', "service", "area", '["national"]'),
            )
        )
        assert "SCAN saihan_records" not in plan, plan
        assert "saihan_index" in plan
        expected = synthetic_directory(300).search(need="housing", municipality="132012")
        found = store.services.search(need="housing", municipality="132012")
        assert [s.value.id for s in found] == [s.id for s in expected]


def test_changes_since_reads_the_version_indexes(tmp_path: Path) -> None:
    """What changed since a revision comes from the few rows past it, not from every
    record of the kinds (the (kind, id) keys, as an ORDER BY kind, id made SQLite do)."""
    with storage.open(_url(tmp_path / "store.db"), principal=Principal.system()) as store:
        directory = synthetic_directory(300)
        store.import_directory(directory)
        before = store.revision()
        assert before is not None
        edited = sorted(directory.services, key=lambda s: s.id)[::-1][:3]
        for service in edited:
            store.services.put(service, expected_version=storage.ANY_VERSION)
        store.services.delete(edited[0].id, expected_version=storage.ANY_VERSION)
        engine = store.engine
        assert isinstance(engine, SqliteEngine)
        db = engine._connection()
        kinds = '["agency", "service"]'
        plan = " / ".join(
            row[3]
            for row in db.execute(
                f"EXPLAIN QUERY PLAN {_CHANGES_SQL}", (before, kinds, before, kinds, 10)
            )
        )
        assert "saihan_records_changed" in plan, plan
        assert "saihan_deleted_changed" in plan, plan
        assert "(kind=?)" not in plan, plan
        changes = store._directory_changes(before, 10)[0]
        assert changes == sorted(("service", service.id) for service in edited)


def test_a_writer_waits_for_another_then_gives_up(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with storage.open(_url(path, "?timeout=1"), principal=Principal.system()) as store:
        store.import_directory(small_directory())
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(StorageError, match="locked"):
            store.agencies.delete("hw-shinjuku", expected_version=storage.ANY_VERSION)
        assert 0.8 < time.monotonic() - started < 10
        released = threading.Timer(0.3, lambda: holder.execute("ROLLBACK"))
        released.start()
        with pytest.raises(ConflictError):  # waited for the lock, then found the services
            store.agencies.delete("hw-shinjuku", expected_version=storage.ANY_VERSION)
        released.join()
        holder.close()
        assert reads_work_while_locked(path)


def reads_work_while_locked(path: Path) -> bool:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with storage.open(_url(path, "?timeout=1"), principal=Principal.system()) as store:
            return store.services.count() == 7  # WAL: readers never wait for the writer
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_the_integrity_check_finds_damage(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with storage.open(_url(path), principal=Principal.system()) as store:
        store.import_directory(small_directory())
    db = sqlite3.connect(path)
    db.execute("DELETE FROM saihan_records WHERE kind = 'agency' AND id = 'hw-shinjuku'")
    db.execute("UPDATE saihan_records SET document = '{\"id\": 3}' WHERE id = 'debt'")
    db.commit()
    db.close()
    with storage.open(_url(path), principal=Principal.system()) as store:
        problems = store.integrity_check()
    text = "\n".join(problems)
    assert "foreign key" in text
    assert "index entries have no record" in text
    assert "'debt' cannot be read" in text

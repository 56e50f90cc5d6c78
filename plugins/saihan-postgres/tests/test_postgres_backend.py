"""The PostgreSQL backend: saihan's conformance suite (crash and concurrency tests
included: real processes, real SIGKILLs) and what the backend adds.

The server is ``$SAIHAN_TEST_POSTGRES_URL`` (default the local one, trust auth).  Each
test works in a schema of its own, dropped afterwards.  When the server cannot be
reached the tests skip, except under ``CI=true``, where they fail: CI must run them.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import saihan_postgres
from psycopg import sql
from saihan_postgres import TRIGRAM_INDEX, PostgresEngine, _text_hits

from saihan import storage
from saihan.access import Principal
from saihan.directory import Directory, sample_directory
from saihan.errors import NotFoundError, ValidationError
from saihan.monitoring import seed_caseload
from saihan.storage import StorageError, TextCondition
from saihan.storage.directory_records import SERVICES
from saihan.storage.referral_records import REQUESTED_UNKNOWN, requested_keys
from saihan.storage.url import parse_url
from saihan.testing.storage import (
    StoreConformance,
    small_directory,
    synthetic_directory,
    text_queries,
)
from saihan.text import normalize_for_search

SERVER = os.environ.get("SAIHAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    try:
        with psycopg.connect(SERVER, connect_timeout=3) as db:
            db.execute("SELECT 1")
    except psycopg.Error as error:
        problem = f"PostgreSQL at {SERVER} is not reachable: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem + " (CI=true: these tests must run, not skip)")
        pytest.skip(problem)
    return SERVER


@pytest.fixture
def schema(postgres_server: str) -> Iterator[str]:
    """A fresh schema name; the schema is dropped with everything in it afterwards."""
    name = f"saihan_test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(postgres_server, autocommit=True) as db:
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def postgres_url(postgres_server: str, schema: str) -> str:
    return f"{postgres_server}?schema={schema}"


class TestPostgresBackend(StoreConformance):
    text_search_queries = None  # every query of text_queries() on the sample

    @pytest.fixture
    def store_url(self, postgres_url: str) -> str:
        return postgres_url


def _tables(schema: str) -> set[str]:
    with psycopg.connect(SERVER) as db:
        rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        return {row[0] for row in rows}


def test_the_schema_and_tables_are_created(postgres_url: str, schema: str) -> None:
    with storage.open(postgres_url, principal=Principal.system()) as store:
        assert store.info().details["schema"] == schema
        assert store.engine.capabilities.multi_process
        assert isinstance(store.engine, PostgresEngine)
    assert {"saihan_settings", "saihan_records", "saihan_index", "saihan_refs"} <= _tables(schema)


def test_create_false_does_not_create(postgres_url: str, schema: str) -> None:
    with pytest.raises(NotFoundError):
        storage.open(postgres_url, create=False, principal=Principal.system())
    assert _tables(schema) == set()


def test_a_store_from_a_newer_saihan_is_refused_untouched(postgres_url: str, schema: str) -> None:
    with storage.open(postgres_url, principal=Principal.system()) as store:
        store.import_directory(small_directory())
    with psycopg.connect(SERVER) as db:
        db.execute(
            sql.SQL(
                "UPDATE {}.saihan_settings SET value = '7' WHERE key = 'schema_version'"
            ).format(sql.Identifier(schema))
        )
    with pytest.raises(storage.IncompatibleStoreError, match="newer saihan"):
        storage.open(postgres_url, principal=Principal.system())
    with psycopg.connect(SERVER) as db:
        row = db.execute(
            sql.SQL("SELECT count(*) FROM {}.saihan_records").format(sql.Identifier(schema))
        ).fetchone()
    assert row is not None
    assert row[0] == 14


def test_bad_options_name_the_option(postgres_server: str) -> None:
    cases = {
        "?schema=Bad-Name": "url.schema",
        "?schema=a;drop": "url.schema",
        "?pool_max=0": "url.pool_max",
        "?pool_min=3&pool_max=2": "url.pool_max",
        "?timeout=never": "url.timeout",
    }
    for query, path in cases.items():
        with pytest.raises(ValidationError) as caught:
            storage.open(postgres_server + query, principal=Principal.system())
        assert caught.value.paths == [path]


def test_an_unreachable_server_is_a_storage_error() -> None:
    started = time.monotonic()
    with pytest.raises(StorageError, match="cannot connect") as caught:
        storage.open(
            "postgresql://saihan:secret@127.0.0.1:1/none?timeout=2", principal=Principal.system()
        )
    assert "secret" not in str(caught.value)
    assert time.monotonic() - started < 20


def test_bulk_import_goes_in_copy_rounds_and_queries_agree(postgres_url: str) -> None:
    directory = synthetic_directory(12_000)
    with storage.open(postgres_url, principal=Principal.system()) as store:
        seen: list[int] = []
        store.import_directory(directory, progress=lambda p: seen.append(p.done))
        assert seen == [0, 5_000, 10_000, 12_601]  # one COPY round per 5,000 records
        for need, place in [("housing", "132012"), ("employment.job_search", "131041")]:
            expected = [s.id for s in directory.search(need=need, municipality=place)]
            found = store.services.search(need=need, municipality=place)
            assert [s.value.id for s in found] == expected
        assert store.integrity_check() == []


def test_connections_the_server_dropped_are_replaced(postgres_url: str, schema: str) -> None:
    """After the server ends the store's sessions (as a restart does), the next call still works."""
    # Only this store's own sessions, marked by application_name: other test runs may be
    # using the same database at the same time, and ending theirs would fail them.
    url = f"{postgres_url}&application_name={schema}"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(small_directory())
        before = store.services.count()
        with psycopg.connect(SERVER, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND application_name = %s",
                (schema,),
            ).fetchone()
        assert ended is not None
        assert ended[0] >= 1  # the store's pooled connections were there to end
        assert store.services.count() == before


# -- text search ----------------------------------------------------------------------


def _indexes(schema: str) -> set[str]:
    with psycopg.connect(SERVER) as db:
        rows = db.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,))
        return {row[0] for row in rows}


def _same_text_search(store: storage.Store, directory: Directory, queries: list[str]) -> None:
    differ = [
        query
        for query in queries
        if [s.value.id for s in store.services.search(text=query)]
        != [s.id for s in directory.search(text=query)]
    ]
    assert differ == []


def test_text_search_goes_through_the_trigram_index(postgres_url: str, schema: str) -> None:
    directory = synthetic_directory(5_000)  # 相談窓口<n> of 支援機関<m>号
    with storage.open(postgres_url, principal=Principal.system()) as store:
        store.import_directory(directory)
        engine = store.engine
        assert isinstance(engine, PostgresEngine)
        assert engine.text_indexed
        assert store.info().details["text_search"] == "pg_trgm index"
        assert TRIGRAM_INDEX in _indexes(schema)
        # A word of the services' names and one of their agencies' names: the plan
        # the server picks for each reads the index.
        for word in ("窓口1234", "機関123号", "ＤＥＳＫ 窓口4999"):
            text = TextCondition(tuple(normalize_for_search(word).split()), frozenset({"agency"}))
            with_part, with_params, clause, params = _text_hits("service", text, True)
            with psycopg.connect(SERVER) as db:
                db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
                db.execute("SET enable_seqscan = off")  # as the backend does
                cursor = psycopg.ClientCursor(db)
                cursor.execute(
                    f"EXPLAIN {with_part} SELECT id FROM saihan_records AS r "
                    f"WHERE kind = %s {clause}",
                    [*with_params, "service", *params],
                )
                plan = "\n".join(row[0] for row in cursor.fetchall())
            assert plan.count(f"Bitmap Index Scan on {TRIGRAM_INDEX}") == 1, plan  # the longest
            found = [s.value.id for s in store.services.search(text=word)]
            assert found
            assert found == [s.id for s in directory.search(text=word)]


def test_without_pg_trgm_text_search_scans_with_the_same_results(
    postgres_server: str, schema: str
) -> None:
    url = f"{postgres_server}?schema={schema}"
    engine = PostgresEngine(
        postgres_server,
        schema=schema,
        pool_min=1,
        pool_max=2,
        timeout=10,
        create=True,
        label="test store",
        trigram_extension="saihan_no_such_extension",  # as if pg_trgm were not installed
    )
    directory = sample_directory()
    with storage.Store(engine, parse_url(url), principal=Principal.system()) as store:
        assert not engine.text_indexed
        assert store.info().details["text_search"] == "scan (no pg_trgm index)"
        assert TRIGRAM_INDEX not in _indexes(schema)
        assert store.info().schema_version == storage.SCHEMA_VERSION
        store.import_directory(directory)
        _same_text_search(store, directory, text_queries(directory, limit=400))
    # Opened again by an ordinary engine, the store stays without the index and agrees.
    with storage.open(url, principal=Principal.system()) as store:
        assert store.info().details["text_search"] == "scan (no pg_trgm index)"
        _same_text_search(store, directory, text_queries(directory, seed=1, limit=100))


def test_a_version_1_store_gets_its_texts_on_the_next_open(postgres_url: str, schema: str) -> None:
    directory = sample_directory()
    with storage.open(postgres_url, principal=Principal.system()) as store:
        store.import_directory(directory)
    with psycopg.connect(SERVER) as db:  # back to the layout of schema version 1
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        _undo_version_3(db)
        db.execute("ALTER TABLE saihan_records DROP COLUMN search_pairs, DROP COLUMN search_text")
        db.execute("UPDATE saihan_settings SET value = '1' WHERE key = 'schema_version'")
    assert TRIGRAM_INDEX not in _indexes(schema)
    with storage.open(postgres_url, principal=Principal.system()) as store:
        assert store.info().schema_version == storage.SCHEMA_VERSION
        assert TRIGRAM_INDEX in _indexes(schema)
        tx = store.engine.begin(write=False)
        try:
            assert tx.records_without_text("service", 10) == []
            assert tx.records_without_text("agency", 10) == []
        finally:
            tx.rollback()
        _same_text_search(store, directory, text_queries(directory, limit=300))
        assert store.integrity_check() == []


def _undo_version_3(db: psycopg.Connection[Any]) -> None:
    """Take a store back to the layout of schema version 2 (no change log)."""
    db.execute("DROP INDEX saihan_records_changed")
    db.execute("DROP TABLE saihan_deleted")
    db.execute("DELETE FROM saihan_index WHERE name = 'need_area'")
    db.execute("DELETE FROM saihan_settings WHERE key = 'replaced'")
    db.execute("UPDATE saihan_settings SET value = '2' WHERE key = 'schema_version'")


def _requested_entries(schema: str) -> set[tuple[str, str]]:
    with psycopg.connect(SERVER) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        rows = db.execute("SELECT id, value FROM saihan_index WHERE name = 'requested'")
        return {(row[0], row[1]) for row in rows}


def test_a_version_3_store_gets_its_referrals_requested_entries(
    postgres_url: str, schema: str
) -> None:
    """Migration 4: the referrals stored before are ``unknown``, which date queries
    take and filter exactly; a referral written again gets its own entries."""
    with storage.open(postgres_url, principal=Principal.system()) as store:
        seed_caseload(store, cases=12, seed=3)
        referrals = [item.value for item in store.referrals.list()]
    with psycopg.connect(SERVER) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        db.execute("DELETE FROM saihan_index WHERE name = 'requested'")
        db.execute("UPDATE saihan_settings SET value = '3' WHERE key = 'schema_version'")
    with storage.open(postgres_url, principal=Principal.system()) as store:
        assert store.info().schema_version == storage.SCHEMA_VERSION == 4
        assert _requested_entries(schema) == {(r.id, REQUESTED_UNKNOWN) for r in referrals}
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
        entries = _requested_entries(schema)
        assert (expected[0], REQUESTED_UNKNOWN) not in entries
        assert {value for id, value in entries if id == expected[0]} == set(
            requested_keys(again.value)
        )
        assert store.integrity_check() == []


def _need_area_entries(schema: str) -> set[tuple[str, str]]:
    with psycopg.connect(SERVER) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        rows = db.execute("SELECT id, value FROM saihan_index WHERE name = 'need_area'")
        return {(row[0], row[1]) for row in rows}


def test_a_version_2_store_gets_its_change_log_on_the_next_open(
    postgres_url: str, schema: str
) -> None:
    """Migration 3: what changed before it is not known (changes_since says None
    for earlier revisions); what changes after it is, deletions too."""
    directory = small_directory()
    with storage.open(postgres_url, principal=Principal.system()) as store:
        store.import_directory(directory)
        store.services.delete(directory.services[0].id, expected_version=storage.ANY_VERSION)
        migrated_at = store.revision()
    with psycopg.connect(SERVER) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        _undo_version_3(db)
    assert migrated_at is not None
    with storage.open(postgres_url, principal=Principal.system()) as store:
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
        assert _need_area_entries(schema) == expected


def test_the_integrity_check_with_amcheck_leaves_the_trigram_index_alone(
    postgres_url: str, schema: str
) -> None:
    """amcheck checks B-tree indexes only; the GIN index is not a problem to report.
    The extension is removed again if this test installed it."""
    with psycopg.connect(SERVER, autocommit=True) as db:
        had = db.execute("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'").fetchone()
        db.execute("CREATE EXTENSION IF NOT EXISTS amcheck")  # contrib, as pg_trgm is
    try:
        with storage.open(postgres_url, principal=Principal.system()) as store:
            store.import_directory(small_directory())
            assert TRIGRAM_INDEX in _indexes(schema)
            assert store.integrity_check() == []
    finally:
        if had is None:
            with psycopg.connect(SERVER, autocommit=True) as db:
                db.execute("DROP EXTENSION IF EXISTS amcheck")


@pytest.mark.parametrize("probe", [3, 40, saihan_postgres.PROBE])
def test_pages_of_text_search_agree_whichever_way_they_are_found(
    postgres_url: str, probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page is first looked for among the next ``PROBE`` services in id order, and
    through the index when they hold too few: the pages are the same either way."""
    monkeypatch.setattr(saihan_postgres, "PROBE", probe)
    directory = sample_directory()
    ids = [service.id for service in directory.services]
    with storage.open(postgres_url, principal=Principal.system()) as store:
        store.import_directory(directory)
        for number, query in enumerate(text_queries(directory, seed=2, limit=120)):
            expected = [s.id for s in directory.search(text=query)]
            after = None if number % 3 == 0 else sorted(ids)[number % len(ids)]
            limit = (1, 2, 20)[number % 3]
            need = "housing" if number % 5 == 0 else None
            if need is not None:
                expected = [s.id for s in directory.search(text=query, need=need)]
            wanted = [id for id in expected if after is None or id > after][:limit]
            found = store.services.search(text=query, need=need, after=after, limit=limit)
            assert [s.value.id for s in found] == wanted, (query, after, limit)


def test_the_area_and_need_query_of_a_store_match_uses_the_index(
    postgres_url: str, schema: str
) -> None:
    """match(case, store) asks for services by area and need: each condition is a range
    of saihan_index's primary key (kind, name, value, id), never a scan of the table."""
    from saihan_postgres import _hits

    from saihan.directory import sample_directory
    from saihan.referral import candidate_needs
    from saihan.storage.engine import Condition

    directory = sample_directory()
    with storage.open(postgres_url, principal=Principal.system()) as store:
        store.import_directory(directory)
    conditions = [
        Condition("area", frozenset({"national", "m:132012", "p:13"})),
        Condition("need", candidate_needs(directory.taxonomy, "housing")),
    ]
    hits, params = _hits("service", conditions)
    query = f"SELECT id FROM saihan_records WHERE kind = %s AND id IN ({hits})"
    with psycopg.connect(SERVER) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        db.execute("ANALYZE")
        db.execute("SET enable_seqscan = off")  # a tiny table: show what answers at scale
        plan = "\n".join(
            row[0] for row in db.execute(f"EXPLAIN {query}".encode(), ["service", *params])
        )
    assert "Seq Scan on saihan_index" not in plan, plan
    assert plan.count("saihan_index_pkey") == 2, plan


def test_the_candidate_query_of_a_store_match_is_one_range_of_the_index(
    postgres_url: str, schema: str
) -> None:
    """With ``candidate_index`` the Store asks for the (need, area) pairs: one condition,
    answered from saihan_index's primary key alone."""
    from saihan_postgres import _hits

    from saihan.directory import sample_directory
    from saihan.referral import candidate_needs
    from saihan.storage.directory_records import need_area_key
    from saihan.storage.engine import Condition

    directory = sample_directory()
    with storage.open(postgres_url, principal=Principal.system()) as store:
        store.import_directory(directory)
        assert store.capabilities.candidate_index
    areas = {"national", "m:132012", "p:13"}
    pairs = frozenset(
        need_area_key(need, area)
        for need in candidate_needs(directory.taxonomy, "housing")
        for area in areas
    )
    hits, params = _hits("service", [Condition("need_area", pairs)])
    query = f"SELECT id FROM saihan_records WHERE kind = %s AND id IN ({hits})"
    with psycopg.connect(SERVER) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        db.execute("ANALYZE")
        db.execute("SET enable_seqscan = off")
        plan = "\n".join(
            row[0] for row in db.execute(f"EXPLAIN {query}".encode(), ["service", *params])
        )
    assert "Seq Scan on saihan_index" not in plan, plan
    assert plan.count("saihan_index_pkey") == 1, plan

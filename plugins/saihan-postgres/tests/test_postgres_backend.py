"""The PostgreSQL backend: saihan's conformance suite (crash and concurrency tests
included: real processes, real SIGKILLs) and what the backend adds.

The server is ``$SAIHAN_TEST_POSTGRES_URL`` (default the local one, trust auth).  Each
test works in a schema of its own, dropped afterwards.  When the server cannot be
reached the tests skip, except under ``CI=true``, where they fail: CI must run them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from saihan_postgres import PostgresEngine

from saihan import storage
from saihan.access import Principal
from saihan.errors import NotFoundError, ValidationError
from saihan.storage import StorageError
from saihan.testing.storage import StoreConformance, small_directory, synthetic_directory

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
    """After the server ends every session (as a restart does), the next call still works."""
    with storage.open(postgres_url, principal=Principal.system()) as store:
        store.import_directory(small_directory())
        before = store.services.count()
        with psycopg.connect(SERVER, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            ).fetchone()
        assert ended is not None
        assert ended[0] >= 1  # the store's pooled connections were there to end
        assert store.services.count() == before

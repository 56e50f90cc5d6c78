"""Tampering with the audit trail in PostgreSQL with plain SQL is found, and
concurrent writers do not fork the chain."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from saihan import storage
from saihan.access import Principal
from saihan.testing.tampering import (
    check_concurrent_writers_keep_one_chain,
    check_sql_tampering,
)

SERVER = os.environ.get("SAIHAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_server() -> str:
    """The server, as in test_postgres_backend.py: skipped when unreachable, except in CI."""
    try:
        with psycopg.connect(SERVER, connect_timeout=3) as db:
            db.execute("SELECT 1")
    except psycopg.Error as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {SERVER} is not reachable: {error}")
        pytest.skip(f"PostgreSQL at {SERVER} is not reachable: {error}")
    return SERVER


@pytest.fixture
def fresh(postgres_server: str) -> Iterator[Callable[[], tuple[str, Callable[[str], None]]]]:
    made: list[str] = []

    def make() -> tuple[str, Callable[[str], None]]:
        schema = f"saihan_test_{uuid.uuid4().hex[:12]}"
        made.append(schema)

        def run(statement: str) -> None:
            with psycopg.connect(postgres_server, autocommit=True) as db:
                db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
                db.execute(statement.encode("utf-8"))

        return f"{postgres_server}?schema={schema}", run

    yield make
    with psycopg.connect(postgres_server, autocommit=True) as db:
        for schema in made:
            db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_sql_tampering_on_postgres_is_found(
    fresh: Callable[[], tuple[str, Callable[[str], None]]],
) -> None:
    check_sql_tampering(fresh)


def test_concurrent_audited_writers_do_not_fork_the_chain(
    fresh: Callable[[], tuple[str, Callable[[str], None]]],
) -> None:
    url, _ = fresh()
    with storage.open(url, principal=Principal.system()) as store:
        # Writers lock the store's revision row first: none ever has to retry.
        check_concurrent_writers_keep_one_chain(
            store, attempts=20, readers=4, conflicts_allowed=False
        )

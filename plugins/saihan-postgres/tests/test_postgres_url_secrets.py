"""PostgreSQL store URLs: secrets never shown, and no query option may move the store
to another host, port, database or user."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from saihan import storage
from saihan.access import Principal
from saihan.errors import SaihanError, ValidationError

SECRET = "Hunter2-pa55"

SERVER = os.environ.get("SAIHAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def secret_url() -> Iterator[str]:
    """A URL to a fresh schema carrying a password (trust auth ignores it) and a secret
    option; the schema is dropped afterwards.  Skips when the server is unreachable, as
    the backend's own tests do (and fails under CI=true)."""
    try:
        with psycopg.connect(SERVER, connect_timeout=3) as db:
            db.execute("SELECT 1")
    except psycopg.Error as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {SERVER} is not reachable: {error}")
        pytest.skip(f"PostgreSQL at {SERVER} is not reachable")
    schema = f"saihan_test_{uuid.uuid4().hex[:12]}"
    scheme, _, rest = SERVER.partition("://")
    user, _, host = rest.rpartition("@")
    yield f"{scheme}://{user or 'postgres'}:{SECRET}@{host}?schema={schema}&sslpassword={SECRET}"
    with psycopg.connect(SERVER, autocommit=True) as db:
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_password_and_secret_options_never_appear(
    secret_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with storage.open(secret_url, principal=Principal.system()) as store:
        shown = [store.url, repr(store), str(store.info()), repr(store.info())]
        store.cases.count()
    for text in shown:
        assert SECRET not in text
        assert "***" in text
    assert SECRET not in caplog.text
    assert all(SECRET not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "option", ["host", "hostaddr", "port", "dbname", "user", "service", "passfile", "options"]
)
def test_options_that_move_the_store_are_refused(secret_url: str, option: str) -> None:
    with pytest.raises(ValidationError) as raised:
        storage.open(f"{secret_url}&{option}=elsewhere")
    assert raised.value.paths == [f"url.{option}"]
    assert "in the URL itself" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_failed_connection_does_not_show_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SaihanError) as raised:
        storage.open(f"postgresql://nobody:{SECRET}@127.0.0.1:1/none?timeout=1&pool_min=0")
    assert SECRET not in str(raised.value)
    assert SECRET not in caplog.text

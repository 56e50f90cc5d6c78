"""Store URLs never show their secrets: not in ``store.url``, ``repr``, ``info()``, logs
or error messages (the password in the user part, ``?password=``, ``?sslpassword=`` and
any option named like a secret)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from saihan import storage
from saihan.errors import SaihanError, ValidationError
from saihan.storage import parse_url
from saihan.storage.url import is_secret_option

SECRET = "Hunter2-pa55"


def test_redacted_hides_every_secret_and_keeps_the_rest() -> None:
    url = parse_url(
        f"postgresql://worker:{SECRET}@db.example.jp:5432/saihan"
        f"?schema=tokyo&password={SECRET}&sslpassword={SECRET}x&api_token=t0k&pool_max=4#top"
    )
    shown = url.redacted()
    assert shown == (
        "postgresql://worker:***@db.example.jp:5432/saihan"
        "?schema=tokyo&password=***&sslpassword=***&api_token=***&pool_max=4#top"
    )
    assert SECRET not in repr(url)
    assert "t0k" not in repr(url)
    assert url.scrub(f"libpq said: bad {SECRET}x near {SECRET}") == "libpq said: bad *** near ***"
    assert parse_url("sqlite:///saihan.db").redacted() == "sqlite:///saihan.db"
    assert is_secret_option("sslpassword")
    assert not is_secret_option("schema")


def test_sqlite_store_never_shows_a_query_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"sqlite:///{tmp_path / 's.db'}?timeout=5&password={SECRET}"
    with pytest.raises(ValidationError) as raised:  # sqlite takes no password option
        storage.open(url)
    assert raised.value.paths == ["url.password"]
    assert SECRET not in str(raised.value)
    with pytest.raises(SaihanError) as failed:  # a host in a sqlite URL: refused, not echoed
        storage.open(f"sqlite://admin:{SECRET}@host/x.db")
    assert SECRET not in str(failed.value)
    assert SECRET not in caplog.text


def test_a_url_that_does_not_parse_is_not_echoed() -> None:
    for text in (f"postgres//u:{SECRET}@h/db", f"postgresql://u:{SECRET}@[::1/db"):
        with pytest.raises(ValidationError) as raised:
            parse_url(text)
        assert SECRET not in str(raised.value)


def test_an_overlong_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="the limit is"):
        parse_url("memory://" + "a" * 10_000)

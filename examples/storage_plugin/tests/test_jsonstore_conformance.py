"""The example plugin passes saihan's storage conformance suite."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from saihan import storage
from saihan.access import Principal
from saihan.errors import ValidationError
from saihan.monitoring import seed_caseload
from saihan.storage import ANY_VERSION
from saihan.storage.referral_records import REQUESTED_UNKNOWN
from saihan.testing.storage import StoreConformance


class TestJsonFileBackend(StoreConformance):
    # Every commit rewrites and fsyncs the file: run the state machines a little less.
    stateful_examples = 4
    lifecycle_examples = 3

    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"jsonfile://{tmp_path}/store.json"


def test_a_relative_path_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        storage.open("jsonfile://relative/store.json", principal=Principal.system())
    assert caught.value.paths == ["url"]


def test_a_newer_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    storage.open(f"jsonfile://{path}", principal=Principal.system()).close()
    state = json.loads(path.read_text(encoding="utf-8"))
    assert state["schema_version"] == storage.SCHEMA_VERSION
    newer = json.dumps({**state, "schema_version": 99})
    path.write_text(newer, encoding="utf-8")
    with pytest.raises(storage.IncompatibleStoreError, match="newer saihan"):
        storage.open(f"jsonfile://{path}", principal=Principal.system())
    assert path.read_text(encoding="utf-8") == newer


def test_a_version_3_file_gets_its_referrals_requested_entries(tmp_path: Path) -> None:
    """Migration 4, made as the file is read: the referrals stored before are
    ``unknown``, which date queries take and filter exactly."""
    path = tmp_path / "store.json"
    url = f"jsonfile://{path}"
    with storage.open(url, principal=Principal.system()) as store:
        seed_caseload(store, cases=6, seed=3)
        referrals = [item.value for item in store.referrals.list()]
    state = json.loads(path.read_text(encoding="utf-8"))
    for record in state["records"]["referral"].values():
        record["index"] = [entry for entry in record["index"] if entry[0] != "requested"]
    path.write_text(json.dumps({**state, "schema_version": 3}), encoding="utf-8")
    with storage.open(url, principal=Principal.system()) as store:
        assert store.info().schema_version == storage.SCHEMA_VERSION == 4
        start = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)
        end = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
        expected = sorted(
            r.id for r in referrals if (at := r.requested_at) is not None and start <= at < end
        )
        assert expected
        found = store.referrals.requested_between(start, end)
        assert [item.value.id for item in found] == expected
        store.cases.put(store.cases.get(referrals[0].case_id).value, expected_version=ANY_VERSION)
    state = json.loads(path.read_text(encoding="utf-8"))  # written back with the commit
    assert state["schema_version"] == 4
    assert all(
        ["requested", REQUESTED_UNKNOWN] in record["index"]
        for record in state["records"]["referral"].values()
    )

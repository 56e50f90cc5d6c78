"""The example plugin passes saihan's storage conformance suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from saihan import storage
from saihan.access import Principal
from saihan.errors import ValidationError
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
    newer = path.read_text(encoding="utf-8").replace('"schema_version": 3', '"schema_version": 99')
    path.write_text(newer, encoding="utf-8")
    with pytest.raises(storage.IncompatibleStoreError, match="newer saihan"):
        storage.open(f"jsonfile://{path}", principal=Principal.system())
    assert path.read_text(encoding="utf-8") == newer

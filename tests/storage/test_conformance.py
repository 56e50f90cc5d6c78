"""The built-in backends pass the conformance suite that plugin authors use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from saihan.storage import memory
from saihan.testing.storage import StoreConformance


class TestMemoryBackend(StoreConformance):
    text_search_queries = None  # every query of text_queries() on the sample

    @pytest.fixture
    def store_url(self) -> Iterator[str]:
        name = f"conformance-{uuid.uuid4().hex}"
        yield f"memory://{name}"
        memory.forget(name)


class TestSqliteBackend(StoreConformance):
    text_search_queries = None

    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path}/store.db"

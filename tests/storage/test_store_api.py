"""The storage contract beyond the conformance suite: URLs, the registry, new record
types, errors from broken backends, and what is (not) logged."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from saihan import plugins, storage
from saihan.access import Principal
from saihan.directory import Directory, sample_directory
from saihan.errors import ConflictError, NotFoundError, PluginError, ValidationError
from saihan.storage import ImportProgress, RecordType, Reference, StorageError, Versioned
from saihan.storage.memory import MemoryBackend, MemoryEngine, forget
from saihan.storage.url import StoreURL
from saihan.testing.storage import HOSTILE_STRINGS, small_directory


def test_parse_url_refuses_what_is_not_a_url() -> None:
    for bad in ["", "   ", "saihan.db", "sqlite:/x.db", "Sqlite:///x", "sql ite://x", "a://\x00"]:
        with pytest.raises(ValidationError) as caught:
            storage.parse_url(bad)
        assert caught.value.paths == ["url"], bad
    with pytest.raises(ValidationError):
        storage.parse_url(42)  # type: ignore[arg-type]


def test_urls_never_show_a_password() -> None:
    url = storage.parse_url("postgresql://saihan:s3cret@db.example:5432/x?schema=a")
    assert url.redacted() == "postgresql://saihan:***@db.example:5432/x?schema=a"
    assert url.options == {"schema": "a"}
    assert url.hostname == "db.example"
    assert url.username == "saihan"


@given(st.text(min_size=1, max_size=20).filter(lambda s: "@" not in s and "/" not in s))
def test_redaction_hides_any_password(password: str) -> None:
    from urllib.parse import quote

    url = storage.parse_url(f"postgresql://user:{quote(password, safe='')}@host/db")
    assert quote(password, safe="") not in url.redacted().split("@")[0].split(":", 2)[-1]


def test_the_default_store_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(storage.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert storage.default_path() == tmp_path / "xdg" / "saihan" / "saihan.db"
    assert storage.default_url() == f"sqlite:///{tmp_path}/xdg/saihan/saihan.db"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert storage.default_path() == tmp_path / ".local" / "share" / "saihan" / "saihan.db"
    with storage.open(principal=Principal.system()) as store:
        assert store.scheme == "sqlite"
        store.import_directory(small_directory())
    assert (tmp_path / ".local" / "share" / "saihan" / "saihan.db").exists()
    monkeypatch.setenv(storage.ENVIRONMENT_VARIABLE, "memory://")
    with storage.open(principal=Principal.system()) as store:
        assert store.scheme == "memory"
        assert store.services.count() == 0


def test_unknown_backends_name_the_installed_ones() -> None:
    assert {"memory", "sqlite"} <= set(storage.available_backends())
    with pytest.raises(PluginError) as caught:
        storage.open("mongodb://localhost/x", principal=Principal.system())
    assert "'mongodb'" in str(caught.value)
    assert "sqlite" in str(caught.value)


def _points(points: list[EntryPoint]) -> Any:
    def select(group: str) -> list[EntryPoint]:
        return [point for point in points if point.group == group]

    return select


def test_a_backend_of_the_wrong_shape_is_a_plugin_error(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [
        EntryPoint("weird", "json:dumps", plugins.STORAGE),
        EntryPoint("liar", "no_such_backend_module_xyz:Backend", plugins.STORAGE),
    ]
    monkeypatch.setattr(plugins, "entry_points", _points(points))
    with pytest.raises(PluginError, match="not a storage backend"):
        storage.open("weird://x", principal=Principal.system())
    with pytest.raises(PluginError, match="failed to load"):
        storage.open("liar://x", principal=Principal.system())


class _ExplodingBackend:
    def open(self, url: StoreURL, *, create: bool) -> storage.Engine:
        raise RuntimeError("driver exploded")


class _BrokenEngine(MemoryEngine):
    def integrity_check(self) -> list[str]:
        raise OSError("disk on fire")


def test_backend_failures_become_storage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "load_plugin", lambda group, name: _ExplodingBackend())
    with pytest.raises(StorageError, match="driver exploded"):
        storage.open("boom://x", principal=Principal.system())
    monkeypatch.undo()
    engine = MemoryBackend().open(storage.parse_url("memory://"), create=True)
    broken = _BrokenEngine(engine._state, None)  # type: ignore[attr-defined]
    store = storage.Store(broken, storage.parse_url("memory://"), principal=Principal.system())
    with pytest.raises(StorageError, match="disk on fire"):
        store.integrity_check()


def test_named_memory_stores_are_shared_until_forgotten() -> None:
    with (
        storage.open("memory://shared-test", principal=Principal.system()) as one,
        storage.open("memory://shared-test", principal=Principal.system()) as two,
    ):
        one.import_directory(small_directory())
        assert two.services.count() == 7
    assert forget("shared-test")
    assert not forget("shared-test")
    with pytest.raises(NotFoundError):
        storage.open("memory://shared-test", create=False, principal=Principal.system())
    with (
        storage.open("memory://", principal=Principal.system()) as one,
        storage.open("memory://", principal=Principal.system()) as two,
    ):
        one.import_directory(small_directory())
        assert two.services.count() == 0


@attrs.frozen
class Note:
    """A model that arrives in a later issue, stored without any backend change."""

    id: str
    agency_id: str
    tags: frozenset[str] = frozenset()
    text: str = ""


NOTES: RecordType[Note] = RecordType(
    kind="note",
    model=Note,
    id_of=lambda note: note.id,
    label="note",
    index=lambda note: [("tag", tag) for tag in note.tags],
    references=lambda note: [Reference("agency_id", "agency", note.agency_id)],
)


@pytest.mark.parametrize("url", ["memory://", "sqlite"])
def test_a_new_record_type_needs_no_backend_change(url: str, tmp_path: Path) -> None:
    if url == "sqlite":
        url = f"sqlite:///{tmp_path}/notes.db"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(small_directory())
        notes = store.repository(NOTES)
        first = notes.put(Note("n1", "halfway", frozenset({"urgent", "housing"}), "電話する"))
        notes.put(Note("n2", "hw-shinjuku", frozenset({"housing"})))
        with pytest.raises(ValidationError) as caught:
            notes.put(Note("n3", "nobody"))
        assert caught.value.paths == ["agency_id"]
        assert [n.value.id for n in notes.where("tag", "housing")] == ["n1", "n2"]
        assert notes.where("tag", ["urgent"]) == [first]
        with pytest.raises(ConflictError, match="note 'n1'"):
            store.agencies.delete("halfway", expected_version=storage.ANY_VERSION)
        store.import_directory(small_directory())  # the agencies are still there
        with pytest.raises(ConflictError):
            store.import_directory(Directory())  # would orphan the notes
        assert store.agencies.count() == 4
        assert notes.count() == 2
        assert store.integrity_check() == []
        with pytest.raises(ValidationError):
            store.repository("note")  # type: ignore[arg-type]


def test_versioned_and_progress_values() -> None:
    assert Versioned("x", 3).version == 3
    assert ImportProgress(0, 0).fraction == 1.0
    assert ImportProgress(1, 4).fraction == 0.25


def test_record_contents_never_reach_the_log(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    secret = "秘密の相談内容-" + HOSTILE_STRINGS[0]
    directory = small_directory()
    agency = attrs.evolve(directory.agencies[0], operator=secret)
    directory = attrs.evolve(directory, agencies=(agency, *directory.agencies[1:]))
    with (
        caplog.at_level(logging.DEBUG),
        storage.open(f"sqlite:///{tmp_path}/s.db", principal=Principal.system()) as store,
    ):
        store.import_directory(directory)
        stored = store.agencies.get(agency.id)
        store.agencies.put(stored.value, expected_version=stored.version)
        with pytest.raises(ConflictError) as caught:
            store.agencies.put(stored.value, expected_version=stored.version)
    assert caplog.records, "the import is logged (without contents)"
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert secret not in str(caught.value)


# -- the cache of decoded records -------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True, [3]])
def test_a_bad_decoded_cache_is_refused_before_anything_is_opened(
    tmp_path: Path, bad: object
) -> None:
    path = tmp_path / "never.db"
    with pytest.raises(ValidationError) as caught:
        storage.open(f"sqlite:///{path}", decoded_cache=bad)  # type: ignore[arg-type]
    assert [item.path for item in caught.value.errors] == ["decoded_cache"]
    assert not path.exists()


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_a_store_keeps_at_most_decoded_cache_records_and_reads_the_same(limit: int) -> None:
    directory = sample_directory()
    with storage.open("memory://", principal=Principal.system(), decoded_cache=limit) as small:
        small.import_directory(directory)
        ids = [service.id for service in directory.services[:10]]
        first = [small.services.get(id).value for id in ids]
        again = [small.services.get(id).value for id in ids]
        assert first == again == list(directory.services[:10])
        assert len(small._decoded) <= limit
    with storage.open("memory://", principal=Principal.system()) as default:
        default.import_directory(directory)
        for id in ids:
            default.services.get(id)
        assert len(default._decoded) == len(ids)  # the default keeps far more than ten

"""``saihan export`` and ``saihan import``, generically over the installed formats we know."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from _builders import small_directory
from saihan import plugins, storage
from saihan.access import Principal
from saihan.cli import main, progress
from saihan.directory import Directory, sample_directory
from saihan.errors import StorageError, ValidationError
from saihan.testing import directories

FORMATS = ["json", "opendata-csv", "hsds", "hsds-tabular"]


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the English summaries and errors (``SAIHAN_LANG=en``, as
    ``--lang en``); tests/test_cli_import_words.py reads both languages."""
    monkeypatch.setenv("SAIHAN_LANG", "en")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/store.db"
    monkeypatch.setenv("SAIHAN_STORE_URL", url)
    return url


def _ids(directory: Directory) -> tuple[set[str], set[str]]:
    return {a.id for a in directory.agencies}, {s.id for s in directory.services}


@pytest.mark.parametrize("name", FORMATS)
def test_export_then_import_into_the_default_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str, name: str
) -> None:
    path = tmp_path / f"out.{name}"
    code, _, err = run(capsys, "export", "--format", name, "-o", str(path))
    assert code == 0, err
    report = tmp_path / "report.json"
    code, _, err = run(
        capsys, "import", "--format", name, str(path), "--report", str(report), "--progress", "none"
    )
    assert code == 0, err
    assert "imported" in err
    assert store_url in err
    with storage.open(store_url, principal=Principal.system()) as store:
        assert _ids(store.load_directory())[1] == _ids(sample_directory())[1]
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["format"] == name
    assert written["loaded"]["services"] == len(sample_directory().services)


@pytest.mark.parametrize("name", FORMATS)
def test_export_from_a_file_and_from_a_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str, name: str
) -> None:
    source = tmp_path / "in.json"
    source.write_bytes(plugins.exporter("json").export(small_directory()))
    from_file, from_store = tmp_path / "a", tmp_path / "b"
    assert run(capsys, "export", "--format", name, "-i", str(source), "-o", str(from_file))[0] == 0
    with storage.open(store_url, principal=Principal.system()) as store:
        store.import_directory(small_directory())
    code, _, err = run(
        capsys, "export", "--format", name, "--store", store_url, "-o", str(from_store)
    )
    assert code == 0, err

    def services(path: Path) -> dict[str, object]:
        return {s.id: s for s in plugins.importer(name).load(path.read_bytes()).services}

    assert services(from_file) == services(from_store)
    assert len(services(from_file)) == len(small_directory().services)


def test_plugin_options_reach_the_exporter(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "out.csv"
    code, _, err = run(
        capsys, "export", "--format", "opendata-csv", "--option", "bom=true", "-o", str(path)
    )
    assert code == 0, err
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    code, _, err = run(capsys, "export", "--format", "opendata-csv", "--option", "colour=1")
    assert code == 1
    assert "takes no option 'colour'" in err


def test_encoding_flag_writes_and_reads_cp932(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str
) -> None:
    path = tmp_path / "facilities.csv"
    code, _, err = run(
        capsys, "export", "--format", "opendata-csv", "--encoding", "cp932", "-o", str(path)
    )
    assert code == 0, err
    data = path.read_bytes()
    assert data.decode("cp932").startswith("全国地方公共団体コード,法人番号,ID")
    code, _, err = run(capsys, "import", "--format", "opendata-csv", str(path))
    assert code == 1  # read as UTF-8 by default, and the message says what to do
    assert "--encoding cp932" in err
    code, _, err = run(
        capsys, "import", "--format", "opendata-csv", "--encoding", "cp932", str(path)
    )
    assert code == 0, err
    with storage.open(store_url, principal=Principal.system()) as store:
        assert _ids(store.load_directory())[1] == _ids(sample_directory())[1]
    code, _, err = run(capsys, "export", "--format", "hsds", "--encoding", "cp932")
    assert code == 1
    assert "takes no option 'encoding'" in err


def test_a_zip_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "export", "--format", "opendata-csv", "--option", "per_municipality=true"
    )
    assert code == 1
    assert "give -o FILE" in err


def test_unknown_and_unfitting_formats_list_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "export", "--format", "nope")
    assert code == 1
    assert "installed:" in err
    assert "opendata-csv" in err
    code, _, err = run(capsys, "export", "--format", "ical")
    assert code == 1
    assert "exporters for Directory:" in err
    assert "json" in err


def _bad_csv(tmp_path: Path) -> Path:
    good = plugins.exporter("opendata-csv").export(small_directory()).decode("utf-8")
    header, first, *rest = good.split("\r\n")
    cells = first.split(",")
    cells[0] = "99999x"
    path = tmp_path / "bad.csv"
    path.write_text("\r\n".join([header, ",".join(cells), *rest]), encoding="utf-8", newline="")
    return path


def test_a_failed_strict_import_stores_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str
) -> None:
    with storage.open(store_url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
    code, _, err = run(capsys, "import", "--format", "opendata-csv", str(_bad_csv(tmp_path)))
    assert code == 1
    assert "row 2.全国地方公共団体コード" in err
    with storage.open(store_url, principal=Principal.system()) as store:
        assert _ids(store.load_directory()) == _ids(sample_directory())


def test_lenient_import_reports_the_skipped_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str
) -> None:
    report = tmp_path / "report.txt"
    code, _, err = run(
        capsys,
        "import", "--format", "opendata-csv", str(_bad_csv(tmp_path)), "--lenient",
        "--report", str(report), "--store", store_url,
    )  # fmt: skip
    assert code == 0, err
    assert "skipped 1 record(s)" in err
    text = report.read_text(encoding="utf-8")
    assert "row 2.全国地方公共団体コード" in text
    assert text.startswith("opendata-csv: loaded")


def test_a_failed_write_leaves_the_store_unchanged(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with storage.open(store_url, principal=Principal.system()) as store:
        store.import_directory(small_directory())
    path = tmp_path / "sample.json"
    path.write_bytes(plugins.exporter("json").export(sample_directory()))

    def failing(written: storage.ImportProgress) -> None:
        if written.done:
            raise StorageError("the disk is full")

    monkeypatch.setattr(progress.Steps, "records", lambda self, description: failing)
    code, _, err = run(capsys, "import", str(path), "--progress", "bar")
    assert code == 1
    assert "the disk is full" in err
    with storage.open(store_url, principal=Principal.system()) as store:
        assert _ids(store.load_directory()) == _ids(small_directory())


def test_lenient_with_a_strict_only_importer_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str
) -> None:
    path = tmp_path / "x.ics"
    path.write_bytes(b"")
    code, _, err = run(capsys, "import", "--format", "ical", str(path), "--lenient")
    assert code == 1
    assert "importers for Directory:" in err


def test_import_of_a_missing_file(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    code, _, err = run(capsys, "import", "/nonexistent/file.csv")
    assert code == 1
    assert "cannot read" in err


# -- the json importer's lenient mode ----------------------------------------------------


def _document() -> dict[str, object]:
    data = plugins.exporter("json").export(sample_directory(), include_confidential=True)
    document: dict[str, object] = json.loads(data)
    return document


def test_json_lenient_skips_bad_agencies_their_services_and_bad_services() -> None:
    document = _document()
    agencies, services = document["agencies"], document["services"]
    assert isinstance(agencies, list)
    assert isinstance(services, list)
    agencies[0]["kind"] = "nope"
    services[5]["needs"] = ["nope"]
    services[6]["id"] = "BAD ID"
    data = json.dumps(document).encode()
    with pytest.raises(ValidationError):
        plugins.importer("json").load(data)
    result = plugins.import_with_report(plugins.importer("json"), data, lenient=True)
    reasons = {s.record: [str(e) for e in s.errors] for s in result.report.skipped}
    assert reasons["agencies[0]"] == ["agencies[0].kind: unknown agency kind 'nope'"]
    gone = agencies[0]["id"]
    orphans = [f"services[{i}]" for i, s in enumerate(services) if s["agency_id"] == gone]
    assert orphans
    for where in orphans:
        assert reasons[where] == [f"{where}.agency_id: its agency {gone!r} was skipped"]
    assert reasons["services[5]"] == ["services[5].needs[0]: unknown need 'nope'"]
    assert reasons["services[6]"][0].startswith("services[6].id:")
    loaded = {s.id for s in result.value.services}
    assert loaded == {s["id"] for i, s in enumerate(services) if f"services[{i}]" not in reasons}


def test_json_lenient_refuses_what_it_cannot_skip() -> None:
    document = _document()
    document["meta"] = {"name": 3}
    with pytest.raises(ValidationError) as caught:
        plugins.import_with_report(
            plugins.importer("json"), json.dumps(document).encode(), lenient=True
        )
    assert caught.value.paths[0].startswith("meta")
    with pytest.raises(ValidationError, match="not valid JSON"):
        plugins.import_with_report(plugins.importer("json"), b"{", lenient=True)


@settings(max_examples=30, deadline=None)
@given(directories())
def test_json_lenient_equals_strict_on_good_documents(directory: Directory) -> None:
    data = plugins.exporter("json").export(directory, include_confidential=True)
    strict = plugins.import_with_report(plugins.importer("json"), data)
    lenient = plugins.import_with_report(plugins.importer("json"), data, lenient=True)
    assert strict.value == lenient.value == directory
    assert lenient.report.skipped == ()
    assert lenient.report.loaded == {
        "agencies": len(directory.agencies),
        "services": len(directory.services),
    }

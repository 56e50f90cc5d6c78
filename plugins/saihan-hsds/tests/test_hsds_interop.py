"""HSDS as other systems read it: the official schemas (jsonschema), the official
datapackage (Frictionless), status, schedule descriptions, language, pages and merging."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import attrs
import frictionless
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from saihan_hsds import HsdsExporter, HsdsImporter, HsdsTabularExporter, HsdsTabularImporter

from saihan import storage
from saihan.cli import main
from saihan.directory import Directory, ServiceStatus, merge_directories, sample_directory
from saihan.errors import ValidationError

DATA = Path(__file__).parent / "data"
EXAMPLES = DATA / "hsds-3.1-examples"
# The official JSON Schemas as the core's tests hold them (a copy independent of the bundle).
OFFICIAL = Path(__file__).resolve().parents[3] / "tests" / "data" / "hsds-3.1" / "schema"
SERVICE = "adachi-hogoshi-kai-support-center"


def _official(name: str) -> Draft202012Validator:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text("utf-8")), DRAFT202012))
        for path in OFFICIAL.glob("*.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((OFFICIAL / f"{name}.json").read_text("utf-8"))
    return Draft202012Validator(schema, registry=registry)


def _with(directory: Directory, service_id: str, **changes: Any) -> Directory:
    services = [attrs.evolve(s, **changes) if s.id == service_id else s for s in directory.services]
    return attrs.evolve(directory, services=services)


def test_the_json_export_validates_against_the_official_schemas() -> None:
    document = json.loads(HsdsExporter().export(sample_directory()))
    organization, service, term = (
        _official("organization"),
        _official("service"),
        _official("taxonomy_term"),
    )
    assert document["contents"]
    for org in document["contents"]:
        assert [e.message for e in organization.iter_errors(org)] == []
        for item in org["services"]:
            assert [e.message for e in service.iter_errors(item)] == []
    for item in document["taxonomy_terms"]:
        assert [e.message for e in term.iter_errors(item)] == []


def _unzipped(data: bytes, folder: Path) -> Path:
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder)
    return next(folder.rglob("datapackage.json"))


def test_the_tabular_export_is_a_valid_package_for_frictionless(tmp_path: Path) -> None:
    directory = _with(sample_directory(), SERVICE, status=ServiceStatus.TEMPORARILY_CLOSED)
    descriptor = _unzipped(HsdsTabularExporter().export(directory), tmp_path)
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "message"])
    with (descriptor.parent / "schedules.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        for name in ("opens_at", "closes_at"):
            assert re.fullmatch(r"\d\d:\d\d:\d\d\+09:00", row[name]), row[name]
    # Every official field is defined as the official datapackage defines it.
    official = json.loads((EXAMPLES / "csv" / "datapackage.json").read_text("utf-8"))
    ours = json.loads(descriptor.read_text("utf-8"))
    official_fields = {
        (r["name"], f["name"]): f for r in official["resources"] for f in r["schema"]["fields"]
    }
    for resource in ours["resources"]:
        for field in resource["schema"]["fields"]:
            key = (resource["name"], field["name"])
            if key in official_fields:
                assert field == official_fields[key]


def test_frictionless_refuses_a_time_without_seconds(tmp_path: Path) -> None:
    # The defect the seconds fix: `10:00+09:00` is not a Frictionless `time`.
    (tmp_path / "t.csv").write_text("opens_at\n10:00+09:00\n10:00:00+09:00\n", "utf-8")
    resource = frictionless.Resource(
        path="t.csv",
        basepath=str(tmp_path),
        schema=frictionless.Schema.from_descriptor(
            {"fields": [{"name": "opens_at", "type": "time"}]}
        ),
    )
    report = frictionless.validate(resource)
    assert [error.row_number for error in report.tasks[0].errors] == [2]


@pytest.mark.parametrize("status", list(ServiceStatus))
def test_status_is_exported_and_read_back(status: ServiceStatus) -> None:
    directory = _with(sample_directory(), SERVICE, status=status)
    document = json.loads(HsdsExporter().export(directory))
    (record,) = [
        s for org in document["contents"] for s in org["services"] if s["saihan_id"] == SERVICE
    ]
    assert record["status"] == status.value
    assert HsdsImporter().load(json.dumps(document).encode()).service(SERVICE).status is status
    tabular = HsdsTabularImporter().load(HsdsTabularExporter().export(directory))
    assert tabular.service(SERVICE).status is status


def _third_party() -> dict[str, Any]:
    service = json.loads((EXAMPLES / "service_full.json").read_text("utf-8"))
    service["schedules"] = [
        {
            "id": "2b0e4a36-5f53-4a0b-9a55-6c6b3f1d2a10",
            "freq": "WEEKLY",
            "byday": "MO,TU,WE,TH,FR",
            "opens_at": "09:00+09:00",
            "closes_at": "17:00+09:00",
            "description": "祝日と年末年始は休み",
        }
    ]
    return service


def test_a_temporarily_closed_third_party_service_is_closed() -> None:
    service = _third_party()
    service["status"] = "temporarily closed"
    loaded = HsdsImporter().load(json.dumps(service).encode()).services[0]
    assert loaded.status is ServiceStatus.TEMPORARILY_CLOSED
    assert loaded.hours is not None
    monday_10 = dt.datetime(2025, 2, 3, 10, tzinfo=loaded.hours.zone)
    assert loaded.hours.is_open(monday_10)  # its hours would say open
    assert loaded.is_open(monday_10) is False
    assert loaded.next_open(monday_10) is None


def test_a_schedule_description_survives_import_and_export() -> None:
    directory = HsdsImporter().load(json.dumps(_third_party()).encode())
    hours = directory.services[0].hours
    assert hours is not None
    assert hours.note is not None
    assert hours.note.ja == "祝日と年末年始は休み"
    document = json.loads(HsdsExporter().export(directory))
    (row,) = document["contents"][0]["services"][0]["schedules"]
    assert row["description"] == "祝日と年末年始は休み"


def test_english_text_goes_to_en_and_japanese_stays_ja() -> None:
    service = _third_party()
    service["description"] = "区内在住の方の相談窓口"
    loaded = HsdsImporter().load(json.dumps(service).encode()).services[0]
    assert loaded.name.en == "Community Counselling"
    assert loaded.description is not None
    assert loaded.description.en is None
    assert loaded.description.ja == "区内在住の方の相談窓口"


def _page(number: int, total: int, items: list[Any]) -> bytes:
    return json.dumps(
        {
            "total_items": total * len(items),
            "total_pages": total,
            "page_number": number,
            "size": len(items),
            "first_page": number == 1,
            "last_page": number == total,
            "empty": not items,
            "contents": items,
        }
    ).encode()


def _pages() -> tuple[bytes, bytes]:
    document = json.loads(HsdsExporter().export(sample_directory()))
    organizations = document["contents"]
    half = len(organizations) // 2
    return _page(1, 2, organizations[:half]), _page(2, 2, organizations[half:])


def test_a_page_of_several_is_reported_as_partial() -> None:
    first, _ = _pages()
    report = HsdsImporter().load_with_report(first).report
    assert any(note.startswith("partial: page 1 of 2") for note in report.not_carried)
    whole = HsdsImporter().load_with_report(HsdsExporter().export(sample_directory())).report
    assert not any(note.startswith("partial") for note in whole.not_carried)


def test_pages_merge_by_id_into_the_whole_directory() -> None:
    first, second = (HsdsImporter().load(page) for page in _pages())
    merged, conflicts = merge_directories(first, second)
    assert conflicts == ()
    whole = sample_directory()
    assert {s.id for s in merged.services} == {s.id for s in whole.services}
    assert {a.id for a in merged.agencies} == {a.id for a in whole.agencies}
    # The same service from two sources that disagree: the later wins, the conflict is listed.
    renamed = _with(second, second.services[0].id, url="https://example.org/changed")
    again, conflicts = merge_directories(second, renamed)
    assert conflicts == (
        f"service {second.services[0].id!r}: the sources differ in url; the later kept",
    )
    assert again.service(second.services[0].id).url == "https://example.org/changed"
    with pytest.raises(ValidationError):
        merge_directories(first, "not a directory")  # type: ignore[arg-type]


def test_saihan_import_merge_keeps_the_pages_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    paths = []
    for number, page in enumerate(_pages(), start=1):
        path = tmp_path / f"page{number}.json"
        path.write_bytes(page)
        paths.append(path)
    base = ["import", "--importer", "hsds", "--store", store, "--progress", "none", "--lang", "en"]
    base += ["--as", "system:system"]
    report = tmp_path / "report.json"
    assert main([*base, str(paths[0]), "--report", str(report)]) == 0
    assert any("partial" in n for n in json.loads(report.read_text("utf-8"))["not_carried"])
    assert main([*base, str(paths[1]), "--merge"]) == 0
    assert "merged into" in capsys.readouterr().err
    with storage.open(store) as opened:
        merged = opened.load_directory()
    assert {s.id for s in merged.services} == {s.id for s in sample_directory().services}
    # Without --merge the second page replaces the first.
    assert main([*base, str(paths[1])]) == 0
    with storage.open(store) as opened:
        replaced = opened.load_directory()
    assert len(replaced.services) < len(merged.services)


def test_merge_with_a_copy_changes_nothing() -> None:
    whole = sample_directory()
    merged, conflicts = merge_directories(whole, sample_directory(), whole)
    assert conflicts == ()
    assert merged == whole

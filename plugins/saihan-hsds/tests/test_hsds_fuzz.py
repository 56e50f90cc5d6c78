"""Hostile HSDS: corrupted JSON documents and tabular packages raise only saihan errors,
in bounded time and memory.

The valid inputs are our own exports of part of the sample directory, the official
HSDS 3.1 examples kept in ``data/`` (JSON, and the CSV folder zipped as a third
party's package) and the third-party document with errors.  ZIPs are also fuzzed
member by member (a member corrupted and the archive rebuilt), so that trials reach
the CSV and JSON readers behind the ZIP layer.
"""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from saihan_hsds import HsdsImporter, HsdsTabularImporter, read_document

from saihan import plugins
from saihan.directory import Directory, sample_directory
from saihan.errors import ValidationError
from saihan.limits import DEFAULT_LIMITS
from saihan.testing.corruption import (
    corrupted_bytes,
    corrupted_zip_members,
    survives,
    zip_bomb,
)

DATA = Path(__file__).parent / "data"
EXAMPLES = DATA / "hsds-3.1-examples"


def _part_of_sample() -> Directory:
    directory = sample_directory()
    agencies = directory.agencies[:3]
    ids = {agency.id for agency in agencies}
    return attrs.evolve(
        directory,
        agencies=agencies,
        services=[service for service in directory.services if service.agency_id in ids],
    )


def _official_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((EXAMPLES / "csv").iterdir()):
            archive.writestr(path.name, path.read_bytes())
    return buffer.getvalue()


PART = _part_of_sample()
JSON_DOCUMENTS = [
    plugins.exporter("hsds").export(PART, indent=0),
    (EXAMPLES / "organization_full.json").read_bytes(),
    (EXAMPLES / "service_at_location_list.json").read_bytes(),
    (DATA / "third_party_with_errors.json").read_bytes(),
]
PACKAGES = [plugins.exporter("hsds-tabular").export(PART), _official_package()]
_json, _tabular = HsdsImporter(), HsdsTabularImporter()


def _load_json(data: bytes, lenient: bool) -> None:
    plugins.import_with_report(_json, data, lenient=lenient)


def _load_tabular(data: bytes, lenient: bool) -> None:
    plugins.import_with_report(_tabular, data, lenient=lenient)


def test_the_valid_inputs_load() -> None:
    for data in JSON_DOCUMENTS:
        _load_json(data, lenient=True)
    for data in PACKAGES:
        _load_tabular(data, lenient=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(JSON_DOCUMENTS).flatmap(corrupted_bytes), st.booleans())
def test_corrupted_hsds_json_raises_only_saihan_errors(data: bytes, lenient: bool) -> None:
    survives(lambda d: _load_json(d, lenient), data, seconds=10)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PACKAGES).flatmap(corrupted_zip_members), st.booleans())
def test_corrupted_hsds_packages_raise_only_saihan_errors(data: bytes, lenient: bool) -> None:
    survives(lambda d: _load_tabular(d, lenient), data, seconds=10)


# -- reproducers ------------------------------------------------------------------------


def _paths(error: ValidationError) -> list[str]:
    return [item.path for item in error.errors]


def test_a_lone_surrogate_as_a_json_escape_is_refused_with_its_path() -> None:
    document = json.loads(JSON_DOCUMENTS[0])
    document["contents"][0]["name"] = "PLACEHOLDER"
    data = json.dumps(document).replace("PLACEHOLDER", "\\ud800").encode()
    with pytest.raises(ValidationError, match="lone surrogate") as caught:
        _json.load(data)
    assert _paths(caught.value) == ["contents[0].name"]


def test_a_lone_surrogate_in_text_is_refused() -> None:
    text = JSON_DOCUMENTS[0].decode("utf-8").replace('"name": "', '"name": "\ud800', 1)
    with pytest.raises(ValidationError, match="lone surrogate"):
        _json.load(text)  # type: ignore[arg-type]


def test_a_lone_surrogate_in_a_python_document_is_refused() -> None:
    document = json.loads(JSON_DOCUMENTS[0])
    document["contents"][0]["services"][0]["name"] = "\udcff"
    with pytest.raises(ValidationError, match="lone surrogate") as caught:
        read_document(document)
    assert _paths(caught.value) == ["contents[0].services[0].name"]


def test_huge_integers_are_refused() -> None:
    data = JSON_DOCUMENTS[0].replace(b'"contents":', b'"x":' + b"9" * 5000 + b',"contents":', 1)
    with pytest.raises(ValidationError, match="digits"):
        _json.load(data)


def test_a_long_string_where_an_array_is_expected_is_reported_fast() -> None:
    document = json.loads(JSON_DOCUMENTS[0])
    for organization in document["contents"]:
        organization["services"] = "x" * DEFAULT_LIMITS.max_string_length
        organization["phones"] = "y" * DEFAULT_LIMITS.max_string_length
    data = json.dumps(document).encode()
    start = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        _json.load(data)
    assert time.perf_counter() - start < 3
    assert "contents[0].phones" in _paths(caught.value)
    assert all(len(item.message) < 300 for item in caught.value.errors)


@pytest.mark.parametrize("field", ["weekly", "closures", "special_openings"])
def test_a_long_string_where_a_calendar_list_is_expected_is_reported_fast(field: str) -> None:
    document = json.loads(JSON_DOCUMENTS[0])
    services = [s for o in document["contents"] for s in o.get("services", []) if "hours" in s]
    services[0]["hours"][field] = "x" * DEFAULT_LIMITS.max_string_length
    start = time.perf_counter()
    with pytest.raises(ValidationError, match="expected array") as caught:
        _json.load(json.dumps(document).encode())
    assert time.perf_counter() - start < 3
    assert [item.path.rsplit(".", 1)[-1] for item in caught.value.errors] == [field]


def test_schema_errors_per_record_are_capped() -> None:
    document = json.loads(JSON_DOCUMENTS[0])
    document["contents"][0]["phones"] = [5] * 50
    small = attrs.evolve(DEFAULT_LIMITS, max_errors=10)
    with pytest.raises(ValidationError) as caught:
        _json.load(json.dumps(document).encode(), limits=small)
    phone_errors = [item for item in caught.value.errors if "phones" in item.path]
    assert len(phone_errors) == small.max_errors  # not 50: iteration stops at the cap
    assert len(caught.value.errors) == small.max_errors + 1


def test_limits_apply_to_json() -> None:
    small = attrs.evolve(DEFAULT_LIMITS, max_document_bytes=1000)
    with pytest.raises(ValidationError, match="limit"):
        _json.load(JSON_DOCUMENTS[0], limits=small)
    deep = b"[" * 100 + b"]" * 100
    with pytest.raises(ValidationError, match="nested"):
        _json.load(deep)


def _package(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("lying_header", [False, True])
def test_a_zip_bomb_is_refused_in_little_memory(lying_header: bool) -> None:
    size = 80 * 1024 * 1024
    bomb = zip_bomb("organizations.csv", size, lying_header=lying_header)
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as caught:
            _tabular.load(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size // 8
    assert _paths(caught.value) == ["organizations.csv"]


def test_a_corrupt_member_is_refused_by_name() -> None:
    package = bytearray(_package(_members(PACKAGES[0]), zipfile.ZIP_STORED))
    with zipfile.ZipFile(io.BytesIO(bytes(package))) as archive:
        info = archive.getinfo("organizations.csv")
    # A stored member's content follows its 30-byte local header and its name.
    package[info.header_offset + 30 + len(info.filename) + 5] ^= 0x20
    with pytest.raises(ValidationError, match="CRC") as caught:
        _tabular.load(bytes(package))
    assert _paths(caught.value) == ["organizations.csv"]


def test_too_many_members_are_refused() -> None:
    members = {f"extra{number}.txt": b"" for number in range(DEFAULT_LIMITS.max_zip_members + 1)}
    with pytest.raises(ValidationError, match="member count"):
        _tabular.load(_package(members))


def test_too_many_rows_are_refused_with_the_file() -> None:
    members = _members(PACKAGES[0])
    rows = members["organizations.csv"].rstrip(b"\r\n").split(b"\r\n")
    members["organizations.csv"] = b"\r\n".join(rows + [rows[1]] * 60) + b"\r\n"
    small = attrs.evolve(DEFAULT_LIMITS, max_collection_size=50)
    with pytest.raises(ValidationError, match="max_collection_size") as caught:
        _tabular.load(_package(members), limits=small)
    assert _paths(caught.value)[0].startswith("organizations.csv[")


def test_a_deep_json_cell_is_a_cell_error_not_a_crash() -> None:
    members = _members(PACKAGES[0])
    header, first, *rest = members["services.csv"].decode().split("\r\n")
    columns = header.split(",")
    assert "hours" in columns, "the sample's services.csv should carry an hours column"
    cells = next(csv_rows(first))
    cells[columns.index("hours")] = "[" * 5000
    members["services.csv"] = "\r\n".join([header, _csv_line(cells), *rest]).encode()
    with pytest.raises(ValidationError) as caught:
        _tabular.load(_package(members))
    assert any(item.path.startswith("services.csv[2]") for item in caught.value.errors)


def csv_rows(text: str) -> io.TextIOBase:
    import csv

    return csv.reader(io.StringIO(text))  # type: ignore[return-value]


def _csv_line(cells: list[str]) -> str:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def test_strict_errors_are_listed_up_to_max_errors() -> None:
    document = json.loads(JSON_DOCUMENTS[0])
    for organization in document["contents"]:
        organization["phones"] = [5] * 4
    small = attrs.evolve(DEFAULT_LIMITS, max_errors=3)
    with pytest.raises(ValidationError) as caught:
        _json.load(json.dumps(document).encode(), limits=small)
    assert len(caught.value.errors) == 4
    assert caught.value.errors[-1].message.startswith("... and ")

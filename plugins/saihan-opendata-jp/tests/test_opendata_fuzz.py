"""Hostile open-data facility lists: corrupted CSV files and ZIPs of them raise only
saihan errors, in bounded time and memory.

The valid inputs are our own exports of the sample directory: one CSV (with and
without a BOM) and the per-municipality ZIP, whose members are also corrupted one at
a time inside a rebuilt archive so that trials reach the CSV reader.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from saihan_opendata_jp import COLUMNS, OpendataCsvExporter, OpendataCsvImporter

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

_exporter, _importer = OpendataCsvExporter(), OpendataCsvImporter()


def _part_of_sample() -> Directory:
    directory = sample_directory()
    agencies = directory.agencies[:12]
    ids = {agency.id for agency in agencies}
    return attrs.evolve(
        directory,
        agencies=agencies,
        services=[service for service in directory.services if service.agency_id in ids],
    )


PART = _part_of_sample()
CSV_FILES = [_exporter.export(PART), _exporter.export(PART, bom=True)]
ZIP_FILE = _exporter.export(PART, per_municipality=True)


def _load(data: bytes, lenient: bool) -> None:
    plugins.import_with_report(_importer, data, lenient=lenient)


def test_the_valid_inputs_load() -> None:
    assert ZIP_FILE.startswith(b"PK")
    for data in [*CSV_FILES, ZIP_FILE]:
        assert _importer.load(data).services


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CSV_FILES).flatmap(corrupted_bytes), st.booleans())
def test_corrupted_csv_raises_only_saihan_errors(data: bytes, lenient: bool) -> None:
    survives(lambda d: _load(d, lenient), data, seconds=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_zip_members(ZIP_FILE), st.booleans())
def test_corrupted_zip_raises_only_saihan_errors(data: bytes, lenient: bool) -> None:
    survives(lambda d: _load(d, lenient), data, seconds=10)


# -- reproducers ------------------------------------------------------------------------


def _archive(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _paths(data: bytes, **options: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        _importer.load(data, **options)
    return [item.path for item in caught.value.errors]


@pytest.mark.parametrize("lying_header", [False, True])
def test_a_zip_bomb_is_refused_in_little_memory(lying_header: bool) -> None:
    size = 80 * 1024 * 1024
    bomb = zip_bomb("131016.csv", size, lying_header=lying_header)
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        paths = _paths(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size // 8
    assert paths == ["131016.csv"]


def test_a_corrupt_member_is_refused_by_name() -> None:
    package = bytearray(_archive({"131016.csv": CSV_FILES[0]}, zipfile.ZIP_STORED))
    with zipfile.ZipFile(io.BytesIO(bytes(package))) as archive:
        info = archive.getinfo("131016.csv")
    package[info.header_offset + 30 + len(info.filename) + 5] ^= 0x20  # in the content
    with pytest.raises(ValidationError, match="CRC") as caught:
        _importer.load(bytes(package))
    assert [item.path for item in caught.value.errors] == ["131016.csv"]


def test_too_many_members_are_refused() -> None:
    members = {f"{number}.csv": b"" for number in range(DEFAULT_LIMITS.max_zip_members + 1)}
    with pytest.raises(ValidationError, match="member count"):
        _importer.load(_archive(members))


def test_a_wide_header_is_refused_fast() -> None:
    # Columns were once counted pairwise: 50,000 of them took minutes.
    header = ",".join([*COLUMNS, *("x" * 50_000)])
    start = time.perf_counter()
    assert _paths(header.encode()) == ["header"]
    assert time.perf_counter() - start < 2


def test_rows_past_the_limit_are_refused_with_the_row() -> None:
    rows = CSV_FILES[0].rstrip(b"\r\n").split(b"\r\n")
    data = b"\r\n".join([*rows, *([rows[1]] * 30)]) + b"\r\n"
    small = attrs.evolve(DEFAULT_LIMITS, max_collection_size=len(rows) + 10)
    paths = _paths(data, limits=small)
    # rows holds the header: the first record past the limit is spreadsheet row limit + 2
    assert paths == [f"row {len(rows) + 12}"]


def test_rows_of_all_the_files_of_a_zip_count_together() -> None:
    rows = CSV_FILES[0].rstrip(b"\r\n").split(b"\r\n")
    thirty = b"\r\n".join([rows[0], *([rows[1]] * 30)]) + b"\r\n"
    # Each file is under the limit, the two together are not.
    small = attrs.evolve(DEFAULT_LIMITS, max_collection_size=40)
    archive = _archive({"131016.csv": thirty, "131024.csv": thirty})
    assert _paths(archive, limits=small) == ["131024.csv"]


def test_a_long_cell_is_refused_with_its_row() -> None:
    rows = CSV_FILES[0].rstrip(b"\r\n").split(b"\r\n")
    data = b"\r\n".join([rows[0], rows[1] + b"," + b"x" * 200]) + b"\r\n"
    assert _paths(data, limits=attrs.evolve(DEFAULT_LIMITS, max_string_length=100)) == ["row 2"]


def test_the_document_size_limit_applies_to_a_csv_and_to_members() -> None:
    small = attrs.evolve(DEFAULT_LIMITS, max_document_bytes=1000)
    with pytest.raises(ValidationError, match="max_document_bytes"):
        _importer.load(CSV_FILES[0], limits=small)
    archive = _archive({"131016.csv": CSV_FILES[0]})
    small_members = attrs.evolve(DEFAULT_LIMITS, max_zip_member_bytes=1000)
    assert _paths(archive, limits=small_members) == ["131016.csv"]


def test_limits_must_be_limits() -> None:
    with pytest.raises(ValidationError, match="limits"):
        _importer.load(CSV_FILES[0], limits={"max_document_bytes": 5})


def test_strict_errors_are_listed_up_to_max_errors() -> None:
    rows = CSV_FILES[0].rstrip(b"\r\n").split(b"\r\n")
    data = b"\r\n".join([rows[0], *([rows[1]] * 40)]) + b"\r\n"  # 39 duplicate IDs
    with pytest.raises(ValidationError) as caught:
        _importer.load(data, limits=attrs.evolve(DEFAULT_LIMITS, max_errors=5))
    assert len(caught.value.errors) == 6
    assert caught.value.errors[-1].message.startswith("... and ")

"""Properties: export then import keeps every carried field; nothing confidential leaves."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from saihan_opendata_jp import COLUMNS, OpendataCsvExporter, OpendataCsvImporter
from saihan_opendata_jp.columns import place_name
from saihan_opendata_jp.hours import simple_hours

from saihan import plugins
from saihan.directory import Channel, Directory
from saihan.testing import directories

EXPORTER = OpendataCsvExporter()
IMPORTER = OpendataCsvImporter()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def carried(directory: Directory, *, ordered: bool = True) -> dict[str, Any]:
    """Every field the facility list carries, per service, from the published directory."""
    public = directory.published()
    found: dict[str, Any] = {}
    for service in public.services:
        agency = public.agency(service.agency_id)
        phone = next(
            (c.value for c in public.contacts_of(service) if c.channel is Channel.PHONE), None
        )
        hours = None
        if service.hours is not None and (simple := simple_hours(service.hours)) is not None:
            hours = (simple, service.hours.note.ja if service.hours.note else None)
        places = []
        for location_id in service.location_ids:
            location = agency.location(location_id)
            assert location is not None
            places.append(
                (location_id, location.municipality_code, location.address.street, location.geo)
            )
        found[service.id] = (
            service.agency_id,
            agency.name.ja,
            service.name,
            service.description.ja if service.description else None,
            service.url,
            phone,
            hours,
            service.eligibility.note.ja if service.eligibility.note else None,
            tuple(places) if ordered else frozenset(places),
        )
    return found


@SETTINGS
@given(directories(), st.booleans())
def test_export_then_import_keeps_every_carried_field(directory: Directory, bom: bool) -> None:
    data = EXPORTER.export(directory, bom=bom)
    back = IMPORTER.load(data)
    assert carried(back) == carried(directory)
    # services come back in the directory's order
    assert [s.id for s in back.services] == [s.id for s in directory.services]


@SETTINGS
@given(directories())
def test_per_municipality_zip_round_trips_too(directory: Directory) -> None:
    data = EXPORTER.export(directory, per_municipality=True)
    back = IMPORTER.load(data)
    assert carried(back, ordered=False) == carried(directory, ordered=False)


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@SETTINGS
@given(directories())
def test_per_municipality_files_hold_the_same_rows_by_code(directory: Directory) -> None:
    whole = _rows(EXPORTER.export(directory))
    with zipfile.ZipFile(io.BytesIO(EXPORTER.export(directory, per_municipality=True))) as zf:
        parts = {name: _rows(zf.read(name)) for name in zf.namelist()}
    for name, rows in parts.items():
        assert rows
        assert {row["全国地方公共団体コード"] + ".csv" for row in rows} == {name}
    assert sorted(r["ID"] for rows in parts.values() for r in rows) == sorted(
        r["ID"] for r in whole
    )


@SETTINGS
@given(directories())
def test_confidential_places_publish_only_their_municipality(directory: Directory) -> None:
    rows = _rows(EXPORTER.export(directory))
    secret = {
        (agency.id, location.id): location
        for agency in directory.agencies
        for location in agency.locations
        if location.confidential
    }
    for row in rows:
        parts = row["ID"].split(":")
        if len(parts) == 3 and (parts[0], parts[2]) in secret:
            location = secret[parts[0], parts[2]]
            code = location.municipality_code
            assert row["緯度"] == row["経度"] == ""
            assert row["住所"] == location.address.prefecture + (place_name(code) or "")


@SETTINGS
@given(directories(), st.booleans(), st.booleans())
def test_bom_and_shape(directory: Directory, bom: bool, split: bool) -> None:
    plain = EXPORTER.export(directory)
    with_bom = EXPORTER.export(directory, bom=True)
    assert with_bom == b"\xef\xbb\xbf" + plain
    assert plain.decode("utf-8").split("\r\n", 1)[0] == ",".join(COLUMNS)
    assert EXPORTER.export(directory, bom=bom, per_municipality=split) == EXPORTER.export(
        directory, bom=bom, per_municipality=split
    )  # the same directory gives the same bytes


@SETTINGS
@given(directories(min_services=1))
def test_row_count_is_one_per_service_and_place(directory: Directory) -> None:
    rows = _rows(EXPORTER.export(directory))
    assert len(rows) == sum(max(1, len(s.location_ids)) for s in directory.services)
    assert len({row["ID"] for row in rows}) == len(rows)


def test_registered_by_entry_point_under_one_name() -> None:
    assert isinstance(plugins.exporter("opendata-csv", for_type=Directory), OpendataCsvExporter)
    assert isinstance(plugins.importer("opendata-csv", for_type=Directory), OpendataCsvImporter)

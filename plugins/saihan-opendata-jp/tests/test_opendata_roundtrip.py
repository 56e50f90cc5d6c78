"""Properties: export then import keeps every carried field; nothing confidential leaves."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from saihan_opendata_jp import COLUMNS, OpendataCsvExporter, OpendataCsvImporter
from saihan_opendata_jp.columns import decode_id, hiragana, place_name
from saihan_opendata_jp.hours import carried_part

from saihan import plugins
from saihan.directory import Channel, Directory
from saihan.schedule import BusinessCalendar, render_japanese_hours
from saihan.testing import directories

EXPORTER = OpendataCsvExporter()
IMPORTER = OpendataCsvImporter()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hours_carried(calendar: BusinessCalendar | None) -> Any:
    """What 利用可能日時特記事項 carries of a calendar: its undated weekly hours day by day,
    national holidays and annual closures (in Asia/Tokyo), and its note."""
    part = None if calendar is None else carried_part(calendar)
    if calendar is None or part is None or not render_japanese_hours(part):
        return None
    days = frozenset(
        (day, rule.opens, rule.closes, rule.weeks) for rule in part.weekly for day in rule.days
    )
    note = calendar.note.ja if calendar.note else None
    closures = frozenset((closure.start, closure.end) for closure in part.annual_closures)
    return days, part.closed_on_national_holidays, closures, note  # closure labels are not


def carried(directory: Directory, *, ordered: bool = True) -> dict[str, Any]:
    """Every field the facility list carries, per service, from the published directory."""
    public = directory.published()
    found: dict[str, Any] = {}
    for service in public.services:
        agency = public.agency(service.agency_id)
        phone = next(
            (c.value for c in public.contacts_of(service) if c.channel is Channel.PHONE), None
        )
        hours = hours_carried(service.hours)
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
            # no English name in 公共施設一覧; 名称_カナ is katakana, read back as hiragana
            (service.name.ja, hiragana(service.name.kana) if service.name.kana else None),
            service.description.ja if service.description else None,
            service.url,
            phone,
            hours,
            service.eligibility.note.ja if service.eligibility.note else None,
            tuple(places) if ordered else frozenset(places),
        )
    return found


# The facility's municipality is carried by its name in 住所, which saihan knows for
# Tokyo's 62 municipalities only (elsewhere: test_a_facility_outside_tokyo_...).
@SETTINGS
@given(directories(tokyo_only=True), st.booleans())
def test_export_then_import_keeps_every_carried_field(directory: Directory, bom: bool) -> None:
    data = EXPORTER.export(directory, bom=bom)
    back = IMPORTER.load(data)
    assert carried(back) == carried(directory)
    # services come back in the directory's order
    assert [s.id for s in back.services] == [s.id for s in directory.services]


@SETTINGS
@given(directories(tokyo_only=True))
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
    public = directory.published()
    for name, rows in parts.items():
        assert rows
        for row in rows:
            assert row["全国地方公共団体コード"] == "130001"  # the publisher, in every file
            ids = decode_id(row["ID"])
            assert ids is not None
            if ids[2] is not None:  # a row at a place is in its municipality's file
                location = public.agency(ids[0]).location(ids[2])
                assert location is not None
                assert f"{location.municipality_code}.csv" == name
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
        parts = decode_id(row["ID"])
        assert parts is not None
        if parts[2] is not None and (parts[0], parts[2]) in secret:
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


@SETTINGS
@given(directories(), st.sampled_from(["130001", "131130", "131121", "011002"]))
def test_ids_are_alphanumeric_stable_and_name_the_saihan_ids(
    directory: Directory, publisher: str
) -> None:
    options = {"publisher_code": publisher}
    if publisher == "011002":
        options["publisher_name"] = "北海道札幌市"
    rows = _rows(EXPORTER.export(directory, **options))
    again = _rows(EXPORTER.export(directory, **options))
    assert [r["ID"] for r in rows] == [r["ID"] for r in again]
    expected = [
        (service.agency_id, service.id, location_id)
        for service in directory.published().services
        for location_id in (service.location_ids or (None,))
    ]
    assert [decode_id(r["ID"]) for r in rows] == expected
    for row in rows:
        assert row["ID"].isascii()
        assert row["ID"].isalnum()
        # the common columns describe the publishing body, not the facility
        assert row["全国地方公共団体コード"] == publisher
        assert row["地方公共団体名"] == options.get(
            "publisher_name", {"130001": "東京都", "131130": "東京都渋谷区",
                               "131121": "東京都世田谷区"}.get(publisher)
        )  # fmt: skip


@SETTINGS
@given(directories())
def test_a_facility_outside_tokyo_keeps_its_prefecture(directory: Directory) -> None:
    """Outside Tokyo 住所 names no municipality saihan knows: the location gets the
    publisher's code when in its prefecture, else the prefecture's, and the report says so."""
    result = IMPORTER.load_with_report(EXPORTER.export(directory))
    back = result.value
    for service in directory.published().services:
        agency = directory.published().agency(service.agency_id)
        for location_id in service.location_ids:
            location = agency.location(location_id)
            again = back.agency(service.agency_id).location(location_id)
            assert location is not None
            assert again is not None
            assert again.address.prefecture == location.address.prefecture
            if place_name(location.municipality_code) is not None:
                assert again.municipality_code == location.municipality_code
            elif (found := place_name(again.municipality_code)) is not None:
                # a street that starts with a Tokyo municipality's name reads as it
                assert (location.address.street or "").startswith(found)
            else:
                assert again.municipality_code[2:5] == "000"  # Tokyo's or its prefecture's
                assert any("names no municipality" in text for text in result.report.not_carried)

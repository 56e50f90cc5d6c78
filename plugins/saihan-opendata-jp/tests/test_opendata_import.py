"""Example tests for every documented import behaviour: strict, lenient, clear messages."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from saihan_opendata_jp import COLUMNS, DEFAULTS, OpendataCsvExporter, OpendataCsvImporter
from saihan_opendata_jp.hours import format_days, format_time, parse_days, parse_time

from saihan.directory import sample_directory
from saihan.errors import ValidationError
from saihan.plugins import import_with_report
from saihan.schedule import Weekday
from saihan.testing import wall_times

IMPORTER = OpendataCsvImporter()
HEADER = ",".join(COLUMNS)


def row(**cells: str) -> str:
    base = {
        "全国地方公共団体コード": "131041",
        "ID": "shinjuku-desk:consult:main",
        "名称": "相談窓口",
        "団体名": "新宿区の窓口",
        "住所": "東京都新宿区歌舞伎町1-4-1",
        "緯度": "35.6938",
        "経度": "139.7034",
    }
    base.update(cells)
    return ",".join(base.get(column, "") for column in COLUMNS)


def csv_of(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


def errors_of(data: bytes) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        IMPORTER.load(data)
    return [str(item) for item in caught.value.errors]


def test_a_good_row_loads_with_the_documented_defaults() -> None:
    directory = IMPORTER.load(
        csv_of(
            row(
                利用可能曜日="月～金・祝",
                開始時間="9:00",
                終了時間="17:00",
                電話番号="03-1234-5678",
            )
        )
    )
    (service,) = directory.services
    assert service.needs == {"general"}
    assert len(service.audiences) == 4
    assert service.area.municipality_codes == {"131041"}
    assert service.hours is not None
    assert not service.hours.closed_on_national_holidays
    assert service.hours.weekly[0].days == {
        Weekday.MO,
        Weekday.TU,
        Weekday.WE,
        Weekday.TH,
        Weekday.FR,
    }
    (agency,) = directory.agencies
    assert agency.kind == "opendata-unclassified"
    assert agency.locations[0].address.street == "歌舞伎町1-4-1"
    assert agency.locations[0].address.prefecture == "東京都"


def test_the_report_lists_the_defaults_and_unused_columns() -> None:
    result = IMPORTER.load_with_report(csv_of(row(POIコード="1234")))
    assert set(DEFAULTS) <= set(result.report.not_carried)
    assert "POIコード (not carried): row 2" in result.report.not_carried
    assert result.report.loaded == {"agencies": 1, "services": 1, "rows": 1}


def test_strict_lists_every_bad_row_and_column() -> None:
    data = csv_of(
        row(),
        row(ID="a:b:c", 緯度="91", 経度="east"),
        row(
            ID="a:d",
            全国地方公共団体コード="131042",
            開始時間="25:00",
            利用可能曜日="月",
            終了時間="17:00",
        ),
        row(ID="a:e", 全国地方公共団体コード="13104"),
    )
    found = errors_of(data)
    assert any(e.startswith("row 3.緯度: '91' is outside -90..90") for e in found)
    assert any(e.startswith("row 3.経度: 'east' is not a number") for e in found)
    assert any(
        e.startswith("row 4.全国地方公共団体コード: '131042' has check digit 2") for e in found
    )
    assert any(e.startswith("row 4.開始時間: '25:00' is not a time") for e in found)
    assert any(e.startswith("row 5.全国地方公共団体コード: '13104' has 5 digits") for e in found)
    assert not any(e.startswith("row 2") for e in found)


def test_lenient_loads_the_good_rows_and_reports_the_skipped() -> None:
    data = csv_of(
        row(), row(ID="a:b:c", 緯度="91"), row(ID="x:y", 利用可能曜日="月", 開始時間="9:00")
    )
    result = import_with_report(IMPORTER, data, lenient=True)
    assert [s.id for s in result.value.services] == ["consult"]
    skipped = {s.record: [str(e) for e in s.errors] for s in result.report.skipped}
    assert skipped["row 3"] == ["row 3.緯度: '91' is outside -90..90"]
    assert skipped["row 4"] == ["row 4.終了時間: 利用可能曜日 is given, so 終了時間 is needed too"]


def test_duplicate_ids_and_conflicting_rows() -> None:
    found = errors_of(csv_of(row(), row(), row(ID="shinjuku-desk:consult:other", 名称="別の名前")))
    assert "row 3.ID: duplicate ID, first in row 2" in found
    assert any(e.startswith("row 4.名称: differs from row 2") for e in found)


def test_a_service_cannot_change_agency() -> None:
    found = errors_of(csv_of(row(), row(ID="other:consult:main", 団体名="他")))
    assert any(e.startswith("row 3.ID: service 'consult' belongs to agency") for e in found)


def test_missing_columns_are_named() -> None:
    data = "全国地方公共団体コード,ID,名称\r\n131041,a:b,x\r\n".encode()
    (message,) = errors_of(data)
    assert message.startswith("header: missing column(s) 法人番号, 地方公共団体名, 名称_カナ")
    assert "the facility list has these columns: 全国地方公共団体コード, 法人番号, ID" in message


def test_wrong_number_of_cells() -> None:
    assert errors_of(csv_of(row() + ",extra")) == ["row 2: has 24 cells, the header has 23 columns"]


def test_broken_quoting() -> None:
    (message,) = errors_of(csv_of(row(), row(名称='"unterminated')))
    assert message.startswith("row 3: broken quoting near line 3")


def test_shift_jis_is_recognised() -> None:
    (message,) = errors_of(csv_of(row()).decode("utf-8").encode("cp932"))
    assert "this looks like Shift_JIS; read it with encoding=cp932" in message


def test_utf16_and_other_bytes() -> None:
    assert "UTF-16" in errors_of(csv_of(row()).decode().encode("utf-16"))[0]
    assert "save it as UTF-8" in errors_of(b"\x80\x81\xfe")[0]


def test_empty_file() -> None:
    assert errors_of(b"")[0].startswith("<root>: the file is empty")


def test_a_bom_and_full_width_codes_are_accepted() -> None:
    data = b"\xef\xbb\xbf" + csv_of(row(全国地方公共団体コード="１３１０４１"))
    assert IMPORTER.load(data).agencies[0].locations[0].municipality_code == "131041"


def test_unknown_options_and_kinds_are_refused() -> None:
    with pytest.raises(ValidationError, match="takes no option 'colour'"):
        IMPORTER.load(csv_of(row()), colour="red")
    with pytest.raises(ValidationError, match="not a bundled agency kind"):
        IMPORTER.load(csv_of(row()), agency_kind="nope")
    assert IMPORTER.load(csv_of(row()), agency_kind="welfare_office").agencies[0].kind == (
        "welfare_office"
    )


def test_saihan_ids_are_read_from_the_alphanumeric_id_and_the_old_form() -> None:
    for written in ("shinjukuHdeskZconsultZmain", "shinjuku-desk:consult:main"):
        directory = IMPORTER.load(csv_of(row(ID=written)))
        assert directory.services[0].id == "consult"
        assert directory.agencies[0].id == "shinjuku-desk"
        assert directory.agencies[0].locations[0].id == "main"


@pytest.mark.parametrize(
    ("code", "valid"),
    [("131130", True), ("131121", True), ("130001", True), ("131131", False),
     ("131120", False), ("130002", False)],
)  # fmt: skip
def test_the_publisher_code_check_digit_on_export_and_import(code: str, valid: bool) -> None:
    """Shibuya 13113 (S = 66, digit 0) and Setagaya 13112 (S = 64, digit 1) are the
    edges of (11 - S mod 11) mod 10."""
    exporter = OpendataCsvExporter()
    if valid:
        data = exporter.export(sample_directory(), publisher_code=code)
        assert {r.split(",")[0] for r in data.decode().split("\r\n")[1:] if r} == {code}
        assert IMPORTER.load(csv_of(row(全国地方公共団体コード=code))).services
        return
    with pytest.raises(ValidationError) as caught:
        exporter.export(sample_directory(), publisher_code=code)
    assert caught.value.errors[0].path == "publisher_code"
    assert "全国地方公共団体コード" in str(caught.value)
    found = errors_of(csv_of(row(), row(ID="a:b", 全国地方公共団体コード=code)))
    prefix = f"row 3.全国地方公共団体コード: {code!r} has check digit"
    assert any(e.startswith(prefix) for e in found)


def test_the_publisher_is_named_and_its_corporate_number_checked() -> None:
    exporter = OpendataCsvExporter()
    with pytest.raises(ValidationError, match="publisher_name") as caught:
        exporter.export(sample_directory(), publisher_code="011002")
    assert caught.value.errors[0].path == "publisher_name"
    data = exporter.export(
        sample_directory(),
        publisher_code="011002",
        publisher_name="北海道札幌市",
        corporate_number="7000012050002",
    )
    first = data.decode().split("\r\n")[1].split(",")
    assert first[:2] == ["011002", "7000012050002"]
    assert first[3] == "北海道札幌市"
    with pytest.raises(ValidationError, match="check digit 8, expected 7") as caught:
        exporter.export(sample_directory(), corporate_number="8000012050002")
    assert caught.value.errors[0].path == "corporate_number"


def test_third_party_ids_become_one_agency_each() -> None:
    directory = IMPORTER.load(csv_of(row(ID="JJ0100022200")))
    assert directory.services[0].id == "jj0100022200"
    assert directory.agencies[0].locations[0].id == "main"


def test_zip_paths_name_the_file() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("131041.csv", csv_of(row(緯度="x")))
    found = errors_of(buffer.getvalue())
    assert found[0].startswith("131041.csv row 2.緯度:")


def test_the_sample_round_trips_in_both_shapes() -> None:
    exporter = OpendataCsvExporter()
    sample = sample_directory()
    for split in (False, True):
        back = IMPORTER.load(exporter.export(sample, per_municipality=split))
        assert {s.id for s in back.services} == {s.id for s in sample.services}


def test_exporter_refuses_confidential_and_bad_options() -> None:
    exporter = OpendataCsvExporter()
    with pytest.raises(ValidationError, match="never carries confidential"):
        exporter.export(sample_directory(), include_confidential=True)
    with pytest.raises(ValidationError, match="publisher_code"):
        exporter.export(sample_directory(), publisher_code="130002")
    with pytest.raises(ValidationError, match="takes no option"):
        exporter.export(sample_directory(), delimiter=";")


@given(st.frozensets(st.sampled_from(list(Weekday)), min_size=1), st.booleans())
def test_days_round_trip(days: frozenset[Weekday], holidays: bool) -> None:
    assert parse_days(format_days(days, holidays)) == (days, holidays)


@given(wall_times(step_minutes=1))
def test_times_round_trip(value: object) -> None:
    assert parse_time(format_time(value)) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["月曜", "X", "", "月～X"])
def test_bad_days_are_refused(text: str) -> None:
    if text == "月曜":
        assert parse_days(text) == (frozenset({Weekday.MO}), False)
        return
    with pytest.raises(ValueError, match="day"):
        parse_days(text)


def test_24_00_is_midnight() -> None:
    assert format_time(parse_time("24:00")) == "00:00"
    with pytest.raises(ValueError, match="24:00 is the latest"):
        parse_time("24:30")


def test_a_24_hour_service_is_written_0_to_24_and_read_back() -> None:
    from saihan_opendata_jp.hours import format_closing

    from saihan.schedule import BusinessCalendar, WeeklyHours

    calendar = BusinessCalendar(weekly=[WeeklyHours.of("MO-SU", "00:00", "00:00")])
    assert format_closing(calendar.weekly[0].closes) == "24:00"
    assert parse_time(format_closing(calendar.weekly[0].closes)) == calendar.weekly[0].closes
    assert format_closing(parse_time("17:15")) == "17:15"
    import attrs
    from saihan_opendata_jp import columns as col
    from saihan_opendata_jp.exporter import rows

    from saihan.directory import sample_directory

    directory = sample_directory()
    service = attrs.evolve(directory.services[0], hours=calendar)
    directory = attrs.evolve(directory, services=(service, *directory.services[1:]))
    row = next(r for r in rows(directory) if r[col.NAME] == service.name.ja)
    assert (row[col.START], row[col.END]) == ("00:00", "24:00")


def test_kana_is_written_in_katakana_and_read_back_as_hiragana() -> None:
    import attrs

    from saihan.text import LocalizedText

    directory = sample_directory()
    service = attrs.evolve(
        directory.services[0], name=LocalizedText(ja="相談窓口", kana="そうだんまどぐち")
    )
    directory = attrs.evolve(directory, services=(service, *directory.services[1:]))
    data = OpendataCsvExporter().export(directory)
    assert ",ソウダンマドグチ," in data.decode()
    assert "そうだん" not in data.decode()
    back = IMPORTER.load(data)
    assert back.services[0].name.kana == "そうだんまどぐち"
    # half-width katakana (with its separate dakuten) and full-width both read as hiragana
    for cell in ("ｿｳﾀﾞﾝﾏﾄﾞｸﾞﾁ", "ソウダンマドグチ"):
        loaded = IMPORTER.load(csv_of(row(名称_カナ=cell)))
        assert loaded.services[0].name.kana == "そうだんまどぐち"


def test_hours_in_words_are_read_with_the_japanese_hours_parser() -> None:
    directory = IMPORTER.load(
        csv_of(row(利用可能日時特記事項="月～金 8:30～17:15（祝日・年末年始を除く）"))
    )
    hours = directory.services[0].hours
    assert hours is not None
    assert hours.closed_on_national_holidays
    assert len(hours.annual_closures) == 1
    (rule,) = hours.weekly
    assert rule.days == {Weekday.MO, Weekday.TU, Weekday.WE, Weekday.TH, Weekday.FR}
    assert (format_time(rule.opens), format_time(rule.closes)) == ("08:30", "17:15")
    second = IMPORTER.load(csv_of(row(利用可能日時特記事項="第2・第4土曜 10時から12時")))
    (saturday,) = second.services[0].hours.weekly  # type: ignore[union-attr]
    assert saturday.days == {Weekday.SA}
    assert saturday.weeks == {2, 4}


def test_hours_words_that_cannot_be_read_are_refused_or_reported_never_guessed() -> None:
    text = "月～金 9時～17時、駐車場は北側"
    found = errors_of(csv_of(row(利用可能日時特記事項=text)))
    assert any(e.startswith("row 2.利用可能日時特記事項: could not read as hours") for e in found)
    result = import_with_report(IMPORTER, csv_of(row(利用可能日時特記事項=text)), lenient=True)
    assert result.value.services[0].hours is None  # no partial calendar
    assert any("could not read as hours" in line for line in result.report.not_carried)
    # with the columns, the lenient import keeps them and the words as the note
    monday = {"利用可能曜日": "月", "開始時間": "9:00", "終了時間": "17:00"}
    data = csv_of(row(**monday, 利用可能日時特記事項=text))
    hours = import_with_report(IMPORTER, data, lenient=True).value.services[0].hours
    assert hours is not None
    assert hours.note is not None
    assert hours.note.ja == text


def test_words_that_disagree_with_the_columns_are_refused() -> None:
    monday = {"利用可能曜日": "月", "開始時間": "9:00", "終了時間": "17:00"}
    data = csv_of(row(**monday, 利用可能日時特記事項="火 9時～17時"))
    found = errors_of(data)
    assert any(e.startswith("row 2.利用可能日時特記事項: the words") for e in found)


def test_the_exporter_writes_the_hours_in_words_then_the_note() -> None:
    import attrs
    from saihan_opendata_jp import columns as col
    from saihan_opendata_jp.exporter import rows

    from saihan.schedule import BusinessCalendar, WeeklyHours
    from saihan.text import LocalizedText

    calendar = BusinessCalendar(
        weekly=[WeeklyHours.of("MO-FR", "08:30", "17:15")], note=LocalizedText(ja="電話予約可")
    )
    directory = sample_directory()
    service = attrs.evolve(directory.services[0], hours=calendar)
    directory = attrs.evolve(directory, services=(service, *directory.services[1:]))
    first = next(r for r in rows(directory) if r[col.NAME] == service.name.ja)
    assert first[col.DAYS] == "月,火,水,木,金"
    assert (first[col.START], first[col.END]) == ("08:30", "17:15")
    assert first[col.HOURS_NOTE] == "月～金 8時30分～17時15分（祝日・年末年始を除く）\n電話予約可"


@pytest.mark.parametrize("split", [False, True])
def test_cp932_and_utf8_with_bom_are_written_and_read(split: bool) -> None:
    exporter = OpendataCsvExporter()
    sample = sample_directory()
    shift_jis = exporter.export(sample, encoding="cp932", per_municipality=split)
    with_bom = exporter.export(sample, bom=True, per_municipality=split)
    if not split:
        assert shift_jis.decode("cp932") == with_bom.decode("utf-8-sig")
        assert with_bom.startswith(b"\xef\xbb\xbf")
    one = IMPORTER.load(shift_jis, encoding="cp932")
    other = IMPORTER.load(with_bom)
    assert one == other
    assert {s.id for s in one.services} == {s.id for s in sample.services}


def test_characters_cp932_cannot_write_are_named_by_row_and_column() -> None:
    import attrs

    from saihan.text import LocalizedText

    directory = sample_directory()
    service = attrs.evolve(directory.services[1], name=LocalizedText(ja="𠮷野の相談窓口"))
    directory = attrs.evolve(
        directory, services=(directory.services[0], service, *directory.services[2:])
    )
    assert OpendataCsvExporter().export(directory)  # UTF-8 writes it
    with pytest.raises(ValidationError) as caught:
        OpendataCsvExporter().export(directory, encoding="cp932")
    (item,) = caught.value.errors
    first_rows = max(1, len(directory.services[0].location_ids))
    assert item.path == f"row {2 + first_rows}.名称"
    assert "U+20BB7" in item.message


def test_encoding_options_are_checked() -> None:
    with pytest.raises(ValidationError, match="not one of utf-8, cp932") as caught:
        OpendataCsvExporter().export(sample_directory(), encoding="latin-1")
    assert caught.value.errors[0].path == "encoding"
    with pytest.raises(ValidationError, match="UTF-8 only"):
        OpendataCsvExporter().export(sample_directory(), encoding="cp932", bom=True)
    with pytest.raises(ValidationError, match="not one of"):
        IMPORTER.load(csv_of(row()), encoding="euc-jp")
    # UTF-8 read as cp932, and the reverse, say which to use
    assert "encoding=utf-8" in errors_of_with(b"\xef\xbb\xbf" + csv_of(row()), "cp932")[0]
    utf8 = csv_of(row(名称="相談窓口・𠮷"))
    assert "encoding=utf-8" in errors_of_with(utf8, "cp932")[0]


def errors_of_with(data: bytes, encoding: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        IMPORTER.load(data, encoding=encoding)
    return [str(item) for item in caught.value.errors]

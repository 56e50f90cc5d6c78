"""Writing a directory as the facility list: one row per service at each of its places."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import attrs

from saihan.directory import Agency, Channel, Directory, Location, Service, code_problem
from saihan.errors import ErrorItem, ValidationError
from saihan.plugins import check_options
from saihan_opendata_jp import columns as col
from saihan_opendata_jp.hours import (
    format_closing,
    format_days,
    format_time,
    hours_note,
    simple_hours,
)

__all__ = ["DEFAULT_CODE", "OpendataCsvExporter", "Publisher", "corporate_number_problem", "rows"]

DEFAULT_CODE = "130001"
"""東京都 (the Tokyo Metropolitan Government): the publishing body unless ``publisher_code``
names another."""

_BOM = "\ufeff"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same directory gives the same bytes


@attrs.frozen
class Publisher:
    """The publishing body (情報の管理主体) the common columns describe."""

    code: str
    name: str
    corporate_number: str = ""


def corporate_number_problem(number: str) -> str | None:
    """Why ``number`` is not a 13-digit 法人番号 with its check digit (the first digit:
    9 − (Σ Pn·Qn mod 9), Pn the n-th digit of the other twelve from the right, Qn 1 for
    odd n and 2 for even n), or None when it is one."""
    if len(number) != 13 or not number.isascii() or not number.isdigit():
        return f"{number!r} is not a 13-digit corporate number (法人番号)"
    base = number[1:]
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), 1))
    expected = 9 - total % 9
    if int(number[0]) != expected:
        return f"{number!r} has check digit {number[0]}, expected {expected}"
    return None


def publisher(options: dict[str, Any]) -> Publisher:
    """The publishing body from the exporter's options, each checked."""
    code = options.get("publisher_code", DEFAULT_CODE)
    problem = code_problem(code)
    if problem:
        raise ValidationError(f"{col.CODE}: {problem}", path="publisher_code")
    name = options.get("publisher_name") or col.publisher_name(code)
    if name is None:
        raise ValidationError(
            f"saihan has no name for {code} (it names Tokyo's municipalities and the 47 "
            f"prefectures); give {col.PLACE_NAME} as publisher_name",
            path="publisher_name",
        )
    number = options.get("corporate_number", "")
    if number:
        problem = corporate_number_problem(number)
        if problem:
            raise ValidationError(f"{col.CORPORATE_NUMBER}: {problem}", path="corporate_number")
    return Publisher(code=code, name=name, corporate_number=number)


def _file_code(agency: Agency, service: Service, default: str) -> str:
    """The municipality whose file a service offered at no place goes in: its agency's
    first location's, else its area's first, else its prefecture's, else ``default``."""
    if agency.locations:
        return agency.locations[0].municipality_code
    area = service.area
    if area.municipality_codes:
        return sorted(area.municipality_codes)[0]
    if area.prefecture_code is not None:
        return col.prefecture_code(area.prefecture_code + "0000")
    return default


def _address(location: Location) -> str:
    address = location.address
    name = col.place_name(address.municipality_code) or ""
    return f"{address.prefecture}{name}{address.street or ''}"


def _hours_cells(service: Service) -> tuple[str, str, str, str]:
    calendar = service.hours
    if calendar is None:
        return "", "", "", ""
    note = hours_note(calendar)
    simple = simple_hours(calendar)
    if simple is None:
        return "", "", "", note
    days, holidays_open, opens, closes = simple
    return format_days(days, holidays_open), format_time(opens), format_closing(closes), note


_FILE = "file"  # the key of a row's per-municipality file, dropped before writing

_TOKYO = Publisher(code=DEFAULT_CODE, name="東京都")


def rows(directory: Directory, *, by: Publisher = _TOKYO) -> Iterator[dict[str, str]]:
    """The rows of the published directory, in service order, then location order.

    Each row also has the key ``"file"``: the facility's municipality code, which
    names its file in the per-municipality ZIP (it is not a column)."""
    public = directory.published()
    for service in public.services:
        agency = public.agency(service.agency_id)
        phone = next(
            (c.value for c in public.contacts_of(service) if c.channel is Channel.PHONE), ""
        )
        days, opens, closes, hours_note = _hours_cells(service)
        common = {
            col.NAME: service.name.ja,
            col.NAME_KANA: col.katakana(service.name.kana or ""),
            col.PHONE: phone,
            col.AGENCY_NAME: agency.name.ja,
            col.DAYS: days,
            col.START: opens,
            col.END: closes,
            col.HOURS_NOTE: hours_note,
            col.DESCRIPTION: service.description.ja if service.description else "",
            col.URL: service.url or "",
            col.NOTE: service.eligibility.note.ja if service.eligibility.note else "",
        }
        places: list[Location | None] = [agency.location(lid) for lid in service.location_ids]
        for location in places or [None]:
            row = dict.fromkeys(col.COLUMNS, "")
            row.update(common)
            row[col.CODE] = by.code
            row[col.CORPORATE_NUMBER] = by.corporate_number
            row[col.PLACE_NAME] = by.name
            if location is None:
                row[_FILE] = _file_code(agency, service, by.code)
                row[col.ID] = col.encode_id(agency.id, service.id)
            else:
                row[_FILE] = location.municipality_code
                row[col.ID] = col.encode_id(agency.id, service.id, location.id)
                row[col.ADDRESS] = _address(location)
                if location.geo is not None:
                    row[col.LAT] = repr(location.geo.lat)
                    row[col.LON] = repr(location.geo.lon)
            yield row


def _csv(records: list[dict[str, str]], bom: bool, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(
        buffer, fieldnames=col.COLUMNS, lineterminator="\r\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(records)
    text = buffer.getvalue()
    if encoding == "cp932":
        return text.encode("cp932")
    return ((_BOM if bom else "") + text).encode("utf-8")


def _cp932_problems(records: list[dict[str, str]]) -> list[ErrorItem]:
    """Every cell with a character cp932 has no form for, by row and column."""
    problems = []
    for number, record in enumerate(records, start=2):
        for column in col.COLUMNS:
            cell = record[column]
            try:
                cell.encode("cp932")
            except UnicodeEncodeError as error:
                char = cell[error.start]
                problems.append(
                    ErrorItem(
                        f"row {number}.{column}",
                        f"{char!r} (U+{ord(char):04X}) has no cp932 (Shift_JIS) form; "
                        "replace it in the directory or export as UTF-8",
                    )
                )
    return problems


class OpendataCsvExporter:
    """Writes a directory as the 公共施設一覧 CSV (UTF-8 or cp932, CRLF, RFC 4180 quoting).

    Options: ``bom`` (a UTF-8 byte order mark, for Excel), ``per_municipality``
    (a ZIP of one ``{code}.csv`` per facility municipality instead of one CSV),
    ``publisher_code`` (the publishing body's local government code, written in
    every row's 全国地方公共団体コード; 130001 東京都 by default), ``publisher_name``
    (its 地方公共団体名; saihan knows the prefectures' and Tokyo's municipalities'),
    ``corporate_number`` (its 法人番号, when it is not a local government),
    ``encoding`` (``utf-8``, the default, or ``cp932``: Shift_JIS as Windows writes it;
    a character cp932 cannot write is a ValidationError naming its row and column).
    Confidential locations are always written as their municipality only:
    ``include_confidential=True`` is refused, since this is a publishing format.
    """

    name = "opendata-csv"
    media_type = "text/csv"
    suffix = ".csv"
    exports: type = Directory

    def export(self, directory: Directory, /, **options: Any) -> bytes:
        check_options(
            self.name,
            options,
            {
                "bom": bool,
                "per_municipality": bool,
                "publisher_code": str,
                "publisher_name": str,
                "corporate_number": str,
                "include_confidential": bool,
                "encoding": str,
            },
        )
        if not isinstance(directory, Directory):
            raise ValidationError(
                f"the {self.name} exporter writes a Directory, not {type(directory).__name__}"
            )
        if options.get("include_confidential", False):
            raise ValidationError(
                "open data never carries confidential addresses; use the json format "
                "for a private backup",
                path="include_confidential",
            )
        by = publisher(options)
        bom = options.get("bom", False)
        encoding = options.get("encoding", "utf-8")
        if encoding not in col.ENCODINGS:
            raise ValidationError(
                f"{encoding!r} is not one of {', '.join(col.ENCODINGS)}", path="encoding"
            )
        if bom and encoding != "utf-8":
            raise ValidationError("a byte order mark is for UTF-8 only", path="bom")
        records = list(rows(directory, by=by))
        if encoding == "cp932" and (problems := _cp932_problems(records)):
            raise ValidationError(problems)
        if not options.get("per_municipality", False):
            return _csv(records, bom, encoding)
        by_code: dict[str, list[dict[str, str]]] = {}
        for record in records:
            by_code.setdefault(record[_FILE], []).append(record)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for code in sorted(by_code):
                info = zipfile.ZipInfo(f"{code}.csv", date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, _csv(by_code[code], bom, encoding))
        return buffer.getvalue()

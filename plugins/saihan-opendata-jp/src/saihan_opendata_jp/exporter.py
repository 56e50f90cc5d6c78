"""Writing a directory as the facility list: one row per service at each of its places."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from saihan.directory import Agency, Channel, Directory, Location, Service, code_problem
from saihan.errors import ValidationError
from saihan.plugins import check_options
from saihan_opendata_jp import columns as col
from saihan_opendata_jp.hours import (
    describe,
    format_closing,
    format_days,
    format_time,
    simple_hours,
)

__all__ = ["DEFAULT_CODE", "OpendataCsvExporter", "rows"]

DEFAULT_CODE = "130001"
"""東京都 (the Tokyo Metropolitan Government): the code of a row with no place at all."""

_BOM = "\ufeff"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same directory gives the same bytes


def _prefecture_code(code: str) -> str:
    from saihan.directory import check_digit

    return f"{code}000{check_digit(code + '000')}"


def _row_code(agency: Agency, service: Service, default: str) -> str:
    """The municipality of a service offered at no place: its agency's, else its area's."""
    if agency.locations:
        return agency.locations[0].municipality_code
    area = service.area
    if area.municipality_codes:
        return sorted(area.municipality_codes)[0]
    if area.prefecture_code is not None:
        return _prefecture_code(area.prefecture_code)
    return default


def _address(location: Location) -> str:
    address = location.address
    name = col.place_name(address.municipality_code) or ""
    return f"{address.prefecture}{name}{address.street or ''}"


def _place(code: str) -> str:
    return col.prefecture_name(code) + (col.place_name(code) or "")


def _hours_cells(service: Service) -> tuple[str, str, str, str]:
    calendar = service.hours
    if calendar is None:
        return "", "", "", ""
    note = calendar.note.ja if calendar.note is not None else ""
    simple = simple_hours(calendar)
    if simple is None:
        return "", "", "", "; ".join(part for part in (describe(calendar), note) if part)
    days, holidays_open, opens, closes = simple
    return format_days(days, holidays_open), format_time(opens), format_closing(closes), note


def rows(directory: Directory, *, default_code: str = DEFAULT_CODE) -> Iterator[dict[str, str]]:
    """The rows of the published directory, in service order, then location order."""
    public = directory.published()
    for service in public.services:
        agency = public.agency(service.agency_id)
        phone = next(
            (c.value for c in public.contacts_of(service) if c.channel is Channel.PHONE), ""
        )
        days, opens, closes, hours_note = _hours_cells(service)
        common = {
            col.NAME: service.name.ja,
            col.NAME_KANA: service.name.kana or "",
            col.NAME_EN: service.name.en or "",
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
            if location is None:
                code = _row_code(agency, service, default_code)
                row[col.ID] = f"{agency.id}:{service.id}"
            else:
                code = location.municipality_code
                row[col.ID] = f"{agency.id}:{service.id}:{location.id}"
                row[col.ADDRESS] = _address(location)
                if location.geo is not None:
                    row[col.LAT] = repr(location.geo.lat)
                    row[col.LON] = repr(location.geo.lon)
            row[col.CODE] = code
            row[col.PLACE_NAME] = _place(code)
            yield row


def _csv(records: list[dict[str, str]], bom: bool) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=col.COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return ((_BOM if bom else "") + buffer.getvalue()).encode("utf-8")


class OpendataCsvExporter:
    """Writes a directory as the 公共施設一覧 CSV (UTF-8, CRLF, RFC 4180 quoting).

    Options: ``bom`` (a UTF-8 byte order mark, for Excel), ``per_municipality``
    (a ZIP of one ``{code}.csv`` per municipality instead of one CSV),
    ``default_code`` (the code of rows with no place at all, 130001 by default).
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
                "default_code": str,
                "include_confidential": bool,
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
        default_code = options.get("default_code", DEFAULT_CODE)
        problem = code_problem(default_code)
        if problem:
            raise ValidationError(problem, path="default_code")
        bom = options.get("bom", False)
        records = list(rows(directory, default_code=default_code))
        if not options.get("per_municipality", False):
            return _csv(records, bom)
        by_code: dict[str, list[dict[str, str]]] = {}
        for record in records:
            by_code.setdefault(record[col.CODE], []).append(record)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for code in sorted(by_code):
                info = zipfile.ZipInfo(f"{code}.csv", date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, _csv(by_code[code], bom))
        return buffer.getvalue()

"""Reading the facility list back into a directory, strictly or leniently.

Row paths name the spreadsheet row (the header is row 1) and the column:
``row 12.緯度``; in a ZIP of per-municipality files the file comes first:
``131016.csv row 3.緯度``.  File-level problems (encoding, quoting, columns) have
the path ``header`` or the file's name and always refuse the whole input.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs

from saihan.directory import (
    Address,
    Agency,
    AgencyKind,
    Audience,
    Channel,
    ContactPoint,
    Directory,
    Eligibility,
    GeoPoint,
    LocalizedText,
    Location,
    Service,
    ServiceArea,
    code_problem,
    default_agency_kinds,
)
from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, read_zip
from saihan.plugins import ImportReport, ImportResult, SkippedRecord, check_options
from saihan.schedule import BusinessCalendar, WeeklyHours, parse_japanese_hours
from saihan_opendata_jp import columns as col
from saihan_opendata_jp.hours import parse_days, parse_time, simple_hours, split_note

__all__ = ["DEFAULTS", "FACILITY_LIST", "UNCLASSIFIED_KIND", "ListSpec", "OpendataCsvImporter"]

T = TypeVar("T")

UNCLASSIFIED_KIND = AgencyKind(
    code="opendata-unclassified",
    name=LocalizedText(
        ja="種別未分類（オープンデータから取込）", en="Unclassified (loaded from open data)"
    ),
)
"""The agency kind given to imported agencies unless ``agency_kind`` names another."""

DEFAULT_NEEDS = frozenset({"general"})
DEFAULT_AUDIENCES = frozenset(Audience)

DEFAULTS: tuple[str, ...] = (
    "needs: not in the format; every service gets 'general'",
    "audiences: not in the format; every service gets person, family, supporter, professional",
    "area: not in the format; a service covers the municipalities of its locations "
    "(the publishing body's for a row without one)",
    "English names (名称_英字 is not a column of the 公共施設一覧): not in the format",
    "the facility's municipality code: not a column (全国地方公共団体コード is the "
    "publishing body's); read from the municipality name in 住所 for Tokyo's 62",
    "agency kind: not in the format; agencies get 'opendata-unclassified' "
    "(an extension kind added to the directory) unless the agency_kind option names one",
    "eligibility other than its note (備考), languages, cost, referrals: not in the format; "
    "saihan's defaults apply",
    "contacts other than one phone number (e-mail, web forms, fax, visits): not in the format",
    "kana and English of agency names and descriptions; agency descriptions and websites: "
    "not in the format",
    "hours: the weekly rules, national holidays and annual closures that the words of "
    "利用可能日時特記事項 say; not dated rules, reception periods, own holidays, closures or "
    "special openings; a calendar read from the columns alone gets the Asia/Tokyo zone "
    "and the year-end break",
    "postal codes, location names and directions, confidential flags: not in the format",
    "directory meta, extension needs and kinds: not in the format",
)
"""What the importer fills in because the facility list does not carry it."""


@attrs.frozen
class ListSpec:
    """One list of the 自治体標準オープンデータセット read as facilities.

    ``columns`` are the list's published columns (all required in the header);
    ``sources`` maps a facility-list column (:data:`columns.COLUMNS`) to the list's
    column it is read from; ``unused`` are the list's columns saihan does not carry
    (reported when filled); ``describe`` builds the service's description from the
    row's cells and ``needs`` its needs; ``kind`` is the agency kind of its agencies.
    """

    name: str
    title: str
    columns: tuple[str, ...]
    sources: dict[str, str]
    unused: tuple[str, ...]
    kind: AgencyKind
    defaults: tuple[str, ...]
    describe: Callable[[dict[str, str]], str] | None = None
    needs: Callable[[dict[str, str]], frozenset[str]] = lambda cells: DEFAULT_NEEDS

    def label(self, path: str) -> str:
        """An error path with the facility column named as the list names it."""
        head, dot, column = path.rpartition(".")
        if not dot or column not in self.sources:
            return path
        return f"{head}.{self.sources[column]}"


_UNUSED = (col.CORPORATE_NUMBER, col.NAME_ALIAS, col.POI, col.BARRIER_FREE)

FACILITY_LIST = ListSpec(
    name="opendata-csv",
    title="facility list",
    columns=col.COLUMNS,
    sources={column: column for column in col.COLUMNS},
    unused=_UNUSED,
    kind=UNCLASSIFIED_KIND,
    defaults=DEFAULTS,
)
"""The facility list (公共施設一覧) itself."""
_SERVICE_COLUMNS = (
    col.NAME, col.NAME_KANA, col.PHONE, col.EXTENSION, col.DAYS, col.START,
    col.END, col.HOURS_NOTE, col.DESCRIPTION, col.URL, col.NOTE,
)  # fmt: skip
_LOCATION_COLUMNS = (col.ADDRESS, col.ADDRESS_DETAIL, col.LAT, col.LON)
_URL_RE = re.compile(r"^https?://\S+$")  # the pattern Service.url keeps


def decode(data: bytes, where: str, encoding: str = "utf-8") -> str:
    """The text of a file in ``encoding`` (UTF-8, a BOM dropped; or cp932); bytes that
    are not in it get a message that says what to do."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(
            "this looks like UTF-16; save it as UTF-8 (CSV UTF-8 in Excel)", path=where
        )
    if encoding == "cp932":
        if data.startswith(b"\xef\xbb\xbf"):
            raise ValidationError(
                "this starts with a UTF-8 byte order mark; read it with encoding=utf-8",
                path=where,
            )
        try:
            return data.decode("cp932")
        except UnicodeDecodeError as error:
            raise ValidationError(
                f"not cp932 (Shift_JIS) text (byte 0x{data[error.start]:02x} at offset "
                f"{error.start}); is it UTF-8? then read it with encoding=utf-8",
                path=where,
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        try:
            data.decode("cp932")
        except UnicodeDecodeError:
            hint = "save it as UTF-8"
        else:
            hint = (
                "this looks like Shift_JIS; read it with encoding=cp932 "
                "(saihan import --encoding cp932) or save it as UTF-8"
            )
        raise ValidationError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}): {hint}",
            path=where,
        ) from None


def _records(
    text: str, where: str, limits: Limits = DEFAULT_LIMITS, columns: tuple[str, ...] = col.COLUMNS
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data records with their spreadsheet row numbers, read within
    ``limits``: at most ``max_collection_size`` records and cells in a record, cells of
    at most ``max_string_length`` characters."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationError(
                f"the file is empty; the first row must name the columns: {', '.join(columns)}",
                path=where,
            )
        _check_cells(header, f"{where}header", limits)
        for cells in reader:
            if any(cell for cell in cells):  # blank lines are not records
                row = len(records) + 2
                if row - 1 > limits.max_collection_size:
                    raise ValidationError(
                        f"more than {limits.max_collection_size:,} rows; the limit is "
                        "max_collection_size",
                        path=f"{where}row {row}",
                    )
                _check_cells(cells, f"{where}row {row}", limits)
                records.append((row, cells))
    except csv.Error as error:
        row = len(records) + 2
        raise ValidationError(
            f"broken quoting near line {reader.line_num} (row {row}): {error}; "
            'a quoted cell must end with " and quotes inside it are doubled ("")',
            path=f"{where}row {row}",
        ) from None
    return header, records


def _check_cells(cells: list[str], where: str, limits: Limits) -> None:
    if len(cells) > limits.max_collection_size:
        raise ValidationError(
            f"{len(cells):,} cells; the limit is {limits.max_collection_size:,}", path=where
        )
    for number, cell in enumerate(cells, start=1):
        if len(cell) > limits.max_string_length:
            raise ValidationError(
                f"cell {number} has {len(cell):,} characters; the limit is "
                f"{limits.max_string_length:,}",
                path=where,
            )


def _check_header(
    header: list[str],
    where: str,
    columns: tuple[str, ...] = col.COLUMNS,
    title: str = "facility list",
) -> list[str]:
    names = [unicodedata.normalize("NFKC", name).strip() for name in header]
    wanted = {unicodedata.normalize("NFKC", name): name for name in columns}
    names = [wanted.get(name, name) for name in names]
    missing = [name for name in columns if name not in names]
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    problems = []
    if missing:
        problems.append(
            ErrorItem(
                f"{where}header",
                f"missing column(s) {', '.join(missing)}; the {title} has these "
                f"columns: {', '.join(columns)}",
            )
        )
    if repeated:
        problems.append(
            ErrorItem(f"{where}header", f"column(s) named twice: {', '.join(repeated)}")
        )
    if problems:
        raise ValidationError(problems)
    return names


@attrs.frozen
class _Row:
    """One good row, as saihan values."""

    number: str
    agency_id: str
    service_id: str
    location_id: str | None
    code: str
    cells: dict[str, str]
    agency_name: LocalizedText
    name: LocalizedText
    description: LocalizedText | None
    url: str | None
    phone: ContactPoint | None
    hours: BusinessCalendar | None
    note: LocalizedText | None
    street: str | None
    geo: GeoPoint | None
    place: str


def _blank(cell: str) -> bool:
    return not cell.strip()


class _RowReader:
    """Turns one record's cells into a :class:`_Row`, gathering every problem."""

    def __init__(self, where: str, cells: dict[str, str]) -> None:
        self.where = where
        self.cells = cells
        self.errors: list[ErrorItem] = []
        self.notes: list[str] = []

    def error(self, column: str, message: str) -> None:
        self.errors.append(ErrorItem(f"{self.where}.{column}", message))

    def attempt(self, build: Callable[[], T], paths: dict[str, str], column: str) -> T | None:
        """``build()``, with its ValidationError paths turned into this row's columns."""
        try:
            return build()
        except ValidationError as error:
            for item in error.errors:
                self.error(paths.get(item.path.split(".")[0], column), item.message)
            return None

    def text(self, column: str) -> str | None:
        cell = self.cells[column]
        return None if _blank(cell) else cell

    def localized(
        self, ja: str, kana: str | None = None, en: str | None = None
    ) -> LocalizedText | None:
        main = self.text(ja)
        if main is None:
            return None
        reading = self.text(kana) if kana else None
        return self.attempt(
            lambda: LocalizedText(
                ja=main,
                kana=col.hiragana(reading) if reading is not None else None,
                en=self.text(en) if en else None,
            ),
            {"ja": ja, "kana": kana or ja, "en": en or ja},
            ja,
        )


def _ids(reader: _RowReader) -> tuple[str, str, str | None] | None:
    raw = reader.cells[col.ID].strip()
    if not raw:
        reader.error(col.ID, "every row needs an ID")
        return None
    ours = col.decode_id(raw)
    if ours is not None:
        return ours
    parts = raw.split(":")  # saihan's exports before IDs were alphanumeric
    if len(parts) == 1:  # a third party's facility id: one facility, its own agency
        ident = unicodedata.normalize("NFKC", raw).lower()
        if not col.ID_RE.fullmatch(ident):
            reader.error(col.ID, f"{raw!r} is not an id (letters, digits, '.', '_', '-')")
            return None
        return ident, ident, "main" if reader.text(col.ADDRESS) or reader.text(col.LAT) else None
    if len(parts) > 3 or not all(col.ID_RE.fullmatch(part) for part in parts):
        reader.error(
            col.ID,
            f"{raw!r} is not AGENCY:SERVICE or AGENCY:SERVICE:LOCATION with saihan ids "
            "(a-z, 0-9, '.', '_', '-')",
        )
        return None
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def _code(reader: _RowReader) -> str | None:
    """The publishing body's code (with its check digit)."""
    raw = unicodedata.normalize("NFKC", reader.cells[col.CODE]).strip()
    if not raw:
        reader.error(
            col.CODE, "every row needs the publishing body's local government code (6 digits)"
        )
        return None
    if raw.isdigit() and len(raw) == 5:
        reader.error(
            col.CODE,
            f"{raw!r} has 5 digits; the code has 6 with its check digit (a spreadsheet may "
            "have dropped a leading zero or the check digit)",
        )
        return None
    problem = code_problem(raw)
    if problem:
        reader.error(col.CODE, problem)
        return None
    return raw


def _number(reader: _RowReader, column: str, limit: float) -> float | None:
    raw = unicodedata.normalize("NFKC", reader.cells[column]).strip()
    try:
        value = float(raw)
    except ValueError:
        reader.error(column, f"{raw!r} is not a number of degrees like 35.6895")
        return None
    if not math.isfinite(value) or not -limit <= value <= limit:
        reader.error(column, f"{raw!r} is outside -{limit:g}..{limit:g}")
        return None
    return value


def _geo(reader: _RowReader) -> GeoPoint | None:
    lat_blank, lon_blank = _blank(reader.cells[col.LAT]), _blank(reader.cells[col.LON])
    if lat_blank and lon_blank:
        return None
    if lat_blank or lon_blank:
        missing, given = (col.LAT, col.LON) if lat_blank else (col.LON, col.LAT)
        reader.error(missing, f"{given} is given, so {missing} is needed too")
        return None
    lat, lon = _number(reader, col.LAT, 90), _number(reader, col.LON, 180)
    if lat is None or lon is None:
        return None
    return GeoPoint(lat=lat, lon=lon)


def _phone(reader: _RowReader) -> ContactPoint | None:
    cell = reader.cells[col.PHONE]
    if _blank(cell):
        if not _blank(reader.cells[col.EXTENSION]):
            reader.error(col.EXTENSION, f"an extension needs a {col.PHONE}")
        return None
    number = unicodedata.normalize("NFKC", cell).strip()
    extension = reader.text(col.EXTENSION)
    label = LocalizedText(ja=f"内線 {extension.strip()}") if extension else None
    return reader.attempt(
        lambda: ContactPoint(channel=Channel.PHONE, value=number, label=label),
        {"value": col.PHONE},
        col.PHONE,
    )


def _column_hours(reader: _RowReader) -> tuple[bool, BusinessCalendar | None]:
    """The calendar of 利用可能曜日, 開始時間 and 終了時間: (whether they were read, it)."""
    days_text = reader.text(col.DAYS)
    start, end = reader.text(col.START), reader.text(col.END)
    if days_text is None:
        if start or end:
            reader.notes.append(f"{col.START} or {col.END} without {col.DAYS} (not carried)")
        return True, None
    ok = True
    try:
        days, holidays_open = parse_days(days_text)
    except ValueError as error:
        reader.error(col.DAYS, str(error))
        ok = False
    times = []
    for column, cell in ((col.START, start), (col.END, end)):
        if cell is None:
            reader.error(column, f"{col.DAYS} is given, so {column} is needed too")
            ok = False
            continue
        try:
            times.append(parse_time(cell))
        except ValueError as error:
            reader.error(column, str(error))
            ok = False
    if not ok:
        return False, None
    return True, BusinessCalendar(
        weekly=(WeeklyHours(days=days, opens=times[0], closes=times[1]),),
        closed_on_national_holidays=not holidays_open,
    )


def _hours(reader: _RowReader, lenient: bool) -> BusinessCalendar | None:
    """The row's calendar from the hours columns and 利用可能日時特記事項.

    The first line of 利用可能日時特記事項 is read with
    :func:`saihan.schedule.parse_japanese_hours`; the lines after it are the calendar's
    note.  Words that cannot be read, or that disagree with the columns, refuse the
    row (strict) or are reported and left out (lenient): the calendar is never guessed.
    """
    ok, columns = _column_hours(reader)
    if not ok:
        return None
    text = reader.text(col.HOURS_NOTE)
    if text is None:
        return columns
    words, note = split_note(text)
    calendar = columns
    if words:
        read = parse_japanese_hours(words)
        if not read.complete:
            unread = "; ".join(f"「{f.text}」 ({f.reason})" if f.reason else f"「{f.text}」"
                               for f in read.unread)  # fmt: skip
            message = f"could not read as hours: {unread}"
            if not lenient:
                reader.error(col.HOURS_NOTE, message)
                return None
            reader.notes.append(f"{col.HOURS_NOTE} {message} (kept as the calendar's note)")
            note = text
        elif columns is not None and simple_hours(read.calendar) != simple_hours(columns):
            message = (
                f"the words {words!r} do not say the same days and hours as "
                f"{col.DAYS}, {col.START} and {col.END}"
            )
            if not lenient:
                reader.error(col.HOURS_NOTE, message)
                return None
            reader.notes.append(f"{col.HOURS_NOTE}: {message} (the columns are used)")
            note = text
        else:
            calendar = read.calendar
    if calendar is None:
        reader.notes.append("hours in words only, with no days or times (not carried)")
        return None
    if note is None:
        return calendar
    return reader.attempt(
        lambda: attrs.evolve(calendar, note=LocalizedText(ja=note)),
        {"note": col.HOURS_NOTE},
        col.HOURS_NOTE,
    )


def _street(reader: _RowReader, code: str | None) -> tuple[str | None, str | None]:
    """The facility's street (住所 after its prefecture and municipality, then 方書) and
    municipality code, read from 住所 (see :func:`columns.code_for_address`)."""
    prefecture, municipality, address = col.split_address(reader.cells[col.ADDRESS])
    place = None if code is None else col.code_for_address(prefecture, municipality, code)
    if municipality is None and not _blank(reader.cells[col.ADDRESS]):
        reader.notes.append(
            "住所 names no municipality saihan knows (it knows Tokyo's 62): the location "
            "gets the publishing body's code, or its prefecture's"
        )
    detail = reader.text(col.ADDRESS_DETAIL)
    if detail:
        address = f"{address} {detail}" if not _blank(address) else detail
    return (None if _blank(address) else address), place


def _read_row(
    where: str, cells: dict[str, str], lenient: bool = False
) -> tuple[_Row | None, list[ErrorItem], list[str]]:
    reader = _RowReader(where, cells)
    ids = _ids(reader)
    code = _code(reader)
    name = reader.localized(col.NAME, col.NAME_KANA)
    if reader.text(col.NAME) is None:
        reader.error(col.NAME, "every row needs a 名称 (the service's name)")
    agency_name = reader.localized(col.AGENCY_NAME) or name
    description = reader.localized(col.DESCRIPTION)
    note = reader.localized(col.NOTE)
    url = reader.text(col.URL)
    if url is not None:
        url = url.strip()
        if not _URL_RE.fullmatch(url):
            reader.error(col.URL, f"{url!r} is not an http(s) URL")
    phone = _phone(reader)
    hours = _hours(reader, lenient)
    geo = _geo(reader)
    street, place = _street(reader, code)
    if ids is not None and ids[2] is None and (street or geo):
        reader.notes.append("住所 or 緯度/経度 of a row whose ID names no location")
    if (
        reader.errors
        or ids is None
        or code is None
        or place is None
        or name is None
        or agency_name is None
    ):
        return None, reader.errors, reader.notes
    return (
        _Row(
            number=where,
            agency_id=ids[0],
            service_id=ids[1],
            location_id=ids[2],
            code=code,
            cells=cells,
            agency_name=agency_name,
            name=name,
            description=description,
            url=url,
            phone=phone,
            hours=hours,
            note=note,
            street=street,
            geo=geo,
            place=place if ids[2] is not None else code,
        ),
        [],
        reader.notes,
    )


def _files(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[str, bytes]]:
    """(prefix for paths, bytes) of each CSV: the one file, or each in a ZIP by name.

    A ZIP is read within ``limits`` (:func:`saihan.limits.read_zip`: member count,
    sizes counted while decompressing, a corrupt member refused under its name).
    """
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if len(data) > limits.max_document_bytes:
            raise ValidationError(
                f"the file has {len(data):,} bytes; the limit is {limits.max_document_bytes:,} "
                "(max_document_bytes)"
            )
        yield "", data
        return
    members = list(read_zip(data, limits=limits, what="ZIP file"))
    names = sorted(name for name, _ in members if name.lower().endswith(".csv"))
    if members and not names:  # an empty ZIP is an empty directory
        raise ValidationError("the ZIP file holds no .csv file")
    contents = dict(members)
    for name in names:
        yield f"{name} ", contents[name]


def _group(records: list[_Row], key: Callable[[_Row], object], fields: tuple[str, ...],
           what: Callable[[_Row], str]) -> dict[int, list[ErrorItem]]:  # fmt: skip
    """Rows that describe an already described thing differently: errors by row index."""
    first: dict[object, _Row] = {}
    found: dict[int, list[ErrorItem]] = {}
    for index, row in enumerate(records):
        seen = first.setdefault(key(row), row)
        if seen is row:
            continue
        for column in fields:
            if row.cells[column] != seen.cells[column]:
                found.setdefault(index, []).append(
                    ErrorItem(
                        f"{row.number}.{column}",
                        f"differs from {seen.number}, which describes the same {what(row)}",
                    )
                )
    return found


class OpendataCsvImporter:
    """Reads the 公共施設一覧 CSV (UTF-8, a BOM allowed; or cp932 with
    ``encoding="cp932"``), or a ZIP of such files.

    Strict by default: any bad row refuses the whole input with one
    ValidationError listing every bad row and column.  ``load_with_report(...,
    lenient=True)`` loads the good rows and reports each skipped one.  Option:
    ``agency_kind`` (a bundled agency kind code for every imported agency);
    ``limits`` (a :class:`~saihan.limits.Limits`) replaces the default bounds.
    """

    name = "opendata-csv"
    media_type = "text/csv"
    suffix = ".csv"
    imports: type = Directory
    spec: ListSpec = FACILITY_LIST

    def load(self, data: bytes, /, **options: Any) -> Directory:
        result: ImportResult[Directory] = self.load_with_report(data, **options)
        return result.value

    def load_with_report(
        self, data: bytes, *, lenient: bool = False, **options: Any
    ) -> ImportResult[Directory]:
        check_options(self.name, options, {"agency_kind": str, "limits": Limits, "encoding": str})
        spec = self.spec
        limits = options.get("limits", DEFAULT_LIMITS)
        encoding = options.get("encoding", "utf-8")
        if encoding not in col.ENCODINGS:
            raise ValidationError(
                f"{encoding!r} is not one of {', '.join(col.ENCODINGS)}", path="encoding"
            )
        kind = options.get("agency_kind")
        if kind is not None and kind not in {k.code for k in default_agency_kinds()}:
            raise ValidationError(f"{kind!r} is not a bundled agency kind", path="agency_kind")
        if not isinstance(data, bytes | bytearray):
            raise ValidationError(f"expected bytes, got {type(data).__name__}")

        good: list[_Row] = []
        bad: dict[str, list[ErrorItem]] = {}
        notes: dict[str, list[str]] = {}
        unused: dict[str, list[str]] = {}
        total_rows = 0
        for prefix, content in _files(bytes(data), limits):
            text = decode(content, prefix.strip(), encoding)
            header, records = _records(text, prefix, limits, spec.columns)
            total_rows += len(records)
            if total_rows > limits.max_collection_size:  # the files of a ZIP are one list
                raise ValidationError(
                    f"the files hold more than {limits.max_collection_size:,} rows together; "
                    "the limit is max_collection_size",
                    path=prefix.strip(),
                )
            names = _check_header(header, prefix, spec.columns, spec.title)
            extra = [name for name in names if name not in spec.columns]
            for number, cells in records:
                where = f"{prefix}row {number}"
                if len(cells) != len(names):
                    bad[where] = [
                        ErrorItem(
                            where,
                            f"has {len(cells)} cells, the header has {len(names)} columns",
                        )
                    ]
                    continue
                by_list = dict(zip(names, cells, strict=True))
                for column in (*spec.unused, *extra):
                    if not _blank(by_list[column]):
                        unused.setdefault(column, []).append(where)
                by_name = {
                    column: by_list[spec.sources[column]] if column in spec.sources else ""
                    for column in col.COLUMNS
                }
                if spec.describe is not None:
                    by_name[col.DESCRIPTION] = spec.describe(by_list)
                row, errors, row_notes = _read_row(where, by_name, lenient)
                for text in row_notes:
                    notes.setdefault(text, []).append(where)
                if row is None:
                    bad[where] = errors
                else:
                    good.append(row)

        conflicts: dict[int, list[ErrorItem]] = {}
        seen_ids: dict[tuple[str, str, str | None], str] = {}
        for index, row in enumerate(good):
            key = (row.agency_id, row.service_id, row.location_id)
            if key in seen_ids:
                conflicts.setdefault(index, []).append(
                    ErrorItem(f"{row.number}.{col.ID}", f"duplicate ID, first in {seen_ids[key]}")
                )
            else:
                seen_ids[key] = row.number
        checks = (
            _group(good, lambda r: (r.agency_id, r.service_id), _SERVICE_COLUMNS,
                   lambda r: f"service {r.service_id!r}"),
            _group(good, lambda r: r.agency_id, (col.AGENCY_NAME,),
                   lambda r: f"agency {r.agency_id!r}"),
            _group([r for r in good if r.location_id is not None],
                   lambda r: (r.agency_id, r.location_id), _LOCATION_COLUMNS,
                   lambda r: f"location {r.location_id!r} of agency {r.agency_id!r}"),
        )  # fmt: skip
        located = [i for i, r in enumerate(good) if r.location_id is not None]
        for found in checks:
            for index, errors in found.items():
                # the location check numbers rows among located ones only
                actual = located[index] if found is checks[2] else index
                conflicts.setdefault(actual, []).extend(errors)
        services_of: dict[str, str] = {}
        for index, row in enumerate(good):
            owner = services_of.setdefault(row.service_id, row.agency_id)
            if owner != row.agency_id:
                conflicts.setdefault(index, []).append(
                    ErrorItem(
                        f"{row.number}.{col.ID}",
                        f"service {row.service_id!r} belongs to agency {owner!r} in an earlier row",
                    )
                )
        for index, errors in conflicts.items():
            bad[good[index].number] = errors
        kept = [row for index, row in enumerate(good) if index not in conflicts]
        bad = {
            where: [ErrorItem(spec.label(item.path), item.message) for item in errors]
            for where, errors in bad.items()
        }

        if bad and not lenient:
            problems = [item for errors in bad.values() for item in errors]
            if len(problems) > limits.max_errors:
                more = len(problems) - limits.max_errors
                problems = [
                    *problems[: limits.max_errors],
                    ErrorItem("", f"... and {more:,} more problems"),
                ]
            raise ValidationError(problems)
        directory = _build(kept, kind, spec)
        not_carried = list(spec.defaults)
        for column, places in unused.items():
            not_carried.append(f"{column} (not carried): {_rows_list(places)}")
        for text, places in notes.items():
            not_carried.append(f"{text}: {_rows_list(places)}")
        report = ImportReport(
            format=spec.name,
            loaded={
                "agencies": len(directory.agencies),
                "services": len(directory.services),
                "rows": len(kept),
            },
            skipped=tuple(
                SkippedRecord(record=where, errors=tuple(errors)) for where, errors in bad.items()
            ),
            not_carried=tuple(not_carried),
        )
        return ImportResult(directory, report)


def _rows_list(where: list[str], limit: int = 10) -> str:
    shown = ", ".join(where[:limit])
    return shown + (f" and {len(where) - limit} more" if len(where) > limit else "")


def _build(rows: list[_Row], kind: str | None, spec: ListSpec = FACILITY_LIST) -> Directory:
    agencies: dict[str, dict[str, Any]] = {}
    services: dict[str, dict[str, Any]] = {}
    for row in rows:
        agency = agencies.setdefault(row.agency_id, {"name": row.agency_name, "locations": {}})
        if row.location_id is not None and row.location_id not in agency["locations"]:
            agency["locations"][row.location_id] = Location(
                id=row.location_id,
                address=Address(
                    municipality_code=row.place,
                    prefecture=col.prefecture_name(row.place),
                    street=row.street,
                ),
                geo=row.geo,
            )
        service = services.setdefault(row.service_id, {"row": row, "locations": [], "codes": []})
        if row.location_id is not None:
            service["locations"].append(row.location_id)
        if row.place not in service["codes"]:
            service["codes"].append(row.place)
    kind_code = kind or spec.kind.code
    built_agencies = [
        Agency(
            id=agency_id,
            name=value["name"],
            kind=kind_code,
            locations=tuple(value["locations"].values()),
        )
        for agency_id, value in agencies.items()
    ]
    built_services = []
    for service_id, value in services.items():
        first: _Row = value["row"]
        built_services.append(
            Service(
                id=service_id,
                agency_id=first.agency_id,
                name=first.name,
                area=ServiceArea.of(*value["codes"]),
                needs=spec.needs(first.cells),
                audiences=DEFAULT_AUDIENCES,
                description=first.description,
                eligibility=Eligibility(note=first.note),
                contacts=(first.phone,) if first.phone is not None else (),
                hours=first.hours,
                location_ids=tuple(value["locations"]),
                url=first.url,
            )
        )
    own_kind = kind is None and bool(built_agencies)
    return Directory(
        agencies=built_agencies,
        services=built_services,
        agency_kinds=(spec.kind,) if own_kind else (),
    )

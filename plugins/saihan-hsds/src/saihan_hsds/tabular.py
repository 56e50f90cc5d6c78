"""The ``hsds-tabular`` format: HSDS 3.1 as a tabular data package, in a ZIP archive.

Export returns bytes, so the package (one CSV file per table and
``datapackage.json``) comes as a ZIP archive.  The tables are the HSDS
document flattened: each nested object is a row of its table that names its
parent (``services.csv`` rows name their ``organization_id``, ``phones.csv``
rows their ``contact_id`` ...).  Import reads the tables of such an archive
(at its root or in one folder), nests the rows again and reads the result as
the ``hsds`` importer does; error paths name the file and the row
(``services.csv[4].name``, the header being row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import attrs

from saihan.directory import Directory
from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, parse_json, read_zip
from saihan.plugins import ImportResult, check_options
from saihan_hsds.importer import read_document
from saihan_hsds.json_format import _check_directory, decode_json, published_document
from saihan_hsds.schemas import datapackage

__all__ = ["HsdsTabularExporter", "HsdsTabularImporter", "package_errors", "to_tables"]

# (parent kind, nested field) -> (table resource, foreign key to the parent)
_CHILDREN: dict[tuple[str, str], tuple[str, str]] = {
    ("organization", "services"): ("service", "organization_id"),
    ("organization", "contacts"): ("contact", "organization_id"),
    ("organization", "phones"): ("phone", "organization_id"),
    ("organization", "locations"): ("location", "organization_id"),
    ("organization", "attributes"): ("attribute", "link_id"),
    ("location", "addresses"): ("address", "location_id"),
    ("service", "contacts"): ("contact", "service_id"),
    ("service", "phones"): ("phone", "service_id"),
    ("service", "schedules"): ("schedule", "service_id"),
    ("service", "service_areas"): ("service_area", "service_id"),
    ("service", "service_at_locations"): ("service_at_location", "service_id"),
    ("service", "languages"): ("language", "service_id"),
    ("service", "attributes"): ("attribute", "link_id"),
    ("contact", "phones"): ("phone", "contact_id"),
}
# A row goes to the first of these parents it names (a phone of a contact is not
# also the service's own phone).
_PARENT_ORDER: dict[str, tuple[str, ...]] = {
    "phone": ("contact_id", "service_id", "organization_id"),
    "contact": ("service_id", "organization_id"),
}
_TOP = {"organization": "contents", "taxonomy_term": "taxonomy_terms", "taxonomy": "taxonomies"}


def _resources() -> dict[str, dict[str, Any]]:
    return {resource["name"]: resource for resource in datapackage()["resources"]}


# A required HSDS text saihan does not know is "" in JSON; an empty cell would be a
# missing value, so the tabular form writes "-" instead (and reads it back as "").
_UNKNOWN = "-"
_REQUIRED_TEXT = {
    ("organization", "description"),
    ("address", "address_1"),
    ("address", "city"),
    ("address", "postal_code"),
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


_HH_MM = re.compile(r"^([0-9]{2}:[0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?$")


def _written_keys(resource: dict[str, Any], written: set[str]) -> dict[str, Any]:
    """``resource`` with only the foreign keys into tables the package holds: a key into a
    table saihan never writes (``program``) names a resource that is not there, which a
    datapackage reader (Frictionless) rightly refuses."""
    keys = resource["schema"].get("foreignKeys")
    if not keys:
        return resource
    kept = [key for key in keys if key["reference"].get("resource", "") in written | {""}]
    schema = {name: value for name, value in resource["schema"].items() if name != "foreignKeys"}
    if kept:
        schema["foreignKeys"] = kept
    return {**resource, "schema": schema}


def _with_seconds(value: Any) -> Any:
    """``10:00+09:00`` as ``10:00:00+09:00``: the datapackage's ``time`` type (Frictionless,
    ISO 8601 extended ``HH:MM:SS``) refuses a time without seconds."""
    if isinstance(value, str) and (match := _HH_MM.fullmatch(value)):
        return f"{match[1]}:00{match[2] or ''}"
    return value


def to_tables(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The rows of each table (by resource name) of an HSDS document."""
    tables: dict[str, list[dict[str, Any]]] = {}

    def add(kind: str, obj: dict[str, Any]) -> None:
        row = {}
        for name, value in obj.items():
            if (kind, name) in _CHILDREN:
                child, _ = _CHILDREN[(kind, name)]
                for item in value:
                    add(child, item)
            elif kind == "schedule" and name in ("opens_at", "closes_at"):
                row[name] = _with_seconds(value)
            else:
                row[name] = value
        tables.setdefault(kind, []).append(row)

    for kind, field in _TOP.items():
        for item in document.get(field, []):
            add(kind, item)
    return tables


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TIME = re.compile(
    r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _shown(text: str) -> str:
    """A cell's text in a message: long ones cut, so a message stays short."""
    return repr(text) if len(text) <= 80 else repr(text[:77] + "...")


def _parse(
    field: dict[str, Any], text: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[Any, str | None]:
    """A cell's value by its field's type, or the text and what is wrong with it."""
    kind = field.get("type", "string")
    try:
        if kind in ("number", "integer") and len(text) > 40:  # int() is quadratic in digits
            return text, f"{_shown(text)} is not a {kind} (more than 40 characters)"
        if kind == "number":
            number = float(text)
            return (
                int(number)
                if number.is_integer() and "." not in text and "e" not in text.lower()
                else number
            ), None
        if kind == "integer":
            return int(text), None
        if kind == "boolean":
            if text.lower() in ("true", "1", "yes"):
                return True, None
            if text.lower() in ("false", "0", "no"):
                return False, None
            return text, f"{_shown(text)} is not true or false"
        if kind == "date":
            dt.date.fromisoformat(text)
        elif kind == "datetime":
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif kind == "time":
            if not _TIME.fullmatch(text):
                return text, f"{_shown(text)} is not a time like 09:00 or 09:00+09:00"
        elif kind == "object":
            try:
                value = parse_json(text, limits=limits, what="cell")
            except ValidationError as error:
                return text, f"not a JSON object: {error.errors[0].message}"
            if not isinstance(value, dict):
                return text, "expected a JSON object in the cell"
            return value, None
    except (ValueError, json.JSONDecodeError):
        return text, f"{_shown(text)} is not a {kind}"
    if field.get("format") == "uuid" and not _UUID.fullmatch(text):
        return text, f"{_shown(text)} is not a UUID"
    enum = (field.get("constraints") or {}).get("enum")
    if enum is not None and text not in enum:
        return text, f"{_shown(text)} is not one of {', '.join(enum)}"
    return text, None


def package_errors(tables: dict[str, list[dict[str, str]]]) -> list[ErrorItem]:
    """Every cell of ``tables`` (text rows by resource) that breaks the datapackage's fields:
    missing required values, wrong types, formats and enums, duplicate unique values."""
    problems: list[ErrorItem] = []
    resources = _resources()
    for name, rows in tables.items():
        resource = resources[name]
        fields = resource["schema"]["fields"]
        for field in fields:
            constraints = field.get("constraints") or {}
            seen: dict[str, int] = {}
            for number, row in enumerate(rows, start=2):
                where = f"{resource['path']}[{number}].{field['name']}"
                text = row.get(field["name"], "")
                if text == "":
                    if constraints.get("required"):
                        problems.append(ErrorItem(where, "a value is required"))
                    continue
                _, problem = _parse(field, text)
                if problem is not None:
                    problems.append(ErrorItem(where, problem))
                if constraints.get("unique"):
                    if text in seen:
                        problems.append(
                            ErrorItem(where, f"{text!r} is not unique (see row {seen[text]})")
                        )
                    seen.setdefault(text, number)
    return problems


class HsdsTabularExporter:
    """Writes a directory as an HSDS 3.1 tabular data package: a ZIP of CSV files
    (UTF-8, header row, RFC 4180 quoting) and ``datapackage.json``.

    As for ``hsds``, confidential locations keep only their municipality.
    ``validate`` (default True) checks every row against the datapackage's
    field definitions (official fields plus the Japan profile's).
    """

    name = "hsds-tabular"
    media_type = "application/zip"
    suffix = ".zip"
    exports: type = Directory

    def export(self, directory: Directory, /, **options: Any) -> bytes:
        check_options("hsds-tabular", options, {"validate": bool})
        validate = options.get("validate", True)
        document = published_document(_check_directory("hsds-tabular", directory), validate=False)
        tables = to_tables(document)
        resources = _resources()
        text_tables: dict[str, list[dict[str, str]]] = {}
        for name, rows in tables.items():
            columns = [field["name"] for field in resources[name]["schema"]["fields"]]
            for row in rows:
                unknown = set(row) - set(columns)
                if unknown:  # a bug in this plugin: the profile must define every field
                    raise ValidationError(f"{name}: no column for {sorted(unknown)}")
            text_tables[name] = [
                {
                    column: _UNKNOWN
                    if (name, column) in _REQUIRED_TEXT and row.get(column) == ""
                    else _cell(row.get(column))
                    for column in columns
                }
                for row in rows
            ]
        if validate:
            problems = package_errors(text_tables)
            if problems:
                raise ValidationError(
                    [
                        ErrorItem(p.path, f"exported package does not validate: {p.message}")
                        for p in problems
                    ]
                )
        package = datapackage()
        descriptor = {
            **{key: value for key, value in package.items() if key != "resources"},
            "title": document["dataset"].get("name_en") or document["dataset"]["name"],
            "hsds_version": document["version"],
            "hsds_profile": document["profile"],
            "dataset": document["dataset"],
            "resources": [
                _written_keys(resources[name], set(text_tables))
                for name in resources
                if name in text_tables
            ],
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
            )
            for name, rows in text_tables.items():
                out = io.StringIO(newline="")
                columns = [field["name"] for field in resources[name]["schema"]["fields"]]
                writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
                writer.writeheader()
                writer.writerows(rows)
                archive.writestr(resources[name]["path"], out.getvalue())
        return buffer.getvalue()


def _read_zip(data: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """The package's .csv and .json files by base name, read within ``limits``
    (:func:`saihan.limits.read_zip`: archive size, member count, sizes counted while
    decompressing; a corrupt member is refused under its name)."""
    if not isinstance(data, bytes | bytearray):
        raise ValidationError(f"expected bytes, got {type(data).__name__}")
    if not bytes(data[:4]).startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise ValidationError(
            "not a ZIP archive of a tabular data package; the hsds-tabular format "
            "reads a ZIP of CSV files and datapackage.json"
        )
    files: dict[str, bytes] = {}
    for name, content in read_zip(bytes(data), limits=limits, what="tabular data package"):
        base = name.rsplit("/", 1)[-1]
        if base.endswith((".csv", ".json")) and base not in files:
            files[base] = content
    return files


def _read_csv(
    name: str,
    raw: bytes,
    resource: dict[str, Any],
    notes: list[str],
    limits: Limits = DEFAULT_LIMITS,
) -> list[tuple[int, dict[str, str]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"not UTF-8 text: byte 0x{raw[error.start]:02x} at offset {error.start} cannot be "
            "decoded; HSDS CSV files are UTF-8 (was the file saved as Shift_JIS?)",
            path=name,
        ) from None
    rows = _bounded_rows(name, text, limits)
    if not rows:
        return []
    header = rows[0]
    known = {field["name"] for field in resource["schema"]["fields"]}
    missing = [
        field["name"]
        for field in resource["schema"]["fields"]
        if (field.get("constraints") or {}).get("required") and field["name"] not in header
    ]
    if missing:
        raise ValidationError(f"missing required column(s): {', '.join(missing)}", path=name)
    if len(set(header)) != len(header):
        raise ValidationError("a column is named twice in the header", path=name)
    for column in header:
        if column not in known:
            notes.append(f"{name}: column {column!r} is not in HSDS or the Japan profile")
    result = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cells):
            continue
        if len(cells) != len(header):
            raise ValidationError(
                f"row {number} has {len(cells)} cells but the header has {len(header)}",
                path=f"{name}[{number}]",
            )
        result.append((number, dict(zip(header, cells, strict=True))))
    return result


def _bounded_rows(name: str, text: str, limits: Limits) -> list[list[str]]:
    """The CSV's records, refusing more than ``max_collection_size`` records or cells in
    a record, and cells longer than ``max_string_length``, as they are read."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        for cells in reader:
            number = len(rows) + 1
            if number > limits.max_collection_size + 1:  # the header is not a record
                raise ValidationError(
                    f"more than {limits.max_collection_size:,} rows; the limit is "
                    "max_collection_size",
                    path=f"{name}[{number}]",
                )
            if len(cells) > limits.max_collection_size:
                raise ValidationError(
                    f"{len(cells):,} cells; the limit is {limits.max_collection_size:,}",
                    path=f"{name}[{number}]",
                )
            for column, cell in enumerate(cells, start=1):
                if len(cell) > limits.max_string_length:
                    raise ValidationError(
                        f"cell {column} has {len(cell):,} characters; the limit is "
                        f"{limits.max_string_length:,}",
                        path=f"{name}[{number}]",
                    )
            rows.append(cells)
    except csv.Error as error:
        raise ValidationError(f"broken CSV at line {reader.line_num}: {error}", path=name) from None
    return rows


@attrs.define
class Nested:
    """A package's tables nested into one HSDS document, and what the nesting found."""

    document: dict[str, Any]
    origins: dict[int, str]  # id() of each row -> "services.csv[4]"
    orphans: list[tuple[str, ErrorItem]]  # rows naming a parent that is not there
    notes: list[str]  # what was not read
    dropped_locations: set[str]  # locations that name an organization that is not there


def from_files(files: dict[str, bytes], limits: Limits = DEFAULT_LIMITS) -> Nested:
    """The nested HSDS document of a package's files (CSV tables and datapackage.json)."""
    resources = _resources()
    notes: list[str] = []
    origins: dict[int, str] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, resource in resources.items():
        raw = files.pop(resource["path"], None)
        if raw is None:
            continue
        fields = {field["name"]: field for field in resource["schema"]["fields"]}
        rows = []
        for number, cells in _read_csv(resource["path"], raw, resource, notes, limits):
            row: dict[str, Any] = {}
            for column, text in cells.items():
                if text == "" or column not in fields:
                    continue
                if (name, column) in _REQUIRED_TEXT and text == _UNKNOWN:
                    row[column] = ""
                    continue
                row[column], _ = _parse(fields[column], text, limits)
            origins[id(row)] = f"{resource['path']}[{number}]"
            rows.append(row)
        tables[name] = rows
    descriptor = files.pop("datapackage.json", None)
    dataset = None
    if descriptor is not None:
        try:
            parsed = decode_json(descriptor, "datapackage.json", limits=limits)
            if isinstance(parsed, dict) and isinstance(parsed.get("dataset"), dict):
                dataset = parsed["dataset"]
        except ValidationError:
            notes.append(
                "datapackage.json: not readable JSON; the HSDS 3.1 table definitions were used"
            )
    for name in sorted(files):
        if name.endswith(".csv"):
            notes.append(f"{name}: not a table saihan reads")
    return nest(tables, origins, notes, dataset)


def from_json_tables(data: dict[str, Any]) -> Nested:
    """The nested document of the tables as JSON (the official examples' ``tabular.json``:
    file name -> list of rows)."""
    by_path = {resource["path"]: name for name, resource in _resources().items()}
    tables: dict[str, list[dict[str, Any]]] = {}
    origins: dict[int, str] = {}
    notes: list[str] = []
    for path, rows in data.items():
        if path not in by_path or not isinstance(rows, list):
            notes.append(f"{path}: not a table saihan reads")
            continue
        kept = []
        for index, row in enumerate(rows):
            if isinstance(row, dict):
                copied = {key: value for key, value in row.items() if value not in (None, "")}
                origins[id(copied)] = f'["{path}"][{index}]'
                kept.append(copied)
        tables[by_path[path]] = kept
    return nest(tables, origins, notes, None)


def nest(
    tables: dict[str, list[dict[str, Any]]],
    origins: dict[int, str],
    notes: list[str],
    dataset: dict[str, Any] | None,
) -> Nested:
    """Put each row under the parent it names."""
    orphans: list[tuple[str, ErrorItem]] = []
    dropped: set[str] = set()
    by_id: dict[str, dict[str, dict[str, Any]]] = {}
    for kind in ("organization", "service", "location", "contact"):
        by_id[kind] = {
            str(row["id"]).lower(): row
            for row in tables.get(kind, [])
            if isinstance(row.get("id"), str)
        }
    document: dict[str, Any] = {"contents": [], "taxonomy_terms": [], "taxonomies": []}
    loose_services: list[dict[str, Any]] = []
    for (parent_kind, field), (child, key) in _CHILDREN.items():
        for row in tables.get(child, []):
            if row.get("_placed"):
                continue
            if child == "attribute":
                if row.get("link_entity") != parent_kind:
                    continue
            elif child in _PARENT_ORDER:
                chosen = next((k for k in _PARENT_ORDER[child] if row.get(k)), None)
                if chosen != key:
                    continue
            elif not row.get(key):
                continue
            parent = by_id[parent_kind].get(str(row.get(key, "")).lower())
            if parent is None:
                if child == "service":
                    loose_services.append(row)
                elif child == "location":  # organization_id is optional on a location
                    dropped.add(str(row.get("id", "")).lower())
                    notes.append(
                        f"{origins[id(row)]}: names organization {row.get(key)}, which is not "
                        "in the package; the location is not carried"
                    )
                else:
                    label = origins[id(row)]
                    orphans.append(
                        (
                            label,
                            ErrorItem(
                                f"{label}.{key}",
                                f"dangling reference: no {parent_kind} has id {row.get(key)}",
                            ),
                        )
                    )
                row["_placed"] = True
                continue
            parent.setdefault(field, []).append(row)
            row["_placed"] = True
    for child in (
        "phone",
        "contact",
        "attribute",
        "schedule",
        "service_area",
        "language",
        "service_at_location",
        "address",
        "location",
    ):
        for row in tables.get(child, []):
            if not row.get("_placed", False):
                notes.append(f"{origins[id(row)]}: linked to nothing saihan reads")
    for rows in tables.values():
        for row in rows:
            row.pop("_placed", None)
    document["contents"] = tables.get("organization", []) + loose_services
    document["taxonomy_terms"] = tables.get("taxonomy_term", [])
    document["taxonomies"] = tables.get("taxonomy", [])
    if dataset is not None:
        document["dataset"] = dataset
    return Nested(document, origins, orphans, notes, dropped)


class HsdsTabularImporter:
    """Reads an HSDS 3.1 tabular data package from a ZIP archive (saihan's or a third
    party's); see :class:`~saihan_hsds.HsdsImporter` for strict and lenient import.
    Option: ``limits`` (a :class:`~saihan.limits.Limits`) replaces the default bounds."""

    name = "hsds-tabular"
    media_type = "application/zip"
    suffix = ".zip"
    imports: type = Directory

    def load(self, data: bytes, /, **options: Any) -> Directory:
        return self.load_with_report(data, **options).value

    def load_with_report(
        self, data: bytes, *, lenient: bool = False, **options: Any
    ) -> ImportResult[Directory]:
        check_options("hsds-tabular", options, {"limits": Limits})
        limits = options.get("limits", DEFAULT_LIMITS)
        nested = from_files(_read_zip(data, limits), limits)
        directory, report = read_document(
            nested.document,
            limits=limits,
            lenient=lenient,
            origins=nested.origins,
            fmt=self.name,
            orphans=nested.orphans,
            notes=nested.notes,
            dropped_locations=nested.dropped_locations,
        )
        return ImportResult(directory, report)

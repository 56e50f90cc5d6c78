"""The ``hsds`` format: one HSDS 3.1 JSON document."""

from __future__ import annotations

import json
from typing import Any

from saihan.directory import Directory
from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, parse_json
from saihan.outreach import Event
from saihan.plugins import ImportResult, check_options
from saihan_hsds.export import to_document
from saihan_hsds.importer import read_document
from saihan_hsds.schemas import errors_of, official_validator, profile_validator

__all__ = ["HsdsExporter", "HsdsImporter", "decode_json", "document_errors", "published_document"]


def document_errors(document: dict[str, Any]) -> list[ErrorItem]:
    """Every violation of the official HSDS 3.1 schemas in a saihan HSDS document.

    Each organization is checked against ``organization.json``, each of its
    services against ``service.json``, each taxonomy and term against theirs,
    and the page around them against the Japan profile's ``Directory``.
    """
    problems: list[ErrorItem] = []
    for index, organization in enumerate(document.get("contents", [])):
        path = f"contents[{index}]"
        problems += errors_of(official_validator("organization"), organization, path)
        for position, service in enumerate(organization.get("services", [])):
            problems += errors_of(
                official_validator("service"), service, f"{path}.services[{position}]"
            )
    for field, name in (("taxonomies", "taxonomy"), ("taxonomy_terms", "taxonomy_term")):
        for index, item in enumerate(document.get(field, [])):
            problems += errors_of(official_validator(name), item, f"{field}[{index}]")
    # The page itself under the profile (its records were checked one by one above).
    page = {**document, "contents": [], "taxonomies": [], "taxonomy_terms": []}
    problems += errors_of(profile_validator("directory"), page)
    return problems


_NO_EVENT_RECORD = (
    "HSDS 3.1 defines no event record (Open Referral's schema has none), so events have no "
    "HSDS export: write them as iCalendar feeds (saihan.outreach.events_to_ical, saihan "
    "events export --format ical)"
)
"""Why the HSDS exporters refuse outreach events (docs/hsds.md)."""


def _is_events(value: object) -> bool:
    if isinstance(value, Event):
        return True
    if isinstance(value, list | tuple | set | frozenset) and value:
        return all(isinstance(item, Event) for item in value)
    return False


def _check_directory(plugin: str, value: object) -> Directory:
    if not isinstance(value, Directory):
        if _is_events(value):
            raise ValidationError(f"the {plugin} exporter writes a Directory: {_NO_EVENT_RECORD}")
        raise ValidationError(
            f"the {plugin} exporter writes a Directory, not {type(value).__name__}"
        )
    return value


def published_document(directory: Directory, *, validate: bool) -> dict[str, Any]:
    """The HSDS document of ``directory.published()``, validated when asked."""
    document = to_document(directory.published())
    if validate:
        problems = document_errors(document)
        if problems:  # a bug in this plugin, never the caller's data
            raise ValidationError(
                [
                    ErrorItem(item.path, f"exported HSDS does not validate: {item.message}")
                    for item in problems
                ]
            )
    return document


class HsdsExporter:
    """Writes a directory as one HSDS 3.1 JSON document (UTF-8) under the Japan profile.

    Confidential locations keep only their municipality, always: HSDS is a
    publication format, so there is no ``include_confidential``.  Options:
    ``validate`` (default True) checks the document against the official
    schemas before returning it; ``indent`` (default 2; 0 for compact).
    """

    name = "hsds"
    media_type = "application/json"
    suffix = ".json"
    exports: type = Directory

    def export(self, directory: Directory, /, **options: Any) -> bytes:
        check_options("hsds", options, {"validate": bool, "indent": int})
        document = published_document(
            _check_directory("hsds", directory), validate=options.get("validate", True)
        )
        indent = options.get("indent", 2)
        text = json.dumps(document, ensure_ascii=False, indent=indent or None)
        return (text + "\n").encode("utf-8")


def decode_json(data: bytes | str, what: str = "", *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse UTF-8 JSON within ``limits`` (see :mod:`saihan.limits`): document size,
    nesting, string length (lone surrogates, as text or as ``\\ud800`` escapes, are
    refused), collection sizes and integer digits.  Anything else is a ValidationError
    naming the problem, under ``what``."""
    # Bytes over the size limit are refused by parse_json before any decoding.
    if isinstance(data, bytes | bytearray) and len(data) <= limits.max_document_bytes:
        try:
            bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(
                f"not UTF-8 text: byte 0x{data[error.start]:02x} at offset {error.start} cannot "
                "be decoded; HSDS is UTF-8 (was the file saved as Shift_JIS?)",
                path=what,
            ) from None
    elif not isinstance(data, bytes | bytearray | str):
        raise ValidationError(f"expected bytes, got {type(data).__name__}", path=what)
    try:
        return parse_json(data, limits=limits, what="HSDS document")
    except ValidationError as error:
        raise error.under(what) if what else error from None


class HsdsImporter:
    """Reads an HSDS 3.1 JSON document: saihan's own, or a third party's.

    Accepted shapes: a page (``contents``: organizations or services), one
    fully nested organization or service, or a list of them.
    ``load_with_report(data, lenient=True)`` leaves bad records out and says why.
    Option: ``limits`` (a :class:`~saihan.limits.Limits`) replaces the default bounds.
    """

    name = "hsds"
    media_type = "application/json"
    suffix = ".json"
    imports: type = Directory

    def load(self, data: bytes, /, **options: Any) -> Directory:
        return self.load_with_report(data, **options).value

    def load_with_report(
        self, data: bytes, *, lenient: bool = False, **options: Any
    ) -> ImportResult[Directory]:
        check_options("hsds", options, {"limits": Limits})
        limits = options.get("limits", DEFAULT_LIMITS)
        parsed = decode_json(data, limits=limits)
        if isinstance(parsed, dict) and parsed and all(str(key).endswith(".csv") for key in parsed):
            from saihan_hsds.tabular import from_json_tables  # the tables as JSON

            nested = from_json_tables(parsed)
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
        else:
            directory, report = read_document(parsed, lenient=lenient, fmt=self.name, limits=limits)
        return ImportResult(directory, report)

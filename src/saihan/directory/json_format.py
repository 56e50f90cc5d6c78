"""The JSON directory format: saihan's own exporter and importer.

Registered through the ``saihan.exporters`` and ``saihan.importers`` entry
points under the name ``json``, exactly as a third-party format would be.
"""

from __future__ import annotations

from typing import Any

import attrs

from saihan.directory.agency import Agency
from saihan.directory.directory import Directory
from saihan.directory.service import Service
from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, parse_json
from saihan.plugins import ImportReport, ImportResult, SkippedRecord, check_options

__all__ = ["JsonDirectoryExporter", "JsonDirectoryImporter"]


class JsonDirectoryExporter:
    """Writes a directory as a saihan JSON document (UTF-8).

    Confidential locations are published as their municipality only unless
    the caller asks for ``include_confidential=True`` (a private backup).
    """

    name = "json"
    media_type = "application/json"
    suffix = ".json"
    exports = Directory

    def export(self, directory: Directory, **options: Any) -> bytes:
        from saihan.serialization import to_json

        check_options("json", options, {"include_confidential": bool, "indent": int})
        if not isinstance(directory, Directory):
            raise ValidationError(
                f"the json exporter writes a Directory, not {type(directory).__name__}"
            )
        shown = directory if options.get("include_confidential", False) else directory.published()
        return (to_json(shown, indent=options.get("indent", 2)) + "\n").encode("utf-8")


class JsonDirectoryImporter:
    """Reads a saihan JSON directory document, validating it completely."""

    name = "json"
    media_type = "application/json"
    suffix = ".json"
    imports = Directory

    def load(self, data: bytes, **options: Any) -> Directory:
        """The directory in ``data``; option ``limits`` (a :class:`~saihan.limits.Limits`)
        bounds what is read (see docs/limits.md)."""
        from saihan.serialization import from_json

        check_options("json", options, {"limits": Limits})
        return from_json(data, Directory, limits=options.get("limits", DEFAULT_LIMITS))

    def load_with_report(
        self, data: bytes, *, lenient: bool = False, **options: Any
    ) -> ImportResult[Directory]:
        """Strict: :meth:`load`.  Lenient: skip bad agencies and services, with reasons.

        An agency or service is skipped when it is malformed on its own, repeats an
        id, or breaks a reference (unknown kind or need, a location its agency does
        not have); a service whose agency was skipped goes too.  Anything else wrong
        (the document's shape, ``meta``, ``needs``, ``agency_kinds``) refuses it all.
        """
        check_options("json", options, {"limits": Limits})
        limits: Limits = options.get("limits", DEFAULT_LIMITS)
        directory = self.load(data, limits=limits) if not lenient else None
        skipped: list[SkippedRecord] = []
        if directory is None:
            directory, skipped = _load_leniently(data, limits)
        report = ImportReport(
            format=self.name,
            loaded={"agencies": len(directory.agencies), "services": len(directory.services)},
            skipped=tuple(skipped),
        )
        return ImportResult(directory, report)


def _load_leniently(data: bytes, limits: Limits) -> tuple[Directory, list[SkippedRecord]]:
    from saihan.serialization import from_json, structure

    # Lenient about records, never about limits: a hostile document is refused whole.
    document = parse_json(data, limits=limits)
    if not isinstance(document, dict) or not all(
        isinstance(document.get(key, []), list) for key in _KINDS
    ):
        return from_json(data, Directory, limits=limits), []
    rest = structure({**document, "agencies": [], "services": []}, Directory, limits=limits)
    skipped: dict[str, list[ErrorItem]] = {}
    gone_agencies: set[str] = set()
    records: dict[str, list[tuple[int, Any]]] = {"agencies": [], "services": []}
    for key, model in (("agencies", Agency), ("services", Service)):
        for index, item in enumerate(document.get(key, [])):
            try:
                records[key].append((index, structure(item, model, limits=limits)))
            except ValidationError as error:
                skipped[f"{key}[{index}]"] = list(error.under(f"{key}[{index}]").errors)
                if key == "agencies" and isinstance(item, dict) and isinstance(item.get("id"), str):
                    gone_agencies.add(item["id"])
    while True:  # drop what the directory's own checks refuse, until it holds
        try:
            directory = attrs.evolve(
                rest,
                agencies=[value for _, value in records["agencies"]],
                services=[value for _, value in records["services"]],
            )
            break
        except ValidationError as error:
            if not _drop(error, records, skipped, gone_agencies):
                raise
    order = {
        f"{key}[{index}]": (rank, index)
        for rank, key in enumerate(_KINDS)
        for index in range(len(document.get(key, [])))
    }
    ordered = sorted(skipped.items(), key=lambda pair: order[pair[0]])
    return directory, [SkippedRecord(where, tuple(errors)) for where, errors in ordered]


_KINDS = ("agencies", "services")


def _drop(
    error: ValidationError,
    records: dict[str, list[tuple[int, Any]]],
    skipped: dict[str, list[ErrorItem]],
    gone_agencies: set[str],
) -> bool:
    """Move the records an error names into ``skipped``; False if it names none.

    The directory's paths count records as built (after earlier skips); the
    report's count them as the document has them.
    """
    doomed: dict[str, set[int]] = {key: set() for key in _KINDS}
    for item in error.errors:
        head, _, tail = item.path.partition("[")
        position, _, rest = tail.partition("]")
        if head not in doomed or not position.isdigit():
            return False  # a problem outside agencies and services: not skippable
        index, value = records[head][int(position)]
        where = f"{head}[{index}]"
        message = item.message
        if head == "services" and rest == ".agency_id" and value.agency_id in gone_agencies:
            message = f"its agency {value.agency_id!r} was skipped"
        skipped.setdefault(where, []).append(ErrorItem(where + rest, message))
        doomed[head].add(int(position))
    for built in doomed["agencies"]:
        gone_agencies.add(records["agencies"][built][1].id)
    for key, positions in doomed.items():
        records[key] = [pair for n, pair in enumerate(records[key]) if n not in positions]
    return True

"""``saihan export`` and ``saihan import``: a directory through any format plugin.

``export`` writes the bundled sample, a directory file (``--input``) or a store
(``--store``) through any installed exporter of directories; ``import`` reads a
file through any importer (strictly, or ``--lenient``), stores it atomically and
writes what the import did (:class:`saihan.plugins.ImportReport`) to ``--report``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

import attrs

from saihan import plugins, storage
from saihan.access import Action, may
from saihan.cli.common import (
    EXIT_OK,
    add_directory_export_options,
    add_input,
    emit_export,
    export_payload,
    format_options,
    input_directory,
)
from saihan.cli.principal import add_principal, principal_of
from saihan.cli.progress import Steps, add_quiet
from saihan.directory import Directory, merge_directories
from saihan.errors import AccessDenied, NotFoundError, ValidationError
from saihan.limits import read_file
from saihan.plugins import ImportReport

__all__ = ["register"]

_STORE_HELP = (
    "store URL, e.g. sqlite:///saihan.db or postgresql://host/db "
    "(default: $SAIHAN_STORE_URL, else the embedded store)"
)


def _add_format_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--option",
        action="append",
        metavar="NAME=VALUE",
        help="an option of the format plugin, VALUE as JSON when it parses (bom=true); repeat it",
    )
    parser.add_argument(
        "--encoding",
        choices=("utf-8", "cp932"),
        help="text encoding, for formats that take one (opendata-csv: utf-8, the default, "
        "or cp932, the Shift_JIS many municipalities publish); the plugin's encoding option",
    )


def register(commands: Any) -> None:
    """Add ``export`` and ``import`` to the top-level subparsers."""
    exporters = ", ".join(plugins.available(plugins.EXPORTERS))
    importers = ", ".join(plugins.available(plugins.IMPORTERS))

    export = commands.add_parser(
        "export",
        help="write a directory (sample, file or store) through any exporter",
        description=f"Installed exporters: {exporters} (those that write directories apply).",
    )
    source = export.add_mutually_exclusive_group()
    add_input(source)
    source.add_argument("--store", metavar="URL", help=_STORE_HELP + "; read from it")
    add_directory_export_options(export)
    _add_format_options(export)
    add_quiet(export)
    export.set_defaults(handler=_export)

    load = commands.add_parser(
        "import",
        help="read a file through any importer and store it atomically",
        description=f"Installed importers: {importers} (those that read directories apply).",
    )
    load.add_argument("file", type=Path, help="the file to read")
    load.add_argument("--format", default="json", help="importer name (default: json)")
    load.add_argument(
        "--lenient", action="store_true", help="load the good records, report the skipped ones"
    )
    load.add_argument(
        "--report", type=Path, metavar="FILE", help="write the import report (JSON if .json)"
    )
    load.add_argument("--store", metavar="URL", help=_STORE_HELP)
    load.add_argument(
        "--merge",
        action="store_true",
        help="merge into the stored directory by id (pages of a feed, several sources) "
        "instead of replacing it; conflicts go to the report",
    )
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check everything, say what would be added, changed, removed and "
        "skipped, and write nothing to the store",
    )
    add_principal(load)  # writing a directory is a system principal's work
    load.add_argument(
        "--progress",
        choices=("auto", "bar", "none"),
        default="auto",
        help="progress bar on standard error: auto (when it is a terminal), bar, none",
    )
    add_quiet(load)
    _add_format_options(load)
    load.set_defaults(handler=_import)


def _export(args: argparse.Namespace, out: TextIO) -> int:
    with Steps.of(args) as steps:
        if args.store is not None:
            with steps.step("reading the store"), storage.open(args.store, create=False) as store:
                directory = store.load_directory()
        else:
            with steps.step("reading the directory"):
                directory = input_directory(args)
        with steps.step(f"exporting {len(directory.services)} services as {args.format}"):
            payload = export_payload(directory, args)
    return emit_export(directory, payload, args, out)


def _import(args: argparse.Namespace, out: TextIO) -> int:
    with Steps.of(args) as steps:
        with steps.step(f"reading {args.file.name}"):
            data = read_file(args.file)
        importer = plugins.importer(args.format, for_type=Directory)
        # A strict import that fails raises here: nothing has been stored.
        options = format_options(args.option)
        if args.encoding is not None:
            options["encoding"] = args.encoding
        with steps.step(f"validating ({args.format})"):
            result = plugins.import_with_report(importer, data, lenient=args.lenient, **options)
        directory: Directory = result.value
        report = result.report
        if args.dry_run:
            found = _dry_run(args, directory, steps)
            with steps.step("comparing with the stored directory"):
                changes = _changes(found[0], found[1])
        else:
            directory, report, written, where = _store(args, directory, report, steps)
    if args.dry_run:
        return _print_dry_run(args, report, changes, *found, out)
    _write_report(args.report, report, "stored, but cannot")
    counts = f"{len(directory.agencies)} agencies and {len(directory.services)} services"
    summary = (
        f"merged into {where}, which now holds {counts} ({written} records)"
        if args.merge
        else f"imported {counts} ({written} records) into {where}"
    )
    conflicts = [note for note in report.not_carried if note.startswith("merge conflict: ")]
    if conflicts:
        summary += f"; {len(conflicts)} merge conflict(s), the imported records kept"
    if report.skipped:
        summary += f"; skipped {len(report.skipped)} record(s)"
    if report.not_carried:
        summary += f"; {len(report.not_carried)} note(s) on what was not carried"
    if args.report is not None:
        summary += f"; report: {args.report}"
    print(summary, file=sys.stderr)
    return EXIT_OK


def _store(
    args: argparse.Namespace, directory: Directory, report: ImportReport, steps: Steps
) -> tuple[Directory, ImportReport, int, str]:
    """Write ``directory`` (merged into the stored one with ``--merge``) in one transaction."""
    with storage.open(args.store, principal=principal_of(args)) as store:
        if args.merge:
            with steps.step("reading the stored directory"):
                stored = store.load_directory()
            with steps.step("merging into the stored directory"):
                directory, conflicts = merge_directories(stored, directory)
            report = attrs.evolve(
                report,
                not_carried=(
                    *report.not_carried,
                    *(f"merge conflict: {conflict}" for conflict in conflicts),
                ),
            )
        written = store.import_directory(directory, progress=steps.records("writing"))
        return directory, report, written, store.url


def _write_report(path: Path | None, report: ImportReport, failed: str) -> None:
    if path is None:
        return
    text = report.to_json() if path.suffix == ".json" else report.to_text()
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ValidationError(
            f"{failed} write the report {str(path)!r}: {error.strerror}"
        ) from None


# What a dry run lists of each kind of record, by id (needs and kinds by code).
_KINDS = (
    ("agencies", "agencies", "id"),
    ("services", "services", "id"),
    ("needs", "needs", "code"),
    ("agency kinds", "agency_kinds", "code"),
)
_LISTED = 20  # ids listed per line of a dry run; the count says how many there are


def _changes(old: Directory, new: Directory) -> list[tuple[str, dict[str, list[str]]]]:
    """For each kind of record: the ids added, changed, removed and unchanged."""
    found = []
    for label, field, key in _KINDS:
        before = {getattr(item, key): item for item in getattr(old, field)}
        after = {getattr(item, key): item for item in getattr(new, field)}
        found.append(
            (
                label,
                {
                    "added": sorted(set(after) - set(before)),
                    "changed": sorted(k for k in after.keys() & before if after[k] != before[k]),
                    "removed": sorted(set(before) - set(after)),
                    "unchanged": sorted(k for k in after.keys() & before if after[k] == before[k]),
                },
            )
        )
    return found


_DryRun = tuple[Directory, Directory, tuple[str, ...], int, str, bool]


def _dry_run(args: argparse.Namespace, directory: Directory, steps: Steps) -> _DryRun:
    """What the import would do, the store read and never written (a refused principal
    is audited, as any refusal is): the stored and the new directory, the merge
    conflicts, the records it would write, where, and whether the store exists."""
    conflicts: tuple[str, ...] = ()
    try:
        store = storage.open(args.store, create=False, principal=principal_of(args))
    except NotFoundError:
        store = None
    if store is None:
        if not may(principal_of(args), Action.CHANGE_DIRECTORY):
            raise AccessDenied(
                "importing a directory is a system principal's work: --as system:system "
                "(see docs/access.md)"
            )
        where, stored = str(args.store or storage.default_url()), Directory()
        records = 1 + len(directory.needs) + len(directory.agency_kinds)
        records += len(directory.agencies) + len(directory.services)
    else:
        with store:
            with steps.step("reading the stored directory"):
                where, stored = store.url, store.load_directory()
            if args.merge:
                with steps.step("merging into the stored directory"):
                    directory, conflicts = merge_directories(stored, directory)
            checking = steps.records("checking")
            records = store.import_directory(directory, dry_run=True, progress=checking)
    return stored, directory, conflicts, records, where, store is not None


def _print_dry_run(
    args: argparse.Namespace,
    report: ImportReport,
    changes: list[tuple[str, dict[str, list[str]]]],
    stored: Directory,
    directory: Directory,
    conflicts: tuple[str, ...],
    records: int,
    where: str,
    exists: bool,
    out: TextIO,
) -> int:
    verb = "merge the file into" if args.merge else "replace the directory in"
    print(f"dry run: nothing was written; the import would {verb} {where}", file=out)
    if not exists:
        print("  (there is no store there yet: the import would create it)", file=out)
    for label, found in changes:
        counts = ", ".join(f"{len(ids)} {what}" for what, ids in found.items())
        print(f"{label}: {counts}", file=out)
        for what, mark in (("added", "+"), ("changed", "~"), ("removed", "-")):
            ids = found[what]
            if ids:
                more = f" (and {len(ids) - _LISTED} more)" if len(ids) > _LISTED else ""
                print(f"  {mark} {' '.join(ids[:_LISTED])}{more}", file=out)
    for conflict in conflicts:
        print(f"merge conflict: {conflict} (the file's kept)", file=out)
    out.write(report.to_text())  # what was read: loaded, skipped (and why), not carried
    print(
        f"would write {records} records: {len(directory.agencies)} agencies and "
        f"{len(directory.services)} services",
        file=out,
    )
    _write_report(args.report, report, "checked, but cannot")
    return EXIT_OK

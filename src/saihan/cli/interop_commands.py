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
    add_importer,
    add_input,
    add_lang,
    emit_export,
    export_payload,
    format_options,
    importer_name,
    input_directory,
    note_events_left_out,
    say,
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
    add_importer(load, "json", old_spelling=True)
    add_lang(load)
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
    load.set_defaults(handler=_import, localized_errors=True)


def _export(args: argparse.Namespace, out: TextIO) -> int:
    events = 0
    with Steps.of(args) as steps:
        if args.store is not None:
            with steps.step("reading the store"), storage.open(args.store, create=False) as store:
                directory = store.load_directory()
                events = store.events.count()
        else:
            with steps.step("reading the directory"):
                directory = input_directory(args)
        with steps.step(f"exporting {len(directory.services)} services as {args.format}"):
            payload = export_payload(directory, args)
    note_events_left_out(args, events)
    return emit_export(directory, payload, args, out)


def _import(args: argparse.Namespace, out: TextIO) -> int:
    name = importer_name(args)
    with Steps.of(args) as steps:
        with steps.step(f"reading {args.file.name}"):
            data = read_file(args.file)
        importer = plugins.importer(name, for_type=Directory)
        # A strict import that fails raises here: nothing has been stored.
        options = format_options(args.option)
        if args.encoding is not None:
            options["encoding"] = args.encoding
        with steps.step(f"validating ({name})"):
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
    print(_summary(args, directory, report, written, where), file=sys.stderr)
    return EXIT_OK


def _summary(
    args: argparse.Namespace, directory: Directory, report: ImportReport, written: int, where: str
) -> str:
    """The line an import ends with, in ``--lang``: what it stored, where, and what it
    skipped, found in conflict or could not carry."""
    agencies, services = len(directory.agencies), len(directory.services)
    conflicts = len([note for note in report.not_carried if note.startswith("merge conflict: ")])
    if args.merge:
        parts = [
            say(
                args,
                f"{where} に統合しました。機関 {agencies} 件とサービス {services} 件になりました"
                f"（記録 {written} 件）",
                f"merged into {where}, which now holds {agencies} agencies and {services} "
                f"services ({written} records)",
            )
        ]
    else:
        parts = [
            say(
                args,
                f"機関 {agencies} 件とサービス {services} 件を {where} に取り込みました"
                f"（記録 {written} 件）",
                f"imported {agencies} agencies and {services} services ({written} records) "
                f"into {where}",
            )
        ]
    if conflicts:
        parts.append(
            say(
                args,
                f"統合の衝突 {conflicts} 件（取り込んだ側の記録を採りました）",
                f"{conflicts} merge conflict(s), the imported records kept",
            )
        )
    if report.skipped:
        count = len(report.skipped)
        parts.append(say(args, f"飛ばした記録 {count} 件", f"skipped {count} record(s)"))
    if report.not_carried:
        count = len(report.not_carried)
        parts.append(
            say(
                args,
                f"引き継げなかったものの注記 {count} 件",
                f"{count} note(s) on what was not carried",
            )
        )
    if args.report is not None:
        parts.append(say(args, f"報告: {args.report}", f"report: {args.report}"))
    return say(args, "。", "; ").join(parts)


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
_LABEL_JA = {
    "agencies": "機関",
    "services": "サービス",
    "needs": "ニーズ",
    "agency kinds": "機関の種別",
}
_WHAT_JA = {"added": "追加", "changed": "変更", "removed": "削除", "unchanged": "変更なし"}


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
    if args.merge:
        said = say(args, f"ファイルを {where} に統合します", f"merge the file into {where}")
    else:
        said = say(
            args, f"{where} のディレクトリを置き換えます", f"replace the directory in {where}"
        )
    print(
        say(
            args,
            f"試行（dry run）: 何も書き込んでいません。取り込むと {said}",
            f"dry run: nothing was written; the import would {said}",
        ),
        file=out,
    )
    if not exists:
        print(
            say(
                args,
                "  （そこにはまだストアがありません。取り込むと作られます）",
                "  (there is no store there yet: the import would create it)",
            ),
            file=out,
        )
    for label, found in changes:
        counts = say(args, "、", ", ").join(
            say(args, f"{_WHAT_JA[what]} {len(ids)} 件", f"{len(ids)} {what}")
            for what, ids in found.items()
        )
        print(f"{say(args, _LABEL_JA[label], label)}: {counts}", file=out)
        for what, mark in (("added", "+"), ("changed", "~"), ("removed", "-")):
            ids = found[what]
            if ids:
                rest = len(ids) - _LISTED
                more = say(args, f"（ほか {rest} 件）", f" (and {rest} more)") if rest > 0 else ""
                print(f"  {mark} {' '.join(ids[:_LISTED])}{more}", file=out)
    for conflict in conflicts:
        said = say(args, "（ファイルの側を採ります）", " (the file's kept)")
        print(f"merge conflict: {conflict}{said}", file=out)
    out.write(report.to_text())  # what was read: loaded, skipped (and why), not carried
    agencies, services = len(directory.agencies), len(directory.services)
    print(
        say(
            args,
            f"書き込む記録 {records} 件: 機関 {agencies} 件とサービス {services} 件",
            f"would write {records} records: {agencies} agencies and {services} services",
        ),
        file=out,
    )
    _write_report(args.report, report, "checked, but cannot")
    return EXIT_OK

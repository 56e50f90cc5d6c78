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
from saihan.cli.common import (
    EXIT_OK,
    add_directory_export_options,
    add_input,
    export_directory,
    format_options,
    input_directory,
)
from saihan.cli.principal import add_principal, principal_of
from saihan.cli.store_commands import ProgressBar
from saihan.directory import Directory, merge_directories
from saihan.errors import ValidationError
from saihan.limits import read_file

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
    add_principal(load)  # writing a directory is a system principal's work
    load.add_argument(
        "--progress",
        choices=("auto", "bar", "none"),
        default="auto",
        help="progress bar on standard error: auto (when it is a terminal), bar, none",
    )
    _add_format_options(load)
    load.set_defaults(handler=_import)


def _export(args: argparse.Namespace, out: TextIO) -> int:
    if args.store is not None:
        with storage.open(args.store, create=False) as store:
            directory = store.load_directory()
    else:
        directory = input_directory(args)
    return export_directory(directory, args, out)


def _import(args: argparse.Namespace, out: TextIO) -> int:
    data = read_file(args.file)
    importer = plugins.importer(args.format, for_type=Directory)
    # A strict import that fails raises here: nothing has been stored.
    result = plugins.import_with_report(
        importer, data, lenient=args.lenient, **format_options(args.option)
    )
    directory: Directory = result.value
    report = result.report
    conflicts: tuple[str, ...] = ()
    show = args.progress == "bar" or (args.progress == "auto" and sys.stderr.isatty())
    bar = ProgressBar(sys.stderr) if show else None
    with storage.open(args.store, principal=principal_of(args)) as store:
        if args.merge:
            directory, conflicts = merge_directories(store.load_directory(), directory)
            report = attrs.evolve(
                report,
                not_carried=(
                    *report.not_carried,
                    *(f"merge conflict: {conflict}" for conflict in conflicts),
                ),
            )
        try:
            written = store.import_directory(directory, progress=bar)  # one transaction
        finally:
            if bar is not None:
                bar.close()
        where = store.url
    if args.report is not None:
        text = report.to_json() if args.report.suffix == ".json" else report.to_text()
        try:
            args.report.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ValidationError(
                f"stored, but cannot write the report {str(args.report)!r}: {error.strerror}"
            ) from None
    counts = f"{len(directory.agencies)} agencies and {len(directory.services)} services"
    summary = (
        f"merged into {where}, which now holds {counts} ({written} records)"
        if args.merge
        else f"imported {counts} ({written} records) into {where}"
    )
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

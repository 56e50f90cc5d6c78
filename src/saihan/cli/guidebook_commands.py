"""``saihan guidebook build``: the supporters' guidebook as a printable PDF or one HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from saihan.cli.common import EXIT_OK, add_input, add_lang, say
from saihan.directory import Directory
from saihan.errors import ValidationError

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``guidebook`` group to the top-level subparsers."""
    group = commands.add_parser(
        "guidebook", help="the supporters' guidebook: directory, flowcharts and columns"
    )
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="action", metavar="ACTION")
    build = sub.add_parser(
        "build", help="write the guidebook as a printable A4 PDF or one HTML file"
    )
    build.add_argument(
        "--output", "-o", type=Path, required=True, metavar="FILE", help="the file to write"
    )
    build.add_argument(
        "--format",
        choices=("pdf", "html"),
        default=None,
        help="pdf or html (default: from the output's suffix, else pdf)",
    )
    add_input(build)
    build.add_argument(
        "--store",
        metavar="URL",
        help="read the directory from this store (sqlite:///saihan.db, postgresql://...)",
    )
    build.add_argument(
        "--columns",
        type=Path,
        metavar="DIR",
        help="folder of Markdown column files for part 3 (default: the bundled samples)",
    )
    add_lang(build)
    build.set_defaults(handler=_build)


def _directory(args: argparse.Namespace) -> Directory:
    if args.store is not None and args.input is not None:
        raise ValidationError("give --input or --store, not both", path="store")
    if args.store is None:
        from saihan.cli.common import input_directory

        return input_directory(args)
    from saihan import storage

    with storage.open(args.store, create=False) as store:
        return store.load_directory()


def _build(args: argparse.Namespace, out: TextIO) -> int:
    from saihan.publish.guidebook import write_guidebook

    output: Path = args.output
    chosen = args.format or ("html" if output.suffix.lower() in (".html", ".htm") else "pdf")
    directory = _directory(args)
    write_guidebook(directory, output, format=chosen, columns=args.columns, lang=args.lang)
    print(
        say(args, f"ガイドブックを書きました: {output}", f"wrote the guidebook: {output}"),
        file=sys.stderr,
    )
    return EXIT_OK

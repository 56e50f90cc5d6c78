"""``saihan portal build``: the directory as a static web site (saihan.publish)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from saihan.cli.common import EXIT_OK, add_input, input_directory, say
from saihan.cli.progress import Steps, add_quiet
from saihan.directory import Directory
from saihan.errors import ValidationError

__all__ = ["register", "source_directory"]

_STORE_HELP = "read the directory from this store (sqlite:///saihan.db, postgresql://...)"


def register(commands: Any) -> None:
    """Add the ``portal`` group to the top-level subparsers."""
    group = commands.add_parser("portal", help="the directory as a static web site (リスタネット)")
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="action", metavar="ACTION")
    build = sub.add_parser(
        "build", help="write the portal site: works from a file share or any web server"
    )
    build.add_argument(
        "--output",
        "-o",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder to write the site into",
    )
    add_input(build)
    build.add_argument("--store", metavar="URL", help=_STORE_HELP)
    build.add_argument(
        "--lang",
        choices=("ja", "en"),
        default="ja",
        help="language of the top pages; the other is under en/ or ja/ (default ja)",
    )
    build.add_argument(
        "--base-url",
        metavar="URL",
        help="address the site is served from: canonical links and sitemap.xml",
    )
    build.add_argument(
        "--weeks",
        type=int,
        default=8,
        help="weeks of openings to compute for 'open now' (default 8)",
    )
    add_quiet(build)
    build.set_defaults(handler=_build)


def source_directory(args: argparse.Namespace) -> Directory:
    """The directory of ``--store`` (read whole) or ``--input`` (or the sample)."""
    if args.store is not None and args.input is not None:
        raise ValidationError("give --input or --store, not both", path="store")
    if args.store is not None:
        from saihan import storage

        with storage.open(args.store, create=False) as store:
            return store.load_directory()
    return input_directory(args)


def _build(args: argparse.Namespace, out: TextIO) -> int:
    from saihan.publish import build_portal

    with Steps.of(args) as steps:
        with steps.step("reading the directory"):
            directory = source_directory(args)
        with steps.step(f"building the portal of {len(directory.services)} services"):
            report = build_portal(
                directory, args.output, lang=args.lang, base_url=args.base_url, weeks=args.weeks
            )
    out.write(
        say(
            args,
            f"{report.output} に {report.pages} ページを書きました"
            f"（サービス {report.services}、機関 {report.agencies}、支援の流れ {report.flows}）\n",
            f"wrote {report.pages} pages to {report.output} ({report.services} services, "
            f"{report.agencies} agencies, {report.flows} flows)\n",
        )
    )
    return EXIT_OK

"""``saihan store ...``: create a store, import and export directories, inspect it.

Every command takes ``--url`` (default: ``$SAIHAN_STORE_URL``, else the embedded
SQLite file; see ``docs/storage.md``).  Record contents are never printed
except by ``export``, which writes the directory the caller asked for; ``cases``
shows a case's id, municipality and day received, nothing sensitive.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from saihan import plugins, storage
from saihan.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_directory_export_options,
    add_importer,
    add_lang,
    add_printing_options,
    emit_export,
    export_payload,
    importer_name,
    note_events_left_out,
    say,
    write_json,
)
from saihan.cli.principal import add_principal, principal_of
from saihan.cli.progress import Steps, add_quiet
from saihan.cli.table import render_fields, render_table
from saihan.directory import Directory
from saihan.directory.municipalities import find_municipality
from saihan.limits import read_file

__all__ = ["register"]


def _add_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        "--url",  # the old spelling, kept as an alias: every command says --store now
        dest="url",
        metavar="URL",
        help="store URL, e.g. sqlite:///saihan.db or postgresql://host/db "
        "(default: $SAIHAN_STORE_URL, else the embedded store; --url is an old alias)",
    )
    add_principal(parser)


def register(commands: Any) -> None:
    """Add the ``store`` command group to the top-level subparsers."""
    store = commands.add_parser("store", help="keep a directory in a database (storage backends)")
    store.set_defaults(group_parser=store)
    sub = store.add_subparsers(dest="action", metavar="ACTION")

    init = sub.add_parser("init", help="create the store (or migrate it) and say where it is")
    _add_url(init)
    add_printing_options(init)
    init.set_defaults(handler=_init)

    load = sub.add_parser("import", help="replace the stored directory with a file, atomically")
    _add_url(load)
    load.add_argument("file", type=Path, help="a directory document")
    add_importer(load, "json", old_spelling=True)
    add_lang(load)
    load.add_argument(
        "--progress",
        choices=("auto", "bar", "none"),
        default="auto",
        help="progress bar on standard error: auto (when it is a terminal), bar, none",
    )
    add_quiet(load)
    load.set_defaults(handler=_import, localized_errors=True)

    export = sub.add_parser("export", help="write the stored directory through an exporter")
    _add_url(export)
    add_directory_export_options(export)
    add_quiet(export)
    export.set_defaults(handler=_export)

    info = sub.add_parser("info", help="backend, schema version and record counts")
    _add_url(info)
    info.add_argument("--check", action="store_true", help="also run the integrity check")
    add_printing_options(info)
    info.set_defaults(handler=_info)

    cases = sub.add_parser(
        "cases", help="list stored cases: id, municipality, day received (never their contents)"
    )
    _add_url(cases)
    cases.add_argument("--municipality", help="handling municipality (code or name)")
    cases.add_argument("--worker", help="worker id")
    cases.add_argument("--need", help="need code (sub-needs included)")
    cases.add_argument("--limit", type=int, help="at most this many cases")
    add_printing_options(cases)
    cases.set_defaults(handler=_cases)


def _init(args: argparse.Namespace, out: TextIO) -> int:
    with storage.open(args.url, principal=principal_of(args)) as store:
        url, scheme, version = store.url, store.scheme, store.info().schema_version
    if args.format == "json":
        write_json({"ready": True, "url": url, "backend": scheme, "schema_version": version}, out)
        return EXIT_OK
    print(
        say(
            args,
            f"準備完了: {url}（{scheme}、スキーマの版 {version}）",
            f"ready: {url} ({scheme}, schema version {version})",
        ),
        file=out,
    )
    return EXIT_OK


def _import(args: argparse.Namespace, out: TextIO) -> int:
    name = importer_name(args)
    with Steps.of(args) as steps:
        with steps.step(f"reading {args.file.name}"):
            data = read_file(args.file)
        importer = plugins.importer(name, for_type=Directory)
        with steps.step(f"validating ({name})"):
            directory = importer.load(data)
        with storage.open(args.url, principal=principal_of(args)) as store:
            written = store.import_directory(directory, progress=steps.records("writing"))
            where = store.url
    agencies, services = len(directory.agencies), len(directory.services)
    print(
        say(
            args,
            f"機関 {agencies} 件とサービス {services} 件を {where} に取り込みました"
            f"（記録 {written} 件）",
            f"imported {agencies} agencies and {services} services ({written} records) "
            f"into {where}",
        ),
        file=out,
    )
    return EXIT_OK


def _export(args: argparse.Namespace, out: TextIO) -> int:
    with Steps.of(args) as steps:
        with (
            steps.step("reading the store"),
            storage.open(args.url, create=False, principal=principal_of(args)) as store,
        ):
            directory = store.load_directory()
            events = store.events.count()
        with steps.step(f"exporting {len(directory.services)} services as {args.format}"):
            payload = export_payload(directory, args)
    note_events_left_out(args, events)
    return emit_export(directory, payload, args, out)


def _place(code: str | None) -> str:
    if code is None:
        return "-"
    found = find_municipality(code)
    return f"{code} {found[0].name_ja}" if len(found) == 1 else code


def _cases(args: argparse.Namespace, out: TextIO) -> int:
    with storage.open(args.url, create=False, principal=principal_of(args)) as store:
        found = store.cases.search(
            municipality=args.municipality, worker=args.worker, need=args.need, limit=args.limit
        )
    # Only the id, municipality and day: a case's other fields are sensitive.
    if args.format == "json":
        listed = [
            {
                "id": item.value.id,
                "municipality": item.value.municipality,
                "received_on": item.value.received_on.isoformat(),
            }
            for item in found
        ]
        write_json({"count": len(listed), "cases": listed}, out)
        return EXIT_OK
    rows = [
        [item.value.id, _place(item.value.municipality), item.value.received_on.isoformat()]
        for item in found
    ]
    headers = (
        ["ケース", "市区町村", "受付日"]
        if args.lang == "ja"
        else ["case", "municipality", "received"]
    )
    print(render_table(headers, rows, keep=(0, 2)), file=out)
    print(
        say(args, f"ケース {len(rows)} 件", f"{len(rows)} case{'' if len(rows) == 1 else 's'}"),
        file=out,
    )
    return EXIT_OK


def _info(args: argparse.Namespace, out: TextIO) -> int:
    with storage.open(args.url, create=False, principal=principal_of(args)) as store:
        info = store.info()
        problems = [str(problem) for problem in store.integrity_check()] if args.check else None
    if args.format == "json":
        document: dict[str, object] = {
            "url": info.url,
            "backend": info.scheme,
            "schema_version": info.schema_version,
            "counts": dict(info.counts),
            "details": dict(info.details),
        }
        if problems is not None:
            document["integrity"] = {"ok": not problems, "problems": problems}
        write_json(document, out)
        return EXIT_FAILED if problems else EXIT_OK
    rows = [
        ("url", info.url),
        (say(args, "バックエンド", "backend"), info.scheme),
        (say(args, "スキーマの版", "schema version"), str(info.schema_version)),
        *(
            (say(args, f"{kind} の記録数", f"{kind} records"), str(count))
            for kind, count in info.counts.items()
        ),
        *info.details.items(),
    ]
    if problems is not None and not problems:
        rows.append((say(args, "整合性", "integrity"), "ok"))
    print(render_fields(rows), file=out)
    if problems:
        for problem in problems:
            print(f"{say(args, '問題', 'problem')}: {problem}", file=out)
        return EXIT_FAILED
    return EXIT_OK

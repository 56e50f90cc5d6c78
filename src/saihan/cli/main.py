"""Argument parsing and dispatch for the ``saihan`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from saihan import plugins
from saihan._version import __version__
from saihan.cli.table import render_table
from saihan.directory import (
    AreaKind,
    Audience,
    Channel,
    Directory,
    Service,
    load_directory,
    municipality,
    sample_directory,
    tokyo_municipalities,
)
from saihan.errors import SaihanError, ValidationError
from saihan.serialization import published_schemas, unstructure

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1  # the input was bad or something was not found
EXIT_USAGE = 2  # argparse's own code for a bad command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saihan",
        description="Find support in Tokyo's recidivism-prevention support network.",
    )
    parser.add_argument("--version", action="version", version=f"saihan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    directory = commands.add_parser("directory", help="validate, export and search directories")
    sub = directory.add_subparsers(dest="action", metavar="ACTION")

    validate = sub.add_parser("validate", help="check a directory file; list every error")
    validate.add_argument("file", type=Path, help="a directory document (JSON)")
    validate.add_argument("--format", default="json", help="importer to read it with (json)")
    validate.set_defaults(handler=_validate)

    export = sub.add_parser("export", help="write a directory through an exporter plugin")
    _add_input(export)
    export.add_argument("--format", default="json", help="exporter name (default: json)")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.add_argument(
        "--include-confidential",
        action="store_true",
        help="keep confidential addresses (for a private backup, never for publishing)",
    )
    export.set_defaults(handler=_export)

    search = sub.add_parser("search", help="find services by need, place, kind or text")
    _add_input(search)
    search.add_argument("--need", help="need code, e.g. housing or drug_alcohol.treatment")
    search.add_argument("--municipality", help="code or name: 131016, 八王子市, hachioji")
    search.add_argument("--kind", help="agency kind code, e.g. hello_work")
    search.add_argument("--audience", choices=[a.value for a in Audience], help="who consults")
    search.add_argument("--channel", choices=[c.value for c in Channel], help="how to reach it")
    search.add_argument("--text", help="words in names or descriptions (any width, kana)")
    search.add_argument("--format", choices=("table", "json"), default="table")
    search.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of tables")
    search.set_defaults(handler=_search)

    needs = sub.add_parser("needs", help="list the need taxonomy")
    _add_input(needs)
    needs.add_argument("--lang", choices=("ja", "en"), default="ja")
    needs.set_defaults(handler=_needs)

    kinds = sub.add_parser("kinds", help="list the agency kinds")
    _add_input(kinds)
    kinds.add_argument("--lang", choices=("ja", "en"), default="ja")
    kinds.set_defaults(handler=_kinds)

    places = sub.add_parser("municipalities", help="list Tokyo's 62 municipalities")
    places.set_defaults(handler=_municipalities)

    schema = commands.add_parser("schema", help="print or write the JSON Schemas of the models")
    schema.add_argument("model", nargs="?", help="model name, e.g. Service (default: all)")
    schema.add_argument("--write", type=Path, metavar="DIR", help="write every schema into DIR")
    schema.set_defaults(handler=_schema)
    return parser


def _add_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        "-i",
        type=Path,
        metavar="FILE",
        help="directory document to use (default: the bundled sample)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        chosen = parser if args.command is None else _subparser(parser, args.command)
        chosen.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        result: int = handler(args, sys.stdout)
    except ValidationError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except SaihanError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `saihan ... | head` closed the pipe: not an error
        return EXIT_OK
    return result


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            chosen: argparse.ArgumentParser = action.choices[name]
            return chosen
    return parser


def _directory(args: argparse.Namespace) -> Directory:
    path: Path | None = args.input
    return sample_directory() if path is None else load_directory(path)


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        raise ValidationError(f"cannot read {str(args.file)!r}: {error.strerror}") from None
    directory = plugins.importer(args.format).load(data)
    print(
        f"ok: {args.file}: {len(directory.agencies)} agencies, {len(directory.services)} services",
        file=out,
    )
    return EXIT_OK


def _export(args: argparse.Namespace, out: TextIO) -> int:
    directory = _directory(args)
    exporter = plugins.exporter(args.format)
    payload = exporter.export(directory, include_confidential=args.include_confidential)
    if args.output is None:
        out.write(payload.decode("utf-8"))
        out.flush()
    else:
        try:
            args.output.write_bytes(payload)
        except OSError as error:
            raise ValidationError(f"cannot write {str(args.output)!r}: {error.strerror}") from None
        print(f"wrote {len(directory.services)} services to {args.output}", file=sys.stderr)
    return EXIT_OK


def _search(args: argparse.Namespace, out: TextIO) -> int:
    directory = _directory(args)
    found = directory.search(
        need=args.need,
        municipality=args.municipality,
        kind=args.kind,
        audience=args.audience,
        channel=args.channel,
        text=args.text,
    )
    if args.format == "json":
        records = [_service_record(directory, service) for service in found]
        json.dump({"count": len(found), "services": records}, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    if not found:
        print(
            "no services match" if args.lang == "en" else "該当するサービスはありません", file=out
        )
        return EXIT_OK
    headers = (
        ("id", "service", "agency kind", "area", "channels")
        if args.lang == "en"
        else ("id", "サービス", "機関の種別", "対象地域", "連絡方法")
    )
    rows = [
        (
            service.id,
            service.name.get(args.lang),
            directory.kinds[directory.agency_of(service).kind].name.get(args.lang),
            _area_label(service, args.lang),
            ", ".join(sorted(directory.channels_of(service))),
        )
        for service in found
    ]
    print(render_table(headers, rows), file=out)
    tail = f"{len(found)} services" if args.lang == "en" else f"{len(found)} 件"
    print(tail, file=out)
    return EXIT_OK


def _service_record(directory: Directory, service: Service) -> dict[str, object]:
    agency = directory.agency_of(service)
    record: dict[str, object] = unstructure(service)
    record["agency"] = {"id": agency.id, "name": unstructure(agency.name), "kind": agency.kind}
    record["channels"] = sorted(directory.channels_of(service))
    return record


def _area_label(service: Service, lang: str) -> str:
    area = service.area
    if area.kind is AreaKind.NATIONAL:
        return "national" if lang == "en" else "全国"
    if area.kind is AreaKind.PREFECTURE:
        if area.prefecture_code == "13":
            return "all of Tokyo" if lang == "en" else "東京都全域"
        return f"prefecture {area.prefecture_code}"
    codes = sorted(area.municipality_codes)
    first = codes[0]
    try:
        place = municipality(first)
        name = place.name_en if lang == "en" else place.name_ja
    except SaihanError:
        name = first
    return name if len(codes) == 1 else f"{name} +{len(codes) - 1}"


def _needs(args: argparse.Namespace, out: TextIO) -> int:
    taxonomy = _directory(args).taxonomy
    rows = []
    for need in taxonomy:
        depth = len(taxonomy.ancestors(need.code)) - 1
        rows.append(
            (
                "  " * depth + need.code,
                need.label.get(args.lang),
                str(taxonomy.priority_area(need.code)),
            )
        )
    headers = ("code", "need", "area") if args.lang == "en" else ("コード", "ニーズ", "重点課題")
    print(render_table(headers, rows, max_width=60), file=out)
    return EXIT_OK


def _kinds(args: argparse.Namespace, out: TextIO) -> int:
    kinds = _directory(args).kinds.values()
    rows = [(k.code, k.name.get(args.lang), ", ".join(sorted(k.needs))) for k in kinds]
    headers = ("code", "kind", "needs") if args.lang == "en" else ("コード", "種別", "ニーズ")
    print(render_table(headers, rows, max_width=50), file=out)
    return EXIT_OK


def _municipalities(args: argparse.Namespace, out: TextIO) -> int:
    rows = [
        (m.code, m.name_ja, m.name_kana, m.name_en, m.kind.value) for m in tokyo_municipalities()
    ]
    print(render_table(("code", "name", "kana", "romaji", "kind"), rows), file=out)
    return EXIT_OK


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    schemas = published_schemas()
    if args.model is not None:
        key = f"{args.model}.schema.json"
        if key not in schemas:
            names = ", ".join(sorted(name.removesuffix(".schema.json") for name in schemas))
            raise ValidationError(f"no model {args.model!r}; the models are {names}", path="model")
        schemas = {key: schemas[key]}
    if args.write is None:
        if len(schemas) == 1:
            json.dump(next(iter(schemas.values())), out, ensure_ascii=False, indent=2)
        else:
            json.dump(schemas, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    args.write.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas.items():
        text = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
        (args.write / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(schemas)} schemas to {args.write}", file=sys.stderr)
    return EXIT_OK

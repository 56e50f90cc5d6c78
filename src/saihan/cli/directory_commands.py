"""``saihan directory ...``: validate, export, search and list directories."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from saihan import plugins
from saihan.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_directory_export_options,
    add_importer,
    add_input,
    add_lang,
    add_output_format,
    emit_export,
    export_payload,
    importer_name,
    input_directory,
    say,
    write_json,
)
from saihan.cli.progress import Steps, add_quiet
from saihan.cli.table import render_table
from saihan.directory import (
    AreaKind,
    Audience,
    Channel,
    Directory,
    Service,
    municipality,
    tokyo_municipalities,
)
from saihan.errors import SaihanError, ValidationError
from saihan.limits import read_file
from saihan.serialization import unstructure

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``directory`` command group to the top-level subparsers."""
    directory = commands.add_parser("directory", help="validate, export and search directories")
    directory.set_defaults(group_parser=directory)
    sub = directory.add_subparsers(dest="action", metavar="ACTION")

    validate = sub.add_parser(
        "validate",
        help="check a directory file; list every error",
        description="Installed importers: "
        f"{', '.join(plugins.available(plugins.IMPORTERS))} (those that read directories apply).",
    )
    validate.add_argument("file", type=Path, help="a directory document (JSON)")
    add_importer(validate, "json", old_spelling=False)
    validate.add_argument(
        "--format",
        type=_validate_format,
        choices=("text", "json"),
        default="text",
        help="output format: text or json (default: text); an importer's name here is the "
        "old spelling of --importer NAME (deprecated)",
    )
    add_lang(validate)
    add_quiet(validate)
    validate.set_defaults(handler=_validate, localized_errors=True)

    export = sub.add_parser("export", help="write a directory through an exporter plugin")
    add_input(export)
    add_directory_export_options(export)
    add_quiet(export)
    export.set_defaults(handler=_export)

    search = sub.add_parser("search", help="find services by need, place, kind or text")
    add_input(search)
    search.add_argument("--need", help="need code, e.g. housing or drug_alcohol.treatment")
    search.add_argument("--municipality", help="code or name: 131016, 八王子市, hachioji")
    search.add_argument("--kind", help="agency kind code, e.g. hello_work")
    search.add_argument("--audience", choices=[a.value for a in Audience], help="who consults")
    search.add_argument("--channel", choices=[c.value for c in Channel], help="how to reach it")
    search.add_argument("--text", help="words in names or descriptions (any width, kana)")
    # "table" is the old name of "text", still taken.
    search.add_argument("--format", choices=("text", "json", "table"), default="text")
    search.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of tables")
    add_quiet(search)
    search.set_defaults(handler=_search)

    needs = sub.add_parser("needs", help="list the need taxonomy")
    add_input(needs)
    add_lang(needs)
    add_output_format(needs)
    needs.set_defaults(handler=_needs)

    kinds = sub.add_parser("kinds", help="list the agency kinds")
    add_input(kinds)
    add_lang(kinds)
    add_output_format(kinds)
    kinds.set_defaults(handler=_kinds)

    places = sub.add_parser("municipalities", help="list Tokyo's 62 municipalities")
    add_lang(places)
    add_output_format(places)
    places.set_defaults(handler=_municipalities)


class _OldImporterName(str):
    """``directory validate --format NAME`` with NAME an importer, as the command took it
    before ``--format`` named the output: text output, and ``importer`` the name."""

    importer: str


def _validate_format(text: str) -> str:
    if text in ("text", "json"):
        return text
    old = _OldImporterName("text")
    old.importer = text
    return old


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    if isinstance(args.format, _OldImporterName):  # the old spelling, with its warning
        args.old_importer = args.format.importer
    importer = importer_name(args)
    try:
        with Steps.of(args) as steps:
            with steps.step(f"reading {args.file.name}"):
                data = read_file(args.file)
            found = plugins.importer(importer, for_type=Directory)
            with steps.step(f"validating ({importer})"):
                directory = found.load(data)
    except ValidationError as error:
        if args.format != "json":
            raise  # every problem on standard error, in --lang's words (saihan.cli.messages)
        problems = [{"path": item.path, "message": item.message} for item in error.errors]
        write_json(
            {"file": str(args.file), "importer": importer, "valid": False, "problems": problems},
            out,
        )
        return EXIT_FAILED
    counts = {
        "agencies": len(directory.agencies),
        "services": len(directory.services),
        "extension_needs": len(directory.needs),
        "extension_agency_kinds": len(directory.agency_kinds),
    }
    if args.format == "json":
        write_json({"file": str(args.file), "importer": importer, "valid": True, **counts}, out)
        return EXIT_OK
    agencies, services = counts["agencies"], counts["services"]
    print(
        say(
            args,
            f"ok: {args.file}: 機関 {agencies} 件、サービス {services} 件（{importer}）",
            f"ok: {args.file}: {agencies} agencies, {services} services ({importer})",
        ),
        file=out,
    )
    return EXIT_OK


def _export(args: argparse.Namespace, out: TextIO) -> int:
    with Steps.of(args) as steps:
        with steps.step("reading the directory"):
            directory = input_directory(args)
        with steps.step(f"exporting {len(directory.services)} services as {args.format}"):
            payload = export_payload(directory, args)
    return emit_export(directory, payload, args, out)


def _search(args: argparse.Namespace, out: TextIO) -> int:
    with Steps.of(args) as steps:
        with steps.step("reading the directory"):
            directory = input_directory(args)
        with steps.step(f"searching {len(directory.services)} services"):
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
    taxonomy = input_directory(args).taxonomy
    if args.format == "json":
        needs = [
            {**unstructure(need), "priority_area": taxonomy.priority_area(need.code)}
            for need in taxonomy
        ]
        write_json({"count": len(needs), "needs": needs}, out)
        return EXIT_OK
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
    print(render_table(headers, rows), file=out)
    return EXIT_OK


def _kinds(args: argparse.Namespace, out: TextIO) -> int:
    kinds = input_directory(args).kinds.values()
    if args.format == "json":
        write_json({"count": len(kinds), "kinds": [unstructure(kind) for kind in kinds]}, out)
        return EXIT_OK
    rows = [(k.code, k.name.get(args.lang), ", ".join(sorted(k.needs))) for k in kinds]
    headers = ("code", "kind", "needs") if args.lang == "en" else ("コード", "種別", "ニーズ")
    print(render_table(headers, rows), file=out)
    return EXIT_OK


def _municipalities(args: argparse.Namespace, out: TextIO) -> int:
    places = tokyo_municipalities()
    if args.format == "json":
        write_json({"count": len(places), "municipalities": [unstructure(m) for m in places]}, out)
        return EXIT_OK
    rows = [(m.code, m.name_ja, m.name_kana, m.name_en, m.kind.value) for m in places]
    headers = (
        ("code", "name", "kana", "romaji", "kind")
        if args.lang == "en"
        else ("コード", "名称", "よみ", "ローマ字", "種別")
    )
    print(render_table(headers, rows, keep=(0, 1, 2, 3, 4)), file=out)
    return EXIT_OK

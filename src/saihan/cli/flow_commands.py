"""``saihan flow list|validate|render|run``: support flows from the shell."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from saihan.cli.common import EXIT_FAILED, EXIT_OK, add_printing_options, say
from saihan.cli.table import paragraph
from saihan.errors import ValidationError
from saihan.referral import load_case
from saihan.referral.flows import (
    FORMATS,
    Flow,
    action_text,
    bundled_flow,
    bundled_flows,
    flow_from_data,
    run_flow,
    to_dot,
    to_mermaid,
    to_svg,
)
from saihan.referral.rules import read_document

__all__ = ["flow_argument", "register"]


def register(commands: Any) -> None:
    """Add the ``flow`` group to the top-level subparsers."""
    group = commands.add_parser("flow", help="list, check, draw and run support flows")
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="action", metavar="ACTION")
    listing = sub.add_parser("list", help="the bundled flows and the plan sections they cite")
    listing.add_argument("--lang", choices=("ja", "en"), default="ja")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=_list)
    check = sub.add_parser("validate", help="check a flow file; exit 1 listing every problem")
    check.add_argument("file", type=Path, metavar="FILE", help="YAML or JSON flow file")
    add_printing_options(check)
    check.set_defaults(handler=_validate)
    render = sub.add_parser("render", help="draw a flow as Mermaid, Graphviz DOT or SVG")
    render.add_argument("flow", metavar="FLOW", help="a bundled flow id or a flow file")
    render.add_argument("--format", choices=FORMATS, default="mermaid")
    render.add_argument("--lang", choices=("ja", "en"), default="ja")
    render.add_argument("-o", "--output", type=Path, metavar="PATH", help="write here")
    render.set_defaults(handler=_render)
    run = sub.add_parser("run", help="follow a flow for a case: path, actions, end")
    run.add_argument("flow", metavar="FLOW", help="a bundled flow id or a flow file")
    run.add_argument("case", type=Path, metavar="CASE", help="a case document (JSON)")
    run.add_argument("--lang", choices=("ja", "en"), default="ja")
    run.add_argument("--format", choices=("text", "json"), default="text")
    run.set_defaults(handler=_run)


def flow_argument(text: str) -> Flow:
    """A bundled flow id, or else the path of a flow file."""
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists():
        return flow_from_data(read_document(path))
    return bundled_flow(text)


def _list(args: argparse.Namespace, out: TextIO) -> int:
    if args.format == "json":
        listed = [
            {
                "id": flow.id,
                "version": flow.version,
                "title": {"ja": flow.title.ja, "en": flow.title.en},
                "source": {"document": flow.source.document, "section": flow.source.section},
            }
            for flow in bundled_flows()
        ]
        out.write(json.dumps({"flows": listed}, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    for flow in bundled_flows():
        out.write(paragraph(f"{flow.id} {flow.version}: {flow.title.get(args.lang)}"))
        section = f" {flow.source.section}" if flow.source.section else ""
        out.write(
            paragraph(f"{say(args, '出典', 'source')}: {flow.source.document}{section}", "  ")
        )
    return EXIT_OK


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    try:
        flow = flow_from_data(read_document(args.file))
    except ValidationError as error:
        count = len(error.errors)
        if args.format == "json":
            problems = [{"path": item.path, "message": item.message} for item in error.errors]
            document = {"file": str(args.file), "valid": False, "problems": problems}
            out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
            return EXIT_FAILED
        out.write(
            say(
                args,
                f"{args.file}: 問題 {count} 件\n",
                f"{args.file}: {count} problem{'s' if count != 1 else ''}\n",
            )
        )
        out.writelines(f"  {item}\n" for item in error.errors)
        return EXIT_FAILED
    if args.format == "json":
        document = {
            "file": str(args.file),
            "valid": True,
            "flow": flow.id,
            "version": flow.version,
            "nodes": len(flow.nodes),
        }
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    out.write(
        say(
            args,
            f"{args.file}: 正しいフローです"
            f"（{flow.id} {flow.version}、ノード {len(flow.nodes)} 個）\n",
            f"{args.file}: valid; flow {flow.id} {flow.version}, {len(flow.nodes)} nodes\n",
        )
    )
    return EXIT_OK


def _render(args: argparse.Namespace, out: TextIO) -> int:
    flow = flow_argument(args.flow)
    draw = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}[args.format]
    text = draw(flow, args.lang)
    if args.output is None:
        out.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ValidationError(
                f"cannot write {str(args.output)!r}: {error.strerror}", path="output"
            ) from None
    return EXIT_OK


def _run(args: argparse.Namespace, out: TextIO) -> int:
    flow = flow_argument(args.flow)
    run = run_flow(flow, load_case(args.case))
    if args.format == "json":
        from saihan.serialization import unstructure

        out.write(json.dumps(unstructure(run), ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    lang = args.lang
    out.write(f"{run.flow_id} {run.flow_version}: {run.title.get(lang)}\n")
    for step in run.path:
        answer = f" [{step.answer}]" if step.answer is not None else ""
        out.write(f"  {step.node}{answer}\n")
    for taken in run.actions:
        out.write(f"  - ({taken.node}) {action_text(taken.action, lang)}\n")
    outcome = run.outcome.get(lang) if run.outcome is not None else ""
    out.write(f"end: {run.end} {outcome}\n")
    return EXIT_OK

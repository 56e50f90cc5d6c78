"""``saihan match``, ``saihan gaps`` and ``saihan rules check|show``: referral from the shell."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from saihan.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_input,
    add_printing_options,
    input_directory,
    say,
    write_json,
)
from saihan.cli.progress import Steps, add_quiet
from saihan.directory import Directory
from saihan.errors import ValidationError
from saihan.referral import RuleSet, default_rules, gap_report, load_case, load_rules, match
from saihan.referral.render import LANGUAGES
from saihan.serialization import unstructure

__all__ = ["register"]

TOKYO = ZoneInfo("Asia/Tokyo")


def _per_need(text: str) -> int | None:
    """``all`` (None, as ``match`` takes it) or a positive count; ``0`` is the old ``all``."""
    if text.strip().lower() in ("all", "0"):
        return None
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not 'all' or a number") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{count} is not 'all' or a number of 1 or more")
    return count


def _add_sources(parser: argparse.ArgumentParser) -> None:
    add_input(parser)
    parser.add_argument(
        "--store",
        metavar="URL",
        help="read the directory from this store (sqlite:///saihan.db, postgresql://...)",
    )
    parser.add_argument(
        "--rules", type=Path, metavar="FILE", help="rule file, YAML or JSON (default: Tokyo's)"
    )
    parser.add_argument(
        "--at", help="ISO date-time the plan is for (default: when the case was received)"
    )


def register(commands: Any) -> None:
    """Add ``match``, ``gaps`` and the ``rules`` group to the top-level subparsers."""
    matching = commands.add_parser(
        "match", help="propose services for a consultation case, with reasons"
    )
    matching.add_argument("case", type=Path, help="a case document (JSON)")
    _add_sources(matching)
    matching.add_argument("--lang", choices=LANGUAGES, default="ja")
    matching.add_argument("--format", choices=("text", "json"), default="text")
    matching.add_argument(
        "--per-need",
        type=_per_need,
        default=5,
        metavar="all|N",
        help="recommendations per need: a number, or 'all' (default 5)",
    )
    matching.add_argument(
        "--flow", metavar="FLOW", help="follow a support flow first: a bundled flow id or a file"
    )
    add_quiet(matching)
    matching.set_defaults(handler=_match)

    gaps = commands.add_parser(
        "gaps", help="unmet and poorly met needs over many cases, by municipality"
    )
    gaps.add_argument("cases", type=Path, nargs="+", help="case documents, or folders of them")
    _add_sources(gaps)
    add_printing_options(gaps, "csv")
    add_quiet(gaps)
    gaps.set_defaults(handler=_gaps)

    group = commands.add_parser("rules", help="check or show referral rule files")
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="action", metavar="ACTION")
    check = sub.add_parser(
        "check", help="validate a rule file and run saihan's properties on it (needs hypothesis)"
    )
    check.add_argument("rules_file", type=Path, metavar="RULES", help="YAML or JSON rule file")
    add_input(check)
    check.add_argument("--examples", type=int, default=100, help="cases per property")
    check.add_argument("--seed", type=int, help="seed, to repeat a run exactly")
    add_printing_options(check)
    add_quiet(check)
    check.set_defaults(handler=_check)
    show = sub.add_parser("show", help="list the rules of a file (default: Tokyo's)")
    show.add_argument(
        "rules_file", type=Path, nargs="?", metavar="RULES", help="YAML or JSON rule file"
    )
    show.add_argument("--on", help="only the rules that apply on this date (YYYY-MM-DD)")
    add_printing_options(show)
    show.set_defaults(handler=_show)


def _directory(args: argparse.Namespace) -> Directory:
    """The directory of ``--input`` (or the sample); a store is never read whole."""
    if args.store is not None and args.input is not None:
        raise ValidationError("give --input or --store, not both", path="store")
    return input_directory(args)


def _rules(path: Path | None, directory: Directory | None = None) -> RuleSet:
    """The rule file (which may name the directory's own needs and kinds), or Tokyo's."""
    return default_rules() if path is None else load_rules(path, directory=directory)


def _at(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{text!r} is not an ISO date-time like 2024-11-05T10:30", path="at"
        ) from None
    return moment.replace(tzinfo=TOKYO) if moment.tzinfo is None else moment


def _match(args: argparse.Namespace, out: TextIO) -> int:
    flow = None
    if args.flow is not None:
        from saihan.cli.flow_commands import flow_argument

        flow = flow_argument(args.flow)
    rules = _rules(args.rules)
    with Steps.of(args) as steps:
        if args.store is None:
            with steps.step("reading the directory"):
                directory = _directory(args)
            # Need codes are checked against the directory's own taxonomy, not only the
            # bundled one.
            case = load_case(args.case, directory=directory)
            with steps.step(f"matching against {len(directory.services)} services"):
                plan = match(
                    case, directory, rules, _at(args.at), per_need=args.per_need, flow=flow
                )
            sample = directory.meta.sample
        else:
            if args.input is not None:
                raise ValidationError("give --input or --store, not both", path="store")
            from saihan import storage

            with storage.open(args.store, create=False) as store:
                # The needs, kinds and meta only: the case's codes are checked against them.
                skeleton = store.load_directory_for(None, needs=())
                case = load_case(args.case, directory=skeleton)
                # The store answers with the services of the person's area and needs only.
                with steps.step("matching against the services of the area in the store"):
                    plan = match(
                        case, store, rules, _at(args.at), per_need=args.per_need, flow=flow
                    )
            sample = skeleton.meta.sample
        # A plan over a large directory takes seconds to put in words (its near misses).
        with steps.step("writing the plan"):
            text = plan.to_json() + "\n" if args.format == "json" else plan.to_text(args.lang)
    if sample:
        print(
            "note: the bundled directory is SAMPLE data; do not use it for real referrals",
            file=sys.stderr,
        )
    out.write(text)
    return EXIT_OK


def _case_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return found


def _gaps(args: argparse.Namespace, out: TextIO) -> int:
    from saihan.referral import load_cases

    files = _case_files(args.cases)
    with Steps.of(args) as steps:
        if args.store is None:
            with steps.step("reading the directory"):
                directory = _directory(args)
            with steps.step(f"reading {len(files)} cases"):
                cases = load_cases(files, directory=directory)
            with steps.step(f"matching {len(cases)} cases"):
                report = gap_report(cases, directory, _rules(args.rules, directory), _at(args.at))
        else:
            if args.input is not None:
                raise ValidationError("give --input or --store, not both", path="store")
            from saihan import storage

            with storage.open(args.store, create=False) as store:
                # The needs, kinds and meta only: the cases' and rules' codes are checked
                # against them; each case is then matched against its own part of the
                # store (its area and needs), kept while the store does not change.
                skeleton = store.load_directory_for(None, needs=())
                with steps.step(f"reading {len(files)} cases"):
                    cases = load_cases(files, directory=skeleton)
                rule_set = _rules(args.rules, skeleton)
                source = storage.CachedDirectorySource(store)
                with steps.step(f"matching {len(cases)} cases against the store"):
                    report = gap_report(cases, source, rule_set, _at(args.at))
    if args.format == "csv":
        out.write(report.to_csv())
        return EXIT_OK
    if args.format == "json":
        from saihan.serialization import to_json

        out.write(to_json(report) + "\n")
        return EXIT_OK
    rules = f"{report.rules_id} {report.rules_version}"
    out.write(
        say(
            args,
            f"ケース {report.cases} 件、規則 {rules}\n",
            f"{report.cases} cases, rules {rules}\n",
        )
    )
    if args.lang == "en":
        out.write(f"{'municipality':<13}{'need':<42}{'cases':>6}{'unmet':>6}{'poor':>6}\n")
    else:  # each Japanese header is as wide (in columns) as its English one
        out.write(f"{'市区町村':<9}{'ニーズ':<39}{'件数':>4}{'未充足':>3}{'不十分':>3}\n")
    for row in report.rows:
        out.write(
            f"{row.municipality:<13}{row.need:<42}{row.cases:>6}{row.unmet:>6}{row.poorly_met:>6}\n"
        )
    return EXIT_OK


def _check(args: argparse.Namespace, out: TextIO) -> int:
    with Steps.of(args) as steps, steps.step("reading the directory and the rules"):
        directory = input_directory(args)
        rules = load_rules(args.rules_file, directory=directory)
    if args.format == "text":
        count, rule_set = len(rules.rules), f"{rules.id} {rules.version}"
        out.write(
            say(
                args,
                f"{args.rules_file}: 正しい規則ファイルです（{rule_set} の規則 {count} 件）\n",
                f"{args.rules_file}: valid; {count} rules in {rule_set}\n",
            )
        )
    try:
        from saihan.testing.referral_properties import check_rule_set
    except ImportError:
        print(
            "error: running the properties needs Hypothesis: pip install 'saihan[test]'",
            file=sys.stderr,
        )
        return EXIT_FAILED
    with (
        Steps.of(args) as steps,
        steps.step(f"checking the properties ({args.examples} cases each)"),
    ):
        failures = check_rule_set(rules, directory, max_examples=args.examples, seed=args.seed)
    if args.format == "json":
        write_json(
            {
                "rules_id": rules.id,
                "rules_version": rules.version,
                "rules": len(rules.rules),
                "valid": True,
                "failures": [
                    {"name": f.name, "message": f.message, "example": f.example} for f in failures
                ],
            },
            out,
        )
        return EXIT_FAILED if failures else EXIT_OK
    if not failures:
        out.write(say(args, "すべての性質が成り立ちます\n", "every property holds\n"))
        return EXIT_OK
    for failure in failures:
        out.write(f"FAILED {failure.name}: {failure.message}\n")
        if failure.example:
            out.write(f"  falsifying example: {failure.example}\n")
    return EXIT_FAILED


def _show(args: argparse.Namespace, out: TextIO) -> int:
    rules = _rules(args.rules_file)
    on = None
    if args.on is not None:
        try:
            on = dt.date.fromisoformat(args.on)
        except ValueError:
            raise ValidationError(f"{args.on!r} is not a date like 2024-04-01", path="on") from None
    shown = rules.rules if on is None else rules.active(on)
    if args.format == "json":
        listed = [unstructure(rule) for rule in shown]
        write_json({"id": rules.id, "version": rules.version, "rules": listed}, out)
        return EXIT_OK
    out.write(
        say(
            args,
            f"{rules.id} {rules.version}: 規則 {len(shown)} 件\n",
            f"{rules.id} {rules.version}: {len(shown)} rules\n",
        )
    )
    for rule in shown:
        until = rule.valid_to.isoformat() if rule.valid_to else "…"
        text = (
            rule.description.en
            if args.lang == "en" and rule.description.en
            else (rule.description.ja)
        )
        out.write(f"{rule.id} [{rule.effect.value}] {rule.valid_from}..{until}\n  {text}\n")
        where = rule.source.document + (f" {rule.source.section}" if rule.source.section else "")
        out.write(f"  source: {where}\n")
    return EXIT_OK

"""``saihan demo``, ``saihan cases``, ``saihan report``: plan monitoring from the shell
(:mod:`saihan.monitoring`).

``saihan demo seed`` writes a synthetic caseload into a store (made if it does not
exist), acting as ``--as`` (a system principal).  ``saihan cases share`` writes the
cases as k-anonymous case examples (an ``exported`` audit event says what, for whom and
under which principal); ``saihan cases review`` marks a case's summary as edited for
sharing.  ``saihan report`` writes the plan's figures of a fiscal year (also an
``exported`` audit event).  See ``docs/monitoring.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from saihan import storage
from saihan.cli.common import (
    EXIT_OK,
    add_printing_options,
    emit,
    say,
    user_language,
    write_json,
)
from saihan.cli.principal import add_store, principal_of
from saihan.errors import AccessDenied, ValidationError
from saihan.limits import read_file

__all__ = ["register"]

_NO_PRINCIPAL = (
    "give the principal to act as with --as (or $SAIHAN_PRINCIPAL), e.g. --as system:system "
    "(see docs/access.md)"
)


def register(commands: Any) -> None:
    """Add ``demo`` to the top-level subparsers."""
    demo = commands.add_parser("demo", help="demonstration data: a synthetic caseload")
    demo.set_defaults(group_parser=demo)
    sub = demo.add_subparsers(dest="action", metavar="ACTION")
    seed = sub.add_parser(
        "seed",
        help="write made-up cases, plans, consents and referral histories of a fiscal year",
    )
    add_store(seed)
    seed.add_argument("--cases", type=int, required=True, help="how many cases to make")
    seed.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    seed.add_argument(
        "--fiscal-year",
        type=int,
        default=2024,
        help="fiscal year, April to March, named by its April (default: 2024, 令和6年度)",
    )
    add_printing_options(seed)
    seed.set_defaults(handler=_seed)

    cases = commands.add_parser(
        "cases", help="case examples for the liaison meeting, without personal data"
    )
    cases.set_defaults(group_parser=cases)
    verbs = cases.add_subparsers(dest="action", metavar="ACTION")
    share = verbs.add_parser(
        "share",
        help="write cases with their referrals' paths and outcomes, k-anonymous "
        "(generalised, then suppressed)",
    )
    add_store(share)
    share.add_argument(
        "--k",
        type=int,
        required=True,
        help="every row shares its quasi-identifiers with at least K-1 other rows (2..1000)",
    )
    share.add_argument(
        "--for",
        dest="recipient",
        metavar="ID",
        required=True,
        help="who the export is for, as an id (recorded in the audit trail), e.g. "
        "liaison-meeting-2024-10",
    )
    share.add_argument("--fiscal-year", type=int, help="only cases received in this fiscal year")
    share.add_argument("--municipality", help="only cases handled there (code or name)")
    share.add_argument(
        "--max-suppression",
        type=float,
        default=0.1,
        help="largest share of cases that may be left out rather than generalised further "
        "(default: 0.1)",
    )
    share.add_argument("-o", "--output", type=Path)
    share.add_argument("--lang", choices=("ja", "en"), default=user_language())
    share.add_argument("--format", choices=("text", "json", "csv", "md"), default="text")
    share.set_defaults(handler=_share)

    review = verbs.add_parser(
        "review", help="mark a case's summary as edited for sharing (audited), or clear it"
    )
    add_store(review)
    review.add_argument("case", help="case id")
    given = review.add_mutually_exclusive_group(required=True)
    given.add_argument("--text", help="the summary as edited for sharing")
    given.add_argument("--file", type=Path, help="read the edited summary from this file")
    given.add_argument("--clear", action="store_true", help="remove the mark: share no text")
    review.add_argument(
        "--at",
        metavar="T",
        help="when, ISO 8601 with its UTC offset, e.g. 2024-11-05T10:30+09:00 (default: now)",
    )
    add_printing_options(review)
    review.set_defaults(handler=_review)

    report = commands.add_parser(
        "report",
        help="the plan's figures of a fiscal year, small counts suppressed (html, csv, json)",
    )
    add_store(report)
    report.add_argument(
        "--fiscal-year",
        type=int,
        required=True,
        help="fiscal year, April to March, named by its April (2024 is 令和6年度)",
    )
    report.add_argument("--municipality", help="only cases handled there (code or name)")
    report.add_argument(
        "--k", type=int, default=5, help="counts below K are suppressed (default: 5)"
    )
    report.add_argument(
        "--for",
        dest="recipient",
        metavar="ID",
        default="plan-review",
        help="who the report is for, as an id (recorded in the audit trail; default: plan-review)",
    )
    report.add_argument("-o", "--output", type=Path)
    report.add_argument("--lang", choices=("ja", "en"), default=user_language())
    report.add_argument("--format", choices=("text", "json", "csv", "html"), default="text")
    report.set_defaults(handler=_report)


def _seed(args: argparse.Namespace, out: TextIO) -> int:
    from saihan.monitoring import seed_caseload

    principal = principal_of(args)
    if principal is None:
        raise AccessDenied(_NO_PRINCIPAL)
    with storage.open(args.store, principal=principal) as store:
        summary = seed_caseload(
            store, cases=args.cases, seed=args.seed, fiscal_year=args.fiscal_year
        )
        where = store.url
    if args.format == "json":
        write_json(
            {
                "store": where,
                "fiscal_year": summary.fiscal_year,
                "seed": summary.seed,
                "cases": summary.cases,
                "plans": summary.plans,
                "referrals": summary.referrals,
                "closed": summary.closed,
                "consents_refused": summary.consents_refused,
                "consents_withdrawn": summary.consents_withdrawn,
                "statuses": dict(summary.statuses),
                "directory_imported": summary.directory_imported,
            },
            out,
        )
        return EXIT_OK
    statuses = ", ".join(f"{status} {count}" for status, count in summary.statuses)
    print(
        say(
            args,
            f"{where} に {summary.fiscal_year}年度のケース {summary.cases} 件、紹介 "
            f"{summary.referrals} 件を作成しました（{statuses}）",
            f"seeded {summary.cases} cases and {summary.referrals} referrals of FY"
            f"{summary.fiscal_year} into {where} ({statuses})",
        ),
        file=out,
    )
    return EXIT_OK


def _principal(args: argparse.Namespace) -> Any:
    principal = principal_of(args)
    if principal is None:
        raise AccessDenied(_NO_PRINCIPAL)
    return principal


def _share(args: argparse.Namespace, out: TextIO) -> int:
    from saihan.monitoring import share_cases

    principal = _principal(args)
    with storage.open(args.store, create=False, principal=principal) as store:
        shared = share_cases(
            store,
            k=args.k,
            recipient=args.recipient,
            fiscal_year=args.fiscal_year,
            municipality=args.municipality,
            max_suppression=args.max_suppression,
            details=(f"format={args.format}",),
        )
    report = shared.report
    payload = shared.render(args.format)
    if args.output is not None:
        emit(payload.encode("utf-8"), args.output, out, f"{report.rows} shared cases")
    else:
        out.write(payload)
    levels = ", ".join(f"{name}: {level}" for name, level in report.levels)
    print(
        say(
            args,
            f"ケース {report.cases} 件から {report.rows} 行 (k={report.k}); "
            f"除外 {report.suppressed} 件; 一般化: {levels}",
            f"{report.rows} rows of {report.cases} cases (k={report.k}); "
            f"{report.suppressed} left out; generalised to {levels}",
        ),
        file=sys.stderr,
    )
    return EXIT_OK


def _review(args: argparse.Namespace, out: TextIO) -> int:
    from saihan.cli.lifecycle_commands import parse_at
    from saihan.monitoring import review_summary

    principal = _principal(args)
    text: str | None
    if args.clear:
        text = None
    elif args.file is not None:
        try:
            text = read_file(args.file).decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("the file is not UTF-8 text", path="file") from None
    else:
        text = args.text
    at = parse_at(args.at)
    with storage.open(args.store, create=False, principal=principal) as store:
        case = review_summary(store, args.case, text, actor=principal, at=at)
        version = store.cases.get(case.id).version
    marked = case.shared_summary is not None
    if args.format == "json":
        write_json(
            {
                "action": "reviewed" if marked else "cleared",
                "case": case.id,
                "version": version,
                "characters": 0 if case.shared_summary is None else len(case.shared_summary.text),
            },
            out,
        )
        return EXIT_OK
    print(
        say(
            args,
            f"{case.id}: 共有用の概要を記録しました"
            if marked
            else f"{case.id}: 共有用の概要を外しました",
            f"{case.id}: summary marked as edited for sharing"
            if marked
            else f"{case.id}: summary for sharing removed",
        ),
        file=out,
    )
    return EXIT_OK


def _report(args: argparse.Namespace, out: TextIO) -> int:
    from saihan.monitoring import plan_report, report_html

    principal = _principal(args)
    with storage.open(args.store, create=False, principal=principal) as store:
        report = plan_report(
            store,
            fiscal_year=args.fiscal_year,
            municipality=args.municipality,
            k=args.k,
            recipient=args.recipient,
            details=(f"format={args.format}",),
        )
    if args.format == "json":
        payload = report.to_json()
    elif args.format == "csv":
        payload = report.to_csv()
    elif args.format == "html":
        payload = report_html(report, args.lang)
    else:
        payload = report.to_text(args.lang)
    if args.output is not None:
        emit(payload.encode("utf-8"), args.output, out, f"the FY{report.fiscal_year} report")
    else:
        out.write(payload)
    return EXIT_OK

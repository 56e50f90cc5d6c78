"""``saihan demo``: plan monitoring from the shell (``saihan.monitoring``).

``saihan demo seed`` writes a synthetic caseload into a store (made if it does not
exist), acting as ``--as`` (a system principal).  See ``docs/monitoring.md``.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from saihan import storage
from saihan.cli.common import EXIT_OK, add_printing_options, say, write_json
from saihan.cli.principal import add_principal, principal_of
from saihan.errors import AccessDenied

__all__ = ["register"]

_NO_PRINCIPAL = (
    "give the principal to act as with --as (or $SAIHAN_PRINCIPAL), e.g. --as system:system "
    "(see docs/access.md)"
)


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        dest="store",
        metavar="URL",
        help="store URL, e.g. sqlite:///saihan.db (default: $SAIHAN_STORE_URL, else the embedded "
        "store)",
    )
    add_principal(parser)


def register(commands: Any) -> None:
    """Add ``demo`` to the top-level subparsers."""
    demo = commands.add_parser("demo", help="demonstration data: a synthetic caseload")
    demo.set_defaults(group_parser=demo)
    sub = demo.add_subparsers(dest="action", metavar="ACTION")
    seed = sub.add_parser(
        "seed",
        help="write made-up cases, plans, consents and referral histories of a fiscal year",
    )
    _add_store(seed)
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

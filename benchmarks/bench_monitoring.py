"""Plan monitoring: the k-anonymous export and the plan report against the reads they need.

    python benchmarks/bench_monitoring.py                  # 1,000 seeded cases, SQLite
    python benchmarks/bench_monitoring.py --cases 300 --runs 1
    python benchmarks/bench_monitoring.py --years 3        # FY2023-FY2025, 1,000 cases each

Seeds a caseload (``saihan demo seed``) into a throw-away SQLite store (``--years`` fiscal
years of ``--cases`` each, FY2024 first, then the years around it: the report is of
FY2024 and reads only its own year), then times, best of ``--runs``:

- *reads*: what both must read through the store as a system principal: the cases
  (``store.cases.search``) and each case's referrals (``store.referrals.for_case``), the
  floor;
- ``share_cases`` (k=5): the reads, the search over the 324 combinations of levels, the
  rows, and the audit event;
- ``plan_report`` (k=5): the reads, the directory, every figure, the gap report (a match
  per case) and the audit event; and ``report_html`` on it (matplotlib's SVG charts).

Prints each time and its ratio to the reads.  Asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from saihan import storage
from saihan.access import Principal
from saihan.monitoring import plan_report, report_html, seed_caseload, share_cases


def _best(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases to seed (1000)")
    parser.add_argument("--runs", type=int, default=3, help="best of N (3)")
    parser.add_argument("--years", type=int, default=1, help="fiscal years seeded (1)")
    args = parser.parse_args()
    years = [2024, *(year for n in range(1, args.years) for year in (2024 - n, 2024 + n))]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        with storage.open(url, principal=Principal.system()) as store:
            for year in years[: args.years]:
                start = time.perf_counter()
                summary = seed_caseload(store, cases=args.cases, seed=1, fiscal_year=year)
                seeded = time.perf_counter() - start
                print(
                    f"seed FY{year}: {summary.cases} cases, {summary.referrals} referrals in "
                    f"{seeded:.2f} s ({seeded / summary.cases * 1000:.1f} ms a case)"
                )

            def reads() -> object:
                found = store.cases.search(received_from=None)
                return [store.referrals.for_case(item.value.id) for item in found]

            floor = _best(args.runs, reads)
            share = _best(args.runs, lambda: share_cases(store, k=5, recipient="bench"))
            report = plan_report(store, fiscal_year=2024, k=5)
            figures = _best(args.runs, lambda: plan_report(store, fiscal_year=2024, k=5))
            page = _best(args.runs, lambda: report_html(report, "ja"))
        print(f"reads (the floor):    {floor * 1000:8.1f} ms")
        print(f"share_cases (k=5):    {share * 1000:8.1f} ms  x{share / floor:.2f} the reads")
        print(f"plan_report (k=5):    {figures * 1000:8.1f} ms  x{figures / floor:.2f} the reads")
        print(f"report_html:          {page * 1000:8.1f} ms  x{page / floor:.2f} the reads")


if __name__ == "__main__":
    main()

"""Match from the store: ``match(case, store)`` against ``load_directory()`` then ``match``.

Run from the repository root (with the PostgreSQL plugin installed)::

    python benchmarks/bench_store_match.py                    # 100,000 services
    python benchmarks/bench_store_match.py --services 20000 --cases 30 --no-postgres

It builds ``bench_match``'s synthetic directory (Tokyo's 62 municipalities, every
agency kind, areas mostly one municipality, some several, some Tokyo-wide or
national) and random cases, imports it into SQLite and PostgreSQL, then, per
backend, in the same run:

- **whole directory**: ``store.load_directory()`` and the first ``match`` on it
  (what ``saihan match --store`` cost before, and what an app pays at start), then
  ``match`` on every case against the loaded directory (warm, in memory);
- **from the store**: ``match(case, store)`` on every case, each reading only the
  services of the person's area and needs (p50, p99, mean);
- **cached**: ``match(case, CachedDirectorySource(store))``, the cases twice: the
  second round finds every part kept (the store's revision has not moved); then a
  third round with a case written to the store before each match (the revision moves
  every time, but no directory record changed: the source asks what changed and keeps
  its parts), and a fourth with one service edited before each match (its area and
  needs, so the parts it could touch are dropped and read again);

and prints the ratios: time to a first plan (whole directory: load and match;
from the store: one match), and the store-backed match against the warm
in-memory one.  Store-backed plans are checked equal to the in-memory ones.
It prints times and ratios and asserts nothing else (it is not a timed test).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_match import machine, ms, percentile, random_cases, referral_directory

from saihan import storage
from saihan.access import Principal
from saihan.directory import Directory
from saihan.referral import ConsultationCase, ReferralPlan, match
from saihan.storage import ANY_VERSION, CachedDirectorySource, Store

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def timed(
    cases: list[ConsultationCase],
    run: Callable[[ConsultationCase], ReferralPlan],
    before: Callable[[], object] = lambda: None,
) -> tuple[list[float], list[ReferralPlan]]:
    """``run`` on each case, timed; ``before`` is called ahead of each, untimed."""
    times, plans = [], []
    for case in cases:
        before()
        start = time.perf_counter()
        plans.append(run(case))
        times.append(time.perf_counter() - start)
    return times, plans


def row(label: str, times: list[float]) -> str:
    return (
        f"  {label:<34} p50 {ms(percentile(times, 0.5))}  p99 {ms(percentile(times, 0.99))}"
        f"  mean {ms(statistics.mean(times))}"
    )


@contextmanager
def sqlite_store(directory: Directory) -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        with storage.open(url, principal=Principal.system()) as store:
            store.import_directory(directory)
        with storage.open(url, create=False, principal=Principal.system()) as store:
            yield store


@contextmanager
def postgres_store(directory: Directory, server: str) -> Iterator[Store]:
    import psycopg
    from psycopg import sql

    schema = f"saihan_bench_{uuid.uuid4().hex[:10]}"
    url = f"{server}?schema={schema}"
    try:
        with storage.open(url, principal=Principal.system()) as store:
            store.import_directory(directory)
        with storage.open(url, create=False, principal=Principal.system()) as store:
            yield store
    finally:
        with psycopg.connect(server, autocommit=True) as db:
            db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def bench(name: str, store: Store, cases: list[ConsultationCase]) -> dict[str, Any]:
    print(f"\n{name}: {store.services.count()} services")
    gc.collect()
    start = time.perf_counter()
    whole = store.load_directory()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    match(cases[0], whole)
    first_whole = time.perf_counter() - start
    warm, expected = timed(cases, lambda case: match(case, whole))
    print(f"  load_directory()                   {ms(loaded)}")
    print(f"  first match on it (builds index)   {ms(first_whole)}")
    print(row("match, loaded directory (warm)", warm))

    from_store, plans = timed(cases, lambda case: match(case, store))
    same = all(a.to_json() == b.to_json() for a, b in zip(plans, expected, strict=True))
    print(row("match(case, store)", from_store))
    source = CachedDirectorySource(store, size=len(cases) + 1)
    cold, _ = timed(cases, lambda case: match(case, source))
    kept, plans = timed(cases, lambda case: match(case, source))
    same = same and all(a.to_json() == b.to_json() for a, b in zip(plans, expected, strict=True))
    print(row("cached source, first round", cold))
    print(row("cached source, second round", kept))
    counter = iter(range(10**9))

    def write_a_case() -> object:
        return store.cases.put(attrs.evolve(cases[0], id=f"bench-{next(counter)}"))

    dropped = source.dropped
    written, plans = timed(cases, lambda case: match(case, source), write_a_case)
    print(row("cached, a case written before each", written))
    print(f"    (parts dropped: {source.dropped - dropped}; the writes untimed)")
    same = same and all(a.to_json() == b.to_json() for a, b in zip(plans, expected, strict=True))
    services = [item.value for item in store.services.list(limit=len(cases))]

    def edit_a_service() -> object:
        edited = services[next(counter) % len(services)]
        return store.services.put(
            attrs.evolve(edited, accepting_referrals=not edited.accepting_referrals),
            expected_version=ANY_VERSION,
        )

    dropped = source.dropped
    edited_times, _ = timed(cases, lambda case: match(case, source), edit_a_service)
    print(row("cached, a service edited before each", edited_times))
    print(f"    (parts dropped: {source.dropped - dropped} in {len(cases)} matches; untimed edits)")
    print(f"  plans equal to the in-memory ones: {same}")
    p50 = percentile(from_store, 0.5)
    print(
        f"  ratio, time to a first plan: load_directory + match {ms(loaded + first_whole)}"
        f" / store match p50 = {(loaded + first_whole) / p50:,.0f}x"
    )
    print(
        f"  ratio, store match p50 / warm in-memory match p50 = "
        f"{p50 / percentile(warm, 0.5):,.1f}x;  cached second round p50 / warm = "
        f"{percentile(kept, 0.5) / percentile(warm, 0.5):,.2f}x"
    )
    print(
        f"  ratio, time to a first plan: load_directory + match {ms(loaded + first_whole)}"
        f" / cached second round p50 = {(loaded + first_whole) / percentile(kept, 0.5):,.0f}x;"
        f"  a case written before each: p50 / second round p50 = "
        f"{percentile(written, 0.5) / percentile(kept, 0.5):,.2f}x"
    )
    return {"same": same}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--postgres", default=os.environ.get("SAIHAN_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    start = time.perf_counter()
    directory = referral_directory(args.services, seed=args.seed)
    cases = random_cases(args.cases, seed=args.seed + 1)
    built = time.perf_counter() - start
    print(f"directory of {len(directory.services)} services built in {ms(built)}")
    gc.freeze()  # a long-running app holding the benchmark's objects: no collector walks
    results = []
    start = time.perf_counter()
    with sqlite_store(directory) as store:
        print(f"SQLite import {ms(time.perf_counter() - start)}")
        results.append(bench("SQLite", store, cases))
    if not args.no_postgres:
        start = time.perf_counter()
        with postgres_store(directory, args.postgres) as store:
            print(f"PostgreSQL import {ms(time.perf_counter() - start)}")
            results.append(bench("PostgreSQL", store, cases))
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0 if all(result["same"] for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

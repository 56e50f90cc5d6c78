"""Match from the store: ``match(case, store)`` against ``load_directory()`` then ``match``.

Run from the repository root (with the PostgreSQL plugin installed)::

    python benchmarks/bench_store_match.py                    # 100,000 services
    python benchmarks/bench_store_match.py --services 20000 --cases 30 --no-postgres
    python benchmarks/bench_store_match.py --national --services 1000000 --cases 8 \
        --peer memory --keep-sqlite /data/national.db --keep-postgres postgresql:///nat --cold

``--national`` takes ``national_directory.py``'s directory (1,741 municipalities, the
sample's mix) and cases all over Japan instead of ``bench_match``'s Tokyo one;
``--keep-sqlite PATH`` and ``--keep-postgres URL`` keep the stores (a million-service
import takes minutes) and use them again when they hold as many services;
``--peer memory`` takes the generated directory itself as the whole directory
instead of ``store.load_directory()`` (which takes many minutes at a million);
``--cold`` also runs ``saihan match --store URL CASE`` in fresh processes against
``saihan --version``: wall time and peak RSS of each, and their ratios.

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
import subprocess
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
from saihan.referral import ConsultationCase, ReferralPlan, match, match_needs, match_services
from saihan.serialization import to_json
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
def kept_store(url: str, directory: Callable[[], Directory], services: int) -> Iterator[Store]:
    """The store at ``url``, the directory imported first unless it holds ``services``."""
    with storage.open(url, principal=Principal.system()) as store:
        if store.services.count() != services:
            start = time.perf_counter()
            store.import_directory(directory())
            print(f"  imported into {url} in {ms(time.perf_counter() - start)} (kept)")
        else:
            print(f"  {url} kept from an earlier run: {services} services")
    with storage.open(url, create=False, principal=Principal.system()) as store:
        yield store


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


def bench(
    name: str, store: Store, cases: list[ConsultationCase], peer: Directory | None = None
) -> dict[str, Any]:
    print(f"\n{name}: {store.services.count()} services")
    gc.collect()
    start = time.perf_counter()
    whole = store.load_directory() if peer is None else peer
    loaded = time.perf_counter() - start
    if peer is not None:
        print("  (peer: the generated directory in memory; load_directory() not timed)")
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
    cpu = time.process_time()
    for case in cases:
        match(case, store)
    print(f"    (again, CPU time per match: {ms((time.process_time() - cpu) / len(cases))})")
    part = store.load_directory_for(
        cases[0].municipality, match_needs(cases[0]), services=match_services(None)
    )
    print(f"    (services a match reads, the first case: {len(part.services):,})")
    source = CachedDirectorySource(store, size=len(cases) + 1)
    cold, _ = timed(cases, lambda case: match(case, source))
    kept, plans = timed(cases, lambda case: match(case, source))
    same = same and all(a.to_json() == b.to_json() for a, b in zip(plans, expected, strict=True))
    print(row("cached source, first round", cold))
    print(row("cached source, second round", kept))
    counter = iter(range(10**9))
    run = uuid.uuid4().hex[:8]  # a kept store has the cases of earlier runs

    def write_a_case() -> object:
        return store.cases.put(attrs.evolve(cases[0], id=f"bench-{run}-{next(counter)}"))

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
    for service in services:  # as they were: a kept store is used again
        store.services.put(service, expected_version=ANY_VERSION)
    print(f"  plans equal to the in-memory ones: {same}")
    p50 = percentile(from_store, 0.5)
    if peer is not None:
        print(
            f"  ratio, store match p50 / warm in-memory match p50 = "
            f"{p50 / percentile(warm, 0.5):,.1f}x;  p99 / p99 = "
            f"{percentile(from_store, 0.99) / percentile(warm, 0.99):,.1f}x;  cached second "
            f"round p50 / warm = {percentile(kept, 0.5) / percentile(warm, 0.5):,.2f}x"
        )
        return {"same": same}
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
    parser.add_argument("--national", action="store_true", help="national_directory's mix")
    parser.add_argument("--keep-sqlite", type=Path, help="keep the SQLite store in this file")
    parser.add_argument("--keep-postgres", help="keep the PostgreSQL store at this URL")
    parser.add_argument("--peer", choices=("store", "memory"), default="store")
    parser.add_argument("--cold", action="store_true", help="also time saihan match --store")
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    start = time.perf_counter()
    if args.national:
        from national_directory import municipality_codes, national_directory

        directory = national_directory(args.services, seed=args.seed)
        cases = random_cases(args.cases, seed=args.seed + 1, places=municipality_codes())
    else:
        directory = referral_directory(args.services, seed=args.seed)
        cases = random_cases(args.cases, seed=args.seed + 1)
    built = time.perf_counter() - start
    print(f"directory of {len(directory.services)} services built in {ms(built)}")
    gc.freeze()  # a long-running app holding the benchmark's objects: no collector walks
    peer = directory if args.peer == "memory" else None
    results = []
    urls = []
    start = time.perf_counter()
    with (
        kept_store(f"sqlite:///{args.keep_sqlite.resolve()}", lambda: directory, args.services)
        if args.keep_sqlite
        else sqlite_store(directory)
    ) as store:
        print(f"SQLite store ready in {ms(time.perf_counter() - start)}")
        results.append(bench("SQLite", store, cases, peer))
        urls.append(("SQLite", store.url))
    if not args.no_postgres:
        start = time.perf_counter()
        with (
            kept_store(args.keep_postgres, lambda: directory, args.services)
            if args.keep_postgres
            else postgres_store(directory, args.postgres)
        ) as store:
            print(f"PostgreSQL store ready in {ms(time.perf_counter() - start)}")
            results.append(bench("PostgreSQL", store, cases, peer))
            urls.append(("PostgreSQL", store.url))
    if args.cold:
        del directory, peer
        gc.unfreeze()
        gc.collect()
        cold(urls if args.keep_sqlite else urls[1:], cases[0], args.cold_runs)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0 if all(result["same"] for result in results) else 1


def child(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``command`` in a fresh process.

    The peak RSS comes from ``/usr/bin/time`` (GNU time), a small parent: a child
    forked straight from this big benchmark process would count its pages."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.NamedTemporaryFile("r") as report:
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", report.name, *command],
            env=environment,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}")
        kib = int(report.read().split()[-1])
    return wall, kib / 1024


def cold(urls: list[tuple[str, str]], case: ConsultationCase, runs: int) -> None:
    """``saihan match --store URL CASE`` against ``saihan --version``, fresh processes
    (the median of ``runs`` after one unmeasured warm-up each)."""
    saihan = [sys.executable, "-m", "saihan"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.json"
        path.write_text(to_json(case), encoding="utf-8")
        commands = [("saihan --version", [*saihan, "--version"])]
        commands += [
            (f"saihan match --store ({name})", [*saihan, "match", "--store", url, str(path)])
            for name, url in urls
        ]
        print(f"\ncold processes (median of {runs}, load average {os.getloadavg()[0]:.2f}):")
        base: tuple[float, float] | None = None
        for label, command in commands:
            child(command)
            measured = [child(command) for _ in range(runs)]
            wall = statistics.median(m[0] for m in measured)
            rss = statistics.median(m[1] for m in measured)
            if base is None:
                base = (wall, rss)
            print(
                f"  {label:<34} wall {ms(wall)}  peak RSS {rss:,.0f} MiB"
                f"  ({wall / base[0]:,.1f}x the wall time, {rss / base[1]:,.1f}x the RSS"
                " of saihan --version)"
            )


if __name__ == "__main__":
    raise SystemExit(main())

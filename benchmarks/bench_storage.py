"""Storage benchmark: bulk import and queries, saihan against the raw drivers.

Run from the repository root (with the PostgreSQL plugin installed)::

    python benchmarks/bench_storage.py                  # 100,000 services
    python benchmarks/bench_storage.py --services 20000 --no-postgres

It builds a synthetic directory (``saihan.testing.storage.synthetic_directory``),
then, in the same run:

- imports it with ``store.import_directory`` into SQLite and PostgreSQL, and
  does the same inserts with the raw driver into the same tables
  (``sqlite3.executemany``; psycopg ``COPY``), once with the rows ready-made
  ("raw inserts") and once including making the JSON documents and index
  rows with the same converter ("raw, serialising"); prints the ratios;
- runs queries by need and municipality and prints p50 and p99 latencies.

It prints ratios and times; it asserts nothing (it is not a timed test).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from saihan import storage
from saihan.access import Principal
from saihan.directory import Directory, default_taxonomy, tokyo_municipalities
from saihan.serialization import unstructure
from saihan.storage import DIRECTORY_RECORD_TYPES, Store
from saihan.testing.storage import synthetic_directory

Row = tuple[Any, ...]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def records(directory: Directory) -> Iterator[tuple[str, str, Any]]:
    """(kind, id, model) in the order saihan writes a directory."""
    groups = {
        "directory_meta": [directory.meta],
        "need": list(directory.needs),
        "agency_kind": list(directory.agency_kinds),
        "agency": list(directory.agencies),
        "service": list(directory.services),
    }
    for record_type in DIRECTORY_RECORD_TYPES:
        for item in groups[record_type.kind]:
            yield record_type.kind, record_type.id_of(item), item


def rows(directory: Directory) -> tuple[list[Row], list[Row], list[Row]]:
    """The rows saihan writes: records, index entries, references (what a hand-written
    loader would make with the same converter)."""
    by_kind = {record_type.kind: record_type for record_type in DIRECTORY_RECORD_TYPES}
    record_rows: list[Row] = []
    index_rows: list[Row] = []
    ref_rows: list[Row] = []
    for version, (kind, id, item) in enumerate(records(directory), start=1):
        document = json.dumps(unstructure(item), ensure_ascii=False, separators=(",", ":"))
        record_rows.append((kind, id, version, document))
        keys = by_kind[kind].keys(item)
        index_rows.extend((kind, name, value, id) for name, value in keys.index)
        ref_rows.extend((kind, id, target_kind, target_id) for target_kind, target_id in keys.refs)
    return record_rows, index_rows, ref_rows


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- SQLite ----------------------------------------------------------------------------


def sqlite_saihan(directory: Directory, folder: Path) -> float:
    path = folder / f"saihan-{uuid.uuid4().hex}.db"
    with storage.open(f"sqlite:///{path}", principal=Principal.system()) as store:
        return timed(lambda: store.import_directory(directory))


def sqlite_raw(directory: Directory, folder: Path, *, serialise: bool) -> float:
    path = folder / f"raw-{uuid.uuid4().hex}.db"
    storage.open(
        f"sqlite:///{path}", principal=Principal.system()
    ).close()  # the same schema, made by saihan
    ready = None if serialise else rows(directory)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = FULL")

    def load() -> None:
        record_rows, index_rows, ref_rows = ready if ready is not None else rows(directory)
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO saihan_records VALUES (?, ?, ?, ?)", record_rows)
        db.executemany("INSERT INTO saihan_index VALUES (?, ?, ?, ?)", index_rows)
        db.executemany("INSERT INTO saihan_refs VALUES (?, ?, ?, ?)", ref_rows)
        db.execute("COMMIT")

    seconds = timed(load)
    db.close()
    return seconds


# -- PostgreSQL ------------------------------------------------------------------------


def postgres_url(server: str, schema: str) -> str:
    return f"{server}{'&' if '?' in server else '?'}schema={schema}"


def drop_schema(server: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server, autocommit=True) as db:
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def postgres_saihan(directory: Directory, server: str) -> float:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with storage.open(postgres_url(server, schema), principal=Principal.system()) as store:
            return timed(lambda: store.import_directory(directory))
    finally:
        drop_schema(server, schema)


def postgres_raw(directory: Directory, server: str, *, serialise: bool) -> float:
    import psycopg
    from psycopg import sql

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    storage.open(
        postgres_url(server, schema), principal=Principal.system()
    ).close()  # the same schema, made by saihan
    ready = None if serialise else rows(directory)
    try:
        with psycopg.connect(server) as db:
            db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            db.commit()

            def load() -> None:
                record_rows, index_rows, ref_rows = ready if ready is not None else rows(directory)
                with db.cursor() as cursor:
                    for table, data in (
                        ("saihan_records (kind, id, version, document)", record_rows),
                        ("saihan_index (kind, name, value, id)", index_rows),
                        ("saihan_refs (kind, id, target_kind, target_id)", ref_rows),
                    ):
                        with cursor.copy(f"COPY {table} FROM STDIN".encode()) as copy:
                            for row in data:
                                copy.write_row(row)
                db.commit()

            return timed(load)
    finally:
        drop_schema(server, schema)


# -- queries ---------------------------------------------------------------------------


def query_latencies(
    store: Store, count: int, *, seed: int, limit: int | None = None
) -> tuple[list[float], float]:
    rng = random.Random(seed)
    needs = sorted(need.code for need in default_taxonomy())
    places = [item.code for item in tokyo_municipalities()]
    times: list[float] = []
    found = 0
    for _ in range(count):
        need, place = rng.choice(needs), rng.choice(places)
        started = time.perf_counter()
        result = store.services.search(need=need, municipality=place, limit=limit)
        times.append(time.perf_counter() - started)
        found += len(result)
    return times, found / count


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report_queries(name: str, store: Store, count: int) -> None:
    """Whole results with no decoded record cached, the same again (cached), and
    the first page of 20."""
    for label, limit, clear in (("cold", None, True), ("warm", None, False), ("page", 20, True)):
        if clear:
            store._decoded.clear()
        times, mean_found = query_latencies(store, count, seed=1, limit=limit)
        print(
            f"  {name:<10} {label:<4} p50 {percentile(times, 0.5) * 1000:8.2f} ms   "
            f"p99 {percentile(times, 0.99) * 1000:8.2f} ms   "
            f"({count} queries, {mean_found:.0f} services each on average)"
        )


def best(runs: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--runs", type=int, default=2, help="best of RUNS for each import")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SAIHAN_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="PostgreSQL server (a throw-away schema is made and dropped)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    directory = synthetic_directory(args.services)
    total = len(list(records(directory)))
    print(
        f"synthetic directory: {len(directory.services)} services, "
        f"{len(directory.agencies)} agencies ({total} records), "
        f"built and validated in {time.perf_counter() - started:.1f} s"
    )
    serialise = timed(lambda: rows(directory))
    print(f"making the rows (JSON documents, index entries, references): {serialise:.2f} s\n")

    results: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        saihan = best(args.runs, lambda: sqlite_saihan(directory, where))
        raw = best(args.runs, lambda: sqlite_raw(directory, where, serialise=False))
        raw_total = best(args.runs, lambda: sqlite_raw(directory, where, serialise=True))
        results.append(("sqlite", saihan, raw, raw_total))
        sqlite_store = storage.open(f"sqlite:///{where / 'query.db'}", principal=Principal.system())
        sqlite_store.import_directory(directory)
        postgres_store = None
        if not args.no_postgres:
            try:
                saihan = best(args.runs, lambda: postgres_saihan(directory, args.postgres))
                raw = best(
                    args.runs, lambda: postgres_raw(directory, args.postgres, serialise=False)
                )
                raw_total = best(
                    args.runs, lambda: postgres_raw(directory, args.postgres, serialise=True)
                )
                results.append(("postgresql", saihan, raw, raw_total))
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                postgres_store = storage.open(
                    postgres_url(args.postgres, schema), principal=Principal.system()
                )
                postgres_store.import_directory(directory)
            except storage.StorageError as error:
                print(f"PostgreSQL skipped: {error}\n", file=sys.stderr)

        print(f"bulk import of {total} records (best of {args.runs}):")
        print(f"  {'backend':<10} {'saihan':>9} {'raw inserts':>12} {'raw, serialising':>17}"
              f" {'ratio':>7} {'ratio vs serialising':>21}")  # fmt: skip
        for name, saihan, raw, raw_total in results:
            print(
                f"  {name:<10} {saihan:8.2f}s {raw:11.2f}s {raw_total:16.2f}s "
                f"{saihan / raw:6.2f}x {saihan / raw_total:20.2f}x"
            )
        print("  (raw inserts: sqlite3.executemany / psycopg COPY of ready-made rows;")
        print("   raw, serialising: the same, making the rows with saihan's converter first)\n")

        print("query by need and municipality (store.services.search):")
        memory = storage.open("memory://", principal=Principal.system())
        memory.import_directory(directory)
        # The benchmark itself holds millions of long-lived objects (the directory, three
        # stores); keep the cyclic collector from walking them in the middle of queries,
        # as a long-running service would.
        gc.collect()
        gc.freeze()
        report_queries("memory", memory, args.queries)
        report_queries("sqlite", sqlite_store, args.queries)
        sqlite_store.close()
        if postgres_store is not None:
            report_queries("postgresql", postgres_store, args.queries)
            postgres_store.close()
            drop_schema(args.postgres, schema)
        times = []
        for _ in range(min(args.queries, 50)):
            started = time.perf_counter()
            directory.search(need="housing", municipality="132012")
            times.append(time.perf_counter() - started)
        print(f"  {'Directory':<10} p50 {statistics.median(times) * 1000:8.2f} ms   "
              "(the in-memory Directory.search, for scale)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

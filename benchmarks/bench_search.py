"""Text search benchmark: PostgreSQL's trigram index against the in-memory scan.

Run from the repository root (with the PostgreSQL plugin installed)::

    python benchmarks/bench_search.py                       # 100,000 services
    python benchmarks/bench_search.py --services 1000000 --queries 300

It builds a directory of ``--services`` services from the bundled sample's services
and agencies (every generated agency is a sample agency moved to one of Tokyo's 62
municipalities and numbered, with its services: the names a real national directory
repeats from town to town, with their kana readings and English names), imports it
into a throw-away PostgreSQL schema, and asks the same text queries of:

- ``store.services.search(text=q, limit=20)``: the first page, as a user sees it,
  through the ``pg_trgm`` index (the number the issue's goal is about);
- ``store.services.search(text=q)``: the whole result, decoded;
- ``Directory.search(text=q)``: the in-memory scan of every service's search key
  (Python), the peer;
- optionally (``--scan``) the same store without the trigram index (the plugin's
  fallback, ``strpos`` over the keys), imported a second time.

The queries (``--queries``, drawn at random with ``--seed``) are of four sorts in equal
numbers: a whole service name (any of its forms), a kana reading in another script
(katakana or half-width), a two- or three-character piece of a name, and two words
(a place and a piece of a name).  Before the queries every answer of the store is
checked against the in-memory one on a sample of them.  It prints p50, p99 and mean
per engine and the ratios to the in-memory scan; it asserts nothing about times.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import attrs

from saihan import storage
from saihan.access import Principal
from saihan.directory import (
    Agency,
    Directory,
    LocalizedText,
    Service,
    ServiceArea,
    sample_directory,
    tokyo_municipalities,
)
from saihan.storage import Store
from saihan.testing.storage import kana_variants

T = TypeVar("T")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PER_AGENCY = 4  # services per generated agency (about)


def _strip_place(name: str, places: list[str]) -> str:
    for place in places:
        if name.startswith(place):
            return name[len(place) :]
    return name


def search_directory(services: int, *, seed: int = 0) -> Directory:
    """``services`` services made from the sample's, deterministic for a ``seed``."""
    rng = random.Random(seed)
    sample = sample_directory()
    places = list(tokyo_municipalities())
    place_names = sorted((p.name_ja for p in places), key=len, reverse=True)
    by_agency: dict[str, list[Service]] = {}
    for service in sample.services:
        by_agency.setdefault(service.agency_id, []).append(service)
    templates = [agency for agency in sample.agencies if agency.id in by_agency]
    agencies: list[Agency] = []
    made: list[Service] = []
    number = 0
    while len(made) < services:
        template = rng.choice(templates)
        place = rng.choice(places)
        core = _strip_place(template.name.ja, place_names)
        agency_id = f"agency-{number:07d}"
        name = LocalizedText(
            ja=f"{place.name_ja}{core}{number % 97 + 1}号",
            kana=f"{place.name_kana}{template.name.kana}" if template.name.kana else None,
            en=f"{template.name.en or core} {place.name_en} {number}",
        )
        agency = Agency(
            id=agency_id,
            name=name,
            kind=template.kind,
            contacts=template.contacts,
            locations=template.locations,
        )
        agencies.append(agency)
        pool = by_agency[template.id]
        for position in range(min(services - len(made), rng.randint(1, 2 * PER_AGENCY - 1))):
            base = pool[position % len(pool)]
            area = base.area
            if area.kind.value == "municipalities":
                area = ServiceArea.of(place.code)
            made.append(
                attrs.evolve(base, id=f"service-{len(made):07d}", agency_id=agency_id, area=area)
            )
        number += 1
    return Directory(agencies=agencies, services=made, meta=sample.meta)


def queries(directory: Directory, count: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    services = directory.services
    places = [p.name_ja for p in tokyo_municipalities()]
    found: list[str] = []
    while len(found) < count:
        service = rng.choice(services)
        kind = len(found) % 4
        forms = service.name.forms()
        if kind == 0:
            found.append(rng.choice(forms))
        elif kind == 1:
            reading = service.name.kana or directory.agency_of(service).name.kana
            if reading:
                found.append(rng.choice(kana_variants(reading)[:3]))
        else:
            text = service.name.ja.replace(" ", "")
            width = rng.choice((2, 3))
            if len(text) < width:
                continue
            start = rng.randrange(len(text) - width + 1)
            piece = text[start : start + width]
            found.append(piece if kind == 2 else f"{rng.choice(places)} {piece}")
    return found


def again_if_dropped(call: Callable[[], T]) -> T:
    """``call()``, once more if the server ended the connection meanwhile (other test
    suites on a shared server end every session now and then)."""
    try:
        return call()
    except storage.StorageError as error:
        if "connection" not in str(error):
            raise
        return call()


def latencies(ask: Callable[[str], int], asked: list[str]) -> tuple[list[float], float]:
    times: list[float] = []
    found = 0
    for query in asked:
        for attempt in range(2):
            started = time.perf_counter()
            try:
                found += ask(query)
            except storage.StorageError as error:
                if attempt or "connection" not in str(error):
                    raise
                continue  # the server ended the connection: time it again
            times.append(time.perf_counter() - started)
            break
    return times, found / max(1, len(asked))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def postgres_url(server: str, schema: str) -> str:
    return f"{server}{'&' if '?' in server else '?'}schema={schema}"


def drop_schema(server: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server, autocommit=True) as db:
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def open_postgres(server: str, schema: str, *, indexed: bool) -> Store:
    if indexed:
        return storage.open(postgres_url(server, schema), principal=Principal.system())
    from saihan_postgres import PostgresEngine

    from saihan.storage.url import parse_url

    engine = PostgresEngine(
        server,
        schema=schema,
        pool_min=1,
        pool_max=2,
        timeout=60,
        create=True,
        label="bench store",
        trigram_extension="saihan_bench_no_such_extension",  # the fallback: a scan
    )
    return Store(engine, parse_url(postgres_url(server, schema)), principal=Principal.system())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", type=int, default=30, help="queries checked for equality")
    parser.add_argument(
        "--whole",
        type=int,
        default=20,
        help="queries also asked for their whole result (each decodes thousands of services)",
    )
    parser.add_argument("--scan", action="store_true", help="also time the store without index")
    parser.add_argument(
        "--reuse",
        metavar="SCHEMA",
        help="keep the indexed store in SCHEMA, and use it as it is when it already holds "
        "a directory of as many services (the directory is deterministic)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SAIHAN_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="PostgreSQL server (a throw-away schema is made and dropped)",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    directory = search_directory(args.services, seed=args.seed)
    print(
        f"directory: {len(directory.services)} services of {len(directory.agencies)} "
        f"agencies, built and validated in {time.perf_counter() - started:.1f} s"
    )
    asked = queries(directory, args.queries, seed=args.seed + 1)
    directory.search(text="warm")  # builds the directory's search keys once

    stores: list[tuple[str, str, Store]] = []
    try:
        for label, indexed in (("pg_trgm", True), ("scan", False))[: 2 if args.scan else 1]:
            reuse = indexed and args.reuse is not None
            schema = args.reuse if reuse else f"bench_{uuid.uuid4().hex[:10]}"
            store = open_postgres(args.postgres, schema, indexed=indexed)
            stores.append((label, "" if reuse else schema, store))
            if reuse and store.services.count() == len(directory.services):
                print(f"using the store in schema {schema} as it is")
                continue
            started = time.perf_counter()
            store.import_directory(directory)
            print(
                f"import into PostgreSQL ({store.info().details['text_search']}): "
                f"{time.perf_counter() - started:.1f} s"
            )
        gc.collect()
        gc.freeze()  # as a long-running service holding the directory would

        for label, _, store in stores:
            for query in asked[: args.check]:
                answer = again_if_dropped(lambda s=store, q=query: s.services.search(text=q))
                got = [found.value.id for found in answer]
                expected = [service.id for service in directory.search(text=query)]
                if got != expected:
                    print(f"MISMATCH on {query!r} ({label})", file=sys.stderr)
                    return 1
        print(f"answers equal to Directory.search on {min(args.check, len(asked))} queries\n")

        rows: list[tuple[str, list[float], float]] = []
        times, mean = latencies(lambda q: len(directory.search(text=q)), asked)
        rows.append(("Directory.search (in memory)", times, mean))
        for label, _, store in stores:
            times, mean = latencies(
                lambda q, s=store: len(s.services.search(text=q, limit=20)), asked
            )
            rows.append((f"PostgreSQL {label}, first 20", times, mean))
            if not args.whole:  # --whole 0: no whole results (a million takes minutes each)
                continue
            store._decoded.clear()
            times, mean = latencies(
                lambda q, s=store: len(s.services.search(text=q)), asked[: args.whole]
            )
            rows.append((f"PostgreSQL {label}, all*", times, mean))
    finally:
        for _, schema, store in stores:
            store.close()
            if schema:
                drop_schema(args.postgres, schema)

    reference = statistics.median(rows[0][1])
    print(f"\nmachine load (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"text search, {len(asked)} queries, {len(directory.services)} services:")
    print(f"  {'':<32} {'p50':>9} {'p99':>9} {'mean':>9}  {'found':>7}  p50 vs in-memory")
    for label, times, mean in rows:
        p50 = statistics.median(times)
        print(
            f"  {label:<32} {p50 * 1000:7.2f}ms {percentile(times, 0.99) * 1000:7.2f}ms "
            f"{statistics.fmean(times) * 1000:7.2f}ms  {mean:7.0f}  {reference / p50:6.1f}x faster"
        )
    print("  (found: services a query finds on average; the first page holds at most 20;")
    print(f"   all*: the whole result, decoded, on the first {args.whole} queries only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A national-scale synthetic directory: 1,741 municipalities, up to a million services.

Importable (``from national_directory import national_directory``, with ``benchmarks/`` on
``sys.path``, as running a script from it gives) and runnable::

    python benchmarks/national_directory.py out.json --services 1000000 --seed 0

- **Municipalities**: Tokyo's 62 real codes, and 1,679 synthetic ones spread over the
  other 46 prefectures (``pp`` + a three-digit number from 201 + the JIS X 0402 check
  digit: S = 6d1 + 5d2 + 4d3 + 3d4 + 2d5, digit (11 - S mod 11) mod 10), 1,741 in all.
- **Mix** taken from the bundled sample directory: agency kinds in the sample's
  proportions; each service's needs drawn from the needs the sample's services of the
  same agency kind meet, weighted by how often they do, and as many needs as the
  sample's services have (1-5, mostly 2-3); areas as in the sample (87% the agency's
  municipality, a few of them with one or two more, 11% its whole prefecture, 2% the
  country). Eligibility limits, closed services and calendars as in ``bench_match``.
- **Deterministic** for a seed; records are made one at a time (:func:`records`), so
  :func:`write_json` streams them to a file with memory bounded by one record.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from bench_match import ELIGIBILITIES, HOURS, NO_HOURS, NOT_ACCEPTING, RESTRICTED, calendar

from saihan.directory import (
    Address,
    Agency,
    AreaKind,
    Audience,
    Channel,
    ContactPoint,
    Directory,
    DirectoryMeta,
    Eligibility,
    LocalizedText,
    Location,
    Service,
    ServiceArea,
    check_digit,
    sample_directory,
    tokyo_municipalities,
)
from saihan.serialization import unstructure

MUNICIPALITIES = 1_741  # Japan's municipalities (市区町村), 2024
PER_AGENCY = 20  # services an agency has, on average


def municipality_codes(count: int = MUNICIPALITIES) -> list[str]:
    """Tokyo's real codes, then synthetic valid codes spread evenly over the other prefectures."""
    codes = sorted(item.code for item in tokyo_municipalities())
    others = [f"{prefecture:02d}" for prefecture in range(1, 48) if prefecture != 13]
    number = 0
    while len(codes) < count:
        prefecture = others[number % len(others)]
        first_five = f"{prefecture}{201 + number // len(others):03d}"
        codes.append(first_five + str(check_digit(first_five)))
        number += 1
    return codes[:count]


@functools.cache
def sample_mix() -> tuple[
    dict[str, int], dict[str, Counter[str]], Counter[int], dict[AreaKind, float], float
]:
    """From the bundled sample: agency-kind counts, need counts by agency kind, counts of
    needs a service, the share of each area kind, and of narrow areas naming several
    municipalities."""
    sample = sample_directory()
    kinds = Counter(agency.kind for agency in sample.agencies)
    kind_of = {agency.id: agency.kind for agency in sample.agencies}
    needs: dict[str, Counter[str]] = {}
    for service in sample.services:
        needs.setdefault(kind_of[service.agency_id], Counter()).update(service.needs)
    sizes = Counter(len(service.needs) for service in sample.services)
    areas = Counter(service.area.kind for service in sample.services)
    narrow = [s for s in sample.services if s.area.kind is AreaKind.MUNICIPALITIES]
    several = sum(len(s.area.municipality_codes) > 1 for s in narrow) / max(1, len(narrow))
    total = sum(areas.values())
    return (
        dict(kinds),
        needs,
        sizes,
        {kind: count / total for kind, count in areas.items()},
        several,
    )


def records(services: int, *, seed: int = 0) -> Iterator[Agency | Service]:
    """Every agency, then every service, of a directory of ``services`` services."""
    rng = random.Random(seed)
    kinds, needs_by_kind, sizes, areas, several = sample_mix()
    kind_codes = sorted(kinds)
    kind_weights = [kinds[code] for code in kind_codes]
    all_needs: Counter[str] = sum(needs_by_kind.values(), Counter())
    pools = {
        kind: (sorted(counter), [counter[need] for need in sorted(counter)])
        for kind, counter in needs_by_kind.items()
    }
    fallback = (sorted(all_needs), [all_needs[need] for need in sorted(all_needs)])
    size_values = sorted(sizes)
    size_weights = [sizes[size] for size in size_values]
    national = areas.get(AreaKind.NATIONAL, 0.0)
    prefecture = areas.get(AreaKind.PREFECTURE, 0.0)
    places = municipality_codes()
    agency_count = max(1, -(-services // PER_AGENCY))
    homes: list[tuple[str, str]] = []  # (kind, municipality) of each agency
    for number in range(agency_count):
        kind = (
            kind_codes[number]
            if number < len(kind_codes)
            else rng.choices(kind_codes, kind_weights)[0]
        )
        place = places[number] if number < len(places) else rng.choice(places)
        homes.append((kind, place))
        yield Agency(
            id=f"agency-{number:06d}",
            name=LocalizedText(ja=f"支援機関{number}号", en=f"Agency {number}"),
            kind=kind,
            contacts=(
                ContactPoint(Channel.PHONE, f"0{number % 900 + 100}-{number // 1000:04d}-0000"),
            ),
            locations=(Location(id="main", address=Address(municipality_code=place)),),
        )
    audiences = list(Audience)
    for number in range(services):
        agency = number % agency_count
        kind, home = homes[agency]
        roll = rng.random()
        if roll < national:
            area = ServiceArea.national()
        elif roll < national + prefecture:
            area = ServiceArea(kind=AreaKind.PREFECTURE, prefecture_code=home[:2])
        elif rng.random() < several:
            same = [code for code in rng.sample(places, 6) if code[:2] == home[:2]][:2]
            area = ServiceArea.of(home, *same)
        else:
            area = ServiceArea.of(home)
        pool, weights = pools.get(kind, fallback)
        wanted = min(len(pool), rng.choices(size_values, size_weights)[0])
        needs: set[str] = set()
        while len(needs) < wanted:
            needs.add(rng.choices(pool, weights)[0])
        yield Service(
            id=f"service-{number:07d}",
            agency_id=f"agency-{agency:06d}",
            name=LocalizedText(ja=f"相談窓口{number}", en=f"Desk {number}"),
            area=area,
            needs=frozenset(needs),
            audiences=frozenset(
                {Audience.PERSON, *rng.sample(audiences, rng.randint(0, len(audiences)))}
            ),
            eligibility=rng.choice(ELIGIBILITIES) if rng.random() < RESTRICTED else Eligibility(),
            contacts=(ContactPoint(Channel.PHONE, f"050-{number % 10000:04d}-0000"),)
            if rng.random() < 0.5
            else (),
            hours=None if rng.random() < NO_HOURS else calendar(rng.randrange(len(HOURS))),
            location_ids=("main",) if rng.random() < 0.6 else (),
            languages=rng.choices([("ja",), ("ja", "en")], weights=[90, 10])[0],
            accepting_referrals=rng.random() >= NOT_ACCEPTING,
        )


META = DirectoryMeta(
    name=LocalizedText(ja="全国規模の合成ディレクトリ", en="National-scale synthetic directory"),
    sample=True,
)


def national_directory(services: int = 1_000_000, *, seed: int = 0) -> Directory:
    """The directory of :func:`records`, in memory."""
    agencies: list[Agency] = []
    made: list[Service] = []
    for record in records(services, seed=seed):
        (agencies if isinstance(record, Agency) else made).append(record)  # type: ignore[arg-type]
    return Directory(agencies=agencies, services=made, meta=META)


def write_json(out: IO[str], services: int = 1_000_000, *, seed: int = 0) -> int:
    """Stream the directory of :func:`records` to ``out`` as saihan's JSON; bytes written.

    The same document ``to_json(national_directory(...))`` gives (keys in another
    order, no indentation), one record at a time.
    """
    written = out.write('{"meta": ' + json.dumps(unstructure(META), ensure_ascii=False))
    section = None
    for record in records(services, seed=seed):
        name = "agencies" if isinstance(record, Agency) else "services"
        if name != section:
            written += out.write(("]" if section else "") + f', "{name}": [\n')
            separator = ""
            section = name
        written += out.write(separator + json.dumps(unstructure(record), ensure_ascii=False))
        separator = ",\n"
    written += out.write(("]" if section else "") + "}\n")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the JSON file to write")
    parser.add_argument("--services", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with args.out.open("w", encoding="utf-8") as out:
        size = write_json(out, args.services, seed=args.seed)
    print(
        f"{args.out}: {args.services:,} services, {size / 2**20:,.1f} MiB "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

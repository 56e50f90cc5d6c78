"""What the complete sample directory costs to load and to match against.

Run from the repository root::

    python benchmarks/bench_sample.py [--runs 5]

Prints times and ratios (asserts nothing), in one run, best of ``--runs``:

1. **Load**: ``from_json(sample_directory.json, Directory)`` (what
   ``sample_directory()`` does: JSON Schema, then the models' own checks) on the
   bundled sample, against the same load of the hand-written part alone (the
   sample without the bodies generated from ``sample_network.csv``, the size of the
   sample before the 62-municipality network), against ``json.loads`` of the same
   text, and against the models' checks alone (``converter.structure``, no schema).
2. **Match**: ``match`` of the six example cases (``examples/cases``) against the
   complete sample and against the hand-written part.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from saihan.directory import _sample_network
from saihan.directory.directory import Directory
from saihan.referral import load_case, match
from saihan.serialization import from_json
from saihan.serialization.converter import converter

ROOT = Path(__file__).resolve().parent.parent


def best(runs: int, call: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def hand_written(document: dict[str, Any]) -> dict[str, Any]:
    generated = {row.id for row in _sample_network.network_rows() if not row.existing}
    return {
        **document,
        "agencies": [a for a in document["agencies"] if a["id"] not in generated],
        "services": [s for s in document["services"] if s["agency_id"] not in generated],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    full_text = _sample_network.SAMPLE_PATH.read_bytes()
    full_doc = json.loads(full_text)
    part_text = json.dumps(hand_written(full_doc), ensure_ascii=False).encode()
    full = from_json(full_text, Directory)
    part = from_json(part_text, Directory)
    print(
        f"complete sample: {len(full.agencies)} agencies, {len(full.services)} services "
        f"({len(full_text) / 1e6:.2f} MB); hand-written part: {len(part.agencies)} agencies, "
        f"{len(part.services)} services ({len(part_text) / 1e6:.2f} MB)"
    )

    t_full = best(args.runs, lambda: from_json(full_text, Directory))
    t_part = best(args.runs, lambda: from_json(part_text, Directory))
    t_json = best(args.runs, lambda: json.loads(full_text))
    t_models = best(args.runs, lambda: converter.structure(json.loads(full_text), Directory))
    print(f"load (best of {args.runs}):")
    print(f"  complete sample, from_json        {t_full * 1e3:8.1f} ms")
    print(
        f"  hand-written part, from_json      {t_part * 1e3:8.1f} ms  ratio {t_full / t_part:.2f}x"
    )
    print(
        f"  complete sample, json.loads       {t_json * 1e3:8.1f} ms  ratio {t_full / t_json:.1f}x"
    )
    print(
        f"  complete sample, models' checks   {t_models * 1e3:8.1f} ms  "
        f"(schema pass {(t_full - t_models) / t_full:.0%} of the load)"
    )

    cases = [load_case(path) for path in sorted((ROOT / "examples" / "cases").glob("*.json"))]

    def match_all(directory: Directory) -> None:
        for case in cases:
            match(case, directory)

    m_full = best(args.runs, lambda: match_all(full))
    m_part = best(args.runs, lambda: match_all(part))
    print(f"match, {len(cases)} example cases (best of {args.runs}):")
    print(f"  complete sample                   {m_full * 1e3:8.1f} ms")
    print(
        f"  hand-written part                 {m_part * 1e3:8.1f} ms  ratio {m_full / m_part:.2f}x"
    )


if __name__ == "__main__":
    main()

"""HSDS benchmark: export and import a large directory as HSDS 3.1 JSON, against plain JSON.

Run from the repository root (with the HSDS plugin installed)::

    python benchmarks/bench_hsds.py                    # 100,000 services
    python benchmarks/bench_hsds.py --services 10000 --runs 1

It builds a synthetic directory (``saihan.testing.storage.synthetic_directory``),
then, in the same run, best of ``--runs``:

- serialises it to plain saihan JSON (``saihan.serialization.to_json``) and
  reads it back (``from_json``): the baseline;
- exports it with the ``hsds`` exporter, validation on (every organization and
  service checked against the official HSDS 3.1 schemas, the whole document
  against the Japan profile) and off, and imports it with the ``hsds`` importer
  (whose per-record schema checks are always on);
- times those schema checks alone, to say how much of each side validation is.

It prints times and ratios; it asserts nothing (it is not a timed test).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from typing import Any

from saihan_hsds import document_errors
from saihan_hsds.schemas import is_valid, profile_validator

from saihan import plugins
from saihan.directory import Directory
from saihan.serialization import from_json, to_json
from saihan.testing.storage import synthetic_directory


def best(runs: int, action: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return min(times), result


def import_checks(document: dict[str, Any], *, fast: bool = True) -> None:
    """The schema checks the importer makes, alone: each organization and service.

    ``fast=False`` asks jsonschema alone, as the plugin did before it asked
    jsonschema-rs first: the peer the fast check is measured against.
    """
    organization, service = profile_validator("organization"), profile_validator("service")

    def check(validator: Any, record: Any) -> bool:
        return is_valid(validator, record) if fast else bool(validator.is_valid(record))

    for item in document["contents"]:
        check(organization, {key: value for key, value in item.items() if key != "services"})
        for record in item["services"]:
            check(service, record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    directory = synthetic_directory(args.services)
    print(
        f"directory: {len(directory.services):,} services of {len(directory.agencies):,} "
        f"agencies (built in {time.perf_counter() - started:.1f} s); best of {args.runs}"
    )
    exporter, importer = plugins.exporter("hsds"), plugins.importer("hsds")
    published = directory.published()

    t_json_out, text = best(args.runs, lambda: to_json(published, indent=None))
    t_json_in, _ = best(args.runs, lambda: from_json(text, Directory))
    t_out, data = best(args.runs, lambda: exporter.export(directory, indent=0))
    t_out_raw, _ = best(args.runs, lambda: exporter.export(directory, indent=0, validate=False))
    t_in, loaded = best(args.runs, lambda: importer.load(data))
    document = json.loads(data)
    t_validate_out, _ = best(args.runs, lambda: document_errors(document))
    t_validate_in, _ = best(args.runs, lambda: import_checks(document))
    t_validate_slow, _ = best(1, lambda: import_checks(document, fast=False))
    assert len(loaded.services) == len(directory.services)

    def row(label: str, seconds: float, baseline: float | None = None) -> None:
        ratio = f"{seconds / baseline:6.1f}x plain JSON" if baseline else ""
        print(f"  {label:<44} {seconds:8.2f} s  {ratio}")

    print(f"sizes: plain JSON {len(text.encode()) / 1e6:.1f} MB, HSDS {len(data) / 1e6:.1f} MB")
    print("export")
    row("plain JSON (to_json)", t_json_out)
    row("HSDS, validation on", t_out, t_json_out)
    row("HSDS, validation off", t_out_raw, t_json_out)
    row("  of which validation (official schemas)", t_validate_out)
    print(f"  validation share of the HSDS export (on - off): {(t_out - t_out_raw) / t_out:.0%}")
    print("import")
    row("plain JSON (from_json, schema-checked)", t_json_in)
    row("HSDS (per-record schema checks on)", t_in, t_json_in)
    row("  of which validation (profile schemas)", t_validate_in)
    print(f"  validation share of the HSDS import: {t_validate_in / t_in:.0%}")
    print(
        f"  the same checks with jsonschema alone: {t_validate_slow:.2f} s "
        f"({t_validate_slow / t_validate_in:.1f}x the jsonschema-rs first check)"
    )


if __name__ == "__main__":
    main()

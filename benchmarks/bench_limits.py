"""What the bounded readers of :mod:`saihan.limits` cost, against the readers they wrap.

Run from the repository root::

    python benchmarks/bench_limits.py [--runs 5] [--services 5000]

Prints times and ratios (asserts nothing), in one run, best of ``--runs``:

1. **JSON**: ``parse_json`` (size and Unicode check, bounded integers, then a
   walk of the tree for depth, string and collection limits) against a plain
   ``json.loads`` of the same text: the bundled sample directory, and a
   synthetic directory of ``--services`` services.
2. **YAML**: ``parse_yaml`` (libyaml's parser under PyYAML's composer, with
   aliases, nesting and expanded values counted while composing) against
   ``yaml.safe_load`` (pure Python, what most code calls) and against
   ``yaml.load(Loader=CSafeLoader)`` (libyaml throughout, unbounded), on Tokyo's
   default rules and every bundled support flow.
3. **ZIP**: ``read_zip`` (decompressed sizes counted while reading) against
   ``zipfile.ZipFile.read`` of every member, on an archive of the synthetic
   directory split into 50 members.
4. **Hostile documents**: how long the bounded readers take to refuse a
   document built to hurt (a billion-laughs YAML, 3 MB of nesting, a 5,000-digit
   integer, a ZIP member that inflates to 80 MB), where the plain reader would
   hang, blow the stack or raise an exception of its own.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import time
import zipfile
from collections.abc import Callable
from importlib import resources
from typing import Any

import yaml

from saihan.errors import SaihanError
from saihan.limits import parse_json, parse_yaml, read_zip
from saihan.serialization import to_json
from saihan.testing.storage import synthetic_directory


def best(call: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def row(label: str, ours: float, peer: float, peer_name: str) -> None:
    print(
        f"  {label:<34} ours {ours * 1000:9.2f} ms   {peer_name} {peer * 1000:9.2f} ms"
        f"   ratio {ours / peer:5.2f}x"
    )


def refused(call: Callable[[], Any]) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        call()
    except SaihanError as error:
        outcome = type(error).__name__
    else:
        outcome = "accepted"
    return time.perf_counter() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--services", type=int, default=5000)
    args = parser.parse_args()

    sample = resources.files("saihan.directory").joinpath("data/sample_directory.json").read_bytes()
    synthetic = to_json(synthetic_directory(args.services), indent=None).encode("utf-8")
    print("1. JSON: parse_json against json.loads")
    for label, text in (("sample directory", sample), (f"{args.services} services", synthetic)):
        ours = best(functools.partial(parse_json, text), args.runs)
        peer = best(functools.partial(json.loads, text), args.runs)
        row(f"{label} ({len(text) / 1e6:.2f} MB)", ours, peer, "json.loads")

    print("2. YAML: parse_yaml against yaml.safe_load")
    rules = resources.files("saihan.referral").joinpath("data/tokyo_rules.yaml").read_bytes()
    flows = [
        item.read_bytes()
        for item in resources.files("saihan.referral.flows").joinpath("data").iterdir()
        if item.name.endswith(".yaml")
    ]
    row(
        "Tokyo's default rules",
        best(lambda: parse_yaml(rules), args.runs),
        best(lambda: yaml.safe_load(rules), args.runs),
        "safe_load",
    )
    row(
        f"{len(flows)} bundled flows",
        best(lambda: [parse_yaml(flow) for flow in flows], args.runs),
        best(lambda: [yaml.safe_load(flow) for flow in flows], args.runs),
        "safe_load",
    )
    if hasattr(yaml, "CSafeLoader"):
        row(
            "Tokyo's default rules",
            best(lambda: parse_yaml(rules), args.runs),
            best(lambda: yaml.load(rules, Loader=yaml.CSafeLoader), args.runs),
            "CSafeLoader",
        )
        row(
            f"{len(flows)} bundled flows",
            best(lambda: [parse_yaml(flow) for flow in flows], args.runs),
            best(lambda: [yaml.load(flow, Loader=yaml.CSafeLoader) for flow in flows], args.runs),
            "CSafeLoader",
        )

    print("3. ZIP: read_zip against ZipFile.read")
    buffer = io.BytesIO()
    chunk = len(synthetic) // 50 + 1
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(50):
            archive.writestr(
                f"part-{index:02}.json", synthetic[index * chunk : (index + 1) * chunk]
            )
    packed = buffer.getvalue()

    def plain_zip() -> list[bytes]:
        with zipfile.ZipFile(io.BytesIO(packed)) as archive:
            return [archive.read(info) for info in archive.infolist()]

    row(
        f"50 members ({len(packed) / 1e6:.2f} MB packed)",
        best(lambda: list(read_zip(packed)), args.runs),
        best(plain_zip, args.runs),
        "ZipFile",
    )

    print("4. Hostile documents: time to refuse")
    laughs = "a0: &a0 [x, x]\n" + "".join(
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 40)
    )
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.csv", b"0" * (80 * 1024 * 1024))
    bomb_bytes = bomb.getvalue()
    hostile: list[tuple[str, Callable[[], Any]]] = [
        ("billion laughs (40 levels)", lambda: parse_yaml(laughs)),
        ("3 MB of '[' as JSON", lambda: parse_json("[" * 3_000_000)),
        ("3 MB of '- ' as YAML", lambda: parse_yaml("- " * 1_500_000)),
        ("a 5,000-digit integer", lambda: parse_json("9" * 5000)),
        (f"ZIP bomb ({len(bomb_bytes) / 1e3:.0f} kB to 80 MB)", lambda: list(read_zip(bomb_bytes))),
    ]
    for label, call in hostile:
        seconds, outcome = refused(call)
        print(f"  {label:<34} {seconds * 1000:9.2f} ms   {outcome}")


if __name__ == "__main__":
    main()

"""How long ``saihan`` takes to give the prompt back once its output is written.

Run from the repository root::

    python benchmarks/bench_cli_exit.py [--services 30000] [--runs 3] [--match]

A command that read a large directory leaves millions of objects alive; when Python
exits it walks them all for cycles.  ``saihan`` run from the shell (``main()`` with no
arguments) freezes them first (``gc.freeze``, see ``saihan.cli.main._end_quickly``).  The
peer is the same command through ``main(argv)``, which keeps the collector as it was, as
a program calling saihan does: the time between the output's last byte and the process's
end is what the freeze saves.  Measured on a loaded 2-core machine (load 3.7-5.2), 30,000
services, one run: ``match`` 1.57 s of exit for the peer against 0.00 s; ``directory
search`` 0.73 s against 0.35 s.  Prints medians and the ratio (asserts nothing), with the
load average: wall time grows with it on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from national_directory import write_json

SHELL = "import sys; from saihan.cli import main; sys.argv[0] = 'saihan'; sys.exit(main())"
PROGRAM = (
    "import sys; from saihan.cli import main; code = main(sys.argv[1:]); "
    "sys.stdout.flush(); sys.exit(code)"
)


def _whole(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _run(code: str, argv: list[str]) -> tuple[float, float]:
    """(seconds to the output's end, seconds from it to the process's end)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    received = b""
    while True:  # until the JSON document is whole: the output is all written
        chunk = process.stdout.read1(65536)
        if not chunk:
            break
        received += chunk
        if received.endswith(b"}\n") and _whole(received):
            break
    written = time.perf_counter()
    process.stdout.read()
    process.wait()
    ended = time.perf_counter()
    return written - start, ended - written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--match", action="store_true", help="saihan match (a case) instead of directory search"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "directory.json"
        with path.open("w", encoding="utf-8") as out:
            write_json(out, args.services, seed=0)
        argv = ["directory", "search", "--need", "housing", "-i", str(path), "--format", "json"]
        if args.match:
            argv = ["match", "examples/cases/elderly-man-hachioji.json", "-i", str(path)]
            argv += ["--format", "json"]
        results = {}
        for name, code in (("shell (frozen)", SHELL), ("program (peer)", PROGRAM)):
            runs = [_run(code, argv) for _ in range(args.runs)]
            results[name] = (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
            )
    command = "match" if args.match else "directory search"
    print(f"{command} on {args.services:,} services, median of {args.runs}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    for name, (work, end) in results.items():
        print(f"  {name:<16} output written {work:6.2f} s, then exit {end:5.2f} s")
    frozen, peer = results["shell (frozen)"][1], results["program (peer)"][1]
    ratio = f"{peer / frozen:.1f}x as long" if frozen >= 0.01 else "its time (the shell's: ~0 s)"
    print(f"exit after the output: the peer takes {peer - frozen:.2f} s more, {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

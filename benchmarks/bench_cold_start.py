"""What a cold start of saihan costs: fresh processes, CPU and wall time.

Run from the repository root::

    python benchmarks/bench_cold_start.py [--runs 7]

Prints times and ratios (asserts nothing), in one run, the median of ``--runs`` fresh
processes of each (after one unmeasured warm-up, so the byte-code caches exist):

1. ``python -c pass``: the interpreter alone, the floor.
2. ``python -c "import saihan"``: the package (its names load on first use).
3. ``saihan --version``: the command line, parsing only (the peer).
4. ``saihan match examples/cases/elderly-man-hachioji.json``: a whole cold match on the
   bundled sample (rules, directory, holidays, calendars, the plan printed).

CPU time is the children's user + system time (``resource.getrusage``), the steadier
figure on a shared machine; wall time is ``time.perf_counter`` around each process.
The children run with byte-code caches, as an installed saihan does (a
``PYTHONDONTWRITEBYTECODE`` in the environment is dropped for them).
The load average is printed with the numbers: on a busy machine wall time grows with it.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "examples" / "cases" / "elderly-man-hachioji.json"
GOAL_MATCH_CPU = 0.3  # seconds (issue 14)
GOAL_IMPORT_CPU = 0.08


# As an installed saihan runs: from byte-code caches.  A shell that sets
# PYTHONDONTWRITEBYTECODE would make every process compile every module from source
# (over half of a cold match), which no installed copy does.
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str], runs: int) -> tuple[float, float]:
    """Median CPU and wall seconds of ``command`` run ``runs`` times in fresh processes."""
    run = functools.partial(subprocess.run, cwd=ROOT, env=ENVIRONMENT, capture_output=True)
    run(command, check=True)  # warm the caches: the byte code is written here
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run(command, check=True)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    saihan = [python, "-m", "saihan"]
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "import saihan": [python, "-c", "import saihan"],
        "saihan --version": [*saihan, "--version"],
        "saihan match (sample)": [*saihan, "match", str(CASE.relative_to(ROOT))],
    }
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    print(f"median of {args.runs} fresh processes each:")
    results = {}
    for label, command in commands.items():
        cpu, wall = measure(command, args.runs)
        results[label] = (cpu, wall)
        print(f"  {label:24s} CPU {cpu * 1e3:7.1f} ms   wall {wall * 1e3:7.1f} ms")
    match_cpu, match_wall = results["saihan match (sample)"]
    version_cpu, version_wall = results["saihan --version"]
    import_cpu = results["import saihan"][0] - results["python -c pass"][0]
    print(
        f"cold match / cold --version: CPU {match_cpu / version_cpu:.2f}x, "
        f"wall {match_wall / version_wall:.2f}x"
    )
    print(
        f"goals: cold match CPU < {GOAL_MATCH_CPU:.1f} s: "
        f"{'yes' if match_cpu < GOAL_MATCH_CPU else 'no'} ({match_cpu:.3f} s); "
        f"import saihan < {GOAL_IMPORT_CPU * 1e3:.0f} ms over the interpreter: "
        f"{'yes' if import_cpu < GOAL_IMPORT_CPU else 'no'} ({import_cpu * 1e3:.1f} ms)"
    )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()

"""Business-calendar benchmarks: saihan.schedule against its peers, in one run.

Run from the repository root (needs the ``bench`` extra: numpy, workalendar)::

    python benchmarks/bench_schedule.py

Prints times and the ratio to each peer; asserts nothing.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import random
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
from workalendar.asia import Japan

from saihan.schedule import BusinessCalendar, WeeklyHours, japanese_holidays

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST, LAST = dt.date(2024, 1, 1), dt.date(2033, 12, 31)


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of ``runs`` timings of ``work``, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def office() -> BusinessCalendar:
    """A municipal office: weekdays 08:30-17:15, closed on holidays and 29 Dec - 3 Jan."""
    return BusinessCalendar(weekly=[WeeklyHours.of("MO-FR", "08:30", "17:15")])


def row(label: str, ours: float, peer: float, peer_name: str, aim: str) -> None:
    print(
        f"  {label:<44} saihan {ours * 1e3:9.2f} ms   {peer_name} {peer * 1e3:9.2f} ms   "
        f"ratio {ours / peer:6.2f}x   ({aim})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--starts", type=int, default=10_000, help="start dates for add_business_days"
    )
    parser.add_argument("--moments", type=int, default=1_000_000, help="timestamps for is_open")
    parser.add_argument("--runs", type=int, default=3, help="best of N")
    args = parser.parse_args()
    rng = random.Random(20241126)

    # Building: ten years compiled from scratch.
    build = best_of(args.runs, lambda: office()._compiled.ensure(FIRST.year, LAST.year))
    print(f"build a ten-year calendar (2024-2033): {build * 1e3:.1f} ms (aim: well under 1 s)")

    calendar = office()
    calendar._compiled.ensure(FIRST.year, LAST.year)
    business = [dt.date.fromordinal(o) for o in calendar._compiled.business_days]
    starts = [rng.choice(business[:-400]) for _ in range(args.starts)]
    offsets = [rng.randint(1, 60) for _ in range(args.starts)]

    # add_business_days against numpy.busday_offset with the same closed days.
    closed = [
        day
        for day in (FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1))
        if day.weekday() < 5 and not calendar.is_business_day(day)
    ]
    busdaycal = np.busdaycalendar(
        weekmask="1111100", holidays=np.array(closed, dtype="datetime64[D]")
    )
    np_starts = np.array(starts, dtype="datetime64[D]")
    np_offsets = np.array(offsets)
    ours_days = best_of(
        args.runs,
        lambda: [calendar.add_business_days(d, n) for d, n in zip(starts, offsets, strict=True)],
    )
    numpy_vector = best_of(
        args.runs, lambda: np.busday_offset(np_starts, np_offsets, busdaycal=busdaycal)
    )
    numpy_loop = best_of(
        args.runs,
        lambda: [
            np.busday_offset(d, n, busdaycal=busdaycal)
            for d, n in zip(np_starts, np_offsets, strict=True)
        ],
    )
    ours_result = [calendar.add_business_days(d, n) for d, n in zip(starts, offsets, strict=True)]
    numpy_result = (
        np.busday_offset(np_starts, np_offsets, busdaycal=busdaycal).astype(dt.date).tolist()
    )
    agree = sum(a == b for a, b in zip(ours_result, numpy_result, strict=True))
    print(
        f"add_business_days, {args.starts:,} start dates "
        f"(answers equal to numpy: {agree:,}/{args.starts:,})"
    )
    row("vs numpy.busday_offset, vectorised", ours_days, numpy_vector, "numpy", "aim within 5x")
    row(
        "vs numpy.busday_offset, one call per date",
        ours_days,
        numpy_loop,
        "numpy",
        "same work shape",
    )

    # The batch form: the same dates in one call, against numpy's vectorised call.
    ours_many = best_of(args.runs, lambda: calendar.add_business_days_many(starts, offsets))
    assert calendar.add_business_days_many(starts, offsets) == ours_result
    fixed = 5
    ours_many_fixed = best_of(args.runs, lambda: calendar.add_business_days_many(starts, fixed))
    numpy_fixed = best_of(
        args.runs, lambda: np.busday_offset(np_starts, fixed, busdaycal=busdaycal)
    )
    fixed_numpy = np.busday_offset(np_starts, fixed, busdaycal=busdaycal).astype(dt.date).tolist()
    assert calendar.add_business_days_many(starts, fixed) == fixed_numpy
    numpy_from_list = best_of(
        args.runs,
        lambda: np.busday_offset(
            np.array(starts, dtype="datetime64[D]"), np_offsets, busdaycal=busdaycal
        ).tolist(),
    )
    print(
        f"add_business_days_many, the same {args.starts:,} start dates in one call "
        "(answers equal to the loop and to numpy)"
    )
    row("an offset each vs numpy.busday_offset", ours_many, numpy_vector, "numpy", "aim within 2x")
    row(
        f"one offset ({fixed}) vs numpy.busday_offset",
        ours_many_fixed,
        numpy_fixed,
        "numpy",
        "aim within 2x",
    )
    row(
        "an offset each vs numpy from a list of dates",
        ours_many,
        numpy_from_list,
        "numpy",
        "dates in, dates out",
    )
    row("an offset each vs our own loop", ours_many, ours_days, "loop", "the batch's gain")

    workalendar_japan = Japan()
    few = starts[: max(1, args.starts // 10)]
    few_offsets = offsets[: len(few)]
    ours_few = best_of(
        args.runs,
        lambda: [calendar.add_business_days(d, n) for d, n in zip(few, few_offsets, strict=True)],
    )
    peer_few = best_of(
        1,
        lambda: [
            workalendar_japan.add_working_days(d, n) for d, n in zip(few, few_offsets, strict=True)
        ],
    )
    row(
        f"vs workalendar add_working_days ({len(few):,} dates)",
        ours_few,
        peer_few,
        "workalendar",
        "aim at least 20x faster",
    )

    # is_open over a million timestamps against a bare bisect over the same boundaries.
    span = (
        dt.datetime(2033, 12, 31, tzinfo=TOKYO) - dt.datetime(2024, 1, 2, tzinfo=TOKYO)
    ).total_seconds()
    base = dt.datetime(2024, 1, 2, tzinfo=TOKYO)
    moments = [base + dt.timedelta(seconds=rng.random() * span) for _ in range(args.moments)]
    bounds = list(calendar._compiled.bounds)
    is_open = calendar.is_open
    ours_open = best_of(args.runs, lambda: [is_open(t) for t in moments])
    bare = best_of(
        args.runs, lambda: [bisect.bisect_right(bounds, t.timestamp()) % 2 == 1 for t in moments]
    )
    print(f"is_open, {args.moments:,} aware timestamps")
    row("vs bare bisect over interval boundaries", ours_open, bare, "bisect", "aim within 3x")

    # Holiday lookup against a plain frozenset.
    holidays = japanese_holidays()
    days = [
        FIRST + dt.timedelta(days=rng.randrange((LAST - FIRST).days)) for _ in range(args.moments)
    ]
    plain = frozenset(h.date for h in holidays.between(FIRST, LAST))
    ours_holiday = best_of(args.runs, lambda: [holidays.is_holiday(d) for d in days])
    set_lookup = best_of(args.runs, lambda: [d in plain for d in days])
    print(f"holiday lookup, {args.moments:,} dates")
    row("vs a plain frozenset lookup", ours_holiday, set_lookup, "frozenset", "aim within 2x")
    assert holidays.is_holiday_many(days) == [d in plain for d in days]
    ours_holidays_many = best_of(args.runs, lambda: holidays.is_holiday_many(days))
    row(
        "is_holiday_many vs a frozenset lookup",
        ours_holidays_many,
        set_lookup,
        "frozenset",
        "aim within 2x",
    )
    open_days = frozenset(business)
    assert calendar.is_business_day_many(days) == [d in open_days for d in days]
    ours_business_many = best_of(args.runs, lambda: calendar.is_business_day_many(days))
    business_lookup = best_of(args.runs, lambda: [d in open_days for d in days])
    print(f"business-day lookup, {args.moments:,} dates")
    row(
        "is_business_day_many vs a frozenset lookup",
        ours_business_many,
        business_lookup,
        "frozenset",
        "aim within 2x",
    )
    ours_business_loop = best_of(args.runs, lambda: [calendar.is_business_day(d) for d in days])
    row(
        "is_business_day_many vs our own loop",
        ours_business_many,
        ours_business_loop,
        "loop",
        "the batch's gain",
    )


if __name__ == "__main__":
    main()

"""Referral lifecycle benchmarks: follow-up due dates and audited writes, in one run.

Run from the repository root (needs the ``bench`` extra for workalendar)::

    python benchmarks/bench_followup.py [--referrals 5000] [--runs 3]

Measures, and prints ratios (asserts nothing):

1. **Due dates**: ``followup_for`` over every open referral, against the same
   rule computed with workalendar's Japan calendar (``add_working_days`` with
   the year-end closure added as holidays), the peer a team would otherwise
   reach for.  Answers are compared.
2. **due_followups** end to end on memory and SQLite stores (reading the open
   referrals, their cases and calendars), per referral.
3. **The cost of the audit trail**: ``transition_referral`` (checks, consent,
   audit event in the same transaction) against a plain ``store.plans.put``
   of a record of similar size, which is not audited.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
from workalendar.asia import Japan

import saihan.storage
from saihan.access import Principal
from saihan.casework import (
    due_followups,
)
from saihan.directory import sample_directory
from saihan.referral import (
    DEFAULT_POLICY,
    OFFICE_CALENDAR,
    Consent,
    ConsultationCase,
    Referral,
    ReferralStatus,
    followup_for,
    load_case,
    new_referral,
    transition,
)
from saihan.referral.followup import clock_start
from saihan.storage import Store

TOKYO = ZoneInfo("Asia/Tokyo")
BASE = load_case("examples/cases/elderly-man-hachioji.json")
SERVICE = "hachioji-welfare-office-public-assistance"
START = dt.datetime(2025, 4, 1, 9, tzinfo=TOKYO)
AT = dt.datetime(2026, 3, 31, 17, tzinfo=TOKYO)
S = ReferralStatus


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best


def make_cases(count: int) -> list[ConsultationCase]:
    consent = Consent(given_on=START.date(), agency_kinds=frozenset({"welfare_office"}))
    return [
        attrs.evolve(
            BASE,
            id=f"case-{n:05d}",
            received_at=START,
            consents=(consent,),
            worker=f"worker-{n % 40}",
            summary=None,
        )
        for n in range(count)
    ]


def make_referrals(cases: list[ConsultationCase], rng: random.Random) -> list[Referral]:
    made = []
    for case in cases:
        at = START + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 300))
        referral = new_referral(
            f"{case.id}.r",
            case,
            service_id=SERVICE,
            agency_id="hachioji-welfare-office",
            agency_kind="welfare_office",
            actor="w",
            at=at,
            status=S.REQUESTED,
        )
        steps = rng.choice([(), (S.ACCEPTED,), (S.ACCEPTED, S.IN_PROGRESS)])
        for step in steps:
            at += dt.timedelta(hours=rng.randrange(1, 24 * 10))
            referral = transition(referral, step, actor="w", at=at, case=case)
        made.append(referral)
    return made


def peer_due_on(referral: Referral, japan: Japan) -> dt.date | None:
    """The same rule with workalendar: business days are its working days minus 29 Dec - 3 Jan."""
    rule = DEFAULT_POLICY.rule_for(referral.status)
    if rule is None:
        return None
    start = clock_start(referral, rule)
    if start is None:
        return None
    day = start.astimezone(TOKYO).date()
    extra = [
        dt.date(year, month, date)
        for year in (day.year - 1, day.year, day.year + 1)
        for month, date in ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))
    ]
    result: dt.date = japan.add_working_days(day, rule.business_days, extra_holidays=extra)
    return result


def fill(store: Store, cases: list[ConsultationCase], referrals: list[Referral]) -> None:
    store.import_directory(sample_directory())
    with store.transaction(), store.acting_as("loader", at=START):
        for case in cases:
            store.cases.put(case)
        for referral in referrals:
            store.referrals.put(referral)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--referrals", type=int, default=5_000)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20261126)
    cases = make_cases(args.referrals)
    referrals = make_referrals(cases, rng)
    by_case = {case.id: case for case in cases}

    # 1. due dates against workalendar
    OFFICE_CALENDAR.is_business_day(START.date())  # compile the calendar's first year
    ours = best_of(
        args.runs,
        lambda: [followup_for(r, by_case[r.case_id], AT) for r in referrals],
    )
    japan = Japan()
    few = referrals[: max(1, len(referrals) // 10)]
    peer = best_of(1, lambda: [peer_due_on(r, japan) for r in few]) * len(referrals) / len(few)
    agree = 0
    for referral in few:
        due = followup_for(referral, by_case[referral.case_id], AT)
        expected = peer_due_on(referral, japan)
        agree += (due.due_on if due is not None else None) == expected
    print(f"due dates for {len(referrals):,} open referrals (policy rules, office calendar)")
    each = ours / len(referrals) * 1e6
    print(f"  saihan followup_for {ours * 1e3:9.1f} ms ({each:.1f} µs each)")
    print(
        f"  workalendar Japan   {peer * 1e3:9.1f} ms (scaled from {len(few):,})   "
        f"saihan {peer / ours:.1f}x faster; answers equal: {agree:,}/{len(few):,}"
    )
    differ = [
        day
        for day in (START.date() + dt.timedelta(days=n) for n in range(730))
        if not ((day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3))
        and japan.is_working_day(day) != OFFICE_CALENDAR.is_business_day(day)
    ]
    print(
        "  days of 2025-04..2027-03 (year-end aside) the calendars disagree on: "
        f"{', '.join(str(day) for day in differ)}"
    )

    # 2. due_followups end to end
    with tempfile.TemporaryDirectory() as folder:
        for url in ("memory://bench-followup", f"sqlite:///{Path(folder) / 'bench.db'}"):
            with saihan.storage.open(url, principal=Principal.system()) as store:
                began = time.perf_counter()
                fill(store, cases, referrals)
                filled = time.perf_counter() - began
                took = best_of(args.runs, lambda store=store: due_followups(store, AT))
                due = len(due_followups(store, AT))
                scheme = url.split(":", 1)[0]
                each = took / len(referrals) * 1e6
                print(
                    f"due_followups on {scheme:<6}: {took * 1e3:8.1f} ms for {len(referrals):,} "
                    f"open referrals ({each:.0f} µs each, {due:,} due); "
                    f"loading them took {filled:.1f} s"
                )

                # 3. audited transitions against plain writes
                if scheme == "sqlite":
                    bench_writes(store, referrals[: args.writes], by_case)
        saihan.storage.memory.forget("bench-followup")


def bench_writes(
    store: Store, referrals: list[Referral], by_case: dict[str, ConsultationCase]
) -> None:
    """Audited writes (event, hash-chain link, chain head) against the same writes
    with the audit switched off."""
    from saihan.casework import transition_referral
    from saihan.storage.referral_records import CASES

    workflow = []
    for n, referral in enumerate(referrals):
        began = time.perf_counter()
        transition_referral(
            store, referral.id, S.CANCELLED, actor="w", at=AT + dt.timedelta(seconds=n), reason="x"
        )
        workflow.append(time.perf_counter() - began)
    # saihan's own kinds are sealed: the unaudited twin is the same record type under a
    # kind of its own (same index entries and checks, no audit event or chain link).
    unaudited = store.repository(attrs.evolve(CASES, kind="bench_case", audit=None))
    timings: dict[str, list[float]] = {"audited": [], "unaudited": []}
    for n, referral in enumerate(referrals):
        case = by_case[referral.case_id]
        for label, repository in (("audited", store.cases), ("unaudited", unaudited)):
            changed = attrs.evolve(case, worker=f"{label}-{n}")
            began = time.perf_counter()
            with store.acting_as("w", at=AT):
                repository.put(changed, expected_version=saihan.storage.ANY_VERSION)
            timings[label].append(time.perf_counter() - began)
    audited = statistics.median(timings["audited"])
    bare = statistics.median(timings["unaudited"])
    print(
        f"transition_referral on sqlite (read, check consent, write, audit): "
        f"p50 {statistics.median(workflow) * 1e3:.2f} ms"
    )
    print(
        f"case put on sqlite: audited p50 {audited * 1e3:.2f} ms, the same put unaudited "
        f"{bare * 1e3:.2f} ms: the audit trail costs {audited / bare:.2f}x"
    )


if __name__ == "__main__":
    main()

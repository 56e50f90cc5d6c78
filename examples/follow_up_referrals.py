"""Refer the example cases, work some of the referrals, and list who must follow up what.

Usage: python examples/follow_up_referrals.py [AT]

AT is the moment to ask about, an ISO 8601 date-time with its UTC offset
(default 2024-12-20T09:00+09:00). In an in-memory store holding the bundled
sample directory, each example case is opened for one of two workers and
matched with Tokyo's default rules; the first service proposed for each need
is referred: requested at once when the person's consent covers it, else kept
as a draft. Every second case's requests are then accepted a day later. Finally
the referrals due for follow-up at AT are printed per worker, most overdue first.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import attrs

from saihan import SaihanError, storage
from saihan.access import Principal
from saihan.casework import (
    due_followups,
    workflow,
)
from saihan.directory import sample_directory
from saihan.referral import (
    RecommendationStatus,
    ReferralStatus,
    load_cases,
    match,
)

CASES = Path(__file__).resolve().parent / "cases"
WORKERS = ("worker-7", "worker-12")
DEFAULT_AT = "2024-12-20T09:00+09:00"


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        at = dt.datetime.fromisoformat(argv[0] if argv else DEFAULT_AT)
        if at.utcoffset() is None:
            raise ValueError(f"{argv[0]!r} has no UTC offset (e.g. +09:00)")
        directory = sample_directory()
        with storage.open("memory://", principal=Principal.system()) as store:
            store.import_directory(directory)
            for number, case in enumerate(load_cases(sorted(CASES.glob("*.json")))):
                worker = WORKERS[number % len(WORKERS)]
                case = attrs.evolve(case, worker=worker)
                opened = case.received_at
                workflow.open_case(store, case, actor=worker, at=opened)
                plan = match(case, directory, at=opened)
                referred: set[str] = set()
                for need in plan.needs:
                    if not need.recommendations:
                        continue
                    best = need.recommendations[0]
                    if best.service_id in referred:
                        continue
                    referred.add(best.service_id)
                    referral = workflow.create_referral(
                        store,
                        case.id,
                        best.service_id,
                        actor=worker,
                        at=opened + dt.timedelta(minutes=30),
                        request=best.status is RecommendationStatus.READY,
                        need=need.need,
                    )
                    if number % 2 == 0 and referral.status is ReferralStatus.REQUESTED:
                        workflow.transition_referral(
                            store,
                            referral.id,
                            ReferralStatus.ACCEPTED,
                            actor=worker,
                            at=opened + dt.timedelta(days=1),
                        )
            due = due_followups(store, at)
    except (SaihanError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"follow-ups due at {at.isoformat()}: {len(due)}")
    for worker in WORKERS:
        mine = [item for item in due if item.worker == worker]
        print(f"{worker}: {len(mine)}")
        for item in mine:
            late = f"{item.overdue_days} business days overdue" if item.overdue else "due today"
            print(f"  {item.referral_id} [{item.status}] due {item.due_on}, {late}")
            print(f"    {item.description.en}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Refer a consultation case, as a desk's own software would.

Usage: python examples/refer_a_case.py CASE.json [YYYY-MM-DDTHH:MM]

Loads the case, matches it against the bundled sample directory with Tokyo's
default rules (at the given Tokyo time, or when the case was received), and
prints one line per need: the first service to contact, whether the person's
consent covers it, and when it can next be reached. Then the needs nothing
meets, and how many near misses were left out and why.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from zoneinfo import ZoneInfo

from saihan import SaihanError
from saihan.directory import sample_directory
from saihan.referral import RecommendationStatus, load_case, match


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        case = load_case(argv[0])
        at = None
        if len(argv) == 2:
            at = dt.datetime.fromisoformat(argv[1]).replace(tzinfo=ZoneInfo("Asia/Tokyo"))
        plan = match(case, sample_directory(), at=at)
    except (SaihanError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for need in plan.needs:
        if not need.recommendations:
            print(f"{need.need}: nothing fits")
            continue
        best = need.recommendations[0]
        consent = "consent given" if best.status is RecommendationStatus.READY else "ask consent"
        when = "now" if best.open_now else (best.next_open or "hours unknown")
        print(f"{need.need}: {best.agency_name.ja} / {best.name.ja} ({consent}; reachable {when})")
    print("unmet:", ", ".join(plan.unmet_needs) or "none")
    # Near misses come summarised: per need, how many failed for the same reasons.
    reasons: Counter[str] = Counter()
    for group in plan.near_misses:
        for reason in group.reasons:
            reasons[reason.code] += group.count
    total = sum(group.count for group in plan.near_misses)
    print("near misses:", total, dict(sorted(reasons.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

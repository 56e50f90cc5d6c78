"""When can a person reach a service? Business calendars of the sample directory.

Run:  python examples/when_is_it_open.py [SERVICE_ID] [ISO-DATETIME]
e.g.  python examples/when_is_it_open.py tokyo-crime-worry-desk 2024-12-28T17:00
"""

from __future__ import annotations

import datetime as dt
import sys

from saihan import SaihanError
from saihan.directory import sample_directory
from saihan.schedule.japan import format_japanese_date


def main(argv: list[str]) -> int:
    service_id = argv[0] if argv else "tokyo-crime-worry-desk"
    try:
        service = sample_directory().service(service_id)
        hours = service.hours
        if hours is None:
            print(f"{service.name.ja}: no opening hours are known", file=sys.stderr)
            return 1
        at = dt.datetime.fromisoformat(argv[1]) if len(argv) > 1 else dt.datetime.now(hours.zone)
        at = at.replace(tzinfo=hours.zone) if at.tzinfo is None else at
        status = hours.status(at)
        print(f"{service.name.ja} / {service.name.en}")
        print(f"  {at:%Y-%m-%d %H:%M}: {status.message.ja} / {status.message.en}")
        upcoming = hours.next_open(at)
        if upcoming is not None:
            print(f"  next open: {format_japanese_date(upcoming.date())} {upcoming:%H:%M}")
            follow_up = hours.add_business_days(upcoming.date(), 5)
            print(f"  five business days later (a follow-up deadline): {follow_up}")
    except (SaihanError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

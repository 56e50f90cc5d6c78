"""The bundled table of Japan's national holidays (``data/japanese_holidays.csv``).

The days and names come from the ``holidays`` package (its Japan module, see
:func:`saihan.schedule.holiday_calendar._japan_class`), written out once for every
supported year, so that a start of saihan reads a small table instead of importing the
package (a sixth of a cold ``saihan match``).  A test checks that the committed table
is what the installed package gives; after upgrading ``holidays``, regenerate it::

    python -m saihan.schedule._holiday_table          # rewrite the table
    python -m saihan.schedule._holiday_table --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import io
from importlib import resources
from pathlib import Path

NAME = "japanese_holidays.csv"
HEADER = ("date", "ja", "en")


def path() -> Path:
    """Where the table is in the source tree (for regenerating it)."""
    return Path(__file__).resolve().with_name("data") / NAME


def generated_text(first_year: int, last_year: int) -> str:
    """The table as the installed ``holidays`` package computes it."""
    from saihan.schedule.holiday_calendar import _japan_class

    japan = _japan_class()
    years = range(first_year, last_year + 1)
    japanese = japan(years=years, language="ja")
    english = japan(years=years, language="en_US")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for day, name in sorted(japanese.items()):
        writer.writerow((day.isoformat(), name, english.get(day) or name))
    return out.getvalue()


@functools.cache
def _rows_by_year() -> dict[int, list[list[str]]]:
    text = resources.files("saihan.schedule").joinpath(f"data/{NAME}").read_text("utf-8")
    rows = csv.reader(io.StringIO(text, newline=""))
    if tuple(next(rows)) != HEADER:  # pragma: no cover - a damaged installation
        raise ValueError(f"{NAME} does not start with the header {','.join(HEADER)}")
    by_year: dict[int, list[list[str]]] = {}
    for row in rows:
        by_year.setdefault(int(row[0][:4]), []).append(row)
    return by_year


def year(number: int) -> list[tuple[dt.date, str, str]] | None:
    """The holidays of ``number`` in date order as (day, Japanese name, English name),
    or None when the table does not have the year."""
    rows = _rows_by_year().get(number)
    if rows is None:
        return None
    return [(dt.date.fromisoformat(day), ja, en) for day, ja, en in rows]


def main(argv: list[str] | None = None) -> int:
    from saihan.schedule.holiday_calendar import FIRST_YEAR, LAST_YEAR

    parser = argparse.ArgumentParser(description="Regenerate the bundled holiday table.")
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args(argv)
    text = generated_text(FIRST_YEAR, LAST_YEAR)
    target = path()
    if args.check:
        current = target.read_text(encoding="utf-8") == text
        print(f"{target}: {'up to date' if current else 'out of date'}")
        return 0 if current else 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

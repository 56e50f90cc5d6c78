"""Hostile iCalendar: corrupted files raise only saihan errors, in bounded time.

The valid files are our own exports of sample calendars (saihan's format, with its
X-SAIHAN-* properties) and the same files without X-SAIHAN-VERSION (read as another
program's file: RRULEs, EXDATEs, single events).  Then the reproducers of the fuzz run
that found escapes, and each limit of docs/schedule.md.
"""

from __future__ import annotations

import datetime as dt
import time

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan import plugins
from saihan.errors import ValidationError
from saihan.limits import DEFAULT_LIMITS
from saihan.schedule import BusinessCalendar, Closure, SpecialOpening, Weekday, WeeklyHours
from saihan.schedule.ical import from_ical, to_ical
from saihan.testing.corruption import corrupted_bytes, corrupted_text, survives

_START, _END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def _rich_calendar() -> BusinessCalendar:
    from saihan.text import LocalizedText

    return BusinessCalendar(
        weekly=[
            WeeklyHours(
                days=frozenset({Weekday.MO, Weekday.WE}), opens=dt.time(9), closes=dt.time(17)
            ),
            WeeklyHours(
                days=frozenset({Weekday.SA}),
                opens=dt.time(10),
                closes=dt.time(12),
                weeks=frozenset({2}),
            ),
        ],
        closures=[Closure(start=dt.date(2025, 8, 13), end=dt.date(2025, 8, 15))],
        special_openings=[
            SpecialOpening(date=dt.date(2025, 3, 9), opens=dt.time(13), closes=dt.time(15))
        ],
        note=LocalizedText(ja="予約制", en="by appointment"),
    )


def _valid_files() -> list[bytes]:
    from saihan.directory import sample_directory

    sample = next(s.hours for s in sample_directory().services if s.hours is not None)
    ours = [to_ical(calendar, start=_START, end=_END) for calendar in (sample, _rich_calendar())]
    # Without X-SAIHAN-VERSION the same file is read as another program's.
    theirs = [
        b"\r\n".join(
            line for line in data.split(b"\r\n") if not line.startswith(b"X-SAIHAN-VERSION")
        )
        for data in ours
    ]
    return ours + theirs


VALID = _valid_files()
_importer = plugins.importer("ical")


def test_the_valid_files_load() -> None:
    for data in VALID:
        assert isinstance(from_ical(data), BusinessCalendar)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID).flatmap(corrupted_bytes))
def test_corrupted_ical_raises_only_saihan_errors(data: bytes) -> None:
    survives(_importer.load, data, seconds=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID).map(lambda data: data.decode("utf-8")).flatmap(corrupted_text))
def test_corrupted_ical_text_raises_only_saihan_errors(text: str) -> None:
    survives(from_ical, text, seconds=10)


# -- reproducers ------------------------------------------------------------------------


def _event(*lines: str) -> bytes:
    body = "".join(line + "\r\n" for line in lines)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-TIMEZONE:Asia/Tokyo\r\n"
        f"BEGIN:VEVENT\r\nUID:x\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


_WEEKLY = ("DTSTART:20250106T090000", "DTEND:20250106T170000", "RRULE:FREQ=WEEKLY;BYDAY=MO")


def _paths(data: bytes | str, **options: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        _importer.load(data, **options)  # type: ignore[arg-type]
    return [item.path for item in caught.value.errors]


def test_a_duplicate_dtstart_is_refused_by_name() -> None:
    data = _event("DTSTART:20250106T090000", *_WEEKLY)
    with pytest.raises(ValidationError) as caught:
        from_ical(data)
    assert [item.path for item in caught.value.errors] == ["VEVENT[0].DTSTART"]
    assert "given 2 times" in caught.value.errors[0].message


def test_an_empty_dtstart_next_to_a_good_one_is_refused() -> None:
    assert _paths(_event("DTSTART:", *_WEEKLY)) == ["VEVENT[0].DTSTART"]


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("DTSTART:", "VEVENT[0].DTSTART"),
        ("DTEND:", "VEVENT[0].DTEND"),
        ("RRULE:", "VEVENT[0].RRULE"),
        ("EXDATE:", "VEVENT[0].EXDATE"),
        ("DURATION:", "VEVENT[0].DURATION"),
    ],
)
def test_empty_property_values_are_refused_by_name(line: str, path: str) -> None:
    kept = [item for item in _WEEKLY if item.split(":")[0] != line.rstrip(":")]
    if line == "DURATION:":
        kept = [item for item in kept if not item.startswith("DTEND")]
    assert _paths(_event(*kept, line)) == [path]


def test_empty_calendar_properties_of_our_format_are_refused() -> None:
    data = to_ical(_rich_calendar(), start=_START, end=_END).replace(
        b"X-SAIHAN-VERSION:1", b"X-SAIHAN-VERSION:1\r\nX-SAIHAN-VALID-FROM:"
    )
    assert _paths(data) == ["X-SAIHAN-VALID-FROM"]


def test_a_property_given_twice_at_the_top_is_refused() -> None:
    data = _event(*_WEEKLY).replace(
        b"X-WR-TIMEZONE:Asia/Tokyo", b"X-WR-TIMEZONE:Asia/Tokyo\r\nX-WR-TIMEZONE:UTC"
    )
    assert _paths(data) == ["X-WR-TIMEZONE"]


def test_a_broken_byday_is_refused_under_rrule() -> None:
    assert _paths(_event(*_WEEKLY[:2], "RRULE:FREQ=WEEKLY;BYDAY=XMO")) == ["VEVENT[0].RRULE"]


def test_a_lone_surrogate_in_text_is_refused() -> None:
    text = _event(*_WEEKLY).decode().replace("UID:x", "UID:\ud800")
    with pytest.raises(ValidationError, match="lone surrogate"):
        from_ical(text)


# -- recurrence: nothing is expanded, and what would be is refused ----------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SECONDLY;COUNT=99999999", "FREQ=SECONDLY"),
        ("FREQ=WEEKLY;COUNT=99999999;BYDAY=MO", "COUNT"),
        ("FREQ=WEEKLY;INTERVAL=99999999999;BYDAY=MO", "INTERVAL"),
        ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=1,2,3", "BYHOUR"),
    ],
)
def test_unbounded_recurrences_are_refused_fast(rule: str, message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ValidationError, match=message) as caught:
        from_ical(_event(*_WEEKLY[:2], f"RRULE:{rule}"))
    assert time.perf_counter() - start < 1
    assert [item.path for item in caught.value.errors] == ["VEVENT[0].RRULE"]


def test_a_far_until_is_a_rule_not_an_expansion() -> None:
    start = time.perf_counter()
    calendar = from_ical(_event(*_WEEKLY[:2], "RRULE:FREQ=DAILY;UNTIL=99991231T000000Z"))
    assert calendar.weekly[0].valid_until is not None
    assert calendar.is_open(dt.datetime(2025, 1, 7, 10, tzinfo=calendar.zone))
    assert time.perf_counter() - start < 2


# -- limits -----------------------------------------------------------------------------


def test_too_many_content_lines_are_refused_before_parsing() -> None:
    limit = DEFAULT_LIMITS.max_calendar_entries
    events = "".join(
        "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250106T090000\r\nDTEND:20250106T100000\r\n"
        "END:VEVENT\r\n"
        for _ in range(limit // 5 + 1)
    )
    data = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n".encode()
    start = time.perf_counter()
    with pytest.raises(ValidationError, match="max_calendar_entries"):
        from_ical(data)
    assert time.perf_counter() - start < 0.5


def test_too_many_exdate_dates_are_refused() -> None:
    dates = ",".join(f"2025{month:02d}{day:02d}T090000" for month in range(1, 13) for day in (6,))
    small = attrs.evolve(DEFAULT_LIMITS, max_calendar_entries=30)
    data = _event(*_WEEKLY, f"EXDATE:{dates}", f"EXDATE:{dates}", f"EXDATE:{dates}")
    assert len(from_ical(data).closures) == 36
    assert _paths(data, limits=small) == ["VEVENT[0].EXDATE"]


def test_a_line_longer_than_the_string_limit_is_refused() -> None:
    data = _event(*_WEEKLY, "DESCRIPTION:" + "x" * (DEFAULT_LIMITS.max_string_length + 1))
    assert _paths(data) == ["line 10"]
    folded = _event(*_WEEKLY, "DESCRIPTION:" + "x" * 70 + "\r\n " + "y" * 70)
    assert _paths(folded, limits=attrs.evolve(DEFAULT_LIMITS, max_string_length=100)) == ["line 11"]


def test_the_document_size_limit_applies() -> None:
    data = _event(*_WEEKLY)
    small = attrs.evolve(DEFAULT_LIMITS, max_document_bytes=len(data) - 1)
    with pytest.raises(ValidationError, match="limit"):
        _importer.load(data, limits=small)
    assert isinstance(_importer.load(data), BusinessCalendar)


def test_limits_must_be_limits() -> None:
    with pytest.raises(ValidationError, match="limits"):
        _importer.load(_event(*_WEEKLY), limits=5)

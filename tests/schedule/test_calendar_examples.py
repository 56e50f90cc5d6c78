"""Example tests for each documented behaviour of BusinessCalendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from saihan.errors import NotFoundError, ValidationError
from saihan.schedule import (
    AnnualClosure,
    BusinessCalendar,
    Closure,
    Holiday,
    SpecialOpening,
    UnsupportedDateError,
    Weekday,
    WeeklyHours,
)
from saihan.serialization import from_json, to_json
from saihan.text import LocalizedText

TOKYO = ZoneInfo("Asia/Tokyo")


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone: ZoneInfo = TOKYO
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


def test_lunch_break() -> None:
    office = BusinessCalendar(
        weekly=[
            WeeklyHours.of("MO-FR", "09:00", "12:00"),
            WeeklyHours.of("MO-FR", "13:00", "17:00"),
        ]
    )
    assert office.is_open(at(2024, 6, 3, 11, 59))
    assert not office.is_open(at(2024, 6, 3, 12, 30))
    assert office.next_open(at(2024, 6, 3, 12, 30)) == at(2024, 6, 3, 13, 0)
    assert office.next_close(at(2024, 6, 3, 9, 0)) == at(2024, 6, 3, 12, 0)


def test_night_line_crosses_midnight_and_belongs_to_its_start_day() -> None:
    line = BusinessCalendar(weekly=[WeeklyHours.of("FR", "22:00", "06:00")])
    assert line.is_open(at(2024, 6, 7, 23, 0))  # Friday night
    assert line.is_open(at(2024, 6, 8, 5, 59))  # Saturday early morning
    assert not line.is_open(at(2024, 6, 8, 6, 0))
    assert line.is_business_day(dt.date(2024, 6, 7))
    assert not line.is_business_day(dt.date(2024, 6, 8))
    # 2024-05-03 (Fri) is a holiday: that night's line does not start.
    assert not line.is_open(at(2024, 5, 3, 23, 0))


def test_twenty_four_hours_every_day() -> None:
    always = BusinessCalendar(
        weekly=[WeeklyHours.of("MO-SU", "00:00", "00:00")],
        closed_on_national_holidays=False,
        annual_closures=(),
    )
    assert always.is_open(at(2025, 1, 1, 3, 0))
    # The openings of consecutive days join: it never closes.
    assert always.next_close(at(2024, 12, 30, 12, 0)) is None
    assert always.next_open(at(2024, 12, 30, 12, 0)) == at(2024, 12, 30, 12, 0)
    assert always.add_business_hours(at(2024, 12, 30, 12, 0), 24 * 400) == at(2026, 2, 3, 12, 0)
    assert always.openings(at(2024, 12, 30, 0, 0), at(2025, 1, 2, 0, 0)) == [
        (at(2024, 12, 30, 0, 0), at(2025, 1, 2, 0, 0))
    ]


def test_second_and_fourth_saturday_and_last_friday() -> None:
    calendar = BusinessCalendar(
        weekly=[
            WeeklyHours.of("SA", "10:00", "17:00", weeks=(2, 4)),
            WeeklyHours.of("FR", "18:00", "20:00", weeks=(-1,)),
        ]
    )
    saturdays = [day for day in range(1, 31) if dt.date(2024, 6, day).weekday() == 5]
    assert saturdays == [1, 8, 15, 22, 29]
    assert [calendar.is_business_day(dt.date(2024, 6, day)) for day in saturdays] == [
        False,
        True,
        False,
        True,
        False,
    ]
    assert calendar.is_open(at(2024, 6, 28, 19, 0))  # the last Friday of June 2024
    assert not calendar.is_open(at(2024, 6, 21, 19, 0))


def test_hours_change_from_a_date() -> None:
    calendar = BusinessCalendar(
        weekly=[
            WeeklyHours.of("MO-FR", "09:00", "17:00", valid_until=dt.date(2024, 9, 30)),
            WeeklyHours.of("MO-FR", "10:00", "18:00", valid_from=dt.date(2024, 10, 1)),
        ]
    )
    assert calendar.is_open(at(2024, 9, 30, 9, 30))
    assert not calendar.is_open(at(2024, 10, 1, 9, 30))
    assert calendar.is_open(at(2024, 10, 1, 17, 30))


def test_closures_special_openings_and_own_holidays() -> None:
    calendar = BusinessCalendar(
        weekly=[WeeklyHours.of("MO-FR", "09:00", "17:00")],
        closures=[
            Closure(dt.date(2024, 6, 10), from_time=dt.time(12), until_time=dt.time(14)),
            Closure(
                dt.date(2024, 8, 13),
                end=dt.date(2024, 8, 15),
                reason=LocalizedText(ja="夏季休業", en="Summer break"),
            ),
        ],
        special_openings=[SpecialOpening(dt.date(2024, 5, 6), dt.time(10), dt.time(15))],
        own_holidays=[
            Holiday(dt.date(2024, 6, 3), LocalizedText(ja="創立記念日", en="Founding day"))
        ],
    )
    assert calendar.openings(at(2024, 6, 10, 0, 0), at(2024, 6, 11, 0, 0)) == [
        (at(2024, 6, 10, 9, 0), at(2024, 6, 10, 12, 0)),
        (at(2024, 6, 10, 14, 0), at(2024, 6, 10, 17, 0)),
    ]
    summer = calendar.status(at(2024, 8, 14, 10, 0))
    assert summer.reason == "closure"
    assert summer.message.ja == "臨時休業のため休み (夏季休業)"
    assert summer.change == at(2024, 8, 16, 9, 0)
    # 2024-05-06 is a substitute holiday, opened specially.
    assert calendar.is_open(at(2024, 5, 6, 10, 0))
    assert not calendar.is_open(at(2024, 5, 6, 9, 30))
    founding = calendar.status(at(2024, 6, 3, 10, 0))
    assert (founding.reason, founding.message.ja) == (
        "own_holiday",
        "本日は休業日 (創立記念日) のため休み",
    )


def test_closure_wins_over_a_special_opening() -> None:
    calendar = BusinessCalendar(
        special_openings=[SpecialOpening(dt.date(2024, 7, 1), dt.time(9), dt.time(17))],
        closures=[Closure(dt.date(2024, 7, 1))],
    )
    assert not calendar.is_open(at(2024, 7, 1, 10, 0))
    assert calendar.next_open(at(2024, 6, 1, 0, 0)) is None


def test_configurable_annual_closure() -> None:
    calendar = BusinessCalendar(
        weekly=[WeeklyHours.of("MO-SU", "09:00", "17:00")],
        annual_closures=[AnnualClosure("08-13", "08-16", LocalizedText(ja="お盆休み", en="Obon"))],
        closed_on_national_holidays=False,
    )
    assert calendar.is_open(at(2024, 12, 31, 10, 0))
    assert not calendar.is_open(at(2024, 8, 14, 10, 0))
    assert calendar.status(at(2024, 8, 14, 10, 0)).message.ja == "本日はお盆休みのため休み"


def test_never_loops_forever() -> None:
    nothing = BusinessCalendar()
    assert nothing.next_open(at(2024, 1, 1, 0, 0)) is None
    closed_always = BusinessCalendar(
        weekly=[WeeklyHours.of("MO", "09:00", "17:00")],
        annual_closures=[
            AnnualClosure("01-01", "12-31", LocalizedText(ja="休止中", en="Suspended"))
        ],
    )
    assert closed_always.next_open(at(2024, 1, 1, 0, 0)) is None
    with pytest.raises(NotFoundError):
        closed_always.add_business_days(dt.date(2024, 1, 1), 1)
    with pytest.raises(NotFoundError):
        closed_always.add_business_hours(at(2024, 1, 1, 0, 0), 1)


def test_naive_datetimes_are_refused() -> None:
    calendar = BusinessCalendar(weekly=[WeeklyHours.of("MO", "09:00", "17:00")])
    for call in (calendar.is_open, calendar.next_open, calendar.next_close, calendar.status):
        with pytest.raises(ValidationError, match="no time zone") as caught:
            call(dt.datetime(2024, 6, 3, 10, 0))
        assert caught.value.paths == ["t"]
    with pytest.raises(ValidationError) as caught:
        calendar.openings(at(2024, 6, 3, 0, 0), dt.datetime(2024, 6, 4))
    assert caught.value.paths == ["end"]
    with pytest.raises(ValidationError):
        calendar.is_business_day(dt.datetime(2024, 6, 3, 10, 0))
    with pytest.raises(ValidationError):
        calendar.add_business_days(dt.date(2024, 6, 3), 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        calendar.add_business_hours(at(2024, 6, 3, 0, 0), -1)


def test_other_time_zones_answer_in_their_own_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    calendar = BusinessCalendar(
        weekly=[WeeklyHours.of("MO-FR", "09:00", "17:00")],
        timezone="America/New_York",
        closed_on_national_holidays=False,
    )
    # 09:00 in Tokyo on Tuesday is 20:00 Monday in New York (EDT): closed.
    assert not calendar.is_open(at(2024, 6, 4, 9, 0))
    assert calendar.is_open(at(2024, 6, 4, 23, 0))  # 10:00 in New York
    assert calendar.next_open(at(2024, 6, 4, 9, 0)) == at(2024, 6, 4, 9, 0, zone=new_york)


def test_holiday_knowledge_has_limits() -> None:
    calendar = BusinessCalendar(weekly=[WeeklyHours.of("MO", "09:00", "17:00")])
    with pytest.raises(UnsupportedDateError, match="1955-2099"):
        calendar.is_open(at(2100, 1, 4, 10, 0))
    with pytest.raises(UnsupportedDateError):
        calendar.is_business_day(dt.date(1950, 1, 2))
    ignoring = BusinessCalendar(
        weekly=[WeeklyHours.of("MO", "09:00", "17:00")], closed_on_national_holidays=False
    )
    assert ignoring.is_open(at(2100, 1, 4, 10, 0))


@pytest.mark.parametrize(
    ("build", "paths"),
    [
        (lambda: BusinessCalendar(timezone="Tokyo/Nowhere"), ["timezone"]),
        (
            lambda: BusinessCalendar(
                valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2024, 1, 1)
            ),
            ["valid_until"],
        ),
        (
            lambda: BusinessCalendar(
                valid_from=dt.date(2024, 4, 1),
                special_openings=[SpecialOpening(dt.date(2024, 3, 1), dt.time(9), dt.time(10))],
            ),
            ["special_openings[0].date"],
        ),
        (
            lambda: BusinessCalendar(
                own_holidays=[
                    Holiday(dt.date(2024, 6, 3), LocalizedText(ja="a")),
                    Holiday(dt.date(2024, 6, 3), LocalizedText(ja="b")),
                ]
            ),
            ["own_holidays[1].date"],
        ),
        (lambda: WeeklyHours.of("XX", "9", "25:00"), ["days", "opens", "closes"]),
        (
            lambda: WeeklyHours(
                days=frozenset({Weekday.MO}),
                opens=dt.time(9),
                closes=dt.time(17),
                weeks=frozenset({6}),
            ),
            ["weeks[0]"],
        ),
        (lambda: AnnualClosure("02-30", "13-01", LocalizedText(ja="x")), ["start", "end"]),
        (lambda: Closure(dt.date(2024, 6, 2), end=dt.date(2024, 6, 1)), ["end"]),
        (
            lambda: Closure(dt.date(2024, 6, 2), from_time=dt.time(14), until_time=dt.time(9)),
            ["until_time"],
        ),
    ],
)
def test_bad_calendars_name_the_field(build, paths: list[str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.paths == paths


def test_midnight_is_written_00_00() -> None:
    with pytest.raises(ValidationError, match="write midnight as 00:00"):
        WeeklyHours.of("MO", "18:00", "24:00")
    line = WeeklyHours.of("MO", "18:00", "00:00")
    calendar = BusinessCalendar(weekly=[line], closed_on_national_holidays=False)
    assert calendar.is_open(at(2024, 6, 3, 23, 59))
    assert not calendar.is_open(at(2024, 6, 4, 0, 0))


def test_weekday_text() -> None:
    assert Weekday.parse_days("MO-FR") == frozenset(list(Weekday)[:5])
    assert Weekday.parse_days("sa, su") == {Weekday.SA, Weekday.SU}
    assert Weekday.parse_days("FR-MO") == {Weekday.FR, Weekday.SA, Weekday.SU, Weekday.MO}


def test_json_is_readable_and_round_trips() -> None:
    calendar = BusinessCalendar(
        weekly=[WeeklyHours.of("TU,TH,SA", "09:00", "17:00")],
        valid_from=dt.date(2024, 4, 1),
        valid_until=dt.date(2025, 3, 22),
    )
    text = to_json(calendar)
    assert '"days": [\n        "TU",\n        "TH",\n        "SA"\n      ]' in text
    assert '"opens": "09:00"' in text
    assert from_json(text, BusinessCalendar) == calendar
    with pytest.raises(ValidationError) as caught:
        from_json(
            '{"weekly": [{"days": ["XX"], "opens": "9am", "closes": "17:00"}]}', BusinessCalendar
        )
    assert caught.value.paths == ["weekly[0].days[0]", "weekly[0].opens"]

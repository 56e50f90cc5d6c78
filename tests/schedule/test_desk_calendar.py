"""The Tokyo desk 「犯罪お悩みなんでも相談」: its published FY2024 terms, pinned."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from saihan.schedule import BusinessCalendar, WeeklyHours

TOKYO = ZoneInfo("Asia/Tokyo")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture(scope="module")
def desk() -> BusinessCalendar:
    return BusinessCalendar(
        weekly=[WeeklyHours.of("TU,TH,SA", "09:00", "17:00")],
        valid_from=dt.date(2024, 4, 1),
        valid_until=dt.date(2025, 3, 22),
    )


def test_open_on_a_tuesday_morning(desk: BusinessCalendar) -> None:
    assert desk.is_open(at(2024, 4, 2, 10, 0))


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (at(2024, 5, 4, 10, 0), "本日は祝日 (みどりの日) のため休み"),
        (at(2024, 12, 31, 10, 0), "本日は年末年始のため休み"),
        (at(2025, 1, 2, 10, 0), "本日は年末年始のため休み"),
        (at(2025, 3, 20, 10, 0), "本日は祝日 (春分の日) のため休み"),
    ],
)
def test_closed_on_holidays_and_over_the_year_end(
    desk: BusinessCalendar, moment: dt.datetime, reason: str
) -> None:
    assert not desk.is_open(moment)
    assert desk.status(moment).message.ja == reason


def test_open_on_saturday_28_december(desk: BusinessCalendar) -> None:
    assert desk.is_open(at(2024, 12, 28, 10, 0))
    assert desk.is_business_day(dt.date(2024, 12, 28))


def test_next_open_after_the_year_end_break(desk: BusinessCalendar) -> None:
    assert desk.next_open(at(2024, 12, 28, 17, 0)) == at(2025, 1, 4, 9, 0)


def test_nothing_opens_after_the_reception_period(desk: BusinessCalendar) -> None:
    assert desk.next_open(at(2025, 3, 22, 17, 0)) is None
    assert desk.next_close(at(2025, 3, 22, 17, 0)) is None
    assert not desk.is_open(at(2025, 3, 25, 10, 0))
    assert desk.status(at(2025, 3, 25, 10, 0)).message.ja == "受付期間外です"


def test_the_last_day_is_open_until_five(desk: BusinessCalendar) -> None:
    assert desk.is_open(at(2025, 3, 22, 16, 59))
    assert desk.next_close(at(2025, 3, 22, 10, 0)) == at(2025, 3, 22, 17, 0)


def test_status_messages(desk: BusinessCalendar) -> None:
    open_now = desk.status(at(2024, 4, 2, 10, 0))
    assert open_now.open
    assert open_now.message.ja == "受付中 (17:00まで)"
    assert open_now.change == at(2024, 4, 2, 17, 0)
    wednesday = desk.status(at(2024, 4, 3, 10, 0))
    assert not wednesday.open
    assert wednesday.message.ja == "受付時間外です (次は4月4日(木) 09:00から)"
    assert wednesday.message.en == "closed now; opens Thu 04 Apr 2024 09:00"


def test_business_days(desk: BusinessCalendar) -> None:
    # Five business days after Tue 24 Dec 2024: 26, 28 Dec, then 4, 7, 9 Jan.
    assert desk.add_business_days(dt.date(2024, 12, 24), 5) == dt.date(2025, 1, 9)
    assert desk.add_business_days(dt.date(2025, 1, 9), -5) == dt.date(2024, 12, 24)
    # From a closed day, the first business day after it.
    assert desk.add_business_days(dt.date(2024, 12, 29), 1) == dt.date(2025, 1, 4)
    assert desk.add_business_days(dt.date(2024, 12, 29), -1) == dt.date(2024, 12, 28)
    assert desk.business_days_between(dt.date(2024, 12, 24), dt.date(2025, 1, 9)) == 5
    assert desk.business_days_between(dt.date(2025, 1, 9), dt.date(2024, 12, 24)) == -5
    with pytest.raises(Exception, match="fewer than 5 business days after 2025-03-20"):
        desk.add_business_days(dt.date(2025, 3, 20), 5)


def test_business_hours(desk: BusinessCalendar) -> None:
    # 16:00 Saturday 28 Dec + 2 business hours: one hour that day, one on 4 Jan.
    assert desk.add_business_hours(at(2024, 12, 28, 16, 0), 2) == at(2025, 1, 4, 10, 0)
    assert desk.add_business_hours(at(2024, 12, 28, 16, 0), dt.timedelta(minutes=30)) == at(
        2024, 12, 28, 16, 30
    )


def test_fy2024_has_147_opening_days(desk: BusinessCalendar) -> None:
    openings = desk.openings(at(2024, 4, 1, 0, 0), at(2025, 3, 23, 0, 0))
    assert len(openings) == 147
    assert all(opens.hour == 9 and closes.hour == 17 for opens, closes in openings)

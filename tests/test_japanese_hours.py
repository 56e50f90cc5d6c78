"""The Japanese opening-hours parser: a corpus of published phrasings, and the round trip."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from saihan.errors import ValidationError
from saihan.schedule import YEAR_END_CLOSURE, AnnualClosure, BusinessCalendar, Weekday, WeeklyHours
from saihan.schedule.japanese_hours import (
    parse_japanese_hours,
    render_japanese_hours,
    rule_order,
)
from saihan.text import LocalizedText


def w(days: str, opens: str, closes: str, *weeks: int) -> WeeklyHours:
    return WeeklyHours.of(days, opens, closes, weeks=weeks)


def cal(*rules: WeeklyHours, holidays: bool = False, year_end: bool = False,
        annual: tuple[AnnualClosure, ...] = ()) -> BusinessCalendar:  # fmt: skip
    closures = ((YEAR_END_CLOSURE,) if year_end else ()) + annual
    return BusinessCalendar(
        weekly=sorted(rules, key=rule_order),
        closed_on_national_holidays=holidays,
        annual_closures=closures,
    )


ALL = "MO-SU"
WEEKDAY = "MO-FR"

CORPUS: list[tuple[str, BusinessCalendar]] = [
    ("第2・第4土曜 10時から12時", cal(w("SA", "10:00", "12:00", 2, 4))),
    ("月～金 9時～17時", cal(w(WEEKDAY, "09:00", "17:00"))),
    ("月～金 ９時～１７時", cal(w(WEEKDAY, "09:00", "17:00"))),
    ("月〜金 9:00〜17:00", cal(w(WEEKDAY, "09:00", "17:00"))),
    ("月曜日～金曜日 8:30～17:15", cal(w(WEEKDAY, "08:30", "17:15"))),
    ("月曜日から金曜日 8時30分から17時15分まで", cal(w(WEEKDAY, "08:30", "17:15"))),
    ("平日 9時～17時", cal(w(WEEKDAY, "09:00", "17:00"))),
    ("平日 午前9時～午後5時", cal(w(WEEKDAY, "09:00", "17:00"))),
    ("午前8時30分～午後5時15分（土日祝日・年末年始を除く）",
     cal(w(WEEKDAY, "08:30", "17:15"), holidays=True, year_end=True)),
    ("９：００～１７：００（土・日・祝日、年末年始を除く）",
     cal(w(WEEKDAY, "09:00", "17:00"), holidays=True, year_end=True)),
    ("月～金 9時～17時（12時～13時を除く）",
     cal(w(WEEKDAY, "09:00", "12:00"), w(WEEKDAY, "13:00", "17:00"))),
    ("月～金 9:00～17:00（12:00～13:00は休憩）",
     cal(w(WEEKDAY, "09:00", "12:00"), w(WEEKDAY, "13:00", "17:00"))),
    ("月～金 9時～12時、13時～17時",
     cal(w(WEEKDAY, "09:00", "12:00"), w(WEEKDAY, "13:00", "17:00"))),
    ("24時間", cal(w(ALL, "00:00", "00:00"))),
    ("24時間365日", cal(w(ALL, "00:00", "00:00"))),
    ("２４時間３６５日対応", cal(w(ALL, "00:00", "00:00"))),
    ("年中無休 24時間受付", cal(w(ALL, "00:00", "00:00"))),
    ("毎日 24時間", cal(w(ALL, "00:00", "00:00"))),
    ("毎日 10時～22時", cal(w(ALL, "10:00", "22:00"))),
    ("毎日 9時～17時（水曜休み）", cal(w("MO,TU,TH,FR,SA,SU", "09:00", "17:00"))),
    ("毎日 9時～17時（第3水曜日休館）",
     cal(w("MO,TU,TH,FR,SA,SU", "09:00", "17:00"), w("WE", "09:00", "17:00", 1, 2, 4, 5))),
    ("9時～17時（月曜休館）",
     cal(w("TU-SU", "09:00", "17:00"))),
    ("火～日 9時～17時 休館日：月曜日、年末年始",
     cal(w("TU-SU", "09:00", "17:00"), year_end=True)),
    ("月・水・金 10:00-16:00", cal(w("MO,WE,FR", "10:00", "16:00"))),
    ("月、水、金 10時～16時", cal(w("MO,WE,FR", "10:00", "16:00"))),
    ("火・木・土 9時～17時", cal(w("TU,TH,SA", "09:00", "17:00"))),
    ("火曜日・木曜日・土曜日 9時～17時（祝日・年末年始を除く）",
     cal(w("TU,TH,SA", "09:00", "17:00"), holidays=True, year_end=True)),
    ("土日 10時～16時", cal(w("SA,SU", "10:00", "16:00"))),
    ("土・日曜日 10時～16時", cal(w("SA,SU", "10:00", "16:00"))),
    ("毎週水曜 13時～16時", cal(w("WE", "13:00", "16:00"))),
    ("毎週水曜日 午後1時～午後4時", cal(w("WE", "13:00", "16:00"))),
    ("毎月第3日曜日 13時～16時", cal(w("SU", "13:00", "16:00", 3))),
    ("第1・第3水曜日 18時～20時", cal(w("WE", "18:00", "20:00", 1, 3))),
    ("第1・3水曜日 18時～20時", cal(w("WE", "18:00", "20:00", 1, 3))),
    ("第２、第４土曜日 10時～12時", cal(w("SA", "10:00", "12:00", 2, 4))),
    ("最終土曜 10時～15時", cal(w("SA", "10:00", "15:00", -1))),
    ("毎月最終金曜日 18時～21時", cal(w("FR", "18:00", "21:00", -1))),
    ("月～金 9時～17時、第2・第4土曜 10時～12時",
     cal(w(WEEKDAY, "09:00", "17:00"), w("SA", "10:00", "12:00", 2, 4))),
    ("月～金 9時～17時、土 9時～12時（日祝休み）",
     cal(w(WEEKDAY, "09:00", "17:00"), w("SA", "09:00", "12:00"), holidays=True)),
    ("月～金 8時30分～17時15分。祝日・年末年始を除く",
     cal(w(WEEKDAY, "08:30", "17:15"), holidays=True, year_end=True)),
    ("月～金 9時～17時（祝日を除く）", cal(w(WEEKDAY, "09:00", "17:00"), holidays=True)),
    ("月～金 9時～17時 祝日休み", cal(w(WEEKDAY, "09:00", "17:00"), holidays=True)),
    ("月～金 9時～17時（祝日も受付）", cal(w(WEEKDAY, "09:00", "17:00"))),
    ("月～土 9時～18時（祝日も営業）", cal(w("MO-SA", "09:00", "18:00"))),
    ("月～金 9時～17時 要予約", cal(w(WEEKDAY, "09:00", "17:00"))),
    ("水曜 14時～16時（予約制）", cal(w("WE", "14:00", "16:00"))),
    ("月～金 17時～翌9時", cal(w(WEEKDAY, "17:00", "09:00"))),
    ("月～金 22時～6時", cal(w(WEEKDAY, "22:00", "06:00"))),
    ("月～金 17時～24時", cal(w(WEEKDAY, "17:00", "00:00"))),
    ("月～金 9時半～17時", cal(w(WEEKDAY, "09:30", "17:00"))),
    ("月～金 9時～正午", cal(w(WEEKDAY, "09:00", "12:00"))),
    ("月～金 正午～13時", cal(w(WEEKDAY, "12:00", "13:00"))),
    ("受付時間：月～金 9時～17時", cal(w(WEEKDAY, "09:00", "17:00"))),
    ("開館時間 9時～21時（月曜休館・年末年始を除く）",
     cal(w("TU-SU", "09:00", "21:00"), year_end=True)),
    ("相談時間 月曜日～金曜日 10:00～16:00（祝日・年末年始を除く）",
     cal(w(WEEKDAY, "10:00", "16:00"), holidays=True, year_end=True)),
    ("月～金 9時～17時（12月29日～1月3日を除く）",
     cal(w(WEEKDAY, "09:00", "17:00"), year_end=True)),
    ("月～金 9時～17時（8月13日～8月16日は休館）",
     cal(w(WEEKDAY, "09:00", "17:00"),
         annual=(AnnualClosure("08-13", "08-16", LocalizedText(ja="8月13日～8月16日")),))),
    ("金～月 10時～16時", cal(w("FR,SA,SU,MO", "10:00", "16:00"))),
    ("月・火 9時～12時、木・金 13時～17時",
     cal(w("MO,TU", "09:00", "12:00"), w("TH,FR", "13:00", "17:00"))),
    ("月～金 9時～17時、土日祝 10時～16時",
     cal(w(WEEKDAY, "09:00", "17:00"), w("SA,SU", "10:00", "16:00"))),
    ("火～土 10:00～18:00／日・祝 10:00～17:00",
     cal(w("TU-SA", "10:00", "18:00"), w("SU", "10:00", "17:00"))),
    ("月～金 9時～17時（土日祝日及び年末年始は休み）",
     cal(w(WEEKDAY, "09:00", "17:00"), holidays=True, year_end=True)),
    ("土曜日 9時～12時（第5土曜日を除く）", cal(w("SA", "09:00", "12:00", 1, 2, 3, 4))),
    ("月～金 ９時３０分～１６時３０分", cal(w(WEEKDAY, "09:30", "16:30"))),
    ("定休日：水曜日 10時～19時", cal(w("MO,TU,TH,FR,SA,SU", "10:00", "19:00"))),
]  # fmt: skip

UNREAD = {
    "月～金 9時～17時、土日祝 10時～16時": ["祝"],
    "火～土 10:00～18:00／日・祝 10:00～17:00": ["祝"],
}

RESERVED = {"月～金 9時～17時 要予約", "水曜 14時～16時（予約制）"}


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 60
    assert len({text for text, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("text", "expected"), CORPUS, ids=[text for text, _ in CORPUS])
def test_corpus(text: str, expected: BusinessCalendar) -> None:
    read = parse_japanese_hours(text)
    assert read.calendar == expected
    assert [fragment.text for fragment in read.unread] == UNREAD.get(text, [])
    assert read.reservation_required == (text in RESERVED)
    for fragment in read.unread:
        assert text[fragment.start : fragment.end] == fragment.text


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        ("月～金 9時～17時。電話相談あり", ["電話相談あり"]),
        ("月・水・金", ["月・水・金"]),
        ("9時～", ["9時", "～"]),
        ("月～金 9時～17時（最終水曜日は休み）", ["水曜日"]),
        ("月～金 9時～17時（18時～19時を除く）", ["18時～19時"]),
        ("月～金 25時～26時", ["月～金", "25時～26時"]),
        ("休館日：", ["休館日："]),
    ],
)
def test_what_is_not_read_is_reported_not_guessed(text: str, unread: list[str]) -> None:
    read = parse_japanese_hours(text)
    assert [fragment.text for fragment in read.unread] == unread
    assert not read.complete
    for fragment in read.unread:
        assert text[fragment.start : fragment.end] == fragment.text


def test_unread_hours_add_no_rule() -> None:
    read = parse_japanese_hours("月～金 9時～25時")
    assert read.calendar.weekly == ()


def test_render_in_the_standards_words() -> None:
    calendar = cal(
        w(WEEKDAY, "09:00", "12:00"),
        w(WEEKDAY, "13:00", "17:00"),
        w("SA", "10:00", "12:00", 2, 4),
        holidays=True,
        year_end=True,
    )
    text = render_japanese_hours(calendar, reservation_required=True)
    assert (
        text
        == "月～金 9時～12時、13時～17時、第2・第4 土 10時～12時（祝日・年末年始を除く）。要予約"
    )
    read = parse_japanese_hours(text)
    assert read.calendar == calendar
    assert read.reservation_required


def test_render_refuses_what_the_words_cannot_carry() -> None:
    dated = BusinessCalendar(weekly=[w(WEEKDAY, "09:00", "17:00")], valid_from=dt.date(2025, 4, 1))
    with pytest.raises(ValidationError, match="valid_from"):
        render_japanese_hours(dated)


def test_non_text_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_japanese_hours(42)  # type: ignore[arg-type]


_times = st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))
_rules = st.builds(
    WeeklyHours,
    days=st.frozensets(st.sampled_from(list(Weekday)), min_size=1),
    opens=_times,
    closes=_times,
    weeks=st.one_of(
        st.just(frozenset()),
        st.frozensets(st.sampled_from([-1, 1, 2, 3, 4, 5]), min_size=1),
    ),
)
_calendars = st.builds(
    BusinessCalendar,
    weekly=st.lists(_rules, max_size=4),
    closed_on_national_holidays=st.booleans(),
    annual_closures=st.sampled_from([(), (YEAR_END_CLOSURE,)]),
)


@given(_calendars, st.booleans())
def test_render_then_parse_gives_the_same_calendar(
    calendar: BusinessCalendar, reservation: bool
) -> None:
    text = render_japanese_hours(calendar, reservation_required=reservation)
    read = parse_japanese_hours(text)
    assert read.unread == ()
    assert read.reservation_required == reservation
    assert read.calendar == attrs.evolve(calendar, weekly=sorted(calendar.weekly, key=rule_order))

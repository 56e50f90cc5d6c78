import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saihan.errors import ValidationError
from saihan.schedule.japan import (
    ERAS,
    fiscal_year,
    fiscal_year_bounds,
    format_japanese_date,
    from_era,
    parse_japanese_date,
    to_era,
)

DATES = st.dates(min_value=dt.date(1873, 1, 1), max_value=dt.date(2200, 12, 31))


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (dt.date(2024, 4, 1), 2024),
        (dt.date(2025, 3, 31), 2024),
        (dt.date(2025, 3, 22), 2024),
        (dt.date(2025, 4, 1), 2025),
        (dt.date(2024, 1, 1), 2023),
    ],
)
def test_fiscal_year(day: dt.date, year: int) -> None:
    assert fiscal_year(day) == year


def test_fiscal_year_bounds_of_the_plan() -> None:
    # The second plan runs FY2024 (令和6年度) to FY2028 (令和10年度).
    assert fiscal_year_bounds(2024) == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))
    assert fiscal_year_bounds(2028)[1] == dt.date(2029, 3, 31)
    with pytest.raises(ValidationError):
        fiscal_year_bounds("2024")  # type: ignore[arg-type]


@given(DATES)
def test_fiscal_year_bounds_contain_the_day(day: dt.date) -> None:
    first, last = fiscal_year_bounds(fiscal_year(day))
    assert first <= day <= last


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("令和６年４月1日（月）", dt.date(2024, 4, 1)),
        ("令和7年3月22日(土)", dt.date(2025, 3, 22)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("昭和64年1月7日", dt.date(1989, 1, 7)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("R6.4.1", dt.date(2024, 4, 1)),
        ("H31/4/30", dt.date(2019, 4, 30)),
        ("㋿6年4月1日", dt.date(2024, 4, 1)),
        ("2024年4月1日", dt.date(2024, 4, 1)),
        ("２０２４／４／１", dt.date(2024, 4, 1)),
        ("2024-04-01", dt.date(2024, 4, 1)),
        ("令和6年4月1日 (月曜日)", dt.date(2024, 4, 1)),
    ],
)
def test_parse_japanese_date(text: str, day: dt.date) -> None:
    assert parse_japanese_date(text) == day


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("令和6年4月1日（火）", "月曜日, not 火曜日"),
        ("平成31年5月1日", "not in the Heisei era"),
        ("令和1年4月30日", "not in the Reiwa era"),
        ("明治3年1月1日", "Gregorian"),
        ("令和6年2月30日", "not a date"),
        ("来週の火曜日", "not a date like"),
        ("2024年13月1日", "not a date"),
    ],
)
def test_bad_japanese_dates(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        parse_japanese_date(text)


def test_era_form() -> None:
    assert str(to_era(dt.date(2024, 4, 1))) == "令和6年4月1日"
    assert to_era(dt.date(2019, 5, 1)).format() == "令和元年5月1日"
    assert to_era(dt.date(2019, 5, 1)).format(gannen=False) == "令和1年5月1日"
    assert to_era(dt.date(2019, 4, 30)).era.name == "平成"
    assert format_japanese_date(dt.date(2024, 4, 1)) == "令和6年4月1日（月）"
    assert format_japanese_date(dt.date(2024, 4, 1), era=False) == "2024年4月1日（月）"
    assert from_era("R", 6, 4, 1) == dt.date(2024, 4, 1)
    with pytest.raises(ValidationError, match="not an era"):
        from_era("天平", 1, 1, 1)
    with pytest.raises(ValidationError):
        to_era(dt.date(1872, 12, 31))
    assert [era.name for era in ERAS] == ["明治", "大正", "昭和", "平成", "令和"]


@given(DATES)
def test_era_round_trip(day: dt.date) -> None:
    era_date = to_era(day)
    assert era_date.to_date() == day
    assert parse_japanese_date(era_date.format()) == day
    assert parse_japanese_date(format_japanese_date(day)) == day
    full_width = format_japanese_date(day).translate(
        str.maketrans("0123456789()", "０１２３４５６７８９（）")
    )
    assert parse_japanese_date(full_width) == day

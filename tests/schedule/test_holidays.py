import datetime as dt
import subprocess
import sys

import pytest

from saihan.schedule import Holiday, UnsupportedDateError, japanese_holidays
from saihan.text import LocalizedText


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2024, 2, 12), "振替休日"),  # substitute holiday
        (dt.date(2015, 9, 22), "国民の休日"),  # citizens' holiday between two holidays
        (dt.date(2019, 4, 30), "国民の休日"),
        (dt.date(2019, 5, 1), "天皇の即位の日"),  # the 2019 enthronement
        (dt.date(2019, 10, 22), "即位礼正殿の儀が行われる日"),
        (dt.date(2020, 7, 23), "海の日"),  # 2020 Olympic moves
        (dt.date(2020, 7, 24), "スポーツの日"),
        (dt.date(2020, 8, 10), "山の日"),
        (dt.date(2021, 7, 22), "海の日"),  # 2021 Olympic moves
        (dt.date(2021, 8, 9), "振替休日"),
        (dt.date(2025, 3, 20), "春分の日"),
    ],
)
def test_special_holidays(day: dt.date, name: str) -> None:
    holidays = japanese_holidays()
    assert holidays.is_holiday(day)
    assert holidays.name(day) == name


def test_moved_days_are_not_holidays_any_more() -> None:
    holidays = japanese_holidays()
    assert not holidays.is_holiday(dt.date(2020, 7, 20))  # 海の日 moved to 23 July
    assert not holidays.is_holiday(dt.date(2021, 10, 11))  # スポーツの日 moved to 23 July
    assert holidays.name(dt.date(2024, 6, 3)) is None


def test_english_names_and_counts() -> None:
    holidays = japanese_holidays()
    assert holidays.name(dt.date(2025, 3, 20), "en") == "Vernal Equinox Day"
    assert len(holidays.in_year(2024)) == 21
    assert [h.date for h in holidays.between(dt.date(2024, 5, 1), dt.date(2024, 5, 6))] == [
        dt.date(2024, 5, 3),
        dt.date(2024, 5, 4),
        dt.date(2024, 5, 5),
        dt.date(2024, 5, 6),
    ]


def test_outside_the_supported_years_is_an_error_not_a_guess() -> None:
    holidays = japanese_holidays()
    for day in (dt.date(1954, 1, 1), dt.date(2100, 1, 1)):
        with pytest.raises(UnsupportedDateError, match="1955-2099"):
            holidays.is_holiday(day)
    assert holidays.supports(2099)
    assert not holidays.supports(2100)


def test_a_municipality_adds_its_own_days() -> None:
    own = Holiday(dt.date(2024, 6, 3), LocalizedText(ja="区民の日", en="Ward day"))
    extended = japanese_holidays().with_days([own], label="Ward calendar")
    assert extended.name(dt.date(2024, 6, 3)) == "区民の日"
    assert extended.name(dt.date(2024, 5, 3)) == "憲法記念日"
    assert not japanese_holidays().is_holiday(dt.date(2024, 6, 3))


def test_japan_loaded_alone_gives_what_the_holidays_package_gives() -> None:
    """saihan reads holidays' Japan module by itself (not the other countries); the days
    and both languages' names are the package's own, every supported year."""
    import holidays

    from saihan.schedule.holiday_calendar import FIRST_YEAR, LAST_YEAR, _japan_class

    japan = _japan_class()
    # Whether the fast path is in use depends on what this process imported before
    # (another test may have imported holidays.countries): ask a fresh interpreter.
    script = (
        "from saihan.schedule.holiday_calendar import _japan_class\n"
        "print(_japan_class().__module__)"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert fresh.stdout.strip() == "saihan._holidays_japan"
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    for language in ("ja", "en_US"):
        ours = japan(years=years, language=language)
        theirs = holidays.country_holidays("JP", years=years, language=language)
        assert dict(ours) == dict(theirs)


def test_national_holidays_do_not_import_every_country() -> None:
    import json
    import subprocess
    import sys

    script = (
        "import datetime, json, sys\n"
        "from saihan.schedule import japanese_holidays\n"
        "assert japanese_holidays().is_holiday(datetime.date(2026, 1, 1))\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    modules = set(json.loads(result.stdout))
    assert "holidays.countries" not in modules
    assert "holidays.countries.united_states" not in modules


def test_the_bundled_table_is_what_the_holidays_package_gives() -> None:
    """Japan's holidays are read from a table written from the holidays package; it must
    be what the installed package computes, every supported year, in both languages."""
    import holidays

    from saihan.schedule import _holiday_table
    from saihan.schedule.holiday_calendar import FIRST_YEAR, LAST_YEAR

    assert _holiday_table.main(["--check"]) == 0, "run: python -m saihan.schedule._holiday_table"
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    japanese = holidays.country_holidays("JP", years=years, language="ja")
    english = holidays.country_holidays("JP", years=years, language="en_US")
    for year in (FIRST_YEAR, 1989, 2019, 2020, 2021, 2026, LAST_YEAR):
        table = _holiday_table.year(year)
        assert table is not None
        expected = sorted((day, name) for day, name in japanese.items() if day.year == year)
        assert [(day, ja) for day, ja, _ in table] == expected
        assert all(english[day] == en for day, _, en in table)
        assert dict(japanese_holidays()._year(year)) == {
            day: LocalizedText(ja=ja, en=en) for day, ja, en in table
        }
    assert _holiday_table.year(LAST_YEAR + 1) is None


def test_national_holidays_are_read_without_importing_the_holidays_package() -> None:
    import json
    import subprocess
    import sys

    script = (
        "import datetime, json, sys\n"
        "from saihan.schedule import japanese_holidays\n"
        "assert japanese_holidays().is_holiday(datetime.date(2026, 1, 1))\n"
        "assert japanese_holidays().name(datetime.date(2026, 5, 3)) == '憲法記念日'\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert "holidays" not in json.loads(result.stdout)

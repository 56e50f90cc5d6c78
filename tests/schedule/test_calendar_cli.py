from __future__ import annotations

from pathlib import Path

import pytest

from saihan.cli import main
from saihan.schedule.ical import from_ical


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_next_open_from_the_year_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "calendar", "next-open", "tokyo-crime-worry-desk", "--at", "2024-12-28T17:00"
    )
    assert code == 0
    assert out.splitlines() == [
        "犯罪お悩みなんでも相談: 受付時間外です (次は1月4日(土) 09:00から)",
        "次の受付: 2025-01-04(土) 09:00-17:00",
    ]


def test_next_open_on_a_holiday_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "calendar",
        "next-open",
        "tokyo-crime-worry-desk",
        "--at",
        "2025-03-20T10:00+09:00",
        "--lang",
        "en",
    )
    assert code == 0
    assert "closed today: a national holiday (Vernal Equinox Day)" in out
    assert "next open: 2025-03-22(土) 09:00-17:00" in out


def test_next_open_after_the_reception_period(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "calendar", "next-open", "tokyo-crime-worry-desk", "--at", "2025-03-22T17:00"
    )
    assert code == 0
    assert "受付期間外" in out or "今後の受付はありません" in out
    assert out.rstrip().endswith("今後の受付はありません")


def test_month_grid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "show", "tokyo-crime-worry-desk", "--month", "2024-12")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2024年12月  犯罪お悩みなんでも相談"
    assert lines[1].split() == list("月火水木金土日")
    assert "28*" in out
    assert "31*" not in out
    assert "  12/28(土) 09:00-17:00" in lines
    assert "  12/31(火) 09:00-17:00" not in lines


def test_export_ical_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "desk.ics"
    code, _, err = run(
        capsys,
        "calendar",
        "export",
        "tokyo-crime-worry-desk",
        "--format",
        "ical",
        "-o",
        str(target),
    )
    assert code == 0
    assert "wrote" in err
    calendar = from_ical(target.read_bytes())
    assert calendar.valid_until is not None
    assert calendar.valid_until.isoformat() == "2025-03-22"


def test_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "calendar", "next-open", "no-such-service")
    assert code == 1
    assert "no service has id 'no-such-service'" in err
    code, _, err = run(
        capsys, "calendar", "next-open", "tokyo-crime-worry-desk", "--at", "tomorrow"
    )
    assert code == 1
    assert "ISO date-time" in err
    code, _, err = run(capsys, "calendar", "show", "tokyo-crime-worry-desk", "--month", "December")
    assert code == 1
    assert "month like 2024-12" in err
    code, _, err = run(capsys, "calendar", "export", "tokyo-crime-worry-desk", "--format", "json")
    assert code == 1
    assert "writes Directory, not BusinessCalendar" in err


def test_holidays_listing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "holidays", "2024")
    assert code == 0
    assert "2024-02-12 (月) 振替休日" in out.splitlines()

"""The runnable examples in examples/ work as their docstrings say."""

import subprocess
import sys
from pathlib import Path

from saihan.directory import load_directory

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_find_support_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "find_support.py"), "八王子市", "housing"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("八王子市 (Hachioji-shi, 132012)")
    assert "住居 / Housing:" in result.stdout
    assert "住居確保給付金の支給" in result.stdout


def test_find_support_example_reports_errors() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "find_support.py"), "toshima"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "ambiguous" in result.stderr


def test_municipal_extension_adds_needs_and_kinds() -> None:
    directory = load_directory(EXAMPLES / "municipal_extension.json")
    assert [s.id for s in directory.search(need="welfare")] == ["hachioji-food-parcels"]
    assert [s.id for s in directory.search(need="community")] == ["hachioji-food-parcels"]
    assert directory.taxonomy.priority_area("welfare.food") == 2
    assert directory.kinds["food_bank"].name.en == "Food bank"


def test_when_is_it_open_example_runs() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "when_is_it_open.py"),
            "tokyo-crime-worry-desk",
            "2024-12-28T17:00",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "犯罪お悩みなんでも相談 / 'Any Worries about Crime' consultation desk"
    assert "受付時間外です (次は1月4日(土) 09:00から)" in lines[1]
    assert lines[2] == "  next open: 令和7年1月4日（土） 09:00"
    assert (
        lines[3] == "  five business days later (a follow-up deadline): 2025-01-16"
    )  # Tue 7, Thu 9, Sat 11, Tue 14, Thu 16


def test_refer_a_case_example_runs() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "refer_a_case.py"),
            str(EXAMPLES / "cases" / "elderly-man-hachioji.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    # Released a week ago: coordination before release is a near miss; the welfare
    # office comes first for housing, the settlement centre's follow-up for welfare.
    assert (
        lines[0]
        == "housing: 八王子市福祉事務所 / 生活保護の相談・申請 (consent given; reachable now)"
    )
    assert (
        "welfare: 東京都地域生活定着支援センター / フォローアップ・相談支援 "
        "(consent given; reachable now)"
    ) in lines
    assert "unmet: none" in lines
    failed = subprocess.run(
        [sys.executable, str(EXAMPLES / "refer_a_case.py"), "missing.json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert "cannot read" in failed.stderr


def test_follow_up_referrals_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "follow_up_referrals.py"), "2024-12-20T09:00+09:00"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("follow-ups due at 2024-12-20T09:00:00+09:00: ")
    assert "worker-7: " in result.stdout
    assert "worker-12: " in result.stdout
    # The first for his housing is now the Hachioji welfare office (coordination before
    # release does not apply to a man released a week ago).
    assert (
        "  example-elderly-man-hachioji.hachioji-welfare-office-public-assistance.1 [accepted] "
        "due 2024-12-04, 12 business days overdue"
    ) in lines
    assert "summary" not in result.stdout
    naive = subprocess.run(
        [sys.executable, str(EXAMPLES / "follow_up_referrals.py"), "2024-12-20T09:00"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert naive.returncode == 1
    assert "no UTC offset" in naive.stderr

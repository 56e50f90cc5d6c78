"""The plan as a worker reads it: contacts and hours, reasons in words, the ranking
explained, each service once, and lines that fit the terminal."""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saihan.cli.main import main
from saihan.directory import (
    Audience,
    Channel,
    Cost,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
    sample_directory,
)
from saihan.directory.service import AreaKind
from saihan.errors import ValidationError
from saihan.referral import _words as words
from saihan.referral import default_rules, load_case, match
from saihan.referral.plan import ReferralPlan
from saihan.referral.render import _wrap, plan_text
from saihan.testing import plans

ROOT = Path(__file__).resolve().parents[2]
ELDERLY = ROOT / "examples" / "cases" / "elderly-man-hachioji.json"
CASES = sorted((ROOT / "examples" / "cases").glob("*.json"))


def columns(line: str) -> int:
    """Terminal columns, counting wide and ambiguous East Asian characters as two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in line)


def readme_command(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """`saihan match examples/cases/elderly-man-hachioji.json`, README's first command."""
    assert main(["match", str(ELDERLY), *extra]) == 0
    return capsys.readouterr().out


def identifiers(plan: ReferralPlan) -> set[str]:
    """What a plan shows as it is, to be copied: service, rule and case ids, the rule set."""
    found = {plan.case_id, plan.rules_id, *plan.applied_rules}
    for need in plan.needs:
        found |= {rec.service_id for rec in need.recommendations}
        found |= {r.rule_id for rec in need.recommendations for r in rec.reasons if r.rule_id}
        if need.added_by:
            found.add(need.added_by)
    found |= {item.service_id for item in plan.excluded}
    found |= {i for group in plan.near_miss_summary() for i in group.examples}
    found |= {r.rule_id for g in plan.near_miss_summary() for r in g.reasons if r.rule_id}
    found |= {r.rule_id for item in plan.excluded for r in item.reasons if r.rule_id}
    return found


def codes_left(text: str, plan: ReferralPlan) -> list[str]:
    """Lower-case code-like words in ``text`` once ids, web addresses and e-mail
    addresses are taken out: what a reader would see as a raw field code."""
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    for known in sorted(identifiers(plan), key=len, reverse=True):
        text = text.replace(known, " ")
    return re.findall(r"[a-z][a-z0-9]*(?:[._=][a-z0-9]+)+|\b[a-z]+=", text)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_readme_command_fits_100_columns_with_contacts_hours_and_no_codes(
    capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    out = readme_command(capsys, "--lang", lang)
    plan = match(load_case(ELDERLY), sample_directory())
    wide = [line for line in out.splitlines() if columns(line) > 100]
    assert wide == []
    for rec in plan.recommendations():
        for contact in rec.contacts:
            assert contact.value in out
        assert rec.website is not None
        assert rec.website in out
        if rec.address is not None:
            assert rec.address in out
        for interval in rec.hours_today:
            all_day = interval.closes - interval.opens == dt.timedelta(days=1)
            shown = ("終日" if lang == "ja" else "all day") if all_day else None
            assert (shown or words.clock(interval.opens, lang)) in out
    assert any(rec.contacts for rec in plan.recommendations())
    assert ("8:30～17:15" if lang == "ja" else "08:30–17:15") in out
    assert codes_left(out, plan) == []
    # In Japanese no English word is left at all, but for the options the hints name.
    if lang == "ja":
        text = re.sub(r"https?://\S+|\S+@\S+", " ", out)
        for known in sorted(identifiers(plan), key=len, reverse=True):
            text = text.replace(known, " ")
        assert set(re.findall(r"(?<![A-Za-z])[a-z][a-z_.-]*", text)) <= {
            "per-need",
            "per",
            "need",
            "near-misses",
            "all",
        }
    for raw in ("need_fit", "sibling", "agency_kind", "case.", "service.", "released_from"):
        assert raw not in out


def test_the_codes_check_finds_the_codes_the_old_text_showed() -> None:
    plan = match(load_case(ELDERLY), sample_directory())
    old = "- [rule] x (+10) — age=72; case.attributes=elderly, homeless; need_fit"
    assert codes_left(old, plan) == ["age=72", "case.attributes=elderly", "need_fit"]


def test_a_service_under_several_needs_is_shown_once_and_referred_to_elsewhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = readme_command(capsys)
    plan = match(load_case(ELDERLY), sample_directory())
    office = "hachioji-welfare-office-public-assistance"
    under = [
        need.need for need in plan.needs if office in {r.service_id for r in need.recommendations}
    ]
    assert len(under) >= 3
    assert out.count(f"ID: {office}") == 1
    block = out[out.index(f"ID: {office}") :].split("\n  2.", 1)[0]
    assert "対応するニーズ: 住居、緊急の宿泊場所" in block
    assert "042-000-0005" in block
    assert out.count("042-000-0005") == 1
    assert out.count("→ 連絡先と受付は「住居」の 1. を参照") == len(under) - 1
    for rec in plan.recommendations():
        assert out.count(f"ID: {rec.service_id}") == 1


def test_the_ranking_is_explained_a_first_rule_and_the_points() -> None:
    plan = match(load_case(ELDERLY), sample_directory())
    ja, en = plan.to_text("ja", width=None), plan.to_text("en", width=None)
    rule = "special-coordination-settlement-centre-first"
    assert f"★ 優先してつなぐ（規則: {rule}）" in ja
    assert f"★ connect first (rule: {rule}): ranked before higher scores" in en
    assert "得点 74点 = 適合 48（より具体的） + 地域 10 + 規則 +10 +6" in ja
    assert "Score 74 points = need 48 (more specific) + place 10 + rules +10 +6" in en


def test_how_to_see_the_rest_is_said_only_when_results_are_cut(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cut = readme_command(capsys)
    plan = match(load_case(ELDERLY), sample_directory())
    housing = next(need for need in plan.needs if need.need == "housing")
    assert housing.more > 0
    assert f"ほか {housing.more} 件: --per-need all で表示" in cut
    assert f"{housing.more} more: show them with --per-need all" in readme_command(
        capsys, "--lang", "en"
    )
    assert "--per-need all" not in readme_command(capsys, "--per-need", "all")


def test_dates_are_in_each_languages_style(capsys: pytest.CaptureFixture[str]) -> None:
    assert words.day(dt.date(2026, 12, 3), "ja") == "2026年12月3日（木）"
    assert words.day(dt.date(2026, 12, 3), "en") == "Thu 3 Dec 2026"
    tokyo = dt.datetime(2024, 11, 5, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert words.moment(tokyo, "ja") == "2024年11月5日（火）10:30"
    assert words.moment(tokyo, "en") == "Tue 5 Nov 2024 10:30 JST"
    utc = tokyo.astimezone(dt.UTC)
    assert words.moment(utc, "ja") == "2024年11月5日（火）1:30（UTC+00:00）"
    assert words.moment(utc, "en") == "Tue 5 Nov 2024 01:30 UTC+00:00"
    assert "2024年11月5日（火）10:30 時点" in readme_command(capsys)
    assert "as of Tue 5 Nov 2024 10:30 JST" in readme_command(capsys, "--lang", "en")


def test_a_closed_day_says_when_it_opens_next() -> None:
    sunday = dt.datetime(2024, 11, 10, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    plan = match(load_case(ELDERLY), sample_directory(), at=sunday)
    ja, en = plan.to_text("ja"), plan.to_text("en")
    assert "受付: 2024年11月10日（日） この日は受付なし（次の受付 2024年11月11日（月）8:30）" in ja
    assert "Hours: Sun 10 Nov 2024 closed that day (next open Mon 11 Nov 2024 08:30 JST)" in en


def test_a_bad_language_or_width_names_the_argument() -> None:
    plan = match(load_case(ELDERLY), sample_directory())
    with pytest.raises(ValidationError) as caught:
        plan_text(plan, "fr")
    assert caught.value.paths == ["lang"]
    with pytest.raises(ValidationError) as caught:
        plan_text(plan, "ja", width=10)
    assert caught.value.paths == ["width"]
    assert max(map(columns, plan_text(plan, "ja", width=None).splitlines())) > 100


_BREAKDOWN = {
    "ja": re.compile(
        r"得点 (-?\d+)点 = 適合 (\d+)(?:（[^）]*）)? \+ 地域 (\d+)(?: \+ 規則 ([-+\d ]+))?$"
    ),
    "en": re.compile(
        r"Score (-?\d+) points = need (\d+)(?: \([^)]*\))? \+ place (\d+)(?: \+ rules ([-+\d ]+))?$"
    ),
}


@given(plans(), st.sampled_from(["ja", "en"]), st.integers(60, 120))
def test_every_plan_fits_its_width_shows_each_service_once_and_adds_up(
    plan: ReferralPlan, lang: str, width: int
) -> None:
    text = plan_text(plan, lang, width=width)
    assert all(columns(line) <= width for line in text.splitlines())
    flat = plan_text(plan, lang, width=None)
    label = "ID" if lang == "ja" else "id"
    for service_id in plan.recommended_ids():
        assert flat.count(f"{label}: {service_id}\n") == 1
    sums = []
    for line in flat.splitlines():
        found = _BREAKDOWN[lang].search(line)
        if found:
            total, fit, area, rules = found.groups()
            points = [int(p) for p in (rules or "").split()]
            sums.append(int(total) == int(fit) + int(area) + sum(points))
    assert len(sums) == len(plan.recommendations())
    assert all(sums)
    assert codes_left(flat, plan) == []
    for rec in plan.recommendations():
        phones = [c.value for c in rec.contacts if c.channel is Channel.PHONE]
        assert all(phone in flat for phone in phones)


@given(
    st.text(
        st.sampled_from([*list("ab cdあいう、。（）「」-0123456789"), "漢", "字", " "]),
        max_size=300,
    ),
    st.integers(40, 100),
    st.integers(0, 8),
)
def test_wrapping_keeps_every_character_and_fits_the_width(
    body: str, width: int, indent: int
) -> None:
    line = " " * indent + "- " + body
    lines = _wrap(line, width)
    assert all(columns(piece) <= width for piece in lines)
    assert "".join(lines).replace(" ", "") == line.replace(" ", "")


def test_every_example_case_reads_without_codes() -> None:
    directory = sample_directory()
    for path in CASES:
        plan = match(load_case(path, directory=directory), directory, default_rules())
        for lang in ("ja", "en"):
            assert codes_left(plan_text(plan, lang, width=None), plan) == [], path.name


@pytest.mark.parametrize(
    ("table", "vocabulary"),
    [
        (words.CHANNELS, Channel),
        (words.AUDIENCES, Audience),
        (words.LEGAL_SITUATIONS, LegalSituation),
        (words.ATTRIBUTES, PersonAttribute),
        (words.JUVENILE_STAGES, JuvenileStage),
        (words.COSTS, Cost),
        (words.AREAS, AreaKind),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_every_vocabulary_value_has_words_in_both_languages(
    table: dict[str, tuple[str, str]], vocabulary: type[enum.Enum]
) -> None:
    assert set(table) == {member.value for member in vocabulary}
    for ja, en in table.values():
        assert ja
        assert en
        assert "_" not in ja + en


def test_every_bundled_need_and_agency_kind_has_a_label() -> None:
    from saihan.directory import default_agency_kinds, default_taxonomy

    for need in default_taxonomy():
        assert words.need_label(need.code, "ja") == need.label.ja
        assert words.need_label(need.code, "en") != need.code
    for kind in default_agency_kinds():
        assert words.kind_name(kind.code, "en") != kind.code
    assert words.need_label("a-directorys-own-need", "ja") == "a-directorys-own-need"

"""The plan report (saihan report): figures on a seeded caseload, each computed again
here from the stored cases and referrals (not with the report's code), the suppression
rule as a property, the formats, access and the audit trail, and the HTML page in a
real Chromium that must make no request."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from saihan import storage
from saihan.access import Principal
from saihan.casework import create_referral, due_followups, open_case, transition_referral
from saihan.cli import main
from saihan.directory import tokyo_municipalities
from saihan.directory.taxonomy import default_taxonomy
from saihan.errors import AccessDenied, ValidationError
from saihan.monitoring import (
    PlanReport,
    era_name,
    plan_report,
    report_html,
    seed_caseload,
    suppress,
)
from saihan.referral import Consent, load_case
from saihan.referral.case import ConsultationCase
from saihan.referral.gaps import gap_report
from saihan.referral.lifecycle import EventKind, Referral
from saihan.storage import Store

ROOT = Path(__file__).resolve().parents[1]
TOKYO = ZoneInfo("Asia/Tokyo")
SYSTEM = Principal.system()
FIRST, LAST = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
END = dt.datetime(2025, 4, 1, tzinfo=TOKYO)
JP_HOLIDAYS = holidays.country_holidays("JP", years=range(2023, 2027))


@pytest.fixture(scope="module")
def seeded() -> Store:
    store = storage.open("memory://", principal=SYSTEM)
    seed_caseload(store, cases=160, seed=11)
    return store


@pytest.fixture(scope="module")
def full(seeded: Store) -> PlanReport:
    return plan_report(seeded, fiscal_year=2024, k=1)


# -- the figures, computed again from the store -------------------------------------------


def _year(store: Store) -> tuple[list[ConsultationCase], list[tuple[ConsultationCase, Referral]]]:
    cases = [item.value for item in store.cases.list()]
    by_id = {case.id: case for case in cases}
    in_year = [c for c in cases if FIRST <= c.received_at.astimezone(TOKYO).date() <= LAST]
    made = []
    for item in store.referrals.list():
        referral = item.value
        case = by_id[referral.case_id]
        events = [e for e in referral.history if e.at < END]
        asked = [e for e in events if e.status.value == "requested"]
        if asked and FIRST <= asked[0].at.astimezone(TOKYO).date() <= LAST:
            made.append((case, Referral(**{**_fields(referral), "history": tuple(events)})))
    return in_year, made


def _fields(referral: Referral) -> dict[str, Any]:
    names = ("id", "case_id", "service_id", "agency_id", "agency_kind", "need", "referred_by")
    return {name: getattr(referral, name) for name in (*names, "plan_id")}


def _business_days(start: dt.date, end: dt.date) -> int:
    """Days from start (counted) to end (not counted): weekdays that are not national
    holidays (the holidays package, not saihan.schedule) nor 29 Dec - 3 Jan."""
    days = 0
    day = start
    while day < end:
        year_end = (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)
        if day.weekday() < 5 and day not in JP_HOLIDAYS and not year_end:
            days += 1
        day += dt.timedelta(days=1)
    return days


def _counts(report: PlanReport, figure: str) -> dict[str, int | None]:
    return {cell.key: cell.count for cell in report.figure(figure).cells}


def _nonzero(counts: dict[str, int | None]) -> dict[str, int | None]:
    return {key: value for key, value in counts.items() if value}


def test_consultations_by_channel_and_consulter(seeded: Store, full: PlanReport) -> None:
    cases, _ = _year(seeded)
    assert len(cases) == 160
    assert _nonzero(_counts(full, "consultations_by_channel")) == dict(
        Counter(c.received_via.value for c in cases)
    )
    assert _nonzero(_counts(full, "consultations_by_consulter")) == dict(
        Counter(c.consulter.value for c in cases)
    )
    assert full.figure("consultations_by_channel").total == 160
    assert set(_counts(full, "consultations_by_channel")) == {
        "phone", "visit", "email", "web_form", "fax"
    }  # fmt: skip


def test_referrals_by_need_kind_and_municipality(seeded: Store, full: PlanReport) -> None:
    _, made = _year(seeded)
    taxonomy = default_taxonomy()
    assert _nonzero(_counts(full, "referrals_by_need")) == dict(
        Counter(
            taxonomy.ancestors(r.need)[-1] if taxonomy.ancestors(r.need) else r.need
            for _, r in made
            if r.need
        )
    )
    assert _counts(full, "referrals_by_agency_kind") == dict(
        Counter(r.agency_kind for _, r in made)
    )
    assert _counts(full, "referrals_by_municipality") == dict(
        Counter(c.municipality for c, _ in made)
    )
    assert full.figure("referrals_by_need").total == len(made)


def test_outcomes_and_reasons_at_the_years_end(seeded: Store, full: PlanReport) -> None:
    _, made = _year(seeded)
    assert _nonzero(_counts(full, "referral_outcomes")) == dict(
        Counter(r.history[-1].status.value for _, r in made)
    )
    ended = Counter(
        f"{r.history[-1].status.value}:{(r.history[-1].reason or '').split(':')[0].strip()}"
        for _, r in made
        if r.history[-1].status.value in ("rejected", "failed", "cancelled")
    )
    expected = {
        key.replace(":consent withdrawn", ":consent-withdrawn"): n for key, n in ended.items()
    }
    assert _counts(full, "referral_end_reasons") == expected
    assert "other" not in "".join(_counts(full, "referral_end_reasons"))


def _days(made: list[tuple[ConsultationCase, Referral]], statuses: set[str]) -> list[int]:
    found = []
    for _, referral in made:
        requested = next(e for e in referral.history if e.status.value == "requested")
        reached = [
            e for e in referral.history
            if e.kind is EventKind.TRANSITION and e.status.value in statuses
        ]  # fmt: skip
        if reached:
            day = requested.at.astimezone(TOKYO).date()
            found.append(_business_days(day, reached[0].at.astimezone(TOKYO).date()))
    return found


def _nearest_rank(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


def test_business_days_to_acceptance_and_to_an_outcome(seeded: Store, full: PlanReport) -> None:
    _, made = _year(seeded)
    accepted = _days(made, {"accepted"})
    outcome = _days(
        [(c, r) for c, r in made if r.history[-1].status.value in ("completed", "failed")],
        {"completed", "failed"},
    )
    assert len(accepted) > 50
    for figure, values in (("time_to_acceptance", accepted), ("time_to_outcome", outcome)):
        shown = full.figure(figure)
        stats = {stat.name: stat.value for stat in shown.statistics}
        assert stats == {
            "median": statistics.median(values),
            "p90": _nearest_rank(values, 0.9),
        }
        assert shown.total == len(values)
        buckets = _counts(full, figure)
        assert buckets["0"] == values.count(0)
        assert buckets["3-5"] == sum(3 <= v <= 5 for v in values)
        assert buckets["11+"] == sum(v >= 11 for v in values)


def test_unmet_needs_are_the_gap_report_of_the_years_cases(seeded: Store, full: PlanReport) -> None:
    cases, _ = _year(seeded)
    gaps = gap_report(sorted(cases, key=lambda c: c.id), seeded.load_directory())
    expected = {(r.municipality, r.need): (r.cases, r.unmet, r.poorly_met) for r in gaps.rows}
    shown = {(r.municipality, r.need): (r.cases, r.unmet, r.poorly_met) for r in full.unmet_needs}
    assert shown == expected
    assert sum(row.unmet or 0 for row in full.unmet_needs) > 0


def test_overdue_followups_are_of_referrals_open_at_the_years_end(full: PlanReport) -> None:
    overdue = full.figure("overdue_followups")
    outcomes = _counts(full, "referral_outcomes")
    still_open = sum(outcomes[s] or 0 for s in ("requested", "accepted", "in-progress", "on-hold"))
    assert 0 < (overdue.total or 0) <= still_open


def test_overdue_followups_agree_with_due_followups_at_the_years_end(
    seeded: Store, full: PlanReport
) -> None:
    """The seeded year's referrals are all requested in it and nothing happens after
    it, so the report's figure is what due_followups says of the store just before
    the year's end (the same definition, reached through the store's open referrals)."""
    due = due_followups(seeded, END - dt.timedelta(microseconds=1))
    expected = Counter(item.municipality or "unknown" for item in due if item.overdue)
    assert expected
    assert _counts(full, "overdue_followups") == dict(expected)


# -- several years in one store: the report reads its own ----------------------------------


@pytest.fixture(scope="module")
def years() -> Store:
    """FY2023, FY2024 and FY2025 seeded, and a case received at the end of FY2023 whose
    referral was requested and accepted early in FY2024."""
    store = storage.open("memory://", principal=SYSTEM)
    for year, seed in ((2023, 4), (2024, 11), (2025, 4)):
        seed_caseload(store, cases=60, seed=seed, fiscal_year=year)
    received = dt.datetime(2024, 3, 28, 10, tzinfo=TOKYO)
    case = load_case(ROOT / "examples/cases/elderly-man-hachioji.json")
    consent = Consent(given_on=received.date(), agency_kinds=frozenset({"welfare_office"}))
    subject = attrs.evolve(case.subject, released_on=dt.date(2024, 3, 1))
    late = attrs.evolve(
        case, id="late-fy2023", received_at=received, consents=(consent,), subject=subject
    )
    open_case(store, late, actor="worker-1", at=received)
    directory = store.load_directory()
    welfare = next(
        s for s in directory.services if directory.agency(s.agency_id).kind == "welfare_office"
    )
    made = create_referral(store, late.id, welfare.id, actor="worker-1", request=True,
                           at=dt.datetime(2024, 4, 2, 10, tzinfo=TOKYO))  # fmt: skip
    transition_referral(store, made.id, "accepted", actor="worker-1",
                        at=dt.datetime(2024, 4, 5, 10, tzinfo=TOKYO))  # fmt: skip
    return store


def test_a_store_of_several_years_gives_the_years_figures(years: Store) -> None:
    report = plan_report(years, fiscal_year=2024, k=1)
    cases, made = _year(years)
    assert len(cases) == 60
    assert "late-fy2023" in {case.id for case, _ in made}  # counted though received before
    assert report.figure("consultations_by_channel").total == 60
    assert _nonzero(_counts(report, "consultations_by_channel")) == dict(
        Counter(c.received_via.value for c in cases)
    )
    assert report.figure("referrals_by_need").total == len(made)
    assert _counts(report, "referrals_by_agency_kind") == dict(
        Counter(r.agency_kind for _, r in made)
    )
    assert _nonzero(_counts(report, "referral_outcomes")) == dict(
        Counter(r.history[-1].status.value for _, r in made)
    )
    gaps = gap_report(sorted(cases, key=lambda c: c.id), years.load_directory())
    assert {(r.municipality, r.need): r.cases for r in report.unmet_needs} == {
        (r.municipality, r.need): r.cases for r in gaps.rows
    }


def test_the_report_reads_the_years_cases_and_referrals_only(years: Store) -> None:
    everywhere = frozenset(m.code for m in tokyo_municipalities())
    officer = Principal(id="officer-1", roles={"municipal-officer"}, municipalities=everywhere)
    before = years.audit.count()
    with years.acting_as(officer) as acting:  # its reads are audited
        plan_report(acting, fiscal_year=2024, k=1)
    events = years.audit.list()[before:]
    assert {e.actor for e in events} == {"officer-1"}
    read = {e.record_id for e in events if e.action == "read" and e.record_kind == "case"}
    referrals = {e.record_id for e in events if e.action == "read" and e.record_kind == "referral"}
    cases = {item.value.id: item.value for item in years.cases.list()}
    assert all(case.municipality in everywhere for case in cases.values())  # all visible
    everything = {item.value.id: item.value for item in years.referrals.list()}
    # a day of every time zone: what starts 1 April anywhere (UTC+14) to the year's end
    start = dt.datetime(2024, 3, 31, 10, tzinfo=dt.UTC)
    asked = {id for id, r in everything.items() if (at := r.requested_at) and start <= at < END}
    in_year = {id for id, case in cases.items() if FIRST <= case.received_on <= LAST}
    assert asked <= referrals  # every referral the year may count was read ...
    for id in referrals - asked:  # ... and the others only on the edge days (UTC)
        at = everything[id].requested_at
        assert at is not None
        assert start.date() <= at.astimezone(dt.UTC).date() <= END.astimezone(dt.UTC).date()
    assert in_year <= read
    assert read - in_year == {everything[id].case_id for id in asked} - in_year
    assert "late-fy2023" in read
    assert len(read) < len(cases)
    assert not any(cases[id].received_on > LAST for id in read)
    exported = [e for e in events if e.action == "exported"]
    assert len(exported) == 1


def test_the_year_names_and_the_plan_period(full: PlanReport) -> None:
    assert (full.era, era_name(2028), era_name(2019)) == ("令和6年度", "令和10年度", "平成31年度")
    assert full.in_plan_period
    assert (full.first_day, full.last_day) == (FIRST, LAST)
    for figure in full.figures:
        assert figure.definition.ja
        assert figure.definition.en


# -- suppression ------------------------------------------------------------------------


@given(counts=st.lists(st.integers(0, 30), max_size=12), k=st.integers(1, 10))
def test_no_suppressed_count_can_be_worked_out_from_the_total(counts: list[int], k: int) -> None:
    hidden, total_hidden = suppress(counts, k)
    total = sum(counts)
    for count, hide in zip(counts, hidden, strict=True):
        if 0 < count < k:
            assert hide  # primary
        if count == 0:
            assert not hide  # zeros are shown
    if 0 < total < k:
        assert total_hidden
        assert all(hide for count, hide in zip(counts, hidden, strict=True) if count)
    if not total_hidden:
        # with the total shown, one hidden count would be the total minus the others
        assert sum(hidden) != 1
    if any(hidden) and not total_hidden:
        assert sum(hidden) >= 2


def test_small_counts_are_suppressed_in_the_report(seeded: Store, full: PlanReport) -> None:
    report = plan_report(seeded, fiscal_year=2024, k=10)
    for figure in report.figures:
        exact = full.figure(figure.id)
        for cell, truth in zip(figure.cells, exact.cells, strict=True):
            assert cell.key == truth.key
            if truth.count is not None and 0 < truth.count < 10:
                assert (cell.count, cell.suppressed) == (None, True)
            elif not cell.suppressed:
                assert cell.count == truth.count
        if figure.total is not None:
            assert sum(cell.suppressed for cell in figure.cells) != 1
        for stat, truth_stat in zip(figure.statistics, exact.statistics, strict=True):
            assert stat.value in (None, truth_stat.value)
    for row in report.unmet_needs:
        for value in (row.cases, row.unmet, row.poorly_met):
            assert value is None or value == 0 or value >= 10


# -- formats ------------------------------------------------------------------------------


def test_csv_and_json_carry_the_same_figures(full: PlanReport) -> None:
    from jsonschema import Draft202012Validator

    data = full.to_data()
    schema = json.loads((ROOT / "docs/schemas/cli-report.schema.json").read_text("utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(data)) == []
    rows = list(csv.DictReader(io.StringIO(full.to_csv())))
    for figure in data["figures"]:
        for cell in figure["cells"]:
            wanted = (figure["id"], cell["key"], "count")
            (row,) = [r for r in rows if (r["figure"], r["category"], r["measure"]) == wanted]
            assert row["value"] == ("" if cell["count"] is None else str(cell["count"]))
            assert row["suppressed"] == ("true" if cell["suppressed"] else "false")
    assert {row["fiscal_year"] for row in rows} == {"2024"}


def test_nothing_of_a_case_is_in_the_report(seeded: Store, full: PlanReport) -> None:
    text = full.to_json() + full.to_csv() + full.to_text("en")
    assert "SAMPLE" not in text  # names, summaries, outcomes
    assert "demo-2024" not in text  # case ids
    assert "worker-" not in text


def test_the_html_page_has_every_figure_chart_and_definition(full: PlanReport) -> None:
    page = report_html(full, "ja")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == len(full.figures)
    for figure in full.figures:
        assert f'id="{figure.id}"' in page
        assert figure.definition.ja.replace("（", "（")[:20] in page
    assert "令和6年度" in page
    assert "<script" not in page
    assert re.search(r"(href|src)\s*=\s*[\"']?(https?:)?//", page) is None
    assert re.search(r"url\(\s*[\"']?(https?:)?//", page) is None
    assert "<metadata>" not in page
    english = report_html(full, "en")
    assert "Consultations by channel" in english


def _chromium() -> str:
    path = "/usr/bin/chromium"
    if not os.path.exists(path):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
        pytest.skip("no /usr/bin/chromium")
    return path


def test_the_html_page_shows_in_chromium_without_a_single_request(
    full: PlanReport, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(report_html(full, "ja"), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(path.as_uri())
            page.wait_for_load_state("networkidle")
            headings = page.locator("h2").all_inner_texts()
            charts = page.locator("figure svg").count()
            drawn = page.evaluate(
                "() => [...document.querySelectorAll('figure svg')]"
                ".map(svg => svg.getBoundingClientRect().height)"
            )
        finally:
            browser.close()
    assert requests == [path.as_uri()]
    assert headings[0] == "相談の受付経路"
    assert len(headings) == len(full.figures) + 1  # and the unmet needs
    assert charts == len(full.figures)
    assert all(height > 50 for height in drawn)


# -- who may report, and the audit trail ---------------------------------------------------


def test_the_report_reads_through_the_principal_and_is_audited(seeded: Store) -> None:
    one = seeded.cases.get("demo-2024-00001").value
    code = one.municipality or ""
    officer = Principal(id="officer-1", roles={"municipal-officer"}, municipalities={code})
    before = seeded.audit.count()
    with seeded.acting_as(officer):
        report = plan_report(seeded, fiscal_year=2024, k=1, recipient="hachioji-office")
    theirs = [c for c in seeded.cases.list() if c.value.municipality == code]
    assert report.figure("consultations_by_channel").total == len(theirs)
    events = seeded.audit.list()[before:]
    assert {e.record_id for e in events if e.action == "read" and e.record_kind == "case"} == {
        c.value.id for c in theirs
    }
    last = events[-1]
    assert (last.action, last.record_kind, last.record_id, last.actor) == (
        "exported",
        "plan-report",
        "hachioji-office",
        "officer-1",
    )
    assert "fiscal_year=2024" in last.changed
    with (
        seeded.acting_as(Principal(id="auditor-1", roles={"auditor"})),
        pytest.raises(AccessDenied),
    ):
        plan_report(seeded, fiscal_year=2024)
    with storage.open("memory://") as nobody, pytest.raises(AccessDenied):
        plan_report(nobody, fiscal_year=2024)


def test_one_municipality_counts_its_own_cases(seeded: Store, full: PlanReport) -> None:
    code = seeded.cases.get("demo-2024-00002").value.municipality or ""
    report = plan_report(seeded, fiscal_year=2024, municipality=code, k=1)
    assert report.municipality == code
    assert report.figure("referrals_by_municipality").cells[0].key == code
    assert report.figure("consultations_by_channel").total == sum(
        1 for c in seeded.cases.list() if c.value.municipality == code
    )


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"fiscal_year": 24}, "fiscal_year"),
        ({"fiscal_year": "2024"}, "fiscal_year"),
        ({"fiscal_year": 2024, "k": 0}, "k"),
        ({"fiscal_year": 2024, "recipient": "Plan Review"}, "recipient"),
    ],
)
def test_bad_arguments_name_their_field(
    seeded: Store, arguments: dict[str, Any], path: str
) -> None:
    before = seeded.audit.count()
    with pytest.raises(ValidationError) as raised:
        plan_report(seeded, **arguments)
    assert [item.path for item in raised.value.errors] == [path]
    assert seeded.audit.count() == before


def test_an_unknown_municipality_names_the_field_and_the_nearest(seeded: Store) -> None:
    before = seeded.audit.count()
    with pytest.raises(ValidationError) as raised:
        plan_report(seeded, fiscal_year=2024, municipality="Hachiouji")
    [item] = raised.value.errors
    assert item.path == "municipality"
    assert "八王子市" in item.message  # difflib's nearest name
    with pytest.raises(ValidationError, match="ambiguous"):
        plan_report(seeded, fiscal_year=2024, municipality="toshima")
    assert seeded.audit.count() == before


def test_the_command_refuses_an_unknown_municipality(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAIHAN_PRINCIPAL", raising=False)
    url = f"sqlite:///{tmp_path}/demo.db"
    system = ["--store", url, "--as", "system:system"]
    assert main(["demo", "seed", "--cases", "3", "--seed", "2", *system]) == 0
    capsys.readouterr()
    command = ["report", "--fiscal-year", "2024", "--municipality", "shinjyuku", *system]
    assert main(command) == 1
    error = capsys.readouterr().err
    assert "municipality" in error
    assert "新宿区" in error


def test_the_command_writes_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAIHAN_PRINCIPAL", raising=False)
    url = f"sqlite:///{tmp_path}/demo.db"
    system = ["--store", url, "--as", "system:system"]
    assert main(["demo", "seed", "--cases", "30", "--seed", "2", *system]) == 0
    capsys.readouterr()
    report = ["report", "--fiscal-year", "2024", *system]
    assert main([*report, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["era"] == "令和6年度"
    assert data["k"] == 5
    assert main([*report, "--format", "csv", "--k", "3"]) == 0
    assert capsys.readouterr().out.startswith("fiscal_year,figure,category,measure,value,")
    page = tmp_path / "fy2024.html"
    assert main([*report, "--format", "html", "-o", str(page), "--lang", "en"]) == 0
    assert "<svg" in page.read_text(encoding="utf-8")
    assert main([*report, "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("FY2024 plan monitoring report")
    with storage.open(url, principal=SYSTEM) as store:
        exported = [e.changed[-1] for e in store.audit.list() if e.action == "exported"]
    assert exported == ["format=json", "format=csv", "format=html", "format=text"]
    assert main(["report", "--fiscal-year", "2024", "--store", url]) == 1

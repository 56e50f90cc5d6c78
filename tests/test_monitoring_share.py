"""Case examples shared without personal data (saihan cases share, saihan cases review).

The property: for any cases, every output row's quasi-identifiers (as generalised) cover
at least k input cases, checked here by reading the row's values back against the cases
(not with the export's own code), and no sensitive value of any case (name, birth date,
exact dates, summary, notes, reasons, outcomes) is in the bytes of any format.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _builders import small_directory
from saihan import storage
from saihan.access import Principal
from saihan.cli import main
from saihan.directory.vocabulary import Audience, Channel, LegalSituation, PersonAttribute
from saihan.errors import AccessDenied, ValidationError
from saihan.monitoring import (
    QUASI_IDENTIFIERS,
    SharedCases,
    anonymise,
    review_summary,
    seed_caseload,
    share_cases,
)
from saihan.monitoring.share import ATTRIBUTE_GROUPS, LEGAL_GROUPS
from saihan.referral.case import AgeRange, Consent, ConsultationCase, RaisedNeed, Subject
from saihan.referral.lifecycle import Referral, ReferralStatus, new_referral, transition
from saihan.storage import Store
from saihan.testing import cases as saihan_cases

TOKYO = ZoneInfo("Asia/Tokyo")
SYSTEM = Principal.system()
CODES = ("131016", "131041", "132012", "132047", "133612", "134210", "112011")
ATTRIBUTES = (
    PersonAttribute.ELDERLY,
    PersonAttribute.HOMELESS,
    PersonAttribute.DEBT,
    PersonAttribute.DRUG_DEPENDENCE,
    PersonAttribute.INTELLECTUAL_DISABILITY,
)
NEEDS = ("housing.emergency", "welfare.public_assistance", "employment.job_search", "legal")


# -- random cases, each sensitive value a token the output can be searched for ---------


@st.composite
def _case_and_referrals(draw: Any, number: int) -> tuple[ConsultationCase, list[Referral]]:
    token = f"{number:03d}x{draw(st.integers(0, 10**6)):07d}"
    day = dt.date(2023, 4, 1) + dt.timedelta(days=draw(st.integers(0, 730)))
    received = dt.datetime(day.year, day.month, day.day, draw(st.integers(9, 16)), tzinfo=TOKYO)
    age_form = draw(st.sampled_from(["age", "range", "birth", "none"]))
    age: dict[str, Any] = {}
    if age_form == "age":
        age["age"] = draw(st.integers(14, 95))
    elif age_form == "range":
        low = draw(st.integers(1, 9)) * 10
        age["age_range"] = AgeRange(min=low, max=low + draw(st.sampled_from([4, 9, 14])))
    elif age_form == "birth":
        age["birth_date"] = day - dt.timedelta(days=draw(st.integers(15 * 365, 90 * 365)))
    residence = draw(st.sampled_from((*CODES, None)))
    subject = Subject(
        residence=residence,
        legal_situation=draw(st.sampled_from(sorted(LegalSituation))),
        released_on=day - dt.timedelta(days=draw(st.integers(1, 900))),
        attributes=draw(st.frozensets(st.sampled_from(ATTRIBUTES), max_size=2)),
        name=f"NAME{token}",
        **age,
    )
    case = ConsultationCase(
        id=f"c{token}",
        received_at=received,
        consulter=draw(st.sampled_from(sorted(Audience))),
        received_via=draw(st.sampled_from(sorted(Channel))),
        subject=subject,
        needs=(RaisedNeed(code=draw(st.sampled_from(NEEDS)), note=f"NOTE{token}"),),
        municipality=draw(st.sampled_from(CODES)),
        summary=f"SUMMARY{token}",
        consents=(Consent(given_on=day, agency_kinds=frozenset({"welfare_office"})),),
        time_zone="Asia/Tokyo",
    )
    referrals = []
    for index in range(draw(st.integers(0, 2))):
        referral = new_referral(
            f"c{token}.r{index}",
            case,
            service_id="welfare-assist",
            agency_id="hachioji-welfare",
            agency_kind="welfare_office",
            actor="worker-1",
            at=received + dt.timedelta(hours=1),
            status=ReferralStatus.REQUESTED,
            need=case.needs[0].code,
        )
        later = received + dt.timedelta(days=draw(st.integers(1, 30)))
        ending = draw(st.sampled_from(["open", "rejected", "completed", "failed"]))
        if ending == "rejected":
            referral = transition(
                referral, "rejected", actor="worker-1", at=later, reason=f"REASON{token}"
            )
        elif ending != "open":
            referral = transition(referral, "accepted", actor="worker-1", at=later, case=case)
            referral = transition(
                referral,
                ending,
                actor="worker-1",
                at=later + dt.timedelta(days=3),
                reason=draw(st.sampled_from([f"REASON{token}", "lost-contact: REASON" + token])),
                outcome=f"OUTCOME{token}",
            )
        referrals.append(referral)
    return case, referrals


@st.composite
def _caseloads(draw: Any) -> list[tuple[ConsultationCase, list[Referral]]]:
    count = draw(st.integers(0, 40))
    return [draw(_case_and_referrals(number)) for number in range(count)]


def _sensitive(records: list[tuple[ConsultationCase, list[Referral]]]) -> set[str]:
    found: set[str] = set()
    for case, referrals in records:
        subject = case.subject
        found |= {case.id, case.received_on.isoformat(), case.received_at.isoformat()}
        found |= {str(case.summary), str(subject.name), str(subject.released_on)}
        found |= {str(need.note) for need in case.needs}
        found |= {consent.given_on.isoformat() for consent in case.consents}
        if subject.birth_date is not None:
            found.add(subject.birth_date.isoformat())
        for referral in referrals:
            found.add(referral.id)
            for event in referral.history:
                found.add(event.at.isoformat())
                found.add(case.local_day(event.at).isoformat())
                found |= {text for text in (event.reason, event.outcome) if text}
                if event.reason:
                    found.add(event.reason.split(":")[-1].strip())
    return found


# -- reading a row back against the cases, independently of the export ------------------


def _region(code: str | None) -> str:
    if code is None:
        return "unknown"
    if not code.startswith("13"):
        return "outside-tokyo"
    if code.startswith("131"):
        return "wards"
    return "islands" if code >= "133610" else "tama"


def _covers(row: dict[str, Any], case: ConsultationCase) -> bool:
    day = case.received_on
    bounds = case.subject.age_bounds(day, day)
    age = row["age_band"]
    if age == "unknown":
        age_ok = bounds is None
    elif age == "*":
        age_ok = True
    elif bounds is None:
        age_ok = False
    elif age.endswith("+"):
        age_ok = bounds[0] >= int(age[:-1])
    else:
        low, high = map(int, age.split("-"))
        age_ok = low <= bounds[0] and bounds[1] <= high
    code = case.subject.residence or case.subject.preferred_municipality or case.municipality
    place_ok = row["place"] in ("*", code or "unknown", _region(code))
    legal = case.subject.legal_situation
    legal_ok = row["legal_situation"] in ("*", legal.value, LEGAL_GROUPS[legal])
    attributes = case.subject.attributes
    exact = "+".join(sorted(a.value for a in attributes)) or "none"
    groups = "+".join(sorted({ATTRIBUTE_GROUPS[a] for a in attributes})) or "none"
    attributes_ok = row["attributes"] in ("*", exact, groups)
    year = day.year if day.month >= 4 else day.year - 1
    quarter = {4: 1, 5: 1, 6: 1, 7: 2, 8: 2, 9: 2, 10: 3, 11: 3, 12: 3}.get(day.month, 4)
    month_ok = row["month"] in ("*", f"{day:%Y-%m}", f"FY{year}-Q{quarter}", f"FY{year}")
    return age_ok and place_ok and legal_ok and attributes_ok and month_ok


def _check_export(
    shared: SharedCases, records: list[tuple[ConsultationCase, list[Referral]]], k: int
) -> None:
    data = shared.to_data()
    cases = [case for case, _ in records]
    for row in data["rows"]:
        covered = sum(1 for case in cases if _covers(row, case))
        assert covered >= k, (row, covered)
        same = [r for r in data["rows"] if all(r[q] == row[q] for q in QUASI_IDENTIFIERS)]
        assert len(same) >= k
    assert data["report"]["rows"] == len(data["rows"])
    assert data["report"]["rows"] + data["report"]["suppressed"] == len(records)
    if len(records) < k:
        assert data["rows"] == []
    secrets = _sensitive(records)
    for output_format in ("json", "csv", "md", "text"):
        written = shared.render(output_format).encode("utf-8")
        leaked = sorted(secret for secret in secrets if secret.encode("utf-8") in written)
        assert leaked == [], output_format


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_caseloads(), k=st.integers(2, 6), max_suppression=st.sampled_from([0, 0.05, 0.2]))
def test_every_shared_row_is_k_anonymous_and_holds_no_sensitive_field(
    records: list[tuple[ConsultationCase, list[Referral]]], k: int, max_suppression: float
) -> None:
    shared = anonymise(records, k=k, max_suppression=max_suppression)
    _check_export(shared, records, k)
    assert shared.report.suppressed <= max(
        int(max_suppression * len(records) + 1e-9), len(records) if len(records) < k else 0
    )


def _stored(records: list[tuple[ConsultationCase, list[Referral]]]) -> Store:
    store = storage.open("memory://", principal=SYSTEM)
    store.import_directory(small_directory())
    for case, referrals in records:
        store.cases.put(case)
        for referral in referrals:
            store.referrals.put(referral)
    return store


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_caseloads(), k=st.integers(2, 5))
def test_for_any_store_the_export_is_k_anonymous_and_audited(
    records: list[tuple[ConsultationCase, list[Referral]]], k: int
) -> None:
    store = _stored(records)
    shared = share_cases(store, k=k, recipient="liaison-meeting")
    _check_export(shared, records, k)
    event = store.audit.list()[-1]
    assert (event.action, event.record_kind, event.record_id) == (
        "exported",
        "case-share",
        "liaison-meeting",
    )
    assert f"k={k}" in event.changed
    assert f"rows={shared.report.rows}" in event.changed


# -- examples on a seeded caseload ----------------------------------------------------------


@pytest.fixture(scope="module")
def seeded() -> Store:
    store = storage.open("memory://", principal=SYSTEM)
    seed_caseload(store, cases=150, seed=4)
    return store


def test_a_seeded_year_is_shared_with_paths_outcomes_and_reason_codes(seeded: Store) -> None:
    shared = share_cases(seeded, k=5, recipient="liaison-meeting-2024-10", fiscal_year=2024)
    report = shared.report
    assert report.cases == 150
    assert report.rows >= 150 * 0.9  # at most 10% left out
    assert report.smallest_group is not None
    assert report.smallest_group >= 5
    paths = {r.path for row in shared.rows for r in row.referrals}
    assert ("requested", "accepted", "in-progress", "completed") in paths
    reasons = {r.reason for row in shared.rows for r in row.referrals if r.outcome == "failed"}
    assert reasons
    assert reasons <= {"lost-contact", "declined-by-person", "moved-away", "rearrested",
                       "hospitalised", "consent-withdrawn"}  # fmt: skip
    assert report.summaries_withheld == report.rows  # nobody reviewed a summary yet
    text = shared.to_json()
    assert "SAMPLE" not in text  # the seeded names, summaries and outcomes stay home
    assert "demo-2024" not in text


def test_only_a_reviewed_summary_leaves_and_the_review_is_audited() -> None:
    store = storage.open("memory://", principal=SYSTEM)
    seed_caseload(store, cases=30, seed=2)
    case = store.cases.get("demo-2024-00003").value
    reviewer = Principal(
        id="reviewer-1", roles={"municipal-officer"}, municipalities={case.municipality or ""}
    )
    at = dt.datetime(2025, 4, 10, 10, tzinfo=TOKYO)
    text = "70代の男性。満期釈放後に住まいがなく、福祉事務所につないだ。"
    reviewed = review_summary(store, case.id, text, actor=reviewer, at=at)
    assert reviewed.shared_summary is not None
    assert reviewed.shared_summary.reviewed_by == "reviewer-1"
    assert reviewed.summary == case.summary  # the worker's own words stay as they were
    event = store.audit.for_record("case", case.id)[-1]
    assert (event.action, event.actor, event.at) == ("updated", "reviewer-1", at)
    assert any(path.startswith("shared_summary") for path in event.changed)
    assert text not in json.dumps([list(e.changed) for e in store.audit.list()])
    shared = share_cases(store, k=2, recipient="liaison-meeting", max_suppression=1)
    summaries = [row.summary for row in shared.rows if row.summary]
    assert summaries in ([text], [])  # [] only when its case was left out
    cleared = review_summary(store, case.id, None, actor=reviewer)
    assert cleared.shared_summary is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("SAMPLE 佐藤 太郎さんは八王子に住む", "name"),
        ("2024年11月5日に出所した", "a date"),
        ("11月5日に来所", "a date"),
        ("令和6年に出所", "a date"),
        ("連絡先は 090-1234-5678", "phone"),
        ("mail: someone@example.jp", "e-mail"),
        ("   ", "give the summary"),
    ],
)
def test_a_summary_holding_personal_data_is_refused(text: str, found: str) -> None:
    store = storage.open("memory://", principal=SYSTEM)
    seed_caseload(store, cases=3, seed=5)
    case = store.cases.get("demo-2024-00001").value
    if "佐藤 太郎" in text:
        assert case.subject.name is not None
        text = f"{case.subject.name}さんは八王子に住む"
    before = store.audit.count()
    with pytest.raises(ValidationError) as raised:
        review_summary(store, case.id, text, actor="system")
    assert [item.path for item in raised.value.errors] == ["text"]
    assert found in str(raised.value)
    assert text.strip() == "" or text not in str(raised.value)
    assert store.cases.get(case.id).value.shared_summary is None
    assert store.audit.count() == before


def test_sharing_reads_through_the_principal(seeded: Store) -> None:
    one = seeded.cases.get("demo-2024-00001").value
    officer = Principal(
        id="officer-1", roles={"municipal-officer"}, municipalities={one.municipality or ""}
    )
    theirs = [c for c in seeded.cases.list() if c.value.municipality == one.municipality]
    before = seeded.audit.count()
    with seeded.acting_as(officer):
        shared = share_cases(seeded, k=2, recipient="liaison-meeting", max_suppression=1)
    assert shared.report.cases == len(theirs)
    events = seeded.audit.list()[before:]
    read = {e.record_id for e in events if e.action == "read" and e.record_kind == "case"}
    assert read == {item.value.id for item in theirs}
    assert (events[-1].action, events[-1].actor, events[-1].roles) == (
        "exported",
        "officer-1",
        ("municipal-officer",),
    )
    auditor = Principal(id="auditor-1", roles={"auditor"})
    with seeded.acting_as(auditor), pytest.raises(AccessDenied):
        share_cases(seeded, k=2, recipient="liaison-meeting")
    with storage.open("memory://") as nobody, pytest.raises(AccessDenied):
        share_cases(nobody, k=2, recipient="liaison-meeting")


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"k": 1, "recipient": "x"}, "k"),
        ({"k": "5", "recipient": "x"}, "k"),
        ({"k": 5, "recipient": "Liaison Meeting"}, "recipient"),
        ({"k": 5, "recipient": "x", "max_suppression": 2}, "max_suppression"),
        ({"k": 5, "recipient": "x", "fiscal_year": 24}, "fiscal_year"),
    ],
)
def test_bad_arguments_name_their_field_and_write_nothing(
    seeded: Store, arguments: dict[str, Any], path: str
) -> None:
    before = seeded.audit.count()
    with pytest.raises(ValidationError) as raised:
        share_cases(seeded, **arguments)
    assert path in [item.path for item in raised.value.errors]
    assert seeded.audit.count() == before


def test_an_unknown_municipality_names_the_field(seeded: Store) -> None:
    before = seeded.audit.count()
    with pytest.raises(ValidationError, match="nowhere-shi") as raised:
        share_cases(seeded, k=5, recipient="x", municipality="nowhere-shi")
    assert raised.value.paths == ["municipality"]
    with pytest.raises(ValidationError, match="八王子市") as raised:
        share_cases(seeded, k=5, recipient="x", municipality="八玉子市")
    assert raised.value.paths == ["municipality"]
    assert seeded.audit.count() == before


def test_fewer_cases_than_k_give_no_rows() -> None:
    store = storage.open("memory://", principal=SYSTEM)
    seed_caseload(store, cases=3, seed=1)
    shared = share_cases(store, k=4, recipient="liaison-meeting")
    assert shared.rows == ()
    assert shared.report.suppressed == 3


def test_the_commands_share_and_review(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAIHAN_PRINCIPAL", raising=False)
    url = f"sqlite:///{tmp_path}/demo.db"
    system = ["--store", url, "--as", "system:system"]
    assert main(["demo", "seed", "--cases", "40", "--seed", "6", *system]) == 0
    capsys.readouterr()
    text = "20代の男性。仮釈放中で仕事を探している。"
    assert main(["cases", "review", "demo-2024-00002", "--text", text, *system, "--format",
                 "json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["action"] == "reviewed"
    out = tmp_path / "cases.md"
    share = ["cases", "share", "--k", "3", "--for", "liaison-meeting-2024-10", *system]
    assert main([*share, "--format", "md", "-o", str(out), "--max-suppression", "1"]) == 0
    assert "k=3" in capsys.readouterr().err
    handout = out.read_text(encoding="utf-8")
    assert handout.startswith("# 共有事例")
    assert "SAMPLE" not in handout
    assert main([*share, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == "number,age_band,place,legal_situation,attributes,month,needs,referrals,summary"
    )
    assert main([*share, "--format", "json", "--fiscal-year", "2024"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["report"]["k"] == 3
    with storage.open(url, principal=SYSTEM) as store:
        exports = [e for e in store.audit.list() if e.action == "exported"]
        assert [e.changed[-1] for e in exports] == ["format=md", "format=csv", "format=json"]
    assert main(["cases", "share", "--k", "3", "--for", "x", "--store", url]) == 1
    assert "--as" in capsys.readouterr().err
    assert main([*share, "--municipality", "Hachiouji", "-o", str(tmp_path / "no.md")]) == 1
    error = capsys.readouterr().err
    assert "municipality" in error
    assert "八王子市" in error
    assert not (tmp_path / "no.md").exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cases=st.lists(
        saihan_cases(municipalities=["131016", "132012", "133612"]),
        max_size=30,
        unique_by=lambda case: case.id,
    ),
    k=st.integers(2, 5),
)
def test_any_cases_saihan_can_hold_are_shared_k_anonymously(
    cases: list[ConsultationCase], k: int
) -> None:
    records: list[tuple[ConsultationCase, list[Referral]]] = [(case, []) for case in cases]
    shared = anonymise(records, k=k)
    data = shared.to_data()
    for row in data["rows"]:
        assert sum(1 for case in cases if _covers(row, case)) >= k
    written = shared.to_json() + shared.to_csv()
    reviewed = " ".join(c.shared_summary.text for c in cases if c.shared_summary is not None)
    for case in cases:
        # Short random strings turn up in any text: only distinctive ones are looked for.
        for text in (case.id, case.summary, case.subject.name):
            if text is not None and len(text.strip()) >= 6 and text not in reviewed:
                assert text not in written
        if case.subject.birth_date is not None:
            assert case.subject.birth_date.isoformat() not in written

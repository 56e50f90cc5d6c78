"""``saihan case show`` and ``saihan case consent --refuse``: what a worker sees of a
stored case (never its sensitive fields unless asked), and refusals from the shell."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from saihan import storage
from saihan.access import Principal
from saihan.cli import main
from saihan.directory import sample_directory
from saihan.referral import AuditAction, load_case

ROOT = Path(__file__).resolve().parent.parent
MOTHER_FILE = ROOT / "examples" / "cases" / "mother-son-in-prison.json"
MAN_FILE = ROOT / "examples" / "cases" / "homeless-man-released-taito.json"
MOTHER = load_case(MOTHER_FILE)
MAN = load_case(MAN_FILE)
SECRET = "SENSITIVE-note-4d1c"
AS = "worker-8:system"  # a principal who may read every case


def fields(out: str) -> dict[str, str]:
    """The ``name  value`` lines of ``case show`` (names may have one space inside)."""
    found = {}
    for line in out.splitlines():
        match = re.fullmatch(r"(\S+(?: \S+)*)\s{2,}(.*)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    # These tests read the English words (the default is Japanese).
    code = main([*argv, "--lang", "en"] if "--lang" not in argv else list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite store with the sample directory and the two example cases, the
    mother's with a note that must not be shown."""
    monkeypatch.delenv(storage.ENVIRONMENT_VARIABLE, raising=False)
    url = f"sqlite:///{tmp_path}/cases.db"
    document = json.loads(MOTHER_FILE.read_text(encoding="utf-8"))
    document["subject"]["name"] = SECRET
    document["needs"][0]["note"] = SECRET
    mother = tmp_path / "mother.json"
    mother.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
    for path in (mother, MAN_FILE):
        code = main(["case", "open", str(path), "--store", url, "--actor", "worker-7"])
        assert code == 0
    return url


def test_case_show_prints_what_a_worker_needs(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "case", "show", MAN.id, "--store", url, "--as", AS)
    assert code == 0
    shown = fields(out)
    assert shown["time zone"] == "Asia/Tokyo"
    assert shown["received"] == "2024-11-07T10:15+09:00 (the person's day 2024-11-07)"
    assert shown["received by"] == "tokyo-crime-worry-desk  犯罪お悩みなんでも相談"
    assert shown["residence"] == "-"
    assert shown["preferred place"] == "131067 台東区"
    assert shown["legal situation"] == "released_from_prison"
    assert shown["released on"] == "2024-11-01"
    assert shown["attributes"] == "homeless, unemployed"
    assert shown["needs"].startswith("housing.emergency (urgent), welfare.public_assistance (high)")
    assert shown["consents"] == "1 given, 0 refused"
    assert "SAMPLE" not in out  # the summary
    assert "--show-sensitive" in out


def test_case_show_shows_the_relative_and_counts_refusals(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "case", "show", MOTHER.id, "--store", url, "--as", AS)
    assert code == 0
    shown = fields(out)
    assert shown["relative"] == "child"
    assert shown["relative's legal situation"] == "in_prison"
    assert shown["relative's expected release"] == "2025-09-30"
    assert shown["relative's residence"] == "132039 武蔵野市"
    assert shown["consents"] == "1 given, 1 refused"
    assert SECRET not in out
    assert "welfare_office" not in out  # consents are withheld


def test_case_show_sensitive_shows_consents_and_notes(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "case", "show", MOTHER.id, "--store", url, "--as", AS, "--show-sensitive"
    )
    assert code == 0
    assert "consent [1] refused on 2024-11-09: welfare_office" in out
    assert "consent [0] given on 2024-11-09: probation_office, volunteer_probation_officer" in out
    assert f"name: {SECRET}" in out
    assert f"needs[0] note: {SECRET}" in out


def test_case_show_json_withholds_the_sensitive_paths(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "case", "show", MOTHER.id, "--store", url, "--as", AS, "--format", "json"
    )
    assert code == 0
    assert SECRET not in out
    document = json.loads(out)
    assert document["withheld"] == ["summary", "subject.name", "consents", "needs[0].note"]
    assert document["consents_refused"] == 1
    assert document["received_on"] == "2024-11-09"
    assert document["case"]["relative"]["relation"] == "child"
    assert document["case"]["time_zone"] == "Asia/Tokyo"
    assert "consents" not in document["case"]
    code, out, _ = run(
        capsys,
        "case",
        "show",
        MOTHER.id,
        "--store",
        url,
        "--as",
        AS,
        "--format",
        "json",
        "--show-sensitive",
    )
    full = json.loads(out)
    assert full["withheld"] == []
    assert full["case"]["consents"][1]["decision"] == "refused"


def test_case_show_leaves_a_read_in_the_audit_trail(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(
        capsys, "case", "show", MAN.id, "--store", url, "--as", "worker-3/131067:municipal-officer"
    )
    assert code == 0
    with storage.open(url, principal=Principal.system()) as store:
        reads = [
            event
            for event in store.audit.list()
            if event.action is AuditAction.READ and event.record_id == MAN.id
        ]
    assert [event.actor for event in reads][-1:] == ["worker-3"]
    code, _, err = run(
        capsys, "case", "show", MAN.id, "--store", url, "--as", "worker-4/131041:municipal-officer"
    )
    assert code == 1
    assert "worker-4" in err


def test_case_consent_refuse_records_a_refusal(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "case",
        "consent",
        MAN.id,
        "--refuse",
        "--agency-kind",
        "hello_work",
        "--agency",
        "corrework-tokyo",
        "--store",
        url,
        "--actor",
        "worker-7",
        "--at",
        "2024-11-07T11:00+09:00",
    )
    assert code == 0, err
    assert out == f"case {MAN.id}: refusal recorded as consent 1 (asked on 2024-11-07)\n"
    code, out, err = run(
        capsys,
        "referral",
        "create",
        MAN.id,
        "hellowork-hachioji-offender-employment",
        "--request",
        "--store",
        url,
        "--actor",
        "worker-7",
        "--at",
        "2024-11-07T12:00+09:00",
    )
    assert code == 1
    assert "refused on 2024-11-07" in err
    with storage.open(url, principal=Principal.system()) as store:
        actions = [event.action for event in store.audit.list() if event.record_id == MAN.id]
    assert AuditAction.CONSENT_REFUSED in actions


def test_case_consent_names_go_with_refuse(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "case",
        "consent",
        MAN.id,
        "--withdraw",
        "0",
        "--agency-kind",
        "bbs",
        "--store",
        url,
        "--actor",
        "worker-7",
    )
    assert code == 1
    assert out == ""
    assert "--agency and --agency-kind go with --refuse" in err
    code, _, err = run(
        capsys, "case", "consent", MAN.id, "--refuse", "--store", url, "--actor", "worker-7"
    )
    assert code == 1
    assert "agency_ids" in err

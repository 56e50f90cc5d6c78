"""``saihan case|referral|followups|audit``: the referral lifecycle from the command line,
and docs/referral-lifecycle.md kept true to the code."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from saihan import storage
from saihan.access import Principal
from saihan.cli import main
from saihan.cli.lifecycle_commands import parse_at
from saihan.directory import sample_directory
from saihan.errors import ValidationError
from saihan.referral.followup import DEFAULT_POLICY
from saihan.referral.lifecycle import ENDED, NEEDS_CONSENT, REASON_REQUIRED, TRANSITIONS
from saihan.referral.lifecycle import ReferralStatus as S
from saihan.storage import memory

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "referral-lifecycle.md"
ELDERLY = ROOT / "examples" / "cases" / "elderly-man-hachioji.json"
CASE = "example-elderly-man-hachioji"
WELFARE = "hachioji-welfare-office-public-assistance"  # a welfare_office: consented to
HELLO_WORK = "hellowork-hachioji-offender-employment"  # hello_work: not consented to
REFERRAL = f"{CASE}.{WELFARE}.1"
SECRET = "SENSITIVE-reason: the person asked to wait"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class Cli:
    """``saihan ... --store URL``: ``ok`` expects exit 0 and returns the output,
    ``fails`` expects exit 1, nothing on standard output, and returns the error."""

    def __init__(self, capsys: pytest.CaptureFixture[str], url: str) -> None:
        self.capsys = capsys
        self.url = url

    def ok(self, *argv: str) -> str:
        code, out, err = run(self.capsys, *argv, *self._english(argv), "--store", self.url)
        assert code == 0, err
        return out

    @staticmethod
    def _english(argv: tuple[str, ...]) -> tuple[str, ...]:
        """``--lang en`` unless a language is given: these tests read the English words."""
        return () if "--lang" in argv else ("--lang", "en")

    def fails(self, *argv: str) -> str:
        code, out, err = run(self.capsys, *argv, *self._english(argv), "--store", self.url)
        assert code == 1, out
        assert out == ""
        assert err.startswith("error: ")
        return err


def by(actor: str, at: str) -> tuple[str, ...]:
    return ("--actor", actor, "--at", at)


W7 = "worker-7"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite store in tmp_path with the sample directory."""
    monkeypatch.delenv(storage.ENVIRONMENT_VARIABLE, raising=False)
    url = f"sqlite:///{tmp_path}/lifecycle.db"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
    return url


@pytest.fixture
def cli(url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys, url)


@pytest.fixture
def opened(cli: Cli) -> Cli:
    """The store with the elderly man's case opened."""
    cli.ok("case", "open", str(ELDERLY), *by(W7, "2024-11-05T11:00+09:00"))
    return cli


def _case_with_worker(tmp_path: Path, case_id: str, worker: str, municipality: str) -> Path:
    data = json.loads(ELDERLY.read_text(encoding="utf-8"))
    data.update(id=case_id, worker=worker, municipality=municipality)
    path = tmp_path / f"{case_id}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- the whole round trip ----------------------------------------------------------------


def test_a_referral_from_opening_to_closing(cli: Cli) -> None:
    ok, fails = cli.ok, cli.fails
    out = ok("case", "open", str(ELDERLY), *by(W7, "2024-11-05T11:00+09:00"))
    assert out.startswith(f"opened case {CASE} (version ")
    out = ok(
        "referral", "create", CASE, WELFARE, "--need", "welfare", *by(W7, "2024-11-05T11:30+09:00")
    )
    assert out.startswith(f"{REFERRAL}: draft (version ")
    out = ok("referral", "transition", REFERRAL, "requested", *by(W7, "2024-11-05T11:40+09:00"))
    assert out.startswith(f"{REFERRAL}: draft -> requested (version ")

    err = fails("referral", "transition", REFERRAL, "completed", *by(W7, "2024-11-05T12:00+09:00"))
    assert f"referral {REFERRAL!r} cannot go from requested to completed" in err
    assert "allowed from there: accepted, cancelled, entered-in-error, rejected" in err
    assert len(err.strip().splitlines()) == 1

    accept = ("referral", "transition", REFERRAL, "accepted", "--reason", SECRET)
    out = ok(*accept, *by("worker-12", "2024-11-06T10:00+09:00"))
    assert "requested -> accepted" in out
    assert SECRET not in out

    # Six weeks on nothing has been recorded: 20 office days after 6 November is 4 December.
    out = ok("followups", "--at", "2024-12-20T09:00+09:00", "--lang", "ja")
    assert REFERRAL in out
    assert "2024-12-04" in out
    assert "受理から20開庁日、結果なし" in out
    assert "132012 八王子市" in out
    assert out.strip().endswith("2024-12-20T09:00+09:00 時点でフォローアップ 1 件")
    assert "0 follow-ups" in ok("followups", "--at", "2024-12-03T09:00+09:00")  # not due yet

    shown = ok("referral", "show", REFERRAL)
    assert "status       accepted" in shown
    assert f"case         {CASE}" in shown
    assert f"service      {WELFARE}  生活保護の相談・申請" in shown
    assert "requested -> accepted" in shown
    assert "worker-12" in shown
    assert SECRET not in shown
    assert "--show-sensitive shows them" in shown
    sensitive = ok("referral", "show", REFERRAL, "--show-sensitive")
    assert f"[2] reason: {SECRET}" in sensitive
    document = json.loads(ok("referral", "show", REFERRAL, "--format", "json"))
    assert document["status"] == "accepted"
    assert document["withheld"] == ["history[2].reason"]
    assert SECRET not in json.dumps(document)
    document = json.loads(ok("referral", "show", REFERRAL, "--format", "json", "--show-sensitive"))
    assert document["referral"]["history"][2]["reason"] == SECRET

    err = fails("case", "close", CASE, *by(W7, "2024-12-20T10:00+09:00"))
    assert f"cannot be closed while referrals are open: {REFERRAL!r} (accepted)" in err

    out = ok("referral", "follow-up", REFERRAL, *by(W7, "2024-12-20T10:00+09:00"))
    assert "followed up at 2024-12-20T10:00+09:00, still accepted" in out
    assert "0 follow-ups" in ok("followups", "--at", "2024-12-20T11:00+09:00")  # clock restarted
    complete = ("referral", "transition", REFERRAL, "completed", "--outcome", "SENSITIVE: housed")
    assert "accepted -> completed" in ok(*complete, *by(W7, "2024-12-24T15:00+09:00"))
    out = ok("case", "close", CASE, *by(W7, "2024-12-25T09:00+09:00"))
    assert out == f"closed case {CASE} at 2024-12-25T09:00+09:00\n"
    assert "0 follow-ups" in ok("followups", "--at", "2025-03-01T09:00+09:00")
    err = fails("referral", "create", CASE, WELFARE, *by(W7, "2024-12-26T09:00+09:00"))
    assert "closed" in err

    listing = ok("referral", "list", "--case", CASE)
    assert f"{REFERRAL}  {CASE}  {WELFARE}  completed" in listing
    assert listing.endswith("\n1 referral\n")
    assert "0 referrals" in ok("referral", "list", "--open")

    trail = ok("audit")
    assert trail.strip().endswith("7 events")
    for expected in ("created", "status-changed", "followed-up", "closed", "draft -> requested"):
        assert expected in trail
    for expected in ("requested -> accepted", "history[2]", "closed_at", "worker-12"):
        assert expected in trail
    assert "SENSITIVE" not in trail
    events = json.loads(ok("audit", "--record", f"referral:{REFERRAL}", "--format", "json"))
    actions = ["created", "status-changed", "status-changed", "followed-up", "status-changed"]
    assert [e["action"] for e in events["events"]] == actions
    statuses = ["draft", "requested", "accepted", "accepted", "completed"]
    assert [e["status_to"] for e in events["events"]] == statuses
    assert "SENSITIVE" not in json.dumps(events)
    assert ok("audit", "--actor", "worker-12").strip().endswith("\n1 event")
    case_events = ok("audit", "--record", f"case:{CASE}", "--format", "json")
    assert [e["action"] for e in json.loads(case_events)["events"]] == ["created", "closed"]
    # UTC days: the follow-up and the completion; the closing; the first three writes.
    assert "\n2 events" in ok("audit", "--from", "2024-12-20", "--to", "2024-12-24")
    assert "\n1 event" in ok("audit", "--from", "2024-12-25")
    assert "\n3 events" in ok("audit", "--to", "2024-11-05")


def test_requesting_needs_consent_and_withdrawing_it_cancels(opened: Cli, tmp_path: Path) -> None:
    ok, fails = opened.ok, opened.fails
    hello = f"{CASE}.{HELLO_WORK}.1"
    err = fails(
        "referral", "create", CASE, HELLO_WORK, "--request", *by(W7, "2024-11-05T12:00+09:00")
    )
    assert f"case {CASE!r} has no consent in force on 2024-11-05" in err
    assert "'hello_work'" in err
    # A draft sends nothing: it needs no consent.
    assert "draft" in ok("referral", "create", CASE, HELLO_WORK, *by(W7, "2024-11-05T12:00+09:00"))
    err = fails("referral", "transition", hello, "requested", *by(W7, "2024-11-05T12:10+09:00"))
    assert "no consent in force" in err

    consent = tmp_path / "consent.json"
    consent.write_text('{"given_on": "2024-11-06", "agency_kinds": ["hello_work"]}', "utf-8")
    out = ok("case", "consent", CASE, "--give", str(consent), *by(W7, "2024-11-06T09:00+09:00"))
    assert out == f"case {CASE}: consent 1 recorded\n"
    ok("referral", "transition", hello, "requested", *by(W7, "2024-11-06T09:10+09:00"))
    out = ok("referral", "create", CASE, WELFARE, "--request", *by(W7, "2024-11-06T09:20+09:00"))
    assert "requested" in out

    withdraw = ("case", "consent", CASE, "--withdraw", "0", "--on", "2024-11-08")
    out = ok(*withdraw, *by(W7, "2024-11-08T09:00+09:00"))
    assert out.splitlines() == [
        f"case {CASE}: consent 0 withdrawn; 1 referral cancelled",
        f"  {REFERRAL} ({WELFARE})",
    ]
    out = ok("referral", "list", "--status", "cancelled")
    assert REFERRAL in out
    assert HELLO_WORK not in out
    assert "[1] reason: consent withdrawn" in ok("referral", "show", REFERRAL, "--show-sensitive")
    later = by(W7, "2024-11-09T09:00+09:00")
    err = fails("case", "consent", CASE, "--withdraw", "0", *later)
    assert "index: consent 0 was withdrawn on 2024-11-08" in err
    assert "has 2 consents" in fails("case", "consent", CASE, "--withdraw", "5", *later)
    bad = tmp_path / "bad-consent.json"
    bad.write_text('{"given_on": "2024-11-06", "agency_kinds": [], "colour": 1}', "utf-8")
    assert "colour" in fails("case", "consent", CASE, "--give", str(bad), *later)


def test_a_withdrawal_of_a_consent_the_case_lacks_counts_them_in_plain_words(
    opened: Cli,
) -> None:
    err = opened.fails("case", "consent", CASE, "--withdraw", "3", *by(W7, "2024-11-09T09:00"))
    assert f"index: case {CASE!r} has 1 consent\n" in err  # not "1 consents"


def test_at_without_an_offset_is_tokyo_time_as_in_every_command(opened: Cli) -> None:
    opened.ok("referral", "create", CASE, WELFARE, *by(W7, "2024-11-05T11:30"))
    shown = json.loads(opened.ok("referral", "show", REFERRAL, "--format", "json"))
    assert shown["referral"]["history"][0]["at"] == "2024-11-05T11:30:00+09:00"
    opened.ok("referral", "transition", REFERRAL, "requested", *by(W7, "2024-11-05T02:40Z"))
    shown = json.loads(opened.ok("referral", "show", REFERRAL, "--format", "json"))
    assert shown["referral"]["history"][-1]["at"] == "2024-11-05T02:40:00+00:00"  # as given


def test_errors_are_clear_messages_with_exit_code_1(opened: Cli) -> None:
    ok, fails = opened.ok, opened.fails
    err = fails("referral", "create", CASE, WELFARE, *by(W7, "soon"))
    assert "is not an ISO 8601 date-time" in err
    err = fails("referral", "create", "no-such-case", WELFARE, "--actor", W7)
    assert "no case has id 'no-such-case'" in err
    err = fails("referral", "create", CASE, "no-such-service", "--actor", W7)
    assert "no service has id 'no-such-service'" in err
    err = fails("referral", "show", "no-such-referral")
    assert "no referral has id 'no-such-referral'" in err
    ok("referral", "create", CASE, WELFARE, "--request", *by(W7, "2024-11-05T11:30+09:00"))
    ok("referral", "transition", REFERRAL, "accepted", *by(W7, "2024-11-06T10:00+09:00"))
    err = fails("referral", "transition", REFERRAL, "on-hold", *by(W7, "2024-11-07T10:00+09:00"))
    assert "reason: say why the referral is on-hold" in err
    stale = ("referral", "transition", REFERRAL, "in-progress", "--expected-version", "1")
    assert "someone else changed it" in fails(*stale, *by(W7, "2024-11-07T10:00+09:00"))
    err = fails(
        "referral", "transition", REFERRAL, "in-progress", *by(W7, "2024-11-05T10:00+09:00")
    )
    assert "earlier than the referral's last event" in err
    assert CASE in fails("case", "open", str(ELDERLY), "--actor", W7)  # the id is taken
    assert "is not closed" in fails("case", "reopen", CASE, "--actor", W7)
    assert "is not case:ID or referral:ID" in fails("audit", "--record", "plan:x")
    err = fails("case", "consent", CASE, "--give", "x.json", "--on", "2024-11-05", "--actor", W7)
    assert "--on goes with --withdraw" in err
    missing = f"sqlite:///{opened.url[len('sqlite:///') :]}.missing"
    code, _, err = run(opened.capsys, "referral", "list", "--store", missing)
    assert code == 1
    assert "no sqlite store" in err  # never creates a store by mistake
    code, _, err = run(opened.capsys, "referral")
    assert code == 2  # the group's help
    assert "create" in err
    # A bad command line is argparse's exit 2: an unknown status.
    with pytest.raises(SystemExit) as exited:
        main(["referral", "transition", REFERRAL, "nonsense", "--actor", W7])
    assert exited.value.code == 2
    assert "invalid choice: 'nonsense'" in opened.capsys.readouterr().err


def test_without_a_principal_commands_say_how_to_give_one(
    opened: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAIHAN_PRINCIPAL")
    for command in (
        ("referral", "create", CASE, WELFARE, "--actor", W7),
        ("referral", "list"),
        ("case", "close", CASE),
        ("audit",),
        ("followups",),
    ):
        code, _, err = run(opened.capsys, *command, "--store", opened.url)
        assert code == 1, command
        assert "--as" in err, command
        assert "SAIHAN_PRINCIPAL" in err, command
        assert "Traceback" not in err
    code, _, err = run(opened.capsys, "referral", "list", "--store", opened.url, "--as", "w7")
    assert code == 1
    assert "principal: expected WORKER" in err


def test_a_worker_sees_only_their_municipalitys_referrals(opened: Cli) -> None:
    opened.ok("referral", "create", CASE, WELFARE, "--actor", W7, "--at", "2024-11-05T11:30+09:00")
    mine = f"{W7}/132012:municipal-officer"
    other = "worker-9/131041:municipal-officer"
    listed = opened.ok("referral", "list", "--as", mine)
    assert CASE in listed
    assert CASE not in opened.ok("referral", "list", "--as", other)
    err = opened.fails("referral", "create", CASE, WELFARE, "--as", other)
    assert "may not" in err
    events = opened.ok("audit", "--as", "aud-1:auditor", "--format", "json")
    assert "access-denied" in events


def test_reopen_and_the_default_store(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(storage.ENVIRONMENT_VARIABLE, url)
    assert run(capsys, "case", "open", str(ELDERLY), "--actor", "w-1")[0] == 0
    assert run(capsys, "case", "close", CASE, "--actor", "w-1")[0] == 0
    code, out, _ = run(capsys, "case", "reopen", CASE, "--actor", "w-1", "--url", url)
    assert (code, out) == (0, f"ケース {CASE} を再開しました\n")  # Japanese by default
    code, out, _ = run(capsys, "audit", "--format", "json")
    actions = [event["action"] for event in json.loads(out)["events"]]
    assert actions == ["created", "closed", "reopened"]


# -- follow-ups ------------------------------------------------------------------------


def test_followups_filter_group_and_export(cli: Cli, tmp_path: Path) -> None:
    ok, fails = cli.ok, cli.fails
    for case_id, worker, code in [("case-a", W7, "132012"), ("case-b", "worker-12", "131041")]:
        path = _case_with_worker(tmp_path, case_id, worker, code)
        ok("case", "open", str(path), *by(worker, "2024-11-05T11:00+09:00"))
        ok(
            "referral",
            "create",
            case_id,
            WELFARE,
            "--request",
            *by(worker, "2024-11-05T11:30+09:00"),
        )
    accept = ("referral", "transition", f"case-b.{WELFARE}.1", "accepted")
    ok(*accept, *by("worker-12", "2024-11-06T10:00+09:00"))
    soon = ("--at", "2024-11-11T09:00+09:00")  # requested 3 office days before: due

    rows = list(csv.DictReader(io.StringIO(ok("followups", *soon, "--format", "csv"))))
    assert [row["referral_id"] for row in rows] == [f"case-a.{WELFARE}.1"]
    assert rows[0]["due_on"] == "2024-11-08"  # Wed 6, Thu 7, Fri 8
    assert rows[0]["overdue_days"] == "1"
    assert rows[0]["worker"] == W7
    assert rows[0]["description_en"] == "not accepted within 3 business days of the request"

    later = ("--at", "2024-12-20T09:00+09:00")
    data = json.loads(ok("followups", *later, "--format", "json"))
    assert data["count"] == 2
    assert [item["case_id"] for item in data["followups"]] == ["case-a", "case-b"]  # most overdue
    assert data["followups"][0]["overdue_days"] > data["followups"][1]["overdue_days"]

    def cases(*argv: str) -> list[str]:
        data = json.loads(ok("followups", *later, *argv, "--format", "json"))
        return [item["case_id"] for item in data["followups"]]

    assert cases("--municipality", "八王子市") == ["case-a"]
    assert cases("--municipality", "131041") == ["case-b"]
    assert cases("--worker", "worker-12") == ["case-b"]
    groups = json.loads(ok("followups", *later, "--by", "worker", "--format", "json"))["groups"]
    assert [(g["worker"], len(g["followups"])) for g in groups] == [("worker-12", 1), (W7, 1)]
    out = ok("followups", *later, "--by", "municipality", "--lang", "en")
    assert out.index("131041 新宿区: 1 follow-up") < out.index("132012 八王子市: 1 follow-up")
    assert "no outcome 20 business days after acceptance" in out
    assert out.strip().endswith("2 follow-ups at 2024-12-20T09:00+09:00")
    out = ok("followups", *soon, "--overdue", "--by", "worker")
    assert "worker-7: 1 overdue follow-up" in out
    assert "worker-12" not in out
    assert "is not an ISO 8601 date-time" in fails("followups", "--at", "2024-12-32")
    assert "atlantis" in fails("followups", *later, "--municipality", "atlantis")


# -- small pieces ------------------------------------------------------------------------


def test_parse_at_reads_an_offset_or_tokyo_time() -> None:
    assert parse_at(None) is None
    moment = parse_at("2024-11-05T10:30+09:00")
    assert moment is not None
    assert moment.utcoffset() == dt.timedelta(hours=9)
    assert parse_at("2024-11-05T01:30Z") == moment
    assert parse_at("2024-11-05T10:30") == moment  # no offset: Tokyo, not the machine's zone
    assert parse_at("2024-11-05") == parse_at("2024-11-05T00:00+09:00")
    with pytest.raises(ValidationError) as raised:
        parse_at("soon")
    assert raised.value.paths == ["at"]


# -- the guide says what the code does ----------------------------------------------------


def _table(heading: str) -> list[list[str]]:
    """The rows of the first table after ``heading``, as lists of cells."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index(f"\n## {heading}\n") :]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| "))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_the_guide_transition_table_is_transitions() -> None:
    rows = _table("Transitions")
    table = {S(_names(row[0])[0]): frozenset(S(name) for name in _names(row[1])) for row in rows}
    assert table == dict(TRANSITIONS)
    assert [_names(row[0])[0] for row in rows] == [status.value for status in S]
    for row in rows:  # in the order of the enum, so that the doc reads the same each time
        order = [status.value for status in S]
        assert _names(row[1]) == sorted(_names(row[1]), key=order.index)


def test_the_guide_status_table_matches_the_constants() -> None:
    rows = _table("Statuses")
    assert [_names(row[0])[0] for row in rows] == [status.value for status in S]
    for row in rows:
        status = S(_names(row[0])[0])
        assert (row[2] == "yes") == (status in NEEDS_CONSENT), status
        assert (row[3] == "yes") == (status in REASON_REQUIRED), status
        assert (row[4] == "yes") == (status in ENDED), status


def test_the_guide_policy_table_is_the_default_policy() -> None:
    rows = _table("Follow-up")
    documented = {(_names(r[0])[0], int(r[1]), _names(r[2])[0]) for r in rows}
    actual = {
        (rule.status.value, rule.business_days, (rule.counted_from or rule.status).value)
        for rule in DEFAULT_POLICY.rules
    }
    assert documented == actual


def test_the_guide_example_runs_and_prints_what_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 2  # the worked example, then the state machine on a store
    monkeypatch.chdir(ROOT)
    printed = io.StringIO()
    namespace: dict[str, Any] = {}
    with contextlib.redirect_stdout(printed):
        exec(blocks[0], namespace)
    lines = printed.getvalue().splitlines()
    assert len(lines) == 7
    for line in lines:
        assert f"# {line}" in blocks[0], line
    assert namespace["closed"].closed_at is not None


def test_the_guides_state_machine_block_runs_on_a_store() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    block = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)[1]
    assert 'storage.open("mybackend://test-store", principal=Principal.system())' in block
    namespace: dict[str, Any] = {}
    exec(block.replace("mybackend://test-store", "memory://guide-lifecycle"), namespace)
    test_case = namespace["TestLifecycle"]
    test_case.settings = settings(max_examples=2, stateful_step_count=10, deadline=None)
    try:
        test_case("runTest").runTest()
    finally:
        memory.forget("guide-lifecycle")


def test_the_guide_lists_every_command_it_documents() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = ["case open", "case close", "case consent", "saihan followups", "saihan audit"]
    actions = ["create", "transition", "follow-up", "show", "list"]
    for command in commands + [f"referral {action}" for action in actions]:
        assert command in text, command
        assert command in cli, command
    assert "referral-lifecycle.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "referral-lifecycle.md" in (ROOT / "docs" / "architecture.md").read_text("utf-8")

"""Referrals as the SDOH Clinical Care IG's Task + ServiceRequest + Consent: status mapping,
the who-may-set-which-status rule, round trips, minimum necessary, the store and the CLI."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _fhir_validation import validate_bundle
from hypothesis import given
from hypothesis import strategies as st
from saihan_fhir import (
    IG_STATUSES,
    SET_BY,
    WITHHELD_REASON,
    FhirReferralExporter,
    FhirReferralImporter,
    Party,
    export_referral,
    from_task_status,
    import_referral,
    read_referral_bundle,
    referral_bundle,
    to_task_status,
)

from saihan import plugins, storage
from saihan.access import Principal, Role
from saihan.casework import workflow
from saihan.cli import main
from saihan.directory import sample_directory
from saihan.errors import AccessDenied, ConflictError, ValidationError
from saihan.referral.audit import AuditAction
from saihan.referral.io import load_case
from saihan.referral.lifecycle import EventKind, Referral, ReferralStatus
from saihan.storage import Store
from saihan.testing import lifecycle_strategies

ROOT = Path(__file__).resolve().parents[3]
ELDERLY = ROOT / "examples" / "cases" / "elderly-man-hachioji.json"
CASE = "example-elderly-man-hachioji"
WELFARE = "hachioji-welfare-office-public-assistance"
REFERRAL = f"{CASE}.{WELFARE}.1"
SECRET = "SENSITIVE-reason: the person asked to wait"
OUTCOME = "SENSITIVE-outcome: he found a room"
OFFICER = Principal(
    id="officer-1",
    organisation="org-hachioji",
    municipalities=frozenset({"132012"}),
    roles=frozenset({Role.MUNICIPAL_OFFICER}),
)
TASK_STATUSES = [*IG_STATUSES, "ready", "received"]


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2024, 11, day, hour, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def _new_store(url: str) -> None:
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
        workflow.open_case(store, load_case(ELDERLY), actor="worker-7", at=at(5, 11))


def _work(store: Store, *, until: int = 99) -> None:
    """The referral's life: made and requested, accepted by the service, support,
    a pause with a reason, a follow-up with an outcome, completed."""
    steps: list[Callable[[], Referral]] = [
        lambda: workflow.create_referral(
            store, CASE, WELFARE, actor="worker-7", at=at(5, 12), request=True, need="welfare"
        ),
        lambda: workflow.transition_referral(
            store, REFERRAL, "accepted", actor="worker-12", at=at(6)
        ),
        lambda: workflow.transition_referral(
            store, REFERRAL, "in-progress", actor="worker-12", at=at(7)
        ),
        lambda: workflow.transition_referral(
            store, REFERRAL, "on-hold", actor="worker-12", at=at(8), reason=SECRET
        ),
        lambda: workflow.follow_up(store, REFERRAL, actor="worker-7", at=at(9), outcome=OUTCOME),
        lambda: workflow.transition_referral(
            store, REFERRAL, "in-progress", actor="worker-12", at=at(11)
        ),
        lambda: workflow.transition_referral(
            store, REFERRAL, "completed", actor="worker-12", at=at(12), outcome=OUTCOME
        ),
    ]
    for step in steps[:until]:
        step()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite store with the sample directory, the elderly man's case and his referral."""
    monkeypatch.delenv(storage.ENVIRONMENT_VARIABLE, raising=False)
    url = f"sqlite:///{tmp_path}/fhir-a.db"
    _new_store(url)
    with storage.open(url, principal=Principal.system()) as store:
        _work(store)
    return url


@pytest.fixture
def other(tmp_path: Path) -> str:
    """A second store: the same directory and case, no referral yet."""
    url = f"sqlite:///{tmp_path}/fhir-b.db"
    _new_store(url)
    return url


def _stored(url: str) -> Referral:
    with storage.open(url, principal=Principal.system()) as store:
        return store.referrals.get(REFERRAL).value


def _entries(bundle: dict[str, Any], kind: str) -> list[tuple[int, dict[str, Any]]]:
    return [
        (index, entry["resource"])
        for index, entry in enumerate(bundle["entry"])
        if entry["resource"]["resourceType"] == kind
    ]


# -- the status mapping ------------------------------------------------------------------


@given(st.sampled_from(list(ReferralStatus)))
def test_every_saihan_status_maps_to_an_ig_task_status_and_back(status: ReferralStatus) -> None:
    code = to_task_status(status)
    assert code in IG_STATUSES
    assert from_task_status(code, "status") is status


@given(st.sampled_from(TASK_STATUSES) | st.text(max_size=12))
def test_every_task_status_maps_back_or_is_refused_at_its_path(code: str) -> None:
    if code in IG_STATUSES:
        assert to_task_status(from_task_status(code, "status")) == code
        return
    with pytest.raises(ValidationError) as raised:
        from_task_status(code, "entry[3].resource.status")
    assert raised.value.errors[0].path == "entry[3].resource.status"
    assert "Task.status" in raised.value.errors[0].message


def test_the_set_by_table_is_the_igs() -> None:
    """SDOHCC Task For Referral Management, "Status Management": the "Set By" column."""
    assert set(SET_BY) == set(ReferralStatus)
    requester = {s.value for s, who in SET_BY.items() if who == {Party.REQUESTER}}
    performer = {s.value for s, who in SET_BY.items() if who == {Party.PERFORMER}}
    either = {s.value for s, who in SET_BY.items() if who == {Party.REQUESTER, Party.PERFORMER}}
    assert requester == {"draft", "requested", "entered-in-error"}
    assert performer == {"accepted", "rejected", "in-progress", "on-hold", "failed", "completed"}
    assert either == {"cancelled"}


# -- round trips ---------------------------------------------------------------------------


@given(lifecycle_strategies.referrals(max_events=8))
def test_export_then_import_gives_the_same_referral(referral: Referral) -> None:
    bundle = referral_bundle(referral, include_reasons=True)
    kinds = validate_bundle(bundle)
    assert kinds.count("Task") == kinds.count("Provenance") == len(referral.history)
    assert read_referral_bundle(json.loads(json.dumps(bundle))).referral == referral


@given(lifecycle_strategies.referrals(max_events=8))
def test_without_reasons_the_status_history_survives_and_the_words_do_not(
    referral: Referral,
) -> None:
    bundle = referral_bundle(referral)
    validate_bundle(bundle)
    back = read_referral_bundle(bundle).referral
    assert [(e.at, e.actor, e.status, e.previous, e.kind) for e in back.history] == [
        (e.at, e.actor, e.status, e.previous, e.kind) for e in referral.history
    ]
    for before, after in zip(referral.history, back.history, strict=True):
        assert after.reason == (None if before.reason is None else WITHHELD_REASON)
        assert after.outcome is None
    text = json.dumps(bundle, ensure_ascii=False)
    for event in referral.history:
        for words in (event.reason, event.outcome):
            if words is not None and len(words) > 3 and words not in WITHHELD_REASON:
                assert json.dumps(words, ensure_ascii=False) not in text


# -- the IG's rule on who sets which status, and other refusals ------------------------------


def _work_bundle(url: str) -> dict[str, Any]:
    return referral_bundle(_stored(url), include_reasons=True)


def _version(bundle: dict[str, Any], status: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The first Task version with ``status``, its entry index and its Provenance."""
    index, task = next((i, r) for i, r in _entries(bundle, "Task") if r["status"] == status)
    target = f"Task/{task['id']}/_history/{task['meta']['versionId']}"
    provenance = next(
        r for _, r in _entries(bundle, "Provenance") if r["target"][0]["reference"] == target
    )
    return index, task, provenance


def test_a_performer_status_made_by_the_requester_is_refused_naming_task_status(
    url: str, other: str
) -> None:
    bundle = _work_bundle(url)
    index, task, provenance = _version(bundle, "accepted")
    provenance["agent"][0]["onBehalfOf"] = task["requester"]
    data = json.dumps(bundle).encode()
    with pytest.raises(ValidationError) as raised:
        FhirReferralImporter().load(data)
    (item,) = raised.value.errors
    assert item.path == f"entry[{index}].resource.status"
    assert "Task.status 'accepted' may be set only by the performer" in item.message
    assert "on behalf of the requester" in item.message
    with storage.open(other, principal=Principal.system()) as store:
        with pytest.raises(ValidationError):  # and nothing is written
            import_referral(store, data)
        assert store.referrals.find(REFERRAL) is None


def test_a_requester_status_made_by_the_performer_is_refused(url: str) -> None:
    bundle = _work_bundle(url)
    index, task, provenance = _version(bundle, "requested")
    provenance["agent"][0]["onBehalfOf"] = task["owner"]
    with pytest.raises(ValidationError) as raised:
        read_referral_bundle(bundle)
    assert raised.value.errors[0].path == f"entry[{index}].resource.status"
    assert "only by the requester" in raised.value.errors[0].message


def test_cancelled_may_come_from_either_side() -> None:
    referral = workflow_free_referral(ReferralStatus.CANCELLED)
    bundle = referral_bundle(referral)
    _, task, provenance = _version(bundle, "cancelled")
    for side in (task["requester"], task["owner"]):
        provenance["agent"][0]["onBehalfOf"] = side
        assert read_referral_bundle(bundle).referral.status is ReferralStatus.CANCELLED


def workflow_free_referral(last: ReferralStatus) -> Referral:
    from saihan.referral.lifecycle import ReferralEvent

    return Referral(
        id="r-1",
        case_id="case-1",
        service_id="svc-1",
        agency_id="agency-1",
        agency_kind="welfare_office",
        history=(
            ReferralEvent(at=at(5), actor="worker-7", status=ReferralStatus.DRAFT),
            ReferralEvent(
                at=at(6),
                actor="worker-7",
                status=last,
                previous=ReferralStatus.DRAFT,
                reason="withdrawn by the referrer",
            ),
        ),
    )


@pytest.mark.parametrize("code", ["ready", "received", "planned"])
def test_task_statuses_outside_the_igs_value_set_are_refused(url: str, code: str) -> None:
    bundle = _work_bundle(url)
    index, task, _ = _version(bundle, "accepted")
    task["status"] = code
    with pytest.raises(ValidationError) as raised:
        read_referral_bundle(bundle)
    assert raised.value.errors[0].path == f"entry[{index}].resource.status"


@pytest.mark.parametrize(
    ("field", "value", "path_end"),
    [
        ("intent", "plan", "intent"),
        ("code", {"text": "something else"}, "code"),
        ("for", {"display": "a name"}, "for"),
    ],
)
def test_the_igs_fixed_and_required_elements_are_checked(
    url: str, field: str, value: Any, path_end: str
) -> None:
    bundle = _work_bundle(url)
    index, task = _entries(bundle, "Task")[-1]
    task[field] = value
    with pytest.raises(ValidationError) as raised:
        read_referral_bundle(bundle)
    assert raised.value.errors[0].path == f"entry[{index}].resource.{path_end}"


def test_a_history_saihan_refuses_is_reported_at_the_task_version(url: str) -> None:
    bundle = _work_bundle(url)
    tasks = _entries(bundle, "Task")
    index, task = tasks[-1]
    task["status"] = "accepted"  # completed -> accepted: no such transition
    with pytest.raises(ValidationError) as raised:
        read_referral_bundle(bundle)
    assert raised.value.errors[0].path == f"entry[{index}].resource.status"


def test_a_bundle_that_is_not_a_referral_is_refused() -> None:
    importer = FhirReferralImporter()
    for data, path in [
        (b'{"resourceType": "Patient"}', "resourceType"),
        (b'{"resourceType": "Bundle", "type": "searchset", "entry": []}', "type"),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": []}', "entry"),
        (b"[1, 2", ""),
    ]:
        with pytest.raises(ValidationError) as raised:
            importer.load(data)
        assert raised.value.errors[0].path == path
    with pytest.raises(ValidationError):
        importer.load_with_report(b"{}", lenient=True)


# -- minimum necessary, through the store as a principal -------------------------------------


def test_export_through_the_store_is_audited_and_carries_no_case_field(url: str) -> None:
    with storage.open(url, principal=OFFICER) as store:
        data = export_referral(store, REFERRAL)
    text = data.decode("utf-8")
    bundle = json.loads(text)
    assert validate_bundle(bundle).count("Consent") == 0
    case = load_case(ELDERLY)
    for secret in (SECRET, OUTCOME, case.summary, "net cafe"):
        assert secret is None or secret not in text
    (_, task) = _entries(bundle, "Task")[-1]
    assert task["for"] == {
        "type": "Patient",
        "identifier": {"system": "urn:saihan:case", "value": CASE},
    }
    with storage.open(url, principal=Principal.system()) as store:
        reads = [
            e for e in store.audit.for_record("referral", REFERRAL) if e.action is AuditAction.READ
        ]
        case_reads = [
            e for e in store.audit.for_record("case", CASE) if e.action is AuditAction.READ
        ]
    assert [e.actor for e in reads] == ["officer-1"]
    assert case_reads == []  # the case was not read: its consent was not asked for


def test_reasons_and_consent_only_when_asked(url: str) -> None:
    with storage.open(url, principal=OFFICER) as store:
        data = export_referral(store, REFERRAL, include_reasons=True, include_consent=True)
    bundle = json.loads(data)
    kinds = validate_bundle(bundle)
    assert kinds.count("Consent") == 1
    assert SECRET in data.decode()
    assert OUTCOME in data.decode()
    found = read_referral_bundle(bundle)
    case = load_case(ELDERLY)
    assert found.consent is not None
    assert found.consent in case.consents
    (_, consent) = _entries(bundle, "Consent")[0]
    assert consent["organization"][0]["identifier"]["value"] == "org-hachioji"
    (_, request) = _entries(bundle, "ServiceRequest")[0]
    assert request["supportingInfo"] == [{"reference": bundle["entry"][1]["fullUrl"]}]
    with storage.open(url, principal=Principal.system()) as store:
        case_reads = [
            e for e in store.audit.for_record("case", CASE) if e.action is AuditAction.READ
        ]
    assert [e.actor for e in case_reads] == ["officer-1"]


def test_no_principal_no_export(url: str) -> None:
    with storage.open(url) as store, pytest.raises(AccessDenied):
        export_referral(store, REFERRAL)
    outsider = Principal(
        id="worker-9",
        organisation="org-elsewhere",
        municipalities=frozenset({"131016"}),
        roles=frozenset({Role.DESK_WORKER}),
    )
    with storage.open(url, principal=outsider) as store, pytest.raises(AccessDenied):
        export_referral(store, REFERRAL)


def test_round_trip_through_two_stores_keeps_the_status_history(url: str, other: str) -> None:
    with storage.open(url, principal=OFFICER) as store:
        data = export_referral(store, REFERRAL, include_reasons=True)
    with storage.open(other, principal=Principal.system()) as store:
        item, found = import_referral(store, data)
    assert item.value == _stored(url)
    assert [e.status for e in item.value.history] == [
        ReferralStatus.REQUESTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.ON_HOLD,
        ReferralStatus.ON_HOLD,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.COMPLETED,
    ]
    assert item.value.history[4].kind is EventKind.FOLLOW_UP
    assert found.report.loaded == {"referral": 1, "task-version": 7, "consent": 0}


def test_an_update_from_the_other_side_extends_the_stored_history(
    tmp_path: Path, other: str
) -> None:
    first = f"sqlite:///{tmp_path}/fhir-c.db"
    _new_store(first)
    with storage.open(first, principal=Principal.system()) as store:
        _work(store, until=2)
        early = export_referral(store, REFERRAL)
    with storage.open(other, principal=Principal.system()) as store:
        version = import_referral(store, early)[0].version
        assert import_referral(store, early)[0].version == version  # the same: nothing new
    with storage.open(first, principal=Principal.system()) as store:
        workflow.transition_referral(store, REFERRAL, "in-progress", actor="worker-12", at=at(7))
        later = export_referral(store, REFERRAL)
    with storage.open(other, principal=Principal.system()) as store:
        item, _ = import_referral(store, later)
        assert item.version > version
        assert item.value.status is ReferralStatus.IN_PROGRESS
        assert len(item.value.history) == 3
        with pytest.raises(ConflictError):
            import_referral(store, early)
        assert store.referrals.get(REFERRAL).version == item.version


def test_a_rewritten_history_is_refused_by_the_store(url: str, other: str) -> None:
    with storage.open(url, principal=Principal.system()) as store:
        data = export_referral(store, REFERRAL)
    with storage.open(other, principal=Principal.system()) as store:
        import_referral(store, data)
    bundle = json.loads(data)
    changed = copy.deepcopy(bundle)
    _, provenance = _entries(changed, "Provenance")[0]
    provenance["agent"][0]["who"]["identifier"]["value"] = "someone-else"
    with storage.open(other, principal=Principal.system()) as store:
        with pytest.raises(ValidationError) as raised:
            import_referral(store, json.dumps(changed).encode())
        assert raised.value.errors[0].path == "history"
        assert store.referrals.get(REFERRAL).value.history[0].actor == "worker-7"


def test_the_plugins_are_found_by_entry_point() -> None:
    assert isinstance(plugins.exporter("fhir-referral", for_type=Referral), FhirReferralExporter)
    assert isinstance(plugins.importer("fhir-referral", for_type=Referral), FhirReferralImporter)
    exporter = FhirReferralExporter()
    with pytest.raises(ValidationError) as raised:
        exporter.export(workflow_free_referral(ReferralStatus.CANCELLED), show_everything=True)
    assert raised.value.errors[0].path == "show_everything"


# -- the command line ------------------------------------------------------------------------


def test_saihan_referral_export_and_import_format_fhir(
    url: str, other: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "referral.fhir.json"
    code = main(
        ["referral", "export", REFERRAL, "--format", "fhir", "-o", str(target), "--store", url,
         "--as", "officer-1@org-hachioji/132012:municipal-officer"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert SECRET not in target.read_text(encoding="utf-8")
    validate_bundle(json.loads(target.read_text(encoding="utf-8")))
    capsys.readouterr()
    imported = ["referral", "import", str(target), "--format", "fhir", "--store", other]
    assert main([*imported, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{REFERRAL}: 7 events, completed (version ")
    assert main(["referral", "export", REFERRAL, "--store", other, "--include-reasons"]) == 0
    assert WITHHELD_REASON in capsys.readouterr().out  # the words never left the first store


def test_saihan_referral_export_needs_a_principal_and_a_plugin(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SAIHAN_PRINCIPAL")
    assert main(["referral", "export", REFERRAL, "--store", url]) == 1
    err = capsys.readouterr().err
    assert "principal" in err
    assert "--as" in err
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    assert main(["referral", "export", REFERRAL, "--store", url, "--format", "hsds"]) == 1
    assert "no exporter of referrals is called 'hsds'" in capsys.readouterr().err


def test_docs_status_table_is_the_code() -> None:
    """docs/fhir.md's status table says what to_task_status, SET_BY and the export do."""
    from saihan_fhir.codes import exporting_party

    text = (ROOT / "docs" / "fhir.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if (
            len(cells) == 4
            and cells[0].startswith("`")
            and cells[0].strip("`") in list(ReferralStatus)
        ):
            rows[ReferralStatus(cells[0].strip("`"))] = cells[1:]
    assert set(rows) == set(ReferralStatus)
    words = {Party.REQUESTER: "requester", Party.PERFORMER: "performer"}
    for status, (code, set_by, recorded) in rows.items():
        assert code.strip("`") == to_task_status(status)
        allowed = SET_BY[status]
        assert set_by == ("either" if len(allowed) == 2 else words[next(iter(allowed))])
        assert recorded == words[exporting_party(status)]

"""A Hypothesis state machine that checks the referral lifecycle on your own store.

:class:`ReferralLifecycleMachine` opens cases (with and without consent),
makes referrals (draft or requested at once), moves them through
:data:`~saihan.referral.lifecycle.TRANSITIONS` (illegal moves included),
follows them up, gives and withdraws consent, edits, closes and reopens
cases, and lets days pass, all through :mod:`saihan.casework`.
It keeps its own model of what each operation should do (independent of
the code under test) and after every step checks that:

- the store holds exactly the cases and referrals of the model, and an
  operation the model expects to fail raised the expected error and
  changed nothing (the stored records and the number of audit events);
- an illegal transition raised :class:`~saihan.errors.IllegalTransitionError`
  naming both statuses;
- no referral ever left an ended status;
- every event that entered a status handing the person's information on
  (requested, accepted, in-progress, on-hold) was covered by a consent of
  the case on its day; a withdrawal cancelled the open referrals it left
  without the cover they had (the rest stay covered as long as before);
- the audit trail is complete: exactly one event per successful write of a
  case or a referral, in order, with the actor and time given, the action,
  statuses and version written, and never a value of the case (no summary,
  name, note, reason or outcome the machine used appears in any event);
- a case is closed only when all its referrals have ended;
- every follow-up due (:func:`~saihan.referral.followup.due_followups`) is of
  an open referral, due on a business day of the calendar days are counted
  on, by today; a referral past its policy's time is listed, due on the
  day the model computes.

Run it against your backend with :func:`lifecycle_machine`::

    from hypothesis import settings
    from saihan import storage
    from saihan.testing.lifecycle import lifecycle_machine

    Lifecycle = lifecycle_machine(lambda: storage.open("mybackend://..."))
    TestLifecycle = Lifecycle.TestCase
    TestLifecycle.settings = settings(max_examples=20, stateful_step_count=30, deadline=None)

or subclass :class:`ReferralLifecycleMachine` and override :meth:`make_store`.
Give it a store meant for tests: each run imports a small directory into it
when the machine's services are missing (replacing the stored directory).
Runs may share one store: each uses case ids of its own, and reads the
audit events written after it started, so nothing else may write to the
store while it runs.  Requires Hypothesis (``saihan[test]``).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from saihan.access import Principal, Role
from saihan.casework import due_followups as _due_followups
from saihan.casework import workflow
from saihan.directory import (
    Audience,
    Channel,
    Directory,
    LocalizedText,
    Service,
    ServiceArea,
)
from saihan.directory.vocabulary import ConsentDecision, LegalSituation
from saihan.errors import (
    AccessDenied,
    ConflictError,
    ConsentError,
    ConsentRefusedError,
    IllegalTransitionError,
    NotFoundError,
    SaihanError,
    ValidationError,
)
from saihan.referral.audit import AuditAction, AuditEvent
from saihan.referral.case import Consent, ConsultationCase, RaisedNeed, Subject
from saihan.referral.followup import DEFAULT_POLICY, OFFICE_CALENDAR, FollowUpReason
from saihan.referral.lifecycle import (
    REASON_REQUIRED,
    TRANSITIONS,
    EventKind,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from saihan.schedule import YEAR_END_CLOSURE, BusinessCalendar, Weekday, WeeklyHours
from saihan.serialization import to_json
from saihan.storage import Store, Versioned

__all__ = [
    "LIFECYCLE_SECRETS",
    "ReferralLifecycleMachine",
    "lifecycle_directory",
    "lifecycle_machine",
]

_JST = dt.timezone(dt.timedelta(hours=9))
_TOKYO = ZoneInfo("Asia/Tokyo")
_S = ReferralStatus

LIFECYCLE_SECRETS: tuple[str, ...] = (
    "極秘: 山田花子さんの相談 (lc-secret-1)",
    "覚醒剤の再使用が心配 lc-secret-2",
    "secret outcome lc-secret-3: moved to the shelter",
    "'; DROP TABLE saihan_records; -- lc-secret-4",
    "入院中のため保留 lc-secret-5",
    "面談で本人が拒否した lc-secret-6",
)
"""What the machine writes in summaries, names, notes, reasons and outcomes:
none of it may appear in an audit event."""

_ACTORS = ("worker-1", "worker-2", "desk.3")
_MUNICIPALITIES = ("132012", "131041")
_AGENCIES = ("hachioji-welfare", "hw-shinjuku", "halfway", "pantry")
_KINDS = ("welfare_office", "hello_work", "rehabilitation_facility", "community-pantry")
_DESK = "desk-line"
_OFFICERS = {
    code: Principal(id=f"officer-{code}", municipalities={code}, roles={Role.MUNICIPAL_OFFICER})
    for code in _MUNICIPALITIES
}
"""One officer per municipality: the machine checks what each may see and do."""

DESK_CALENDAR = BusinessCalendar(
    weekly=(
        WeeklyHours(
            days=frozenset({Weekday.TU, Weekday.TH, Weekday.SA}),
            opens=dt.time(9),
            closes=dt.time(17),
        ),
    ),
    annual_closures=(YEAR_END_CLOSURE,),
    note=LocalizedText(ja="火・木・土 9時〜17時", en="Tue, Thu, Sat 9:00-17:00"),
)
"""The referring desk's calendar (Tuesday, Thursday, Saturday, as Tokyo's
consultation desk): follow-up days of referrals it made count on it."""


def lifecycle_directory() -> Directory:
    """The directory the machine works with: :func:`saihan.testing.storage.small_directory`
    and a consultation desk (``desk-line``) open on Tuesdays, Thursdays and Saturdays."""
    from saihan.testing.storage import small_directory

    base = small_directory("lifecycle")
    desk = Service(
        id=_DESK,
        agency_id="hachioji-welfare",
        name=LocalizedText(ja="犯罪お悩みなんでも相談", en="Any worry about crime"),
        area=ServiceArea.tokyo(),
        needs=frozenset({"welfare"}),
        audiences=frozenset({Audience.PERSON, Audience.FAMILY}),
        hours=DESK_CALENDAR,
    )
    return Directory(
        agencies=base.agencies,
        services=(*base.services, desk),
        meta=base.meta,
        needs=base.needs,
        agency_kinds=base.agency_kinds,
    )


@attrs.frozen
class _Audit:
    """An audit event the model expects."""

    record_kind: str
    record_id: str
    action: AuditAction
    status_from: str | None = None
    status_to: str | None = None
    path: str | None = None  # a path ``changed`` must list
    actor: str | None = None  # filled in by _attempt


def _covers(consent: Consent, agency: str, kind: str, day: dt.date, *, lenient: bool) -> bool:
    """The model's own reading of a consent.  ``lenient`` counts the day of a
    withdrawal as covered (an event earlier that day came before it) and
    ignores withdrawals after ``day``.  A refusal covers nothing."""
    if consent.refused:
        return False
    if agency not in consent.agency_ids and kind not in consent.agency_kinds:
        return False
    if day < consent.given_on or (consent.until is not None and day > consent.until):
        return False
    if consent.withdrawn_on is None:
        return True
    return day <= consent.withdrawn_on if lenient else day < consent.withdrawn_on


def _covered(
    case: ConsultationCase, agency: str, kind: str, day: dt.date, *, lenient: bool = False
) -> bool:
    return any(_covers(c, agency, kind, day, lenient=lenient) for c in case.consents)


def _refused(case: ConsultationCase, agency: str, kind: str, day: dt.date) -> bool:
    """The model's reading of a refusal: asked by ``day``, said no, and no consent
    covers the agency on ``day``."""
    return not _covered(case, agency, kind, day) and any(
        c.refused and c.given_on <= day and (agency in c.agency_ids or kind in c.agency_kinds)
        for c in case.consents
    )


def _clashes(refusal: Consent, consents: Iterable[Consent]) -> bool:
    """True when a given consent names one of ``refusal``'s agencies or kinds and is in
    force on its day (a case refuses that: withdraw first)."""
    return any(
        not c.refused
        and _covers_day(c, refusal.given_on)
        and bool((c.agency_ids & refusal.agency_ids) | (c.agency_kinds & refusal.agency_kinds))
        for c in consents
    )


def _covers_day(consent: Consent, day: dt.date) -> bool:
    if day < consent.given_on or (consent.until is not None and day > consent.until):
        return False
    return consent.withdrawn_on is None or day < consent.withdrawn_on


def _within(path: str, changed: str) -> bool:
    """True when ``changed`` is ``path`` or a field or item holding it."""
    return path == changed or path.startswith((f"{changed}.", f"{changed}["))


def _loses_cover(old: ConsultationCase, new: ConsultationCase, referral: Referral) -> bool:
    """True when ``new`` leaves the referral without cover on a day, from its last
    event on, that ``old`` covered (cover only changes where a consent starts, ends
    or is withdrawn)."""
    start = new.local_day(referral.updated_at)
    edges = {start}
    for consent in (*old.consents, *new.consents):
        edges.update({consent.given_on, consent.given_on + dt.timedelta(days=1)})
        if consent.until is not None:
            edges.add(consent.until + dt.timedelta(days=1))
        if consent.withdrawn_on is not None:
            edges.add(consent.withdrawn_on)
    agency, kind = referral.agency_id, referral.agency_kind
    return any(
        _covered(old, agency, kind, day) and not _covered(new, agency, kind, day)
        for day in edges
        if day >= start
    )


def _entered(referral: Referral, status: ReferralStatus) -> dt.datetime | None:
    found = None
    for event in referral.history:
        if event.kind is EventKind.TRANSITION and event.status is status:
            found = event.at
    return found


def _policy_start(referral: Referral) -> dt.datetime | None:
    """When the default policy's clock started for ``referral`` (the model's reading)."""
    rule = DEFAULT_POLICY.rule_for(referral.status)
    if rule is None:
        return None
    start = None if rule.counted_from is None else _entered(referral, rule.counted_from)
    if start is None:
        start = _entered(referral, referral.status)
    if start is None:
        return None
    for event in referral.history:
        restarts = event.kind is EventKind.FOLLOW_UP or (
            event.previous is _S.ON_HOLD and event.status is not _S.ON_HOLD
        )
        if restarts and event.at > start:
            start = event.at
    return start


class ReferralLifecycleMachine(RuleBasedStateMachine):
    """Random work on cases and referrals in a store, checked against a model.

    Override :meth:`make_store` (a new handle on the store under test for each
    run; the machine closes it in :meth:`teardown`) or use
    :func:`lifecycle_machine`.  See the module's documentation for what it checks.
    """

    #: The earliest moment a run starts at; each run starts within 400 days of it.
    start: ClassVar[dt.datetime] = dt.datetime(2024, 11, 5, 9, 30, tzinfo=_JST)

    def make_store(self) -> Store:
        """A store to run on: override this."""
        raise NotImplementedError("override make_store() or use lifecycle_machine()")

    def __init__(self) -> None:
        super().__init__()
        self.directory = lifecycle_directory()
        self.store = self.make_store()
        missing = [s.id for s in self.directory.services if s.id not in self.store.services]
        if missing:
            self.store.import_directory(self.directory)
        self.services = {service.id: service for service in self.directory.services}
        self.agencies = {agency.id: agency for agency in self.directory.agencies}
        self.run = f"lc{uuid.uuid4().hex[:10]}"
        self.clock = self.start
        self.cases: dict[str, ConsultationCase] = {}
        self.referrals: dict[str, Referral] = {}
        self.pending: list[_Audit] = []
        self.last_error: SaihanError | None = None
        events = self.store.audit.list()
        self.audit_seen: str | None = events[-1].id if events else None
        self.audit_count = len(events)

    def teardown(self) -> None:
        self.store.close()

    # -- helpers ------------------------------------------------------------------
    @property
    def today(self) -> dt.date:
        return self.clock.astimezone(_TOKYO).date()

    def _case_referrals(self, case_id: str) -> list[Referral]:
        return sorted(
            (r for r in self.referrals.values() if r.case_id == case_id), key=lambda r: r.id
        )

    def _snapshot(self) -> tuple[Any, ...]:
        cases = {id: self.store.cases.find(id) for id in sorted(self.cases)}
        referrals = {id: self.store.referrals.for_case(id) for id in sorted(self.cases)}
        return cases, referrals, self.store.audit.count()

    def _attempt(
        self,
        call: Callable[[], object],
        error: type[SaihanError] | None,
        audits: Iterable[_Audit] = (),
        *,
        actor: str,
        names: Iterable[str] = (),
    ) -> None:
        """Run ``call``; it must raise ``error`` (changing nothing) or succeed (when
        ``error`` is None), writing the audit events ``audits`` as ``actor``."""
        if error is None:
            call()
            self.pending.extend(attrs.evolve(audit, actor=actor) for audit in audits)
            return
        before = self._snapshot()
        raised: SaihanError | None = None
        try:
            call()
        except SaihanError as caught:
            raised = caught
        self.last_error = raised
        if raised is None:
            raise AssertionError(f"expected {error.__name__}, but the operation succeeded")
        assert isinstance(raised, error), (
            f"expected {error.__name__}, got {type(raised).__name__}: {raised}"
        )
        for name in names:
            assert name in str(raised), f"{name!r} not named in {raised}"
        assert self._snapshot() == before, "a failed operation changed the store"

    def _pick(self, data: st.DataObject, values: Iterable[str], label: str) -> str:
        return data.draw(st.sampled_from(sorted(values)), label=label)

    # -- rules: cases ---------------------------------------------------------------
    @precondition(lambda self: len(self.cases) < 4)
    @rule(
        data=st.data(),
        consents=st.integers(0, 2),
        municipality=st.sampled_from(_MUNICIPALITIES),
        worker=st.none() | st.sampled_from(_ACTORS[:2]),
        secret=st.sampled_from(LIFECYCLE_SECRETS),
        actor=st.sampled_from(_ACTORS),
    )
    def open_case(
        self,
        data: st.DataObject,
        consents: int,
        municipality: str,
        worker: str | None,
        secret: str,
        actor: str,
    ) -> None:
        if self.cases and data.draw(st.integers(0, 4), label="taken") == 0:
            self._open_a_taken_id(data, actor)
            return
        id = f"{self.run}.c{len(self.cases) + 1}"
        case = ConsultationCase(
            id=id,
            received_at=self.clock,
            consulter=Audience.FAMILY,
            received_via=Channel.PHONE,
            subject=Subject(
                residence=municipality, legal_situation=LegalSituation.ON_PAROLE, name=secret
            ),
            needs=(RaisedNeed("housing", note=secret), RaisedNeed("welfare")),
            consents=tuple(data.draw(self._consents(), label="consent") for _ in range(consents)),
            municipality=municipality,
            worker=worker,
            summary=secret,
        )
        self._attempt(
            lambda: workflow.open_case(self.store, case, actor=actor, at=self.clock),
            None,
            [_Audit("case", id, AuditAction.CREATED)],
            actor=actor,
        )
        self.cases[id] = case

    def _consents(self) -> st.SearchStrategy[Consent]:
        today = self.today
        return st.builds(
            lambda ids, kinds, start, length: Consent(
                given_on=today + dt.timedelta(days=start),
                agency_ids=ids,
                agency_kinds=kinds if kinds or ids else frozenset({_KINDS[0]}),
                until=None if length is None else today + dt.timedelta(days=start + length),
            ),
            st.frozensets(st.sampled_from(_AGENCIES), max_size=2),
            st.frozensets(st.sampled_from(_KINDS), max_size=2),
            st.integers(-20, 3),
            st.none() | st.integers(0, 40),
        )

    def _open_a_taken_id(self, data: st.DataObject, actor: str) -> None:
        case = self.cases[self._pick(data, self.cases, "case")]
        self._attempt(
            lambda: workflow.open_case(self.store, case, actor=actor, at=self.clock),
            ConflictError,
            actor=actor,
        )

    @precondition(lambda self: bool(self.cases))
    @rule(
        data=st.data(),
        secret=st.sampled_from(LIFECYCLE_SECRETS),
        worker=st.none() | st.sampled_from(_ACTORS[:2]),
        stale=st.booleans(),
        actor=st.sampled_from(_ACTORS),
    )
    def edit_case(
        self, data: st.DataObject, secret: str, worker: str | None, stale: bool, actor: str
    ) -> None:
        case = self.cases[self._pick(data, self.cases, "case")]
        changed = attrs.evolve(case, summary=secret, worker=worker)
        version = self.store.cases.get(case.id).version + (1 if stale else 0)
        if changed == case and not stale:
            return  # an unchanged write is audited too, but says nothing of interest
        self._attempt(
            lambda: workflow.update_case(
                self.store, changed, actor=actor, expected_version=version, at=self.clock
            ),
            ConflictError if stale else None,
            [_Audit("case", case.id, AuditAction.UPDATED)],
            actor=actor,
        )
        if not stale:
            self.cases[case.id] = changed

    @precondition(lambda self: bool(self.cases))
    @rule(data=st.data(), actor=st.sampled_from(_ACTORS))
    def give_consent(self, data: st.DataObject, actor: str) -> None:
        case = self.cases[self._pick(data, self.cases, "case")]
        consent = data.draw(self._consents(), label="consent")
        call = lambda: workflow.give_consent(  # noqa: E731
            self.store, case.id, consent, actor=actor, at=self.clock
        )
        if any(c.refused and _clashes(c, [consent]) for c in case.consents):
            # In force on the day of an earlier refusal of the same: a contradiction.
            self._attempt(call, ValidationError, actor=actor)
            return
        self._attempt(
            call,
            None,
            [
                _Audit(
                    "case",
                    case.id,
                    AuditAction.CONSENT_GIVEN,
                    path=f"consents[{len(case.consents)}]",
                )
            ],
            actor=actor,
        )
        self.cases[case.id] = attrs.evolve(case, consents=(*case.consents, consent))

    @precondition(lambda self: bool(self.cases))
    @rule(
        data=st.data(),
        ids=st.frozensets(st.sampled_from(_AGENCIES), max_size=1),
        kinds=st.frozensets(st.sampled_from(_KINDS), max_size=2),
        actor=st.sampled_from(_ACTORS),
    )
    def refuse_consent(
        self, data: st.DataObject, ids: frozenset[str], kinds: frozenset[str], actor: str
    ) -> None:
        case = self.cases[self._pick(data, self.cases, "case")]

        def call() -> object:
            return workflow.refuse_consent(
                self.store, case.id, agency_ids=ids, agency_kinds=kinds, actor=actor, at=self.clock
            )

        if not ids and not kinds:
            self._attempt(call, ValidationError, actor=actor)
            return
        refusal = Consent(
            given_on=case.local_day(self.clock),
            agency_ids=ids,
            agency_kinds=kinds,
            decision=ConsentDecision.REFUSED,
        )
        if _clashes(refusal, case.consents):
            self._attempt(call, ConflictError, names=[case.id], actor=actor)
            return
        audit = _Audit(
            "case", case.id, AuditAction.CONSENT_REFUSED, path=f"consents[{len(case.consents)}]"
        )
        self._attempt(call, None, [audit], actor=actor)
        self.cases[case.id] = attrs.evolve(case, consents=(*case.consents, refusal))

    @precondition(lambda self: bool(self.cases))
    @rule(
        data=st.data(),
        later=st.none() | st.integers(0, 5),
        actor=st.sampled_from(_ACTORS),
    )
    def withdraw_consent(self, data: st.DataObject, later: int | None, actor: str) -> None:
        case = self.cases[self._pick(data, self.cases, "case")]
        index = data.draw(st.integers(0, len(case.consents)), label="index")
        on = None if later is None else self.today + dt.timedelta(days=later)
        day = self.today if on is None else on

        def call() -> object:
            return workflow.withdraw_consent(
                self.store, case.id, index, actor=actor, on=on, at=self.clock
            )

        if index >= len(case.consents):
            self._attempt(call, ValidationError, actor=actor)
            return
        consent = case.consents[index]
        if consent.refused or consent.withdrawn_on is not None or day < consent.given_on:
            self._attempt(call, ValidationError, actor=actor)
            return
        consents = list(case.consents)
        consents[index] = attrs.evolve(consent, withdrawn_on=day)
        changed = attrs.evolve(case, consents=tuple(consents))
        audits = []
        cancelled = {}
        for referral in self._case_referrals(case.id):
            agency, kind = referral.agency_id, referral.agency_kind
            if referral.status.ended:
                continue
            if agency not in consent.agency_ids and kind not in consent.agency_kinds:
                continue  # the withdrawn consent never covered it
            if _covered(changed, agency, kind, max(day, self.today)) and not (
                referral.status.needs_consent and _loses_cover(case, changed, referral)
            ):
                continue  # another consent covers it as long as this one did
            event = ReferralEvent(
                at=max(self.clock, referral.updated_at),
                actor=actor,
                status=_S.CANCELLED,
                previous=referral.status,
                reason=workflow.CONSENT_WITHDRAWN_REASON,
            )
            cancelled[referral.id] = attrs.evolve(referral, history=(*referral.history, event))
            audits.append(
                _Audit(
                    "referral",
                    referral.id,
                    AuditAction.STATUS_CHANGED,
                    referral.status.value,
                    _S.CANCELLED.value,
                )
            )
        audits.append(
            _Audit(
                "case",
                case.id,
                AuditAction.CONSENT_WITHDRAWN,
                path=f"consents[{index}].withdrawn_on",
            )
        )
        self._attempt(call, None, audits, actor=actor)
        self.cases[case.id] = changed
        self.referrals.update(cancelled)
        # What the withdrawal leaves open keeps the cover it had (a withdrawal
        # dated later acts like an expiry for referrals made before that day).
        for item in self.store.referrals.for_case(case.id):
            referral = item.value
            if referral.status.needs_consent:
                agency, kind = referral.agency_id, referral.agency_kind
                assert _covered(changed, agency, kind, max(day, self.today))
                assert not _loses_cover(case, changed, referral), referral.id

    @precondition(lambda self: bool(self.cases))
    @rule(data=st.data(), actor=st.sampled_from(_ACTORS))
    def close_case(self, data: st.DataObject, actor: str) -> None:
        case = self.cases[self._pick(data, self.cases, "case")]
        still_open = [r.id for r in self._case_referrals(case.id) if not r.status.ended]
        error = ConflictError if case.closed_at is not None or still_open else None
        self._attempt(
            lambda: workflow.close_case(self.store, case.id, actor=actor, at=self.clock),
            error,
            [_Audit("case", case.id, AuditAction.CLOSED, path="closed_at")],
            names=still_open[:1],
            actor=actor,
        )
        if error is None:
            self.cases[case.id] = attrs.evolve(case, closed_at=self.clock)

    @precondition(lambda self: bool(self.cases))
    @rule(data=st.data(), actor=st.sampled_from(_ACTORS))
    def reopen_case(self, data: st.DataObject, actor: str) -> None:
        closed = [id for id, case in self.cases.items() if case.closed_at is not None]
        any_case = not closed or data.draw(st.integers(0, 4), label="any case") == 0
        case = self.cases[self._pick(data, self.cases if any_case else closed, "case")]
        error = ConflictError if case.closed_at is None else None
        self._attempt(
            lambda: workflow.reopen_case(self.store, case.id, actor=actor, at=self.clock),
            error,
            [_Audit("case", case.id, AuditAction.REOPENED, path="closed_at")],
            actor=actor,
        )
        if error is None:
            self.cases[case.id] = attrs.evolve(case, closed_at=None)

    # -- rules: referrals -----------------------------------------------------------
    @precondition(lambda self: bool(self.cases))
    @rule(
        data=st.data(),
        request=st.booleans(),
        referred_by=st.none() | st.sampled_from([_DESK, "welfare-assist"]),
        actor=st.sampled_from(_ACTORS),
    )
    def create_referral(
        self, data: st.DataObject, request: bool, referred_by: str | None, actor: str
    ) -> None:
        open_cases = [id for id, case in self.cases.items() if case.closed_at is None]
        any_case = not open_cases or data.draw(st.integers(0, 5), label="any case") == 0
        case = self.cases[self._pick(data, self.cases if any_case else open_cases, "case")]
        services = [*self.services, "no-such-service"] if any_case else self.services
        service_id = self._pick(data, services, "service")

        def call() -> object:
            return workflow.create_referral(
                self.store,
                case.id,
                service_id,
                actor=actor,
                at=self.clock,
                request=request,
                referred_by=referred_by,
            )

        if service_id not in self.services:
            self._attempt(call, NotFoundError, names=[service_id], actor=actor)
            return
        agency = self.agencies[self.services[service_id].agency_id]
        if case.closed_at is not None:
            self._attempt(call, ConflictError, names=[case.id], actor=actor)
            return
        day = case.local_day(self.clock)
        if request and not _covered(case, agency.id, agency.kind, day):
            refused = _refused(case, agency.id, agency.kind, day)
            error = ConsentRefusedError if refused else ConsentError
            self._attempt(call, error, names=[case.id, agency.id], actor=actor)
            if not refused:  # "no consent yet" is not the refusal's error
                assert not isinstance(self.last_error, ConsentRefusedError), self.last_error
            return
        taken = {r.id for r in self._case_referrals(case.id)}
        n = 1
        while f"{case.id}.{service_id}.{n}" in taken:
            n += 1
        status = _S.REQUESTED if request else _S.DRAFT
        referral = Referral(
            id=f"{case.id}.{service_id}.{n}",
            case_id=case.id,
            service_id=service_id,
            agency_id=agency.id,
            agency_kind=agency.kind,
            history=(ReferralEvent(at=self.clock, actor=actor, status=status),),
            referred_by=referred_by,
        )
        self._attempt(
            call,
            None,
            [_Audit("referral", referral.id, AuditAction.CREATED, None, status.value)],
            actor=actor,
        )
        self.referrals[referral.id] = referral

    _moves: ClassVar[dict[str, Any]] = {
        "data": st.data(),
        "legal": st.integers(0, 3),
        "reason": st.one_of(st.sampled_from(LIFECYCLE_SECRETS), st.none()),
        "outcome": st.none() | st.sampled_from(LIFECYCLE_SECRETS),
        "actor": st.sampled_from(_ACTORS),
    }

    # Moves are most of the work on a referral: two rules make them, so that a
    # run reaches the later statuses.
    @precondition(lambda self: bool(self.referrals))
    @rule(**_moves)
    def transition(
        self,
        data: st.DataObject,
        legal: int,
        reason: str | None,
        outcome: str | None,
        actor: str,
    ) -> None:
        self._move(data, legal, reason, outcome, actor)

    @precondition(lambda self: any(not r.status.ended for r in self.referrals.values()))
    @rule(**_moves)
    def move_on(
        self,
        data: st.DataObject,
        legal: int,
        reason: str | None,
        outcome: str | None,
        actor: str,
    ) -> None:
        self._move(data, legal + 1, reason, outcome, actor)

    def _move(
        self,
        data: st.DataObject,
        legal: int,
        reason: str | None,
        outcome: str | None,
        actor: str,
    ) -> None:
        open_ones = [id for id, r in self.referrals.items() if not r.status.ended]
        referral = self.referrals[self._pick(data, open_ones or self.referrals, "referral")]
        case = self.cases[referral.case_id]
        current = referral.status
        # Mostly a move the table allows; now and then any status at all.
        choices = sorted(TRANSITIONS[current]) if legal and TRANSITIONS[current] else list(_S)
        to = data.draw(st.sampled_from(choices), label="to")

        def call() -> object:
            return workflow.transition_referral(
                self.store,
                referral.id,
                to,
                actor=actor,
                at=self.clock,
                reason=reason,
                outcome=outcome,
            )

        if to not in TRANSITIONS[current]:
            self._attempt(
                call, IllegalTransitionError, names=[current.value, to.value], actor=actor
            )
            return
        if to in REASON_REQUIRED and reason is None:
            self._attempt(call, ValidationError, actor=actor)
            return
        day = case.local_day(self.clock)
        if to.needs_consent and not _covered(case, referral.agency_id, referral.agency_kind, day):
            refused = _refused(case, referral.agency_id, referral.agency_kind, day)
            error = ConsentRefusedError if refused else ConsentError
            self._attempt(call, error, names=[case.id], actor=actor)
            if not refused:
                assert not isinstance(self.last_error, ConsentRefusedError), self.last_error
            return
        event = ReferralEvent(
            at=self.clock, actor=actor, status=to, previous=current, reason=reason, outcome=outcome
        )
        self._attempt(
            call,
            None,
            [
                _Audit(
                    "referral",
                    referral.id,
                    AuditAction.STATUS_CHANGED,
                    current.value,
                    to.value,
                    path=f"history[{len(referral.history)}]",
                )
            ],
            actor=actor,
        )
        self.referrals[referral.id] = attrs.evolve(referral, history=(*referral.history, event))

    @precondition(lambda self: bool(self.referrals))
    @rule(
        data=st.data(),
        outcome=st.none() | st.sampled_from(LIFECYCLE_SECRETS),
        actor=st.sampled_from(_ACTORS),
    )
    def follow_up(self, data: st.DataObject, outcome: str | None, actor: str) -> None:
        referral = self.referrals[self._pick(data, self.referrals, "referral")]

        def call() -> object:
            return workflow.follow_up(
                self.store, referral.id, actor=actor, at=self.clock, outcome=outcome
            )

        if referral.status.ended:
            self._attempt(
                call, ConflictError, names=[referral.id, referral.status.value], actor=actor
            )
            return
        event = ReferralEvent(
            at=self.clock,
            actor=actor,
            status=referral.status,
            previous=referral.status,
            kind=EventKind.FOLLOW_UP,
            outcome=outcome,
        )
        status = referral.status.value
        self._attempt(
            call,
            None,
            [
                _Audit(
                    "referral",
                    referral.id,
                    AuditAction.FOLLOWED_UP,
                    status,
                    status,
                    path=f"history[{len(referral.history)}]",
                )
            ],
            actor=actor,
        )
        self.referrals[referral.id] = attrs.evolve(referral, history=(*referral.history, event))

    @rule(
        step=st.sampled_from(
            [
                dt.timedelta(0),
                dt.timedelta(minutes=30),
                dt.timedelta(hours=7),
                dt.timedelta(days=1),
                dt.timedelta(days=2, hours=3),
                dt.timedelta(days=6),
                dt.timedelta(days=15),
            ]
        )
    )
    def advance_clock(self, step: dt.timedelta) -> None:
        self.clock += step

    @rule(data=st.data(), how=st.sampled_from(["get", "follow-up", "consent", "close"]))
    def another_municipality_is_refused(self, data: st.DataObject, how: str) -> None:
        """An officer of the other municipality reads or changes a case or its referral:
        refused with AccessDenied, nothing changed, and the refusal audited."""
        if not self.cases:
            return
        case = self.cases[self._pick(data, self.cases, "case")]
        other = next(code for code in _MUNICIPALITIES if code != case.municipality)
        officer = _OFFICERS[other]
        referrals = self._case_referrals(case.id)
        kind, id = "case", case.id
        if how == "follow-up" and referrals:
            kind, id = "referral", referrals[0].id
        before = self._snapshot()
        consent = data.draw(self._consents(), label="consent")
        refused = ""
        try:
            with self.store.acting_as(officer, at=self.clock):
                if kind == "referral":
                    workflow.follow_up(self.store, id, actor=officer, at=self.clock)
                elif how == "consent":
                    workflow.give_consent(self.store, id, consent, actor=officer, at=self.clock)
                elif how == "close":
                    workflow.close_case(self.store, id, actor=officer, at=self.clock)
                else:
                    self.store.cases.get(id)
        except AccessDenied as error:
            refused = str(error)
        assert officer.id in refused, f"{officer.id} reached {kind} {id!r} of another municipality"
        cases, referrals_now, count = self._snapshot()
        assert (cases, referrals_now) == before[:2], "a refused operation changed the store"
        assert count == before[2] + 1, "the refusal was not audited"
        self.pending.append(_Audit(kind, id, AuditAction.ACCESS_DENIED, actor=officer.id))

    # -- invariants -----------------------------------------------------------------
    @invariant()
    def each_officer_sees_their_municipality(self) -> None:
        """Scope as an invariant: each municipality's officer sees exactly its cases and
        their referrals (``ids()``: what they may read, without reading it)."""
        for code, officer in _OFFICERS.items():
            with self.store.acting_as(officer, at=self.clock):
                cases = set(self.store.cases.ids()) & set(self.cases)
                referrals = set(self.store.referrals.ids()) & set(self.referrals)
            assert cases == {id for id, c in self.cases.items() if c.municipality == code}
            assert referrals == {
                id for id, r in self.referrals.items() if self.cases[r.case_id].municipality == code
            }

    @invariant()
    def the_store_holds_the_model(self) -> None:
        for id, case in self.cases.items():
            stored = self.store.cases.get(id)
            assert stored.value == case, f"case {id!r} differs from the model"
            referrals = [item.value for item in self.store.referrals.for_case(id)]
            assert referrals == self._case_referrals(id), f"referrals of {id!r} differ"
            if case.closed_at is not None:
                assert all(r.status.ended for r in referrals), f"{id!r} closed with open referrals"

    @invariant()
    def histories_keep_the_rules(self) -> None:
        for referral in self.referrals.values():
            case = self.cases[referral.case_id]
            agency, kind = referral.agency_id, referral.agency_kind
            for before, event in zip(referral.history, referral.history[1:], strict=False):
                assert not before.status.ended, f"{referral.id!r} left ended {before.status}"
                assert event.at >= before.at
            for event in referral.history:
                if event.kind is EventKind.TRANSITION and event.status.needs_consent:
                    day = case.local_day(event.at)
                    assert _covered(case, agency, kind, day, lenient=True), (
                        f"{referral.id!r} became {event.status} on {event.at} without consent"
                    )

    @invariant()
    def the_audit_trail_is_complete(self) -> None:
        events = self.store.audit.list(after=self.audit_seen)
        expected, self.pending = self.pending, []
        got = [(e.record_kind, e.record_id, e.action, e.status_from, e.status_to) for e in events]
        wanted = [
            (a.record_kind, a.record_id, a.action, a.status_from, a.status_to) for a in expected
        ]
        assert got == wanted, f"audit events {got} != expected {wanted}"
        last_version: dict[tuple[str, str], int] = {}
        previous = 0
        for event, audit in zip(events, expected, strict=True):
            assert event.actor == audit.actor, (event.actor, audit)
            assert event.at == self.clock, (event.at, self.clock)
            if audit.path is not None:
                assert any(_within(audit.path, path) for path in event.changed), (
                    audit.path,
                    event.changed,
                )
            if event.action is AuditAction.ACCESS_DENIED:
                assert event.version is None
                assert event.roles == ("municipal-officer",)
                continue
            assert event.version is not None
            assert event.version > previous
            previous = event.version
            last_version[(event.record_kind, event.record_id)] = event.version
            self._no_secret_in(event)
        for (kind, id), version in last_version.items():
            repository = self.store.cases if kind == "case" else self.store.referrals
            stored: Versioned[Any] = repository.get(id)
            assert stored.version == version, (kind, id, stored.version, version)
        if events:
            self.audit_seen = events[-1].id
        self.audit_count += len(events)
        assert self.store.audit.count() == self.audit_count

    def _no_secret_in(self, event: AuditEvent) -> None:
        document = to_json(event)
        for secret in LIFECYCLE_SECRETS:
            for form in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)):
                assert form.strip('"') not in document, (
                    f"audit event {event.id} holds a sensitive value"
                )

    @invariant()
    def follow_ups_are_due_on_business_days(self) -> None:
        today = self.today
        found = {
            item.referral_id: item
            for item in _due_followups(self.store, self.clock)
            if item.case_id in self.cases
        }
        for item in found.values():
            referral = self.referrals[item.referral_id]
            case = self.cases[referral.case_id]
            assert not referral.status.ended
            assert item.status is referral.status
            calendar = self._calendar(referral)
            assert calendar.is_business_day(item.due_on), (item.due_on, referral.referred_by)
            assert item.due_on <= today
            assert (item.worker, item.municipality) == (case.worker, case.municipality)
            lapse_due = self._lapse_due(referral, case)
            if item.reason is FollowUpReason.CONSENT_LAPSED:
                assert lapse_due is not None, item
                assert item.due_on == lapse_due, (item.due_on, lapse_due)
            else:  # a lapse shows first once it is due
                assert lapse_due is None or lapse_due > today, (item, lapse_due)
        for referral in self.referrals.values():
            if referral.status.ended:
                continue
            lapse_due = self._lapse_due(referral, self.cases[referral.case_id])
            if lapse_due is not None and lapse_due <= today:
                assert referral.id in found, f"{referral.id!r}: consent lapsed, not listed"
                continue
            start = _policy_start(referral)
            rule = DEFAULT_POLICY.rule_for(referral.status)
            if start is None or rule is None:
                continue
            due = self._calendar(referral).add_business_days(
                start.astimezone(_TOKYO).date(), rule.business_days
            )
            if due <= today:
                assert referral.id in found, f"{referral.id!r} is due on {due} but not listed"
                assert found[referral.id].due_on == due, (found[referral.id].due_on, due)
            else:
                assert referral.id not in found, f"{referral.id!r} listed before {due}"

    def _calendar(self, referral: Referral) -> BusinessCalendar:
        if referral.referred_by is None:
            return OFFICE_CALENDAR
        return self.services[referral.referred_by].hours or OFFICE_CALENDAR

    def _lapse_due(self, referral: Referral, case: ConsultationCase) -> dt.date | None:
        """When the referral holds the information but some day from its last event
        to today had no consent: the first business day from that day on (the
        model's reading, day by day); None otherwise."""
        if not referral.status.needs_consent:
            return None
        day = case.local_day(referral.updated_at)
        while day <= self.today:
            if not _covered(case, referral.agency_id, referral.agency_kind, day):
                before = day - dt.timedelta(days=1)
                try:
                    return self._calendar(referral).add_business_days(before, 1)
                except NotFoundError:  # past its reception period: the office's days count
                    return OFFICE_CALENDAR.add_business_days(before, 1)
            day += dt.timedelta(days=1)
        return None


def lifecycle_machine(
    store_factory: Callable[[], Store], *, name: str = "ReferralLifecycle"
) -> type[ReferralLifecycleMachine]:
    """A :class:`ReferralLifecycleMachine` running on the stores ``store_factory`` opens.

    ``store_factory`` is called once per run and returns an open store (a new
    one, or another handle on the same one: runs do not see each other's
    cases); the machine closes it when the run ends.  Run the class with
    ``run_state_machine_as_test`` or through its ``TestCase`` attribute.
    """
    if not callable(store_factory):
        raise TypeError("store_factory must be a callable returning an open Store")

    class Machine(ReferralLifecycleMachine):
        def make_store(self) -> Store:
            store = store_factory()
            if not isinstance(store, Store):
                raise TypeError(f"store_factory returned {type(store).__name__}, not a Store")
            return store

    Machine.__name__ = Machine.__qualname__ = name
    return Machine

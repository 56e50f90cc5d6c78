"""The outreach part of the storage conformance suite (events, registrations,
subscribers, newsletter issues); :class:`saihan.testing.storage.StoreConformance`
inherits it, so every backend is held to it.  Needs the ``store`` and
``store_url`` fixtures that class gives."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan import storage
from saihan.access import Principal
from saihan.directory import Address, Agency, LocalizedText, Location
from saihan.errors import AccessDenied, ConflictError, NotFoundError, ValidationError
from saihan.outreach import (
    Event,
    EventAudience,
    EventKind,
    EventStatus,
    NewsletterIssue,
    Registration,
    RegistrationStatus,
    Subscriber,
    cancel_registration,
    change_event_status,
    new_token,
    register,
    sample_events,
)
from saihan.referral import AuditAction
from saihan.storage import ANY_VERSION, RecordType, Store
from saihan.storage.store import Repository
from saihan.testing.outreach_strategies import events, newsletter_issues, subscribers

__all__ = ["OutreachConformance"]

_TOKYO = dt.timezone(dt.timedelta(hours=9))
_HACHIOJI = "132012"
_SHINJUKU = "131041"
_SECRET = "秘密の受講者 山田太郎 (outreach-secret-5c1e)"
ORGANISER = "org-outreach"


def _organiser(id: str = ORGANISER) -> Agency:
    return Agency(
        id=id,
        name=LocalizedText(ja=f"主催 {id}"),
        kind="welfare_office",
        locations=(Location(id="main", address=Address(municipality_code=_HACHIOJI)),),
    )


def _event(id: str = "ev-1", **changes: Any) -> Event:
    base = Event(
        id=id,
        kind=EventKind.TRAINING,
        title=LocalizedText(ja="職員研修", en="Staff training"),
        organiser=ORGANISER,
        start=dt.datetime(2024, 9, 12, 13, 30, tzinfo=_TOKYO),
        end=dt.datetime(2024, 9, 12, 16, 30, tzinfo=_TOKYO),
        audiences=frozenset({EventAudience.MUNICIPAL_STAFF}),
        municipalities=frozenset({_HACHIOJI}),
        place=LocalizedText(ja="八王子市役所"),
        capacity=2,
        registration_closes=5,
        status=EventStatus.OPEN,
    )
    return attrs.evolve(base, **changes)


def _registration(id: str, minute: int, *, event_id: str = "ev-1", **changes: Any) -> Registration:
    base = Registration(
        id=id,
        event_id=event_id,
        organisation=ORGANISER,
        name=f"{_SECRET} {id}",
        email=f"{id}@example.jp",
        registered_at=dt.datetime(2024, 9, 1, 9, minute, tzinfo=_TOKYO),
        consent_to_contact=True,
        municipality=_HACHIOJI,
    )
    return attrs.evolve(base, **changes)


def _subscriber(id: str, **changes: Any) -> Subscriber:
    base = Subscriber(
        id=id,
        email=f"{id}@example.jp",
        organisation=ORGANISER,
        consent=True,
        consented_on=dt.date(2024, 4, 1),
        token=new_token(),
    )
    return attrs.evolve(base, **changes)


class OutreachConformance:
    """Events, registrations (waiting list), subscribers and issues on a backend."""

    #: Examples per Hypothesis property test (StoreConformance sets it too).
    hypothesis_examples: ClassVar[int] = 12

    # -- events -----------------------------------------------------------------
    def test_events_round_trip_and_are_found_by_their_index_entries(self, store: Store) -> None:
        store.agencies.put(_organiser())
        store.agencies.put(_organiser("org-other"))
        online = _event(
            "ev-online",
            kind=EventKind.SEMINAR,
            organiser="org-other",
            municipalities=frozenset(),
            place=None,
            online_url="https://example.jp/join",
            audiences=frozenset({EventAudience.PUBLIC, EventAudience.FAMILY}),
            start=dt.datetime(2024, 10, 31, 23, 30, tzinfo=dt.UTC),  # 1 Nov in Tokyo
            end=dt.datetime(2024, 11, 1, 1, 0, tzinfo=dt.UTC),
            capacity=None,
            status=EventStatus.PLANNED,
        )
        stored = [store.events.put(_event()), store.events.put(online)]
        assert [item.value for item in store.events.list()] == [_event(), online]
        assert store.events.get("ev-online") == stored[1]
        assert store.events.get("ev-online").value.start == online.start
        assert [e.value.id for e in store.events.for_organiser(ORGANISER)] == ["ev-1"]
        assert [e.value.id for e in store.events.for_municipality(_HACHIOJI)] == [
            "ev-1",
            "ev-online",
        ]  # an event for all of Tokyo is for every municipality
        assert [e.value.id for e in store.events.for_municipality(_SHINJUKU)] == ["ev-online"]
        assert [e.value.id for e in store.events.for_audience("family")] == ["ev-online"]
        assert [e.value.id for e in store.events.where("kind", "training")] == ["ev-1"]
        november = store.events.between(dt.date(2024, 11, 1), dt.date(2024, 11, 30))
        assert [e.value.id for e in november] == ["ev-online"]
        assert store.events.between(dt.date(2024, 10, 1), dt.date(2024, 10, 31)) == []
        with pytest.raises(ValidationError) as bad:
            store.events.for_audience("everyone")
        assert bad.value.paths == ["audience"]
        assert store.integrity_check() == []

    def test_an_event_needs_its_organiser_which_then_stays(self, store: Store) -> None:
        with pytest.raises(ValidationError) as missing:
            store.events.put(_event())
        assert missing.value.paths == ["organiser"]
        organiser = store.agencies.put(_organiser())
        store.events.put(_event())
        with pytest.raises(ConflictError, match="event 'ev-1'"):
            store.agencies.delete(ORGANISER, expected_version=organiser.version)
        assert ORGANISER in store.agencies

    def test_event_status_moves_only_along_the_transition_table(self, store: Store) -> None:
        store.agencies.put(_organiser())
        current = store.events.put(_event(status=EventStatus.PLANNED, capacity=None))
        with pytest.raises(ValidationError) as full:
            store.events.put(  # planned -> full skips open
                attrs.evolve(current.value, status=EventStatus.FULL, capacity=1),
                expected_version=current.version,
            )
        assert full.value.paths == ["status"]
        assert store.events.get("ev-1") == current
        held = change_event_status(store, "ev-1", "held")
        assert held.status is EventStatus.HELD
        for status in EventStatus:
            if status is EventStatus.HELD:
                continue
            with pytest.raises(ValidationError) as refused:
                change_event_status(store, "ev-1", status)
            assert refused.value.paths == ["status"]
            stored = store.events.get("ev-1")
            with pytest.raises(ValidationError) as also:
                store.events.put(
                    attrs.evolve(stored.value, status=status, capacity=5),
                    expected_version=stored.version,
                )
            assert "status" in also.value.paths
        assert store.events.get("ev-1").value.status is EventStatus.HELD

    def test_events_property_round_trip(self, store: Store) -> None:
        store.agencies.put(_organiser())

        @settings(
            max_examples=self.hypothesis_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(st.lists(events(organiser=ORGANISER), max_size=4, unique_by=lambda e: e.id))
        def property(drawn: list[Event]) -> None:
            with store.transaction():
                for id in store.events.ids():
                    store.events.delete(id, expected_version=ANY_VERSION)
                for event in drawn:
                    store.events.put(event)
            assert [item.value for item in store.events.list()] == sorted(drawn, key=lambda e: e.id)
            for event in drawn:
                ids = [e.value.id for e in store.events.for_organiser(ORGANISER)]
                assert event.id in ids
                for code in event.municipalities:
                    assert event.id in [e.value.id for e in store.events.for_municipality(code)]
                day = event.local_start.date()
                assert event.id in [e.value.id for e in store.events.between(day, day)]

        property()

    # -- registrations ------------------------------------------------------------
    def test_registrations_fill_places_then_the_waiting_list(self, store: Store) -> None:
        store.agencies.put(_organiser())
        store.events.put(_event())  # two places, registration closes 5 business days before
        first = register(store, _registration("r1", 1))
        second = register(store, _registration("r2", 2))
        third = register(store, _registration("r3", 3))
        fourth = register(store, _registration("r4", 4))
        assert [first.waiting, second.waiting, third.waiting, fourth.waiting] == [
            False,
            False,
            True,
            True,
        ]
        assert second.event.status is EventStatus.FULL
        assert store.events.get("ev-1").value.status is EventStatus.FULL
        assert [r.value.id for r in store.registrations.waiting("ev-1")] == ["r3", "r4"]
        # the store itself refuses a third place, whatever the caller does
        waiting = store.registrations.get("r3")
        with pytest.raises(ValidationError) as over:
            store.registrations.put(
                attrs.evolve(waiting.value, status=RegistrationStatus.REGISTERED),
                expected_version=waiting.version,
            )
        assert over.value.paths == ["status"]
        freed = cancel_registration(store, "r1")
        assert freed.registration.status is RegistrationStatus.CANCELLED
        assert freed.promoted is not None
        assert freed.promoted.id == "r3"
        assert store.registrations.get("r3").value.status is RegistrationStatus.REGISTERED
        assert [r.value.id for r in store.registrations.waiting("ev-1")] == ["r4"]
        cancel_registration(store, "r4")  # a waiting one: no place frees
        cancel_registration(store, "r2")
        assert store.events.get("ev-1").value.status is EventStatus.OPEN  # no one waits
        held = [r.value.id for r in store.registrations.for_event("ev-1") if r.value.holds_place]
        assert held == ["r3"]
        with pytest.raises(ConflictError):
            cancel_registration(store, "r2")
        # the deadline: 5 business days of the organiser's calendar (Mon-Fri offices)
        # before Thursday 12 September 2024 is Thursday 5 September
        late = _registration("r5", 0, registered_at=dt.datetime(2024, 9, 6, 9, tzinfo=_TOKYO))
        with pytest.raises(ConflictError, match="does not take registrations"):
            register(store, late)
        on_time = _registration("r6", 0, registered_at=dt.datetime(2024, 9, 5, 23, tzinfo=_TOKYO))
        assert not register(store, on_time).waiting
        with pytest.raises(NotFoundError):
            register(store, _registration("r7", 0, event_id="no-such-event"))
        assert "r5" not in store.registrations
        assert "r7" not in store.registrations
        assert store.integrity_check() == []

    def test_a_failed_registration_leaves_the_store_unchanged(self, store: Store) -> None:
        store.agencies.put(_organiser())
        store.events.put(_event(capacity=1))
        register(store, _registration("r1", 1))
        before = (store.revision(), store.events.get("ev-1"), store.registrations.list())
        with pytest.raises(ConflictError):
            register(store, _registration("r1", 2))  # the id is taken
        assert (store.revision(), store.events.get("ev-1"), store.registrations.list()) == before

    def test_registration_personal_data_is_scoped_and_audited(
        self, store: Store, store_url: str
    ) -> None:
        store.agencies.put(_organiser())
        store.events.put(_event(capacity=10))
        register(store, _registration("r1", 1))
        store.subscribers.put(_subscriber("s1"))
        staff = Principal(id="staff-1", organisation=ORGANISER, roles={"supervisor"})
        stranger = Principal(
            id="worker-x", organisation="org-x", municipalities={_SHINJUKU}, roles={"desk-worker"}
        )
        officer = Principal(id="officer-h", municipalities={_HACHIOJI}, roles={"municipal-officer"})
        before = store.audit.count()
        with store.acting_as(staff):
            assert store.registrations.get("r1").value.id == "r1"
            assert [s.value.id for s in store.subscribers.list()] == ["s1"]
            register(store, _registration("r2", 2))
        with store.acting_as(officer):  # the registrant's municipality
            assert [r.value.id for r in store.registrations.for_event("ev-1")] == ["r1", "r2"]
            assert store.subscribers.list() == []
        with store.acting_as(stranger):
            assert store.registrations.list() == []
            assert store.subscribers.count() == 0
            for attempt in (
                lambda: store.registrations.get("r1"),
                lambda: store.subscribers.get("s1"),
                lambda: store.subscribers.put(_subscriber("s2")),
                lambda: store.registrations.put(_registration("r3", 3)),
            ):
                with pytest.raises(AccessDenied, match="worker-x"):
                    attempt()
        anonymous = storage.open(store_url)
        try:
            with pytest.raises(AccessDenied):
                anonymous.registrations.list()
            with pytest.raises(AccessDenied):
                anonymous.subscribers.get("s1")
            assert [e.value.id for e in anonymous.events.list()] == ["ev-1"]  # public
        finally:
            anonymous.close()
        events = store.audit.list()[before:]
        reads = {
            (e.actor, e.record_kind, e.record_id) for e in events if e.action is AuditAction.READ
        }
        assert ("staff-1", "event_registration", "r1") in reads
        assert ("staff-1", "subscriber", "s1") in reads
        assert ("officer-h", "event_registration", "r2") in reads
        created = [e for e in events if e.action is AuditAction.CREATED]
        assert [(e.actor, e.record_kind, e.record_id) for e in created] == [
            ("staff-1", "event_registration", "r2")
        ]
        denied = [e for e in events if e.action is AuditAction.ACCESS_DENIED]
        assert {e.actor for e in denied} >= {"worker-x"}
        text = repr(store.registrations.get("r1")) + repr(store.subscribers.get("s1"))
        assert _SECRET not in text
        assert "@example.jp" not in text
        for event in store.audit.list():
            assert _SECRET not in repr(event)
            assert "r1@example.jp" not in repr(event)
        assert store.integrity_check() == []

    # -- subscribers ----------------------------------------------------------------
    def test_subscribers_unsubscribe_at_once_and_for_good(self, store: Store) -> None:
        kept = store.subscribers.put(_subscriber("s1"))
        store.subscribers.put(_subscriber("s2", consent=False, consented_on=None))
        store.subscribers.put(_subscriber("s3", municipalities=frozenset({_SHINJUKU})))
        assert [s.value.id for s in store.subscribers.active()] == ["s1", "s3"]
        assert store.subscribers.by_token(kept.value.token) == kept
        assert store.subscribers.by_token(new_token()) is None
        gone = attrs.evolve(kept.value, unsubscribed_at=dt.datetime(2024, 5, 1, tzinfo=_TOKYO))
        after = store.subscribers.put(gone, expected_version=kept.version)
        assert [s.value.id for s in store.subscribers.active()] == ["s3"]
        with pytest.raises(ValidationError) as undo:
            store.subscribers.put(
                attrs.evolve(gone, unsubscribed_at=None), expected_version=after.version
            )
        assert undo.value.paths == ["unsubscribed_at"]
        actions = [e.action for e in store.audit.for_record("subscriber", "s1")]
        assert actions == [AuditAction.CREATED, AuditAction.UPDATED]
        assert store.audit.for_record("subscriber", "s1")[1].changed == ("unsubscribed_at",)
        assert store.integrity_check() == []

    def test_subscribers_property_round_trip(self, store: Store) -> None:
        @settings(
            max_examples=self.hypothesis_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(st.lists(subscribers(), max_size=4, unique_by=lambda s: s.id))
        def property(drawn: list[Subscriber]) -> None:
            with store.transaction():
                for id in store.subscribers.ids():
                    store.subscribers.delete(id, expected_version=ANY_VERSION)
                for subscriber in drawn:
                    store.subscribers.put(subscriber)
            assert [item.value for item in store.subscribers.list()] == sorted(
                drawn, key=lambda s: s.id
            )
            assert {s.value.id for s in store.subscribers.active()} == {
                s.id for s in drawn if s.active
            }
            for subscriber in drawn:
                found = store.subscribers.by_token(subscriber.token)
                assert found is not None
                assert found.value == subscriber

        property()
        assert store.integrity_check() == []

    # -- newsletter issues ------------------------------------------------------------
    def test_newsletter_issues_round_trip_and_a_sent_issue_stays(self, store: Store) -> None:
        @settings(
            max_examples=self.hypothesis_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(newsletter_issues())
        def property(issue: NewsletterIssue) -> None:
            for id in store.newsletters.ids():  # a sent issue can be deleted, not changed
                store.newsletters.delete(id, expected_version=ANY_VERSION)
            stored = store.newsletters.put(issue)
            assert store.newsletters.get(issue.id) == stored
            if issue.sent:
                with pytest.raises(ValidationError) as changed:
                    store.newsletters.put(
                        attrs.evolve(issue, delivered=issue.delivered + 1),
                        expected_version=stored.version,
                    )
                assert changed.value.paths == ["sent_at"]
            assert store.newsletters.get(issue.id) == stored

        property()

    # -- sealing, transactions, samples ----------------------------------------------
    def test_outreach_kinds_are_sealed(self, store: Store) -> None:
        impostors: list[RecordType[Any]] = [
            attrs.evolve(storage.REGISTRATIONS, audit=None),
            attrs.evolve(storage.SUBSCRIBERS, check=lambda _item, _reader: []),
            attrs.evolve(storage.EVENTS, references=lambda _item: ()),
            RecordType("subscriber", Subscriber, lambda item: item.id, "subscriber"),
            RecordType("newsletter_issue", NewsletterIssue, lambda item: item.id, "issue"),
        ]
        for impostor in impostors:
            with pytest.raises(ValidationError) as refused:
                store.repository(impostor)
            assert refused.value.paths == ["record_type"]
            with pytest.raises(ValidationError):
                Repository(store, impostor)
        assert store.repository(storage.EVENTS).count() == 0

    def test_outreach_writes_roll_back_with_their_transaction(self, store: Store) -> None:
        store.agencies.put(_organiser())
        before = (store.revision(), store.audit.count())

        class Boom(Exception):
            pass

        def write_then_fail() -> None:
            with store.transaction():
                store.events.put(_event())
                register(store, _registration("r1", 1))
                store.subscribers.put(_subscriber("s1"))
                store.newsletters.put(
                    NewsletterIssue(
                        number=1,
                        subject="第1号",
                        composed_at=dt.datetime(2024, 4, 1, tzinfo=_TOKYO),
                        since=dt.date(2024, 4, 1),
                        text="本文",
                        html="<p>本文</p>",
                    )
                )
                raise Boom

        with pytest.raises(Boom):
            write_then_fail()
        assert (store.revision(), store.audit.count()) == before
        assert store.events.count() == store.registrations.count() == 0
        assert store.subscribers.count() == store.newsletters.count() == 0
        assert store.integrity_check() == []

    def test_the_sample_events_are_stored_with_the_sample_directory(self, store: Store) -> None:
        from saihan.directory import sample_directory

        store.import_directory(sample_directory())
        with store.transaction():
            for event in sample_events():
                store.events.put(event)
        stored = [item.value for item in store.events.list()]
        assert sorted(stored, key=lambda e: (e.start, e.id)) == list(sample_events())
        assert all(event.sample for event in stored)
        kinds = {event.kind for event in stored}
        assert kinds >= {
            EventKind.COUNCIL,
            EventKind.LIAISON_MEETING,
            EventKind.TRAINING,
            EventKind.SCHOOL_PROGRAMME,
        }
        assert store.integrity_check() == []

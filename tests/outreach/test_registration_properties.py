"""Properties of the waiting list and of event statuses, for any sequence of operations."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan import Principal, storage
from saihan.directory import Address, Agency, LocalizedText, Location
from saihan.errors import ConflictError, ValidationError
from saihan.outreach import (
    EVENT_TRANSITIONS,
    Event,
    EventAudience,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    cancel_registration,
    register,
)

TOKYO = dt.timezone(dt.timedelta(hours=9))
EVENT = Event(
    id="ev",
    kind=EventKind.TRAINING,
    title=LocalizedText(ja="研修"),
    organiser="org",
    start=dt.datetime(2024, 9, 12, 13, 30, tzinfo=TOKYO),
    end=dt.datetime(2024, 9, 12, 16, 30, tzinfo=TOKYO),
    audiences=frozenset({EventAudience.MUNICIPAL_STAFF}),
    place=LocalizedText(ja="会場"),
    capacity=1,
    status=EventStatus.OPEN,
)

# ("register", n) makes registration r<n>; ("cancel", n) cancels r<n> if it exists
operations = st.lists(
    st.tuples(st.sampled_from(["register", "cancel"]), st.integers(0, 7)), max_size=25
)


@settings(max_examples=60, deadline=None)
@given(capacity=st.integers(1, 4), steps=operations)
def test_places_never_exceed_the_capacity_and_the_waiting_list_is_first_come(
    capacity: int, steps: list[tuple[str, int]]
) -> None:
    store = storage.open("memory://", principal=Principal.system())
    store.agencies.put(
        Agency(id="org", name=LocalizedText(ja="主催"), kind="welfare_office",
               locations=(Location(id="main", address=Address(municipality_code="132012")),))
    )  # fmt: skip
    store.events.put(attrs.evolve(EVENT, capacity=capacity))
    made: dict[str, int] = {}  # registration id -> the order it was made in
    for number, (action, n) in enumerate(steps):
        id = f"r{n}"
        if action == "register":
            if id in made:
                with pytest.raises(ConflictError):
                    register(store, _registration(id, number))
                continue
            held_before = _held(store)
            result = register(store, _registration(id, number))
            made[id] = number
            assert result.waiting == (len(held_before) >= capacity)
        else:
            current = store.registrations.find(id)
            if current is None or current.value.status is RegistrationStatus.CANCELLED:
                continue
            waiting_before = [r.value.id for r in store.registrations.waiting("ev")]
            result = cancel_registration(store, id)
            if current.value.holds_place and waiting_before:
                assert result.promoted is not None
                assert result.promoted.id == waiting_before[0]  # first come, first served
            else:
                assert result.promoted is None
        held = _held(store)
        waiting = store.registrations.waiting("ev")
        event = store.events.get("ev").value
        assert len(held) <= capacity
        assert not waiting or len(held) == capacity  # nobody waits while a place is free
        assert [w.value.id for w in waiting] == sorted(
            (w.value.id for w in waiting), key=lambda i: made[i]
        )
        assert (event.status is EventStatus.FULL) == (len(held) == capacity)
    assert store.integrity_check() == []


def _registration(id: str, minute: int) -> Registration:
    return Registration(
        id=id,
        event_id="ev",
        organisation="org",
        name="受講者",
        phone="03-5320-0000",
        registered_at=dt.datetime(2024, 8, 1, 9, tzinfo=TOKYO) + dt.timedelta(minutes=minute),
        consent_to_contact=False,
    )


def _held(store: storage.Store) -> list[str]:
    return [r.value.id for r in store.registrations.for_event("ev") if r.value.holds_place]


@given(st.lists(st.sampled_from(EventStatus), max_size=8))
def test_an_event_moves_only_along_the_transition_table(wanted: list[EventStatus]) -> None:
    event = attrs.evolve(EVENT, status=EventStatus.PLANNED)
    for status in wanted:
        if status in EVENT_TRANSITIONS[event.status]:
            event = event.moved_to(status)
            assert event.status is status
        else:
            with pytest.raises(ValidationError) as refused:
                event.moved_to(status)
            assert refused.value.paths == ["status"]
    if event.status in (EventStatus.HELD, EventStatus.CANCELLED):
        assert EVENT_TRANSITIONS[event.status] == frozenset()  # final: nothing follows


def test_unsubscribe_tokens_are_long_random_and_never_look_like_an_option() -> None:
    from saihan.outreach import new_token

    tokens = {new_token() for _ in range(500)}
    assert len(tokens) == 500
    assert all(len(token) == 43 and not token.startswith("-") for token in tokens)

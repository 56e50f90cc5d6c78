"""Follow-up: when a referral needs someone to check on it, in business days."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import attrs
import pytest

import saihan.storage
from saihan.access import Principal
from saihan.casework import (
    create_referral,
    due_followups,
    follow_up,
    open_case,
    overdue_by_municipality,
    overdue_by_worker,
    transition_referral,
)
from saihan.directory import sample_directory
from saihan.errors import ValidationError
from saihan.referral import (
    DEFAULT_POLICY,
    OFFICE_CALENDAR,
    Consent,
    FollowUpPolicy,
    FollowUpReason,
    FollowUpRule,
    Referral,
    ReferralStatus,
    followup_for,
    load_case,
    new_referral,
    record_followup,
    transition,
)
from saihan.referral.followup import clock_start
from saihan.schedule import BusinessCalendar, Weekday, WeeklyHours
from saihan.storage import Store, memory
from saihan.text import LocalizedText

S = ReferralStatus
JST = dt.timezone(dt.timedelta(hours=9))
_EXAMPLE = load_case("examples/cases/elderly-man-hachioji.json")
# Consent from October, so that referrals made on any day of the tests are covered.
CASE = attrs.evolve(
    _EXAMPLE,
    worker="worker-1",
    consents=(attrs.evolve(_EXAMPLE.consents[0], given_on=dt.date(2024, 10, 1)),),
)
WELFARE = "hachioji-welfare-office-public-assistance"


def tokyo(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=JST)


def _referral(at: dt.datetime, status: S = S.REQUESTED) -> Referral:
    return new_referral(
        "r-1",
        CASE,
        service_id=WELFARE,
        agency_id="hachioji-welfare-office",
        agency_kind="welfare_office",
        actor="w",
        at=at,
        status=status,
    )


def test_the_default_policy_as_built() -> None:
    table = [
        (rule.status.value, rule.business_days, rule.counted_from, rule.description.en)
        for rule in DEFAULT_POLICY.rules
    ]
    assert table == [
        ("draft", 5, None, "drafted 5 business days ago, not sent"),
        ("requested", 3, None, "not accepted within 3 business days of the request"),
        ("accepted", 20, None, "no outcome 20 business days after acceptance"),
        ("in-progress", 20, S.ACCEPTED, "no outcome 20 business days after acceptance"),
        ("on-hold", 10, None, "on hold for 10 business days"),
    ]


def test_a_request_not_accepted_in_three_business_days_is_due() -> None:
    referral = _referral(tokyo(2024, 11, 5))  # a Tuesday
    assert followup_for(referral, CASE, tokyo(2024, 11, 7, 17)) is None
    due = followup_for(referral, CASE, tokyo(2024, 11, 8))
    assert due is not None
    assert (due.due_on, due.overdue_days, due.overdue) == (dt.date(2024, 11, 8), 0, False)
    assert (due.reason, due.worker, due.municipality) == (
        FollowUpReason.POLICY,
        "worker-1",
        "132012",
    )
    late = followup_for(referral, CASE, tokyo(2024, 11, 12))
    assert late is not None
    assert (late.overdue_days, late.overdue) == (2, True)


def test_national_holidays_are_not_business_days() -> None:
    # 2024-11-04 is a substitute holiday (Culture Day fell on a Sunday).
    due = followup_for(_referral(tokyo(2024, 11, 1)), CASE, tokyo(2024, 11, 30))
    assert due is not None
    assert due.due_on == dt.date(2024, 11, 7)


def test_the_year_end_closure_is_not_counted() -> None:
    # 27 Dec, then closed 28 Dec - 5 Jan (weekend, 29 Dec - 3 Jan, weekend): 6 and 7 Jan.
    due = followup_for(_referral(tokyo(2024, 12, 26)), CASE, tokyo(2025, 1, 31))
    assert due is not None
    assert due.due_on == dt.date(2025, 1, 7)


def test_days_are_counted_in_the_calendars_zone() -> None:
    # 23:30 UTC on 4 Nov is 08:30 on 5 Nov in Tokyo: counted from the 5th.
    at = dt.datetime(2024, 11, 4, 23, 30, tzinfo=dt.UTC)
    due = followup_for(_referral(at), CASE, tokyo(2024, 11, 30))
    assert due is not None
    assert due.due_on == dt.date(2024, 11, 8)


def test_the_referring_services_calendar_counts() -> None:
    saturdays = BusinessCalendar(
        weekly=(
            WeeklyHours(
                days=frozenset(Weekday) - {Weekday.SU},
                opens=dt.time(9),
                closes=dt.time(17),
            ),
        )
    )
    referral = _referral(tokyo(2024, 11, 7))  # Thursday: Fri, Sat, Mon
    on_office = followup_for(referral, CASE, tokyo(2024, 11, 30))
    on_own = followup_for(referral, CASE, tokyo(2024, 11, 30), calendar=saturdays)
    assert on_office is not None
    assert on_own is not None
    assert (on_office.due_on, on_own.due_on) == (dt.date(2024, 11, 12), dt.date(2024, 11, 11))


def test_no_outcome_twenty_business_days_after_acceptance() -> None:
    accepted_at = tokyo(2024, 11, 6)
    referral = transition(
        _referral(tokyo(2024, 11, 5)), S.ACCEPTED, actor="w", at=accepted_at, case=CASE
    )
    started = transition(referral, S.IN_PROGRESS, actor="w", at=tokyo(2024, 11, 20), case=CASE)
    for item in (referral, started):
        due = followup_for(item, CASE, tokyo(2024, 12, 31))
        # 20 business days after 6 Nov, skipping 23 Nov (Labour Thanksgiving, a Saturday anyway)
        assert due is not None
        assert due.due_on == dt.date(2024, 12, 4)
        assert due.since == accepted_at


def test_a_follow_up_or_a_return_from_hold_restarts_the_clock() -> None:
    referral = _referral(tokyo(2024, 11, 5))
    followed = record_followup(referral, actor="w", at=tokyo(2024, 11, 8))
    due = followup_for(followed, CASE, tokyo(2024, 11, 30))
    assert due is not None
    assert due.due_on == dt.date(2024, 11, 13)
    assert due.since == tokyo(2024, 11, 8)
    accepted = transition(referral, S.ACCEPTED, actor="w", at=tokyo(2024, 11, 6), case=CASE)
    held = transition(
        accepted, S.ON_HOLD, actor="w", at=tokyo(2024, 11, 7), reason="in hospital", case=CASE
    )
    resumed = transition(held, S.IN_PROGRESS, actor="w", at=tokyo(2024, 12, 2), case=CASE)
    rule = DEFAULT_POLICY.rule_for(S.IN_PROGRESS)
    assert rule is not None
    assert clock_start(resumed, rule) == tokyo(2024, 12, 2)
    hold_rule = DEFAULT_POLICY.rule_for(S.ON_HOLD)
    assert hold_rule is not None
    assert clock_start(held, hold_rule) == tokyo(2024, 11, 7)
    assert clock_start(resumed, hold_rule) is None  # not on hold any more


def test_ended_referrals_and_statuses_without_a_rule_are_not_followed_up() -> None:
    referral = transition(
        _referral(tokyo(2024, 11, 5)), S.REJECTED, actor="w", at=tokyo(2024, 11, 6), reason="full"
    )
    assert followup_for(referral, CASE, tokyo(2025, 3, 1)) is None
    only_drafts = FollowUpPolicy(rules=(DEFAULT_POLICY.rules[0],))
    assert (
        followup_for(_referral(tokyo(2024, 11, 5)), CASE, tokyo(2025, 3, 1), policy=only_drafts)
        is None
    )


def test_a_lapsed_consent_is_due_on_the_first_business_day_without_it() -> None:
    referral = transition(
        _referral(tokyo(2025, 3, 27)), S.ACCEPTED, actor="w", at=tokyo(2025, 3, 28), case=CASE
    )
    # The case's consent runs until 2025-03-31 (a Monday).
    assert followup_for(referral, CASE, tokyo(2025, 3, 31)) is None
    due = followup_for(referral, CASE, tokyo(2025, 4, 3))
    assert due is not None
    assert (due.reason, due.due_on, due.overdue_days) == (
        FollowUpReason.CONSENT_LAPSED,
        dt.date(2025, 4, 1),
        2,
    )
    assert due.description.en == "no consent since 2025-04-01"


def test_policies_are_checked() -> None:
    text = LocalizedText(ja="x")
    with pytest.raises(ValidationError) as raised:
        FollowUpRule(S.COMPLETED, 0, text, counted_from=S.CANCELLED)
    assert raised.value.paths == ["status", "business_days", "counted_from"]
    rule = FollowUpRule(S.DRAFT, 3, text)
    with pytest.raises(ValidationError) as raised:
        FollowUpPolicy(rules=(rule, rule))
    assert raised.value.paths == ["rules[1].status"]


@pytest.fixture
def store() -> Iterator[Store]:
    name = f"followup-{uuid.uuid4().hex}"
    with saihan.storage.open(f"memory://{name}", principal=Principal.system()) as opened:
        opened.import_directory(sample_directory())
        open_case(opened, CASE, actor="worker-1", at=CASE.received_at)
        other = attrs.evolve(
            CASE,
            id="case-machida",
            municipality="132098",
            worker="worker-2",
            consents=(
                Consent(given_on=dt.date(2024, 11, 1), agency_kinds=frozenset({"welfare_office"})),
            ),
        )
        open_case(opened, other, actor="worker-2", at=CASE.received_at)
        yield opened
    memory.forget(name)


def test_due_followups_lists_a_stores_referrals_most_overdue_first(store: Store) -> None:
    first = create_referral(
        store, CASE.id, WELFARE, actor="w", at=tokyo(2024, 11, 5, 11), request=True
    )
    second = create_referral(
        store,
        "case-machida",
        "machida-welfare-office-public-assistance",
        actor="w",
        at=tokyo(2024, 11, 7),
        request=True,
    )
    accepted = create_referral(
        store, CASE.id, WELFARE, actor="w", at=tokyo(2024, 11, 5, 12), request=True
    )
    transition_referral(store, accepted.id, "accepted", actor="w", at=tokyo(2024, 11, 6))
    found = due_followups(store, tokyo(2024, 11, 14))
    assert [(item.referral_id, item.due_on, item.overdue_days) for item in found] == [
        (first.id, dt.date(2024, 11, 8), 4),
        (second.id, dt.date(2024, 11, 12), 2),
    ]
    assert [
        item.referral_id
        for item in due_followups(store, tokyo(2024, 11, 14), municipality="町田市")
    ] == [second.id]
    assert [
        item.referral_id for item in due_followups(store, tokyo(2024, 11, 14), worker="worker-1")
    ] == [first.id]
    by_worker = overdue_by_worker(store, tokyo(2024, 11, 14))
    assert {worker: [i.referral_id for i in items] for worker, items in by_worker.items()} == {
        "worker-1": [first.id],
        "worker-2": [second.id],
    }
    by_place = overdue_by_municipality(store, tokyo(2024, 11, 14))
    assert set(by_place) == {"132012", "132098"}
    follow_up(store, first.id, actor="w", at=tokyo(2024, 11, 14))
    assert [item.referral_id for item in due_followups(store, tokyo(2024, 11, 14))] == [second.id]


def test_the_referring_services_calendar_is_read_from_the_store(store: Store) -> None:
    referral = create_referral(
        store, CASE.id, WELFARE, actor="w", at=tokyo(2024, 11, 5), request=True, referred_by=WELFARE
    )
    hours = store.services.get(WELFARE).value.hours
    assert hours is not None
    (due,) = due_followups(store, tokyo(2024, 11, 30))
    assert due.referral_id == referral.id
    assert due.due_on == hours.add_business_days(dt.date(2024, 11, 5), 3)
    assert hours.is_business_day(due.due_on)


def test_due_followups_checks_its_arguments(store: Store) -> None:
    with pytest.raises(ValidationError) as raised:
        due_followups(store, dt.datetime(2024, 11, 5))
    assert raised.value.paths == ["at"]
    with pytest.raises(ValidationError) as raised:
        due_followups(store, tokyo(2024, 11, 5), municipality="99999")
    assert raised.value.paths == ["municipality"]
    with pytest.raises(ValidationError) as raised:
        due_followups(store, tokyo(2024, 11, 5), worker="Not An Id")
    assert raised.value.paths == ["worker"]
    with pytest.raises(ValidationError) as raised:
        due_followups("memory://", tokyo(2024, 11, 5))  # type: ignore[arg-type]
    assert raised.value.paths == ["store"]
    with pytest.raises(ValidationError) as raised:
        due_followups(store, tokyo(2024, 11, 5), policy="strict")  # type: ignore[arg-type]
    assert raised.value.paths == ["policy"]


def test_the_office_calendar_is_a_tokyo_municipal_office() -> None:
    assert OFFICE_CALENDAR.is_business_day(dt.date(2024, 11, 5))
    assert not OFFICE_CALENDAR.is_business_day(dt.date(2024, 11, 4))  # substitute holiday
    assert not OFFICE_CALENDAR.is_business_day(dt.date(2024, 12, 30))  # year-end
    assert not OFFICE_CALENDAR.is_business_day(dt.date(2024, 11, 9))  # Saturday
    assert OFFICE_CALENDAR.is_open(tokyo(2024, 11, 5, 9))
    assert not OFFICE_CALENDAR.is_open(tokyo(2024, 11, 5, 18))


def test_a_lapse_not_yet_due_does_not_hide_a_policy_follow_up() -> None:
    until_friday = attrs.evolve(
        CASE, consents=(attrs.evolve(CASE.consents[0], until=dt.date(2024, 11, 8)),)
    )
    referral = _referral(tokyo(2024, 11, 5))  # requested on a Tuesday: due Friday the 8th
    saturday = followup_for(referral, until_friday, tokyo(2024, 11, 9))
    assert saturday is not None
    assert (saturday.reason, saturday.due_on) == (FollowUpReason.POLICY, dt.date(2024, 11, 8))
    monday = followup_for(referral, until_friday, tokyo(2024, 11, 11))
    assert monday is not None
    assert (monday.reason, monday.due_on) == (FollowUpReason.CONSENT_LAPSED, dt.date(2024, 11, 11))

"""Follow-up: which referrals someone must check on, and by when.

The plan's sixth priority asks that a consultation is followed up until it
reaches a proper resolution.  A :class:`FollowUpPolicy` says, for each open
status, after how many *business days* a referral in it needs a follow-up
(:data:`DEFAULT_POLICY`: a draft not sent in 5, a request not accepted in 3,
no outcome 20 after acceptance, on hold for 10).  Days are counted on the
business calendar of the referring service (``Referral.referred_by``), or
on :data:`OFFICE_CALENDAR` (a Tokyo municipal office: weekdays 8:30-17:15,
closed on national holidays and 29 Dec - 3 Jan) when it has none.

A referral's clock starts at the latest of: entering the status the rule
counts from, coming back from ``on-hold``, and its last recorded follow-up
(:func:`saihan.casework.follow_up`).  A follow-up is due on a
business day; it is overdue from the next day on.  A referral that hands the
person's information on but whose consent has since lapsed (expired or
withdrawn) is due for follow-up from the first business day without consent.

The models are here, and :func:`followups_due`, the one definition of which of
some referrals are due and which overdue, on any referrals given: asking a store
which referrals are due now is :func:`saihan.casework.due_followups`, and the plan
report (:func:`saihan.monitoring.plan_report`) asks it of the referrals as they were
at a fiscal year's end.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

import attrs

from saihan._validation import Checker, checked
from saihan.errors import ErrorItem, NotFoundError, ValidationError
from saihan.referral.case import ConsultationCase
from saihan.referral.lifecycle import EventKind, Referral, ReferralStatus
from saihan.schedule.calendar import BusinessCalendar
from saihan.schedule.rules import Weekday, WeeklyHours
from saihan.text import LocalizedText

__all__ = [
    "DEFAULT_POLICY",
    "OFFICE_CALENDAR",
    "FollowUp",
    "FollowUpPolicy",
    "FollowUpReason",
    "FollowUpRule",
    "check_at",
    "clock_start",
    "followup_for",
    "followups_due",
]

_DAY = dt.timedelta(days=1)

MAX_BUSINESS_DAYS = 260
"""A rule waits at most about a year of business days."""

OFFICE_CALENDAR = BusinessCalendar(
    weekly=(
        WeeklyHours(
            days=frozenset({Weekday.MO, Weekday.TU, Weekday.WE, Weekday.TH, Weekday.FR}),
            opens=dt.time(8, 30),
            closes=dt.time(17, 15),
        ),
    ),
    note=LocalizedText(
        ja="区市町村の開庁日（平日、祝日と年末年始を除く）",
        en="A municipal office's business days (weekdays except holidays and the year-end)",
    ),
)
"""The calendar follow-up days are counted on when the referring service has none."""


@attrs.frozen
class FollowUpRule:
    """Follow up a referral ``business_days`` after it entered ``counted_from``
    (default: ``status``) while it is still in ``status``."""

    status: ReferralStatus = attrs.field(metadata={"doc": "The status the rule watches."})
    business_days: int = attrs.field(
        metadata={"schema": {"minimum": 1, "maximum": MAX_BUSINESS_DAYS}, "doc": "How many."}
    )
    description: LocalizedText = attrs.field(metadata={"doc": "What is overdue, for people."})
    counted_from: ReferralStatus | None = attrs.field(
        default=None, metadata={"doc": "The status whose entry starts the clock; null: status."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        if self.status.ended:
            check.add("status", f"{self.status} is ended: nothing to follow up")
        if not 1 <= self.business_days <= MAX_BUSINESS_DAYS:
            check.add("business_days", f"expected 1..{MAX_BUSINESS_DAYS}")
        if self.counted_from is not None and self.counted_from.ended:
            check.add("counted_from", f"{self.counted_from} is an ended status")


@attrs.frozen
class FollowUpPolicy:
    """At most one rule per open status; statuses without a rule are not followed up."""

    rules: tuple[FollowUpRule, ...] = attrs.field(metadata={"doc": "The rules."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        seen: set[ReferralStatus] = set()
        for index, rule in enumerate(self.rules):
            if rule.status in seen:
                check.add(f"rules[{index}].status", f"{rule.status} twice")
            seen.add(rule.status)

    def rule_for(self, status: ReferralStatus) -> FollowUpRule | None:
        for rule in self.rules:
            if rule.status is status:
                return rule
        return None


_S = ReferralStatus

DEFAULT_POLICY = FollowUpPolicy(
    rules=(
        FollowUpRule(
            _S.DRAFT,
            5,
            LocalizedText(ja="作成から5開庁日、未送付", en="drafted 5 business days ago, not sent"),
        ),
        FollowUpRule(
            _S.REQUESTED,
            3,
            LocalizedText(
                ja="依頼から3開庁日、未受理",
                en="not accepted within 3 business days of the request",
            ),
        ),
        FollowUpRule(
            _S.ACCEPTED,
            20,
            LocalizedText(
                ja="受理から20開庁日、結果なし", en="no outcome 20 business days after acceptance"
            ),
        ),
        FollowUpRule(
            _S.IN_PROGRESS,
            20,
            LocalizedText(
                ja="受理から20開庁日、結果なし", en="no outcome 20 business days after acceptance"
            ),
            counted_from=_S.ACCEPTED,
        ),
        FollowUpRule(
            _S.ON_HOLD,
            10,
            LocalizedText(ja="保留から10開庁日", en="on hold for 10 business days"),
        ),
    )
)
"""The defaults; a municipality passes its own policy to change them."""


class FollowUpReason(enum.StrEnum):
    POLICY = "policy"  # the policy's time for the status has passed
    CONSENT_LAPSED = "consent-lapsed"  # the service holds the information without consent


@attrs.frozen
class FollowUp:
    """A referral due for follow-up: what, since when, due on which business day.

    ``worker`` and ``municipality`` are the case's (who should act), never
    anything else of the case.
    """

    referral_id: str
    case_id: str
    service_id: str
    status: ReferralStatus
    reason: FollowUpReason
    since: dt.datetime
    due_on: dt.date
    overdue_days: int  # business days after due_on, up to the day asked about
    worker: str | None
    municipality: str | None
    description: LocalizedText

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        pass  # the fields' types say it all

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


def clock_start(referral: Referral, rule: FollowUpRule) -> dt.datetime | None:
    """When the rule's clock started for ``referral`` (None: the rule does not apply).

    The last entry into ``counted_from`` (or into ``status``, if it never
    entered that), moved on by any later follow-up or return from ``on-hold``.
    """
    if referral.status is not rule.status:
        return None
    start = None if rule.counted_from is None else referral.entered(rule.counted_from)
    if start is None:
        start = referral.entered(rule.status)
    if start is None:
        return None
    for event in referral.history:
        restarts = event.kind is EventKind.FOLLOW_UP or (
            event.previous is _S.ON_HOLD and event.status is not _S.ON_HOLD
        )
        if restarts and event.at > start:
            start = event.at
    return start


def _local_day(moment: dt.datetime, calendar: BusinessCalendar) -> dt.date:
    return moment.astimezone(ZoneInfo(calendar.timezone)).date()


def _due(calendar: BusinessCalendar, day: dt.date, n: int) -> dt.date:
    try:
        return calendar.add_business_days(day, n)
    except NotFoundError:  # past the calendar's reception period: count on the office's
        return OFFICE_CALENDAR.add_business_days(day, n)


def _overdue_days(calendar: BusinessCalendar, due_on: dt.date, today: dt.date) -> int:
    if today <= due_on:
        return 0
    try:
        return calendar.business_days_between(due_on + _DAY, today + _DAY)
    except NotFoundError:
        return OFFICE_CALENDAR.business_days_between(due_on + _DAY, today + _DAY)


def _consent_lapse(case: ConsultationCase, referral: Referral, today: dt.date) -> dt.date | None:
    """The first day, from the referral's last event to ``today``, without consent."""
    if not referral.status.needs_consent:
        return None
    agency, kind = referral.agency_id, referral.agency_kind
    start = case.local_day(referral.updated_at)
    days = {start, today}
    for consent in case.consents:
        if consent.until is not None and consent.until < dt.date.max:
            days.add(consent.until + dt.timedelta(days=1))
        if consent.withdrawn_on is not None:
            days.add(consent.withdrawn_on)
    for day in sorted(day for day in days if start <= day <= today):
        if case.consent_for(agency, kind, day) is None:
            return day
    return None


def followup_for(
    referral: Referral,
    case: ConsultationCase,
    at: dt.datetime,
    *,
    policy: FollowUpPolicy = DEFAULT_POLICY,
    calendar: BusinessCalendar = OFFICE_CALENDAR,
) -> FollowUp | None:
    """The follow-up ``referral`` needs at ``at``, or None: a lapsed consent, when
    that is due by ``at``'s day on ``calendar``, else the policy's rule for its
    status, when that is due."""
    if referral.ended:
        return None
    today = _local_day(at, calendar)
    candidates: list[tuple[dt.date, FollowUpReason, dt.datetime, LocalizedText]] = []
    # Consent is read on the person's day; business days on the calendar's.
    lapse = _consent_lapse(case, referral, case.local_day(at))
    if lapse is not None:
        description = LocalizedText(
            ja=f"{lapse.isoformat()}から同意なし", en=f"no consent since {lapse.isoformat()}"
        )
        due_on = _due(calendar, lapse - _DAY, 1)
        candidates.append((due_on, FollowUpReason.CONSENT_LAPSED, referral.updated_at, description))
    rule = policy.rule_for(referral.status)
    start = None if rule is None else clock_start(referral, rule)
    if rule is not None and start is not None:
        due_on = _due(calendar, _local_day(start, calendar), rule.business_days)
        candidates.append((due_on, FollowUpReason.POLICY, start, rule.description))
    # A lapsed consent is the more serious; but one due only on the next business day
    # must not hide a policy follow-up that is already due.
    due = [candidate for candidate in candidates if candidate[0] <= today]
    if not due:
        return None
    due_on, reason, since, description = due[0]
    return FollowUp(
        referral_id=referral.id,
        case_id=referral.case_id,
        service_id=referral.service_id,
        status=referral.status,
        reason=reason,
        since=since,
        due_on=due_on,
        overdue_days=_overdue_days(calendar, due_on, today),
        worker=case.worker,
        municipality=case.municipality,
        description=description,
    )


def _office_calendar(service_id: str | None) -> BusinessCalendar:
    return OFFICE_CALENDAR


def followups_due(
    referrals: Iterable[tuple[Referral, ConsultationCase]],
    at: dt.datetime,
    *,
    policy: FollowUpPolicy = DEFAULT_POLICY,
    calendar_of: Callable[[str | None], BusinessCalendar] = _office_calendar,
) -> list[FollowUp]:
    """The follow-ups that ``referrals`` (each with its case) need at ``at``
    (:func:`followup_for`), most overdue first, then by due day and referral id.

    Ended referrals need none.  ``calendar_of`` gives the business calendar of a
    referral's referring service (``Referral.referred_by``, None when it names none);
    the default counts every referral on :data:`OFFICE_CALENDAR`.  Those whose
    :attr:`FollowUp.overdue` is true are the overdue ones (due before ``at``'s day):
    the one definition :func:`saihan.casework.due_followups` and the plan report's
    ``overdue_followups`` figure share.
    """
    at = check_at(at)
    found: list[FollowUp] = []
    for referral, case in referrals:
        if referral.ended:
            continue
        calendar = calendar_of(referral.referred_by)
        due = followup_for(referral, case, at, policy=policy, calendar=calendar)
        if due is not None:
            found.append(due)
    found.sort(key=lambda item: (-item.overdue_days, item.due_on, item.referral_id))
    return found


def check_at(at: object) -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise ValidationError([ErrorItem("at", "give a datetime with its UTC offset")])
    return at

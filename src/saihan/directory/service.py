"""Services: the programmes and consultation desks people are referred to."""

from __future__ import annotations

import datetime as dt
import enum
import re

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory.location import MUNICIPALITY_CODE_PATTERN
from saihan.directory.municipalities import TOKYO_PREFECTURE_CODE, code_problem
from saihan.directory.vocabulary import (
    Audience,
    Channel,
    Cost,
    LegalSituation,
    PersonAttribute,
    ServiceStatus,
)
from saihan.schedule.calendar import BusinessCalendar
from saihan.text import LocalizedText

__all__ = [
    "AreaKind",
    "ContactPoint",
    "Eligibility",
    "ReleaseTiming",
    "Service",
    "ServiceArea",
]

MAX_AGE = 130
MAX_RELEASE_DAYS = 36500
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
_LANGUAGE_RE = re.compile(LANGUAGE_PATTERN)
_PHONE_RE = re.compile(r"^\+?[0-9][0-9-]{5,20}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL_RE = re.compile(r"^https?://\S+$")
_ID_RE = re.compile(ID_PATTERN)


_CONTACT_SHAPES = {
    Channel.PHONE: (_PHONE_RE, "a phone number like 03-1234-5678"),
    Channel.FAX: (_PHONE_RE, "a fax number like 03-1234-5678"),
    Channel.EMAIL: (_EMAIL_RE, "an e-mail address"),
    Channel.WEB_FORM: (_URL_RE, "an http(s) URL"),
    Channel.VISIT: (_ID_RE, "the id of one of the agency's locations"),
}


@attrs.frozen
class ContactPoint:
    """One way to reach a service or agency: a number, an address, a form or a place.

    ``value`` depends on ``channel``: a phone or fax number (``03-1234-5678``),
    an e-mail address, the URL of a web form, or for ``visit`` the id of one of
    the agency's locations.
    """

    channel: Channel = attrs.field(metadata={"doc": "How the service is reached."})
    value: str = attrs.field(
        metadata={"schema": {"minLength": 1}, "doc": "Number, address, URL or location id."}
    )
    label: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "What this contact is for (予約専用, 相談専用 ...)."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        pattern, expected = _CONTACT_SHAPES[self.channel]
        if not pattern.fullmatch(self.value):
            check.add("value", f"{self.value!r} is not {expected} (channel {self.channel.value})")
        check.done()


class AreaKind(enum.StrEnum):
    """How wide a service area is."""

    MUNICIPALITIES = "municipalities"  # listed municipality codes
    PREFECTURE = "prefecture"  # a whole prefecture (Tokyo is "13")
    NATIONAL = "national"  # anyone in Japan


@attrs.frozen
class ServiceArea:
    """Where residents must live to use a service (HSDS ``service_area``).

    Use :meth:`tokyo`, :meth:`national` or :meth:`of` rather than spelling the
    fields out.
    """

    kind: AreaKind = attrs.field(metadata={"doc": "municipalities, prefecture or national."})
    municipality_codes: frozenset[str] = attrs.field(
        factory=frozenset,
        metadata={
            "schema": {"items": {"pattern": MUNICIPALITY_CODE_PATTERN}},
            "doc": "For kind 'municipalities': the codes covered.",
        },
    )
    prefecture_code: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": r"^(0[1-9]|[1-3][0-9]|4[0-7])$"},
            "doc": "For kind 'prefecture': the 2-digit prefecture code (13 is Tokyo).",
        },
    )
    note: LocalizedText | None = attrs.field(default=None, metadata={"doc": "Free-text remark."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        if self.kind is AreaKind.MUNICIPALITIES:
            check.require(
                bool(self.municipality_codes), "municipality_codes", "list at least one code"
            )
            check.each("municipality_codes", self.municipality_codes, code_problem)
        elif self.municipality_codes:
            check.add(
                "municipality_codes",
                f"only kind 'municipalities' lists codes, not {self.kind.value!r}",
            )
        if self.kind is AreaKind.PREFECTURE:
            if self.prefecture_code is None:
                check.add("prefecture_code", "a prefecture-wide area needs its prefecture code")
            elif not (
                len(self.prefecture_code) == 2
                and self.prefecture_code.isdigit()
                and 1 <= int(self.prefecture_code) <= 47
            ):
                check.add("prefecture_code", f"{self.prefecture_code!r} is not 01-47")
        elif self.prefecture_code is not None:
            check.add("prefecture_code", "only kind 'prefecture' has a prefecture code")
        check.done()

    @classmethod
    def tokyo(cls) -> ServiceArea:
        """All of Tokyo."""
        return cls(kind=AreaKind.PREFECTURE, prefecture_code=TOKYO_PREFECTURE_CODE)

    @classmethod
    def national(cls) -> ServiceArea:
        return cls(kind=AreaKind.NATIONAL)

    @classmethod
    def of(cls, *codes: str) -> ServiceArea:
        """The listed municipalities."""
        return cls(kind=AreaKind.MUNICIPALITIES, municipality_codes=frozenset(codes))

    def covers(self, municipality_code: str) -> bool:
        """True when a resident of ``municipality_code`` may use the service."""
        if self.kind is AreaKind.NATIONAL:
            return True
        if self.kind is AreaKind.PREFECTURE:
            return municipality_code[:2] == self.prefecture_code
        return municipality_code in self.municipality_codes


class ReleaseTiming(enum.StrEnum):
    """When, relative to leaving a prison or training school, a service takes people."""

    BEFORE_RELEASE = "before_release"  # still inside: coordination before release
    AFTER_RELEASE = "after_release"  # released (on parole, after the full term, 出院後)


@attrs.frozen
class Eligibility:
    """Who a service is for, beyond where they live.

    Empty sets mean "no restriction": a service with no ``legal_situations``
    takes people in any situation.  A person must have every
    ``required_attributes`` (any one of them when ``any_required_attribute``)
    and none of ``excluded_attributes``.

    ``release_timing`` and ``within_days_of_release`` limit a service to people
    before or after their release from a prison or training school, and to
    those within a number of days of it (before release: expected within that
    many days; after: released at most that many days ago; with no
    ``release_timing``: either).  How a person's release is read is described
    in docs/referral.md ("The person's release").
    """

    min_age: int | None = attrs.field(
        default=None,
        metadata={"schema": {"minimum": 0, "maximum": MAX_AGE}, "doc": "Youngest age served."},
    )
    max_age: int | None = attrs.field(
        default=None,
        metadata={"schema": {"minimum": 0, "maximum": MAX_AGE}, "doc": "Oldest age served."},
    )
    legal_situations: frozenset[LegalSituation] = attrs.field(
        factory=frozenset, metadata={"doc": "Situations served; empty means any."}
    )
    required_attributes: frozenset[PersonAttribute] = attrs.field(
        factory=frozenset, metadata={"doc": "Attributes a person must have."}
    )
    any_required_attribute: bool = attrs.field(
        default=False,
        metadata={"doc": "True: one of required_attributes is enough (elderly OR disabled)."},
    )
    excluded_attributes: frozenset[PersonAttribute] = attrs.field(
        factory=frozenset, metadata={"doc": "Attributes that rule a person out."}
    )
    note: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "Conditions in words, as the body publishes them."}
    )
    release_timing: ReleaseTiming | None = attrs.field(
        default=None,
        metadata={"doc": "'before_release' or 'after_release'; null: any (or no) release."},
    )
    within_days_of_release: int | None = attrs.field(
        default=None,
        metadata={
            "schema": {"minimum": 0, "maximum": MAX_RELEASE_DAYS},
            "doc": "Only within this many days of the release (before or after it, as "
            "release_timing says); null: no limit.",
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        days = self.within_days_of_release
        if days is not None and not 0 <= days <= MAX_RELEASE_DAYS:
            check.add("within_days_of_release", f"{days} is outside 0..{MAX_RELEASE_DAYS}")
        for name, age in (("min_age", self.min_age), ("max_age", self.max_age)):
            if age is not None and not 0 <= age <= MAX_AGE:
                check.add(name, f"{age} is outside 0..{MAX_AGE}")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            check.add("max_age", f"max_age {self.max_age} is below min_age {self.min_age}")
        both = self.required_attributes & self.excluded_attributes
        if both:
            names = ", ".join(sorted(both))
            check.add("excluded_attributes", f"required and excluded at once: {names}")
        check.done()

    @property
    def limits_release(self) -> bool:
        """True when the service is limited by the time of release."""
        return self.release_timing is not None or self.within_days_of_release is not None

    def admits_age(self, age: int) -> bool:
        return (self.min_age is None or age >= self.min_age) and (
            self.max_age is None or age <= self.max_age
        )


_ANYONE = Eligibility()
"""No restriction beyond the area: every service's eligibility unless it says otherwise
(one immutable object, shared)."""


@attrs.frozen
class Service:
    """A programme or consultation desk of an agency (HSDS ``service``)."""

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Stable service id."})
    agency_id: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Id of the agency that runs it."}
    )
    name: LocalizedText = attrs.field(metadata={"doc": "Name of the service."})
    area: ServiceArea = attrs.field(metadata={"doc": "Where residents must live to use it."})
    needs: frozenset[str] = attrs.field(
        metadata={
            "schema": {"minItems": 1, "items": {"pattern": ID_PATTERN}},
            "doc": "Need codes the service meets (a need covers its sub-needs).",
        }
    )
    audiences: frozenset[Audience] = attrs.field(
        metadata={"schema": {"minItems": 1}, "doc": "Who may consult it."}
    )
    description: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "What the service does."}
    )
    eligibility: Eligibility = attrs.field(
        default=_ANYONE, metadata={"doc": "Who it is for, beyond where they live."}
    )
    contacts: tuple[ContactPoint, ...] = attrs.field(
        default=(), metadata={"doc": "How to reach it; the agency's contacts apply when empty."}
    )
    hours: BusinessCalendar | None = attrs.field(
        default=None,
        metadata={"doc": "When it answers (weekly hours, holidays, reception period)."},
    )
    location_ids: tuple[str, ...] = attrs.field(
        default=(),
        metadata={
            "schema": {"items": {"pattern": ID_PATTERN}},
            "doc": "Agency locations where it is offered.",
        },
    )
    languages: tuple[str, ...] = attrs.field(
        default=("ja",),
        metadata={
            "schema": {"items": {"pattern": LANGUAGE_PATTERN}},
            "doc": "BCP 47 language tags.",
        },
    )
    cost: Cost = attrs.field(default=Cost.FREE, metadata={"doc": "What it costs the person."})
    cost_note: LocalizedText | None = attrs.field(default=None, metadata={"doc": "Fees in words."})
    accepting_referrals: bool = attrs.field(
        default=True, metadata={"doc": "Whether it takes referrals now."}
    )
    url: str | None = attrs.field(
        default=None, metadata={"schema": {"pattern": r"^https?://\S+$"}, "doc": "Public page."}
    )
    status: ServiceStatus = attrs.field(
        default=ServiceStatus.ACTIVE,
        metadata={"doc": "active, inactive, defunct or temporarily closed; only active opens."},
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        check.identifier("agency_id", self.agency_id)
        check.require(bool(self.needs), "needs", "a service must meet at least one need")
        check.require(bool(self.audiences), "audiences", "say who may consult the service")
        check.each(
            "languages",
            self.languages,
            lambda tag: None if _LANGUAGE_RE.fullmatch(tag) else f"{tag!r} is not a BCP 47 tag",
        )
        if len(set(self.location_ids)) != len(self.location_ids):
            check.add("location_ids", "a location is listed twice")
        if self.url is not None and not _URL_RE.fullmatch(self.url):
            check.add("url", f"{self.url!r} is not an http(s) URL")
        check.done()

    @property
    def active(self) -> bool:
        """True when the service runs now (``status`` is ``active``)."""
        return self.status is ServiceStatus.ACTIVE

    def is_open(self, t: dt.datetime) -> bool | None:
        """Whether it answers at ``t``: False when not active; None when hours are unknown."""
        if not self.active:
            return False
        return None if self.hours is None else self.hours.is_open(t)

    def next_open(self, t: dt.datetime) -> dt.datetime | None:
        """When it next answers from ``t`` (``t`` if open): None when not active or unknown."""
        if not self.active or self.hours is None:
            return None
        return t if self.hours.is_open(t) else self.hours.next_open(t)

    @property
    def channels(self) -> frozenset[Channel]:
        """The channels this service's own contacts offer."""
        return frozenset(contact.channel for contact in self.contacts)

"""Consultation cases: who asked, about whom, for what, and with what consent.

Case records are special care-required personal information (要配慮個人情報).
Fields marked ``sensitive`` in their metadata (the summary, names, birth
dates, notes) are left out of ``repr`` so that they never reach a log by
accident; they are written only when the caller serialises the case itself.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import zoneinfo

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory.location import MUNICIPALITY_CODE_PATTERN
from saihan.directory.municipalities import code_problem
from saihan.directory.service import LANGUAGE_PATTERN, MAX_AGE
from saihan.directory.vocabulary import (
    Audience,
    Channel,
    ConsentDecision,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
    Relation,
)

__all__ = [
    "AgeRange",
    "Consent",
    "ConsultationCase",
    "RaisedNeed",
    "RelativeSituation",
    "SharedSummary",
    "Subject",
    "Urgency",
]

_SENSITIVE = {"sensitive": True}

TIME_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"
"""An IANA time zone name (``Asia/Tokyo``, ``UTC``, ``America/Argentina/Buenos_Aires``)."""

JUVENILE_AGE = 20
"""The Juvenile Act's 少年 are under 20 (少年法第2条)."""
SPECIFIED_JUVENILE_AGES = (18, 19)
"""特定少年: a juvenile of 18 or 19 (少年法第62条, in force 2022-04-01)."""
CRIMINAL_RESPONSIBILITY_AGE = 14
"""Under 14 no act is punished (刑法第41条): a child is not arrested (触法少年)."""

SUSPECTABLE_ATTRIBUTES: frozenset[PersonAttribute] = frozenset(
    {
        PersonAttribute.PHYSICAL_DISABILITY,
        PersonAttribute.INTELLECTUAL_DISABILITY,
        PersonAttribute.MENTAL_DISABILITY,
        PersonAttribute.DEVELOPMENTAL_DISABILITY,
        PersonAttribute.DRUG_DEPENDENCE,
        PersonAttribute.ALCOHOL_DEPENDENCE,
        PersonAttribute.GAMBLING_DEPENDENCE,
    }
)
"""The attributes a worker may suspect before a diagnosis or certificate: disabilities
and dependences (the others are known facts, or derived from the age)."""

IN_CUSTODY_SITUATIONS: frozenset[LegalSituation] = frozenset(
    {
        LegalSituation.IN_PRISON,
        LegalSituation.JUVENILE_CASE,
        LegalSituation.UNDER_INVESTIGATION,
        LegalSituation.UNKNOWN,
    }
)
"""Legal situations in which a person may still be held, so that an expected release
day makes sense (in prison, a juvenile in custody, detained during investigation or trial)."""

CUSTODIAL_STAGES: frozenset[JuvenileStage] = frozenset(
    {
        JuvenileStage.ARRESTED,
        JuvenileStage.CLASSIFICATION_HOME,
        JuvenileStage.IN_TRAINING_SCHOOL,
        JuvenileStage.CHILD_WELFARE_MEASURE,
    }
)
"""Juvenile stages in which the young person is held (police custody, a juvenile
classification home, a training school, a children's self-reliance support facility)."""

BEFORE_DISPOSITION: frozenset[JuvenileStage] = frozenset(
    {
        JuvenileStage.ARRESTED,
        JuvenileStage.UNDER_INVESTIGATION,
        JuvenileStage.FAMILY_COURT,
        JuvenileStage.CLASSIFICATION_HOME,
        JuvenileStage.TENTATIVE_PROBATION,
    }
)
"""Juvenile stages before the family court's decision: only a person under 20 is in them
(one who turns 20 first is sent to the public prosecutor, 少年法第19条第2項)."""


def _situation_problems(
    check: Checker,
    prefix: str,
    legal_situation: LegalSituation,
    juvenile_stage: JuvenileStage | None,
    released_on: dt.date | None,
    expected_release_on: dt.date | None,
) -> None:
    """The checks a subject and a relative share: stage, release and expected release."""
    if juvenile_stage is not None and legal_situation is not LegalSituation.JUVENILE_CASE:
        check.add(
            f"{prefix}juvenile_stage",
            f"a juvenile procedure stage needs legal_situation 'juvenile_case', "
            f"not {legal_situation.value!r}",
        )
    if released_on is not None and expected_release_on is not None:
        check.add(
            f"{prefix}expected_release_on", "give released_on or expected_release_on, not both"
        )
    elif expected_release_on is not None:
        if legal_situation not in IN_CUSTODY_SITUATIONS:
            check.add(
                f"{prefix}expected_release_on",
                f"a person {legal_situation.value!r} is not held anywhere: an expected release "
                "goes with 'in_prison', 'juvenile_case', 'under_investigation' or 'unknown'",
            )
        elif juvenile_stage is not None and juvenile_stage not in CUSTODIAL_STAGES:
            check.add(
                f"{prefix}expected_release_on",
                f"a juvenile at stage {juvenile_stage.value!r} is not held: no expected release",
            )


class Urgency(enum.StrEnum):
    """How soon a need must be met; plans list needs most urgent first."""

    URGENT = "urgent"  # today: no place to sleep tonight, no money for food
    HIGH = "high"  # within days
    NORMAL = "normal"
    LOW = "low"

    @property
    def order(self) -> int:
        return list(Urgency).index(self)


@attrs.frozen
class AgeRange:
    """An age band when the exact age is not known (「60代」 is 60-69)."""

    min: int = attrs.field(metadata={"schema": {"minimum": 0, "maximum": MAX_AGE}})
    max: int = attrs.field(metadata={"schema": {"minimum": 0, "maximum": MAX_AGE}})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        for name in ("min", "max"):
            value = getattr(self, name)
            if not 0 <= value <= MAX_AGE:
                check.add(name, f"{value} is outside 0..{MAX_AGE}")
        if self.min > self.max:
            check.add("max", f"max {self.max} is below min {self.min}")
        check.done()


def _full_years(start: dt.date, end: dt.date) -> int:
    """Whole years from ``start`` to ``end`` (negative when end is earlier)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


@attrs.frozen
class Subject:
    """The person the consultation is about (本人), as far as the consulter said.

    Give at most one of ``age``, ``age_range`` and ``birth_date``; with none,
    the age is unknown and services limited by age are not proposed.
    """

    residence: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": MUNICIPALITY_CODE_PATTERN},
            "doc": "Municipality code of where they live; null when unknown or homeless.",
        },
    )
    age: int | None = attrs.field(
        default=None,
        metadata={
            "schema": {"minimum": 0, "maximum": MAX_AGE},
            "doc": "Age on the day the case was received.",
        },
    )
    age_range: AgeRange | None = attrs.field(
        default=None, metadata={"doc": "Age band on the day received, when no exact age."}
    )
    birth_date: dt.date | None = attrs.field(
        default=None, repr=False, metadata={**_SENSITIVE, "doc": "Date of birth (sensitive)."}
    )
    legal_situation: LegalSituation = attrs.field(
        default=LegalSituation.UNKNOWN, metadata={"doc": "Where they are in the justice system."}
    )
    released_on: dt.date | None = attrs.field(
        default=None,
        metadata={"doc": "Release from prison or juvenile training school, or parole start."},
    )
    attributes: frozenset[PersonAttribute] = attrs.field(
        factory=frozenset, metadata={"doc": "What else is true of them (elderly, homeless ...)."}
    )
    name: str | None = attrs.field(
        default=None, repr=False, metadata={**_SENSITIVE, "doc": "Name (sensitive)."}
    )
    preferred_municipality: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": MUNICIPALITY_CODE_PATTERN},
            "doc": "Where they want to live or be supported, as a municipality code (for a "
            "person with no residence, or one about to leave a facility).",
        },
    )
    suspected_attributes: frozenset[PersonAttribute] = attrs.field(
        factory=frozenset,
        metadata={
            "doc": "Attributes a worker suspects but that are not diagnosed or certified (a "
            "possible intellectual disability, say); never in ``attributes`` as well."
        },
    )
    juvenile_stage: JuvenileStage | None = attrs.field(
        default=None,
        metadata={
            "doc": "For a juvenile case: where the procedure stands (arrested, family court, "
            "classification home ...)."
        },
    )
    expected_release_on: dt.date | None = attrs.field(
        default=None,
        metadata={
            "doc": "Still in a prison, training school or other facility: the day they are "
            "expected to leave."
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        given = [
            name for name in ("age", "age_range", "birth_date") if getattr(self, name) is not None
        ]
        if len(given) > 1:
            check.add(given[1], f"give only one of age, age_range and birth_date, not {given}")
        if self.age is not None and not 0 <= self.age <= MAX_AGE:
            check.add("age", f"{self.age} is outside 0..{MAX_AGE}")
        for field in ("residence", "preferred_municipality"):
            code = getattr(self, field)
            if code is not None:
                problem = code_problem(code)
                if problem is not None:
                    check.add(field, problem)
        both = self.attributes & self.suspected_attributes
        if both:
            names = ", ".join(sorted(attribute.value for attribute in both))
            check.add("suspected_attributes", f"{names} is known, not only suspected")
        unsuspectable = self.suspected_attributes - SUSPECTABLE_ATTRIBUTES
        if unsuspectable:
            names = ", ".join(sorted(attribute.value for attribute in unsuspectable))
            check.add(
                "suspected_attributes",
                f"{names} is known or not, never only suspected: only a disability or a "
                "dependence may be suspected",
            )
        _situation_problems(
            check,
            "",
            self.legal_situation,
            self.juvenile_stage,
            self.released_on,
            self.expected_release_on,
        )
        check.non_blank_optional("name", self.name)
        check.done()

    def age_bounds(self, on: dt.date, received: dt.date) -> tuple[int, int] | None:
        """The youngest and oldest the subject can be on ``on``, or None when unknown.

        An age given on the day received is carried forward (or back) by whole
        years; without a birth date a birthday may fall in between, so the
        bounds widen by one.
        """
        if self.birth_date is not None:
            exact = _full_years(self.birth_date, on)
            return (exact, exact)
        if self.age is not None:
            low, high = self.age, self.age
        elif self.age_range is not None:
            low, high = self.age_range.min, self.age_range.max
        else:
            return None
        if on == received:
            return (low, high)
        # Whole years between the two days, rounded down; a birthday may fall in the rest.
        shift = _full_years(received, on)
        return (max(0, low + shift), max(0, high + shift + 1))


@attrs.frozen
class RelativeSituation:
    """A relative of the consulter who is in the justice system (家族の相談).

    When a family member consults for their own sake (a mother whose son is in
    prison, say), ``subject`` is the family member and this says where the
    relative stands; the plan's needs are the consulter's own.
    """

    relation: Relation = attrs.field(metadata={"doc": "How the relative is related to them."})
    legal_situation: LegalSituation = attrs.field(
        default=LegalSituation.UNKNOWN, metadata={"doc": "Where the relative stands."}
    )
    juvenile_stage: JuvenileStage | None = attrs.field(
        default=None, metadata={"doc": "For a juvenile relative: the procedure stage."}
    )
    released_on: dt.date | None = attrs.field(
        default=None, metadata={"doc": "When the relative was released, if they were."}
    )
    expected_release_on: dt.date | None = attrs.field(
        default=None, metadata={"doc": "When the relative is expected to be released."}
    )
    residence: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": MUNICIPALITY_CODE_PATTERN},
            "doc": "Municipality code where the relative lives or will live, if known.",
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        if self.residence is not None:
            problem = code_problem(self.residence)
            if problem is not None:
                check.add("residence", problem)
        _situation_problems(
            check,
            "",
            self.legal_situation,
            self.juvenile_stage,
            self.released_on,
            self.expected_release_on,
        )
        check.done()


@attrs.frozen
class RaisedNeed:
    """A need the consulter raised, and how urgent it is."""

    code: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Need code."})
    urgency: Urgency = attrs.field(default=Urgency.NORMAL, metadata={"doc": "How soon."})
    note: str | None = attrs.field(
        default=None, repr=False, metadata={**_SENSITIVE, "doc": "What was said (sensitive)."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("code", self.code)
        check.non_blank_optional("note", self.note)
        check.done()


@attrs.frozen
class Consent:
    """The person's agreement that their information may go to certain bodies.

    It covers the agencies named in ``agency_ids`` and every agency of the
    kinds in ``agency_kinds``, from ``given_on`` until ``until`` (inclusive;
    open-ended when null), unless it was withdrawn.
    """

    given_on: dt.date = attrs.field(metadata={"doc": "The day consent was given."})
    agency_ids: frozenset[str] = attrs.field(
        factory=frozenset,
        metadata={"schema": {"items": {"pattern": ID_PATTERN}}, "doc": "Agencies covered."},
    )
    agency_kinds: frozenset[str] = attrs.field(
        factory=frozenset,
        metadata={"schema": {"items": {"pattern": ID_PATTERN}}, "doc": "Agency kinds covered."},
    )
    until: dt.date | None = attrs.field(
        default=None, metadata={"doc": "Last day covered; null for no end date."}
    )
    withdrawn_on: dt.date | None = attrs.field(
        default=None, metadata={"doc": "The day it was withdrawn, if it was."}
    )
    decision: ConsentDecision = attrs.field(
        default=ConsentDecision.GIVEN,
        metadata={
            "doc": "'given', or 'refused' when the person was asked and said no (then "
            "``given_on`` is the day they were asked, and the consent covers nothing)."
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        if not self.agency_ids and not self.agency_kinds:
            check.add("agency_ids", "a consent must name at least one agency or agency kind")
        check.each("agency_ids", self.agency_ids, _id_problem)
        check.each("agency_kinds", self.agency_kinds, _id_problem)
        if self.until is not None and self.until < self.given_on:
            check.add("until", f"ends {self.until} before it was given on {self.given_on}")
        if self.withdrawn_on is not None and self.withdrawn_on < self.given_on:
            check.add("withdrawn_on", f"withdrawn {self.withdrawn_on} before given {self.given_on}")
        if self.decision is ConsentDecision.REFUSED:
            if self.withdrawn_on is not None:
                check.add("withdrawn_on", "a refused consent cannot be withdrawn")
            if self.until is not None:
                check.add(
                    "until",
                    "a refusal has no end day: when the person agrees later, record a consent",
                )
        check.done()

    @property
    def refused(self) -> bool:
        return self.decision is ConsentDecision.REFUSED

    def in_force(self, on: dt.date) -> bool:
        """True when the consent holds on ``on`` (a refusal never does)."""
        if self.refused or on < self.given_on:
            return False
        if self.until is not None and on > self.until:
            return False
        return self.withdrawn_on is None or on < self.withdrawn_on

    def covers(self, agency_id: str, agency_kind: str, on: dt.date) -> bool:
        """True when information may go to this agency on ``on``."""
        return self.in_force(on) and self.names(agency_id, agency_kind)

    def names(self, agency_id: str, agency_kind: str) -> bool:
        """True when this consent (given or refused) is about this agency."""
        return agency_id in self.agency_ids or agency_kind in self.agency_kinds

    def refuses(self, agency_id: str, agency_kind: str, on: dt.date) -> bool:
        """True when the person refused, by ``on``, to let information go here."""
        return self.refused and on >= self.given_on and self.names(agency_id, agency_kind)


MAX_SHARED_SUMMARY = 2000
"""The longest summary edited for sharing, in characters."""


@attrs.frozen
class SharedSummary:
    """A summary of the case a reviewer edited for sharing as a case example
    (区市町村担当者連絡会): the only free text of a case that ``saihan cases share``
    writes (see ``docs/monitoring.md``).  Kept out of ``repr`` like every text of a case."""

    text: str = attrs.field(
        repr=False,
        metadata={
            **_SENSITIVE,
            "schema": {"minLength": 1, "maxLength": MAX_SHARED_SUMMARY},
            "doc": "The summary as edited for sharing.",
        },
    )
    reviewed_by: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Id of the reviewer."}
    )
    reviewed_at: dt.datetime = attrs.field(
        metadata={"doc": "When it was reviewed, with its UTC offset."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("reviewed_by", self.reviewed_by)
        check.non_blank_optional("text", self.text)
        if len(self.text) > MAX_SHARED_SUMMARY:
            check.add("text", f"is longer than {MAX_SHARED_SUMMARY} characters")
        check.done()


_TIME_ZONE_RE = re.compile(TIME_ZONE_PATTERN)


def _id_problem(value: str) -> str | None:
    check = Checker()
    check.identifier("", value)
    return check.errors[0].message if check.errors else None


@attrs.frozen
class ConsultationCase:
    """One consultation: who consulted, about whom, what they need, and consent.

    ``repr`` shows the id and the shape of the case, never the summary or
    anything identifying.
    """

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Case id."})
    received_at: dt.datetime = attrs.field(
        metadata={"doc": "When the consultation was received, with its UTC offset."}
    )
    consulter: Audience = attrs.field(
        metadata={"doc": "Who consulted: the person, family, a supporter or a professional."}
    )
    received_via: Channel = attrs.field(metadata={"doc": "How it came in (phone, e-mail ...)."})
    subject: Subject = attrs.field(metadata={"doc": "The person the consultation is about."})
    needs: tuple[RaisedNeed, ...] = attrs.field(
        metadata={"schema": {"minItems": 1}, "doc": "Needs raised, each with its urgency."}
    )
    preferred_channels: frozenset[Channel] = attrs.field(
        factory=frozenset,
        metadata={"doc": "Channels the person can use; empty means any."},
    )
    languages: tuple[str, ...] = attrs.field(
        default=("ja",),
        metadata={
            "schema": {"minItems": 1, "items": {"pattern": LANGUAGE_PATTERN}},
            "doc": "Languages the person can use, BCP 47, preferred first.",
        },
    )
    consents: tuple[Consent, ...] = attrs.field(
        default=(), metadata={"doc": "Consents to share information with agencies."}
    )
    municipality: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": MUNICIPALITY_CODE_PATTERN},
            "doc": "Code of the municipality handling the case (for follow-up and reports).",
        },
    )
    worker: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Id of the worker in charge."},
    )
    closed_at: dt.datetime | None = attrs.field(
        default=None,
        metadata={"doc": "When the case was closed (every referral had ended); null while open."},
    )
    summary: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={**_SENSITIVE, "doc": "What was said, in the worker's words (sensitive)."},
    )
    organisation: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": ID_PATTERN},
            "doc": "Id of the organisation handling the case (its desk workers see it).",
        },
    )
    shared_with: frozenset[str] = attrs.field(
        factory=frozenset,
        metadata={
            "schema": {"items": {"pattern": ID_PATTERN}},
            "doc": "Organisation or worker ids the case is shared with (see docs/access.md).",
        },
    )
    received_by: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": ID_PATTERN},
            "doc": "Id of the service (desk) that received the consultation.",
        },
    )
    relative: RelativeSituation | None = attrs.field(
        default=None,
        metadata={
            "doc": "For a family member consulting for themselves: the relative in the "
            "justice system (consulter must be 'family')."
        },
    )
    time_zone: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": TIME_ZONE_PATTERN, "maxLength": 64},
            "doc": "IANA zone of the person's day (Asia/Tokyo, say); null reads days in the "
            "UTC offset of ``received_at``.",
        },
    )
    shared_summary: SharedSummary | None = attrs.field(
        default=None,
        repr=False,
        metadata={
            **_SENSITIVE,
            "doc": "The summary as a reviewer edited it for sharing as a case example; null: "
            "none (then no free text of the case is ever shared).",
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        if self.organisation is not None:
            check.identifier("organisation", self.organisation)
        for index, shared in enumerate(sorted(self.shared_with)):
            check.identifier(f"shared_with[{index}]", shared)
        check.require(bool(self.needs), "needs", "raise at least one need")
        seen: dict[str, int] = {}
        for index, need in enumerate(self.needs):
            if need.code in seen:
                check.add(f"needs[{index}].code", f"need {need.code!r} is raised twice")
            seen[need.code] = index
        if len(set(self.languages)) != len(self.languages):
            check.add("languages", "a language is listed twice")
        if self.municipality is not None:
            problem = code_problem(self.municipality)
            if problem is not None:
                check.add("municipality", problem)
        check.non_blank_optional("summary", self.summary)
        if self.received_by is not None:
            check.identifier("received_by", self.received_by)
        if self.relative is not None and self.consulter is not Audience.FAMILY:
            check.add(
                "relative", f"only a family consulter has a relative, not {self.consulter.value!r}"
            )
        self._consent_problems(check)
        zone_known = self.time_zone is None
        if self.time_zone is not None:
            if len(self.time_zone) > 64 or not _TIME_ZONE_RE.fullmatch(self.time_zone):
                check.add(
                    "time_zone", f"{self.time_zone!r} is not an IANA time zone like Asia/Tokyo"
                )
            else:
                try:
                    zoneinfo.ZoneInfo(self.time_zone)
                    zone_known = True
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    check.add(
                        "time_zone", f"{self.time_zone!r} is not an IANA time zone like Asia/Tokyo"
                    )
        # Both times carry their UTC offset (checked with the fields' types).
        if self.closed_at is not None and self.closed_at < self.received_at:
            check.add("closed_at", "closed before it was received")
        if zone_known and self.received_at.utcoffset() is not None:
            # Days are the person's days: received_on is read in the case's zone.
            self._day_problems(check, self.received_on)
        check.done()

    def _consent_problems(self, check: Checker) -> None:
        """A refusal on a day a given consent covers the same agency or kind contradicts
        it: the person withdraws a consent (``withdrawn_on``), then refuses."""
        for index, refusal in enumerate(self.consents):
            if not refusal.refused:
                continue
            for other, given in enumerate(self.consents):
                if given.refused or not given.in_force(refusal.given_on):
                    continue
                shared = sorted(
                    (refusal.agency_ids & given.agency_ids)
                    | (refusal.agency_kinds & given.agency_kinds)
                )
                if shared:
                    check.add(
                        f"consents[{index}]",
                        f"refuses {', '.join(shared)} on {refusal.given_on}, which consent "
                        f"{other} covers that day: withdraw consent {other} first",
                    )

    def _day_problems(self, check: Checker, received: dt.date) -> None:
        """What the received day says about the subject's and the relative's dates."""
        situations: list[tuple[str, Subject | RelativeSituation]] = [("subject", self.subject)]
        if self.relative is not None:
            situations.append(("relative", self.relative))
        for prefix, who in situations:
            if who.released_on is not None and who.released_on > received:
                check.add(
                    f"{prefix}.released_on",
                    f"release date {who.released_on} is after the case was received ({received})",
                )
            if who.expected_release_on is not None and who.expected_release_on < received:
                check.add(
                    f"{prefix}.expected_release_on",
                    f"expected release {who.expected_release_on} is before the case was "
                    f"received ({received}): give released_on if they have left",
                )
        subject = self.subject
        bounds = subject.age_bounds(received, received)
        if bounds is None:
            return
        low, high = bounds
        stage = subject.juvenile_stage
        if stage in BEFORE_DISPOSITION and low >= JUVENILE_AGE:
            check.add(
                "subject.juvenile_stage",
                f"a person of {low} or more is not at juvenile stage {stage.value!r}: "
                f"the Juvenile Act's procedure before the decision is for those under "
                f"{JUVENILE_AGE}",
            )
        if stage is JuvenileStage.ARRESTED and high < CRIMINAL_RESPONSIBILITY_AGE:
            check.add(
                "subject.juvenile_stage",
                f"a child under {CRIMINAL_RESPONSIBILITY_AGE} is not arrested (触法少年): "
                "use 'under_investigation' or 'child_welfare_measure'",
            )
        first, last = SPECIFIED_JUVENILE_AGES
        if PersonAttribute.SPECIFIED_JUVENILE in subject.attributes and (
            high < first or low > last
        ):
            check.add(
                "subject.attributes",
                f"specified_juvenile (特定少年) is {first} or {last} years old; the subject is "
                f"{low}-{high} on {received}",
            )

    @property
    def zone(self) -> dt.tzinfo:
        """The zone the person's days are read in: ``time_zone``, or the UTC offset of
        ``received_at``."""
        if self.time_zone is not None:
            return zoneinfo.ZoneInfo(self.time_zone)
        zone = self.received_at.tzinfo
        assert zone is not None  # received_at is checked to carry an offset
        return zone

    @property
    def received_on(self) -> dt.date:
        """The person's day on which the case was received."""
        return self.local_day(self.received_at)

    @property
    def need_codes(self) -> tuple[str, ...]:
        return tuple(need.code for need in self.needs)

    def local_day(self, moment: dt.datetime) -> dt.date:
        """The person's day: the date ``moment`` falls on in :attr:`zone`.

        Every date test (ages, days since release, rules in force, consent,
        eligibility and the lifecycle) reads its day through this, so the same
        moment written in any UTC offset gives the same answers.
        """
        return moment.astimezone(self.zone).date()

    def consent_for(self, agency_id: str, agency_kind: str, on: dt.date) -> Consent | None:
        """The first consent that lets information go to this agency on ``on``."""
        for consent in self.consents:
            if consent.covers(agency_id, agency_kind, on):
                return consent
        return None

    def consent_refused_for(self, agency_id: str, agency_kind: str, on: dt.date) -> Consent | None:
        """The refusal, by ``on``, to let information go to this agency, unless a later
        consent covers it."""
        if self.consent_for(agency_id, agency_kind, on) is not None:
            return None
        for consent in self.consents:
            if consent.refuses(agency_id, agency_kind, on):
                return consent
        return None

"""Hypothesis strategies for referral: cases, consents, conditions, rules and plans.

Everything generated is valid: building it never raises, it survives
:func:`saihan.serialization.to_json` and :func:`~saihan.serialization.from_json`
unchanged, and the need codes come from a taxonomy so that
:func:`saihan.referral.match` accepts the cases.  Keyword arguments narrow
what is generated; pass ``directory=`` to :func:`cases` to draw needs from
its taxonomy and consents to its agencies and kinds::

    from hypothesis import given
    from saihan.directory import sample_directory
    from saihan.referral import LegalSituation, match   # noqa: the usual imports
    from saihan.testing import cases

    DIRECTORY = sample_directory()

    @given(cases(directory=DIRECTORY, legal_situations=[LegalSituation.ON_PAROLE]))
    def test_parole_goes_to_probation_first(case):
        plan = match(case, DIRECTORY)
        ...

Requires Hypothesis (``saihan[test]``), like the rest of :mod:`saihan.testing`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Sequence
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from saihan.directory.agency_kinds import default_agency_kinds
from saihan.directory.directory import Directory
from saihan.directory.municipalities import tokyo_municipalities
from saihan.directory.service import MAX_AGE
from saihan.directory.taxonomy import NeedTaxonomy, default_taxonomy
from saihan.directory.vocabulary import (
    Audience,
    Channel,
    ConsentDecision,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
    Relation,
)
from saihan.referral.case import (
    BEFORE_DISPOSITION,
    CRIMINAL_RESPONSIBILITY_AGE,
    CUSTODIAL_STAGES,
    IN_CUSTODY_SITUATIONS,
    JUVENILE_AGE,
    SPECIFIED_JUVENILE_AGES,
    SUSPECTABLE_ATTRIBUTES,
    AgeRange,
    Consent,
    ConsultationCase,
    RaisedNeed,
    RelativeSituation,
    SharedSummary,
    Subject,
    Urgency,
)
from saihan.referral.conditions import (
    ALL_FIELDS,
    CASE_FIELDS,
    COMPARISONS,
    SERVICE_FIELDS,
    TRUE,
    AgeTest,
    AllOf,
    AnyOf,
    Condition,
    FieldSpec,
    FieldTest,
    Not,
    ValueKind,
)
from saihan.referral.plan import (
    Exclusion,
    Fact,
    MissingRequirement,
    NeedPlan,
    Reason,
    Recommendation,
    ReferralPlan,
)
from saihan.referral.rules import Effect, Rule, RuleSet, Source
from saihan.testing.strategies import (
    identifiers,
    language_tags,
    localized_texts,
    municipality_codes,
    texts,
    urls,
)

__all__ = [
    "JST",
    "age_ranges",
    "cases",
    "conditions",
    "consents",
    "exclusions",
    "facts",
    "missing_requirements",
    "need_plans",
    "plans",
    "raised_needs",
    "reasons",
    "recommendations",
    "relative_situations",
    "rule_sets",
    "rules",
    "sources",
    "subjects",
]

_T = TypeVar("_T")

JST = dt.timezone(dt.timedelta(hours=9), "JST")
"""Japan Standard Time (+09:00), the offset most generated times carry."""

# Mostly Tokyo time; now and then another offset, so that "the day received"
# (in the case's own offset) and "the day of the match" are exercised.
_OFFSETS = (
    JST,
    JST,
    JST,
    dt.UTC,
    dt.timezone(dt.timedelta(hours=-5)),
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
)

# The period of Tokyo's second recidivism prevention plan, which the default rules cover.
PLAN_FIRST = dt.date(2024, 4, 1)
PLAN_LAST = dt.date(2029, 3, 31)


def _maybe(strategy: SearchStrategy[_T]) -> SearchStrategy[_T | None]:
    return st.none() | strategy


def _codes_from(
    values: SearchStrategy[_T] | Sequence[_T] | None, default: SearchStrategy[_T]
) -> SearchStrategy[_T]:
    if values is None:
        return default
    if isinstance(values, SearchStrategy):
        return values
    if not values:
        raise ValueError("give at least one value to choose from")
    return st.sampled_from(list(values))


def _choices(values: Collection[_T] | None, every: Sequence[_T], what: str) -> list[_T]:
    chosen = list(every) if values is None else [value for value in every if value in values]
    if not chosen:
        raise ValueError(f"give at least one of the {what} to choose from")
    return chosen


@functools.cache
def _tokyo_codes() -> tuple[str, ...]:
    return tuple(item.code for item in tokyo_municipalities())


@functools.cache
def _need_codes_of(taxonomy: NeedTaxonomy) -> SearchStrategy[str]:
    return st.sampled_from(sorted(need.code for need in taxonomy))


# -- cases -----------------------------------------------------------------------------


def age_ranges(*, min_age: int = 0, max_age: int = MAX_AGE) -> SearchStrategy[AgeRange]:
    """:class:`AgeRange` bands inside ``min_age``..``max_age`` (often a decade, 「60代」)."""
    if not 0 <= min_age <= max_age <= MAX_AGE:
        raise ValueError(f"need 0 <= min_age <= max_age <= {MAX_AGE}")
    return _age_ranges(min_age, max_age)


@functools.cache
def _age_ranges(min_age: int, max_age: int) -> SearchStrategy[AgeRange]:

    @st.composite
    def draw_range(draw: DrawFn) -> AgeRange:
        decade = draw(st.booleans())
        if decade and min_age // 10 * 10 + 9 <= max_age:
            start = draw(st.integers(min_age // 10, max_age // 10)) * 10
            if start >= min_age and start + 9 <= max_age:
                return AgeRange(start, start + 9)
        low = draw(st.integers(min_age, max_age))
        return AgeRange(low, draw(st.integers(low, max_age)))

    return draw_range()


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


@attrs.frozen
class _SubjectParts:
    """What :func:`subjects` draws from, built once per call rather than per example."""

    residence: str | None
    places: SearchStrategy[str]
    with_residence: bool | None
    situations: SearchStrategy[LegalSituation]
    attributes: SearchStrategy[frozenset[PersonAttribute]]
    suspected: SearchStrategy[frozenset[PersonAttribute]]
    low: int
    high: int
    age_known: bool | None
    bounded: bool

    @classmethod
    def of(
        cls,
        *,
        residence: str | None,
        municipalities: Sequence[str] | None,
        with_residence: bool | None,
        legal_situations: Collection[LegalSituation] | None,
        attributes: Collection[PersonAttribute] | None,
        min_age: int | None,
        max_age: int | None,
        age_known: bool | None,
    ) -> _SubjectParts:
        low = 0 if min_age is None else min_age
        high = MAX_AGE if max_age is None else max_age
        if not 0 <= low <= high <= MAX_AGE:
            raise ValueError(f"need 0 <= min_age <= max_age <= {MAX_AGE}")
        pool = [item for item in PersonAttribute if attributes is None or item in attributes]
        suspectable = [item for item in pool if item in SUSPECTABLE_ATTRIBUTES]
        return cls(
            residence=residence,
            places=_codes_from(municipalities, municipality_codes()),
            with_residence=with_residence,
            situations=st.sampled_from(
                _choices(legal_situations, list(LegalSituation), "legal situations")
            ),
            attributes=st.frozensets(st.sampled_from(pool), max_size=4)
            if pool
            else st.just(frozenset()),
            suspected=st.frozensets(st.sampled_from(suspectable), max_size=2)
            if suspectable
            else st.just(frozenset()),
            low=low,
            high=high,
            age_known=age_known,
            bounded=min_age is not None or max_age is not None,
        )


@st.composite
def _subject(draw: DrawFn, parts: _SubjectParts, received_on: dt.date | None) -> Subject:
    if parts.residence is not None:
        place: str | None = parts.residence
    else:
        present = draw(st.booleans()) if parts.with_residence is None else parts.with_residence
        place = draw(parts.places) if present else None
    low, high = parts.low, parts.high
    kinds_of_age = ["age", "age_range"]
    if received_on is not None or not parts.bounded:
        kinds_of_age.append("birth_date")
    if not parts.age_known:
        kinds_of_age.append("none")
    if parts.age_known is False:
        kinds_of_age = ["none"]
    given = draw(st.sampled_from(kinds_of_age))
    age = age_range = birth_date = None
    if given == "age":
        age = draw(st.integers(low, high))
    elif given == "age_range":
        age_range = draw(age_ranges(min_age=low, max_age=high))
    elif given == "birth_date":
        if received_on is None:
            birth_date = draw(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)))
        else:
            years = draw(st.integers(low, max(low, min(high, received_on.year - 2))))
            latest = _years_before(received_on, years)
            earliest = _years_before(received_on, years + 1) + dt.timedelta(days=1)
            birth_date = draw(st.dates(earliest, latest))
    bounds = _age_bounds(age, age_range, birth_date, received_on)
    situation = draw(parts.situations)
    stage = draw(_stages(bounds)) if situation is LegalSituation.JUVENILE_CASE else None
    released_on, expected_release_on = draw(_release_days(situation, stage, received_on))
    attributes = draw(parts.attributes)
    first, last = SPECIFIED_JUVENILE_AGES
    if bounds is not None and (bounds[1] < first or bounds[0] > last):
        # 特定少年 is 18 or 19: kept only for an age that can be that, or an unknown one.
        attributes -= {PersonAttribute.SPECIFIED_JUVENILE}
    suspected = draw(parts.suspected) - attributes
    preferred = None
    if draw(st.integers(0, 1 if place is None else 3)) == 0:
        preferred = draw(parts.places)
    return Subject(
        residence=place,
        age=age,
        age_range=age_range,
        birth_date=birth_date,
        legal_situation=situation,
        released_on=released_on,
        attributes=attributes,
        name=draw(_NAMES),
        preferred_municipality=preferred,
        suspected_attributes=suspected,
        juvenile_stage=stage,
        expected_release_on=expected_release_on,
    )


def _age_bounds(
    age: int | None,
    age_range: AgeRange | None,
    birth_date: dt.date | None,
    received_on: dt.date | None,
) -> tuple[int, int] | None:
    """The subject's youngest and oldest age on the day received (None: unknown)."""
    if age is not None:
        return (age, age)
    if age_range is not None:
        return (age_range.min, age_range.max)
    if birth_date is not None and received_on is not None:
        return Subject(birth_date=birth_date).age_bounds(received_on, received_on)
    return None


@functools.cache
def _stages(bounds: tuple[int, int] | None) -> SearchStrategy[JuvenileStage | None]:
    """A juvenile stage the age allows: before the decision only under 20, arrested
    only from 14 (ConsultationCase checks both on the day received)."""
    allowed = list(JuvenileStage)
    if bounds is not None and bounds[0] >= JUVENILE_AGE:
        allowed = [stage for stage in allowed if stage not in BEFORE_DISPOSITION]
    if bounds is not None and bounds[1] < CRIMINAL_RESPONSIBILITY_AGE:
        allowed = [stage for stage in allowed if stage is not JuvenileStage.ARRESTED]
    return st.none() | st.sampled_from(allowed)


@st.composite
def _release_days(
    draw: DrawFn,
    situation: LegalSituation,
    stage: JuvenileStage | None,
    received_on: dt.date | None,
) -> tuple[dt.date | None, dt.date | None]:
    """``(released_on, expected_release_on)``: at most one, a release on or before the
    day received, an expected release on or after it and only for someone held."""
    which = draw(st.integers(0, 2))
    if which == 0:
        last = received_on or dt.date(2029, 12, 31)
        return draw(st.dates(last - dt.timedelta(days=3 * 366), last)), None
    held = situation in IN_CUSTODY_SITUATIONS and (stage is None or stage in CUSTODIAL_STAGES)
    if which == 1 and held:
        first = received_on or PLAN_FIRST
        return None, draw(st.dates(first, first + dt.timedelta(days=2 * 366)))
    return None, None


@st.composite
def _relative(draw: DrawFn, received_on: dt.date | None) -> RelativeSituation:
    situation = draw(st.sampled_from(LegalSituation))
    stage = draw(_stages(None)) if situation is LegalSituation.JUVENILE_CASE else None
    released_on, expected_release_on = draw(_release_days(situation, stage, received_on))
    return RelativeSituation(
        relation=draw(st.sampled_from(Relation)),
        legal_situation=situation,
        juvenile_stage=stage,
        released_on=released_on,
        expected_release_on=expected_release_on,
        residence=draw(_maybe(st.sampled_from(_tokyo_codes()))),
    )


def relative_situations(*, received_on: dt.date | None = None) -> SearchStrategy[RelativeSituation]:
    """:class:`RelativeSituation` values: the relative a family member consults about,
    with release days on or before ``received_on`` and expected releases on or after it."""
    return _relative(received_on)


_NAMES = _maybe(texts(max_size=12))


def subjects(
    *,
    residence: str | None = None,
    municipalities: Sequence[str] | None = None,
    with_residence: bool | None = None,
    legal_situations: Collection[LegalSituation] | None = None,
    attributes: Collection[PersonAttribute] | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
    age_known: bool | None = None,
    received_on: dt.date | None = None,
) -> SearchStrategy[Subject]:
    """:class:`Subject` values: the person a consultation is about.

    ``residence`` fixes the municipality code of residence; otherwise it is
    drawn from ``municipalities`` (by default any valid code, Tokyo's often)
    and ``with_residence`` says whether there is one (False: homeless or
    unknown; None: either).  ``legal_situations`` limits the situations and
    ``attributes`` the attributes drawn (an empty collection: none).  The age
    is given as an exact age, an age band or a birth date (or not at all
    unless ``age_known``; never with ``age_known=False``), inside ``min_age``
    and ``max_age`` on the day ``received_on``; birth and release dates are
    drawn on or before ``received_on`` (a case refuses a release after it
    was received), expected releases on or after it, and juvenile stages,
    suspected attributes and ``specified_juvenile`` as :func:`cases` draws them.
    """
    parts = _SubjectParts.of(
        residence=residence,
        municipalities=municipalities,
        with_residence=with_residence,
        legal_situations=legal_situations,
        attributes=attributes,
        min_age=min_age,
        max_age=max_age,
        age_known=age_known,
    )
    return _subject(parts, received_on)


def consents(
    *,
    agency_ids: Sequence[str] | None = None,
    agency_kinds: Sequence[str] | None = None,
    around: dt.date | None = None,
    in_force_on: dt.date | None = None,
    refused: bool | None = False,
) -> SearchStrategy[Consent]:
    """:class:`Consent` values naming at least one agency or agency kind.

    ``agency_ids`` and ``agency_kinds`` are the ids and kind codes to name
    (by default any ids, and the bundled kinds); an empty sequence names
    none of that sort.  Dates fall within a year or so of ``around`` (by
    default in the plan's years); ``in_force_on`` makes the consent hold on
    that day.  ``refused``: False (the default), consents given; True,
    refusals (``decision`` ``refused``: no end day, never withdrawn); None,
    either (not with ``in_force_on``: a refusal is never in force).
    """
    if refused is not False and in_force_on is not None:
        raise ValueError("a refusal is never in force: in_force_on needs refused=False")
    ids, kinds = _consent_names(agency_ids, agency_kinds)
    if refused is None:
        return st.one_of(_consent(ids, kinds, around, in_force_on), _refusal(ids, kinds, around))
    if refused:
        return _refusal(ids, kinds, around)
    return _consent(ids, kinds, around, in_force_on)


def _consent_names(
    agency_ids: Sequence[str] | None, agency_kinds: Sequence[str] | None
) -> tuple[SearchStrategy[str] | None, SearchStrategy[str] | None]:
    if agency_ids is not None and agency_kinds is not None and not agency_ids and not agency_kinds:
        raise ValueError("a consent names at least one agency or kind")
    ids = identifiers() if agency_ids is None else _maybe_sample(agency_ids)
    kinds = (
        st.sampled_from([kind.code for kind in default_agency_kinds()])
        if agency_kinds is None
        else _maybe_sample(agency_kinds)
    )
    return ids, kinds


@st.composite
def _consent(
    draw: DrawFn,
    ids: SearchStrategy[str] | None,
    kinds: SearchStrategy[str] | None,
    around: dt.date | None,
    in_force_on: dt.date | None,
) -> Consent:
    named_ids = draw(st.frozensets(ids, max_size=3)) if ids is not None else frozenset()
    named_kinds = draw(st.frozensets(kinds, max_size=2)) if kinds is not None else frozenset()
    if not named_ids and not named_kinds:
        if kinds is not None:
            named_kinds = frozenset({draw(kinds)})
        elif ids is not None:
            named_ids = frozenset({draw(ids)})
    centre = in_force_on or around
    if centre is None:
        given_on = draw(st.dates(PLAN_FIRST - dt.timedelta(days=365), PLAN_LAST))
    else:
        given_on = draw(st.dates(centre - dt.timedelta(days=400), centre + dt.timedelta(days=30)))
    if in_force_on is not None and given_on > in_force_on:
        given_on = in_force_on
    first_uncovered = given_on if in_force_on is None else in_force_on
    until = draw(_maybe(st.dates(first_uncovered, first_uncovered + dt.timedelta(days=730))))
    withdrawn_on = None
    if draw(st.integers(0, 3)) == 0:
        start = given_on if in_force_on is None else in_force_on + dt.timedelta(days=1)
        withdrawn_on = draw(st.dates(start, start + dt.timedelta(days=365)))
    return Consent(
        given_on=given_on,
        agency_ids=named_ids,
        agency_kinds=named_kinds,
        until=until,
        withdrawn_on=withdrawn_on,
    )


@st.composite
def _refusal(
    draw: DrawFn,
    ids: SearchStrategy[str] | None,
    kinds: SearchStrategy[str] | None,
    around: dt.date | None,
) -> Consent:
    asked = draw(_consent(ids, kinds, around, None))
    return Consent(
        given_on=asked.given_on,
        agency_ids=asked.agency_ids,
        agency_kinds=asked.agency_kinds,
        decision=ConsentDecision.REFUSED,
    )


def _refusal_day(refusal: Consent, given: Sequence[Consent]) -> dt.date:
    """The day of ``refusal``, moved earlier until no given consent naming one of the
    same agencies or kinds is in force on it (ConsultationCase refuses that)."""
    day = refusal.given_on
    while True:
        clashing = [
            consent
            for consent in given
            if consent.in_force(day)
            and (
                consent.agency_ids & refusal.agency_ids
                or consent.agency_kinds & refusal.agency_kinds
            )
        ]
        if not clashing:
            return day
        # Before every clashing consent was given: each later step passes at least one more.
        day = min(consent.given_on for consent in clashing) - dt.timedelta(days=1)


def _maybe_sample(values: Sequence[str]) -> SearchStrategy[str] | None:
    return st.sampled_from(list(values)) if values else None


def raised_needs(
    *,
    codes: SearchStrategy[str] | Sequence[str] | None = None,
    taxonomy: NeedTaxonomy | None = None,
    urgencies: Collection[Urgency] | None = None,
) -> SearchStrategy[RaisedNeed]:
    """:class:`RaisedNeed` values: a need code, its urgency, and now and then a note.

    ``codes`` are the codes to choose from (a strategy or a sequence); by
    default every code of ``taxonomy`` (the bundled one by default).
    """
    source = _codes_from(codes, _need_codes_of(taxonomy or default_taxonomy()))
    return st.builds(
        RaisedNeed,
        code=source,
        urgency=st.sampled_from(_choices(urgencies, list(Urgency), "urgencies")),
        note=_maybe(texts(max_size=24)),
    )


@functools.cache
def _received_times(first: dt.date, last: dt.date) -> SearchStrategy[dt.datetime]:
    return st.datetimes(
        min_value=dt.datetime.combine(first, dt.time()),
        max_value=dt.datetime.combine(last, dt.time(23, 59)),
        timezones=st.sampled_from(_OFFSETS),
    ).map(lambda moment: moment.replace(microsecond=0))


@attrs.frozen
class _CaseParts:
    subject: _SubjectParts
    needs: SearchStrategy[list[RaisedNeed]]
    consent_ids: SearchStrategy[str] | None
    consent_kinds: SearchStrategy[str] | None
    consent_count: tuple[int, int]
    places: SearchStrategy[str]
    consulters: SearchStrategy[Audience]
    received_at: SearchStrategy[dt.datetime]
    id: SearchStrategy[str]
    desks: SearchStrategy[str]
    closed: bool | None = False


_LANGUAGE_LISTS = st.just(("ja",)) | st.lists(
    language_tags(), min_size=1, max_size=3, unique=True
).map(tuple)
_PREFERRED: SearchStrategy[frozenset[Channel]] = st.just(frozenset()) | st.frozensets(
    st.sampled_from(Channel), max_size=3
)
_WORKERS = _maybe(identifiers())
_SUMMARIES = _maybe(texts(max_size=40))


# The person's zone: mostly none (days in received_at's offset) or Tokyo; now and then
# another, so that a zone unlike the offset of received_at is exercised.
_TIME_ZONES = st.none() | st.sampled_from(
    ("Asia/Tokyo", "Asia/Tokyo", "Asia/Tokyo", "UTC", "America/Sao_Paulo")
)


@st.composite
def _case(draw: DrawFn, parts: _CaseParts) -> ConsultationCase:
    received_at = draw(parts.received_at)
    time_zone = draw(_TIME_ZONES)
    # The person's day on which the case came in: every date below is relative to it.
    received_on = (
        received_at.date()
        if time_zone is None
        else received_at.astimezone(ZoneInfo(time_zone)).date()
    )
    subject = draw(_subject(parts.subject, received_on))
    low, high = parts.consent_count
    given_consents = (
        draw(
            st.lists(
                _consent(parts.consent_ids, parts.consent_kinds, received_on, None),
                min_size=low,
                max_size=high,
            )
        )
        if high
        else []
    )
    if high and draw(st.integers(0, 3)) == 0:
        refusal = draw(_refusal(parts.consent_ids, parts.consent_kinds, received_on))
        refusal = attrs.evolve(refusal, given_on=_refusal_day(refusal, given_consents))
        given_consents.insert(draw(st.integers(0, len(given_consents))), refusal)
    consulter = draw(parts.consulters)
    relative = None
    if consulter is Audience.FAMILY and draw(st.booleans()):
        relative = draw(_relative(received_on))
    handling = draw(st.sampled_from(["residence", "other", "none"]))
    if handling == "residence" and subject.residence is not None:
        municipality: str | None = subject.residence
    elif handling == "none":
        municipality = None
    else:
        municipality = draw(parts.places)
    return ConsultationCase(
        id=draw(parts.id),
        received_at=received_at,
        consulter=consulter,
        received_via=draw(st.sampled_from(Channel)),
        subject=subject,
        needs=tuple(draw(parts.needs)),
        preferred_channels=draw(_PREFERRED),
        languages=draw(_LANGUAGE_LISTS),
        consents=tuple(given_consents),
        municipality=municipality,
        worker=draw(_WORKERS),
        closed_at=draw(_closing_times(received_at, parts.closed)),
        summary=draw(_SUMMARIES),
        organisation=draw(st.none() | st.sampled_from(_ORGANISATIONS)),
        shared_with=draw(st.frozensets(st.sampled_from(_SHARED), max_size=2)),
        received_by=draw(_maybe(parts.desks)),
        relative=relative,
        time_zone=time_zone,
        shared_summary=draw(_maybe(_shared_summaries(received_at))),
    )


def _shared_summaries(received_at: dt.datetime) -> SearchStrategy[SharedSummary]:
    """A summary reviewed for sharing, on the day received or up to a year later."""
    return st.builds(
        SharedSummary,
        text=texts(max_size=40),
        reviewed_by=identifiers(),
        reviewed_at=st.integers(0, 365 * 24 * 60).map(
            lambda minutes: received_at + dt.timedelta(minutes=minutes)
        ),
    )


_ORGANISATIONS = ("org-hachioji-desk", "org-shinjuku-npo")
_SHARED = (*_ORGANISATIONS, "worker-7", "worker-9")


def _closing_times(
    received_at: dt.datetime, closed: bool | None
) -> SearchStrategy[dt.datetime | None]:
    if closed is False:
        return st.none()
    times = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=400)).map(
        lambda delta: received_at + delta
    )
    return times if closed else st.none() | times


def cases(
    *,
    directory: Directory | None = None,
    taxonomy: NeedTaxonomy | None = None,
    needs: SearchStrategy[str] | Sequence[str] | None = None,
    min_needs: int = 1,
    max_needs: int = 3,
    residence: str | None = None,
    municipalities: Sequence[str] | None = None,
    with_residence: bool | None = None,
    legal_situations: Collection[LegalSituation] | None = None,
    attributes: Collection[PersonAttribute] | None = None,
    consulters: Collection[Audience] | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
    age_known: bool | None = None,
    with_consent: bool | None = None,
    consent_agencies: Sequence[str] | None = None,
    consent_kinds: Sequence[str] | None = None,
    at: dt.datetime | None = None,
    first: dt.date = PLAN_FIRST,
    last: dt.date = PLAN_LAST,
    id: str | None = None,
    closed: bool | None = False,
) -> SearchStrategy[ConsultationCase]:
    """:class:`ConsultationCase` values that :func:`saihan.referral.match` accepts.

    Needs (``min_needs`` to ``max_needs`` distinct codes) come from ``needs``
    (a strategy or a sequence of codes), else from ``taxonomy``, else from
    ``directory.taxonomy``, else from the bundled taxonomy.  ``directory``
    also supplies the agencies and kinds consents name (unless
    ``consent_agencies`` or ``consent_kinds`` are given; by default any ids
    and the bundled kinds).  ``with_consent``: True, at least one consent;
    False, none; None, either.

    ``residence``, ``municipalities``, ``with_residence``,
    ``legal_situations``, ``attributes``, ``min_age``, ``max_age`` and
    ``age_known`` constrain the subject (see :func:`subjects`); the case's
    handling municipality is the residence, another of ``municipalities``
    (by default Tokyo's 62) or none.  ``consulters`` limits who consulted.
    ``at`` fixes when the case was received; otherwise it is a moment
    between ``first`` and ``last`` (the plan's years by default) with a UTC
    offset, usually +09:00.  ``closed``: False (the default), open cases;
    True, closed ones (``closed_at`` set); None, either.

    Every field is drawn, valid by construction: the person's ``time_zone``
    (often none or ``Asia/Tokyo``, now and then another), and every date of the
    subject relative to the person's day received; ``received_by`` (a service
    of ``directory`` when given); a ``relative`` now and then for a family
    consulter; a refusal (``decision`` ``refused``) now and then among the
    consents, on a day no given consent naming the same agency or kind is in
    force; the subject's ``preferred_municipality``, ``suspected_attributes``
    (never also known), ``juvenile_stage`` (for a juvenile case, one the age
    allows), ``expected_release_on`` (for someone held, on or after the day
    received) and ``specified_juvenile`` only for an age that can be 18 or 19.
    """
    if not 1 <= min_needs <= max_needs:
        raise ValueError("need 1 <= min_needs <= max_needs")
    if at is not None and at.utcoffset() is None:
        raise ValueError("at must be timezone-aware (for Tokyo, +09:00)")
    if first > last:
        raise ValueError("first must not be after last")
    if isinstance(needs, Sequence) and not isinstance(needs, str) and len(set(needs)) < min_needs:
        raise ValueError(f"give at least min_needs ({min_needs}) distinct need codes")
    if taxonomy is None and directory is not None:
        taxonomy = directory.taxonomy
    codes = _codes_from(needs, _need_codes_of(taxonomy or default_taxonomy()))
    agency_ids, kinds = consent_agencies, consent_kinds
    if directory is not None:
        if agency_ids is None:
            agency_ids = [agency.id for agency in directory.agencies]
        if kinds is None:
            kinds = sorted({agency.kind for agency in directory.agencies})
    if agency_ids is not None and kinds is not None and not agency_ids and not kinds:
        if with_consent:
            raise ValueError("with_consent=True, but there is no agency or kind to consent to")
        consent_ids = consent_kinds_strategy = None
        count = (0, 0)
    else:
        consent_ids, consent_kinds_strategy = _consent_names(agency_ids, kinds)
        count = (1 if with_consent else 0, 0 if with_consent is False else 2)
    return _case(
        _CaseParts(
            subject=_SubjectParts.of(
                residence=residence,
                municipalities=municipalities,
                with_residence=with_residence,
                legal_situations=legal_situations,
                attributes=attributes,
                min_age=min_age,
                max_age=max_age,
                age_known=age_known,
            ),
            needs=st.lists(
                raised_needs(codes=codes),
                min_size=min_needs,
                max_size=max_needs,
                unique_by=lambda need: need.code,
            ),
            consent_ids=consent_ids,
            consent_kinds=consent_kinds_strategy,
            consent_count=count,
            places=_codes_from(municipalities, st.sampled_from(_tokyo_codes())),
            consulters=st.sampled_from(
                _choices(consulters, list(Audience), "consulters (audiences)")
            ),
            received_at=st.just(at) if at is not None else _received_times(first, last),
            id=st.just(id) if id is not None else identifiers(),
            desks=_desks_of(directory),
            closed=closed,
        )
    )


def _desks_of(directory: Directory | None) -> SearchStrategy[str]:
    """Ids for ``received_by``: the directory's services, else any ids."""
    if directory is None or not directory.services:
        return identifiers()
    return st.sampled_from(sorted(service.id for service in directory.services))


# -- conditions and rules --------------------------------------------------------------

_LANGUAGES = ("ja", "en", "zh", "ko", "vi", "pt-BR")


def _field_values(spec: FieldSpec, directory: Directory | None) -> SearchStrategy[Any]:
    if spec.kind is ValueKind.INTEGER:
        return st.integers(-30, 3000)
    if spec.kind is ValueKind.BOOLEAN:
        return st.booleans()
    if spec.vocabulary is not None:
        return st.sampled_from(sorted(spec.vocabulary()))
    name = spec.name
    if name in ("case.residence", "case.municipality", "case.preferred_municipality"):
        return st.sampled_from(_tokyo_codes())
    if name.endswith("needs"):
        # Rules are checked against the bundled taxonomy when they are built.
        return _need_codes_of(default_taxonomy())
    if name == "service.agency_kind":
        return st.sampled_from([kind.code for kind in default_agency_kinds()])
    if name.endswith("languages"):
        return st.sampled_from(_LANGUAGES)
    if directory is not None and name == "service.id" and directory.services:
        return st.sampled_from(sorted(service.id for service in directory.services))
    if directory is not None and name == "service.agency_id" and directory.agencies:
        return st.sampled_from(sorted(agency.id for agency in directory.agencies))
    return identifiers()


def _field_tests(spec: FieldSpec, directory: Directory | None) -> SearchStrategy[Condition]:
    values = _field_values(spec, directory)
    # 'in' on a true/false field parses, but the published schema lists only text
    # and numbers, so such a rule would not load from a file: leave it out.
    ops = [op for op in spec.ops if not (op == "in" and spec.kind is ValueKind.BOOLEAN)]
    options = []
    for op in ops:
        if op == "exists":
            value: SearchStrategy[Any] = st.booleans()
        elif op in ("in", "has_any", "has_all"):
            value = st.frozensets(values, min_size=1, max_size=3)
        else:
            value = values
        options.append(st.builds(FieldTest, st.just(spec.name), st.just(op), value))
    return st.one_of(options)


def _age_tests() -> SearchStrategy[Condition]:
    return st.builds(
        AgeTest,
        op=st.sampled_from([*COMPARISONS, "equals"]),
        value=st.integers(0, 130),
        on=_maybe(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))),
    )


def conditions(
    *, case_side: bool = True, max_depth: int = 2, directory: Directory | None = None
) -> SearchStrategy[Condition]:
    """Condition trees a rule accepts: ``when`` trees, or ``target`` trees with ``case_side=False``.

    Leaves test a field of :data:`~saihan.referral.CASE_FIELDS` (and the age)
    or of :data:`~saihan.referral.SERVICE_FIELDS` with an operator the field
    takes and a value of its vocabulary (need and kind codes of the bundled
    taxonomy and kinds, Tokyo's municipality codes); ``all``, ``any`` and
    ``not`` nest them at most ``max_depth`` deep.  ``directory`` supplies the
    service and agency ids that ``service.id`` and ``service.agency_id`` compare with.
    """
    if max_depth < 0:
        raise ValueError("max_depth must be at least 0")
    return _conditions(case_side, max_depth, directory)


@functools.cache
def _conditions(
    case_side: bool, max_depth: int, directory: Directory | None
) -> SearchStrategy[Condition]:
    fields = CASE_FIELDS if case_side else SERVICE_FIELDS
    leaves = [_field_tests(spec, directory) for spec in fields.values()]
    if case_side:
        leaves.append(_age_tests())
    leaf: SearchStrategy[Condition] = st.one_of(leaves)
    tree = leaf
    for _ in range(max_depth):
        inner = tree
        tree = st.one_of(
            leaf,
            st.lists(inner, max_size=3).map(lambda items: AllOf(tuple(items))),
            st.lists(inner, max_size=3).map(lambda items: AnyOf(tuple(items))),
            inner.map(Not),
        )
    return tree


@functools.cache
def sources() -> SearchStrategy[Source]:
    """:class:`Source` values: a document, and now and then a section, page and URL."""
    return st.builds(
        Source,
        document=st.sampled_from(["第二次東京都再犯防止推進計画", "相談窓口ガイドブック"])
        | texts(max_size=24),
        section=_maybe(texts(max_size=24)),
        page=_maybe(st.integers(1, 400)),
        url=_maybe(urls()),
    )


@attrs.frozen
class _RuleParts:
    """What a rule is drawn from, built once per strategy rather than per example."""

    effects: SearchStrategy[Effect]
    when: SearchStrategy[Condition]
    target: SearchStrategy[Condition]


@functools.cache
def _rule_parts(
    effects: tuple[Effect, ...], max_depth: int, directory: Directory | None
) -> _RuleParts:
    if not effects:
        raise ValueError("give at least one of the effects to choose from")
    return _RuleParts(
        effects=st.sampled_from(effects),
        when=st.just(TRUE) | conditions(case_side=True, max_depth=max_depth),
        target=conditions(case_side=False, max_depth=max_depth, directory=directory),
    )


def _parts_of(
    effects: Collection[Effect] | None, max_depth: int, directory: Directory | None
) -> _RuleParts:
    if max_depth < 0:
        raise ValueError("max_depth must be at least 0")
    chosen = tuple(effect for effect in Effect if effects is None or effect in effects)
    return _rule_parts(chosen, max_depth, directory)


_WEIGHTS = st.integers(1, 100)
_URGENCIES = st.sampled_from(Urgency)
_SCOPES: SearchStrategy[frozenset[str]] = st.just(frozenset()) | st.frozensets(
    _need_codes_of(default_taxonomy()), max_size=2
)


@st.composite
def _rule(
    draw: DrawFn,
    parts: _RuleParts,
    id: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
) -> Rule:
    effect = draw(parts.effects)
    common: dict[str, Any] = {
        "id": id,
        "description": draw(localized_texts()),
        "source": draw(sources()),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "effect": effect,
        "when": draw(parts.when),
    }
    if effect is Effect.ADD_NEED:
        # Rules are checked against the bundled taxonomy when they are built.
        return Rule(
            **common, need=draw(_need_codes_of(default_taxonomy())), urgency=draw(_URGENCIES)
        )
    return Rule(
        **common,
        target=draw(parts.target),
        for_needs=draw(_SCOPES),
        weight=draw(_WEIGHTS),
    )


@st.composite
def _dated_rule(
    draw: DrawFn, parts: _RuleParts, id: str | None, first: dt.date, last: dt.date
) -> Rule:
    valid_from = draw(st.dates(first, last))
    return draw(
        _rule(
            parts,
            id if id is not None else draw(identifiers()),
            valid_from,
            draw(_maybe(st.dates(valid_from, last))),
        )
    )


def rules(
    *,
    id: str | None = None,
    effects: Collection[Effect] | None = None,
    first: dt.date = PLAN_FIRST,
    last: dt.date = PLAN_LAST,
    max_depth: int = 2,
    directory: Directory | None = None,
) -> SearchStrategy[Rule]:
    """:class:`Rule` values with a random effect, conditions and dates.

    ``effects`` limits the effects; the rule applies from a day between
    ``first`` and ``last`` until a later day in that range or without end.
    ``when`` and ``target`` come from :func:`conditions` (``max_depth`` deep,
    ``directory`` for service ids); add_need rules add a need of the bundled
    taxonomy, which is what a rule may name.
    """
    if first > last:
        raise ValueError("first must not be after last")
    return _dated_rule(_parts_of(effects, max_depth, directory), id, first, last)


@st.composite
def _rule_set(
    draw: DrawFn,
    parts: _RuleParts,
    counts: tuple[int, int],
    first: dt.date,
    last: dt.date,
    versions: bool,
    id: str | None,
) -> RuleSet:
    count = draw(st.integers(*counts))
    made: list[Rule] = []
    if count:
        pool = draw(
            st.lists(identifiers(), min_size=1 if versions else count, max_size=count, unique=True)
        )
        slots = list(pool) + [draw(st.sampled_from(pool)) for _ in range(count - len(pool))]
        span = (last - first).days + 1
        for rule_id in pool:
            number = min(slots.count(rule_id), span)
            offsets = sorted(
                draw(
                    st.lists(
                        st.integers(0, span - 1), min_size=number, max_size=number, unique=True
                    )
                )
            )
            starts = [first + dt.timedelta(days=offset) for offset in offsets]
            for position, start in enumerate(starts):
                final = position + 1 == number
                end = last if final else starts[position + 1] - dt.timedelta(days=1)
                ends: SearchStrategy[dt.date | None] = st.dates(start, end)
                made.append(
                    draw(_rule(parts, rule_id, start, draw(_maybe(ends) if final else ends)))
                )
        made = draw(st.permutations(made))
    return RuleSet(
        id=id if id is not None else draw(identifiers()),
        version=draw(_VERSIONS),
        description=draw(localized_texts()),
        rules=tuple(made),
    )


_VERSIONS = st.sampled_from(["1", "2024.1", "2025.2-draft"]) | texts(max_size=8)


def rule_sets(
    *,
    min_rules: int = 0,
    max_rules: int = 6,
    effects: Collection[Effect] | None = None,
    first: dt.date = PLAN_FIRST,
    last: dt.date = PLAN_LAST,
    versions: bool = True,
    max_depth: int = 2,
    directory: Directory | None = None,
    id: str | None = None,
) -> SearchStrategy[RuleSet]:
    """Valid :class:`RuleSet` values of ``min_rules`` to ``max_rules`` rules.

    With ``versions`` (the default) one rule id may have several versions,
    whose periods between ``first`` and ``last`` follow one another without
    overlapping (sometimes with a gap between them); the rules come in
    random order.  ``effects``, ``max_depth`` and ``directory`` are as for
    :func:`rules`; ``id`` fixes the rule set's id.
    """
    if not 0 <= min_rules <= max_rules:
        raise ValueError("need 0 <= min_rules <= max_rules")
    if first > last:
        raise ValueError("first must not be after last")
    return _rule_set(
        _parts_of(effects, max_depth, directory),
        (min_rules, max_rules),
        first,
        last,
        versions,
        id,
    )


# -- plans -----------------------------------------------------------------------------


@st.composite
def plans(
    draw: DrawFn,
    *,
    directory: Directory | None = None,
    rules: RuleSet | None = None,
    per_need: int | None = 5,
) -> ReferralPlan:
    """:class:`ReferralPlan` values: :func:`saihan.referral.match` on a drawn case.

    The case comes from :func:`cases` fitted to ``directory`` (the sample
    directory by default) in Tokyo; ``rules`` default to the Tokyo rules.
    """
    from saihan.directory.sample import sample_directory
    from saihan.referral.match import match
    from saihan.referral.rules import default_rules

    used = directory if directory is not None else sample_directory()
    case = draw(cases(directory=used, municipalities=_tokyo_codes()))
    return match(case, used, rules if rules is not None else default_rules(), per_need=per_need)


def need_plans(
    *, directory: Directory | None = None, rules: RuleSet | None = None
) -> SearchStrategy[NeedPlan]:
    """:class:`NeedPlan` values: one need of a plan from :func:`plans`."""
    return plans(directory=directory, rules=rules).flatmap(lambda plan: st.sampled_from(plan.needs))


def recommendations(
    *, directory: Directory | None = None, rules: RuleSet | None = None
) -> SearchStrategy[Recommendation]:
    """:class:`Recommendation` values: one recommendation of a plan from :func:`plans`."""
    return (
        plans(directory=directory, rules=rules)
        .map(lambda plan: plan.recommendations())
        .filter(bool)
        .flatmap(st.sampled_from)
    )


def exclusions(
    *, directory: Directory | None = None, rules: RuleSet | None = None
) -> SearchStrategy[Exclusion]:
    """:class:`Exclusion` values: one near miss of a plan from :func:`plans`."""
    return (
        plans(directory=directory, rules=rules)
        .map(lambda plan: plan.excluded)
        .filter(bool)
        .flatmap(st.sampled_from)
    )


def reasons(
    *, directory: Directory | None = None, rules: RuleSet | None = None
) -> SearchStrategy[Reason]:
    """:class:`Reason` values: why a recommendation of a plan from :func:`plans` was ranked."""
    return recommendations(directory=directory, rules=rules).flatmap(
        lambda rec: st.sampled_from(rec.reasons)
    )


@functools.cache
def facts() -> SearchStrategy[Fact]:
    """:class:`Fact` values: a field rules can read, and a value as text."""
    return st.builds(Fact, field=st.sampled_from(sorted({*ALL_FIELDS, "age"})), value=texts())


@functools.cache
def missing_requirements() -> SearchStrategy[MissingRequirement]:
    """:class:`MissingRequirement` values: a require rule and needs of the bundled taxonomy."""
    return st.builds(
        MissingRequirement,
        rule_id=identifiers(),
        needs=st.lists(_need_codes_of(default_taxonomy()), min_size=1, max_size=3, unique=True).map(
            tuple
        ),
        text=localized_texts(),
    )

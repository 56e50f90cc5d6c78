"""Ready-made properties of referral plans, to check your own rules and directory.

Three ways to use them:

- **checker functions** for your own ``@given`` tests: each takes a case, a
  directory and the plan :func:`~saihan.referral.match` made (and the rules,
  where it must match again) and raises :class:`AssertionError` naming the
  case, the service and the rules involved when the property does not hold;
- :class:`RuleSetProperties`, a pytest base class: subclass it with ``rules``
  and ``directory`` class attributes and get one test per property;
- :func:`check_rule_set`, which runs every property with Hypothesis and
  returns the failures instead of raising (``saihan rules check`` uses it).

The properties:

============================ ===============================================================
``eligibility_respected``    every recommended service admits the case: who consulted, age,
                             legal situation, required and excluded attributes, taking
                             referrals, a channel and a language the person can use
``service_area_respected``   the residence (or, without one, the municipality handling the
                             case) is inside every recommended service's area
``consent_respected``        ready only when a consent covers the agency that day; every
                             other recommendation asks for consent, and none is dropped
``no_unrequested_needs``     every need in the plan was raised or added by an add_need rule
                             of the rule set in force that day; every recommendation meets
                             its need
``deterministic``            the same plan again, and with the directory in another order
``monotonic``                adding a service removes no recommendation it does not outrank
``fast_path_agrees``         :func:`~saihan.referral.match` equals
                             :func:`~saihan.referral.reference_match` (near misses summarised,
                             and listed one by one)
``near_misses_summarised``   the near-miss summary's groups and counts are those of the full
                             list (``near_misses="all"``), and the plans are otherwise equal
``offset_invariant``         the plan for one moment is the same whatever UTC offset the
                             moment is written in (every date test reads the person's day)
``age_and_timing_respected`` a service limited by age or by the time of release, added for
                             the case's need, is recommended only to a person inside them
``specific_before_general``  a service for the need itself (or a sub-need of a broad need),
                             added beside a generalist with the same rules, ranks above it
============================ ===============================================================

Every date test reads the person's day (``case.local_day(plan.at)``); the
attributes include those derived from the case (``elderly`` from the age,
``specified_juvenile``); suspected attributes never meet a service's required ones.

Example::

    from hypothesis import given
    from saihan.directory import load_directory
    from saihan.referral import load_rules, match
    from saihan.testing import assert_eligibility_respected, cases

    RULES = load_rules("my_rules.yaml")
    DIRECTORY = load_directory("my_directory.json")

    @given(cases(directory=DIRECTORY))
    def test_eligibility(case):
        plan = match(case, DIRECTORY, RULES)
        assert_eligibility_respected(case, DIRECTORY, plan)

See ``docs/checking-your-rules.md``.  Requires Hypothesis (``saihan[test]``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, note, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from saihan.directory.directory import Directory
from saihan.directory.municipalities import tokyo_municipalities
from saihan.directory.service import AreaKind, Eligibility, ReleaseTiming, Service, ServiceArea
from saihan.directory.vocabulary import JuvenileStage, LegalSituation, PersonAttribute
from saihan.errors import ErrorItem, NotFoundError, ValidationError
from saihan.referral.case import Consent, ConsultationCase
from saihan.referral.flows.model import Flow
from saihan.referral.match import DEFAULT_PER_NEED, match, reference_match
from saihan.referral.plan import NeedPlan, Recommendation, RecommendationStatus, ReferralPlan
from saihan.referral.rules import Effect, RuleSet, default_rules
from saihan.serialization import unstructure
from saihan.testing.referral_strategies import PLAN_FIRST, PLAN_LAST, cases
from saihan.testing.strategies import identifiers, services

__all__ = [
    "PROPERTIES",
    "PropertyFailure",
    "RuleSetProperties",
    "assert_age_and_timing_respected",
    "assert_consent_respected",
    "assert_deterministic",
    "assert_eligibility_respected",
    "assert_fast_path_agrees",
    "assert_monotonic",
    "assert_near_misses_summarised",
    "assert_no_unrequested_needs",
    "assert_offset_invariant",
    "assert_service_area_respected",
    "assert_specific_before_general",
    "check_rule_set",
]


# -- describing what went wrong --------------------------------------------------------


def _rules_touching(rec: Recommendation) -> str:
    ids = [f"{reason.code} {reason.rule_id}" for reason in rec.reasons if reason.rule_id]
    return "; rules that moved it: " + ", ".join(ids) if ids else "; no rule moved it"


def _where(case: ConsultationCase, plan: ReferralPlan, need: str, service_id: str) -> str:
    return (
        f"case {case.id!r}, need {need!r}, service {service_id!r} "
        f"(rule set {plan.rules_id!r} version {plan.rules_version!r}, at {plan.at.isoformat()})"
    )


def _fail(message: str) -> None:
    raise AssertionError(message)


def _service(
    directory: Directory,
    case: ConsultationCase,
    plan: ReferralPlan,
    need: str,
    rec: Recommendation,
) -> Service:
    try:
        return directory.service(rec.service_id)
    except NotFoundError:
        raise AssertionError(
            f"{_where(case, plan, need, rec.service_id)}: the plan recommends a service "
            "that is not in the directory"
        ) from None


def _rules_for(plan: ReferralPlan, rules: RuleSet | None) -> RuleSet:
    """The rule set the plan was made with: ``rules``, or the default rules when None."""
    used = default_rules() if rules is None else rules
    if (plan.rules_id, plan.rules_version) != (used.id, used.version):
        raise ValidationError(
            f"the plan was made with rule set {plan.rules_id!r} version {plan.rules_version!r}, "
            f"not {used.id!r} version {used.version!r}: pass the rules it was made with",
            path="rules",
        )
    return used


def _ids(need_plan: NeedPlan) -> list[str]:
    return [rec.service_id for rec in need_plan.recommendations]


def _difference(expected: ReferralPlan, got: ReferralPlan) -> str:
    """The first difference between two plans, in words."""
    wanted = [need_plan.need for need_plan in expected.needs]
    found = [need_plan.need for need_plan in got.needs]
    if wanted != found:
        return f"needs {wanted} became {found}"
    for before, after in zip(expected.needs, got.needs, strict=True):
        if _ids(before) != _ids(after):
            return f"need {before.need!r}: recommendations {_ids(before)} became {_ids(after)}"
        for old, new in zip(before.recommendations, after.recommendations, strict=True):
            if old != new:
                fields = [
                    field.name
                    for field in attrs.fields(Recommendation)
                    if getattr(old, field.name) != getattr(new, field.name)
                ]
                return f"need {before.need!r}, service {old.service_id!r}: {fields} differ"
        if before != after:
            fields = [
                field.name
                for field in attrs.fields(NeedPlan)
                if getattr(before, field.name) != getattr(after, field.name)
            ]
            return f"need {before.need!r}: {fields} differ"
    fields = [
        field.name
        for field in attrs.fields(ReferralPlan)
        if getattr(expected, field.name) != getattr(got, field.name)
    ]
    return f"{fields} differ"


# -- the checkers ----------------------------------------------------------------------


def _age_text(bounds: tuple[int, int]) -> str:
    return str(bounds[0]) if bounds[0] == bounds[1] else f"{bounds[0]}-{bounds[1]}"


def _ineligible(
    case: ConsultationCase, directory: Directory, service: Service, day: dt.date
) -> list[str]:
    """Why the case may not use ``service`` on ``day``, derived from the models alone."""
    subject = case.subject
    rule: Eligibility = service.eligibility
    found = []
    if not service.accepting_referrals:
        found.append("the service is not accepting referrals")
    if case.consulter not in service.audiences:
        audiences = ", ".join(sorted(service.audiences))
        found.append(f"it takes consultations from {audiences}, not from {case.consulter.value}")
    if rule.min_age is not None or rule.max_age is not None:
        limits = f"{'' if rule.min_age is None else rule.min_age}-" + (
            "" if rule.max_age is None else str(rule.max_age)
        )
        bounds = subject.age_bounds(day, case.received_on)
        if bounds is None:
            found.append(f"it is limited to ages {limits} and the age is unknown")
        elif not all(
            (rule.min_age is None or age >= rule.min_age)
            and (rule.max_age is None or age <= rule.max_age)
            for age in bounds
        ):
            found.append(f"it is limited to ages {limits} and the age is {_age_text(bounds)}")
    if rule.legal_situations and subject.legal_situation not in rule.legal_situations:
        found.append(f"it does not serve legal situation {subject.legal_situation.value}")
    if rule.release_timing is not None or rule.within_days_of_release is not None:
        problem = _release_problem(subject, rule, day)
        if problem is not None:
            found.append(problem)
    has = subject.attributes | _derived(case, day)  # suspected ones never count
    if rule.required_attributes:
        if rule.any_required_attribute:
            fits = any(attribute in has for attribute in rule.required_attributes)
        else:
            fits = all(attribute in has for attribute in rule.required_attributes)
        if not fits:
            wanted = ", ".join(sorted(rule.required_attributes))
            which = "one of" if rule.any_required_attribute else "all of"
            found.append(f"it requires {which} {wanted}; the person has {_names(has)}")
    barred = sorted(attribute for attribute in rule.excluded_attributes if attribute in has)
    if barred:
        found.append(f"it excludes {', '.join(barred)}, which the person has")
    if case.preferred_channels:
        reachable = directory.channels_of(service)
        if not any(channel in reachable for channel in case.preferred_channels):
            found.append(
                f"it can be reached by {_names(reachable)}; the person can use only "
                f"{_names(case.preferred_channels)}"
            )
    if not any(language in case.languages for language in service.languages):
        found.append(
            f"it works in {_names(service.languages)}; the person uses {_names(case.languages)}"
        )
    return found


def _derived(case: ConsultationCase, day: dt.date) -> frozenset[PersonAttribute]:
    """Attributes the case implies on ``day``: elderly at 65 or over (every possible age),
    specified juvenile at 18-19 in a juvenile case."""
    bounds = case.subject.age_bounds(day, case.received_on)
    found = set()
    if bounds is not None and min(bounds) >= 65:
        found.add(PersonAttribute.ELDERLY)
    if (
        bounds is not None
        and min(bounds) >= 18
        and max(bounds) <= 19
        and case.subject.legal_situation is LegalSituation.JUVENILE_CASE
    ):
        found.add(PersonAttribute.SPECIFIED_JUVENILE)
    return frozenset(found)


def _release_problem(subject: Any, rule: Eligibility, day: dt.date) -> str | None:
    """Why the person is outside the service's release timing on ``day``, or None."""
    side: str | None = None
    days: int | None = None
    moment = subject.released_on or subject.expected_release_on
    if moment is not None:
        side = "after" if moment <= day else "before"
        days = abs((day - moment).days)
    elif subject.legal_situation is LegalSituation.IN_PRISON or subject.juvenile_stage in (
        JuvenileStage.IN_TRAINING_SCHOOL,
        JuvenileStage.CLASSIFICATION_HOME,
    ):
        side = "before"
    elif subject.legal_situation in (
        LegalSituation.ON_PAROLE,
        LegalSituation.RELEASED_FROM_PRISON,
        LegalSituation.RELEASED_FROM_JUVENILE_TRAINING_SCHOOL,
    ):
        side = "after"
    wanted = {None: None, ReleaseTiming.BEFORE_RELEASE: "before"}.get(rule.release_timing, "after")
    limit = rule.within_days_of_release
    if side is None:
        return "it is limited by the time of release and the person has no release known"
    if wanted is not None and side != wanted:
        return f"it is only {wanted} release and the person is {side} it"
    if limit is not None and (days is None or days > limit):
        shown = "unknown" if days is None else str(days)
        return f"it is only within {limit} days of release and the person is {shown} days from it"
    return None


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(str(value) for value in values)) or "none"


def assert_eligibility_respected(
    case: ConsultationCase, directory: Directory, plan: ReferralPlan
) -> None:
    """Every recommended service admits the case on the day of the plan.

    Checked from the directory's own data: the service takes referrals and
    consultations from this consulter, the age (every age the person can be
    that day) is within its limits, the legal situation is served, the
    required attributes are there and no excluded one is, and it has a
    channel and a language the person can use.
    """
    day = case.local_day(plan.at)
    for need_plan in plan.needs:
        for rec in need_plan.recommendations:
            service = _service(directory, case, plan, need_plan.need, rec)
            problems = _ineligible(case, directory, service, day)
            if problems:
                _fail(
                    f"{_where(case, plan, need_plan.need, rec.service_id)} is recommended, but "
                    f"{'; '.join(problems)}{_rules_touching(rec)}"
                )


def assert_service_area_respected(
    case: ConsultationCase, directory: Directory, plan: ReferralPlan
) -> None:
    """The person lives inside every recommended service's area.

    The place is the residence or, when it is unknown, the preferred
    municipality, else the municipality handling the case; with none of them,
    prefecture-wide and national services may be recommended, municipal ones
    not.
    """
    place = case.subject.residence or case.subject.preferred_municipality or case.municipality
    for need_plan in plan.needs:
        for rec in need_plan.recommendations:
            service = _service(directory, case, plan, need_plan.need, rec)
            area = service.area
            if place is None:
                if area.kind is AreaKind.MUNICIPALITIES:
                    _fail(
                        f"{_where(case, plan, need_plan.need, rec.service_id)} is recommended, "
                        f"but the residence is unknown and its area is {_area_text(area)}"
                        f"{_rules_touching(rec)}"
                    )
                continue
            inside = (
                area.kind is AreaKind.NATIONAL
                or (area.kind is AreaKind.PREFECTURE and place[:2] == area.prefecture_code)
                or (area.kind is AreaKind.MUNICIPALITIES and place in area.municipality_codes)
            )
            if not inside:
                _fail(
                    f"{_where(case, plan, need_plan.need, rec.service_id)} is recommended, but "
                    f"the person's municipality {place} is outside its area "
                    f"{_area_text(area)}{_rules_touching(rec)}"
                )


def _area_text(area: ServiceArea) -> str:
    if area.kind is AreaKind.MUNICIPALITIES:
        return f"municipalities {_names(area.municipality_codes)}"
    if area.kind is AreaKind.PREFECTURE:
        return f"prefecture {area.prefecture_code}"
    return "national"


def _covered(consents: Sequence[Consent], agency_id: str, kind: str, day: dt.date) -> bool:
    for consent in consents:
        if consent.refused:
            continue
        in_force = (
            not consent.refused  # a refusal covers nothing
            and consent.given_on <= day
            and (consent.until is None or day <= consent.until)
            and (consent.withdrawn_on is None or day < consent.withdrawn_on)
        )
        if in_force and (agency_id in consent.agency_ids or kind in consent.agency_kinds):
            return True
    return False


def assert_consent_respected(
    case: ConsultationCase,
    directory: Directory,
    plan: ReferralPlan,
    rules: RuleSet | None = None,
    *,
    per_need: int | None = DEFAULT_PER_NEED,
) -> None:
    """A recommendation is ready only with consent; without it, it asks, and is not dropped.

    Ready when a consent of the case (not a refusal), in force on the plan's day
    (given on or before it, not past ``until``, not withdrawn by then), names the
    agency or its kind; needs_consent otherwise.  Then the case is matched
    again with no consent and with consent to every kind of agency: the
    same services must be recommended, in the same order.  ``rules`` and
    ``per_need`` are those the plan was made with (``rules`` None: the
    default rules).
    """
    day = case.local_day(plan.at)
    for need_plan in plan.needs:
        for rec in need_plan.recommendations:
            where = _where(case, plan, need_plan.need, rec.service_id)
            service = _service(directory, case, plan, need_plan.need, rec)
            agency = directory.agency(service.agency_id)
            if (rec.agency_id, rec.agency_kind) != (agency.id, agency.kind):
                _fail(
                    f"{where}: the plan names agency {rec.agency_id!r} of kind "
                    f"{rec.agency_kind!r}, the directory {agency.id!r} of kind {agency.kind!r}"
                )
            covered = _covered(case.consents, agency.id, agency.kind, day)
            refused = not covered and any(
                consent.refused
                and consent.given_on <= day
                and (agency.id in consent.agency_ids or agency.kind in consent.agency_kinds)
                for consent in case.consents
            )
            expected = (
                RecommendationStatus.READY
                if covered
                else RecommendationStatus.CONSENT_REFUSED
                if refused
                else RecommendationStatus.NEEDS_CONSENT
            )
            if rec.status is not expected:
                why = (
                    f"a consent covers agency {agency.id!r} (kind {agency.kind}) on {day}"
                    if covered
                    else f"the person refused, by {day}, to share with agency {agency.id!r} "
                    f"(kind {agency.kind})"
                    if refused
                    else f"no consent in force on {day} covers agency {agency.id!r} "
                    f"(kind {agency.kind}) and none refuses it"
                )
                _fail(f"{where} is {rec.status.value}, but {why}{_rules_touching(rec)}")
    used = _rules_for(plan, rules)
    kinds = sorted({agency.kind for agency in directory.agencies})
    variants: list[tuple[str, tuple[Consent, ...]]] = [("no consent", ())]
    if kinds:
        everything = Consent(given_on=min(day, case.received_on), agency_kinds=frozenset(kinds))
        variants.append(("consent to every agency", (everything,)))
    for label, consents_given in variants:
        other = match(
            attrs.evolve(case, consents=consents_given), directory, used, plan.at, per_need=per_need
        )
        for mine, theirs in zip(plan.needs, other.needs, strict=False):
            if _ids(mine) != _ids(theirs):
                dropped = [sid for sid in _ids(theirs) if sid not in _ids(mine)]
                _fail(
                    f"case {case.id!r}, need {mine.need!r}: with {label} the plan recommends "
                    f"{_ids(theirs)}, with the case's consents {_ids(mine)} (rule set "
                    f"{plan.rules_id!r}); consent must change only the status"
                    + (f": {dropped} were dropped" if dropped else "")
                )
        if len(plan.needs) != len(other.needs):
            _fail(f"case {case.id!r}: with {label} the needs differ: {_difference(plan, other)}")


def _related(service: Service, need: str, directory: Directory) -> bool:
    """The service meets the need, a sub-need, a broader need or a sibling need."""
    taxonomy = directory.taxonomy
    related = taxonomy.descendants(need) | set(taxonomy.ancestors(need))
    parent = taxonomy.get(need).parent
    if parent is not None:
        related |= taxonomy.descendants(parent)
    return any(code in related for code in service.needs)


def assert_no_unrequested_needs(
    case: ConsultationCase,
    directory: Directory,
    plan: ReferralPlan,
    rules: RuleSet | None = None,
) -> None:
    """Every need in the plan was raised, or added by a rule that could add it that day.

    A need the case did not raise must name, in ``added_by``, an add_need
    rule of ``rules`` (the default rules when None) that adds that need and
    applies on the plan's day.  Every raised need is in the plan, each need
    once, and every recommendation meets its need (the need itself, a
    narrower or a broader one).
    """
    used = _rules_for(plan, rules)
    day = case.local_day(plan.at)
    raised = set(case.need_codes)
    seen: set[str] = set()
    for need_plan in plan.needs:
        need = need_plan.need
        if need in seen:
            _fail(f"case {case.id!r}: need {need!r} appears twice in the plan")
        seen.add(need)
        if need in raised:
            if need_plan.added_by is not None:
                _fail(
                    f"case {case.id!r}: need {need!r} was raised by the case, but the plan says "
                    f"rule {need_plan.added_by!r} added it"
                )
        elif need_plan.added_by is None:
            _fail(
                f"case {case.id!r}: need {need!r} is in the plan, but the case did not raise it "
                "and no rule added it"
            )
        else:
            adders = [
                rule
                for rule in used.rules
                if rule.id == need_plan.added_by
                and rule.effect is Effect.ADD_NEED
                and rule.need == need
                and rule.applies_on(day)
            ]
            if not adders:
                _fail(
                    f"case {case.id!r}: need {need!r} was added by rule {need_plan.added_by!r}, "
                    f"but rule set {used.id!r} has no add_need rule of that id adding it "
                    f"that applies on {day}"
                )
        for rec in need_plan.recommendations:
            service = _service(directory, case, plan, need, rec)
            if not _related(service, need, directory):
                _fail(
                    f"{_where(case, plan, need, rec.service_id)} is recommended, but the service "
                    f"meets {_names(service.needs)}, none of them {need!r}, narrower, broader "
                    "or a sibling"
                    f"{_rules_touching(rec)}"
                )
    missing = sorted(raised - seen)
    if missing:
        _fail(f"case {case.id!r}: raised needs {missing} are not in the plan")
    stray = [need for need in plan.unmet_needs if need not in seen]
    if stray:
        _fail(f"case {case.id!r}: unmet needs {stray} are not needs of the plan")


@functools.lru_cache(maxsize=4)
def _reordered(directory: Directory) -> list[tuple[str, Directory]]:
    """The directory in other orders (kept for the next example: rebuilding one takes time)."""
    half = len(directory.services) // 2
    return [
        (
            "services and agencies in reverse order",
            attrs.evolve(
                directory,
                agencies=directory.agencies[::-1],
                services=directory.services[::-1],
            ),
        ),
        (
            "services rotated by half",
            attrs.evolve(directory, services=directory.services[half:] + directory.services[:half]),
        ),
    ]


def assert_deterministic(
    case: ConsultationCase,
    directory: Directory,
    plan: ReferralPlan,
    rules: RuleSet | None = None,
    *,
    per_need: int | None = DEFAULT_PER_NEED,
) -> None:
    """Matching again gives the same plan, also with the directory's services in other orders.

    ``rules`` and ``per_need`` are those the plan was made with (``rules``
    None: the default rules).
    """
    used = _rules_for(plan, rules)
    again = match(case, directory, used, plan.at, per_need=per_need)
    if again != plan:
        _fail(
            f"case {case.id!r}: matching again gave another plan (rule set {used.id!r}): "
            f"{_difference(plan, again)}"
        )
    for label, other in _reordered(directory):
        shuffled = match(case, other, used, plan.at, per_need=per_need)
        if shuffled != plan:
            _fail(
                f"case {case.id!r}: with the directory's {label} the plan changes "
                f"(rule set {used.id!r}): {_difference(plan, shuffled)}"
            )


def assert_fast_path_agrees(
    case: ConsultationCase,
    directory: Directory,
    plan: ReferralPlan,
    rules: RuleSet | None = None,
    *,
    per_need: int | None = DEFAULT_PER_NEED,
    flow: Flow | None = None,
) -> None:
    """:func:`~saihan.referral.reference_match` (every service, every rule, trees walked)
    gives the same plan as the one given, which :func:`~saihan.referral.match` made
    (with ``flow`` when the plan followed one)."""
    used = _rules_for(plan, rules)
    slow = reference_match(case, directory, used, plan.at, per_need=per_need, flow=flow)
    if slow != plan:
        _fail(
            f"case {case.id!r}: match and reference_match disagree (rule set {used.id!r}): "
            f"{_difference(slow, plan)}"
        )
    every = match(case, directory, used, plan.at, per_need=per_need, flow=flow, near_misses="all")
    slow_every = reference_match(
        case, directory, used, plan.at, per_need=per_need, flow=flow, near_misses="all"
    )
    if slow_every != every:
        _fail(
            f"case {case.id!r}: with every near miss listed, match and reference_match "
            f"disagree (rule set {used.id!r}): {_difference(slow_every, every)}"
        )


def assert_near_misses_summarised(
    case: ConsultationCase,
    directory: Directory,
    plan: ReferralPlan,
    rules: RuleSet | None = None,
    *,
    per_need: int | None = DEFAULT_PER_NEED,
) -> None:
    """The plan's near-miss summary (``plan.near_misses``) counts, per need and verdict,
    the near misses that ``match(..., near_misses="all")`` lists one by one, names the
    first of them as examples, and the two plans differ only in that list."""
    used = _rules_for(plan, rules)
    every = match(case, directory, used, plan.at, per_need=per_need, near_misses="all")
    counted: dict[tuple[str, tuple[Any, ...]], list[str]] = {}
    for exclusion in every.excluded:
        counted.setdefault((exclusion.need, exclusion.reasons), []).append(exclusion.service_id)
    summary = {(group.need, group.reasons): group for group in plan.near_misses}
    if len(summary) != len(plan.near_misses):
        _fail(f"case {case.id!r}: the near-miss summary has a verdict twice for one need")
    if set(summary) != set(counted):
        missing = sorted(need for need, _ in set(counted) - set(summary))
        extra = sorted(need for need, _ in set(summary) - set(counted))
        _fail(
            f"case {case.id!r}: the near-miss summary's verdicts are not the full list's "
            f"(rule set {used.id!r}): missing for {missing}, extra for {extra}"
        )
    for key, ids in counted.items():
        group = summary[key]
        if group.count != len(ids) or list(group.examples) != sorted(ids)[: len(group.examples)]:
            _fail(
                f"case {case.id!r}: need {key[0]!r}: the summary counts {group.count} near "
                f"misses for one verdict (examples {list(group.examples)}), the full list "
                f"{len(ids)} ({sorted(ids)[:3]} first) (rule set {used.id!r})"
            )
    summarised, listed = attrs.evolve(plan, excluded=()), attrs.evolve(every, excluded=())
    if listed != summarised:
        _fail(
            f"case {case.id!r}: listing every near miss changes more than plan.excluded "
            f"(rule set {used.id!r}): {_difference(summarised, listed)}"
        )


def _rank(rec: Recommendation) -> tuple[bool, int, str]:
    """The order match ranks by: put first by a rule, then score, then id."""
    return (not rec.first, -rec.score, rec.service_id)


def assert_monotonic(
    case: ConsultationCase,
    directory: Directory,
    rules: RuleSet | None,
    extra_service: Service,
    *,
    at: dt.datetime | None = None,
    per_need: int | None = DEFAULT_PER_NEED,
) -> None:
    """Adding ``extra_service`` to the directory removes no recommendation it does not outrank.

    The case is matched against the directory and against the directory
    with the service added (its agency must be in the directory and its id
    new).  The needs stay the same, and a recommendation may disappear from
    a need only when the added service is recommended for that need ranked
    above it (put first by a rule, a higher score, or the same score and a
    smaller id) and ``per_need`` pushed it out.
    """
    used = default_rules() if rules is None else rules
    if any(service.id == extra_service.id for service in directory.services):
        raise ValidationError(
            f"service {extra_service.id!r} is already in the directory", path="extra_service.id"
        )
    bigger = attrs.evolve(directory, services=(*directory.services, extra_service))
    before = match(case, directory, used, at, per_need=per_need)
    after = match(case, bigger, used, at, per_need=per_need)
    if [n.need for n in before.needs] != [n.need for n in after.needs]:
        _fail(
            f"case {case.id!r}: adding service {extra_service.id!r} changed the needs "
            f"(rule set {used.id!r}): {_difference(before, after)}"
        )
    for old, new in zip(before.needs, after.needs, strict=True):
        kept = {rec.service_id for rec in new.recommendations}
        added = next(
            (rec for rec in new.recommendations if rec.service_id == extra_service.id), None
        )
        for rec in old.recommendations:
            if rec.service_id in kept:
                continue
            if added is None or not _rank(added) < _rank(rec):
                how = (
                    "which is not recommended for it"
                    if added is None
                    else f"which ranks below it (score {added.score} against {rec.score})"
                )
                _fail(
                    f"{_where(case, before, old.need, rec.service_id)} is no longer recommended "
                    f"once service {extra_service.id!r} is added, {how}{_rules_touching(rec)}"
                )


def assert_offset_invariant(
    case: ConsultationCase,
    directory: Directory,
    rules: RuleSet | None,
    offset: dt.timedelta,
    *,
    at: dt.datetime | None = None,
    per_need: int | None = DEFAULT_PER_NEED,
) -> None:
    """The plan for one moment is the same when the moment is written in UTC ``offset``.

    ``at`` (default: when the case was received) is matched as given and as the
    same instant in ``offset``: every date test reads the person's day, never
    the day of the offset the moment happens to carry.
    """
    used = default_rules() if rules is None else rules
    moment = case.received_at if at is None else at
    shifted = moment.astimezone(dt.timezone(offset))
    expected = match(case, directory, used, moment, per_need=per_need)
    got = match(case, directory, used, shifted, per_need=per_need)
    if got != expected:
        _fail(
            f"case {case.id!r}: the moment {moment.isoformat()} written as "
            f"{shifted.isoformat()} gives another plan (rule set {used.id!r}): "
            f"{_difference(expected, got)}"
        )


def assert_age_and_timing_respected(
    case: ConsultationCase,
    directory: Directory,
    rules: RuleSet | None,
    extra_service: Service,
    *,
    at: dt.datetime | None = None,
    per_need: int | None = None,
) -> None:
    """``extra_service`` (limited by age or release timing), added to the directory, is
    recommended only when the person is inside its limits on the person's day."""
    used = default_rules() if rules is None else rules
    bigger = attrs.evolve(directory, services=(*directory.services, extra_service))
    plan = match(case, bigger, used, at, per_need=per_need)
    day = case.local_day(plan.at)
    for need_plan in plan.needs:
        for rec in need_plan.recommendations:
            if rec.service_id != extra_service.id:
                continue
            problems = _ineligible(case, bigger, extra_service, day)
            if problems:
                _fail(
                    f"{_where(case, plan, need_plan.need, rec.service_id)} is recommended, but "
                    f"{'; '.join(problems)}{_rules_touching(rec)}"
                )


def _rule_points(rec: Recommendation) -> int:
    return sum(r.points for r in rec.reasons if r.code not in ("need_fit", "area"))


def assert_specific_before_general(
    case: ConsultationCase,
    directory: Directory,
    rules: RuleSet | None,
    generalist: Service,
    specialist: Service,
    *,
    at: dt.datetime | None = None,
) -> None:
    """With both services added, the one that fits a need better ranks above the other,
    unless the rules favour the generalist (put it first alone, or gave it more points).

    The area is not a reason: a Tokyo-wide specialist ranks above a desk of the
    person's own municipality that only covers the broader field.
    """
    used = default_rules() if rules is None else rules
    bigger = attrs.evolve(directory, services=(*directory.services, generalist, specialist))
    plan = match(case, bigger, used, at, per_need=None)
    for need_plan in plan.needs:
        found = {rec.service_id: rec for rec in need_plan.recommendations}
        general, special = found.get(generalist.id), found.get(specialist.id)
        if general is None or special is None:
            continue
        fits = {
            rec.service_id: next(r.points for r in rec.reasons if r.code == "need_fit")
            for rec in (general, special)
        }
        if fits[specialist.id] <= fits[generalist.id]:
            continue
        favoured = (general.first and not special.first) or (
            _rule_points(general) > _rule_points(special)
        )
        if not favoured and not _rank(special) < _rank(general):
            _fail(
                f"{_where(case, plan, need_plan.need, specialist.id)} fits the need better "
                f"(fit {fits[specialist.id]} against {fits[generalist.id]}) but ranks below "
                f"the generalist {generalist.id!r} (score {special.score} against "
                f"{general.score}) with the same rules{_rules_touching(special)}"
            )


# -- running them with Hypothesis -------------------------------------------------------


@attrs.frozen
class PropertyFailure:
    """A property that does not hold: its name, what went wrong, and the example (JSON)."""

    name: str = attrs.field(metadata={"doc": "The property, e.g. eligibility_respected."})
    message: str = attrs.field(metadata={"doc": "What went wrong, naming case, service, rule."})
    example: str | None = attrs.field(
        default=None, metadata={"doc": "The smallest falsifying example, as JSON text."}
    )


@attrs.frozen
class _Example:
    """What one run of a property draws."""

    case: ConsultationCase
    at: dt.datetime | None = None
    extra_service: Service | None = None
    second_service: Service | None = None
    offset: dt.timedelta | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {"case": unstructure(self.case)}
        if self.at is not None:
            data["at"] = self.at.isoformat()
        if self.extra_service is not None:
            data["extra_service"] = unstructure(self.extra_service)
        if self.second_service is not None:
            data["second_service"] = unstructure(self.second_service)
        if self.offset is not None:
            data["offset_minutes"] = int(self.offset.total_seconds() // 60)
        return json.dumps(data, ensure_ascii=False, indent=2)


class _AsJson:
    """An example shown as JSON, made only if Hypothesis prints it (for the final failure)."""

    def __init__(self, example: _Example) -> None:
        self.example = example

    def __repr__(self) -> str:
        intro = "The example as JSON (its case is a case file for `saihan match`):"
        return f"{intro}\n{self.example.to_json()}"


_PlanCheck = Callable[[ConsultationCase, Directory, ReferralPlan, RuleSet, int | None], None]


def _plan_checks() -> dict[str, _PlanCheck]:
    return {
        "eligibility_respected": lambda c, d, p, r, n: assert_eligibility_respected(c, d, p),
        "service_area_respected": lambda c, d, p, r, n: assert_service_area_respected(c, d, p),
        "consent_respected": lambda c, d, p, r, n: assert_consent_respected(c, d, p, r, per_need=n),
        "no_unrequested_needs": lambda c, d, p, r, n: assert_no_unrequested_needs(c, d, p, r),
        "deterministic": lambda c, d, p, r, n: assert_deterministic(c, d, p, r, per_need=n),
        "fast_path_agrees": lambda c, d, p, r, n: assert_fast_path_agrees(c, d, p, r, per_need=n),
        "near_misses_summarised": lambda c, d, p, r, n: assert_near_misses_summarised(
            c, d, p, r, per_need=n
        ),
    }


PROPERTIES: tuple[str, ...] = (
    "eligibility_respected",
    "service_area_respected",
    "consent_respected",
    "no_unrequested_needs",
    "deterministic",
    "monotonic",
    "fast_path_agrees",
    "near_misses_summarised",
    "offset_invariant",
    "age_and_timing_respected",
    "specific_before_general",
)
"""The names of the properties :func:`check_rule_set` runs, in order."""


def _dates_of(rules: RuleSet) -> tuple[dt.date, dt.date]:
    """The days worth matching on: the rules' periods, with a year either side."""
    if not rules.rules:
        return PLAN_FIRST, PLAN_LAST
    starts = [rule.valid_from for rule in rules.rules]
    ends = [rule.valid_to or rule.valid_from for rule in rules.rules]
    year = dt.timedelta(days=365)
    first = max(min(starts) - year, dt.date(1990, 1, 1))
    last = min(max(ends) + year, dt.date(2100, 12, 31))
    return first, last


def _tokyo_codes() -> list[str]:
    return [item.code for item in tokyo_municipalities()]


def _examples(rules: RuleSet, directory: Directory) -> SearchStrategy[_Example]:
    first, last = _dates_of(rules)
    later = st.none() | st.integers(0, 800).map(lambda days: dt.timedelta(days=days))
    drawn_cases = cases(directory=directory, municipalities=_tokyo_codes(), first=first, last=last)

    @st.composite
    def examples(draw: DrawFn) -> _Example:
        case = draw(drawn_cases)
        shift = draw(later)
        return _Example(case, None if shift is None else case.received_at + shift)

    return examples()


def _monotonic_examples(rules: RuleSet, directory: Directory) -> SearchStrategy[_Example]:
    """Examples with a service to add: of one of the directory's agencies, with a new id,
    and half the time about the case's needs, in its area and open to it."""
    plain = _examples(rules, directory)
    taken = {service.id for service in directory.services}
    codes = sorted(need.code for need in directory.taxonomy)
    new_ids = identifiers().filter(lambda sid: sid not in taken)
    owners = st.sampled_from(directory.agencies)

    @st.composite
    def examples(draw: DrawFn) -> _Example:
        example = draw(plain)
        case = example.case
        agency = draw(owners)
        near = draw(st.booleans())
        service = draw(
            services(
                id=draw(new_ids),
                agency_id=agency.id,
                location_ids=[location.id for location in agency.locations],
                needs=list(case.need_codes) if near else codes,
                tokyo_only=True,
            )
        )
        if near:
            place = case.subject.residence or case.municipality
            areas = [ServiceArea.tokyo(), ServiceArea.national()]
            if place is not None:
                areas.append(ServiceArea.of(place))
            service = attrs.evolve(
                service,
                area=draw(st.sampled_from(areas)),
                audiences=service.audiences | {case.consulter},
                eligibility=Eligibility(),
                languages=case.languages[:1],
                accepting_referrals=True,
            )
        return attrs.evolve(example, extra_service=service)

    return examples()


_OFFSETS = st.integers(-12 * 4, 14 * 4).map(lambda quarters: dt.timedelta(minutes=15 * quarters))


def _open_to(case: ConsultationCase, service: Service, area: ServiceArea) -> Service:
    """``service`` in ``area``, taking referrals from this consulter in its language."""
    return attrs.evolve(
        service,
        area=area,
        audiences=service.audiences | {case.consulter},
        eligibility=Eligibility(),
        languages=case.languages[:1],
        accepting_referrals=True,
    )


def _areas_for(case: ConsultationCase) -> list[ServiceArea]:
    place = case.subject.residence or case.subject.preferred_municipality or case.municipality
    areas = [ServiceArea.tokyo(), ServiceArea.national()]
    if place is not None:
        areas.append(ServiceArea.of(place))
    return areas


_LEGAL_AROUND_RELEASE = (
    LegalSituation.IN_PRISON,
    LegalSituation.ON_PAROLE,
    LegalSituation.RELEASED_FROM_PRISON,
    LegalSituation.RELEASED_FROM_JUVENILE_TRAINING_SCHOOL,
    LegalSituation.NONE,
)


def _timing_examples(rules: RuleSet, directory: Directory) -> SearchStrategy[_Example]:
    """A case around a release, with a service for one of its needs limited by age
    and release timing, in its area and otherwise open to it."""
    plain = _examples(rules, directory)
    taken = {service.id for service in directory.services}
    new_ids = identifiers().filter(lambda sid: sid not in taken)
    owners = st.sampled_from(directory.agencies)
    ages = st.none() | st.integers(0, 100)

    @st.composite
    def examples(draw: DrawFn) -> _Example:
        example = draw(plain)
        case = example.case
        latest = min(case.received_on, case.received_at.date())
        when = draw(st.sampled_from(["released", "expected", "neither"]))
        days = dt.timedelta(days=draw(st.integers(0, 800)))
        subject = attrs.evolve(
            case.subject,
            # An expected release goes with someone still held (the case refuses others).
            legal_situation=LegalSituation.IN_PRISON
            if when == "expected"
            else draw(st.sampled_from(_LEGAL_AROUND_RELEASE)),
            juvenile_stage=None,
            released_on=latest - days if when == "released" else None,
            expected_release_on=latest + days if when == "expected" else None,
        )
        case = attrs.evolve(case, subject=subject, preferred_channels=frozenset())
        agency = draw(owners)
        low, high = draw(ages), draw(ages)
        if low is not None and high is not None and low > high:
            low, high = high, low
        eligibility = Eligibility(
            min_age=low,
            max_age=high,
            release_timing=draw(st.none() | st.sampled_from(list(ReleaseTiming))),
            within_days_of_release=draw(st.none() | st.integers(0, 400)),
        )
        service = draw(
            services(
                id=draw(new_ids),
                agency_id=agency.id,
                location_ids=[location.id for location in agency.locations],
                needs=[draw(st.sampled_from(case.need_codes))],
                tokyo_only=True,
            )
        )
        service = attrs.evolve(
            _open_to(case, service, draw(st.sampled_from(_areas_for(case)))),
            eligibility=eligibility,
        )
        return attrs.evolve(example, case=case, extra_service=service)

    return examples()


def _specific_examples(rules: RuleSet, directory: Directory) -> SearchStrategy[_Example]:
    """A case with a generalist and a specialist for one of its needs: the generalist
    meets the broader need (or the whole field, or a sibling), the specialist the need
    itself (or, for a broad need, a sub-need); same agency, any areas covering the place."""
    plain = _examples(rules, directory)
    taken = {service.id for service in directory.services}
    new_ids = identifiers().filter(lambda sid: sid not in taken)
    owners = st.sampled_from(directory.agencies)
    taxonomy = directory.taxonomy

    @st.composite
    def examples(draw: DrawFn) -> _Example:
        example = draw(plain)
        case = attrs.evolve(example.case, preferred_channels=frozenset())
        need = draw(st.sampled_from(case.need_codes))
        children = sorted(child.code for child in taxonomy.children(need))
        parent = taxonomy.get(need).parent
        if children:
            special_needs = [draw(st.sampled_from(children))]
            general_options = [need, *taxonomy.ancestors(need)[1:]]
        elif parent is not None:
            special_needs = [need]
            siblings = sorted(taxonomy.descendants(parent) - {need, parent})
            general_options = [*taxonomy.ancestors(need)[1:], *siblings]
        else:
            return example  # a need alone at the top: nothing is more general
        general_needs = [draw(st.sampled_from(general_options))]
        agency = draw(owners)
        first_id = draw(new_ids)
        second_id = draw(new_ids.filter(lambda sid: sid != first_id))
        template = draw(
            services(
                id=first_id,
                agency_id=agency.id,
                location_ids=[location.id for location in agency.locations],
                needs=general_needs,
                tokyo_only=True,
            )
        )
        areas = _areas_for(case)
        generalist = attrs.evolve(
            _open_to(case, template, draw(st.sampled_from(areas))),
            needs=frozenset(general_needs),
        )
        specialist = attrs.evolve(
            _open_to(case, template, draw(st.sampled_from(areas))),
            id=second_id,
            needs=frozenset(special_needs),
        )
        return attrs.evolve(example, case=case, extra_service=generalist, second_service=specialist)

    return examples()


def _property_test(
    name: str, rules: RuleSet, directory: Directory, per_need: int | None
) -> tuple[SearchStrategy[_Example], Callable[[_Example], None]]:
    if name == "offset_invariant":

        def offsets(example: _Example) -> None:
            assert example.offset is not None
            assert_offset_invariant(
                example.case,
                directory,
                rules,
                example.offset,
                at=example.at,
                per_need=per_need,
            )

        strategy = st.builds(
            lambda example, offset: attrs.evolve(example, offset=offset),
            _examples(rules, directory),
            _OFFSETS,
        )
        return strategy, offsets
    if name in ("age_and_timing_respected", "specific_before_general"):
        if not directory.agencies:
            return st.nothing(), lambda example: None
        if name == "age_and_timing_respected":

            def timing(example: _Example) -> None:
                assert example.extra_service is not None
                assert_age_and_timing_respected(
                    example.case, directory, rules, example.extra_service, at=example.at
                )

            return _timing_examples(rules, directory), timing

        def specific(example: _Example) -> None:
            if example.extra_service is None or example.second_service is None:
                return
            assert_specific_before_general(
                example.case,
                directory,
                rules,
                example.extra_service,
                example.second_service,
                at=example.at,
            )

        return _specific_examples(rules, directory), specific
    if name == "monotonic":
        if not directory.agencies:
            return st.nothing(), lambda example: None

        def monotonic(example: _Example) -> None:
            assert example.extra_service is not None
            assert_monotonic(
                example.case,
                directory,
                rules,
                example.extra_service,
                at=example.at,
                per_need=per_need,
            )

        return _monotonic_examples(rules, directory), monotonic
    check = _plan_checks()[name]

    def run(example: _Example) -> None:
        plan = match(example.case, directory, rules, example.at, per_need=per_need)
        check(example.case, directory, plan, rules, per_need)

    return _examples(rules, directory), run


def _codes_problem(rules: RuleSet, directory: Directory) -> str | None:
    try:
        rules.check_codes(needs=(need.code for need in directory.taxonomy), kinds=directory.kinds)
    except ValidationError as error:
        return str(error)
    return None


def _run(
    name: str,
    rules: RuleSet,
    directory: Directory,
    per_need: int | None,
    chosen: settings,
    seed: int | None,
    seen: list[_Example],
) -> None:
    """Run one property with Hypothesis; its failure propagates, shrunk if shrinking is on."""
    strategy, check = _property_test(name, rules, directory, per_need)
    if strategy.is_empty:
        return

    def test(example: _Example) -> None:
        seen.append(example)
        note(_AsJson(example))
        check(example)

    test.__name__ = test.__qualname__ = name
    runner = chosen(given(strategy)(test))
    if seed is not None:
        runner = hypothesis_seed(seed)(runner)
    runner()


def _quiet_settings(max_examples: int, seed: int | None, shrink: bool) -> settings:
    phases = [phase for phase in Phase if shrink or phase is not Phase.shrink]
    return settings(
        max_examples=max_examples,
        phases=phases,
        deadline=None,
        database=None,
        derandomize=seed is None,
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def check_rule_set(
    rules: RuleSet,
    directory: Directory,
    *,
    max_examples: int = 100,
    seed: int | None = None,
    per_need: int | None = DEFAULT_PER_NEED,
    properties: Sequence[str] = PROPERTIES,
    shrink: bool = True,
) -> list[PropertyFailure]:
    """Run every property on random cases; return what fails (empty when all hold).

    Cases are drawn from the directory's taxonomy, in Tokyo's
    municipalities, on days around the rules' periods, with consents to the
    directory's agencies; monotonicity adds random services of the
    directory's agencies.  Each property runs ``max_examples`` examples;
    a failure carries the smallest example Hypothesis found, as JSON.  The
    run is reproducible: derandomized, or from ``seed`` when given.
    ``properties`` picks some of :data:`PROPERTIES`; ``shrink=False`` reports
    the first failing example as found, which is quicker when a property
    fails.  Rule codes unknown to the directory give one failure,
    ``rule_codes``.  Bad arguments raise :class:`~saihan.errors.ValidationError`.
    (Called inside a ``@given`` test, suppress ``HealthCheck.nested_given`` on that test.)
    """
    problems = []
    if not isinstance(rules, RuleSet):
        problems.append(ErrorItem("rules", f"expected a RuleSet, got {type(rules).__name__}"))
    if not isinstance(directory, Directory):
        problems.append(
            ErrorItem("directory", f"expected a Directory, got {type(directory).__name__}")
        )
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        problems.append(ErrorItem("max_examples", "expected a whole number of at least 1"))
    unknown = [name for name in properties if name not in PROPERTIES]
    if unknown:
        problems.append(ErrorItem("properties", f"unknown properties {unknown}"))
    if problems:
        raise ValidationError(problems)
    codes = _codes_problem(rules, directory)
    if codes is not None:
        return [PropertyFailure("rule_codes", codes)]
    failures = []
    chosen = _quiet_settings(max_examples, seed, shrink)
    for name in properties:
        seen: list[_Example] = []
        try:
            _run(name, rules, directory, per_need, chosen, seed, seen)
        except Exception as error:  # the property failed, or match raised
            message = str(error) if isinstance(error, AssertionError) else repr(error)
            example = seen[-1].to_json() if seen else None
            failures.append(PropertyFailure(name, message, example))
    return failures


# -- the pytest suite ------------------------------------------------------------------


class RuleSetProperties:
    """Every property as a pytest test, for your rules and directory.

    Subclass it in a test module, with the rules and directory to check as
    class attributes::

        from saihan.directory import load_directory
        from saihan.referral import load_rules
        from saihan.testing import RuleSetProperties

        class TestOurRules(RuleSetProperties):
            rules = load_rules("rules/ours.yaml")
            directory = load_directory("data/directory.json")

    ``rules`` None means the default rules, ``directory`` None the sample
    directory.  ``hypothesis_examples`` sets how many examples each test
    runs (None: the Hypothesis profile's); ``per_need`` is passed to match.
    """

    rules: ClassVar[RuleSet | None] = None
    directory: ClassVar[Directory | None] = None
    hypothesis_examples: ClassVar[int | None] = None
    per_need: ClassVar[int | None] = DEFAULT_PER_NEED

    def _rules(self) -> RuleSet:
        return default_rules() if self.rules is None else self.rules

    def _directory(self) -> Directory:
        if self.directory is None:
            from saihan.directory.sample import sample_directory

            return sample_directory()
        return self.directory

    def _check(self, name: str) -> None:
        extra: dict[str, Any] = {}
        if self.hypothesis_examples is not None:
            extra["max_examples"] = self.hypothesis_examples
        chosen = settings(
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            **extra,
        )
        _run(name, self._rules(), self._directory(), self.per_need, chosen, None, [])

    def test_rule_codes_known(self) -> None:
        problem = _codes_problem(self._rules(), self._directory())
        assert problem is None, f"the rules use codes the directory does not know: {problem}"

    def test_eligibility_respected(self) -> None:
        self._check("eligibility_respected")

    def test_service_area_respected(self) -> None:
        self._check("service_area_respected")

    def test_consent_respected(self) -> None:
        self._check("consent_respected")

    def test_no_unrequested_needs(self) -> None:
        self._check("no_unrequested_needs")

    def test_deterministic(self) -> None:
        self._check("deterministic")

    def test_monotonic(self) -> None:
        self._check("monotonic")

    def test_fast_path_agrees(self) -> None:
        self._check("fast_path_agrees")

    def test_near_misses_summarised(self) -> None:
        self._check("near_misses_summarised")

    def test_offset_invariant(self) -> None:
        self._check("offset_invariant")

    def test_age_and_timing_respected(self) -> None:
        self._check("age_and_timing_respected")

    def test_specific_before_general(self) -> None:
        self._check("specific_before_general")

"""The result of matching: a referral plan, with the trace that explains it.

A plan holds facts from the case (its legal situation, attributes and so
on, as the rules used them): store and show it with the same care as the
case.  It never holds the case's summary, names or notes.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from saihan._validation import Checker, checked, types_only
from saihan.directory.service import ContactPoint
from saihan.directory.vocabulary import Channel
from saihan.referral.case import Urgency
from saihan.referral.flows.model import FlowRun
from saihan.text import LocalizedText

__all__ = [
    "NEAR_MISS_EXAMPLES",
    "TRACE_VERSION",
    "Exclusion",
    "Fact",
    "MissingRequirement",
    "NearMisses",
    "NeedPlan",
    "OpenInterval",
    "Reason",
    "Recommendation",
    "RecommendationStatus",
    "ReferralPlan",
    "RuleChange",
    "summarise_near_misses",
]

TRACE_VERSION = 5
"""Bumped whenever the plan's stored form changes meaning; readers check it.

2: ``flow``, the support flow the plan followed (version-1 plans have none and are read).
3: ``applied_rules`` holds only rules that changed the plan, ``changes`` says what each
changed, ``derived`` the attributes worked out from the case; status ``consent_refused``;
scores follow the ranking of docs/referral.md (fit on the need tree, area by its width).
4: a recommendation carries its public ``contacts``, ``website``, ``address`` (none for a
confidential location) and ``hours_today`` (the open intervals of the person's day).
5: ``near_misses`` summarises the near misses by need and verdict (how many, and the first
few); ``excluded`` lists each one only when asked for (``match(..., near_misses="all")``).
Older plans are read (their lists are what those versions wrote).
"""


class RecommendationStatus(enum.StrEnum):
    """Whether the person's information may go to the service's agency now."""

    READY = "ready"  # a consent covers the agency on the day of the match
    NEEDS_CONSENT = "needs_consent"  # fits, but ask the person first (not asked yet)
    CONSENT_REFUSED = "consent_refused"  # fits, but the person refused to share with it


@attrs.frozen(cache_hash=True)  # near misses are merged by their reasons: hashed often
class Fact:
    """A value a rule or check used: ``case.legal_situation = on_parole``."""

    field: str = attrs.field(metadata={"doc": "Field name, as rules name it."})
    value: str = attrs.field(metadata={"doc": "Its value, as text."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen(cache_hash=True)
class Reason:
    """Why a service was ranked, moved or left out."""

    code: str = attrs.field(
        metadata={"doc": "need_fit, area, rule, or an exclusion code such as age."}
    )
    text: LocalizedText = attrs.field(metadata={"doc": "The reason in words."})
    rule_id: str | None = attrs.field(default=None, metadata={"doc": "The rule, if one."})
    facts: tuple[Fact, ...] = attrs.field(default=(), metadata={"doc": "Facts it used."})
    points: int = attrs.field(default=0, metadata={"doc": "What it added to the score."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class OpenInterval:
    """A time a service answers: from ``opens`` to ``closes``."""

    opens: dt.datetime = attrs.field(metadata={"doc": "When it opens."})
    closes: dt.datetime = attrs.field(metadata={"doc": "When it closes."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.require(self.closes >= self.opens, "closes", "closes before it opens")
        check.done()


@attrs.frozen
class Recommendation:
    """One service proposed for a need."""

    service_id: str = attrs.field(metadata={"doc": "The service."})
    agency_id: str = attrs.field(metadata={"doc": "Its agency."})
    agency_kind: str = attrs.field(metadata={"doc": "The agency's kind."})
    name: LocalizedText = attrs.field(metadata={"doc": "Service name."})
    agency_name: LocalizedText = attrs.field(metadata={"doc": "Agency name."})
    needs_covered: frozenset[str] = attrs.field(
        metadata={"doc": "The case's needs this service meets."}
    )
    score: int = attrs.field(metadata={"doc": "Sum of the reasons' points."})
    status: RecommendationStatus = attrs.field(
        metadata={"doc": "ready, needs_consent (not asked yet) or consent_refused."}
    )
    first: bool = attrs.field(default=False, metadata={"doc": "A rule put it first."})
    required: bool = attrs.field(default=False, metadata={"doc": "A rule requires it."})
    channels: frozenset[Channel] = attrs.field(
        factory=frozenset, metadata={"doc": "Channels the person can use to reach it."}
    )
    next_open: dt.datetime | None = attrs.field(
        default=None,
        metadata={"doc": "Next time staff answer, from its calendar; null: hours unknown."},
    )
    open_now: bool = attrs.field(default=False, metadata={"doc": "Open at the match time."})
    reasons: tuple[Reason, ...] = attrs.field(default=(), metadata={"doc": "Why, in order."})
    contacts: tuple[ContactPoint, ...] = attrs.field(
        default=(),
        metadata={"doc": "Public phone, fax, e-mail and web-form contacts (the agency's if none)."},
    )
    website: str | None = attrs.field(
        default=None, metadata={"doc": "The service's public page, else its agency's."}
    )
    address: str | None = attrs.field(
        default=None,
        metadata={"doc": "Where to go, as one line; null when none or the place is confidential."},
    )
    hours_today: tuple[OpenInterval, ...] = attrs.field(
        default=(),
        metadata={
            "doc": "When it answers on the person's day (case.local_day); empty: closed "
            "or hours unknown (next_open null)."
        },
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class NeedPlan:
    """The ranked recommendations for one need."""

    need: str = attrs.field(metadata={"doc": "Need code."})
    label: LocalizedText = attrs.field(metadata={"doc": "The need's name."})
    urgency: Urgency = attrs.field(metadata={"doc": "How urgent."})
    recommendations: tuple[Recommendation, ...] = attrs.field(
        default=(), metadata={"doc": "Best first."}
    )
    added_by: str | None = attrs.field(
        default=None, metadata={"doc": "The add_need rule that added it; null if raised."}
    )
    added_because: tuple[Fact, ...] = attrs.field(
        default=(), metadata={"doc": "Facts the add_need rule used."}
    )
    more: int = attrs.field(
        default=0, metadata={"doc": "Fitting services left out by the per-need limit."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class Exclusion:
    """A near miss: a service for the need in the person's area, left out, and why."""

    service_id: str = attrs.field(metadata={"doc": "The service."})
    need: str = attrs.field(metadata={"doc": "The need it was considered for."})
    reasons: tuple[Reason, ...] = attrs.field(metadata={"doc": "Every reason it failed."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


NEAR_MISS_EXAMPLES = 3
"""How many service ids a :class:`NearMisses` names as examples."""


@attrs.frozen
class NearMisses:
    """The near misses for one need that were left out for the same reasons: how many,
    and the first few of them (by service id)."""

    need: str = attrs.field(metadata={"doc": "The need they were considered for."})
    reasons: tuple[Reason, ...] = attrs.field(
        metadata={"doc": "Every reason each of them failed (the same for all)."}
    )
    count: int = attrs.field(metadata={"doc": "How many services failed for these reasons."})
    examples: tuple[str, ...] = attrs.field(
        metadata={"doc": "The first of them by service id (at most 3)."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.require(bool(self.reasons), "reasons", "a near miss has at least one reason")
        check.require(self.count >= 1, "count", "at least 1")
        check.require(
            1 <= len(self.examples) <= min(self.count, NEAR_MISS_EXAMPLES),
            "examples",
            f"between 1 and {NEAR_MISS_EXAMPLES} ids, and no more than count",
        )
        check.require(
            list(self.examples) == sorted(set(self.examples)),
            "examples",
            "distinct service ids, in order",
        )
        check.done()


def summarise_near_misses(excluded: Iterable[Exclusion]) -> tuple[NearMisses, ...]:
    """The near misses ``excluded`` lists one by one, grouped by need and reasons: needs
    in the order they first come, and within a need the largest group first (ties: by
    the first service id).  ``match`` gives ``plan.near_misses`` this way."""
    groups: dict[str, dict[tuple[Reason, ...], list[str]]] = {}
    for exclusion in excluded:
        groups.setdefault(exclusion.need, {}).setdefault(exclusion.reasons, []).append(
            exclusion.service_id
        )
    found: list[NearMisses] = []
    for need, by_reasons in groups.items():
        rows = [(len(ids), sorted(ids), reasons) for reasons, ids in by_reasons.items()]
        rows.sort(key=lambda row: (-row[0], row[1][0]))
        found.extend(
            NearMisses(need, reasons, count, tuple(ids[:NEAR_MISS_EXAMPLES]))
            for count, ids, reasons in rows
        )
    return tuple(found)


@attrs.frozen
class MissingRequirement:
    """A ``require`` rule that fired, but no eligible service it targets meets any of the
    case's needs in its scope."""

    rule_id: str = attrs.field(metadata={"doc": "The rule."})
    needs: tuple[str, ...] = attrs.field(metadata={"doc": "The case's needs in its scope."})
    text: LocalizedText = attrs.field(metadata={"doc": "The rule's description."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class RuleChange:
    """What one rule (or support-flow action) changed in a plan."""

    rule_id: str = attrs.field(metadata={"doc": "The rule, or flow:<flow>/<node>."})
    effect: str = attrs.field(
        metadata={"doc": "add_need, require, exclude, prefer, demote or first."}
    )
    added_need: str | None = attrs.field(
        default=None, metadata={"doc": "For add_need: the need it added."}
    )
    needs: tuple[str, ...] = attrs.field(
        default=(), metadata={"doc": "The plan's needs whose services it changed."}
    )
    services: tuple[str, ...] = attrs.field(
        default=(),
        metadata={
            "doc": "The services it moved, put first, kept or left out (for require with "
            "none available: empty, and the plan's ``missing`` names it)."
        },
    )
    on_suspicion: bool = attrs.field(
        default=False,
        metadata={
            "doc": "True when it held only through suspected attributes (and so counted "
            "with a lower weight, see docs/referral.md)."
        },
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class ReferralPlan:
    """What ``match`` proposes for a case, and the trace of why.

    ``needs`` come most urgent first; within a need, recommendations are
    ranked: those a ``first`` rule put first, then by score, ties by id.
    """

    trace_version: int = attrs.field(metadata={"doc": "Version of this stored form."})
    case_id: str = attrs.field(metadata={"doc": "The case matched."})
    at: dt.datetime = attrs.field(metadata={"doc": "The moment the plan is for."})
    rules_id: str = attrs.field(metadata={"doc": "Rule set id."})
    rules_version: str = attrs.field(metadata={"doc": "Rule set version."})
    applied_rules: tuple[str, ...] = attrs.field(
        default=(),
        metadata={
            "doc": "Ids of the rules that changed the plan (added a need, or moved, put "
            "first, kept or left out a service), in the order they applied."
        },
    )
    needs: tuple[NeedPlan, ...] = attrs.field(default=(), metadata={"doc": "Per need."})
    unmet_needs: tuple[str, ...] = attrs.field(
        default=(), metadata={"doc": "Needs nothing eligible meets."}
    )
    excluded: tuple[Exclusion, ...] = attrs.field(
        default=(),
        metadata={
            "doc": "Every near miss, one by one: only when asked for "
            "(near_misses='all'; always in plans before trace version 5)."
        },
    )
    missing: tuple[MissingRequirement, ...] = attrs.field(
        default=(), metadata={"doc": "Required services that are not available."}
    )
    directory: str | None = attrs.field(
        default=None, metadata={"doc": "Name of the directory used."}
    )
    flow: FlowRun | None = attrs.field(
        default=None,
        metadata={"doc": "The support flow followed: its path, actions and end; null: none."},
    )
    changes: tuple[RuleChange, ...] = attrs.field(
        default=(), metadata={"doc": "What each rule in applied_rules changed, in that order."}
    )
    derived: tuple[Reason, ...] = attrs.field(
        default=(),
        metadata={
            "doc": "Facts worked out from the case on the plan's day (elderly from the age, "
            "specified juvenile, the release), and how suspected attributes counted."
        },
    )
    near_misses: tuple[NearMisses, ...] = attrs.field(
        default=(),
        metadata={
            "doc": "The near misses by need and verdict: how many services failed for the "
            "same reasons, and the first few (empty in plans before trace version 5)."
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        if self.trace_version > TRACE_VERSION:
            check.add(
                "trace_version",
                f"trace version {self.trace_version} was written by a newer saihan "
                f"(this one reads up to {TRACE_VERSION})",
            )
        elif self.trace_version < 1:
            check.add("trace_version", "trace versions start at 1")
        check.identifier("case_id", self.case_id)
        check.done()

    def near_miss_summary(self) -> tuple[NearMisses, ...]:
        """``near_misses``, or for a plan written before trace version 5 (which lists
        every near miss in ``excluded``) the same summary worked out from that list."""
        if self.trace_version >= 5:
            return self.near_misses
        return summarise_near_misses(self.excluded)

    def recommendations(self, need: str | None = None) -> tuple[Recommendation, ...]:
        """Every recommendation (for one need when given), in plan order."""
        return tuple(
            rec
            for need_plan in self.needs
            if need is None or need_plan.need == need
            for rec in need_plan.recommendations
        )

    def recommended_ids(self) -> frozenset[str]:
        """The ids of every recommended service."""
        return frozenset(rec.service_id for rec in self.recommendations())

    def to_json(self) -> str:
        from saihan.serialization import to_json

        return to_json(self)

    def to_text(self, lang: str = "ja", *, width: int | None = 100) -> str:
        """The plan for a worker to read, in ``lang`` (ja or en), wrapped to ``width``
        terminal columns (None: not wrapped); see :func:`saihan.referral.render.plan_text`."""
        from saihan.referral.render import plan_text

        return plan_text(self, lang, width=width)

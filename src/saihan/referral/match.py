"""Matching a case to services: eligibility, rules, ranking, consent, reachability.

The work is split so that most of it happens once:

- :class:`MatchIndex` (one per directory, cached) holds each service's facts
  and the services serving each need, by municipality;
- a rule set compiles its conditions once (:attr:`RuleSet.compiled`);
- each call evaluates the case side of every rule once, then only the
  candidate services in the person's area against the rules that fired.

:func:`reference_match` does the same with none of that: it checks every
service against every rule by walking the condition trees.  It is the
yardstick for the benchmark and, in the tests, the definition the fast path
must agree with.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

import attrs

from saihan.directory.agency import Agency
from saihan.directory.directory import Directory
from saihan.directory.service import AreaKind, ReleaseTiming, Service
from saihan.directory.taxonomy import NeedTaxonomy
from saihan.directory.vocabulary import (
    Channel,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
)
from saihan.errors import ErrorItem, ValidationError
from saihan.referral import _words as words
from saihan.referral._words import place_name
from saihan.referral.case import ConsultationCase, Subject, Urgency
from saihan.referral.conditions import evaluate
from saihan.referral.contacts import hours_on, public_address, public_contacts
from saihan.referral.plan import (
    NEAR_MISS_EXAMPLES,
    TRACE_VERSION,
    Exclusion,
    Fact,
    MissingRequirement,
    NearMisses,
    NeedPlan,
    Reason,
    Recommendation,
    RecommendationStatus,
    ReferralPlan,
    RuleChange,
    summarise_near_misses,
)
from saihan.referral.rules import CompiledRule, Effect, Rule, RuleSet, default_rules
from saihan.schedule.calendar import BusinessCalendar
from saihan.text import LocalizedText

if TYPE_CHECKING:
    from saihan.referral.flows.model import Flow, FlowRun

__all__ = [
    "DEFAULT_PER_NEED",
    "ELDERLY_AGE",
    "NEAR_MISS_MODES",
    "DirectorySource",
    "MatchIndex",
    "NearMissMode",
    "candidate_needs",
    "derived_attributes",
    "match",
    "match_needs",
    "match_services",
    "place_of",
    "reference_match",
    "release_of",
]

DEFAULT_PER_NEED = 5

NearMissMode = Literal["summary", "all"]
NEAR_MISS_MODES: tuple[str, ...] = ("summary", "all")
"""What :func:`match` gives of the near misses: a summary by verdict, or every one too."""

CHECKED_FLOWS = 64
"""How many validated flows a :class:`MatchIndex` remembers."""

# Points: how well the service's need fits (docs/referral.md, "Ranking"), and how close
# to home it works.  Each fit step (12) is wider than the whole area range (10), so the
# area never lifts a service over one that fits the need better: only rules can.
FIT_EXACT = 60  # the need itself, a specific (leaf) code
FIT_NARROWER = 48  # a sub-need of it: a specialist for part of the need
FIT_WHOLE_FIELD = 36  # the need itself, as a heading with sub-needs: a generalist
FIT_SIBLING = 24  # a related need under the same heading
FIT_BROADER = 12  # only a broader need that includes it (parent, grandparent ...)
AREA_OWN = 10  # a desk of the person's municipality only
AREA_SEVERAL = 7  # serves several municipalities, the person's among them
AREA_PREFECTURE = 4  # the whole prefecture
AREA_NATIONAL = 0  # the whole country
AREA_LOCAL = AREA_OWN  # the name older code used

ELDERLY_AGE = 65
"""From this age a person counts as ``elderly`` (as the special-coordination rules test)."""
SPECIFIED_JUVENILE_AGES = (18, 19)  # 特定少年: 18 or 19 under the Juvenile Act

Facts = Mapping[str, Any]
_T = TypeVar("_T")


@runtime_checkable
class DirectorySource(Protocol):
    """Where :func:`match` can read the part of a directory one case needs, instead
    of a whole :class:`~saihan.directory.Directory`: a
    :class:`saihan.storage.Store` is one (see docs/storage.md, "Matching from the store").
    """

    def load_directory_for(
        self,
        municipality: str | None,
        needs: Iterable[str] | None = None,
        *,
        services: Iterable[str] = (),
    ) -> Directory:
        """Every service whose area may cover ``municipality`` (any prefecture-wide
        or national one, and the municipal ones listing it) and that meets one of
        :func:`candidate_needs` of one of ``needs`` (every service, for None), the
        ``services`` named, their agencies, and the extension needs, kinds and meta."""
        ...


def candidate_needs(taxonomy: NeedTaxonomy, need: str) -> frozenset[str]:
    """The need codes of which a service must meet one to be a candidate for ``need``:
    the need, its sub-needs, its siblings (needs under its parent, with theirs) and its
    broader needs.  A code ``taxonomy`` does not know has none."""
    if need not in taxonomy:
        return frozenset()
    return _NeedShape.of(taxonomy, need).related


def match_needs(
    case: ConsultationCase, rules: RuleSet | None = None, flow: Flow | None = None
) -> frozenset[str]:
    """Every need a plan for ``case`` may have: those raised, those any ``add_need``
    rule of ``rules`` (default :func:`default_rules`) adds, and those any action of
    ``flow`` adds, whether or not they hold for the case (a superset, so that it is
    known before the directory is read)."""
    found = {need.code for need in case.needs}
    for rule in (rules or default_rules()).rules:
        if rule.effect is Effect.ADD_NEED and rule.need is not None:
            found.add(rule.need)
    if flow is not None:
        for node in flow.nodes:
            found.update(a.add_need for a in node.actions if a.add_need is not None)
    return frozenset(found)


def match_services(flow: Flow | None) -> frozenset[str]:
    """The service ids ``flow``'s ``connect`` actions name (checked when it is run)."""
    if flow is None:
        return frozenset()
    return frozenset(
        action.connect.service
        for node in flow.nodes
        for action in node.actions
        if action.connect is not None and action.connect.service is not None
    )


@attrs.frozen(eq=False)
class _Entry:
    service: Service
    agency: Agency
    facts: dict[str, Any]
    channels: frozenset[Channel]
    hours: BusinessCalendar | None
    needs_fact: Fact  # service.needs as the need_fit reason shows it
    area_points: int  # as a candidate: its area covers the place (own municipality, or wider)
    parts: tuple[Part, ...]  # the service's side of each eligibility check
    part_ids: tuple[int, ...]  # the same, numbered by the index (equal parts, equal numbers)
    signature: int  # services with equal parts share it, and their verdict for a case
    # The same with a prefecture-wide area's prefecture left out: outside their prefecture,
    # services with equal ones share their verdict (one of them outside their area).
    outside_signature: int


@attrs.frozen(eq=False)
class _Group:
    """Candidates for one need in one part of the map (the country, a prefecture, a
    municipality) that every match treats alike: equal eligibility parts (signature),
    fit and area points, and equal values of the fields the rules' targets read."""

    entry: _Entry  # the first of them, standing for all
    ids: tuple[str, ...]  # every one, in id order
    fit: int  # FIT_* for this need
    score: int  # fit + area points: the score before rules
    values: tuple[Any, ...]  # whether it is local, and the values of the fields grouped by


class MatchIndex:
    """A directory prepared for matching: service facts, and candidates by need and place.

    Built once per directory (``MatchIndex.of(directory)`` caches it) and
    safe to share between threads.
    """

    def __init__(self, directory: Directory, *, like: MatchIndex | None = None) -> None:
        if not isinstance(directory, Directory):
            raise ValidationError(
                f"expected a Directory, got {type(directory).__name__}", path="directory"
            )
        if like is not None and not isinstance(like, MatchIndex):
            raise ValidationError(
                f"expected a MatchIndex or None, got {type(like).__name__}", path="like"
            )
        self.directory = directory
        self.taxonomy: NeedTaxonomy = directory.taxonomy
        # A service (and its agency) that is the very object ``like`` prepared, under the
        # same taxonomy, is prepared the same way: its facts and parts are taken over.
        previous = like.entries if like is not None and like.taxonomy is self.taxonomy else {}
        calendars: dict[BusinessCalendar, BusinessCalendar] = {}
        signatures: dict[tuple[Part, ...], int] = {}
        outside_signatures: dict[tuple[Part, ...], int] = {}
        part_ids: dict[Part, int] = {}
        part_numbers: dict[tuple[Part, ...], tuple[int, ...]] = {}
        self._shared: dict[Any, Any] = {}
        shared = self._share
        self.entries: dict[str, _Entry] = {}
        # A big directory repeats a few values many times: each is worked out once
        # (sets of needs with their ancestors, audiences, channels, languages, parts).
        needs_of: dict[frozenset[str], tuple[frozenset[str], Fact]] = {}
        audiences_of: dict[frozenset[Any], frozenset[str]] = {}
        channel_values: dict[frozenset[Channel], frozenset[str]] = {}
        languages_of: dict[tuple[str, ...], frozenset[str]] = {}
        parts_of: dict[tuple[Any, ...], tuple[tuple[Part, ...], tuple[int, ...], int, int]] = {}
        # parts taken over from ``like`` (by identity: equal parts are mostly one object)
        # -> their numbers, signature and outside signature here
        numbered: dict[int, tuple[tuple[int, ...], int, int]] = {}
        agencies = {agency.id: agency for agency in directory.agencies}
        for service in directory.services:
            agency = agencies[service.agency_id]
            old = previous.get(service.id)
            if old is not None and old.service is service and old.agency is agency:
                taken = numbered.get(id(old.parts))
                if taken is None:
                    if old.parts not in part_numbers:
                        part_numbers[old.parts] = tuple(
                            part_ids.setdefault(part, len(part_ids)) for part in old.parts
                        )
                    taken = numbered[id(old.parts)] = (
                        part_numbers[old.parts],
                        signatures.setdefault(old.parts, len(signatures)),
                        outside_signatures.setdefault(
                            _elsewhere(old.parts), len(outside_signatures)
                        ),
                    )
                self.entries[service.id] = _Entry(
                    service,
                    agency,
                    old.facts,
                    old.channels,
                    old.hours,
                    old.needs_fact,
                    old.area_points,
                    old.parts,
                    *taken,
                )
                continue
            # Equal calendars share one compiled form: compiled once, answered fast.
            hours = service.hours
            if hours is not None:
                hours = calendars.setdefault(hours, hours)
            channels = shared(directory.channels_of(service))
            needs = needs_of.get(service.needs)
            if needs is None:
                needs = needs_of[service.needs] = (
                    shared(self._with_ancestors(service.needs)),
                    shared(Fact("service.needs", _show(frozenset(service.needs)))),
                )
            audiences = audiences_of.get(service.audiences)
            if audiences is None:
                audiences = audiences_of[service.audiences] = shared(
                    frozenset(a.value for a in service.audiences)
                )
            values = channel_values.get(channels)
            if values is None:
                values = channel_values[channels] = shared(frozenset(c.value for c in channels))
            languages = languages_of.get(service.languages)
            if languages is None:
                languages = languages_of[service.languages] = shared(frozenset(service.languages))
            area = service.area
            parts_key = (
                service.accepting_referrals,
                area.kind,
                area.prefecture_code,
                service.audiences,
                service.eligibility,
                channels,
                languages,
            )
            found = parts_of.get(parts_key)
            if found is None:
                # Equal parts are one object: a big directory repeats a few shapes.
                parts = shared(_parts(service, channels))
                if parts not in part_numbers:
                    part_numbers[parts] = tuple(
                        part_ids.setdefault(part, len(part_ids)) for part in parts
                    )
                found = parts_of[parts_key] = (
                    parts,
                    part_numbers[parts],
                    signatures.setdefault(parts, len(signatures)),
                    outside_signatures.setdefault(_elsewhere(parts), len(outside_signatures)),
                )
            parts, numbers, signature, outside_signature = found
            self.entries[service.id] = _Entry(
                service=service,
                agency=agency,
                facts={
                    "service.id": service.id,
                    "service.agency_id": agency.id,
                    "service.agency_kind": agency.kind,
                    "service.needs": needs[0],
                    "service.audiences": audiences,
                    "service.channels": values,
                    "service.languages": languages,
                    "service.cost": service.cost.value,
                    "service.area": area.kind.value,
                },
                channels=channels,
                hours=hours,
                needs_fact=needs[1],
                area_points=_area_points(service),
                parts=parts,
                part_ids=numbers,
                signature=signature,
                outside_signature=outside_signature,
            )
        self.part_count = len(part_ids)
        self.parts: tuple[Part, ...] = tuple(part_ids)  # by number
        self._by_need: dict[str, list[str]] | None = None  # need code -> ids meeting it
        self._candidates: dict[str, _Serving] = {}
        # (need, part, fields) -> its groups; a part is ("n", "") for the national
        # services, ("p", code) for a prefecture's, ("m", code) for a municipality's.
        self._groups: dict[tuple[str, str, str, tuple[str, ...]], tuple[_Group, ...]] = {}
        self._outside: dict[tuple[str, str, int], tuple[frozenset[str] | None, _Outside]] = {}
        self._shapes: dict[str, _NeedShape] = {}
        self._targets: dict[int, tuple[CompiledRule, frozenset[str]]] = {}
        self._values: dict[
            tuple[str, ...], dict[tuple[Any, ...], tuple[dict[str, Any], list[str]]]
        ] = {}
        self._unions: dict[
            tuple[int, ...],
            tuple[tuple[tuple[CompiledRule, frozenset[str] | None], ...], frozenset[str]],
        ] = {}
        self._lock = threading.Lock()
        # Flows validated against this directory, by identity (flows are immutable): a
        # service-heavy directory makes validation cost more than the match itself.
        self._checked_flows: OrderedDict[int, Flow] = OrderedDict()

    _cache: dict[int, tuple[weakref.ref[Directory], MatchIndex]] = {}  # noqa: RUF012
    _cache_lock = threading.Lock()

    @classmethod
    def of(cls, directory: Directory, *, like: MatchIndex | None = None) -> MatchIndex:
        """The index of ``directory``, built on first use and kept while it lives.

        ``like``: an index of another directory holding many of the same service
        and agency objects (the parts of one store, read through its cache of
        decoded records): what it worked out for those is taken over rather than
        worked out again.  The index is the same either way."""
        key = id(directory)
        with cls._cache_lock:
            found = cls._cache.get(key)
            if found is not None and found[0]() is directory:
                return found[1]
        index = cls(directory, like=like)
        with cls._cache_lock:
            cls._cache[key] = (weakref.ref(directory, lambda _: cls._cache.pop(key, None)), index)
        return index

    def check_flow(self, flow: Flow, directory: Directory) -> None:
        """Validate ``flow`` against this index's directory, once per flow object
        (the last :data:`CHECKED_FLOWS` are remembered)."""
        from saihan.referral.flows.run import check

        key = id(flow)
        with self._lock:
            if self._checked_flows.get(key) is flow:
                self._checked_flows.move_to_end(key)
                return
        check(flow, directory)
        with self._lock:
            self._checked_flows[key] = flow  # holding it keeps its id from being reused
            if len(self._checked_flows) > CHECKED_FLOWS:
                self._checked_flows.popitem(last=False)

    def _share(self, value: _T) -> _T:
        """One object for equal immutable values (sets of needs, channels, languages)."""
        return self._shared.setdefault(value, value)  # type: ignore[no-any-return]

    def _with_ancestors(self, codes: Iterable[str]) -> frozenset[str]:
        found: set[str] = set()
        for code in codes:
            found.add(code)
            found.update(self.taxonomy.ancestors(code))
        return frozenset(found)

    def candidates(self, need: str, place: str | None) -> tuple[str, ...]:
        """Ids of services serving ``need`` whose area may cover ``place``, sorted: the
        national and prefecture-wide ones (of every prefecture: one of another is a near
        miss, outside its area) and the municipal ones listing ``place``."""
        serving = self._serving(need)
        ids = [*serving.national, *(i for ids in serving.regional.values() for i in ids)]
        if place is not None:
            ids.extend(serving.local.get(place, ()))
        return tuple(sorted(ids))

    def groups(self, need: str, place: str | None, fields: tuple[str, ...]) -> Iterator[_Group]:
        """The candidates of :meth:`candidates` that are in ``place``'s prefecture (all of
        them when ``place`` is None), in groups a match treats alike (see :class:`_Group`;
        ``fields``: the service fields the rules' targets read); :meth:`outside` has the
        others.  Each part's groups are made on first use and kept: the national ones per
        need, the prefecture-wide ones per need and prefecture, the municipal ones per
        need and municipality."""
        yield from self._part(need, "n", "", fields)
        if place is None:
            for code in sorted(self._serving(need).regional):
                yield from self._part(need, "p", code, fields)
        else:
            yield from self._part(need, "p", place[:2], fields)
            yield from self._part(need, "m", place, fields)

    def _part(self, need: str, kind: str, code: str, fields: tuple[str, ...]) -> tuple[_Group, ...]:
        key = (need, kind, code, fields)
        cached = self._groups.get(key)
        if cached is not None:
            return cached
        serving = self._serving(need)
        if kind == "n":
            ids = serving.national
        elif kind == "p":
            ids = serving.regional.get(code, ())
        else:
            ids = serving.local.get(code, ())
        shape = self.shape(need)
        found: dict[tuple[Any, ...], list[str]] = {}
        firsts: dict[tuple[Any, ...], _Entry] = {}
        fits: dict[tuple[Any, ...], int] = {}
        for service_id in ids:  # in id order
            entry = self.entries[service_id]
            fit = _fit(entry.service.needs, shape)
            facts = entry.facts
            group_key = (entry.signature, fit, entry.area_points, *map(facts.get, fields))
            members = found.get(group_key)
            if members is None:
                found[group_key] = [service_id]
                firsts[group_key] = entry
                fits[group_key] = fit
            else:
                members.append(service_id)
        with self._lock:
            result = tuple(
                _Group(
                    entry=firsts[group_key],
                    ids=tuple(members),
                    fit=fits[group_key],
                    score=fits[group_key] + firsts[group_key].area_points,
                    values=(_is_local(firsts[group_key]), *group_key[3:]),
                )
                for group_key, members in found.items()
            )
            self._groups[key] = result
        return result

    def outside(
        self,
        need: str,
        place: str,
        excluding: list[tuple[CompiledRule, frozenset[str] | None]],
        union: frozenset[str] | None,
    ) -> _Outside:
        """The prefecture-wide candidates for ``need`` of the prefectures other than
        ``place``'s (near misses all, outside their area), grouped by what decides their
        verdict: their outside signature and, for the ``excluding`` rules (whose targets
        :meth:`union` gave as ``union``), which of them target it and the target fields'
        values.  Those a rule must evaluate one by one (``union`` None) are listed.  Kept
        per need, prefecture and ``union`` (by identity: it lives as long as the index)."""
        prefecture = place[:2]
        key = (need, prefecture, -1 if union is None else id(union))
        cached = self._outside.get(key)
        if cached is not None and cached[0] is union:
            return cached[1]
        groups: dict[tuple[Any, ...], tuple[_Entry, list[str]]] = {}
        one_by_one: list[_Entry] = []
        fields = [
            (compiled, ids, sorted(compiled.rule.target.fields()) if compiled.rule.target else [])
            for compiled, ids in excluding
        ]
        for code, ids in self._serving(need).regional.items():
            if code == prefecture:
                continue
            for service_id in ids:
                entry = self.entries[service_id]
                if union is None:
                    one_by_one.append(entry)
                    continue
                group_key: tuple[Any, ...] = (entry.outside_signature,)
                if service_id in union:
                    facts = entry.facts
                    group_key += tuple(
                        (number, *(facts.get(name) for name in names))
                        for number, (_, targets, names) in enumerate(fields)
                        if targets is not None and service_id in targets
                    )
                group = groups.get(group_key)
                if group is None:
                    groups[group_key] = (entry, [service_id])
                else:
                    group[1].append(service_id)
        rows = []
        for group_key, (entry, members) in groups.items():
            hit = tuple(excluding[item[0]][0] for item in group_key[1:])
            rows.append((entry, hit, len(members), tuple(sorted(members)[:NEAR_MISS_EXAMPLES])))
        result = _Outside(
            groups=tuple(rows),
            one_by_one=tuple(sorted(one_by_one, key=lambda entry: entry.service.id)),
        )
        with self._lock:
            self._outside[key] = (union, result)
        return result

    def outside_entries(self, need: str, place: str) -> list[_Entry]:
        """Every candidate :meth:`outside` groups, in id order."""
        prefecture = place[:2]
        ids = sorted(
            service_id
            for code, ids in self._serving(need).regional.items()
            if code != prefecture
            for service_id in ids
        )
        return [self.entries[service_id] for service_id in ids]

    def shape(self, need: str) -> _NeedShape:
        """Where ``need`` sits in the tree: its sub-needs, siblings and broader needs."""
        cached = self._shapes.get(need)
        if cached is not None:
            return cached
        shape = _NeedShape.of(self.taxonomy, need)
        with self._lock:
            self._shapes[need] = shape
        return shape

    def union(
        self, rules: list[tuple[CompiledRule, frozenset[str] | None]]
    ) -> frozenset[str] | None:
        """Every id the rules target; None when one of them must be evaluated per service."""
        if any(ids is None for _, ids in rules):
            return None
        key = tuple(id(compiled) for compiled, _ in rules)
        cached = self._unions.get(key)
        if cached is not None:  # the entry holds the rules, so their ids are not reused
            return cached[1]
        union = frozenset().union(*(ids for _, ids in rules if ids is not None))
        with self._lock:
            self._unions[key] = (tuple(rules), union)
        return union

    def targets(self, compiled: CompiledRule) -> frozenset[str] | None:
        """Ids of the services a rule's target selects; None when it reads ``service.local``.

        A target reads only service fields, so the answer holds for every case:
        it is worked out once per rule over the whole directory.
        """
        target = compiled.rule.target
        if target is None or "service.local" in target.fields():
            return None
        cached = self._targets.get(id(compiled))
        if cached is not None and cached[0] is compiled:
            return cached[1]
        fields = tuple(sorted(target.fields()))
        if "service.id" in fields:
            chosen = frozenset(
                service_id
                for service_id, entry in self.entries.items()
                if compiled.target({}, entry.facts)
            )
        else:  # once per distinct value of the fields it reads, not once per service
            chosen = frozenset(
                itertools.chain.from_iterable(
                    ids
                    for facts, ids in self._by_values(fields).values()
                    if compiled.target({}, facts)
                )
            )
        with self._lock:
            self._targets[id(compiled)] = (compiled, chosen)  # holds compiled: ids stay unique
        return chosen

    def _by_values(
        self, fields: tuple[str, ...]
    ) -> dict[tuple[Any, ...], tuple[dict[str, Any], list[str]]]:
        """The services by the values of ``fields``: the facts of the first, and every id
        (kept per fields: rule sets read a few service fields)."""
        cached = self._values.get(fields)
        if cached is not None:
            return cached
        found: dict[tuple[Any, ...], tuple[dict[str, Any], list[str]]] = {}
        for service_id, entry in self.entries.items():
            facts = entry.facts
            values = tuple(map(facts.get, fields))
            group = found.get(values)
            if group is None:
                found[values] = (facts, [service_id])
            else:
                group[1].append(service_id)
        with self._lock:
            self._values[fields] = found
        return found

    def _need_map(self) -> dict[str, list[str]]:
        """Need code -> ids of the services meeting it, in directory order: one pass over
        the directory, made on first use and kept."""
        found = self._by_need
        if found is not None:
            return found
        by_need: dict[str, list[str]] = {}
        for service_id, entry in self.entries.items():
            for code in entry.service.needs:
                by_need.setdefault(code, []).append(service_id)
        with self._lock:
            if self._by_need is None:
                self._by_need = by_need
            return self._by_need

    def _serving(self, need: str) -> _Serving:
        cached = self._candidates.get(need)
        if cached is not None:
            return cached
        # A service for the need, a sub-need, a sibling need or a broader need is a
        # candidate (with a lower fit the further it is).
        by_need = self._need_map()
        chosen: set[str] = set()
        for code in self.shape(need).related:
            chosen.update(by_need.get(code, ()))
        local: dict[str, list[str]] = {}
        national: list[str] = []
        regional: dict[str, list[str]] = {}
        for service_id in sorted(chosen):
            area = self.entries[service_id].service.area
            if area.kind is AreaKind.MUNICIPALITIES:
                for code in area.municipality_codes:
                    local.setdefault(code, []).append(service_id)
            elif area.kind is AreaKind.PREFECTURE:
                regional.setdefault(str(area.prefecture_code), []).append(service_id)
            else:
                national.append(service_id)
        result = _Serving(
            local={code: tuple(ids) for code, ids in local.items()},
            national=tuple(national),
            regional={code: tuple(ids) for code, ids in regional.items()},
        )
        with self._lock:
            self._candidates[need] = result
        return result


@attrs.frozen(eq=False)
class _Serving:
    """The services for one need (and related needs), by the kind of their area."""

    local: dict[str, tuple[str, ...]]  # municipal ones, by each municipality they list
    national: tuple[str, ...]
    regional: dict[str, tuple[str, ...]]  # prefecture-wide ones, by prefecture code


@attrs.frozen(eq=False)
class _Outside:
    """The near misses of other prefectures for one need: by signature, and one by one."""

    # One entry of each group, the exclude rules targeting it, how many, the first ids.
    groups: tuple[tuple[_Entry, tuple[CompiledRule, ...], int, tuple[str, ...]], ...]
    one_by_one: tuple[_Entry, ...]  # an exclude rule must be evaluated for each


@attrs.frozen
class _NeedShape:
    """A need's neighbourhood in the tree, as the fit reads it."""

    need: str
    leaf: bool
    narrower: frozenset[str]  # its sub-needs (not itself)
    siblings: frozenset[str]  # needs under its parent, with theirs, not its own
    broader: frozenset[str]  # its ancestors (not itself)
    related: frozenset[str]  # all of these and the need

    @classmethod
    def of(cls, taxonomy: NeedTaxonomy, need: str) -> _NeedShape:
        own = taxonomy.descendants(need)
        chain = taxonomy.ancestors(need)
        broader = frozenset(chain[1:])
        siblings: frozenset[str] = frozenset()
        if len(chain) > 1:
            siblings = taxonomy.descendants(chain[1]) - own - {chain[1]}
        return cls(
            need=need,
            leaf=own == {need},
            narrower=own - {need},
            siblings=siblings,
            broader=broader,
            related=own | siblings | broader,
        )


def _fit(needs: frozenset[str], shape: _NeedShape) -> int:
    """How well a service meeting ``needs`` fits the need (the best of what it meets)."""
    if shape.need in needs and (shape.leaf or needs.isdisjoint(shape.narrower)):
        return FIT_EXACT if shape.leaf else FIT_WHOLE_FIELD
    if not needs.isdisjoint(shape.narrower):
        return FIT_NARROWER
    if not needs.isdisjoint(shape.siblings):
        return FIT_SIBLING
    return FIT_BROADER


def _fit_codes(needs: frozenset[str], shape: _NeedShape, fit: int) -> frozenset[str]:
    """The service's codes that gave it its fit."""
    if fit in (FIT_EXACT, FIT_WHOLE_FIELD):
        return frozenset({shape.need})
    if fit == FIT_NARROWER:
        return needs & shape.narrower
    if fit == FIT_SIBLING:
        return needs & shape.siblings
    return needs & shape.broader


# -- the person on the day of the match ----------------------------------------------------

# Legal situations that say, without a date, which side of a release the person is on.
_INSIDE = frozenset({LegalSituation.IN_PRISON})
_INSIDE_STAGES = frozenset({JuvenileStage.IN_TRAINING_SCHOOL, JuvenileStage.CLASSIFICATION_HOME})
_RELEASED = frozenset(
    {
        LegalSituation.ON_PAROLE,
        LegalSituation.RELEASED_FROM_PRISON,
        LegalSituation.RELEASED_FROM_JUVENILE_TRAINING_SCHOOL,
    }
)


def release_of(subject: Subject, day: dt.date) -> tuple[ReleaseTiming | None, int | None]:
    """Which side of a release the person is on ``day``, and how many days from it.

    ``released_on`` (on or before the day): after, that many days since;
    ``expected_release_on``: before, that many days to go, until the day comes
    (from then on it counts as the release day).  Without dates: before for a
    person in prison (or in a training school or classification home), after for
    one on parole or released, with the days unknown; otherwise (None, None).
    """
    for released in (subject.released_on, subject.expected_release_on):
        if released is not None:
            if released <= day:
                return ReleaseTiming.AFTER_RELEASE, (day - released).days
            return ReleaseTiming.BEFORE_RELEASE, (released - day).days
    if subject.legal_situation in _INSIDE or subject.juvenile_stage in _INSIDE_STAGES:
        return ReleaseTiming.BEFORE_RELEASE, None
    if subject.legal_situation in _RELEASED:
        return ReleaseTiming.AFTER_RELEASE, None
    return None, None


def derived_attributes(case: ConsultationCase, day: dt.date) -> frozenset[PersonAttribute]:
    """The attributes worked out from the case on ``day`` that it does not list itself.

    ``elderly`` when every age the person can be is :data:`ELDERLY_AGE` or over;
    ``specified_juvenile`` (特定少年) when every age is 18 or 19 and the legal
    situation is ``juvenile_case``.
    """
    subject = case.subject
    bounds = subject.age_bounds(day, case.received_on)
    found: set[PersonAttribute] = set()
    if bounds is not None:
        if bounds[0] >= ELDERLY_AGE:
            found.add(PersonAttribute.ELDERLY)
        low, high = SPECIFIED_JUVENILE_AGES
        if (
            low <= bounds[0]
            and bounds[1] <= high
            and (subject.legal_situation is LegalSituation.JUVENILE_CASE)
        ):
            found.add(PersonAttribute.SPECIFIED_JUVENILE)
    return frozenset(found - subject.attributes)


def place_of(case: ConsultationCase) -> tuple[str | None, str | None]:
    """The municipality services must cover, and the case field it comes from: the
    residence, else the preferred municipality, else the handling municipality."""
    subject = case.subject
    for field, code in (
        ("case.residence", subject.residence),
        ("case.preferred_municipality", subject.preferred_municipality),
        ("case.municipality", case.municipality),
    ):
        if code is not None:
            return code, field
    return None, None


@attrs.frozen(eq=False)
class _Person:
    """What a match reads of the person on its day, worked out once."""

    day: dt.date
    bounds: tuple[int, int] | None
    attributes: frozenset[PersonAttribute]  # listed and derived
    derived: frozenset[PersonAttribute]
    suspected: frozenset[PersonAttribute]
    release: tuple[ReleaseTiming | None, int | None]

    @classmethod
    def of(cls, case: ConsultationCase, day: dt.date) -> _Person:
        derived = derived_attributes(case, day)
        return cls(
            day=day,
            bounds=case.subject.age_bounds(day, case.received_on),
            attributes=case.subject.attributes | derived,
            derived=derived,
            suspected=case.subject.suspected_attributes - case.subject.attributes - derived,
            release=release_of(case.subject, day),
        )


# -- case facts ------------------------------------------------------------------------


def _case_facts(
    case: ConsultationCase,
    needs: Iterable[str],
    urgent: Iterable[str],
    at: dt.datetime,
    index: MatchIndex | Callable[[Iterable[str]], frozenset[str]],
    person: _Person | None = None,
) -> dict[str, Any]:
    """What rules (and flows) read of a case on the person's day of ``at``; ``index``
    (or a function in its place, for a flow run without a directory) adds each need's
    broader needs.  ``case.attributes`` holds the derived attributes too."""
    ancestors = index._with_ancestors if isinstance(index, MatchIndex) else index
    subject = case.subject
    received = case.received_on
    if person is None:
        person = _Person.of(case, case.local_day(at))
    today = person.day

    def age(on: dt.date | None) -> tuple[int, int] | None:
        return subject.age_bounds(on or today, received)

    timing, days = person.release
    return {
        "case.consulter": case.consulter.value,
        "case.received_via": case.received_via.value,
        "case.legal_situation": subject.legal_situation.value,
        "case.juvenile_stage": None
        if subject.juvenile_stage is None
        else subject.juvenile_stage.value,
        "case.attributes": frozenset(a.value for a in person.attributes),
        "case.suspected_attributes": frozenset(a.value for a in person.suspected),
        "case.residence": subject.residence,
        "case.preferred_municipality": subject.preferred_municipality,
        "case.municipality": case.municipality,
        "case.needs": ancestors(needs),
        "case.urgent_needs": ancestors(urgent),
        "case.preferred_channels": frozenset(c.value for c in case.preferred_channels),
        "case.languages": frozenset(case.languages),
        "case.days_since_release": days if timing is ReleaseTiming.AFTER_RELEASE else None,
        "case.days_until_release": days if timing is ReleaseTiming.BEFORE_RELEASE else None,
        "age": age,
    }


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, frozenset):
        return ", ".join(sorted(value)) or "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _facts_used(
    fields: Iterable[str], case: Facts, service: Facts | None, on: dt.date
) -> tuple[Fact, ...]:
    found = []
    for name in sorted(fields):
        if name == "age":
            bounds = case["age"](on)
            shown = (
                "unknown"
                if bounds is None
                else (str(bounds[0]) if bounds[0] == bounds[1] else f"{bounds[0]}-{bounds[1]}")
            )
            found.append(Fact("age", shown))
        elif name.startswith("case."):
            found.append(Fact(name, _show(case[name])))
        elif service is not None:
            found.append(Fact(name, _show(service[name])))
    return tuple(found)


def _text(ja: str, en: str) -> LocalizedText:
    return LocalizedText(ja=ja, en=en)


# -- eligibility -----------------------------------------------------------------------

# Texts and reasons that never change are made once (they are immutable, and equal
# to what making them again would give).
_NOT_ACCEPTING = Reason(
    "not_accepting_referrals", _text("現在、紹介を受け付けていない", "not taking referrals now")
)
_RELEASE_UNKNOWN = Reason(
    "release_unknown",
    _text(
        "出所（出院）の時期が不明（時期の条件あり）",
        "release unknown; the service is limited by the time of release",
    ),
)
_AGE_UNKNOWN = Reason(
    "age_unknown", _text("年齢が不明（年齢制限あり）", "age unknown; the service has an age limit")
)


@attrs.frozen
class _CaseReasons:
    """The exclusion reasons that depend only on the case, made once per match."""

    outside_area: Reason | None
    audience: Reason
    legal_situation: Reason
    required_attributes: Reason
    excluded_attributes: Reason
    channel: Reason
    language: Reason
    languages: frozenset[str]

    @classmethod
    def of(
        cls, case: ConsultationCase, place: str | None, place_field: str | None, person: _Person
    ) -> _CaseReasons:
        subject = case.subject
        attributes = Fact("case.attributes", _show(frozenset(a.value for a in person.attributes)))
        required: tuple[Fact, ...] = (attributes,)
        required_text = _text("対象となる属性に当たらない", "does not have the attributes required")
        if person.suspected:
            suspected = _show(frozenset(a.value for a in person.suspected))
            required = (attributes, Fact("case.suspected_attributes", suspected))
            field = "case.suspected_attributes"
            ja = "・".join(words.values(field, suspected, "ja"))
            en = ", ".join(words.values(field, suspected, "en"))
            required_text = _text(
                f"対象となる属性に当たらない（{ja}の疑いは条件を満たさない）",
                f"does not have the attributes required (a suspicion of {en} does not meet them)",
            )
        return cls(
            outside_area=None
            if place is None
            else Reason(
                "outside_area",
                _text("対象地域外", "outside its area"),
                facts=(Fact(place_field or "case.residence", place),),
            ),
            audience=Reason(
                "audience",
                _text("相談者の立場が対象外", "does not take consultations from this consulter"),
                facts=(Fact("case.consulter", case.consulter.value),),
            ),
            legal_situation=Reason(
                "legal_situation",
                _text("法的な状況が対象外", "legal situation not served"),
                facts=(Fact("case.legal_situation", subject.legal_situation.value),),
            ),
            required_attributes=Reason("attributes", required_text, facts=required),
            excluded_attributes=Reason(
                "attributes",
                _text("対象外の属性に当たる", "has an attribute the service excludes"),
                facts=(attributes,),
            ),
            channel=Reason(
                "channel",
                _text("本人が使える連絡手段がない", "no channel the person can use"),
                facts=(
                    Fact(
                        "case.preferred_channels",
                        _show(frozenset(c.value for c in case.preferred_channels)),
                    ),
                ),
            ),
            language=Reason(
                "language",
                _text("対応言語が合わない", "no language in common"),
                facts=(Fact("case.languages", _show(frozenset(case.languages))),),
            ),
            languages=frozenset(case.languages),
        )


# Eligibility is checked part by part; each part depends on a few service fields (its
# key) and on the case.  The index keeps each service's parts; a match caches the verdict
# per part and per whole signature, since many services share them.
Part = tuple[str, Any]


def _parts(service: Service, channels: frozenset[Channel]) -> tuple[Part, ...]:
    """The service's side of every eligibility check, in the order reasons are given."""
    rules = service.eligibility
    parts: list[Part | None] = [
        None if service.accepting_referrals else ("accepting", False),
        # National services cover everyone; municipal ones are candidates only at home.
        None
        if service.area.kind is AreaKind.NATIONAL
        else ("area", (service.area.kind, service.area.prefecture_code)),
        ("audience", service.audiences),
        None
        if rules.min_age is None and rules.max_age is None
        else ("age", (rules.min_age, rules.max_age)),
        ("release", (rules.release_timing, rules.within_days_of_release))
        if rules.limits_release
        else None,
        ("legal", rules.legal_situations) if rules.legal_situations else None,
        ("required", (rules.required_attributes, rules.any_required_attribute))
        if rules.required_attributes
        else None,
        ("excluded", rules.excluded_attributes) if rules.excluded_attributes else None,
        ("channel", channels),
        ("language", frozenset(service.languages)),
    ]
    # A part that no case can fail is left out: checking it would only cost time.
    return tuple(part for part in parts if part is not None)


def _elsewhere(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    """``parts`` with a prefecture-wide area's prefecture left out."""
    return tuple(
        ("area", (AreaKind.PREFECTURE, None))
        if kind == "area" and key[0] is AreaKind.PREFECTURE
        else (kind, key)
        for kind, key in parts
    )


def _part_reason(part: Part, context: _Context) -> Reason | None:
    """Why the case fails one part of a service's eligibility, or None if it passes."""
    kind, key = part
    case, place, prepared = context.case, context.place, context.prepared
    if kind == "accepting":
        return None if key else _NOT_ACCEPTING
    if kind == "area":
        # Without a place, prefecture-wide services apply (municipal ones are no
        # candidates then): a Tokyo desk takes calls from anyone in Tokyo.
        area_kind, prefecture = key
        if area_kind is AreaKind.PREFECTURE and place is not None and place[:2] != prefecture:
            return prepared.outside_area
        return None
    if kind == "audience":
        return None if case.consulter in key else prepared.audience
    if kind == "age":
        return _age_reason(key, context.bounds)
    if kind == "release":
        return _release_reason(key, context.person.release)
    if kind == "legal":
        return None if not key or case.subject.legal_situation in key else prepared.legal_situation
    attributes = context.person.attributes  # listed and derived; never suspected
    if kind == "required":
        required, any_one = key
        if not required:
            return None
        fits = (not required.isdisjoint(attributes)) if any_one else required <= attributes
        return None if fits else prepared.required_attributes
    if kind == "excluded":
        return None if key.isdisjoint(attributes) else prepared.excluded_attributes
    if kind == "channel":
        if case.preferred_channels and key.isdisjoint(case.preferred_channels):
            return prepared.channel
        return None
    return None if not key.isdisjoint(prepared.languages) else prepared.language


def _age_reason(
    limits: tuple[int | None, int | None], bounds: tuple[int, int] | None
) -> Reason | None:
    low, high = limits
    if low is None and high is None:
        return None
    if bounds is None:
        return _AGE_UNKNOWN
    if all((low is None or age >= low) and (high is None or age <= high) for age in bounds):
        return None
    shown = str(bounds[0]) if bounds[0] == bounds[1] else f"{bounds[0]}-{bounds[1]}"
    span = f"{'' if low is None else low}-{'' if high is None else high}"
    if low is not None and high is not None:
        ja = f"{low}～{high}歳"
    else:
        ja = f"{low}歳以上" if low is not None else f"{high}歳以下"
    return Reason(
        "age",
        _text(f"年齢が対象外（対象 {ja}）", f"age outside {span}"),
        facts=(Fact("age", shown),),
    )


def _release_text(release: tuple[ReleaseTiming | None, int | None]) -> tuple[str, str]:
    timing, days = release
    if timing is ReleaseTiming.BEFORE_RELEASE:
        if days is None:
            return ("出所（出院）前、時期は不明", "before release, day unknown")
        return (f"出所（出院）まで{days}日", f"before release, {days} days to go")
    if timing is ReleaseTiming.AFTER_RELEASE:
        if days is None:
            return ("出所（出院）後、時期は不明", "after release, day unknown")
        return (f"出所（出院）から{days}日", f"released {days} days ago")
    return ("出所（出院）に当たらない", "no release known")


def _release_fact(release: tuple[ReleaseTiming | None, int | None]) -> Fact:
    return Fact("release", _release_text(release)[1])


def _release_reason(
    limits: tuple[ReleaseTiming | None, int | None],
    release: tuple[ReleaseTiming | None, int | None],
) -> Reason | None:
    wanted, within = limits
    timing, days = release
    if timing is None or (within is not None and days is None):
        return _RELEASE_UNKNOWN
    if (wanted is None or timing is wanted) and (within is None or (days or 0) <= within):
        return None
    side_ja = {None: "前後", ReleaseTiming.BEFORE_RELEASE: "前", ReleaseTiming.AFTER_RELEASE: "後"}
    side_en = {
        None: "of",
        ReleaseTiming.BEFORE_RELEASE: "before",
        ReleaseTiming.AFTER_RELEASE: "after",
    }
    if within is None:
        span = (f"出所（出院）{side_ja[wanted]}の人が対象", f"only {side_en[wanted]} release")
    else:
        span = (
            f"出所（出院）{side_ja[wanted]}{within}日以内の人が対象",
            f"only within {within} days {side_en[wanted]} release",
        )
    return Reason("release_timing", _text(*span), facts=(_release_fact(release),))


def _eligibility_reasons(entry: _Entry, context: _Context) -> tuple[Reason, ...]:
    """Why the case cannot use this service; empty when it can."""
    return tuple(
        reason for part in entry.parts if (reason := _part_reason(part, context)) is not None
    )


class _Verdicts:
    """:func:`_eligibility_reasons`, remembered per part and per signature for one match."""

    def __init__(self, context: _Context, parts: tuple[Part, ...]) -> None:
        self.context = context
        self.by_signature: dict[int, tuple[Reason, ...]] = {}
        self.by_outside: dict[int, tuple[Reason, ...]] = {}  # by outside signature
        # Each part's reason, or None when the case passes it: a few dozen in all.
        self.by_part: list[Reason | None] = [_part_reason(part, context) for part in parts]
        self.joins: dict[tuple[int, ...], tuple[Reason, ...]] = {}
        self.rule_reasons: dict[tuple[int, int], Reason] = {}
        self.canonical: dict[tuple[int, ...], tuple[Reason, ...]] = {}
        # rules (by id) -> a group's values (see _Group) -> the exclude rules targeting
        # it; -> (values, id(failures)) -> the failures with those rules' reasons;
        # -> (values, fit) -> the other rules targeting it, not first, points, required
        self.decided: dict[
            tuple[int, ...],
            tuple[
                dict[tuple[Any, ...], tuple[CompiledRule, ...]],
                dict[tuple[Any, ...], tuple[Reason, ...]],
                dict[tuple[Any, ...], tuple[tuple[CompiledRule, ...], bool, int, bool]],
            ],
        ] = {}

    def joined(
        self, failures: tuple[Reason, ...], rules: list[tuple[CompiledRule, tuple[Fact, ...]]]
    ) -> tuple[Reason, ...]:
        """``failures`` and the exclusion reasons of ``rules`` (each with the facts it
        used), as one tuple per combination (so that near misses count by identity)."""
        key = (id(failures), *(i for c, used in rules for i in (id(c), id(used))))
        found = self.joins.get(key)
        if found is None:
            # The key's objects are kept alive (by the match's caches), so ids stay unique.
            made = []
            for compiled, used in rules:
                reason_key = (id(compiled), id(used))
                reason = self.rule_reasons.get(reason_key)
                if reason is None:
                    reason = self.rule_reasons[reason_key] = _rule_exclusion(compiled, used)
                made.append(reason)
            found = self.joins[key] = self._canonical((*failures, *made))
        return found

    def _canonical(self, reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
        """One tuple for the same reasons (each reason is made once per match)."""
        return self.canonical.setdefault(tuple(map(id, reasons)), reasons)

    def outside(self, entry: _Entry) -> tuple[Reason, ...]:
        """:meth:`of` a prefecture-wide service of another prefecture than the person's:
        those with equal parts but for their prefecture share it."""
        found = self.by_outside.get(entry.outside_signature)
        if found is None:
            found = self.by_outside[entry.outside_signature] = self.of(entry)
        return found

    def of(self, entry: _Entry) -> tuple[Reason, ...]:
        found = self.by_signature.get(entry.signature)
        if found is None:
            reasons = tuple(filter(None, map(self.by_part.__getitem__, entry.part_ids)))
            found = self.by_signature[entry.signature] = self._canonical(reasons)
        return found


# -- the plan --------------------------------------------------------------------------


@attrs.define
class _Scored:
    entry: _Entry
    fit: int
    local: bool
    hits: list[CompiledRule]  # the rules (not exclude) whose target it is, in rule order
    score: int
    first: bool = False
    required: bool = False


def _points(rule: Rule) -> int:
    if rule.effect is Effect.PREFER:
        return rule.weight
    if rule.effect is Effect.DEMOTE:
        return -rule.weight
    return 0


def _suspected_points(rule: Rule) -> int:
    """A prefer or demote rule that holds only through suspected attributes: half its
    weight, rounded down, at least 1."""
    full = _points(rule)
    half = max(1, abs(full) // 2)
    return half if full > 0 else -half


def _less_urgent(level: Urgency) -> Urgency:
    levels = list(Urgency)
    return levels[min(levels.index(level) + 1, len(levels) - 1)]


def _on_suspicion(text: LocalizedText, suspected: str) -> LocalizedText:
    field = "case.suspected_attributes"
    ja = "・".join(words.values(field, suspected, "ja"))
    en = ", ".join(words.values(field, suspected, "en"))
    return attrs.evolve(
        text,
        ja=f"{text.ja}（{ja}の疑いによる。重みは半分）",
        en=None if text.en is None else f"{text.en} (through suspected {en} only: half weight)",
    )


def _explain(
    item: _Scored, context: _Context, shape: _NeedShape, taxonomy: NeedTaxonomy
) -> tuple[Reason, ...]:
    """The reasons behind a kept recommendation: need fit, area, then each rule."""
    entry = item.entry
    service_facts = {**entry.facts, "service.local": item.local}
    codes = _fit_codes(entry.service.needs, shape, item.fit)
    reasons = [
        Reason(
            "need_fit",
            _fit_text(item.fit, codes, taxonomy),
            facts=(entry.needs_fact,),
            points=item.fit,
        ),
        _area_reason(entry.service, context.place, context.place_field),
    ]
    for compiled in item.hits:
        rule = compiled.rule
        used = context.rule_facts(compiled, service_facts)
        text = rule.description
        if id(compiled) in context.suspicion:
            used = (*used, context.suspected_fact)
            text = _on_suspicion(text, context.suspected_fact.value)
        reasons.append(
            Reason(rule.effect.value, text, compiled.id, used, context.weights[id(compiled)])
        )
    return tuple(reasons)


def _in_scope(rule_needs: frozenset[str], need: str, taxonomy: NeedTaxonomy) -> bool:
    if not rule_needs:
        return True
    return need in rule_needs or not rule_needs.isdisjoint(taxonomy.ancestors(need))


def _when_compiled(rule: CompiledRule, case: Facts) -> bool:
    return rule.when(case, {})


def _when_walked(rule: CompiledRule, case: Facts) -> bool:
    return evaluate(rule.rule.when, case, {})


def _check_arguments(
    case: Any,
    directory: Any,
    rules: Any,
    at: Any,
    per_need: Any,
    flow: Any = None,
    *,
    sources: bool = False,
    near_misses: Any = "summary",
) -> None:
    problems = []
    if near_misses not in NEAR_MISS_MODES:
        problems.append(
            ErrorItem("near_misses", f"expected 'summary' or 'all', got {near_misses!r}")
        )
    if flow is not None:
        from saihan.referral.flows.model import Flow

        if not isinstance(flow, Flow):
            problems.append(ErrorItem("flow", f"expected a Flow, got {type(flow).__name__}"))
    if not isinstance(case, ConsultationCase):
        problems.append(
            ErrorItem("case", f"expected a ConsultationCase, got {type(case).__name__}")
        )
    if not isinstance(directory, Directory) and not (
        sources and isinstance(directory, DirectorySource)
    ):
        wanted = "a Directory or a store" if sources else "a Directory"
        problems.append(
            ErrorItem("directory", f"expected {wanted}, got {type(directory).__name__}")
        )
    if rules is not None and not isinstance(rules, RuleSet):
        problems.append(ErrorItem("rules", f"expected a RuleSet, got {type(rules).__name__}"))
    if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
        problems.append(ErrorItem("at", "expected a datetime with its UTC offset"))
    if per_need is not None and (
        isinstance(per_need, bool) or not isinstance(per_need, int) or per_need < 1
    ):
        problems.append(ErrorItem("per_need", "expected a whole number of at least 1, or None"))
    if problems:
        raise ValidationError(problems)


def match(
    case: ConsultationCase,
    directory: Directory | DirectorySource,
    rules: RuleSet | None = None,
    at: dt.datetime | None = None,
    *,
    per_need: int | None = DEFAULT_PER_NEED,
    flow: Flow | None = None,
    near_misses: NearMissMode = "summary",
) -> ReferralPlan:
    """Propose services for each of the case's needs, ranked, with reasons.

    ``rules`` defaults to :func:`default_rules`; ``at`` (when the plan is for:
    which rules apply, whose consent holds, what is open next) defaults to
    when the case was received.  ``per_need`` caps the recommendations per
    need (``None``: all); services a rule requires are kept past the cap.
    Results are deterministic: ties are broken by service id.

    ``flow`` (a :class:`~saihan.referral.flows.Flow`) is run on the case
    first: the needs it adds are added (as ``add_need`` rules add them), its
    ``connect`` actions prefer an agency kind or put a service first, with
    reasons naming ``flow:<flow>/<node>``, and ``plan.flow`` shows its path.

    ``directory`` may also be a store (a :class:`DirectorySource`, such as
    :class:`saihan.storage.Store`): then only the services the plan can use are
    read from it (:meth:`~saihan.storage.Store.load_directory_for`: those whose
    area may cover the person's municipality and that meet a need related to one
    of :func:`match_needs`, and the services the flow names), through the
    backend's indexes; the plan is the one matching the whole stored directory gives.

    Near misses (candidates left out, and why) are summarised in
    ``plan.near_misses``: per need, how many services failed for the same
    reasons, and the first few of them.  ``near_misses="all"`` also lists each
    one in ``plan.excluded`` (thousands, on a national directory).
    """
    _check_arguments(
        case, directory, rules, at, per_need, flow, sources=True, near_misses=near_misses
    )
    if not isinstance(directory, Directory):
        directory = directory.load_directory_for(
            place_of(case)[0], match_needs(case, rules, flow), services=match_services(flow)
        )
    return _plan(
        case,
        directory,
        rules or default_rules(),
        at or case.received_at,
        per_need,
        fast=True,
        flow=flow,
        near_misses=near_misses,
    )


def reference_match(
    case: ConsultationCase,
    directory: Directory,
    rules: RuleSet | None = None,
    at: dt.datetime | None = None,
    *,
    per_need: int | None = DEFAULT_PER_NEED,
    flow: Flow | None = None,
    index: MatchIndex | None = None,
    near_misses: NearMissMode = "summary",
) -> ReferralPlan:
    """:func:`match` the slow way: every service against every rule, trees walked.

    Gives the same plan as :func:`match`; kept as the benchmark's yardstick
    and the tests' reference.  Each call works out every service's facts
    afresh, unless ``index`` (a :class:`MatchIndex` of this very directory) is
    given to keep them: the benchmark's fact-keeping reference.
    """
    _check_arguments(case, directory, rules, at, per_need, flow, near_misses=near_misses)
    if index is not None and index.directory is not directory:
        raise ValidationError("index is not a MatchIndex of this directory", path="index")
    return _plan(
        case,
        directory,
        rules or default_rules(),
        at or case.received_at,
        per_need,
        fast=False,
        flow=flow,
        index=index,
        near_misses=near_misses,
    )


class _Changes:
    """What each rule changed, gathered while a plan is made."""

    def __init__(self) -> None:
        self.added: list[RuleChange] = []  # add_need rules and flow actions, as they apply
        # rule -> ({needs}, [service ids, in runs]): what it touched
        self.touched: dict[int, tuple[set[str], list[Iterable[str]]]] = {}

    def add_need(self, label: str, need: str, *, on_suspicion: bool = False) -> None:
        self.added.append(
            RuleChange(
                label,
                Effect.ADD_NEED.value,
                added_need=need,
                needs=(need,),
                on_suspicion=on_suspicion,
            )
        )

    def touch(self, compiled: CompiledRule, need: str, service_id: str) -> None:
        self.touch_many(compiled, need, (service_id,))

    def touch_many(self, compiled: CompiledRule, need: str, service_ids: Iterable[str]) -> None:
        found = self.touched.get(id(compiled))
        if found is None:
            found = self.touched[id(compiled)] = (set(), [])
        found[0].add(need)
        found[1].append(service_ids)

    def result(
        self,
        fired: list[CompiledRule],
        missing: Mapping[str, tuple[str, ...]],
        suspicion: frozenset[int],
        order: list[str],
    ) -> tuple[tuple[str, ...], tuple[RuleChange, ...]]:
        place = {need: position for position, need in enumerate(order)}
        found = list(self.added)
        for compiled in fired:
            touched_needs, runs = self.touched.get(id(compiled), (set(), []))
            lacking = missing.get(compiled.id, ()) if compiled.label is None else ()
            if not touched_needs and not lacking:
                continue
            needs = touched_needs | set(lacking)
            found.append(
                RuleChange(
                    compiled.id,
                    compiled.rule.effect.value,
                    needs=tuple(sorted(needs, key=lambda code: place.get(code, len(place)))),
                    services=tuple(sorted(set(itertools.chain.from_iterable(runs)))),
                    on_suspicion=id(compiled) in suspicion,
                )
            )
        unique = {change.rule_id: change for change in reversed(found)}
        kept = tuple(change for change in found if unique[change.rule_id] is change)
        return tuple(change.rule_id for change in kept), kept


def _with_suspected(facts: Facts, person: _Person) -> dict[str, Any]:
    """The case's facts with the suspected attributes counted as attributes."""
    return {
        **facts,
        "case.attributes": facts["case.attributes"] | {a.value for a in person.suspected},
    }


def _derived_reasons(person: _Person) -> tuple[Reason, ...]:
    """The derived facts a plan shows: attributes worked out, the release, suspicions."""
    reasons = []
    age = _facts_used(["age"], {"age": lambda on: person.bounds}, None, person.day)
    if PersonAttribute.ELDERLY in person.derived:
        reasons.append(
            Reason(
                "derived",
                _text(
                    f"{ELDERLY_AGE}歳以上のため高齢者とする",
                    f"elderly: the age is {ELDERLY_AGE} or over",
                ),
                facts=(*age, Fact("case.attributes", "elderly")),
            )
        )
    if PersonAttribute.SPECIFIED_JUVENILE in person.derived:
        reasons.append(
            Reason(
                "derived",
                _text(
                    "18・19歳の少年事件のため特定少年とする",
                    "specified juvenile (特定少年): 18 or 19, in a juvenile case",
                ),
                facts=(
                    *age,
                    Fact("case.legal_situation", LegalSituation.JUVENILE_CASE.value),
                    Fact("case.attributes", "specified_juvenile"),
                ),
            )
        )
    if person.release[0] is not None:
        ja, en = _release_text(person.release)
        reasons.append(Reason("release", _text(ja, en), facts=(_release_fact(person.release),)))
    if person.suspected:
        shown = _show(frozenset(a.value for a in person.suspected))
        ja = "・".join(words.values("case.suspected_attributes", shown, "ja"))
        en = ", ".join(words.values("case.suspected_attributes", shown, "en"))
        reasons.append(
            Reason(
                "suspected",
                _text(
                    f"疑い（未診断・未認定）: {ja}。規則の判定には低い重みで数える"
                    "（優先・後回しは重み半分、追加するニーズは緊急度を一段下げる。"
                    "最初に・必須・除外の規則は適用しない）。支援の対象属性の条件は満たさない",
                    f"suspected, not diagnosed or certified: {en}. Counted by rules at a "
                    "lower weight (prefer and demote at half weight, an added need one step "
                    "less urgent; first, require and exclude rules do not apply on suspicion); "
                    "never meets a service's required attributes, never rules one out",
                ),
                facts=(Fact("case.suspected_attributes", shown),),
            )
        )
    return tuple(reasons)


def _plan(
    case: ConsultationCase,
    directory: Directory,
    rules: RuleSet,
    at: dt.datetime,
    per_need: int | None,
    *,
    fast: bool,
    flow: Flow | None = None,
    index: MatchIndex | None = None,
    near_misses: str = "summary",
) -> ReferralPlan:
    if index is None:
        index = MatchIndex.of(directory) if fast else MatchIndex(directory)
    taxonomy = index.taxonomy
    extended_needs = {need.code for need in directory.needs}
    extended_kinds = {kind.code for kind in directory.agency_kinds}
    if extended_needs or extended_kinds:
        rules.check_codes(needs=(n.code for n in taxonomy), kinds=directory.kinds)
    unknown = [
        ErrorItem(f"needs[{i}].code", f"unknown need {need.code!r}")
        for i, need in enumerate(case.needs)
        if need.code not in taxonomy
    ]
    if unknown:
        raise ValidationError(unknown)
    when_holds = _when_compiled if fast else _when_walked
    # The person's day: every date test below (ages, the release, which rules are in
    # force, consent) reads it, so the moment's UTC offset changes nothing.
    today = case.local_day(at)
    person = _Person.of(case, today)
    active = [compiled for compiled in rules.compiled if compiled.rule.applies_on(today)]
    suspected_fact = Fact(
        "case.suspected_attributes", _show(frozenset(a.value for a in person.suspected))
    )

    def holds(compiled: CompiledRule, facts: Facts) -> bool | None:
        """True when the rule's case side holds, None when it holds only if the
        suspected attributes are counted, False otherwise."""
        if when_holds(compiled, facts):
            return True
        if person.suspected and when_holds(compiled, _with_suspected(facts, person)):
            return None
        return False

    # 1. Needs: those raised, then those add_need rules imply, in rule order.
    urgency = {need.code: need.urgency for need in case.needs}
    added: dict[str, tuple[str, tuple[Fact, ...]]] = {}
    changes = _Changes()

    def facts_now() -> dict[str, Any]:
        """The case's facts with the needs (and urgencies) added so far."""
        urgent = [code for code, level in urgency.items() if level is Urgency.URGENT]
        return _case_facts(case, urgency, urgent, at, index, person)

    facts = facts_now()
    # A support flow runs first, on the needs as raised: the worker follows the
    # flowchart, then the rules see what it added.  Only paid for when one is given.
    trace: FlowRun | None = None
    flow_rules: list[CompiledRule] = []
    if flow is not None:
        if fast:
            index.check_flow(flow, directory)
        else:
            check_flow(flow, directory)
        trace, flow_rules = _follow(flow, facts, urgency, added, changes, today, fast)
        facts = facts_now()
    for compiled in active:
        rule = compiled.rule
        if rule.effect is not Effect.ADD_NEED or rule.need is None:
            continue
        verdict = holds(compiled, facts)
        if verdict is False or rule.need in urgency:
            continue  # a need already there is not changed
        if rule.need not in taxonomy:
            raise ValidationError(f"rule {rule.id!r} adds unknown need {rule.need!r}", path="need")
        used = _facts_used(rule.when.fields(), facts, None, today)
        if verdict is None:
            urgency[rule.need] = _less_urgent(rule.urgency)
            used = (*used, suspected_fact)
        else:
            urgency[rule.need] = rule.urgency
        added[rule.need] = (rule.id, used)
        changes.add_need(rule.id, rule.need, on_suspicion=verdict is None)
        facts = facts_now()

    # 2. The case side of every service rule, once.  On suspicion only prefer and demote
    # apply (at half weight); first, require and exclude need what is known.
    fired: list[CompiledRule] = []
    suspicion: set[int] = set()
    for compiled in active:
        if not compiled.rule.effect.targets_services:
            continue
        verdict = holds(compiled, facts)
        if verdict is True:
            fired.append(compiled)
        elif verdict is None and compiled.rule.effect in (Effect.PREFER, Effect.DEMOTE):
            fired.append(compiled)
            suspicion.add(id(compiled))
    fired += flow_rules  # the flow decided them: they always fire, after the rule set's
    weights = {
        id(c): _suspected_points(c.rule) if id(c) in suspicion else _points(c.rule) for c in fired
    }
    place, place_field = place_of(case)
    prepared = _CaseReasons.of(case, place, place_field, person)

    need_plans: list[NeedPlan] = []
    excluded: list[Exclusion] = []
    summary: list[NearMisses] = []
    # A require rule is met when an eligible service it targets serves any need in its scope.
    met_required: set[str | None] = set()
    required_needs: dict[str, list[str]] = {}
    unmet: list[str] = []
    order = sorted(urgency, key=lambda code: (urgency[code].order, code))
    # Rule facts by what they read, made once per match.
    explained: dict[tuple[int, tuple[Any, ...]], tuple[Fact, ...]] = {}

    def rule_facts(compiled: CompiledRule, service_facts: Facts) -> tuple[Fact, ...]:
        rule = compiled.rule
        target_fields = rule.target.fields() if rule.target else frozenset()
        key = (id(compiled), tuple(service_facts.get(name) for name in sorted(target_fields)))
        found = explained.get(key)
        if found is None:
            found = _facts_used(rule.when.fields() | target_fields, facts, service_facts, today)
            explained[key] = found
        return found

    context = _Context(
        case,
        facts,
        person.bounds,
        place,
        place_field,
        prepared,
        rule_facts,
        person,
        weights,
        frozenset(suspicion),
        suspected_fact,
        changes,
    )
    verdicts = _Verdicts(context, index.parts)
    for need in order:
        # The fired rules that concern this need, in rule order.
        in_scope = [c for c in fired if _in_scope(c.rule.for_needs, need, taxonomy)]
        if fast:
            ranked, passed, listed, counted = _rank_fast(
                context, index, need, in_scope, verdicts, near_misses == "all", per_need
            )
            summary.extend(counted)
        else:
            ranked, listed = _rank_reference(context, index, need, in_scope)
            passed = len(ranked)
            summary.extend(summarise_near_misses(listed))
        if near_misses == "all":
            excluded.extend(listed)
        for row in ranked:
            if row[6]:
                met_required.update(c.rule.id for c in row[5] if c.rule.effect is Effect.REQUIRE)
        for compiled in in_scope:
            if compiled.rule.effect is Effect.REQUIRE:
                required_needs.setdefault(compiled.rule.id, []).append(need)
        ranked.sort()
        kept = [
            _Scored(entry, fit, _is_local(entry), list(hits), -negative, not later, required)
            for position, (later, negative, _, entry, fit, hits, required) in enumerate(ranked)
            if per_need is None or position < per_need or required
        ]
        # Rank first, explain after: reasons are built only for what the plan shows.
        shape = index.shape(need)
        recommendations = tuple(
            _recommend(
                case,
                item,
                _explain(item, context, shape, index.taxonomy),
                urgency,
                index,
                at,
                today,
            )
            for item in kept
        )
        if not recommendations:
            unmet.append(need)
        added_by, because = added.get(need, (None, ()))
        need_plans.append(
            NeedPlan(
                need=need,
                label=taxonomy.get(need).label,
                urgency=urgency[need],
                recommendations=recommendations,
                added_by=added_by,
                added_because=because,
                more=passed - len(kept),
            )
        )
    missing = tuple(
        MissingRequirement(rule.id, tuple(required_needs[rule.id]), rule.description)
        for rule in (compiled.rule for compiled in fired)
        if rule.id in required_needs and rule.id not in met_required
    )
    applied, rule_changes = changes.result(
        fired, {item.rule_id: item.needs for item in missing}, frozenset(suspicion), order
    )
    return ReferralPlan(
        trace_version=TRACE_VERSION,
        case_id=case.id,
        at=at,
        rules_id=rules.id,
        rules_version=rules.version,
        applied_rules=applied,
        needs=tuple(need_plans),
        unmet_needs=tuple(unmet),
        excluded=tuple(excluded),
        missing=missing,
        directory=directory.meta.name.ja,
        flow=trace,
        changes=rule_changes,
        derived=_derived_reasons(person),
        near_misses=tuple(summary),
    )


def check_flow(flow: Flow, directory: Directory) -> None:
    """Raise ValidationError unless ``flow`` validates against ``directory``."""
    from saihan.referral.flows.run import check

    check(flow, directory)


def _follow(
    flow: Flow,
    facts: Facts,
    urgency: dict[str, Urgency],
    added: dict[str, tuple[str, tuple[Fact, ...]]],
    changes: _Changes,
    today: dt.date,
    fast: bool,
) -> tuple[FlowRun, list[CompiledRule]]:
    """Run the flow on the case's facts; add the needs it adds (as add_need rules do:
    a need already raised keeps its urgency); return the trace and its connect rules."""
    from saihan.referral.flows.model import flow_rule_id
    from saihan.referral.flows.run import connect_rules, fields_read, walk

    trace = walk(flow, facts, compiled=fast)
    for taken in trace.actions:
        code = taken.action.add_need
        if code is None:
            continue
        label = flow_rule_id(flow.id, taken.node)
        if code in urgency:
            continue
        urgency[code] = taken.action.urgency or Urgency.NORMAL
        used = fields_read(flow, trace, until=taken.node)
        added[code] = (label, _facts_used(used, facts, None, today))
        changes.add_need(label, code)
    return trace, connect_rules(flow, trace)


@attrs.frozen(eq=False)
class _Context:
    """What every need of one match shares."""

    case: ConsultationCase
    facts: Facts
    bounds: tuple[int, int] | None
    place: str | None
    place_field: str | None
    prepared: _CaseReasons
    rule_facts: Callable[[CompiledRule, Facts], tuple[Fact, ...]]
    person: _Person
    weights: dict[int, int]  # points of each fired rule (half on suspicion)
    suspicion: frozenset[int]  # ids of the fired rules that hold only on suspicion
    suspected_fact: Fact
    changes: _Changes


# What a match makes of a group of candidates: (failures, the exclude rules that left it
# out though eligible, the other rules that target it, not first, -score, required).
_Decision = tuple[
    tuple[Reason, ...], tuple[CompiledRule, ...], tuple[CompiledRule, ...], bool, int, bool
]

# A candidate that passed, as a tuple that sorts into plan order: (not first, -score,
# service id, entry, fit, hits, required).  Ids are unique, so entries are never compared.
Ranked = tuple[bool, int, str, _Entry, int, tuple[CompiledRule, ...], bool]


_NOT_FOR_SIBLINGS = frozenset({Effect.FIRST, Effect.REQUIRE})


def _ranked(
    entry: _Entry, fit: int, hits: tuple[CompiledRule, ...], context: _Context, need: str
) -> Ranked:
    if fit == FIT_SIBLING:
        # A sibling need is not the need: no rule puts it first or counts it as the
        # service a require rule asks for (prefer and demote still move it).
        hits = tuple(c for c in hits if c.rule.effect not in _NOT_FOR_SIBLINGS)
    weights = context.weights
    score = fit + entry.area_points + sum(weights[id(c)] for c in hits)
    first = any(c.rule.effect is Effect.FIRST for c in hits)
    required = any(c.rule.effect is Effect.REQUIRE for c in hits)
    for compiled in hits:
        context.changes.touch(compiled, need, entry.service.id)
    return (not first, -score, entry.service.id, entry, fit, hits, required)


def _rule_exclusion(compiled: CompiledRule, reasons: tuple[Fact, ...]) -> Reason:
    rule = compiled.rule
    return Reason("rule", rule.description, rule.id, reasons)


def _rank_reference(
    context: _Context, index: MatchIndex, need: str, in_scope: list[CompiledRule]
) -> tuple[list[Ranked], list[Exclusion]]:
    """Every service in the directory, every rule, trees walked: the yardstick."""
    shape = _NeedShape.of(index.taxonomy, need)
    ranked: list[Ranked] = []
    excluded: list[Exclusion] = []
    for service_id in sorted(index.entries):
        entry = index.entries[service_id]
        service = entry.service
        if service.needs.isdisjoint(shape.related) or not _may_cover(service, context.place):
            continue
        local = service.area.kind is AreaKind.MUNICIPALITIES
        failures = list(_eligibility_reasons(entry, context))
        eligible = not failures
        service_facts = {**entry.facts, "service.local": local}
        hits: list[CompiledRule] = []
        for compiled in in_scope:
            target = compiled.rule.target
            if target is not None and not evaluate(target, context.facts, service_facts):
                continue
            if compiled.rule.effect is Effect.EXCLUDE:
                used = context.rule_facts(compiled, service_facts)
                failures.append(_rule_exclusion(compiled, used))
                if eligible:
                    context.changes.touch(compiled, need, service_id)
            else:
                hits.append(compiled)
        if failures:
            excluded.append(Exclusion(service_id, need, tuple(failures)))
        else:
            ranked.append(_ranked(entry, _fit(service.needs, shape), tuple(hits), context, need))
    return ranked, excluded


class _Tally:
    """The near misses of one need, by verdict (a reasons tuple, by identity: each
    match makes one tuple per verdict), with the first few ids of each."""

    def __init__(self) -> None:
        self.groups: dict[int, list[Any]] = {}  # id(reasons) -> [reasons, count, ids]

    def add(self, reasons: tuple[Reason, ...], count: int, ids: Iterable[str]) -> None:
        group = self.groups.get(id(reasons))
        if group is None:
            self.groups[id(reasons)] = [reasons, count, list(ids)]
        else:
            group[1] += count
            group[2].extend(ids)

    def result(self, need: str) -> list[NearMisses]:
        """The groups as :func:`~saihan.referral.plan.summarise_near_misses` gives them:
        equal verdicts merged, the largest first (ties: by the first service id)."""
        merged: dict[tuple[Reason, ...], list[Any]] = {}
        for reasons, count, ids in self.groups.values():
            found = merged.get(reasons)
            if found is None:
                merged[reasons] = [count, list(ids)]
            else:
                found[0] += count
                found[1].extend(ids)
        rows = [(count, sorted(ids), reasons) for reasons, (count, ids) in merged.items()]
        rows.sort(key=lambda row: (-row[0], row[1][0]))
        return [
            NearMisses(need, reasons, count, tuple(ids[:NEAR_MISS_EXAMPLES]))
            for count, ids, reasons in rows
        ]


_NO_IDS: frozenset[str] = frozenset()


def _grouping(
    in_scope: list[CompiledRule], index: MatchIndex
) -> tuple[tuple[str, ...], frozenset[str], frozenset[int]]:
    """The service fields the rules' targets read, by which candidates are grouped
    (``service.local`` follows from the group's area); and for the rules that name
    services (a target reading ``service.id``), the services they target, taken one by
    one, and the rules (by id)."""
    fields: set[str] = set()
    pinned: list[frozenset[str]] = []
    naming: set[int] = set()
    for compiled in in_scope:
        target = compiled.rule.target
        if target is None:
            continue
        read = target.fields() - {"service.local"}
        if "service.id" in read:
            ids = index.targets(compiled)
            if ids is not None:  # else it reads service.local too: grouped by id
                pinned.append(ids)
                naming.add(id(compiled))
                continue
        fields.update(read)
    return tuple(sorted(fields)), frozenset().union(*pinned), frozenset(naming)


def _rank_fast(
    context: _Context,
    index: MatchIndex,
    need: str,
    in_scope: list[CompiledRule],
    verdicts: _Verdicts,
    every: bool,
    per_need: int | None,
) -> tuple[list[Ranked], int, list[Exclusion], list[NearMisses]]:
    """The same answer from the index: candidates by need and place in groups that get
    the same verdict, the same rules and the same score (see :meth:`MatchIndex.groups`),
    verdicts by signature, rule targets as precomputed sets of service ids.

    Returns the ranked candidates that may make the plan (of a group, only the first
    ``per_need`` by id can: the others are behind them; all of one a require rule keeps),
    how many passed in all, and the near misses, counted by verdict; ``every``: each one
    is listed as an :class:`Exclusion` too, in id order."""
    excluding = [(c, index.targets(c)) for c in in_scope if c.rule.effect is Effect.EXCLUDE]
    others = [(c, index.targets(c)) for c in in_scope if c.rule.effect is not Effect.EXCLUDE]
    fields, pinned, naming = _grouping(in_scope, index)
    # For a group standing for many, the rules naming services target none of them
    # (those they name are taken one by one).
    excluding_grouped = [item for item in excluding if id(item[0]) not in naming]
    others_grouped = [item for item in others if id(item[0]) not in naming]
    ranked: list[Ranked] = []
    excluded: list[Exclusion] = []
    tally = _Tally()
    passed = 0
    entries = index.entries
    changes = context.changes
    weights = context.weights
    by_signature = verdicts.by_signature

    def decide(
        entry: _Entry,
        fit: int,
        score: int,
        excluding: list[tuple[CompiledRule, frozenset[str] | None]],
        others: list[tuple[CompiledRule, frozenset[str] | None]],
    ) -> _Decision:
        """What the rules and eligibility make of ``entry`` (and of its group)."""
        failures = by_signature.get(entry.signature)
        if failures is None:
            failures = verdicts.of(entry)
        ruled_out: list[CompiledRule] = []
        if excluding:
            ruled_out = [c for c, targets in excluding if _targets(c, targets, entry, context)]
            if ruled_out:
                service_facts = {**entry.facts, "service.local": _is_local(entry)}
                joined = verdicts.joined(
                    failures, [(c, context.rule_facts(c, service_facts)) for c in ruled_out]
                )
                # Eligible but for these rules: they changed the plan.
                return (joined, () if failures else tuple(ruled_out), (), True, 0, False)
        if failures:
            return (failures, (), (), True, 0, False)
        hits: tuple[CompiledRule, ...] = ()
        if others:
            hits = tuple(c for c, targets in others if _targets(c, targets, entry, context))
            if hits and fit == FIT_SIBLING:
                # A sibling need is not the need: no rule puts it first or counts it as
                # the service a require rule asks for (prefer and demote still move it).
                hits = tuple(c for c in hits if c.rule.effect not in _NOT_FOR_SIBLINGS)
        if not hits:
            return ((), (), (), True, -score, False)
        return (
            (),
            (),
            hits,
            not any(c.rule.effect is Effect.FIRST for c in hits),
            -score - sum(weights[id(c)] for c in hits),
            any(c.rule.effect is Effect.REQUIRE for c in hits),
        )

    def rank(entry: _Entry, ids: tuple[str, ...], fit: int, decision: _Decision) -> None:
        nonlocal passed
        failures, ruled_out, hits, later, negative, required = decision
        if failures:
            for compiled in ruled_out:
                changes.touch_many(compiled, need, ids)
            group = tallied.get(id(failures))
            if group is None:
                tallied[id(failures)] = [failures, len(ids), list(ids[:NEAR_MISS_EXAMPLES])]
            else:
                group[1] += len(ids)
                group[2].extend(ids[:NEAR_MISS_EXAMPLES])
            if every:
                excluded.extend(Exclusion(service_id, need, failures) for service_id in ids)
            return
        passed += len(ids)
        for compiled in hits:
            changes.touch_many(compiled, need, ids)
        shown = ids if per_need is None or required else ids[:per_need]
        if len(shown) == 1:
            ranked.append((later, negative, shown[0], entry, fit, hits, required))
        else:
            ranked.extend(
                (later, negative, service_id, entries[service_id], fit, hits, required)
                for service_id in shown
            )

    tallied = tally.groups
    # What the rules make of a group's values, kept for the match (needs with the same
    # rules share them).
    ruling, joins, scoring = verdicts.decided.setdefault(
        tuple(id(c) for c, _ in (*excluding_grouped, *others_grouped)), ({}, {}, {})
    )
    of = verdicts.of
    for group in index.groups(need, context.place, fields):
        ids = group.ids
        if pinned and not pinned.isdisjoint(ids):
            for service_id in ids:
                if service_id in pinned:
                    entry = entries[service_id]
                    rank(
                        entry,
                        (service_id,),
                        group.fit,
                        decide(entry, group.fit, group.score, excluding, others),
                    )
            ids = tuple(service_id for service_id in ids if service_id not in pinned)
            if ids:
                entry = entries[ids[0]]
                decision = decide(entry, group.fit, group.score, excluding_grouped, others_grouped)
                rank(entry, ids, group.fit, decision)
            continue
        entry = group.entry
        failures = by_signature.get(entry.signature)
        if failures is None:
            failures = of(entry)
        values = group.values
        if excluding_grouped:
            ruled_out = ruling.get(values)
            if ruled_out is None:
                ruled_out = ruling[values] = tuple(
                    c for c, targets in excluding_grouped if _targets(c, targets, entry, context)
                )
            if ruled_out:
                if not failures:  # eligible but for these rules: they changed the plan
                    for compiled in ruled_out:
                        changes.touch_many(compiled, need, ids)
                join_key = (values, id(failures))
                joined = joins.get(join_key)
                if joined is None:
                    service_facts = {**entry.facts, "service.local": values[0]}
                    joined = joins[join_key] = verdicts.joined(
                        failures, [(c, context.rule_facts(c, service_facts)) for c in ruled_out]
                    )
                failures = joined
        if failures:
            found = tallied.get(id(failures))
            if found is None:
                tallied[id(failures)] = [failures, len(ids), list(ids[:NEAR_MISS_EXAMPLES])]
            else:
                found[1] += len(ids)
                found[2].extend(ids[:NEAR_MISS_EXAMPLES])
            if every:
                excluded.extend(Exclusion(service_id, need, failures) for service_id in ids)
            continue
        passed += len(ids)
        fit = group.fit
        score_key = (values, fit)
        scored = scoring.get(score_key)
        if scored is None:
            hits = tuple(c for c, targets in others_grouped if _targets(c, targets, entry, context))
            if hits and fit == FIT_SIBLING:
                # A sibling need is not the need: no rule puts it first or counts it as
                # the service a require rule asks for (prefer and demote still move it).
                hits = tuple(c for c in hits if c.rule.effect not in _NOT_FOR_SIBLINGS)
            scored = scoring[score_key] = (
                hits,
                not any(c.rule.effect is Effect.FIRST for c in hits),
                sum(weights[id(c)] for c in hits),
                any(c.rule.effect is Effect.REQUIRE for c in hits),
            )
        hits, later, points, required = scored
        for compiled in hits:
            changes.touch_many(compiled, need, ids)
        negative = -group.score - points
        if per_need is not None and not required:
            ids = ids[:per_need]
        if len(ids) == 1:
            ranked.append((later, negative, ids[0], entry, fit, hits, required))
        else:
            ranked.extend(
                (later, negative, service_id, entries[service_id], fit, hits, required)
                for service_id in ids
            )
    place = context.place
    if place is not None:
        # Prefecture-wide services of other prefectures: all near misses (outside their
        # area), counted by signature unless an exclude rule may target them.
        excluding_any = index.union(excluding) if excluding else _NO_IDS
        if every:
            for entry in index.outside_entries(need, place):
                failures = verdicts.outside(entry)
                if excluding and (excluding_any is None or entry.service.id in excluding_any):
                    failures = _ruled_out(entry, failures, excluding, context, verdicts, need)
                tally.add(failures, 1, (entry.service.id,))
                excluded.append(Exclusion(entry.service.id, need, failures))
        else:
            outside = index.outside(need, place, excluding, excluding_any)
            by_outside = verdicts.by_outside
            for entry, hit, count, ids in outside.groups:
                failures = by_outside.get(entry.outside_signature)
                if failures is None:
                    failures = verdicts.outside(entry)
                if hit:
                    service_facts = {**entry.facts, "service.local": False}
                    failures = verdicts.joined(
                        failures, [(c, context.rule_facts(c, service_facts)) for c in hit]
                    )
                found = tallied.get(id(failures))
                if found is None:
                    tallied[id(failures)] = [failures, count, list(ids)]
                else:
                    found[1] += count
                    found[2].extend(ids)
            for entry in outside.one_by_one:
                failures = _ruled_out(
                    entry, verdicts.outside(entry), excluding, context, verdicts, need
                )
                tally.add(failures, 1, (entry.service.id,))
    if every:
        excluded.sort(key=lambda exclusion: exclusion.service_id)
    return ranked, passed, excluded, tally.result(need)


def _ruled_out(
    entry: _Entry,
    failures: tuple[Reason, ...],
    excluding: list[tuple[CompiledRule, frozenset[str] | None]],
    context: _Context,
    verdicts: _Verdicts,
    need: str,
) -> tuple[Reason, ...]:
    """``failures`` with the reasons of the exclude rules that target ``entry``."""
    ruled_out = [c for c, ids in excluding if _targets(c, ids, entry, context)]
    if not ruled_out:
        return failures
    if not failures:
        for compiled in ruled_out:
            context.changes.touch(compiled, need, entry.service.id)
    service_facts = {**entry.facts, "service.local": _is_local(entry)}
    return verdicts.joined(failures, [(c, context.rule_facts(c, service_facts)) for c in ruled_out])


def _is_local(entry: _Entry) -> bool:
    return entry.service.area.kind is AreaKind.MUNICIPALITIES


def _targets(
    compiled: CompiledRule, ids: frozenset[str] | None, entry: _Entry, context: _Context
) -> bool:
    if ids is not None:
        return entry.service.id in ids
    return _hits(compiled, context, entry, _is_local(entry))


def _hits(compiled: CompiledRule, context: _Context, entry: _Entry, local: bool) -> bool:
    """A target that reads ``service.local``, evaluated for one service."""
    return compiled.target(context.facts, {**entry.facts, "service.local": local})


def _may_cover(service: Service, place: str | None) -> bool:
    """The reference path's area filter: the same set the index answers."""
    if service.area.kind is not AreaKind.MUNICIPALITIES:
        return True
    return place is not None and place in service.area.municipality_codes


def _fit_text(fit: int, codes: frozenset[str], taxonomy: NeedTaxonomy) -> LocalizedText:
    """The fit in words, naming the service's needs that gave it (their labels)."""

    def shown(lang: str) -> str:
        labels = []
        for code in sorted(codes):
            label = taxonomy.get(code).label if code in taxonomy else None
            text = code if label is None else (label.en or label.ja if lang == "en" else label.ja)
            labels.append(text)
        return ("、" if lang == "ja" else ", ").join(labels)

    ja, en = shown("ja"), shown("en")
    if fit == FIT_EXACT:
        return _text("ニーズそのものに対応", "meets the need itself")
    if fit == FIT_NARROWER:
        return _text(
            f"ニーズの一部に、より具体的に対応（{ja}）",
            f"meets part of the need, more specifically ({en})",
        )
    if fit == FIT_WHOLE_FIELD:
        return _text(
            f"分野全体（{ja}）を扱う総合的な窓口。専門の窓口の後に置く",
            f"covers the whole field ({en}) as a generalist; ranked behind specialists",
        )
    if fit == FIT_SIBLING:
        return _text(
            f"同じ分野の関連するニーズに対応（{ja}）。ニーズそのものではない",
            f"meets a related need under the same heading ({en}), not the need itself",
        )
    return _text(
        f"より広い分野（{ja}）の総合的な窓口として対応",
        f"meets only a broader need that includes it ({en}), as a generalist",
    )


def _area_points(service: Service) -> int:
    area = service.area
    if area.kind is AreaKind.MUNICIPALITIES:
        return AREA_OWN if len(area.municipality_codes) == 1 else AREA_SEVERAL
    return AREA_PREFECTURE if area.kind is AreaKind.PREFECTURE else AREA_NATIONAL


def _area_reason(service: Service, place: str | None, place_field: str | None) -> Reason:
    """Which kind of area the service has, in words: its own municipality only, several
    municipalities (how many), the whole prefecture, or the whole country."""
    area = service.area
    points = _area_points(service)
    where = () if place is None else (Fact(place_field or "case.residence", place),)
    if area.kind is AreaKind.MUNICIPALITIES:
        count = len(area.municipality_codes)
        ja = en = str(place)
        if place is not None:
            ja, en = place_name(place, "ja"), place_name(place, "en")
        if count == 1:
            text = _text(
                f"本人の区市町村（{ja}）だけを受け持つ窓口",
                f"a desk of the person's own municipality ({en}) only",
            )
        else:
            text = _text(
                f"{count}区市町村を受け持つ（本人の区市町村 {ja} を含む）",
                f"serves {count} municipalities, the person's ({en}) among them",
            )
    elif area.kind is AreaKind.PREFECTURE:
        text = (
            _text("都道府県全域が対象", "serves the whole prefecture")
            if place is not None
            else _text(
                "都道府県全域が対象（本人の区市町村は不明）",
                "serves the whole prefecture (the person's municipality is not known)",
            )
        )
    else:
        text = _text("全国が対象", "serves the whole country")
    return Reason("area", text, facts=where, points=points)


def _recommend(
    case: ConsultationCase,
    scored: _Scored,
    reasons: tuple[Reason, ...],
    urgency: Mapping[str, Urgency],
    index: MatchIndex,
    at: dt.datetime,
    today: dt.date,
) -> Recommendation:
    entry = scored.entry
    service, agency = entry.service, entry.agency
    if case.consent_for(agency.id, agency.kind, today) is not None:
        status = RecommendationStatus.READY
    elif case.consent_refused_for(agency.id, agency.kind, today) is not None:
        status = RecommendationStatus.CONSENT_REFUSED
    else:
        status = RecommendationStatus.NEEDS_CONSENT
    usable = (
        entry.channels if not case.preferred_channels else entry.channels & case.preferred_channels
    )
    next_open = open_now = None
    if not service.active:
        open_now = False  # inactive, defunct or temporarily closed: closed whatever the hours
    elif entry.hours is not None:
        open_now = entry.hours.is_open(at)
        next_open = at if open_now else entry.hours.next_open(at)
    covered = frozenset(
        code
        for code in urgency
        if code in service.needs
        or not service.needs.isdisjoint(index.taxonomy.descendants(code))
        or not service.needs.isdisjoint(index.taxonomy.ancestors(code))
    )
    return Recommendation(
        service_id=service.id,
        agency_id=agency.id,
        agency_kind=agency.kind,
        name=service.name,
        agency_name=agency.name,
        needs_covered=covered,
        score=scored.score,
        status=status,
        first=scored.first,
        required=scored.required,
        channels=usable,
        next_open=next_open,
        open_now=bool(open_now),
        reasons=reasons,
        contacts=public_contacts(service, agency),
        website=service.url or agency.website,
        address=public_address(service, agency),
        hours_today=hours_on(entry.hours, today) if service.active else (),
    )

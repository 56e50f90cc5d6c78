"""A synthetic caseload: realistic cases, plans, consents and referral histories over
one fiscal year, made through the public casework API, for demonstrations and tests.

:func:`seed_caseload` writes, for each of ``cases`` made-up consultations, the case
(:func:`saihan.casework.open_case`), its plan (saihan's own :func:`~saihan.referral.match`
on the stored directory, kept in ``store.plans``), the person's consents and refusals,
referrals to the services the plan proposed, and what became of them: accepted or
rejected, in progress, followed up, on hold, completed, failed or cancelled (every
reason a code of :data:`saihan.monitoring.reasons.REASON_CODES`), a consent withdrawn now
and then, and cases closed once every referral ended.  Every change is made by a named
worker of the handling municipality at a moment within the fiscal year, on business
days (:data:`saihan.referral.followup.OFFICE_CALENDAR`), so the audit trail reads as a
year of work.  The same ``seed`` on an empty store writes the same records.

Every name and summary is made up and marked ``SAMPLE``; no real person is in it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import attrs

from saihan._validation import types_only
from saihan.access import Principal
from saihan.casework import (
    close_case,
    create_referral,
    follow_up,
    give_consent,
    open_case,
    refuse_consent,
    transition_referral,
    withdraw_consent,
)
from saihan.directory.directory import Directory
from saihan.directory.municipalities import tokyo_municipalities
from saihan.directory.sample import sample_directory
from saihan.directory.vocabulary import (
    Audience,
    Channel,
    LegalSituation,
    PersonAttribute,
    Relation,
)
from saihan.errors import AccessDenied, ConflictError, ErrorItem, ValidationError
from saihan.referral.case import (
    AgeRange,
    Consent,
    ConsultationCase,
    RaisedNeed,
    RelativeSituation,
    Subject,
    Urgency,
)
from saihan.referral.followup import OFFICE_CALENDAR
from saihan.referral.lifecycle import ReferralStatus
from saihan.referral.match import match
from saihan.schedule.japan import fiscal_year_bounds
from saihan.storage.referral_records import plan_record_id
from saihan.storage.store import Store

__all__ = ["MAX_CASES", "SeedSummary", "case_id_for", "seed_caseload"]

MAX_CASES = 100_000
"""The most cases one call seeds."""

TOKYO = ZoneInfo("Asia/Tokyo")
_S = ReferralStatus
_A = PersonAttribute
_L = LegalSituation


@attrs.frozen
class SeedSummary:
    """What :func:`seed_caseload` wrote."""

    fiscal_year: int = attrs.field(metadata={"doc": "The fiscal year (April-March) seeded."})
    seed: int = attrs.field(metadata={"doc": "The random seed used."})
    cases: int = attrs.field(metadata={"doc": "Cases opened."})
    plans: int = attrs.field(metadata={"doc": "Plans stored (one per case)."})
    referrals: int = attrs.field(metadata={"doc": "Referrals made."})
    closed: int = attrs.field(metadata={"doc": "Cases closed by the year's end."})
    consents_refused: int = attrs.field(metadata={"doc": "Refusals recorded."})
    consents_withdrawn: int = attrs.field(metadata={"doc": "Consents withdrawn."})
    statuses: tuple[tuple[str, int], ...] = attrs.field(
        default=(), metadata={"doc": "Referrals by status at the year's end, sorted."}
    )
    directory_imported: bool = attrs.field(
        default=False, metadata={"doc": "True when the sample directory was imported first."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class _Profile:
    """A kind of consultation the desks see, with how often."""

    name: str
    weight: int
    consulters: tuple[tuple[Audience, int], ...]
    legal: tuple[LegalSituation, ...]
    ages: tuple[int, int]
    attributes: tuple[PersonAttribute, ...]
    maybe: tuple[PersonAttribute, ...]
    needs: tuple[tuple[str, Urgency], ...]
    relative: bool = False


_PROFILES: tuple[_Profile, ...] = (
    _Profile(
        "elderly-released",
        18,
        ((Audience.SUPPORTER, 3), (Audience.PROFESSIONAL, 3), (Audience.PERSON, 2)),
        (_L.RELEASED_FROM_PRISON, _L.ON_PAROLE),
        (65, 84),
        (_A.ELDERLY,),
        (_A.HOMELESS, _A.UNEMPLOYED),
        (
            ("housing.emergency", Urgency.URGENT),
            ("welfare.public_assistance", Urgency.HIGH),
            ("elderly_disability.elderly_care", Urgency.NORMAL),
        ),
    ),
    _Profile(
        "youth-leaving-school",
        10,
        ((Audience.FAMILY, 3), (Audience.PROFESSIONAL, 2), (Audience.PERSON, 1)),
        (_L.RELEASED_FROM_JUVENILE_TRAINING_SCHOOL,),
        (16, 19),
        (),
        (_A.STUDENT, _A.UNEMPLOYED),
        (
            ("juvenile_education.schooling", Urgency.HIGH),
            ("employment.job_search", Urgency.NORMAL),
            ("juvenile_education.mentoring", Urgency.NORMAL),
        ),
    ),
    _Profile(
        "parolee-work",
        16,
        ((Audience.PERSON, 3), (Audience.SUPPORTER, 2), (Audience.PROFESSIONAL, 1)),
        (_L.ON_PAROLE, _L.RELEASED_FROM_PRISON),
        (22, 55),
        (_A.UNEMPLOYED,),
        (_A.HOMELESS, _A.DEBT),
        (
            ("employment.job_search", Urgency.HIGH),
            ("housing.rental", Urgency.HIGH),
            ("welfare.documents", Urgency.NORMAL),
        ),
    ),
    _Profile(
        "probation-drugs",
        14,
        ((Audience.PERSON, 2), (Audience.FAMILY, 2), (Audience.PROFESSIONAL, 1)),
        (_L.ON_PROBATION, _L.SUSPENDED_SENTENCE),
        (20, 49),
        (_A.DRUG_DEPENDENCE,),
        (_A.UNEMPLOYED, _A.MENTAL_DISABILITY),
        (
            ("drug_alcohol.consultation", Urgency.HIGH),
            ("drug_alcohol.peer_recovery", Urgency.NORMAL),
            ("mental_health.consultation", Urgency.NORMAL),
        ),
    ),
    _Profile(
        "family-of-prisoner",
        12,
        ((Audience.FAMILY, 1),),
        (_L.NONE,),
        (35, 74),
        (),
        (_A.DEBT,),
        (
            ("family.prisoner_family", Urgency.NORMAL),
            ("welfare.debt", Urgency.NORMAL),
            ("legal.consultation", Urgency.LOW),
        ),
        relative=True,
    ),
    _Profile(
        "deferred-disability",
        12,
        ((Audience.PROFESSIONAL, 3), (Audience.SUPPORTER, 1)),
        (_L.PROSECUTION_DEFERRED, _L.SUSPENDED_SENTENCE),
        (20, 64),
        (_A.INTELLECTUAL_DISABILITY,),
        (_A.UNEMPLOYED, _A.HOMELESS),
        (
            ("elderly_disability.disability_services", Urgency.HIGH),
            ("welfare.needy_persons", Urgency.NORMAL),
            ("housing.transitional", Urgency.NORMAL),
        ),
    ),
    _Profile(
        "debt-suspended",
        10,
        ((Audience.PERSON, 2), (Audience.FAMILY, 1)),
        (_L.SUSPENDED_SENTENCE, _L.PROSECUTION_DEFERRED),
        (25, 64),
        (_A.DEBT,),
        (_A.UNEMPLOYED, _A.GAMBLING_DEPENDENCE),
        (
            ("legal.debt_settlement", Urgency.HIGH),
            ("welfare.debt", Urgency.NORMAL),
            ("employment.job_search", Urgency.LOW),
        ),
    ),
    _Profile(
        "mental-health",
        8,
        ((Audience.FAMILY, 2), (Audience.PROFESSIONAL, 1), (Audience.PERSON, 1)),
        (_L.ON_PROBATION, _L.RELEASED_FROM_PRISON, _L.UNKNOWN),
        (20, 69),
        (_A.MENTAL_DISABILITY,),
        (_A.UNEMPLOYED,),
        (
            ("mental_health.consultation", Urgency.HIGH),
            ("mental_health.treatment", Urgency.NORMAL),
            ("general.consultation", Urgency.LOW),
        ),
    ),
)

_CHANNELS = ((Channel.PHONE, 55), (Channel.VISIT, 25), (Channel.EMAIL, 10), (Channel.WEB_FORM, 8))
_CHANNELS_FAX = (Channel.FAX, 2)
_FAMILY_NAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
_GIVEN_NAMES = ("太郎", "花子", "一郎", "美咲", "健太", "裕子", "翔", "陽菜", "誠", "明美")
_REJECTED = ("not-eligible", "no-capacity", "outside-area")
_FAILED = ("lost-contact", "declined-by-person", "moved-away", "rearrested", "hospitalised")
_CANCELLED = ("declined-by-person", "no-longer-needed")
_ON_HOLD = ("waiting-for-documents", "hospitalised")
_DESK_KINDS = ("welfare_office", "self_reliance_consultation")


def case_id_for(fiscal_year: int, number: int) -> str:
    """The id of seeded case ``number`` (from 1) of ``fiscal_year``: ``demo-2024-00001``."""
    return f"demo-{fiscal_year}-{number:05d}"


def _pick(rng: random.Random, weighted: Sequence[tuple[object, int]]) -> object:
    return rng.choices([item for item, _ in weighted], [weight for _, weight in weighted])[0]


def _business_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days = []
    day = first
    while day <= last:
        if OFFICE_CALENDAR.is_business_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


class _Clock:
    """Business-day moments inside the fiscal year, each after the one before."""

    def __init__(self, rng: random.Random, last: dt.date) -> None:
        self.rng = rng
        self.last = last

    def at(self, day: dt.date, after: dt.datetime | None = None) -> dt.datetime | None:
        """A moment in office hours on ``day`` (after ``after``); None past the year."""
        if day > self.last:
            return None
        moment = dt.datetime(
            day.year, day.month, day.day, self.rng.randint(9, 16), self.rng.randrange(60), 0,
            tzinfo=TOKYO,
        )  # fmt: skip
        if after is not None and moment <= after:
            moment = after + dt.timedelta(minutes=self.rng.randint(5, 90))
        return moment if moment.date() <= self.last else None

    def later(self, moment: dt.datetime, low: int, high: int) -> dt.datetime | None:
        """A moment ``low..high`` business days after ``moment``; None past the year."""
        days = self.rng.randint(low, high)
        day = moment.astimezone(TOKYO).date()
        if days:
            day = OFFICE_CALENDAR.add_business_days(day, days)
        return self.at(day, moment)


def _desks(directory: Directory) -> dict[str, str]:
    """For each municipality, the service of its welfare office that receives cases."""
    kinds = {agency.id: agency.kind for agency in directory.agencies}
    desks: dict[str, str] = {}
    for kind in _DESK_KINDS:
        for service in sorted(directory.services, key=lambda s: s.id):
            if kinds.get(service.agency_id) != kind or not service.accepting_referrals:
                continue
            for code in sorted(service.area.municipality_codes):
                desks.setdefault(code, service.id)
    return desks


def _subject(rng: random.Random, profile: _Profile, received: dt.date, code: str) -> Subject:
    age = rng.randint(*profile.ages)
    attributes = set(profile.attributes)
    for extra in profile.maybe:
        if rng.random() < 0.35:
            attributes.add(extra)
    homeless = _A.HOMELESS in attributes
    form = rng.random()
    kwargs: dict[str, object] = {}
    if form < 0.1:
        on_day = dt.date(received.year - age, received.month, min(received.day, 28))
        born = on_day - dt.timedelta(days=rng.randint(1, 360))
        kwargs["birth_date"] = born
    elif form < 0.3:
        low = age // 10 * 10
        kwargs["age_range"] = AgeRange(min=low, max=low + 9)
    else:
        kwargs["age"] = age
    legal = profile.legal[rng.randrange(len(profile.legal))]
    released = None
    if legal in (_L.RELEASED_FROM_PRISON, _L.RELEASED_FROM_JUVENILE_TRAINING_SCHOOL, _L.ON_PAROLE):
        released = received - dt.timedelta(days=rng.randint(3, 200))
    name = f"SAMPLE {_FAMILY_NAMES[rng.randrange(10)]} {_GIVEN_NAMES[rng.randrange(10)]}"
    return Subject(
        residence=None if homeless else code,
        preferred_municipality=code if homeless else None,
        legal_situation=legal,
        released_on=released,
        attributes=frozenset(attributes),
        name=name,
        **kwargs,  # type: ignore[arg-type]
    )


def _case(
    rng: random.Random,
    number: int,
    fiscal_year: int,
    day: dt.date,
    clock: _Clock,
    code: str,
    desks: dict[str, str],
) -> ConsultationCase:
    profile = _pick(rng, [(p, p.weight) for p in _PROFILES])
    assert isinstance(profile, _Profile)
    consulter = _pick(rng, profile.consulters)
    assert isinstance(consulter, Audience)
    channels = list(_CHANNELS)
    if consulter is Audience.PROFESSIONAL:
        channels.append(_CHANNELS_FAX)
    channel = _pick(rng, channels)
    assert isinstance(channel, Channel)
    raised = [profile.needs[0]] + [need for need in profile.needs[1:] if rng.random() < 0.6]
    needs = tuple(
        RaisedNeed(
            code=code_,
            urgency=urgency,
            note="SAMPLE: what the consulter said about this" if rng.random() < 0.2 else None,
        )
        for code_, urgency in raised
    )
    relative = None
    if profile.relative:
        relative = RelativeSituation(
            relation=rng.choice((Relation.PARENT, Relation.SPOUSE_OR_PARTNER, Relation.SIBLING)),
            legal_situation=rng.choice((_L.IN_PRISON, _L.UNDER_INVESTIGATION, _L.ON_PAROLE)),
        )
    received = clock.at(day)
    assert received is not None
    subject = _subject(rng, profile, day, code)
    worker = f"worker-{code}-{rng.randint(1, 3)}"
    return ConsultationCase(
        id=case_id_for(fiscal_year, number),
        received_at=received,
        consulter=consulter,
        received_via=channel,
        subject=subject,
        needs=needs,
        municipality=code,
        worker=worker,
        organisation=f"org-{code}",
        received_by=desks.get(code),
        relative=relative,
        time_zone="Asia/Tokyo",
        summary=f"SAMPLE: a made-up consultation ({profile.name}) for demonstrations; "
        "no real person.",
    )


def _municipalities(desks: dict[str, str]) -> list[tuple[str, int]]:
    """Municipalities with a desk, weighted: wards and large cities see more cases."""
    weighted = []
    for item in tokyo_municipalities():
        if item.code not in desks:
            continue
        weight = 6 if item.code.startswith("131") else 4 if item.kind.value == "city" else 1
        weighted.append((item.code, weight))
    return weighted


def _check_arguments(store: object, cases: object, seed: object, fiscal_year: object) -> None:
    problems = []
    if not isinstance(store, Store):
        problems.append(ErrorItem("store", f"expected a Store, got {type(store).__name__}"))
    if isinstance(cases, bool) or not isinstance(cases, int) or not 1 <= cases <= MAX_CASES:
        problems.append(ErrorItem("cases", f"expected a whole number 1..{MAX_CASES}"))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(ErrorItem("seed", "expected a whole number >= 0"))
    if (
        isinstance(fiscal_year, bool)
        or not isinstance(fiscal_year, int)
        or not 2000 <= fiscal_year <= 2100
    ):
        problems.append(ErrorItem("fiscal_year", "expected a fiscal year 2000..2100"))
    if problems:
        raise ValidationError(problems)


def seed_caseload(
    store: Store,
    *,
    cases: int,
    seed: int,
    fiscal_year: int = 2024,
    principal: Principal | None = None,
) -> SeedSummary:
    """Write a synthetic caseload of ``cases`` consultations received in ``fiscal_year``
    (April to March) into ``store``, all in one transaction, deterministic for ``seed``.

    The store's directory is used; an empty store gets the bundled sample directory
    first.  ``principal`` (default: the store's) must be a ``system`` principal: the
    changes are recorded for the named workers of each municipality
    (:class:`~saihan.errors.AccessDenied` otherwise).  A store that already holds
    a seeded case of that year is refused (:class:`~saihan.errors.ConflictError`),
    and any failure leaves the store as it was.
    """
    _check_arguments(store, cases, seed, fiscal_year)
    acting = principal if principal is not None else store.principal
    if acting is not None and not isinstance(acting, Principal):
        raise ValidationError([ErrorItem("principal", "expected a saihan.access.Principal")])
    if acting is None or not acting.is_system:
        raise AccessDenied(
            "seeding a caseload records changes for many workers: act as a system principal "
            "(--as system:system; see docs/access.md)"
        )
    first, last = fiscal_year_bounds(fiscal_year)
    rng = random.Random(f"saihan-demo/{fiscal_year}/{seed}")
    clock = _Clock(rng, last)
    counts: Counter[str] = Counter()
    imported = False
    with store.transaction(), store.acting_as(acting):
        if store.cases.find(case_id_for(fiscal_year, 1)) is not None:
            raise ConflictError(
                f"the store already holds the seeded case {case_id_for(fiscal_year, 1)!r}: "
                "seed an empty store, or another fiscal year"
            )
        if store.services.count() == 0:
            store.import_directory(sample_directory())
            imported = True
        directory = store.load_directory()
        desks = _desks(directory)
        places = _municipalities(desks)
        if not places:
            raise ValidationError(
                "the store's directory has no welfare office taking referrals: seed a store "
                "holding the sample directory (or an empty one)",
                path="store",
            )
        # The last weeks are left for work on the last cases to show.
        days = _business_days(first, last - dt.timedelta(days=14))
        received_days = sorted(rng.choice(days) for _ in range(cases))
        for number, day in enumerate(received_days, start=1):
            code = _pick(rng, places)
            assert isinstance(code, str)
            case = _case(rng, number, fiscal_year, day, clock, code, desks)
            _work_case(store, rng, clock, case, directory, counts)
    statuses = tuple(sorted((key[7:], n) for key, n in counts.items() if key.startswith("status:")))
    return SeedSummary(
        fiscal_year=fiscal_year,
        seed=seed,
        cases=cases,
        plans=counts["plans"],
        referrals=counts["referrals"],
        closed=counts["closed"],
        consents_refused=counts["refused"],
        consents_withdrawn=counts["withdrawn"],
        statuses=statuses,
        directory_imported=imported,
    )


def _work_case(
    store: Store,
    rng: random.Random,
    clock: _Clock,
    case: ConsultationCase,
    directory: Directory,
    counts: Counter[str],
) -> None:
    """Open the case and work it through the year, as its worker would."""
    worker = case.worker
    assert worker is not None
    received = case.received_at
    open_case(store, case, actor=worker, at=received)
    plan = match(case, directory, at=received)
    with store.acting_as(worker, at=received):
        store.plans.put(plan)
    counts["plans"] += 1
    plan_id = plan_record_id(case.id, plan.at)
    chosen = []
    seen: set[str] = set()
    for need_plan in plan.needs:
        recs = need_plan.recommendations
        if not recs:
            continue
        rec = recs[1] if len(recs) > 1 and rng.random() < 0.2 else recs[0]
        if rec.service_id in seen:
            continue
        seen.add(rec.service_id)
        chosen.append((need_plan.need, rec.service_id, rec.agency_kind))
    chosen = chosen[:3]
    day = case.received_on
    moment = received + dt.timedelta(minutes=rng.randint(10, 40))
    kinds = sorted({kind for _, _, kind in chosen})
    refused: set[str] = set()
    if len(kinds) > 1 and rng.random() < 0.1:
        refused.add(kinds[-1])
        refuse_consent(store, case.id, agency_kinds=refused, actor=worker, at=moment)
        counts["refused"] += 1
        moment += dt.timedelta(minutes=5)
    covered = [kind for kind in kinds if kind not in refused]
    if covered:
        consent = Consent(
            given_on=day, agency_kinds=frozenset(covered), until=day + dt.timedelta(days=365)
        )
        give_consent(store, case.id, consent, actor=worker, at=moment)
    ended_at: list[dt.datetime] = []
    made: list[str] = []
    for need, service_id, kind in chosen:
        if kind in refused:
            continue
        requested = clock.later(moment, 0, 2)
        if requested is None:
            continue
        referral = create_referral(
            store,
            case.id,
            service_id,
            actor=worker,
            at=requested,
            request=True,
            need=need,
            referred_by=case.received_by,
            plan_id=plan_id,
        )
        counts["referrals"] += 1
        made.append(referral.id)
        final = _life(store, rng, clock, referral.id, requested, worker)
        if final is not None:
            ended_at.append(final)
    if made and covered and rng.random() < 0.04:
        withdrawn = clock.later(received, 5, 40)
        if withdrawn is not None:
            consents = store.cases.get(case.id).value.consents
            index = next(i for i, c in enumerate(consents) if not c.refused)
            latest = max([store.referrals.get(r).value.updated_at for r in made] + [withdrawn])
            cancelled = withdraw_consent(store, case.id, index, actor=worker, at=latest)
            counts["withdrawn"] += 1
            ended_at += [referral.updated_at for referral in cancelled]
    referrals = [store.referrals.get(r).value for r in made]
    for referral in referrals:
        counts[f"status:{referral.status.value}"] += 1
    if referrals and all(r.ended for r in referrals) and rng.random() < 0.7:
        closing = clock.later(max(r.updated_at for r in referrals), 1, 10)
        if closing is not None:
            close_case(store, case.id, actor=worker, at=closing)
            counts["closed"] += 1


def _life(
    store: Store,
    rng: random.Random,
    clock: _Clock,
    referral_id: str,
    requested: dt.datetime,
    worker: str,
) -> dt.datetime | None:
    """What becomes of a requested referral; the moment it ended (None: still open)."""

    def move(
        to: ReferralStatus,
        after: dt.datetime,
        low: int,
        high: int,
        reason: str | None = None,
        outcome: str | None = None,
    ) -> dt.datetime | None:
        when = clock.later(after, low, high)
        if when is None:
            return None
        transition_referral(
            store, referral_id, to, actor=worker, at=when, reason=reason, outcome=outcome
        )
        return when

    draw = rng.random()
    if draw < 0.07:
        return move(_S.REJECTED, requested, 1, 5, reason=rng.choice(_REJECTED))
    if draw < 0.12:
        return move(_S.CANCELLED, requested, 1, 10, reason=rng.choice(_CANCELLED))
    if draw < 0.2:
        if rng.random() < 0.5:
            when = clock.later(requested, 4, 8)
            if when is not None:
                follow_up(store, referral_id, actor=worker, at=when)
        return None
    accepted = move(_S.ACCEPTED, requested, 0, rng.choice((1, 2, 3, 5, 10)))
    if accepted is None:
        return None
    current = accepted
    if rng.random() < 0.7:
        started = move(_S.IN_PROGRESS, accepted, 0, 3)
        if started is None:
            return None
        current = started
    if rng.random() < 0.5:
        when = clock.later(current, 5, 15)
        if when is None:
            return None
        follow_up(store, referral_id, actor=worker, at=when, outcome="SAMPLE: spoke to them")
        current = when
    draw = rng.random()
    if draw < 0.6:
        return move(_S.COMPLETED, current, 10, 60, outcome="SAMPLE: what came of it")
    if draw < 0.78:
        return move(_S.FAILED, current, 5, 40, reason=rng.choice(_FAILED))
    if draw < 0.85:
        move(_S.ON_HOLD, current, 5, 20, reason=rng.choice(_ON_HOLD))
    return None

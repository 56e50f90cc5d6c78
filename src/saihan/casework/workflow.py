"""Working a case in a store: referrals, consent, follow-ups and closing, audited.

Each function here is one unit of work: it runs in one store transaction
(inside the caller's, if there is one) and attributes its writes to
``actor`` in the audit trail, at ``at`` (default: now, in UTC).  Either all
of it is written, with its audit events, or nothing is.

>>> with saihan.storage.open("sqlite:///cases.db") as store:        # doctest: +SKIP
...     referral = create_referral(store, "case-1", "hachioji-welfare-consultation",
...                                actor="worker-7", request=True)
...     transition_referral(store, referral.id, "accepted", actor="worker-7")

See ``docs/referral-lifecycle.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

import attrs

from saihan._validation import ID_RE
from saihan.access import Principal
from saihan.directory.agency_kinds import default_agency_kinds
from saihan.directory.taxonomy import default_taxonomy
from saihan.directory.vocabulary import ConsentDecision
from saihan.errors import ConflictError, ErrorItem, NotFoundError, ValidationError
from saihan.referral.case import Consent, ConsultationCase
from saihan.referral.lifecycle import (
    Referral,
    ReferralStatus,
    lost_coverage,
    new_referral,
    parse_status,
    record_followup,
    transition,
)
from saihan.storage.store import Store

__all__ = [
    "CONSENT_WITHDRAWN_REASON",
    "close_case",
    "create_referral",
    "follow_up",
    "give_consent",
    "open_case",
    "referral_id_for",
    "refuse_consent",
    "reopen_case",
    "transition_referral",
    "update_case",
    "withdraw_consent",
]

CONSENT_WITHDRAWN_REASON = "consent withdrawn"
"""The reason recorded on referrals cancelled because consent was withdrawn."""


def _given(at: object) -> dt.datetime | None:
    if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
        raise ValidationError([ErrorItem("at", "give a datetime with its UTC offset")])
    return at


def _now(at: dt.datetime | None) -> dt.datetime:
    given = _given(at)
    return dt.datetime.now(dt.UTC) if given is None else given


def _known_need(store: Store, need: object) -> bool:
    """True for a need of the bundled taxonomy or one the store adds."""
    if not isinstance(need, str):
        return False
    return need in default_taxonomy() or (ID_RE.fullmatch(need) is not None and need in store.needs)


def _checked_id(value: object, path: str) -> str:
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise ValidationError([ErrorItem(path, f"{value!r} is not a valid id")])
    return value


def _name(actor: Principal | str) -> str:
    """The id a referral's history records for ``actor``."""
    name = getattr(actor, "id", actor)
    if not isinstance(name, str):
        raise ValidationError([ErrorItem("actor", "expected a Principal or a worker id")])
    return name


def _check_store(store: object) -> Store:
    if not isinstance(store, Store):
        raise ValidationError([ErrorItem("store", f"expected a Store, got {type(store).__name__}")])
    return store


def referral_id_for(case_id: str, service_id: str, taken: set[str] | frozenset[str]) -> str:
    """A new referral id ``<case>.<service>.<n>``, the first ``n`` not in ``taken``
    (cut and hashed to fit 128 characters when the ids are long)."""
    base = f"{case_id}.{service_id}"
    if len(base) > 110:
        digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:10]
        base = f"{base[:99].rstrip('.-_')}.{digest}"
    n = 1
    while f"{base}.{n}" in taken:
        n += 1
    return f"{base}.{n}"


def open_case(
    store: Store, case: ConsultationCase, *, actor: Principal | str, at: dt.datetime | None = None
) -> ConsultationCase:
    """Store a new case (audited ``created``); ConflictError if its id is taken."""
    store = _check_store(store)
    when = _now(at)
    if not isinstance(case, ConsultationCase):
        raise ValidationError([ErrorItem("case", "expected a ConsultationCase")])
    with store.acting_as(actor, at=when):
        return store.cases.put(case).value


def update_case(
    store: Store,
    case: ConsultationCase,
    *,
    actor: Principal | str,
    expected_version: int,
    at: dt.datetime | None = None,
) -> ConsultationCase:
    """Store a changed case over the version read (audited with the paths changed).

    Consent withdrawals that leave open referrals uncovered are refused here:
    use :func:`withdraw_consent`.
    """
    store = _check_store(store)
    when = _now(at)
    with store.acting_as(actor, at=when):
        return store.cases.put(case, expected_version=expected_version).value


def give_consent(
    store: Store,
    case_id: str,
    consent: Consent,
    *,
    actor: Principal | str,
    at: dt.datetime | None = None,
) -> ConsultationCase:
    """Add ``consent`` to the case (audited ``consent-given``).

    A consent given after a refusal of the same agency or kind lifts the refusal
    from its day on.  A refusal is recorded with :func:`refuse_consent`, not here
    (ValidationError at ``consent.decision``).
    """
    store = _check_store(store)
    when = _now(at)
    if not isinstance(consent, Consent):
        raise ValidationError([ErrorItem("consent", "expected a Consent")])
    if consent.refused:
        raise ValidationError(
            [
                ErrorItem(
                    "consent.decision",
                    "is 'refused': record a refusal with refuse_consent(), not give_consent()",
                )
            ]
        )
    with store.transaction(), store.acting_as(actor, at=when):
        _check_kinds(store, consent.agency_kinds, "consent.agency_kinds")
        stored = store.cases.get(case_id)
        changed = attrs.evolve(stored.value, consents=(*stored.value.consents, consent))
        return store.cases.put(changed, expected_version=stored.version).value


def _check_kinds(store: Store, kinds: frozenset[str], path: str) -> None:
    """ValidationError at ``path`` for agency kinds neither bundled nor in the store."""
    known = {kind.code for kind in default_agency_kinds()} | set(store.agency_kinds.ids())
    unknown = sorted(kinds - known)
    if unknown:
        raise ValidationError(
            [ErrorItem(path, f"unknown agency kind {kind!r}") for kind in unknown]
        )


def refuse_consent(
    store: Store,
    case_id: str,
    *,
    agency_ids: Iterable[str] = (),
    agency_kinds: Iterable[str] = (),
    actor: Principal | str,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> ConsultationCase:
    """Record that the person, asked on ``on`` (default: ``at``'s day, the person's
    day: :meth:`~saihan.referral.ConsultationCase.local_day`), refused to let their
    information go to ``agency_ids`` and every agency of ``agency_kinds`` (audited
    ``consent-refused``).

    The refusal is a :class:`~saihan.referral.Consent` with ``decision`` ``refused``:
    it covers nothing, and a referral to those agencies is refused with
    :class:`~saihan.errors.ConsentRefusedError` (not the "no consent yet"
    :class:`~saihan.errors.ConsentError`) until the person gives a consent with
    :func:`give_consent`.  Raises ValidationError (``agency_ids``, ``agency_kinds``,
    ``on``) for bad names, none, or a bad day, and ConflictError when a consent in
    force on that day covers one of them: withdraw it first with
    :func:`withdraw_consent`, which cancels the referrals it covered.
    """
    store = _check_store(store)
    when = _now(at)
    if on is not None and (isinstance(on, dt.datetime) or not isinstance(on, dt.date)):
        raise ValidationError([ErrorItem("on", "expected a date")])
    ids = _names(agency_ids, "agency_ids")
    kinds = _names(agency_kinds, "agency_kinds")
    with store.transaction(), store.acting_as(actor, at=when):
        _check_kinds(store, kinds, "agency_kinds")
        stored = store.cases.get(case_id)
        case = stored.value
        day = case.local_day(when) if on is None else on
        refusal = Consent(
            given_on=day, agency_ids=ids, agency_kinds=kinds, decision=ConsentDecision.REFUSED
        )
        for index, consent in enumerate(case.consents):
            if consent.refused or not consent.in_force(day):
                continue
            shared = sorted((consent.agency_ids & ids) | (consent.agency_kinds & kinds))
            if shared:
                raise ConflictError(
                    f"consent {index} of case {case_id!r} covers {', '.join(shared)} on {day}: "
                    "withdraw it with withdraw_consent() (which cancels the referrals it "
                    "covered) before recording the refusal"
                )
        changed = attrs.evolve(case, consents=(*case.consents, refusal))
        return store.cases.put(changed, expected_version=stored.version).value


def _names(values: object, path: str) -> frozenset[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError([ErrorItem(path, "expected a collection of ids")])
    names = list(values)
    for index, name in enumerate(names):
        _checked_id(name, f"{path}[{index}]")
    return frozenset(names)


def withdraw_consent(
    store: Store,
    case_id: str,
    index: int,
    *,
    actor: Principal | str,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> list[Referral]:
    """Withdraw the case's consent number ``index`` from the day ``on`` (default:
    ``at``'s day, the person's day: :meth:`~saihan.referral.ConsultationCase.local_day`),
    and cancel every open referral that then has no consent.

    A referral that holds the person's information (requested, accepted, in
    progress, on hold) is cancelled too when the withdrawal takes away cover it
    had on a later day (another consent covering it today but ending sooner
    does not keep it: the store refuses to leave it uncovered then).
    Cancelled referrals get the reason :data:`CONSENT_WITHDRAWN_REASON`.
    Returns them.  Raises ValidationError (``index``, ``on``) for a consent
    that is not there, already withdrawn, a refusal (nothing to withdraw), or a
    day before it was given.
    """
    store = _check_store(store)
    when = _now(at)
    if on is not None and (isinstance(on, dt.datetime) or not isinstance(on, dt.date)):
        raise ValidationError([ErrorItem("on", "expected a date")])
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValidationError([ErrorItem("index", "expected the position of a consent")])
    name = _name(actor)
    with store.transaction(), store.acting_as(actor, at=when):
        stored = store.cases.get(case_id)
        case = stored.value
        today = case.local_day(when)
        day = today if on is None else on
        if not 0 <= index < len(case.consents):
            count = len(case.consents)
            said = f"case {case_id!r} has {count} consent{'' if count == 1 else 's'}"
            raise ValidationError([ErrorItem("index", said)])
        consent = case.consents[index]
        if consent.refused:
            raise ValidationError(
                [
                    ErrorItem(
                        "index",
                        f"consent {index} is a refusal (on {consent.given_on}): there is "
                        "nothing to withdraw; record a consent they give with give_consent()",
                    )
                ]
            )
        if consent.withdrawn_on is not None:
            raise ValidationError(
                [ErrorItem("index", f"consent {index} was withdrawn on {consent.withdrawn_on}")]
            )
        if day < consent.given_on:
            raise ValidationError(
                [ErrorItem("on", f"is before the consent was given ({consent.given_on})")]
            )
        consents = list(case.consents)
        consents[index] = attrs.evolve(consent, withdrawn_on=day)
        changed = attrs.evolve(case, consents=tuple(consents))
        cancelled = []
        for item in store.referrals.for_case(case_id):
            referral = item.value
            if referral.ended:
                continue
            agency, kind = referral.agency_id, referral.agency_kind
            if agency not in consent.agency_ids and kind not in consent.agency_kinds:
                continue  # the withdrawn consent never covered it
            covered = changed.consent_for(agency, kind, max(day, today)) is not None
            if covered and not (
                referral.status.needs_consent and lost_coverage(case, changed, referral)
            ):
                continue  # another consent still covers it, as long as this one did
            done = transition(
                referral,
                ReferralStatus.CANCELLED,
                actor=name,
                at=max(when, referral.updated_at),
                reason=CONSENT_WITHDRAWN_REASON,
            )
            cancelled.append(store.referrals.put(done, expected_version=item.version).value)
        store.cases.put(changed, expected_version=stored.version)
    return cancelled


def create_referral(
    store: Store,
    case_id: str,
    service_id: str,
    *,
    actor: Principal | str,
    at: dt.datetime | None = None,
    request: bool = False,
    need: str | None = None,
    referred_by: str | None = None,
    plan_id: str | None = None,
    id: str | None = None,
) -> Referral:
    """Make a referral of a stored case to a stored service (a draft, or
    ``requested`` at once with ``request=True``).

    The service's agency and its kind are read from the store; requesting
    needs a consent covering that agency on ``at``'s day, the person's day
    (:class:`~saihan.errors.ConsentError`; :class:`~saihan.errors.ConsentRefusedError`
    when the person refused it).  ``need`` must be a need of the case or of
    the taxonomy (bundled or stored), and ``plan_id`` a stored plan of the case
    (ValidationError at ``need``, ``plan_id``).  ``id`` defaults to
    :func:`referral_id_for`.  ``referred_by`` names the referring service,
    whose business calendar counts follow-up days.
    """
    store = _check_store(store)
    when = _now(at)
    name = _name(actor)
    with store.transaction(), store.acting_as(actor, at=when):
        case = store.cases.get(case_id).value
        if need is not None and need not in case.need_codes and not _known_need(store, need):
            raise ValidationError(
                [
                    ErrorItem(
                        "need",
                        f"{need!r} is neither a need of case {case_id!r} nor in the need taxonomy",
                    )
                ]
            )
        if plan_id is not None:
            plan = store.plans.find(_checked_id(plan_id, "plan_id"))
            if plan is None or plan.value.case_id != case_id:
                raise ValidationError(
                    [ErrorItem("plan_id", f"no plan {plan_id!r} of case {case_id!r} in the store")]
                )
        try:
            service = store.services.get(service_id).value
        except NotFoundError:
            raise NotFoundError(f"no service has id {service_id!r} in the store") from None
        agency = store.agencies.get(service.agency_id).value
        if referred_by is not None and referred_by not in store.services:
            raise ValidationError(
                [ErrorItem("referred_by", f"no service {referred_by!r} in the store")]
            )
        if id is None:
            taken = {item.value.id for item in store.referrals.for_case(case_id)}
            id = referral_id_for(case_id, service_id, taken)
        elif not isinstance(id, str) or not ID_RE.fullmatch(id):
            raise ValidationError([ErrorItem("id", "not a valid referral id")])
        referral = new_referral(
            id,
            case,
            service_id=service.id,
            agency_id=agency.id,
            agency_kind=agency.kind,
            actor=name,
            at=when,
            status=ReferralStatus.REQUESTED if request else ReferralStatus.DRAFT,
            need=need,
            referred_by=referred_by,
            plan_id=plan_id,
        )
        return store.referrals.put(referral).value


def transition_referral(
    store: Store,
    referral_id: str,
    to: ReferralStatus | str,
    *,
    actor: Principal | str,
    at: dt.datetime | None = None,
    reason: str | None = None,
    outcome: str | None = None,
    expected_version: int | None = None,
) -> Referral:
    """Move a stored referral to status ``to`` (see :func:`~saihan.referral.lifecycle.transition`).

    ``expected_version``, when given, must be the version read (else
    ConflictError: someone else changed it).  Entering a status that hands
    the person's information on checks the case's consent.
    """
    store = _check_store(store)
    given = _given(at)
    to = parse_status(to, "to")
    name = _name(actor)
    with store.transaction(), store.acting_as(actor, at=given):
        stored = store.referrals.get(referral_id)
        when = _now(given)  # the clock read after the referral: see follow_up
        if expected_version is not None and stored.version != expected_version:
            raise ConflictError(
                f"referral {referral_id!r} is at version {stored.version}, not "
                f"{expected_version}: someone else changed it; reload it"
            )
        case = store.cases.get(stored.value.case_id).value
        moved = transition(
            stored.value, to, actor=name, at=when, reason=reason, outcome=outcome, case=case
        )
        return store.referrals.put(moved, expected_version=stored.version).value


def follow_up(
    store: Store,
    referral_id: str,
    *,
    actor: Principal | str,
    at: dt.datetime | None = None,
    outcome: str | None = None,
) -> Referral:
    """Record that someone followed a referral up: its status stays, and its
    follow-up clock starts again (see :mod:`saihan.referral.followup`)."""
    store = _check_store(store)
    given = _given(at)
    name = _name(actor)
    with store.transaction(), store.acting_as(actor, at=given):
        stored = store.referrals.get(referral_id)
        # Read the clock only now: a time taken before the read could be earlier than
        # a follow-up another worker committed meanwhile, and be refused as out of
        # order; read after it, the race is a version conflict (ConflictError).
        when = _now(given)
        done = record_followup(stored.value, actor=name, at=when, outcome=outcome)
        return store.referrals.put(done, expected_version=stored.version).value


def close_case(
    store: Store, case_id: str, *, actor: Principal | str, at: dt.datetime | None = None
) -> ConsultationCase:
    """Close a case (audited ``closed``).  ConflictError, naming them, while any of
    its referrals is open; closing a closed case is an error too."""
    store = _check_store(store)
    when = _now(at)
    with store.transaction(), store.acting_as(actor, at=when):
        stored = store.cases.get(case_id)
        if stored.value.closed_at is not None:
            raise ConflictError(f"case {case_id!r} was closed at {stored.value.closed_at}")
        still_open = [
            item.value for item in store.referrals.for_case(case_id) if not item.value.ended
        ]
        if still_open:
            named = ", ".join(f"{r.id!r} ({r.status})" for r in still_open[:10])
            raise ConflictError(
                f"case {case_id!r} cannot be closed while referrals are open: {named}"
            )
        closed = attrs.evolve(stored.value, closed_at=when)
        return store.cases.put(closed, expected_version=stored.version).value


def reopen_case(
    store: Store, case_id: str, *, actor: Principal | str, at: dt.datetime | None = None
) -> ConsultationCase:
    """Open a closed case again (audited ``reopened``)."""
    store = _check_store(store)
    when = _now(at)
    with store.transaction(), store.acting_as(actor, at=when):
        stored = store.cases.get(case_id)
        if stored.value.closed_at is None:
            raise ConflictError(f"case {case_id!r} is not closed")
        opened = attrs.evolve(stored.value, closed_at=None)
        return store.cases.put(opened, expected_version=stored.version).value

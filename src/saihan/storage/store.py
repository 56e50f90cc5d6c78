"""The store: typed, versioned repositories over any backend.

:class:`Store` does everything that depends on the models (validation,
references, versions, queries that follow the need taxonomy and service
areas) on top of a backend's :class:`~saihan.storage.engine.Engine`, which
only knows generic records.  Every backend therefore behaves the same; the
conformance suite (:mod:`saihan.testing.storage`) checks that it does.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import gc
import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from saihan._validation import ID_RE
from saihan.access import Action, Principal, Scoped, may
from saihan.directory.agency import Agency
from saihan.directory.agency_kinds import AgencyKind, default_agency_kinds
from saihan.directory.directory import (
    Directory,
    DirectoryMeta,
    agency_search_key,
    service_search_key,
)
from saihan.directory.municipalities import municipality_code as _municipality_code
from saihan.directory.service import AreaKind, Service
from saihan.directory.taxonomy import Need, NeedTaxonomy, default_taxonomy
from saihan.directory.vocabulary import LegalSituation
from saihan.errors import (
    AccessDenied,
    ConflictError,
    ErrorItem,
    NotFoundError,
    SaihanError,
    ValidationError,
)
from saihan.limits import Limits, check_tree
from saihan.outreach.event import Event
from saihan.outreach.issue import NewsletterIssue
from saihan.outreach.registration import Registration, RegistrationStatus
from saihan.outreach.subscriber import Subscriber, token_digest
from saihan.referral.audit import (
    GENESIS_DIGEST,
    AuditAction,
    AuditChainHead,
    AuditEvent,
    canonical_digest,
    event_digest,
)
from saihan.referral.case import ConsultationCase
from saihan.referral.flows.model import Flow
from saihan.referral.lifecycle import Referral, ReferralStatus
from saihan.referral.match import MatchIndex, candidate_needs
from saihan.referral.plan import ReferralPlan
from saihan.referral.rules import RuleSet
from saihan.serialization import converter, structure, unstructure
from saihan.storage.directory_records import (
    AGENCIES,
    AGENCY_KINDS,
    DIRECTORY_RECORD_TYPES,
    META,
    META_ID,
    NEEDS,
    SERVICES,
    need_area_key,
)
from saihan.storage.engine import (
    ANY_VERSION,
    AnyVersion,
    Capabilities,
    Condition,
    Engine,
    EngineTransaction,
    ExpectedVersion,
    NewRecord,
    RecordKeys,
    StoredRecord,
    TextCondition,
)
from saihan.storage.errors import StorageError
from saihan.storage.outreach_records import (
    EVENTS,
    NEWSLETTER_ISSUES,
    OUTREACH_AUDITED_RECORD_TYPES,
    OUTREACH_RECORD_TYPES,
    OUTREACH_SCOPED_RECORD_TYPES,
    REGISTRATIONS,
    SUBSCRIBERS,
)
from saihan.storage.records import RecordType, Reference, storable_text
from saihan.storage.referral_records import (
    AUDIT_CHAIN,
    AUDIT_CHAIN_HEAD_ID,
    AUDIT_EVENTS,
    AUDITED_RECORD_TYPES,
    CASES,
    FLOWS,
    PLANS,
    REFERRAL_RECORD_TYPES,
    REFERRALS,
    REQUESTED_UNKNOWN,
    RULE_SETS,
    audit_event_id,
    plan_record_id,
    received_cover,
    rule_set_record_id,
)
from saihan.storage.url import StoreURL
from saihan.text import normalize_for_search

__all__ = [
    "AgencyRepository",
    "AuditLog",
    "AuditVerification",
    "CachedDirectorySource",
    "CaseRepository",
    "FlowRepository",
    "ImportProgress",
    "PlanRepository",
    "ReferralRepository",
    "Repository",
    "RuleSetRepository",
    "ServiceRepository",
    "SingletonRepository",
    "Store",
    "StoreInfo",
    "Versioned",
    "VersionedRepository",
]

T = TypeVar("T")
U = TypeVar("U")

log = logging.getLogger("saihan.storage")

_SELF_SCOPED = frozenset(record_type.kind for record_type in OUTREACH_SCOPED_RECORD_TYPES)
"""Personal data outside cases (registrations, subscribers): each record is its own scope."""
_SCOPED = frozenset({CASES.kind, REFERRALS.kind, PLANS.kind}) | _SELF_SCOPED
"""Kinds whose reads and writes follow the case's scope (:func:`saihan.access.may`), or
the record's own (:data:`_SELF_SCOPED`)."""
_ALL_RECORD_TYPES: tuple[RecordType[Any], ...] = (
    *DIRECTORY_RECORD_TYPES,
    *REFERRAL_RECORD_TYPES,
    *OUTREACH_RECORD_TYPES,
)
_AUDITED: tuple[RecordType[Any], ...] = (*AUDITED_RECORD_TYPES, *OUTREACH_AUDITED_RECORD_TYPES)

DECODED_CACHE = 200_000
"""How many decoded records a store keeps (see :meth:`Store._read`).  A store-backed
match reads every prefecture-wide and national service of the needs concerned
(about 13,000 records on a 100,000-service national directory, 130,000 on a
million): a cache smaller than that is emptied by each match before the next one
can use it (least recently used goes first), so every match decoded everything
again."""


def _decoded_cache_limit(value: int | None) -> int:
    """``storage.open``'s ``decoded_cache``: None for :data:`DECODED_CACHE`, else a
    whole number of records, 0 or more (0 keeps none); ValidationError otherwise."""
    if value is None:
        return DECODED_CACHE
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            [
                ErrorItem(
                    "decoded_cache", f"expected a whole number of records, 0 or more, not {value!r}"
                )
            ]
        )
    return value


_ID_HINT = "1-128 lower-case letters, digits, '.', '_' or '-'"


@attrs.frozen
class Versioned(Generic[T]):
    """A stored value and its version.

    Pass ``version`` back as ``expected_version`` when writing the value again:
    if someone else wrote it in between, the write raises
    :class:`~saihan.errors.ConflictError` instead of losing their change.
    """

    value: T
    version: int


@attrs.frozen
class ImportProgress:
    """How far a bulk import is: ``done`` of ``total`` records written."""

    done: int
    total: int

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else self.done / self.total


@attrs.frozen
class StoreInfo:
    """What ``saihan store info`` prints."""

    url: str
    scheme: str
    schema_version: int
    capabilities: Capabilities
    counts: Mapping[str, int]
    details: Mapping[str, str]


@attrs.frozen
class AuditVerification:
    """What :meth:`AuditLog.verify` found: ``events`` stored, ``chained`` of them in
    the hash chain (the others were written before it began), the chain head's
    digest (None before the first chained event), and the problems, the first
    broken link first (empty when the trail is sound)."""

    events: int
    chained: int
    head_digest: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class _CallbackFailed(Exception):
    """Carries an exception raised by a caller's callback through the storage layer."""

    def __init__(self, original: BaseException) -> None:
        super().__init__("callback failed")
        self.original = original


class _Local(threading.local):
    def __init__(self) -> None:
        self.tx: EngineTransaction | None = None
        self.actor: str | None = None
        self.at: dt.datetime | None = None
        self.principal: Principal | None = None
        self.denials: list[_Access] = []


@attrs.frozen
class _Access:
    """An access to audit (a read, or a refusal) rather than a change."""

    action: AuditAction
    record_kind: str
    record_id: str
    asked: str  # what was asked: read, change, read-audit, change-directory
    version: int | None
    # Who, taken when it happened: a refusal is written after its block has ended.
    actor: str | None
    roles: tuple[str, ...]
    organisation: str | None
    at: dt.datetime
    details: tuple[str, ...] = ()  # what was exported (record_export), never a case value


_MAX_DETAILS = 50
_MAX_DETAIL = 200

_ACCESS_MARKS = "access_mark"
"""Kind of the record a read or refusal event writes and deletes at once: it takes a
store revision, so that the event's id sorts in commit order like a change's."""

_NO_PRINCIPAL = (
    "no principal is acting: give one with saihan.storage.open(url, principal=...) "
    "or store.acting_as(Principal(...)); on the command line, --as or $SAIHAN_PRINCIPAL "
    "(see docs/access.md)"
)


# Only the Unicode check matters here; the store bounds records by max_record_bytes.
_ANY_SIZE = Limits(
    max_depth=10**6, max_string_length=2**62, max_collection_size=2**62, max_int_digits=10**6
)


def _document(item: object, label: str, limit: int | None) -> str:
    data = unstructure(item)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        # Lone surrogates are not text (docs/serialization.md): refuse them, naming the field.
        check_tree(data, limits=_ANY_SIZE)
        raise ValidationError([ErrorItem("", f"the {label} is not valid Unicode text")]) from None
    if limit is not None and size > limit:
        raise ValidationError(
            [
                ErrorItem(
                    "", f"the {label} is {size} bytes as JSON; this store keeps at most {limit}"
                )
            ]
        )
    return text


def _check_id(value: object, path: str = "id") -> str:
    if not isinstance(value, str):
        raise ValidationError([ErrorItem(path, f"expected a string, got {type(value).__name__}")])
    if not ID_RE.match(value):
        raise ValidationError([ErrorItem(path, f"{value!r} is not a valid id: {_ID_HINT}")])
    return value


def _check_expected(value: object, *, allow_none: bool = True) -> None:
    if value is ANY_VERSION or (value is None and allow_none):
        return
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return
    allowed = "a version (integer >= 1), None (create) or ANY_VERSION"
    if not allow_none:
        allowed = "a version (integer >= 1) or ANY_VERSION"
    raise ValidationError([ErrorItem("expected_version", f"expected {allowed}, got {value!r}")])


def _storable(text: str) -> bool:
    """True for text a backend can hold as a key: UTF-8, without NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _check_page(after: object, limit: object) -> None:
    if after is not None and not isinstance(after, str):
        raise ValidationError([ErrorItem("after", f"expected a string id, got {after!r}")])
    if after is not None and not _storable(after):
        raise ValidationError([ErrorItem("after", "not an id: NUL or a lone surrogate")])
    if limit is not None and not (
        isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0
    ):
        raise ValidationError([ErrorItem("limit", f"expected an integer >= 0, got {limit!r}")])


class Store:
    """A saihan store: repositories of every stored model over one backend.

    Open one with :func:`saihan.storage.open`.  Each operation runs in its own
    transaction unless it is inside ``with store.transaction():``, which makes
    everything in the block one all-or-nothing unit.  A store may be used from
    several threads when its backend's capabilities say ``threads``; each
    thread has its own transactions.
    """

    def __init__(
        self,
        engine: Engine,
        url: StoreURL,
        *,
        principal: Principal | None = None,
        decoded_cache: int | None = None,
    ) -> None:
        if principal is not None and not isinstance(principal, Principal):
            raise ValidationError([ErrorItem("principal", "expected a saihan.access.Principal")])
        self._engine = engine
        self._url = url
        self._principal = principal
        self._local = _Local()
        self._closed = False
        self._lock = threading.Lock()
        self._decoded: OrderedDict[tuple[str, str], tuple[int, str, Any]] = OrderedDict()
        self._decoded_lock = threading.Lock()
        self._decoded_limit = _decoded_cache_limit(decoded_cache)
        # The match index of the last part read (load_directory_for): the next part's
        # index takes over what it worked out for the services both hold.
        self._last_index: MatchIndex | None = None
        self.agencies = AgencyRepository(self, AGENCIES)
        """Agencies (:class:`~saihan.directory.Agency`), with their locations and contacts."""
        self.services = ServiceRepository(self, SERVICES)
        """Services, with queries by need, municipality, agency kind and agency."""
        self.needs: Repository[Need] = Repository(self, NEEDS)
        """Needs added to the bundled taxonomy (a municipality's own)."""
        self.agency_kinds: Repository[AgencyKind] = Repository(self, AGENCY_KINDS)
        """Agency kinds added to the bundled ones."""
        self.meta: SingletonRepository[DirectoryMeta] = SingletonRepository(self, META, META_ID)
        """The directory's :class:`~saihan.directory.DirectoryMeta`."""
        self.cases = CaseRepository(self, CASES)
        """Consultation cases (special care-required personal information), with queries
        by municipality, residence, worker, need, legal situation and day received."""
        self.rule_sets = RuleSetRepository(self, RULE_SETS)
        """Referral rule sets, one record per version (a stored version never changes)."""
        self.plans = PlanRepository(self, PLANS)
        """Referral plans, one per case and moment (append-only in spirit)."""
        self.flows = FlowRepository(self, FLOWS)
        """Support flows, one record per version (a stored version never changes)."""
        self.referrals = ReferralRepository(self, REFERRALS)
        """Referrals of cases to services, each with its append-only history."""
        self.events = EventRepository(self, EVENTS)
        """Outreach events (trainings, liaison meetings, the council, school programmes)."""
        self.registrations = RegistrationRepository(self, REGISTRATIONS)
        """Registrations for events (personal data: scoped and audited like cases)."""
        self.subscribers = SubscriberRepository(self, SUBSCRIBERS)
        """Newsletter subscribers (personal data: scoped and audited like cases)."""
        self.newsletters: Repository[NewsletterIssue] = Repository(self, NEWSLETTER_ISSUES)
        """Newsletter issues, with the directory snapshot each was composed from."""
        self.audit = AuditLog(self)
        """The audit trail of cases, referrals, registrations and subscribers (read-only)."""
        if engine.capabilities.text_search:
            self._fill_texts()

    def _fill_texts(self) -> None:
        """Give records written before the backend kept search texts theirs (once,
        on the first open after the migration that added them)."""
        for record_type in _ALL_RECORD_TYPES:
            text_of = record_type.text
            if text_of is None:
                continue
            with self._unit(write=False) as tx:
                if not tx.records_without_text(record_type.kind, 1):
                    continue
            filled = 0
            with self._unit(write=True) as tx:
                tx.prepare_write()
                while batch := tx.records_without_text(record_type.kind, 500):
                    for record in batch:
                        try:
                            text = storable_text(text_of(_decode(record_type, record)))
                        except StorageError:
                            text = ""  # unreadable: integrity_check reports it
                        tx.set_text(record_type.kind, record.id, text)
                    filled += len(batch)
            log.info("computed the search text of %d %s records", filled, record_type.kind)

    # -- facts ------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The store's URL, without any password."""
        return self._url.redacted()

    @property
    def scheme(self) -> str:
        return self._url.scheme

    @property
    def capabilities(self) -> Capabilities:
        return self._engine.capabilities

    @property
    def engine(self) -> Engine:
        """The backend engine (for backend-specific tools and tests)."""
        return self._engine

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<saihan Store {self.url} ({state})>"

    def repository(self, record_type: RecordType[T]) -> Repository[T]:
        """A repository for a record type of a new kind (later models declare their own).

        saihan's own kinds are sealed: a record type whose kind is one of them
        is accepted only if it *is* saihan's own object (``storage.CASES``...;
        identity, not equality), and internal kinds (audit events, the audit
        chain head) are never given out (read the trail with ``store.audit``).
        Both refusals raise :class:`~saihan.errors.ValidationError` at
        ``record_type``, naming the kind.
        """
        if not isinstance(record_type, RecordType):
            raise ValidationError(
                [ErrorItem("record_type", f"expected a RecordType, got {record_type!r}")]
            )
        _check_sealed(record_type)
        if record_type.internal:
            raise ValidationError(
                [
                    ErrorItem(
                        "record_type",
                        f"record kind {record_type.kind!r} is internal to the store: "
                        "no repository is given out for it (read the audit trail "
                        "with store.audit)",
                    )
                ]
            )
        return Repository(self, record_type)

    # -- who is acting ----------------------------------------------------------
    @property
    def principal(self) -> Principal | None:
        """Who is acting now (this thread's innermost ``acting_as``, else the store's)."""
        return self._local.principal or self._principal

    @contextlib.contextmanager
    def acting_as(
        self, actor: Principal | str, *, at: dt.datetime | None = None
    ) -> Iterator[Store]:
        """Act as ``actor`` in the block: every read and write is checked against it
        (:func:`saihan.access.may`) and audited with its id.

        ``actor`` is a :class:`~saihan.access.Principal`, or a worker id: a
        ``system`` principal already acting may record changes for a named worker
        (an import replaying history); any other principal may name only itself
        (:class:`~saihan.errors.AccessDenied` otherwise, and with no principal).
        ``at`` is the time the audit events record (default: the clock, in UTC,
        at each write); give it when replaying or testing.  Blocks nest; the
        innermost wins.  Per thread, like transactions.
        """
        current = self.principal
        if isinstance(actor, Principal):
            principal, name = actor, actor.id
        else:
            name = _check_id(actor, "actor")
            if current is None:
                raise AccessDenied(_NO_PRINCIPAL)
            if not current.is_system and name != current.id:
                raise AccessDenied(
                    f"principal {current.id!r} cannot act as {name!r}: only a system "
                    "principal records changes for another worker"
                )
            principal = current
        if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
            raise ValidationError([ErrorItem("at", "give a datetime with its UTC offset")])
        saved = (self._local.actor, self._local.at, self._local.principal)
        self._local.actor, self._local.at, self._local.principal = name, at, principal
        try:
            yield self
        finally:
            self._local.actor, self._local.at, self._local.principal = saved

    # -- access -------------------------------------------------------------------
    def _actor(self) -> str | None:
        principal = self.principal
        if self._local.actor is not None:
            return self._local.actor
        return None if principal is None else principal.id

    def _audits_reads(self, record_type: RecordType[Any]) -> bool:
        """True when reads of this kind are checked and audited for who is acting."""
        principal = self.principal
        return record_type.kind in _SCOPED and (principal is None or not principal.is_system)

    def _scope(
        self, tx: EngineTransaction, record_type: RecordType[Any], item: object
    ) -> Scoped | None:
        """The case whose scope covers ``item`` (a case, plan or referral), if stored."""
        if record_type.kind == CASES.kind:
            assert isinstance(item, ConsultationCase)
            return item
        if record_type.kind in _SELF_SCOPED:
            assert isinstance(item, Registration | Subscriber)
            return item
        case_id = getattr(item, "case_id", None)
        if not isinstance(case_id, str):
            return None
        record = tx.get(CASES.kind, case_id)
        return None if record is None else self._read(CASES, record)

    def _refuse(self, record_type: RecordType[Any], record_id: str, asked: Action) -> AccessDenied:
        """An AccessDenied to raise, its audit event queued to be committed after the
        transaction ends, whether that commits or rolls back."""
        principal = self.principal
        self._local.denials.append(
            self._access(AuditAction.ACCESS_DENIED, record_type.kind, record_id, asked, None)
        )
        if self._local.tx is None:
            self._flush_denials()
        if principal is None:
            return AccessDenied(f"{asked.value} {record_type.label} {record_id!r}: {_NO_PRINCIPAL}")
        return AccessDenied(
            f"principal {principal.id!r} may not {asked.value} {record_type.label} "
            f"{record_id!r} (see docs/access.md)"
        )

    def _access(
        self, action: AuditAction, kind: str, id: str, asked: Action, version: int | None
    ) -> _Access:
        principal = self.principal
        return _Access(
            action=action,
            record_kind=kind,
            record_id=id,
            asked=asked.value,
            version=version,
            actor=self._actor(),
            roles=() if principal is None else tuple(sorted(principal.roles)),
            organisation=None if principal is None else principal.organisation,
            at=self._local.at or dt.datetime.now(dt.UTC),
        )

    def _flush_denials(self) -> None:
        """Commit the queued refusal events, in a transaction of their own."""
        if not self._local.denials or self._local.tx is not None:
            return
        pending, self._local.denials = self._local.denials, []
        with self._unit(write=True) as tx:
            tx.prepare_write()
            self._write_accesses(tx, pending)

    def _write_accesses(self, tx: EngineTransaction, accesses: Sequence[_Access]) -> None:
        """Audit events of reads or refusals, all under one fresh store revision."""
        if not accesses:
            return
        mark = uuid.uuid4().hex
        revision = tx.write(_ACCESS_MARKS, mark, "{}", RecordKeys(), previous=None)
        tx.delete(_ACCESS_MARKS, mark, previous=revision)
        for number, access in enumerate(accesses):
            self._write_audit(tx, AUDIT_EVENTS, None, None, revision, access=(access, number))

    def record_export(self, what: str, recipient: str, details: Sequence[str] = ()) -> AuditEvent:
        """Write an ``exported`` audit event: the acting principal exported ``what``
        (an id, e.g. ``case-share`` or ``plan-report``) for ``recipient`` (an id, e.g.
        ``liaison-meeting-2024-10``), with ``details`` (what was asked and written,
        e.g. ``k=5``, ``rows=40``: never a value of a case; at most 50, each at most
        200 characters).  Returns the event.

        The event's ``record_kind`` is ``what``, its ``record_id`` the recipient and
        its ``changed`` ``export`` then the details; the actor, roles and organisation
        are the principal's, the time ``acting_as``'s ``at`` or the clock.  Inside a
        transaction it commits with it.  AccessDenied without a principal;
        ValidationError (``what``, ``recipient``, ``details[i]``) for bad values.
        """
        self._check_open()
        if self.principal is None:
            raise AccessDenied(f"record an export: {_NO_PRINCIPAL}")
        _check_id(what, "what")
        _check_id(recipient, "recipient")
        if isinstance(details, str) or not isinstance(details, Sequence):
            raise ValidationError([ErrorItem("details", "expected a sequence of strings")])
        if len(details) > _MAX_DETAILS:
            raise ValidationError([ErrorItem("details", f"at most {_MAX_DETAILS} details")])
        for index, detail in enumerate(details):
            if not isinstance(detail, str) or not detail.strip() or len(detail) > _MAX_DETAIL:
                raise ValidationError(
                    [
                        ErrorItem(
                            f"details[{index}]",
                            f"expected a non-blank string of at most {_MAX_DETAIL} characters",
                        )
                    ]
                )
            check_tree(detail, limits=_ANY_SIZE, path=f"details[{index}]")
        access = attrs.evolve(
            self._access(AuditAction.EXPORTED, what, recipient, Action.READ, None),
            asked="export",
            details=tuple(details),
        )
        with self._unit(write=True) as tx:
            tx.prepare_write()
            self._write_accesses(tx, [access])
            head = tx.get(AUDIT_CHAIN.kind, AUDIT_CHAIN_HEAD_ID)
            assert head is not None
            event_id = self._read(AUDIT_CHAIN, head).event_id
            record = tx.get(AUDIT_EVENTS.kind, event_id)
            assert record is not None
            return self._read(AUDIT_EVENTS, record)

    def _check_change(
        self,
        tx: EngineTransaction,
        record_type: RecordType[Any],
        id: str,
        items: Sequence[object],
    ) -> None:
        """Refuse a write of ``items`` (the record before and after) unless allowed."""
        principal = self.principal
        if principal is not None and principal.is_system:
            return
        if principal is None:
            asked = Action.CHANGE if record_type.kind in _SCOPED else Action.CHANGE_DIRECTORY
            raise self._refuse(record_type, id, asked)
        if record_type.kind not in _SCOPED:
            if not may(principal, Action.CHANGE_DIRECTORY):
                raise self._refuse(record_type, id, Action.CHANGE_DIRECTORY)
            return
        for item in items:
            scope = self._scope(tx, record_type, item)
            if scope is None and record_type.kind == REFERRALS.kind:
                continue  # no such case: the reference check says so
            if not may(principal, Action.CHANGE, scope):
                raise self._refuse(record_type, id, Action.CHANGE)

    def _visible(
        self, tx: EngineTransaction, record_type: RecordType[Any], records: Iterable[StoredRecord]
    ) -> builtins.list[StoredRecord]:
        """The records the acting principal may read (all, for public kinds)."""
        records = builtins.list(records)
        principal = self.principal
        if record_type.kind == AUDIT_EVENTS.kind:
            return records if may(principal, Action.READ_AUDIT) else []
        if not self._audits_reads(record_type):
            return records
        cases: dict[str, Scoped | None] = {}
        kept = []
        for record in records:
            item = self._read(record_type, record)
            key = getattr(item, "case_id", record.id)
            if key not in cases:
                cases[key] = self._scope(tx, record_type, item)
            if may(principal, Action.READ, cases[key]):
                kept.append(record)
        return kept

    def _record_reads(
        self, tx: EngineTransaction, record_type: RecordType[Any], records: Sequence[StoredRecord]
    ) -> None:
        """One ``read`` event per record returned, in the read's own transaction."""
        if records and self._audits_reads(record_type):
            tx.prepare_write()
            self._write_accesses(
                tx,
                [
                    self._access(AuditAction.READ, record_type.kind, r.id, Action.READ, r.version)
                    for r in records
                ],
            )

    def _write_audit(
        self,
        tx: EngineTransaction,
        record_type: RecordType[Any],
        before: object | None,
        after: object | None,
        revision: int,
        *,
        access: tuple[_Access, int] | None = None,
    ) -> None:
        """Write the audit event of a change in the change's own transaction (or, with
        ``access``, of a read or refusal and its number under ``revision``).

        The one function that appends audit events: it chains each to the one
        before it (see :meth:`_chain`)."""
        principal = self.principal
        who = {
            "at": self._local.at or dt.datetime.now(dt.UTC),
            "actor": self._actor(),
            "roles": () if principal is None else tuple(sorted(principal.roles)),
            "organisation": None if principal is None else principal.organisation,
        }
        if access is not None:
            done, number = access
            event = AuditEvent(
                id=f"{audit_event_id(revision)}.r{number:06d}",
                at=done.at,
                actor=done.actor,
                roles=done.roles,
                organisation=done.organisation,
                record_kind=done.record_kind,
                record_id=done.record_id,
                action=done.action,
                version=done.version,
                changed=(done.asked, *done.details),
            )
        else:
            assert record_type.audit is not None
            change = record_type.audit(before, after)
            subject = after if after is not None else before
            event = AuditEvent(
                id=audit_event_id(revision, deleted=after is None),
                record_kind=record_type.kind,
                record_id=record_type.id_of(subject),
                action=change.action,  # type: ignore[arg-type]  # AuditChange keeps it as str
                version=None if after is None else revision,
                changed=change.changed,
                status_from=change.status_from,
                status_to=change.status_to,
                record_digest=None if after is None else canonical_digest(unstructure(after)),
                **who,  # type: ignore[arg-type]
            )
        event, head, head_version = self._chain(tx, event)
        document = _document(event, AUDIT_EVENTS.label, None)
        tx.write(AUDIT_EVENTS.kind, event.id, document, AUDIT_EVENTS.keys(event), previous=None)
        # At its expected version: a concurrent writer that chained first makes this
        # one a ConflictError instead of a fork of the chain.
        tx.write(
            AUDIT_CHAIN.kind,
            AUDIT_CHAIN_HEAD_ID,
            _document(head, AUDIT_CHAIN.label, None),
            AUDIT_CHAIN.keys(head),
            previous=head_version,
        )

    def _chain(
        self, tx: EngineTransaction, event: AuditEvent
    ) -> tuple[AuditEvent, AuditChainHead, int | None]:
        """``event`` linked to the chain head, the new head, and the head's version
        now (None: the chain begins; events already stored predate it)."""
        record = tx.get(AUDIT_CHAIN.kind, AUDIT_CHAIN_HEAD_ID)
        if record is None:
            previous, count, legacy = GENESIS_DIGEST, 0, tx.count(AUDIT_EVENTS.kind)
        else:
            # A head that cannot be read stops every audited write (StorageError):
            # better than a chain nobody can verify.
            head = self._read(AUDIT_CHAIN, record)
            previous, count, legacy = head.digest, head.count, head.legacy
        linked = attrs.evolve(event, previous=previous, digest=None)
        digest = event_digest(unstructure(linked))
        chained = attrs.evolve(linked, digest=digest)
        new_head = AuditChainHead(event_id=event.id, digest=digest, count=count + 1, legacy=legacy)
        return chained, new_head, None if record is None else record.version

    # -- transactions -----------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes in the block happen together or not at all.

        An exception leaving the block undoes every write made in it and goes
        on; nothing of the block is visible to others until it ends.  Blocks
        nest: an inner block that fails undoes only its own writes.
        """
        self._check_open()
        outer = self._local.tx
        if outer is not None:
            token = self._engine_call("savepoint", outer.savepoint)
            try:
                yield self
            except BaseException:
                self._engine_call("rollback", lambda: outer.rollback_to(token))
                self._engine_call("release", lambda: outer.release(token))
                raise
            self._engine_call("release", lambda: outer.release(token))
            return
        tx = self._engine_call("begin", lambda: self._engine.begin(write=True))
        self._local.tx = tx
        try:
            try:
                yield self
            except BaseException:
                self._engine_call("rollback", tx.rollback)
                raise
            try:
                self._engine_call("commit", tx.commit)
            except BaseException:
                with contextlib.suppress(Exception):
                    tx.rollback()
                raise
        finally:
            self._local.tx = None
            self._flush_denials()  # refusals are audited even when the block failed

    @contextlib.contextmanager
    def _unit(self, *, write: bool) -> Iterator[EngineTransaction]:
        """The transaction an operation runs in: the caller's (inside a savepoint
        when writing) or one of its own."""
        self._check_open()
        outer = self._local.tx
        try:
            if outer is not None:
                if not write:
                    yield outer
                    return
                token = outer.savepoint()
                try:
                    yield outer
                except BaseException:
                    outer.rollback_to(token)
                    outer.release(token)
                    raise
                outer.release(token)
                return
            tx = self._engine.begin(write=write)
            self._local.tx = tx
            try:
                try:
                    yield tx
                except BaseException:
                    tx.rollback()
                    raise
                tx.commit()
            finally:
                self._local.tx = None
                self._flush_denials()  # refusals are audited even when the unit failed
        except (SaihanError, _CallbackFailed):
            raise
        except Exception as error:
            raise StorageError(
                f"{self.scheme} store {self.url}: {type(error).__name__}: {error}"
            ) from error

    def _engine_call(self, what: str, call: Callable[[], U]) -> U:
        try:
            return call()
        except SaihanError:
            raise
        except Exception as error:
            raise StorageError(
                f"{self.scheme} store {self.url}: {what} failed: {type(error).__name__}: {error}"
            ) from error

    def _read(self, record_type: RecordType[T], record: StoredRecord) -> T:
        """A stored record as a model object, decoded once per version.

        Objects are immutable and a (kind, id, version, document) always means the
        same value, so decoded records are kept (the last ``decoded_cache`` of
        them, :data:`DECODED_CACHE` unless ``open`` was told otherwise); the
        document text is compared too, so a version number reused after a rollback
        never serves another value.
        """
        key = (record_type.kind, record.id)
        with self._decoded_lock:
            cached = self._decoded.get(key)
            if cached is not None and cached[0] == record.version and cached[1] == record.document:
                self._decoded.move_to_end(key)
                value: T = cached[2]
                return value
        value = _decode(record_type, record)
        with self._decoded_lock:
            self._decoded[key] = (record.version, record.document, value)
            if len(self._decoded) > self._decoded_limit:
                self._decoded.popitem(last=False)
        return value

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"the store {self.url} is closed")

    # -- whole directories ------------------------------------------------------
    def import_directory(
        self,
        directory: Directory,
        *,
        progress: Callable[[ImportProgress], object] | None = None,
        dry_run: bool = False,
    ) -> int:
        """Replace the stored directory with ``directory``, in one transaction (a
        ``system`` principal's work: AccessDenied for others).

        Agencies, services, extension needs and kinds, and the meta are all
        replaced; an error (or an exception from ``progress``) leaves the store
        as it was.  ``progress`` is called with an :class:`ImportProgress` now
        and then, first with ``done=0`` and last with ``done=total``.  Returns
        the number of records written.

        ``dry_run=True`` checks everything the import would (the principal, each
        record against the backend's limits) and writes nothing: it returns the
        number of records that would be written, or raises what the import would.
        """
        if not isinstance(directory, Directory):
            raise ValidationError(
                [ErrorItem("directory", f"expected a Directory, got {type(directory).__name__}")]
            )
        if progress is not None and not callable(progress):
            raise ValidationError([ErrorItem("progress", "expected a callable or None")])
        if not may(self.principal, Action.CHANGE_DIRECTORY):
            raise self._refuse(META, META_ID, Action.CHANGE_DIRECTORY)
        limit = self.capabilities.max_record_bytes
        items: list[tuple[RecordType[Any], Any]] = [(META, directory.meta)]
        items += [(NEEDS, need) for need in _parents_first(directory.needs)]
        items += [(AGENCY_KINDS, kind) for kind in directory.agency_kinds]
        items += [(AGENCIES, agency) for agency in directory.agencies]
        items += [(SERVICES, service) for service in directory.services]
        total = len(items)
        reported = [-1]

        def report(done: int) -> None:
            if progress is None or done == reported[0]:
                return
            reported[0] = done
            try:
                progress(ImportProgress(done=done, total=total))
            except BaseException as error:
                raise _CallbackFailed(error) from error

        def records() -> Iterator[NewRecord]:
            for position, (record_type, item) in enumerate(items):
                try:
                    document = _document(item, record_type.label, limit)
                except ValidationError as error:
                    raise error.under(_directory_path(record_type, position, directory)) from None
                yield NewRecord(
                    record_type.kind, record_type.id_of(item), document, record_type.keys(item)
                )

        if dry_run:
            report(0)
            for done, _ in enumerate(records(), start=1):
                if done % 1000 == 0:
                    report(done)
            report(total)
            return total
        kinds = [record_type.kind for record_type in DIRECTORY_RECORD_TYPES]
        # A bulk import makes millions of short-lived objects that hold no cycles; the
        # cyclic collector would walk the whole heap again and again meanwhile.
        collecting = gc.isenabled()
        gc.disable()
        try:
            report(0)
            with self._unit(write=True) as tx:
                tx.prepare_write()
                tx.replace_kinds(kinds, records(), report)
                report(total)
        except _CallbackFailed as failed:
            raise failed.original from None
        finally:
            if collecting:
                gc.enable()
        log.info("imported a directory of %d records into %s", total, self.url)
        return total

    def load_directory(self) -> Directory:
        """The stored directory, validated as a whole (agencies and services by id)."""
        with self._unit(write=False) as tx:
            reader = _TxReader(self, tx)
            meta = reader.load(META, META_ID)
            needs = reader.load_all(NEEDS)
            kinds = reader.load_all(AGENCY_KINDS)
            agencies = reader.load_all(AGENCIES)
            services = reader.load_all(SERVICES)
        return self._directory(meta, _parents_first(needs), kinds, agencies, services)

    def load_directory_for(
        self,
        municipality: str | None,
        needs: Iterable[str] | None = None,
        *,
        services: Iterable[str] = (),
    ) -> Directory:
        """The part of the stored directory that a match for a person in
        ``municipality`` (a code or name; None: not known) reads, found through
        the backend's index entries so that only those services are read.

        - every service whose area may cover the place: every prefecture-wide and
          national one (a prefecture-wide one elsewhere is shown as a near miss,
          outside its area), and the municipal ones that list ``municipality``;
        - with ``needs``, only those meeting one of
          :func:`~saihan.referral.candidate_needs` of a need among them (codes the
          taxonomy does not know select nothing; ``needs=()`` gives no services);
        - and the ``services`` named by id (those that exist), wherever they are;
        - with the agencies of all of them, and the extension needs, kinds and meta.

        :func:`saihan.referral.match` given the store calls this with the place of
        the case, :func:`~saihan.referral.match_needs` and the services its flow
        names; its plan equals the plan on :meth:`load_directory`.
        """
        return self._load_for(*_subset_key(municipality, needs, services))[1]

    def revision(self) -> int | None:
        """The store's change counter: the last version given out (0 for a new
        store).  Every committed write raises it (a read audited for a
        non-system principal writes an event, so it does too); None when the
        backend does not keep one.  :class:`CachedDirectorySource` keeps what it
        read while it stays the same."""
        with self._unit(write=False) as tx:
            return tx.revision()

    def _directory_changes(
        self, revision: int, limit: int
    ) -> tuple[list[tuple[str, str]] | None, list[Service]]:
        """The directory records changed since ``revision`` (None: not known, see
        :meth:`EngineTransaction.changes_since`), and the changed services as they
        are now (those still there)."""
        kinds = [record_type.kind for record_type in DIRECTORY_RECORD_TYPES]
        with self._unit(write=False) as tx:
            changes = tx.changes_since(kinds, revision, limit)
            if not changes:
                return changes, []
            ids = [id for kind, id in changes if kind == SERVICES.kind]
            current = [self._read(SERVICES, record) for record in tx.get_many(SERVICES.kind, ids)]
        return changes, current

    def _load_for(
        self, code: str | None, wanted: frozenset[str] | None, named: frozenset[str]
    ) -> tuple[int | None, Directory]:
        """:meth:`load_directory_for` and the revision it was read at, together."""
        areas = {"national", *(f"p:{number:02d}" for number in range(1, 48))}
        if code is not None:
            areas.add(f"m:{code}")
        with self._unit(write=False) as tx:
            reader = _TxReader(self, tx)
            meta = reader.load(META, META_ID)
            extension = _parents_first(reader.load_all(NEEDS))
            kinds = reader.load_all(AGENCY_KINDS)
            conditions = [Condition("area", frozenset(areas))]
            if wanted is not None:
                taxonomy = self._taxonomy(extension)
                related: set[str] = set()
                for need in wanted:
                    related |= candidate_needs(taxonomy, need)
                if self.capabilities.candidate_index:  # one index range per pair
                    pairs = {need_area_key(need, area) for need in related for area in areas}
                    conditions = [Condition("need_area", frozenset(pairs))]
                else:
                    conditions.append(Condition("need", frozenset(related)))
            found = {}
            if all(condition.values for condition in conditions):
                found = {record.id: record for record in tx.scan(SERVICES.kind, conditions)}
            missing = sorted(named - found.keys())
            if missing:
                found.update((record.id, record) for record in tx.get_many(SERVICES.kind, missing))
            chosen = [self._read(SERVICES, found[id]) for id in sorted(found)]
            agency_ids = sorted({service.agency_id for service in chosen})
            agencies = [
                self._read(AGENCIES, record) for record in tx.get_many(AGENCIES.kind, agency_ids)
            ]
            revision = tx.revision()
        directory = self._directory(meta, extension, kinds, agencies, chosen)
        # The services decoded before are the same objects (the decoded-record cache):
        # the index of the last part has their facts and parts worked out already.
        self._last_index = MatchIndex.of(directory, like=self._last_index)
        return revision, directory

    def _taxonomy(self, extension: Sequence[Need]) -> NeedTaxonomy:
        try:
            return default_taxonomy().extended(extension) if extension else default_taxonomy()
        except ValidationError as error:
            raise StorageError(
                f"the needs in {self.url} are inconsistent at: {', '.join(error.paths[:10])}"
            ) from None

    def _directory(
        self,
        meta: DirectoryMeta | None,
        needs: Sequence[Need],
        kinds: Sequence[AgencyKind],
        agencies: Sequence[Agency],
        services: Sequence[Service],
    ) -> Directory:
        try:
            return Directory(
                agencies=agencies,
                services=services,
                meta=meta if meta is not None else Directory().meta,
                needs=needs,
                agency_kinds=kinds,
            )
        except ValidationError as error:
            raise StorageError(
                f"the directory in {self.url} is inconsistent at: {', '.join(error.paths[:10])}"
            ) from None

    # -- upkeep -----------------------------------------------------------------
    def integrity_check(self) -> list[str]:
        """Problems with the store: the backend's own check, then every record read
        back, the audit trail verified (:meth:`AuditLog.verify`: the hash chain,
        its head, and the event of each case and referral version), and the
        directory validated as a whole.  Empty when sound."""
        self._check_open()
        problems = list(self._engine_call("integrity check", self._engine.integrity_check))
        if self._engine.schema_version() <= 0:
            problems.append("the store has no schema version")
        with self._unit(write=False) as tx:
            for record_type in _ALL_RECORD_TYPES:
                for record in tx.scan(record_type.kind):
                    try:
                        item = _decode(record_type, record)
                    except StorageError as error:
                        problems.append(str(error))
                        continue
                    if record_type.id_of(item) != record.id:
                        problems.append(f"{record_type.label} {record.id!r} holds another id")
            problems += _verify_audit(tx).problems
        if not problems:
            try:
                self.load_directory()
            except StorageError as error:
                problems.append(str(error))
        return problems

    def info(self) -> StoreInfo:
        """The backend, schema version, capabilities and how many records of each kind."""
        with self._unit(write=False) as tx:
            kinds = _ALL_RECORD_TYPES
            counts = {rt.kind: tx.count(rt.kind) for rt in kinds}
        return StoreInfo(
            url=self.url,
            scheme=self.scheme,
            schema_version=self._engine.schema_version(),
            capabilities=self.capabilities,
            counts=counts,
            details=dict(self._engine_call("describe", self._engine.describe)),
        )

    def close(self) -> None:
        """Close the store; closing twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._engine_call("close", self._engine.close)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _subset_key(
    municipality: str | None, needs: Iterable[str] | None, services: Iterable[str]
) -> tuple[str | None, frozenset[str] | None, frozenset[str]]:
    """The arguments of :meth:`Store.load_directory_for`, checked and normalised."""
    code = None if municipality is None else _municipality_code(municipality)
    wanted = None if needs is None else _codes_argument(needs, "needs")
    return code, wanted, _codes_argument(services, "services")


CHANGES_LIMIT = 2_000
"""How many changed directory records a :class:`CachedDirectorySource` refreshes one
by one; past that (an import, a big edit) it drops every part instead."""


@attrs.frozen(eq=False)
class _Part:
    directory: Directory
    services: frozenset[str]
    agencies: frozenset[str]


class CachedDirectorySource:
    """What a long-running app gives :func:`~saihan.referral.match` in place of the
    store: the parts of the stored directory it read (:meth:`Store.load_directory_for`),
    kept while they stay true, refreshed from the store's change counter
    (:meth:`Store.revision`).

    A kept part is the same :class:`~saihan.directory.Directory` object, so the
    :class:`~saihan.referral.MatchIndex` built on it (``MatchIndex.of``) is kept
    too: a match for an area and needs already seen costs one read of the counter
    and the match itself.  When the counter has moved, the source asks the backend
    which directory records changed since
    (:meth:`~saihan.storage.engine.EngineTransaction.changes_since`) and drops only
    the parts those could touch: a part holding a changed service or agency, or
    whose area a changed service now covers; any change of the extension needs,
    kinds or meta drops every part, and a write that is no directory record (a
    case, an audit event) drops none.  On a backend that does not answer (or after
    more than :data:`CHANGES_LIMIT` changes, or an import) every part is dropped
    and read again as it is asked for, through the index (never the whole
    directory); on one that keeps no counter (``revision()`` None) every call reads
    afresh.  At most ``size`` parts are kept, the least recently used going first.
    Safe to share between threads.
    """

    def __init__(self, store: Store, *, size: int = 256) -> None:
        if not isinstance(store, Store):
            raise ValidationError([ErrorItem("store", "expected a saihan.storage.Store")])
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValidationError([ErrorItem("size", "expected a whole number of at least 1")])
        self.store = store
        self.size = size
        self._revision: int | None = None
        self._parts: OrderedDict[tuple[Any, ...], _Part] = OrderedDict()
        self._lock = threading.Lock()
        self.reads = 0
        """How many times a part was read from the store (for tests and monitoring)."""
        self.refreshes = 0
        """How many times the counter moved and the changes were looked at."""
        self.dropped = 0
        """How many kept parts a change made the source drop."""

    @property
    def revision(self) -> int | None:
        """The store revision the kept parts are known true at (None before the first)."""
        return self._revision

    def load_directory_for(
        self,
        municipality: str | None,
        needs: Iterable[str] | None = None,
        *,
        services: Iterable[str] = (),
    ) -> Directory:
        """As :meth:`Store.load_directory_for`, from what is kept when no change
        since it was read could have touched it."""
        key = _subset_key(municipality, needs, services)
        now = self.store.revision()
        if now is not None:
            with self._lock:
                if now != self._revision:
                    self._refresh(now)
                found = self._parts.get(key)
                if found is not None:
                    self._parts.move_to_end(key)
                    return found.directory
        read_at, directory = self.store._load_for(*key)
        with self._lock:
            self.reads += 1
            if read_at is not None and read_at == self._revision:
                self._parts[key] = _Part(
                    directory,
                    frozenset(service.id for service in directory.services),
                    frozenset(agency.id for agency in directory.agencies),
                )
                if len(self._parts) > self.size:
                    self._parts.popitem(last=False)
        return directory

    def _refresh(self, now: int) -> None:
        """Drop the parts the changes since the kept revision may touch (under the lock)."""
        before, self._revision = self._revision, now
        if before is None or not self._parts:
            self._parts.clear()
            return
        self.refreshes += 1
        changes, current = self.store._directory_changes(before, CHANGES_LIMIT)
        if changes is None or any(
            kind not in (SERVICES.kind, AGENCIES.kind) for kind, _ in changes
        ):
            self.dropped += len(self._parts)
            self._parts.clear()
            return
        services = {id for kind, id in changes if kind == SERVICES.kind}
        agencies = {id for kind, id in changes if kind == AGENCIES.kind}
        for key, part in list(self._parts.items()):
            code, _, named = key
            if (
                not part.services.isdisjoint(services)
                or not part.agencies.isdisjoint(agencies)
                or any(_may_join(service, code, named) for service in current)
            ):
                del self._parts[key]
                self.dropped += 1


def _may_join(service: Service, code: str | None, named: frozenset[str]) -> bool:
    """Whether a part for ``code`` (and the services ``named``) might hold ``service``
    (its needs are not looked at: dropping a part too many costs one read)."""
    area = service.area
    return (
        service.id in named
        or area.kind is not AreaKind.MUNICIPALITIES
        or (code is not None and code in area.municipality_codes)
    )


def _codes_argument(values: object, path: str) -> frozenset[str]:
    """Codes or ids given as an iterable of strings (not one string)."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError([ErrorItem(path, "expected a list of strings")])
    found = builtins.list(values)
    for position, value in enumerate(found):
        if not isinstance(value, str) or not _storable(value):
            raise ValidationError([ErrorItem(f"{path}[{position}]", "expected a string")])
    return frozenset(found)


def _parents_first(needs: Iterable[Need]) -> list[Need]:
    """Extension needs ordered so that a parent among them comes before its children."""
    pending = {need.code: need for need in needs}
    ordered: list[Need] = []
    placed: set[str] = set()
    while pending:
        ready = [
            need
            for need in pending.values()
            if need.parent is None or need.parent in placed or need.parent not in pending
        ]
        if not ready:  # a cycle: the Directory reports it; keep the rest as they are
            ordered.extend(pending.values())
            break
        for need in ready:
            ordered.append(need)
            placed.add(need.code)
            del pending[need.code]
    return ordered


def _directory_path(record_type: RecordType[Any], position: int, directory: Directory) -> str:
    offsets = {
        "directory_meta": ("meta", None),
        "need": ("needs", 1),
        "agency_kind": ("agency_kinds", 1 + len(directory.needs)),
        "agency": ("agencies", 1 + len(directory.needs) + len(directory.agency_kinds)),
        "service": (
            "services",
            1 + len(directory.needs) + len(directory.agency_kinds) + len(directory.agencies),
        ),
    }
    name, start = offsets[record_type.kind]
    return name if start is None else f"{name}[{position - start}]"


def _decode(record_type: RecordType[T], record: StoredRecord) -> T:
    """A stored document as a model object.  Documents were validated when they
    were written, so this uses the converter directly; the models still check
    themselves.  A document that fails is reported by field path only."""
    try:
        return converter.structure(json.loads(record.document), record_type.model)
    except Exception:
        try:
            structure(json.loads(record.document), record_type.model)
        except ValidationError as error:
            where = ", ".join(error.paths[:5])
        except Exception as error:
            where = type(error).__name__
        else:
            where = "?"
        raise StorageError(
            f"stored {record_type.label} {record.id!r} cannot be read (at: {where})"
        ) from None


class _TxReader:
    """What record types' checks may read: the store as this transaction sees it."""

    def __init__(self, store: Store, tx: EngineTransaction) -> None:
        self._store = store
        self._tx = tx

    def load(self, record_type: RecordType[U], id: str) -> U | None:
        record = self._tx.get(record_type.kind, id)
        return None if record is None else self._store._read(record_type, record)

    def load_where(
        self, record_type: RecordType[U], conditions: Sequence[tuple[str, Iterable[str]]]
    ) -> list[U]:
        found = self._tx.scan(
            record_type.kind, [Condition(name, frozenset(values)) for name, values in conditions]
        )
        return [self._store._read(record_type, record) for record in found]

    def load_all(self, record_type: RecordType[U]) -> list[U]:
        found = self._tx.scan(record_type.kind)
        return [self._store._read(record_type, record) for record in found]


class Repository(Generic[T]):
    """The stored records of one model: get, put, delete, list, with versions.

    Writes check the record against the rest of the store (the agency a
    service names must exist, and so on) and raise
    :class:`~saihan.errors.ValidationError` with the path of each problem.
    """

    def __init__(self, store: Store, record_type: RecordType[T]) -> None:
        _check_sealed(record_type)  # made directly, not through store.repository()
        self._store = store
        self._type = record_type

    @property
    def record_type(self) -> RecordType[T]:
        return self._type

    def __repr__(self) -> str:
        return f"<Repository {self._type.kind} of {self._store.url}>"

    # -- reads ------------------------------------------------------------------
    def get(self, id: str) -> Versioned[T]:
        """The record with ``id``; :class:`~saihan.errors.NotFoundError` if there is none."""
        found = self.find(id)
        if found is None:
            raise NotFoundError(f"no {self._type.label} has id {id!r}")
        return found

    def find(self, id: str) -> Versioned[T] | None:
        """The record with ``id``, or None; :class:`~saihan.errors.AccessDenied` when
        the acting principal may not read it (see ``docs/access.md``)."""
        _check_id(id)
        self._check_reader(id)
        with self._store._unit(write=self._store._audits_reads(self._type)) as tx:
            record = tx.get(self._type.kind, id)
            if record is None:
                return None
            if not self._store._visible(tx, self._type, [record]):
                raise self._store._refuse(self._type, id, Action.READ)
            self._store._record_reads(tx, self._type, [record])
        return self._versioned(record)

    def _check_reader(self, id: str = "all") -> None:
        """Refuse at once a read no record could allow (no principal; the trail
        without the right to read it)."""
        store = self._store
        if self._type.kind == AUDIT_EVENTS.kind:
            if not may(store.principal, Action.READ_AUDIT):
                raise store._refuse(self._type, id, Action.READ_AUDIT)
        elif self._type.kind in _SCOPED and store.principal is None:
            raise store._refuse(self._type, id, Action.READ)

    def __contains__(self, id: object) -> bool:
        """True when a record has ``id`` (never for something that is not an id)."""
        return isinstance(id, str) and bool(ID_RE.match(id)) and self.find(id) is not None

    def list(
        self, *, after: str | None = None, limit: int | None = None
    ) -> builtins.list[Versioned[T]]:
        """Records sorted by id: those with an id after ``after``, at most ``limit``."""
        _check_page(after, limit)
        with self._store._unit(write=self._store._audits_reads(self._type)) as tx:
            return self._scan([], after=after, limit=limit, tx=tx)

    def ids(self) -> builtins.list[str]:
        """Every id the acting principal may read, sorted."""
        self._check_reader()
        with self._store._unit(write=False) as tx:
            if not self._store._audits_reads(self._type):
                return tx.scan_ids(self._type.kind)
            found = self._store._visible(tx, self._type, tx.scan(self._type.kind))
            return [record.id for record in found]

    def count(self) -> int:
        """How many records the acting principal may read."""
        self._check_reader()
        with self._store._unit(write=False) as tx:
            if not self._store._audits_reads(self._type):
                return tx.count(self._type.kind)
            return len(self._store._visible(tx, self._type, tx.scan(self._type.kind)))

    def where(
        self,
        index: str,
        values: str | Iterable[str],
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[Versioned[T]]:
        """Records having an ``index`` entry with one of ``values`` (sorted by id).

        The index entries are those the record type derives (a service's
        ``need``, ``area``, ``agency``; an agency's ``kind``): the generic query a
        new record type gets without code of its own.
        """
        if not isinstance(index, str) or not index:
            raise ValidationError([ErrorItem("index", "expected an index name")])
        wanted = [values] if isinstance(values, str) else builtins.list(values)
        if not all(isinstance(value, str) for value in wanted):
            raise ValidationError([ErrorItem("values", "expected strings")])
        wanted = [value for value in wanted if _storable(value)]  # others match nothing
        _check_page(after, limit)
        with self._store._unit(write=self._store._audits_reads(self._type)) as tx:
            return self._scan(
                [Condition(index, frozenset(wanted))], after=after, limit=limit, tx=tx
            )

    def _versioned(self, record: StoredRecord) -> Versioned[T]:
        return Versioned(self._store._read(self._type, record), record.version)

    def _scan(
        self,
        conditions: Sequence[Condition],
        *,
        after: str | None = None,
        limit: int | None = None,
        tx: EngineTransaction,
        text: TextCondition | None = None,
    ) -> builtins.list[Versioned[T]]:
        """The records the acting principal may read, paged after filtering; their
        reads are audited (one event per record, in this transaction).  ``text``
        only on a backend with ``text_search``."""
        self._check_reader()
        store = self._store
        kind = self._type.kind

        def scan(after: str | None, limit: int | None) -> builtins.list[StoredRecord]:
            if text is None:
                return tx.scan(kind, conditions, after=after, limit=limit)
            return tx.scan_text(kind, conditions, text, after=after, limit=limit)

        if self._type.kind == AUDIT_EVENTS.kind or not store._audits_reads(self._type):
            found = scan(after, limit)
        else:
            found = []
            cursor = after
            batch = 256 if limit is None else max(2 * limit, 16)
            while limit is None or len(found) < limit:
                page = scan(cursor, batch)
                found += store._visible(tx, self._type, page)
                if len(page) < batch:
                    break
                cursor = page[-1].id
            if limit is not None:
                found = found[:limit]
            store._record_reads(tx, self._type, found)
        return [self._versioned(record) for record in found]

    # -- writes -----------------------------------------------------------------
    def put(self, item: T, *, expected_version: ExpectedVersion = None) -> Versioned[T]:
        """Store ``item`` and return it with its new version.

        ``expected_version``: None (the default) creates a record and raises
        :class:`~saihan.errors.ConflictError` if the id is taken; a version
        updates the record only if it is still at that version (else
        ConflictError: someone else changed or deleted it); ``ANY_VERSION``
        writes whatever is there.
        """
        record_type = self._type
        _refuse_internal(record_type)
        if not isinstance(item, record_type.model):
            raise ValidationError(
                [
                    ErrorItem(
                        "",
                        f"expected a {record_type.model.__name__}, got {type(item).__name__}",
                    )
                ]
            )
        _check_expected(expected_version)
        document = _document(item, record_type.label, self._store.capabilities.max_record_bytes)
        id = record_type.id_of(item)
        keys = record_type.keys(item)
        if any("\x00" in part for entry in keys.index for part in entry):
            raise ValidationError([ErrorItem("", "index entries cannot contain NUL characters")])
        with self._store._unit(write=True) as tx:
            tx.prepare_write()
            current = tx.get(record_type.kind, id)
            before = None if current is None else self._store._read(record_type, current)
            self._store._check_change(
                tx, record_type, id, [item] if before is None else [before, item]
            )
            previous = self._previous(id, current, expected_version)
            problems = self._missing(tx, record_type.references(item))
            problems += record_type.check(item, _TxReader(self._store, tx))
            if problems:
                raise ValidationError(problems)
            version = tx.write(record_type.kind, id, document, keys, previous=previous)
            if record_type.audit is not None:
                self._store._write_audit(tx, record_type, before, item, version)
        return Versioned(item, version)

    def delete(self, id: str, *, expected_version: int | AnyVersion) -> None:
        """Delete the record ``id`` if it is at ``expected_version`` (or at any, with
        ``ANY_VERSION``).

        :class:`~saihan.errors.NotFoundError` if there is none;
        :class:`~saihan.errors.ConflictError` if it is at another version or
        other records still refer to it (a service to its agency).
        """
        _refuse_internal(self._type)
        _check_id(id)
        _check_expected(expected_version, allow_none=False)
        label = self._type.label
        with self._store._unit(write=True) as tx:
            tx.prepare_write()
            current = tx.get(self._type.kind, id)
            if current is None:
                self._store._check_change(tx, self._type, id, [])
                raise NotFoundError(f"no {label} has id {id!r}")
            self._store._check_change(tx, self._type, id, [self._store._read(self._type, current)])
            if expected_version is not ANY_VERSION and current.version != expected_version:
                raise ConflictError(
                    f"{label} {id!r} is at version {current.version}, not {expected_version}: "
                    "someone else changed it; reload it before deleting"
                )
            referrers = tx.referrers(self._type.kind, id)
            if referrers:
                named = ", ".join(f"{kind} {ref!r}" for kind, ref in referrers[:5])
                more = f" and {len(referrers) - 5} more" if len(referrers) > 5 else ""
                raise ConflictError(f"{label} {id!r} is still referred to by {named}{more}")
            before = self._store._read(self._type, current)
            # A deletion moves the store's revision (its change counter) as any write
            # does, and its audit event must sort after every earlier event: rewriting
            # the record unchanged takes a fresh revision for it, then the record goes.
            revision = tx.write(
                self._type.kind,
                id,
                current.document,
                self._type.keys(before),
                previous=current.version,
            )
            tx.delete(self._type.kind, id, previous=revision)
            if self._type.audit is not None:
                self._store._write_audit(tx, self._type, before, None, revision)

    def _previous(
        self, id: str, current: StoredRecord | None, expected: ExpectedVersion
    ) -> int | None:
        label = self._type.label
        if expected is ANY_VERSION:
            return None if current is None else current.version
        if expected is None:
            if current is not None:
                raise ConflictError(
                    f"{label} {id!r} already exists (version {current.version}); "
                    "pass expected_version to update it"
                )
            return None
        if current is None:
            raise ConflictError(
                f"{label} {id!r} was expected at version {expected} but does not exist: "
                "someone else deleted it"
            )
        if current.version != expected:
            raise ConflictError(
                f"{label} {id!r} is at version {current.version}, not {expected}: "
                "someone else changed it; reload it and apply your change again"
            )
        return expected

    def _missing(
        self, tx: EngineTransaction, references: Iterable[Reference]
    ) -> builtins.list[ErrorItem]:
        by_kind: dict[str, builtins.list[Reference]] = {}
        for reference in references:
            by_kind.setdefault(reference.kind, []).append(reference)
        problems = []
        for kind, wanted in by_kind.items():
            present = {record.id for record in tx.get_many(kind, {ref.id for ref in wanted})}
            for reference in wanted:
                if reference.id not in present:
                    label = kind.replace("_", " ")
                    problems.append(
                        ErrorItem(reference.path, f"no {label} {reference.id!r} in the store")
                    )
        return problems


_SAIHAN_TYPES: dict[str, RecordType[Any]] = {
    record_type.kind: record_type for record_type in _ALL_RECORD_TYPES
}
"""saihan's own record types by kind: the only objects that may use these kinds."""

_INTERNAL_KINDS = frozenset(kind for kind, rt in _SAIHAN_TYPES.items() if rt.internal)


def _check_sealed(record_type: RecordType[Any]) -> None:
    """Refuse a record type that imitates one of saihan's own kinds."""
    kind = record_type.kind
    if not isinstance(kind, str):
        raise ValidationError([ErrorItem("record_type", "its kind is not a string")])
    own = _SAIHAN_TYPES.get(kind)
    if own is not None and own is not record_type:
        raise ValidationError(
            [
                ErrorItem(
                    "record_type",
                    f"record kind {kind!r} is saihan's own and sealed: only saihan's own "
                    "record type reaches it (use the store's repository, e.g. store.cases); "
                    "give a record type of your own a new kind",
                )
            ]
        )


def _refuse_internal(record_type: RecordType[Any]) -> None:
    _check_sealed(record_type)
    if record_type.internal or record_type.kind in _INTERNAL_KINDS:
        raise ConflictError(
            f"{record_type.label}s are written by the store itself and cannot be written, "
            "changed or deleted through a repository"
        )


class AgencyRepository(Repository[Agency]):
    """Agencies, with a query by agency kind."""

    def by_kind(self, kind: str) -> builtins.list[Versioned[Agency]]:
        """Agencies of ``kind`` (bundled or stored), sorted by id."""
        _check_id(kind, "kind")
        with self._store._unit(write=False) as tx:
            _known_kind(tx, kind)
            return self._scan([Condition("kind", frozenset({kind}))], tx=tx)


def _known_kind(tx: EngineTransaction, kind: str) -> None:
    bundled = {item.code for item in default_agency_kinds()}
    if kind not in bundled and tx.get(AGENCY_KINDS.kind, kind) is None:
        raise NotFoundError(f"unknown agency kind {kind!r}")


class ServiceRepository(Repository[Service]):
    """Services, with the directory's queries pushed down to the backend."""

    def search(
        self,
        *,
        need: str | None = None,
        municipality: str | None = None,
        kind: str | None = None,
        agency_id: str | None = None,
        text: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[Versioned[Service]]:
        """Services matching every criterion given, sorted by id (paged by
        ``after`` and ``limit``).

        - ``need``: a service for the need, a sub-need or a broader need matches,
          as in :meth:`Directory.search <saihan.directory.Directory.search>`;
        - ``municipality``: a code or name; the service area must cover it
          (listed municipalities, the whole prefecture, or national);
        - ``kind``: the agency kind of the service's agency;
        - ``agency_id``: the services of one agency;
        - ``text``: every word must appear in the service's name or description
          or its agency's name, ignoring width, kana type and case, exactly as
          in :meth:`Directory.search <saihan.directory.Directory.search>`.  A
          backend with ``text_search`` answers it from its own index (PostgreSQL:
          a ``pg_trgm`` index); others by filtering the decoded services.

        Unknown needs, kinds and agencies raise NotFoundError; a malformed
        municipality code raises ValidationError.
        """
        _check_page(after, limit)
        if text is not None and not isinstance(text, str):
            raise ValidationError([ErrorItem("text", f"expected a string, got {text!r}")])
        words = None if text is None else normalize_for_search(text).split()
        if need is not None:
            _check_id(need, "need")
        if kind is not None:
            _check_id(kind, "kind")
        if agency_id is not None:
            _check_id(agency_id, "agency_id")
        code = None if municipality is None else _municipality_code(municipality)
        with self._store._unit(write=False) as tx:
            conditions: builtins.list[Condition] = []
            if need is not None:
                conditions.append(Condition("need", _need_codes(tx, self._store, need)))
            if code is not None:
                values = {f"m:{code}", f"p:{code[:2]}", "national"}
                conditions.append(Condition("area", frozenset(values)))
            if agency_id is not None:
                if tx.get(AGENCIES.kind, agency_id) is None:
                    raise NotFoundError(f"no agency has id {agency_id!r}")
                conditions.append(Condition("agency", frozenset({agency_id})))
            if kind is not None:
                _known_kind(tx, kind)
                agencies = tx.scan_ids(AGENCIES.kind, [Condition("kind", frozenset({kind}))])
                conditions.append(Condition("agency", frozenset(agencies)))
            if not words:
                return self._scan(conditions, after=after, limit=limit, tx=tx)
            if not all(_storable(word.replace("\x00", "")) for word in words):
                self._check_reader()
                return []  # a lone surrogate: no stored text has one
            backend_can = not any("\ufffd" in word or "\x00" in word for word in words)
            if self._store.capabilities.text_search and backend_can:
                found = TextCondition(tuple(words), frozenset({AGENCIES.kind}))
                return self._scan(conditions, after=after, limit=limit, tx=tx, text=found)
            return self._filter_text(conditions, words, after=after, limit=limit, tx=tx)

    def _filter_text(
        self,
        conditions: Sequence[Condition],
        words: Sequence[str],
        *,
        after: str | None,
        limit: int | None,
        tx: EngineTransaction,
    ) -> builtins.list[Versioned[Service]]:
        """The text search of a backend without ``text_search`` (and of words with
        NUL or U+FFFD, which a backend's texts cannot tell apart): every service
        the other conditions find, checked here."""
        candidates = self._scan(conditions, after=after, tx=tx)
        agency_ids = {found.value.agency_id for found in candidates}
        agency_keys = {
            record.id: agency_search_key(self._store._read(AGENCIES, record))
            for record in tx.get_many(AGENCIES.kind, agency_ids)
        }
        kept = []
        for found in candidates:
            agency_key = agency_keys.get(found.value.agency_id, "")
            key = f"{service_search_key(found.value)}\n{agency_key}"
            if all(word in key for word in words):
                kept.append(found)
                if limit is not None and len(kept) >= limit:
                    break
        return kept

    def by_need(self, need: str) -> builtins.list[Versioned[Service]]:
        """Services for ``need``, its sub-needs or its broader needs."""
        return self.search(need=need)

    def by_municipality(self, municipality: str) -> builtins.list[Versioned[Service]]:
        """Services whose area covers the municipality (code or name)."""
        return self.search(municipality=municipality)

    def by_kind(self, kind: str) -> builtins.list[Versioned[Service]]:
        """Services run by agencies of ``kind``."""
        return self.search(kind=kind)

    def by_agency(self, agency_id: str) -> builtins.list[Versioned[Service]]:
        """The services of one agency."""
        return self.search(agency_id=agency_id)


def _need_codes(tx: EngineTransaction, store: Store, need: str) -> frozenset[str]:
    taxonomy: NeedTaxonomy = default_taxonomy()
    extension = _TxReader(store, tx).load_all(NEEDS)
    if extension:
        taxonomy = taxonomy.extended(_parents_first(extension))
    if need not in taxonomy:
        raise NotFoundError(f"unknown need code {need!r}")
    return taxonomy.descendants(need) | frozenset(taxonomy.ancestors(need))


def _legal_situation(value: object) -> str:
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return LegalSituation(value).value
    except ValueError:
        known = ", ".join(item.value for item in LegalSituation)
        raise ValidationError(
            [ErrorItem("legal_situation", f"expected one of {known}, got {value!r}")]
        ) from None


def _day(value: object, path: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError([ErrorItem(path, f"expected a date, got {type(value).__name__}")])
    return value


class CaseRepository(Repository[ConsultationCase]):
    """Consultation cases, with queries pushed down to the backend.

    Cases are special care-required personal information: nothing here logs
    them, and errors name a case's id and field paths, never its values.
    """

    def search(
        self,
        *,
        municipality: str | None = None,
        residence: str | None = None,
        worker: str | None = None,
        need: str | None = None,
        legal_situation: str | None = None,
        received_from: dt.date | None = None,
        received_to: dt.date | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[Versioned[ConsultationCase]]:
        """Cases matching every criterion given, sorted by id (paged by ``after``
        and ``limit``).

        - ``municipality``: the municipality handling the case, and ``residence``:
          where the subject lives (codes or names);
        - ``worker``: the worker in charge; ``legal_situation``: its value;
        - ``need``: cases raising the need or one of its sub-needs (bundled or
          stored); a code the taxonomy does not know matches itself only;
        - ``received_from``, ``received_to``: days received (inclusive; either
          may be left out), in each case's own UTC offset.
        """
        _check_page(after, limit)
        conditions: builtins.list[Condition] = []
        if municipality is not None:
            code = _municipality_code(municipality)
            conditions.append(Condition("municipality", frozenset({code})))
        if residence is not None:
            code = _municipality_code(residence, "residence")
            conditions.append(Condition("residence", frozenset({code})))
        if worker is not None:
            conditions.append(Condition("worker", frozenset({_check_id(worker, "worker")})))
        if legal_situation is not None:
            situation = _legal_situation(legal_situation)
            conditions.append(Condition("legal_situation", frozenset({situation})))
        if received_from is not None or received_to is not None:
            first = dt.date.min if received_from is None else _day(received_from, "received_from")
            last = dt.date.max if received_to is None else _day(received_to, "received_to")
            conditions.append(Condition("received", received_cover(first, last)))
        if need is not None:
            _check_id(need, "need")
        with self._store._unit(write=self._store._audits_reads(self._type)) as tx:
            if need is not None:
                conditions.append(Condition("need", _case_need_codes(tx, self._store, need)))
            return self._scan(conditions, after=after, limit=limit, tx=tx)

    def by_municipality(self, municipality: str) -> builtins.list[Versioned[ConsultationCase]]:
        """Cases handled by the municipality (code or name)."""
        return self.search(municipality=municipality)

    def by_worker(self, worker: str) -> builtins.list[Versioned[ConsultationCase]]:
        """Cases of one worker."""
        return self.search(worker=worker)

    def by_need(self, need: str) -> builtins.list[Versioned[ConsultationCase]]:
        """Cases raising ``need`` or one of its sub-needs."""
        return self.search(need=need)


def _case_need_codes(tx: EngineTransaction, store: Store, need: str) -> frozenset[str]:
    taxonomy: NeedTaxonomy = default_taxonomy()
    extension = _TxReader(store, tx).load_all(NEEDS)
    if extension:
        taxonomy = taxonomy.extended(_parents_first(extension))
    return taxonomy.descendants(need) if need in taxonomy else frozenset({need})


class VersionedRepository(Repository[T]):
    """Documents kept one record per version, a stored version never changing
    (rule sets and flows: plans name the id and version they used).  The
    record id is :func:`rule_set_record_id` of the id and version; writing
    other content under a stored version raises
    :class:`~saihan.errors.ValidationError` (``version``).  The record type
    indexes each record by its id under an entry named as its kind.
    """

    def find_version(self, id: str, version: str) -> Versioned[T] | None:
        """One version, or None."""
        _check_id(id, f"{self._type.kind}_id")
        if not isinstance(version, str) or not version:
            raise ValidationError([ErrorItem("version", "expected a non-empty string")])
        return self.find(rule_set_record_id(id, version))

    def get_version(self, id: str, version: str) -> Versioned[T]:
        """One version; :class:`~saihan.errors.NotFoundError` if it is not stored."""
        found = self.find_version(id, version)
        if found is None:
            label = self._type.label
            raise NotFoundError(f"no {label} {id!r} version {version!r} is stored")
        return found

    def versions(self, id: str) -> builtins.list[Versioned[T]]:
        """Every stored version, in the order they were last written."""
        _check_id(id, f"{self._type.kind}_id")
        return sorted(self.where(self._type.kind, id), key=lambda item: item.version)

    def latest(self, id: str) -> Versioned[T]:
        """The version written last (rewriting an unchanged version counts as
        writing it); NotFoundError when none is stored."""
        found = self.versions(id)
        if not found:
            raise NotFoundError(f"no version of {self._type.label} {id!r} is stored")
        return found[-1]


class RuleSetRepository(VersionedRepository[RuleSet]):
    """Referral rule sets, one record per version (see :class:`VersionedRepository`)."""

    def for_plan(self, plan: ReferralPlan) -> Versioned[RuleSet]:
        """The rule set version a plan was made with; NotFoundError if not stored."""
        return self.get_version(plan.rules_id, plan.rules_version)


class FlowRepository(VersionedRepository[Flow]):
    """Support flows, one record per version (see :class:`VersionedRepository`)."""

    def for_plan(self, plan: ReferralPlan) -> Versioned[Flow]:
        """The flow version a plan followed; NotFoundError if it is not stored or the
        plan followed none."""
        if plan.flow is None:
            raise NotFoundError(f"the plan of case {plan.case_id!r} followed no flow")
        return self.get_version(plan.flow.flow_id, plan.flow.flow_version)


class PlanRepository(Repository[ReferralPlan]):
    """Referral plans, one per case and moment (see :func:`plan_record_id`).

    Plans are append-only in spirit: each records what was proposed at its
    ``at``; match again to make a new one rather than updating an old one.
    """

    def find_plan(self, case_id: str, at: dt.datetime) -> Versioned[ReferralPlan] | None:
        """The plan for ``case_id`` at ``at``, or None."""
        return self.find(plan_record_id(case_id, at))

    def for_case(
        self, case_id: str, *, after: str | None = None, limit: int | None = None
    ) -> builtins.list[Versioned[ReferralPlan]]:
        """A case's plans, oldest first (their ids sort by time)."""
        _check_id(case_id, "case_id")
        return self.where("case", case_id, after=after, limit=limit)

    def latest_for_case(self, case_id: str) -> Versioned[ReferralPlan] | None:
        """A case's most recent plan (latest ``at``), or None."""
        found = self.for_case(case_id)
        return found[-1] if found else None


class ReferralRepository(Repository[Referral]):
    """Referrals, with queries by case, status and service pushed down to the backend.

    Writes are checked against the store (see
    :mod:`saihan.storage.referral_records`): the history only grows, and every
    status that hands the person's information on is covered by consent.
    :mod:`saihan.casework` makes the changes with their audit actor.
    """

    def for_case(self, case_id: str) -> builtins.list[Versioned[Referral]]:
        """A case's referrals, sorted by id."""
        _check_id(case_id, "case_id")
        return self.where("case", case_id)

    def open(
        self, *, after: str | None = None, limit: int | None = None
    ) -> builtins.list[Versioned[Referral]]:
        """Referrals not yet in an ended status, sorted by id."""
        return self.where("open", "yes", after=after, limit=limit)

    def requested_between(
        self, start: dt.datetime, end: dt.datetime
    ) -> builtins.list[Versioned[Referral]]:
        """Referrals first requested (:attr:`~saihan.referral.Referral.requested_at`)
        at or after ``start`` and before ``end`` (datetimes with their UTC offsets),
        sorted by id; ValidationError (``start``, ``end``) otherwise.

        Pushed down to the backend as the ``requested`` index entries of the UTC
        days from ``start`` to ``end`` (whole years and months where they fit, as
        :meth:`CaseRepository.search` does with days received), then kept exactly;
        the referrals of the edge days that fall outside are read (and their reads
        audited) but not returned.
        """
        problems = [
            ErrorItem(path, "give a datetime with its UTC offset")
            for path, value in (("start", start), ("end", end))
            if not isinstance(value, dt.datetime) or value.utcoffset() is None
        ]
        if problems:
            raise ValidationError(problems)
        if end <= start:
            return []
        first = start.astimezone(dt.UTC).date()
        last = (end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
        values = received_cover(first, last) | {REQUESTED_UNKNOWN}
        with self._store._unit(write=self._store._audits_reads(self._type)) as tx:
            found = self._scan([Condition("requested", values)], tx=tx)
        return [
            item
            for item in found
            if (at := item.value.requested_at) is not None and start <= at < end
        ]

    def by_status(self, status: ReferralStatus | str) -> builtins.list[Versioned[Referral]]:
        """Referrals now in ``status``."""
        try:
            wanted = ReferralStatus(status)
        except ValueError:
            known = ", ".join(item.value for item in ReferralStatus)
            raise ValidationError(
                [ErrorItem("status", f"{status!r} is not one of {known}")]
            ) from None
        return self.where("status", wanted.value)

    def for_service(self, service_id: str) -> builtins.list[Versioned[Referral]]:
        """Referrals to one service."""
        _check_id(service_id, "service_id")
        return self.where("service", service_id)


class EventRepository(Repository[Event]):
    """Events, with queries by organiser, municipality, audience and month."""

    def for_organiser(self, organiser: str) -> builtins.list[Versioned[Event]]:
        return self.where("organiser", _check_id(organiser, "organiser"))

    def for_municipality(self, municipality: str) -> builtins.list[Versioned[Event]]:
        """Events for ``municipality`` (a JIS X 0402 code or a name), and those for all
        of Tokyo."""
        code = _municipality_code(municipality)
        return self.where("municipality", [code, "all"])

    def for_audience(self, audience: str) -> builtins.list[Versioned[Event]]:
        from saihan.outreach.event import EventAudience

        try:
            value = EventAudience(audience).value
        except ValueError:
            raise ValidationError(
                [ErrorItem("audience", f"{audience!r} is not one of {', '.join(EventAudience)}")]
            ) from None
        return self.where("audience", value)

    def between(self, first: dt.date, last: dt.date) -> builtins.list[Versioned[Event]]:
        """Events starting on ``first..last`` (in each event's zone), by start then id."""
        first, last = _day(first, "first"), _day(last, "last")
        months: builtins.list[str] = []
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        found = [
            item
            for item in self.where("month", months)
            if first <= item.value.local_start.date() <= last
        ]
        return sorted(found, key=lambda item: (item.value.start, item.value.id))


class RegistrationRepository(Repository[Registration]):
    """Registrations (personal data), with the queries the waiting list needs."""

    def for_event(self, event_id: str) -> builtins.list[Versioned[Registration]]:
        """The event's registrations the acting principal may read, in the order they
        were made (``registered_at``, then id)."""
        found = self.where("event", _check_id(event_id, "event_id"))
        return sorted(found, key=lambda item: (item.value.registered_at, item.value.id))

    def waiting(self, event_id: str) -> builtins.list[Versioned[Registration]]:
        """The waiting list of the event, first come first."""
        return [
            item
            for item in self.for_event(event_id)
            if item.value.status is RegistrationStatus.WAITING
        ]


class SubscriberRepository(Repository[Subscriber]):
    """Newsletter subscribers (personal data)."""

    def by_token(self, token: str) -> Versioned[Subscriber] | None:
        """The subscriber whose unsubscribe token is ``token`` (found by its digest)."""
        if not isinstance(token, str):
            raise ValidationError([ErrorItem("token", "expected a string")])
        found = self.where("token", token_digest(token))
        return next((item for item in found if item.value.token == token), None)

    def active(self) -> builtins.list[Versioned[Subscriber]]:
        """Subscribers who consented and have not unsubscribed."""
        return self.where("active", "yes")


class AuditLog:
    """The audit trail, read-only: events are written by the store with each change.

    Events sort by id in the order their changes were committed.
    """

    def __init__(self, store: Store) -> None:
        self._repository = Repository(store, AUDIT_EVENTS)

    def __repr__(self) -> str:
        return f"<AuditLog of {self._repository._store.url}>"

    def list(
        self, *, after: str | None = None, limit: int | None = None
    ) -> builtins.list[AuditEvent]:
        """Events in commit order: those after the id ``after``, at most ``limit``."""
        return [item.value for item in self._repository.list(after=after, limit=limit)]

    def get(self, id: str) -> AuditEvent:
        return self._repository.get(id).value

    def count(self) -> int:
        return self._repository.count()

    def for_record(self, kind: str, id: str) -> builtins.list[AuditEvent]:
        """Every event of one record (``kind`` is ``case`` or ``referral``), in order."""
        _check_id(kind, "kind")
        _check_id(id)
        return [item.value for item in self._repository.where("record", f"{kind}:{id}")]

    def by_actor(self, actor: str) -> builtins.list[AuditEvent]:
        """Every event of one actor, in order."""
        _check_id(actor, "actor")
        return [item.value for item in self._repository.where("actor", actor)]

    def verify(self) -> AuditVerification:
        """Check the hash chain from its start to its head, and that every stored
        case and referral version has its event (recording that very document)
        and every change event's record still exists unless a later event
        deleted it.  Problems name event and record ids, never field values."""
        with self._repository._store._unit(write=False) as tx:
            return _verify_audit(tx)

    def on_days(self, first: dt.date, last: dt.date) -> builtins.list[AuditEvent]:
        """Events made on the UTC days ``first..last`` (inclusive), in order."""
        first = _day(first, "first")
        last = _day(last, "last")
        if last < first:
            return []
        days = []
        day = first
        while day <= last:
            days.append(day.isoformat())
            day += dt.timedelta(days=1)
        return [item.value for item in self._repository.where("day", days)]


class SingletonRepository(Generic[T]):
    """A record of which a store holds at most one (the directory's meta)."""

    def __init__(self, store: Store, record_type: RecordType[T], id: str) -> None:
        self._repository = Repository(store, record_type)
        self._id = id

    def get(self) -> Versioned[T]:
        """The record; :class:`~saihan.errors.NotFoundError` when it was never set."""
        return self._repository.get(self._id)

    def find(self) -> Versioned[T] | None:
        return self._repository.find(self._id)

    def put(self, item: T, *, expected_version: ExpectedVersion = None) -> Versioned[T]:
        """Set the record (see :meth:`Repository.put` for ``expected_version``)."""
        return self._repository.put(item, expected_version=expected_version)

    def delete(self, *, expected_version: int | AnyVersion) -> None:
        self._repository.delete(self._id, expected_version=expected_version)


_CHANGE_ACTIONS = frozenset(
    {
        AuditAction.CREATED,
        AuditAction.UPDATED,
        AuditAction.CONSENT_GIVEN,
        AuditAction.CONSENT_WITHDRAWN,
        AuditAction.CONSENT_REFUSED,
        AuditAction.CLOSED,
        AuditAction.REOPENED,
        AuditAction.STATUS_CHANGED,
        AuditAction.FOLLOWED_UP,
    }
)
"""Events that record a version written (their record must exist unless deleted later)."""


def _verify_audit(tx: EngineTransaction) -> AuditVerification:
    """The audit trail as :meth:`AuditLog.verify` checks it, in one transaction."""
    problems: list[str] = []
    events: dict[str, dict[str, Any]] = {}
    previous, last_id, chained, legacy, broken = GENESIS_DIGEST, None, 0, 0, False
    for record in tx.scan(AUDIT_EVENTS.kind):
        try:
            data = json.loads(record.document)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            problems.append(f"audit event {record.id!r}: its document is not a JSON object")
            broken = True
            continue
        events[record.id] = data
        if broken:
            continue
        link, digest = data.get("previous"), data.get("digest")
        if link is None and digest is None and chained == 0:
            legacy += 1  # written before the chain began
            continue
        if link != previous:
            before = "the genesis value" if last_id is None else f"the digest of {last_id!r}"
            problems.append(
                f"audit event {record.id!r}: broken link: its previous digest is not {before} "
                "(an event before it was deleted or changed, or this one was inserted)"
            )
            broken = True
        elif digest != event_digest(data):
            problems.append(
                f"audit event {record.id!r}: its digest does not match its content "
                "(the event was changed after it was written)"
            )
            broken = True
        else:
            previous, last_id, chained = digest, record.id, chained + 1
    head_record = tx.get(AUDIT_CHAIN.kind, AUDIT_CHAIN_HEAD_ID)
    head: AuditChainHead | None = None
    if head_record is not None:
        try:
            head = converter.structure(json.loads(head_record.document), AuditChainHead)
        except Exception:
            problems.append("the audit chain head cannot be read")
    if not broken:
        if head_record is None and chained:
            problems.append(f"the audit chain head is missing ({chained} chained events)")
        elif head is not None and (head.event_id, head.digest) != (last_id, previous):
            problems.append(
                f"the audit chain head names event {head.event_id!r}, but the chain ends at "
                f"{last_id!r}: "
                + (
                    "the newest events were deleted"
                    if last_id is None or last_id < head.event_id
                    else "events were added without moving the head"
                )
            )
        elif head is not None and (head.count, head.legacy) != (chained, legacy):
            problems.append(
                f"the audit chain head counts {head.count} chained and {head.legacy} earlier "
                f"events; the store holds {chained} and {legacy}"
            )
    problems += _audit_coverage(tx, events)
    return AuditVerification(
        events=len(events),
        chained=chained,
        head_digest=None if head is None else head.digest,
        problems=tuple(problems),
    )


def _audit_coverage(tx: EngineTransaction, events: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every case and referral version has its event; every change event's record exists."""
    problems: list[str] = []
    for record_type in _AUDITED:
        for record in tx.scan(record_type.kind):
            name = f"{record_type.label} {record.id!r} version {record.version}"
            event_id = audit_event_id(record.version)
            event = events.get(event_id)
            if event is None:
                problems.append(f"{name} has no audit event")
                continue
            if (event.get("record_kind"), event.get("record_id"), event.get("version")) != (
                record_type.kind,
                record.id,
                record.version,
            ):
                problems.append(f"{name}: audit event {event_id!r} is of another record")
                continue
            recorded = event.get("record_digest")
            if recorded is None:
                continue  # written before events recorded their documents
            try:
                actual = canonical_digest(json.loads(record.document))
            except ValueError:
                actual = None
            if recorded != actual:
                problems.append(
                    f"{name} differs from what audit event {event_id!r} recorded "
                    "(changed without an audit event)"
                )
    deleted: dict[tuple[object, object], str] = {}
    for event_id, event in events.items():
        if event.get("action") == AuditAction.DELETED.value:
            key = (event.get("record_kind"), event.get("record_id"))
            deleted[key] = max(deleted.get(key, event_id), event_id)
    audited = {record_type.kind: record_type for record_type in _AUDITED}
    for event_id, event in events.items():
        kind, id = event.get("record_kind"), event.get("record_id")
        if event.get("action") not in _CHANGE_ACTIONS or kind not in audited:
            continue
        if deleted.get((kind, id), "") > event_id:
            continue
        if not isinstance(id, str) or tx.get(audited[str(kind)].kind, id) is None:
            problems.append(
                f"audit event {event_id!r}: its {kind} {id!r} is missing and no event deleted it"
            )
    return problems

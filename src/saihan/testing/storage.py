"""Conformance tests for storage backends, for plugin authors to run on their own.

Subclass :class:`StoreConformance` in a test module and give it a
``store_url`` fixture that names a fresh, empty store of your backend for each
test (a file in ``tmp_path``, a database schema you create and drop)::

    import pytest
    from saihan.testing.storage import StoreConformance

    class TestMyBackend(StoreConformance):
        @pytest.fixture
        def store_url(self, tmp_path):
            return f"mybackend://{tmp_path}/store"

Every test opens the store with :func:`saihan.storage.open`, so the backend
must be installed (its entry point registered), as users will have it.  The
suite covers every repository operation, versions and conflicts, references,
queries by need, municipality and kind (against :meth:`Directory.search`),
transactions and their rollback, bulk import and its atomicity, Japanese and
hostile text, large records, a Hypothesis state machine that runs random
operations on the backend and on the ``memory`` backend and demands the same
answers, and, for backends that declare it, processes killed mid-write and
processes writing at once.  Tests of what a backend's
:class:`~saihan.storage.Capabilities` say it cannot do are skipped with that
reason.  Class attributes tune the Hypothesis tests (``hypothesis_examples``,
``stateful_steps``).

This module requires pytest and Hypothesis (``saihan[test]``).  Run as
``python -m saihan.testing.storage`` it is the worker the multi-process
tests start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from saihan import storage
from saihan.access import Principal, Role
from saihan.directory import (
    Address,
    Agency,
    AgencyKind,
    Audience,
    Channel,
    ContactPoint,
    Directory,
    DirectoryMeta,
    LocalizedText,
    Location,
    Need,
    Service,
    ServiceArea,
    default_agency_kinds,
    default_taxonomy,
    tokyo_municipalities,
)
from saihan.directory.vocabulary import (
    ConsentDecision,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
    Relation,
)
from saihan.errors import (
    AccessDenied,
    ConflictError,
    NotFoundError,
    SaihanError,
    ValidationError,
)
from saihan.outreach import Event, EventAudience, EventStatus
from saihan.outreach import EventKind as OutreachEventKind
from saihan.referral import (
    AuditAction,
    AuditEvent,
    Consent,
    ConsultationCase,
    EventKind,
    RaisedNeed,
    Referral,
    ReferralEvent,
    ReferralPlan,
    ReferralStatus,
    RelativeSituation,
    RuleSet,
    Subject,
    Urgency,
    bundled_flow,
    default_rules,
    match,
    match_needs,
)
from saihan.referral.audit import GENESIS_DIGEST, canonical_digest, event_digest
from saihan.serialization import from_json, structure
from saihan.storage import (
    ANY_VERSION,
    Capabilities,
    ImportProgress,
    RecordType,
    Reference,
    Store,
    Versioned,
)
from saihan.storage.engine import RecordKeys, StoredRecord
from saihan.storage.referral_records import (
    AUDIT_CHAIN,
    AUDIT_CHAIN_HEAD_ID,
    AUDIT_EVENTS,
    CASES,
    REFERRALS,
    plan_record_id,
    rule_set_record_id,
)
from saihan.storage.store import AuditVerification, Repository
from saihan.testing.outreach_conformance import OutreachConformance

__all__ = [
    "HOSTILE_STRINGS",
    "StoreConformance",
    "canonical",
    "kana_variants",
    "small_directory",
    "synthetic_directory",
    "text_queries",
]

T = TypeVar("T")

HACHIOJI = "132012"
SHINJUKU = "131041"
CHIYODA = "131016"
OSAKA_CITY = "271004"

HOSTILE_STRINGS: tuple[str, ...] = (
    "'; DROP TABLE saihan_records; --",
    'Robert"); DROP TABLE students;--',
    "nul\x00inside",
    "back\\slash \\N \\. \\\\",
    "tab\tnew\nline\rreturn",
    "%s %(name)s ? :name $1 {}",
    "\u202eright-to-left override",
    "zero\u200bwidth\ufeffbom",
    "𠮷野家の🍚と髙橋さん",
    "ﾊﾝｶｸｶﾀｶﾅ　と　全角ＡＢＣ",
    "か\u3099 (combining dakuten)",
    "\x01\x02\x7f control",
)
"""Strings that break naive storage code: quotes, SQL, NUL, escapes, odd Unicode.

No lone surrogate: that is not valid Unicode text, and models refuse it when built."""


_HOSTILE_SECRETS = tuple(text for text in HOSTILE_STRINGS if text.strip())


def _text(ja: str, en: str | None = None) -> LocalizedText:
    return LocalizedText(ja=ja, en=en)


def small_directory(marker: str = "small") -> Directory:
    """A small directory touching every feature the queries use.

    Four agencies (one of an extension kind, one with a confidential
    location), seven services with municipality, prefecture and national
    areas, one extension need under ``housing`` and one agency kind.
    ``marker`` becomes the meta name, to tell directories apart.
    """
    food = Need(
        code="welfare.food-bank", label=_text("フードバンク", "Food bank"), parent="welfare"
    )
    pantry = AgencyKind(code="community-pantry", name=_text("地域の食品庫"), needs=frozenset())
    agencies = [
        Agency(
            id="hachioji-welfare",
            name=_text("八王子市福祉事務所", "Hachioji welfare office"),
            kind="welfare_office",
            contacts=(ContactPoint(Channel.PHONE, "042-000-0001"),),
            locations=(Location(id="main", address=Address(municipality_code=HACHIOJI)),),
        ),
        Agency(
            id="hw-shinjuku",
            name=_text("ハローワーク新宿", "Hello Work Shinjuku"),
            kind="hello_work",
        ),
        Agency(
            id="halfway",
            name=_text("更生保護施設サンプル寮"),
            kind="rehabilitation_facility",
            locations=(
                Location(
                    id="house",
                    address=Address(municipality_code=SHINJUKU, street="秘密1-1"),
                    confidential=True,
                ),
            ),
        ),
        Agency(id="pantry", name=_text("みんなの食品庫"), kind=pantry.code),
    ]

    def service(id: str, agency: str, needs: set[str], area: ServiceArea, **extra: Any) -> Service:
        return Service(
            id=id,
            agency_id=agency,
            name=_text(f"サービス {id}", f"Service {id}"),
            area=area,
            needs=frozenset(needs),
            audiences=frozenset({Audience.PERSON}),
            **extra,
        )

    services = [
        service("welfare-assist", "hachioji-welfare", {"welfare.public_assistance"},
                ServiceArea.of(HACHIOJI)),
        service("welfare-housing", "hachioji-welfare", {"housing"}, ServiceArea.of(HACHIOJI),
                contacts=(ContactPoint(Channel.VISIT, "main"),), location_ids=("main",)),
        service("hw-job", "hw-shinjuku", {"employment.job_search"}, ServiceArea.tokyo()),
        service("halfway-stay", "halfway", {"housing.transitional"}, ServiceArea.tokyo(),
                location_ids=("house",)),
        service("legal-line", "hw-shinjuku", {"legal"}, ServiceArea.national()),
        service("debt", "hw-shinjuku", {"legal.debt_settlement"},
                ServiceArea.of(CHIYODA, SHINJUKU)),
        service("food-parcels", "pantry", {food.code}, ServiceArea.of(HACHIOJI, SHINJUKU)),
    ]  # fmt: skip
    return Directory(
        agencies=agencies,
        services=services,
        meta=DirectoryMeta(name=_text(marker)),
        needs=(food,),
        agency_kinds=(pantry,),
    )


def synthetic_directory(
    services: int, *, seed: int = 0, marker: str = "synthetic", per_agency: int = 20
) -> Directory:
    """A valid directory of ``services`` services (about ``per_agency`` per agency),
    deterministic for a ``seed``: needs from the bundled taxonomy, areas of one
    to three Tokyo municipalities, with some prefecture-wide and national ones."""
    rng = random.Random(seed)
    codes = sorted(need.code for need in default_taxonomy())
    kinds = [kind.code for kind in default_agency_kinds()]
    places = [item.code for item in tokyo_municipalities()]
    agency_count = max(1, -(-services // per_agency))
    agencies = [
        Agency(
            id=f"agency-{number:06d}",
            name=_text(f"支援機関{number}号", f"Agency {number}"),
            kind=rng.choice(kinds),
            contacts=(ContactPoint(Channel.PHONE, f"03-{number % 10000:04d}-0000"),),
            locations=(Location(id="main", address=Address(municipality_code=rng.choice(places))),),
        )
        for number in range(agency_count)
    ]
    made = []
    for number in range(services):
        roll = rng.random()
        if roll < 0.05:
            area = ServiceArea.national()
        elif roll < 0.15:
            area = ServiceArea.tokyo()
        else:
            area = ServiceArea.of(*rng.sample(places, rng.randint(1, 3)))
        made.append(
            Service(
                id=f"service-{number:07d}",
                agency_id=agencies[number % agency_count].id,
                name=_text(f"相談窓口{number}", f"Desk {number}"),
                description=_text("就労・住居・福祉の相談を受け付けます。" * 2),
                area=area,
                needs=frozenset(rng.sample(codes, rng.randint(1, 3))),
                audiences=frozenset(rng.sample(list(Audience), rng.randint(1, 2))),
                location_ids=("main",) if rng.random() < 0.5 else (),
            )
        )
    return Directory(agencies=agencies, services=made, meta=DirectoryMeta(name=_text(marker)))


def canonical(directory: Directory) -> Directory:
    """``directory`` as a store gives it back: agencies, services and extension
    kinds sorted by id (extension needs keep their order)."""
    return Directory(
        agencies=sorted(directory.agencies, key=lambda agency: agency.id),
        services=sorted(directory.services, key=lambda service: service.id),
        meta=directory.meta,
        needs=directory.needs,
        agency_kinds=sorted(directory.agency_kinds, key=lambda kind: kind.code),
    )


def _same_directory(left: Directory, right: Directory) -> bool:
    def key(directory: Directory) -> tuple[Any, ...]:
        ordered = canonical(directory)
        return (
            ordered.agencies,
            ordered.services,
            ordered.meta,
            frozenset(ordered.needs),
            ordered.agency_kinds,
        )

    return key(left) == key(right)


def _half_width_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in range(0xFF66, 0xFF9E):
        half = chr(code)
        table.setdefault(unicodedata.normalize("NFKC", half), half)
        for mark in ("\uff9e", "\uff9f"):  # voiced and semi-voiced sound marks
            full = unicodedata.normalize("NFKC", half + mark)
            if len(full) == 1:
                table.setdefault(full, half + mark)
    return table


_HALF_WIDTH = _half_width_table()


def kana_variants(text: str) -> list[str]:
    """``text`` as users type it: in katakana, in hiragana, in half-width katakana,
    in full-width letters and digits, in upper case (duplicates left out).  Search
    folds every one of them to the same key."""
    katakana = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)
    hiragana = "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)
    half = "".join(_HALF_WIDTH.get(c, c) for c in katakana)
    wide = "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text
    )
    found: list[str] = []
    for variant in (katakana, hiragana, half, wide, text.upper()):
        if variant != text and variant not in found:
            found.append(variant)
    return found


def _search_forms(directory: Directory) -> list[str]:
    forms: list[str] = []
    for service in directory.services:
        forms += service.name.forms()
        if service.description is not None:
            forms += service.description.forms()
    for agency in directory.agencies:
        forms += agency.name.forms()
    return forms


def text_queries(directory: Directory, *, seed: int = 0, limit: int | None = None) -> list[str]:
    """Text queries to compare stores with :meth:`Directory.search` on: every name
    of every service and agency in each of its forms (Japanese, kana reading,
    English) and their :func:`kana_variants`, two- and three-character pieces of
    them, two-word queries, and words no service has.  Deterministic for a
    ``seed``; at most ``limit`` of them (a random choice) when given."""
    rng = random.Random(seed)
    names: list[str] = []
    for service in directory.services:
        names += service.name.forms()
    for agency in directory.agencies:
        names += agency.name.forms()
    queries: dict[str, None] = {}
    for name in names:
        queries[name] = None
        for variant in kana_variants(name):
            queries[variant] = None
        compact = name.replace(" ", "")
        for width in (1, 2, 3):
            if len(compact) >= width:
                start = rng.randrange(len(compact) - width + 1)
                queries[compact[start : start + width]] = None
    forms = _search_forms(directory)
    for _ in range(min(200, len(forms))):
        first, second = rng.choice(forms), rng.choice(forms)
        queries[f"{first[:2]} {second[-3:]}"] = None
    for extra in (
        "存在しない語",
        "zzzz-no-such-word",
        "じゅうきょ",
        "ｼﾞｭｳｷｮ",
        "ＨＥＬＬＯ",
        "",
        " ",
    ):
        queries[extra] = None
    found = sorted(queries)
    if limit is not None and len(found) > limit:
        found = sorted(rng.sample(found, limit))
    return found


def _values(found: Sequence[Versioned[T]]) -> list[T]:
    return [item.value for item in found]


def _ids(found: Sequence[Versioned[Service]]) -> list[str]:
    return [item.value.id for item in found]


def _require(store: Store, capability: str) -> None:
    capabilities: Capabilities = store.capabilities
    if not getattr(capabilities, capability):
        pytest.skip(f"the {store.scheme} backend declares it cannot: {capability}")


def _agency(id: str, *, kind: str = "hello_work", locations: Sequence[str] = ()) -> Agency:
    return Agency(
        id=id,
        name=_text(f"機関 {id}", f"Agency {id}"),
        kind=kind,
        locations=tuple(
            Location(id=location, address=Address(municipality_code=HACHIOJI))
            for location in locations
        ),
    )


def _service(
    id: str,
    agency: str,
    *,
    needs: Sequence[str] = ("housing",),
    area: ServiceArea | None = None,
    **extra: Any,
) -> Service:
    return Service(
        id=id,
        agency_id=agency,
        name=_text(f"サービス {id}", f"Service {id}"),
        area=area or ServiceArea.of(HACHIOJI),
        needs=frozenset(needs),
        audiences=frozenset({Audience.FAMILY}),
        **extra,
    )


@attrs.frozen
class Note:
    """A record type that is not part of the directory (as case records will be)."""

    id: str
    agency_id: str
    text: str = ""


NOTES: RecordType[Note] = RecordType(
    kind="conformance_note",
    model=Note,
    id_of=lambda note: note.id,
    label="note",
    index=lambda note: [("agency", note.agency_id)],
    references=lambda note: [Reference("agency_id", "agency", note.agency_id)],
)


_TOKYO = dt.timezone(dt.timedelta(hours=9))

#: What the sensitive fields of the suite's cases hold: no message or log may show it.
_SECRET = "極秘: 山田花子さん (secret-marker-7f3a)"


def _case(
    id: str,
    *,
    municipality: str | None = HACHIOJI,
    residence: str | None = HACHIOJI,
    worker: str | None = "worker-1",
    needs: Sequence[str] = ("housing",),
    legal: LegalSituation = LegalSituation.RELEASED_FROM_PRISON,
    received: dt.datetime = dt.datetime(2024, 11, 5, 10, 30, tzinfo=_TOKYO),
    secret: str | None = _SECRET,
) -> ConsultationCase:
    """A consultation case whose summary, name and notes hold ``secret``."""
    return ConsultationCase(
        id=id,
        received_at=received,
        consulter=Audience.SUPPORTER,
        received_via=Channel.PHONE,
        subject=Subject(
            residence=residence,
            age=72,
            legal_situation=legal,
            attributes=frozenset({PersonAttribute.ELDERLY}),
            name=secret,
        ),
        needs=tuple(
            RaisedNeed(code, urgency=Urgency.URGENT if n == 0 else Urgency.NORMAL, note=secret)
            for n, code in enumerate(needs)
        ),
        consents=(
            Consent(
                given_on=received.date(),
                agency_ids=frozenset({"halfway", "an-agency-not-in-the-store"}),
                agency_kinds=frozenset({"welfare_office"}),
            ),
        ),
        municipality=municipality,
        worker=worker,
        summary=secret,
    )


def _cases_with_every_field() -> list[ConsultationCase]:
    """Two cases that between them set every field a case has (the person's zone, the
    desk that received it, the relative, refusals, stages and expected releases)."""
    received = dt.datetime(2024, 11, 5, 0, 30, tzinfo=dt.UTC)  # 09:30 on 5 Nov in Tokyo
    family = ConsultationCase(
        id="case-every-field-family",
        received_at=received,
        consulter=Audience.FAMILY,
        received_via=Channel.EMAIL,
        subject=Subject(
            residence=SHINJUKU,
            age=58,
            name=_SECRET,
            suspected_attributes=frozenset({PersonAttribute.MENTAL_DISABILITY}),
        ),
        needs=(RaisedNeed("family.consultation", note=_SECRET),),
        consents=(
            Consent(given_on=dt.date(2024, 11, 5), agency_kinds=frozenset({"welfare_office"})),
            Consent(
                given_on=dt.date(2024, 11, 5),
                agency_kinds=frozenset({"probation_office"}),
                decision=ConsentDecision.REFUSED,
            ),
        ),
        municipality=SHINJUKU,
        summary=_SECRET,
        received_by="tokyo-anything-desk",
        relative=RelativeSituation(
            relation=Relation.CHILD,
            legal_situation=LegalSituation.IN_PRISON,
            expected_release_on=dt.date(2025, 3, 1),
            residence=HACHIOJI,
        ),
        time_zone="Asia/Tokyo",
    )
    juvenile = ConsultationCase(
        id="case-every-field-juvenile",
        received_at=received,
        consulter=Audience.PROFESSIONAL,
        received_via=Channel.PHONE,
        subject=Subject(
            age=19,
            legal_situation=LegalSituation.JUVENILE_CASE,
            juvenile_stage=JuvenileStage.IN_TRAINING_SCHOOL,
            expected_release_on=dt.date(2024, 12, 20),
            attributes=frozenset({PersonAttribute.SPECIFIED_JUVENILE}),
            suspected_attributes=frozenset({PersonAttribute.DEVELOPMENTAL_DISABILITY}),
            preferred_municipality=CHIYODA,
        ),
        needs=(RaisedNeed("housing"),),
        municipality=CHIYODA,
        time_zone="Asia/Tokyo",
    )
    return [family, juvenile]


#: A case document as saihan wrote it before the case model had a zone, a receiving
#: desk, a relative, refusals, stages, expected releases or a preferred place (the
#: example ``examples/cases/mother-son-shoplifting.json`` of commit 0180b79).
OLD_CASE_DOCUMENT = """{
  "id": "example-mother-son-shoplifting",
  "received_at": "2024-06-13T14:00:00+09:00",
  "consulter": "family",
  "received_via": "email",
  "subject": {
    "residence": "131121",
    "age": 15,
    "legal_situation": "juvenile_case",
    "attributes": ["student"]
  },
  "needs": [
    {"code": "juvenile_education.delinquency", "urgency": "high"},
    {"code": "family.consultation"}
  ],
  "preferred_channels": ["phone", "email", "visit"],
  "consents": [
    {"given_on": "2024-06-13", "agency_kinds": ["child_guidance_center"]}
  ],
  "municipality": "131121",
  "summary": "SAMPLE: a mother writes that her son was caught shoplifting."
}"""


_REASONS = {
    ReferralStatus.REJECTED: "満員のため",
    ReferralStatus.ON_HOLD: "入院中",
    ReferralStatus.CANCELLED: "本人が辞退",
    ReferralStatus.FAILED: "連絡がつかない",
    ReferralStatus.ENTERED_IN_ERROR: "誤登録",
}
_PATHS = {
    ReferralStatus.DRAFT: (),
    ReferralStatus.REQUESTED: (ReferralStatus.REQUESTED,),
    ReferralStatus.ACCEPTED: (ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED),
    ReferralStatus.CANCELLED: (ReferralStatus.CANCELLED,),
}


def _extend(referral: Referral, status: ReferralStatus, *, reason: str | None = None) -> Referral:
    """``referral`` with one more transition, a day after its last event."""
    last = referral.history[-1]
    event = ReferralEvent(
        at=last.at + dt.timedelta(days=1),
        actor="worker-1",
        status=status,
        previous=last.status,
        reason=reason or _REASONS.get(status),
    )
    return attrs.evolve(referral, history=(*referral.history, event))


def _referral(
    id: str, case: str, service: str, agency: str, kind: str, status: ReferralStatus
) -> Referral:
    """A referral made as a draft the day the suite's cases are received, then moved
    day by day to ``status`` (draft, requested, accepted or cancelled)."""
    made = Referral(
        id=id,
        case_id=case,
        service_id=service,
        agency_id=agency,
        agency_kind=kind,
        history=(
            ReferralEvent(
                at=dt.datetime(2024, 11, 5, 11, tzinfo=_TOKYO),
                actor="worker-1",
                status=ReferralStatus.DRAFT,
            ),
        ),
    )
    for step in _PATHS[status]:
        made = _extend(made, step)
    return made


def _requested(draft: Referral, id: str, at: dt.datetime) -> Referral:
    """``draft`` as referral ``id``, requested at ``at``."""
    event = ReferralEvent(
        at=at, actor="worker-1", status=ReferralStatus.REQUESTED, previous=ReferralStatus.DRAFT
    )
    return attrs.evolve(draft, id=id, history=(*draft.history, event))


# Moments around the edges of UTC and Tokyo days, months and years, in several offsets
# (after the suite's cases are received and consent is given).
_REQUESTED_AT = (
    dt.datetime(2024, 11, 30, 23, 59, tzinfo=dt.UTC),
    dt.datetime(2024, 12, 1, 8, 59, tzinfo=_TOKYO),
    dt.datetime(2024, 12, 1, 9, 0, tzinfo=_TOKYO),
    dt.datetime(2024, 12, 31, 19, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.datetime(2025, 1, 1, 0, 0, tzinfo=dt.UTC),
    dt.datetime(2025, 1, 1, 0, 0, tzinfo=_TOKYO),
    dt.datetime(2025, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    dt.datetime(2025, 3, 31, 23, 59, 59, 999999, tzinfo=_TOKYO),
    dt.datetime(2025, 4, 1, tzinfo=_TOKYO),
    dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
)


def _plan(case_id: str, at: dt.datetime, *, rules: RuleSet | None = None) -> ReferralPlan:
    rule_set = rules or default_rules()
    return ReferralPlan(
        trace_version=1,
        case_id=case_id,
        at=at,
        rules_id=rule_set.id,
        rules_version=rule_set.version,
        unmet_needs=("housing",),
    )


def _rule_set(version: str, *, rules: int = 3) -> RuleSet:
    base = default_rules()
    return attrs.evolve(base, version=version, rules=base.rules[:rules])


_CASE_PLACES = (HACHIOJI, SHINJUKU, CHIYODA)
_CASE_NEEDS = ("housing", "housing.emergency", "employment", "welfare", "no-such-need")
_WORKERS = ("worker-1", "worker-2")
_SITUATIONS = (LegalSituation.ON_PAROLE, LegalSituation.ON_PROBATION, LegalSituation.UNKNOWN)
_DAYS = tuple(
    dt.datetime(2024, 12, 30, 12, tzinfo=_TOKYO) + dt.timedelta(days=n, hours=n * 7)
    for n in range(-35, 40, 5)
)


@st.composite
def _case_records(draw: st.DrawFn, ids: Sequence[str] = ("case-1", "case-2", "case-3")) -> Any:
    """Cases from :func:`saihan.testing.cases` drawn from small pools (ids,
    municipalities, needs, workers, days around a new year), so that the suite's
    queries find some and miss others."""
    from saihan.testing import cases

    case = draw(
        cases(
            id=draw(st.sampled_from(ids)),
            municipalities=_CASE_PLACES,
            needs=_CASE_NEEDS,
            legal_situations=_SITUATIONS,
            first=dt.date(2024, 11, 20),
            last=dt.date(2025, 2, 10),
        )
    )
    return attrs.evolve(case, worker=draw(st.none() | st.sampled_from(_WORKERS)))


def _expected_cases(
    cases: Sequence[ConsultationCase],
    *,
    municipality: str | None = None,
    need: str | None = None,
    worker: str | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> list[str]:
    """What a case query should find, computed from the cases themselves."""
    taxonomy = default_taxonomy()
    wanted = None
    if need is not None:
        wanted = taxonomy.descendants(need) if need in taxonomy else frozenset({need})
    return sorted(
        case.id
        for case in cases
        if (municipality is None or case.municipality == municipality)
        and (worker is None or case.worker == worker)
        and (wanted is None or wanted & set(case.need_codes))
        and (first is None or case.received_on >= first)
        and (last is None or case.received_on <= last)
    )


class _Cancel(Exception):
    """Raised by a progress callback to abandon an import."""


def _random_write(store: Store, data: st.DataObject, step: int) -> None:
    """One write drawn at random: a service changed (needs, area, taking referrals),
    added or deleted, an agency renamed, or a case written (no directory record)."""
    services = [item.value for item in store.services.list()]
    action = data.draw(
        st.sampled_from(["change", "add", "delete", "agency", "case"] if services else ["case"]),
        label=f"write {step}",
    )
    if action == "case":
        store.cases.put(_case(f"case-w{step}"), expected_version=ANY_VERSION)
        return
    service = data.draw(st.sampled_from(services), label=f"service {step}")
    if action == "delete":
        store.services.delete(service.id, expected_version=ANY_VERSION)
        return
    if action == "agency":
        agency = store.agencies.get(service.agency_id).value
        renamed = attrs.evolve(agency, name=LocalizedText(ja=f"改名{step}", en=f"Renamed {step}"))
        store.agencies.put(renamed, expected_version=ANY_VERSION)
        return
    area = data.draw(
        st.sampled_from(
            [
                ServiceArea.of(HACHIOJI),
                ServiceArea.of(SHINJUKU, CHIYODA),
                ServiceArea.tokyo(),
                ServiceArea.national(),
            ]
        ),
        label=f"area {step}",
    )
    needs = data.draw(
        st.sets(
            st.sampled_from(["housing", "housing.transitional", "employment", "legal"]),
            min_size=1,
            max_size=2,
        ),
        label=f"needs {step}",
    )
    changed = attrs.evolve(
        service,
        id=f"{service.id}-w{step}" if action == "add" else service.id,
        area=area,
        needs=frozenset(needs),
        accepting_referrals=data.draw(st.booleans(), label=f"accepting {step}"),
    )
    store.services.put(changed, expected_version=ANY_VERSION)


class StoreConformance(OutreachConformance):
    """The storage conformance suite: subclass it and override :meth:`store_url`.

    The outreach kinds' tests (events, registrations, subscribers, newsletter
    issues) come from :class:`~saihan.testing.outreach_conformance.OutreachConformance`."""

    #: Examples per Hypothesis property test (each imports a directory).
    hypothesis_examples: ClassVar[int] = 12
    #: Runs of the state machine, and steps in each.
    stateful_examples: ClassVar[int] = 8
    stateful_steps: ClassVar[int] = 25
    #: Runs of the referral lifecycle machine (:mod:`saihan.testing.lifecycle`), and steps.
    lifecycle_examples: ClassVar[int] = 10
    lifecycle_steps: ClassVar[int] = 25
    #: Services in the directory the killed-import test writes.
    crash_import_services: ClassVar[int] = 4000
    #: Increments each of the two concurrent writer processes applies.
    concurrent_increments: ClassVar[int] = 25

    # -- fixtures ---------------------------------------------------------------
    @pytest.fixture
    def store_url(self) -> str:
        """The URL of a fresh, empty store for one test: override this."""
        raise NotImplementedError("override the store_url fixture in your subclass")

    @pytest.fixture
    def store(self, store_url: str) -> Iterator[Store]:
        opened = storage.open(store_url, principal=Principal.system())
        try:
            yield opened
        finally:
            opened.close()

    @pytest.fixture
    def reopen(self, store_url: str) -> Iterator[Callable[[], Store]]:
        """Opens the same store again (another handle); closed after the test."""
        handles: list[Store] = []

        def again() -> Store:
            handles.append(storage.open(store_url, principal=Principal.system()))
            return handles[-1]

        yield again
        for handle in handles:
            handle.close()

    # -- the empty store --------------------------------------------------------
    def test_a_new_store_is_empty_and_sound(self, store: Store) -> None:
        assert store.agencies.list() == []
        assert store.cases.list() == []
        assert store.rule_sets.count() == store.plans.count() == 0
        assert store.services.count() == 0
        assert store.meta.find() is None
        assert store.load_directory() == Directory()
        assert store.integrity_check() == []
        info = store.info()
        assert info.schema_version == storage.SCHEMA_VERSION
        assert all(count == 0 for count in info.counts.values())

    # -- repositories -----------------------------------------------------------
    def test_put_get_find_and_contains(self, store: Store) -> None:
        agency = _agency("agency-1", locations=["main"])
        stored = store.agencies.put(agency)
        assert stored.value == agency
        assert stored.version >= 1
        assert store.agencies.get("agency-1") == stored
        assert store.agencies.find("agency-1") == stored
        assert store.agencies.find("agency-2") is None
        assert "agency-1" in store.agencies
        assert "agency-2" not in store.agencies
        assert "Not An Id" not in store.agencies
        assert 42 not in store.agencies
        with pytest.raises(NotFoundError, match="agency-2"):
            store.agencies.get("agency-2")
        service = _service("service-1", "agency-1", location_ids=("main",))
        assert store.services.put(service).value == service
        assert store.services.get("service-1").value == service

    def test_list_ids_count_and_paging(self, store: Store) -> None:
        for id in ["c", "a", "e", "b", "d"]:
            store.agencies.put(_agency(id))
        assert [agency.id for agency in _values(store.agencies.list())] == list("abcde")
        assert store.agencies.ids() == list("abcde")
        assert store.agencies.count() == 5
        assert [a.id for a in _values(store.agencies.list(limit=2))] == ["a", "b"]
        assert [a.id for a in _values(store.agencies.list(after="b", limit=2))] == ["c", "d"]
        assert store.agencies.list(after="e") == []
        assert store.agencies.list(limit=0) == []

    def test_versions_increase_and_stale_writes_conflict(self, store: Store) -> None:
        first = store.agencies.put(_agency("agency-1"))
        with pytest.raises(ConflictError, match="already exists"):
            store.agencies.put(_agency("agency-1"))
        renamed = attrs.evolve(first.value, operator="東京都")
        second = store.agencies.put(renamed, expected_version=first.version)
        assert second.version > first.version
        with pytest.raises(ConflictError, match="version"):
            store.agencies.put(
                attrs.evolve(renamed, operator="lost"), expected_version=first.version
            )
        assert store.agencies.get("agency-1") == second
        forced = store.agencies.put(
            attrs.evolve(renamed, operator="x"), expected_version=ANY_VERSION
        )
        assert forced.version > second.version
        created = store.agencies.put(_agency("agency-2"), expected_version=ANY_VERSION)
        assert created.version > forced.version

    def test_update_of_a_missing_record_conflicts(self, store: Store) -> None:
        with pytest.raises(ConflictError, match="does not exist"):
            store.agencies.put(_agency("ghost"), expected_version=3)
        assert store.agencies.count() == 0

    def test_delete_checks_versions(self, store: Store) -> None:
        first = store.agencies.put(_agency("agency-1"))
        second = store.agencies.put(first.value, expected_version=first.version)
        with pytest.raises(ConflictError):
            store.agencies.delete("agency-1", expected_version=first.version)
        assert "agency-1" in store.agencies
        store.agencies.delete("agency-1", expected_version=second.version)
        assert "agency-1" not in store.agencies
        with pytest.raises(NotFoundError):
            store.agencies.delete("agency-1", expected_version=ANY_VERSION)
        again = store.agencies.put(_agency("agency-1"))
        assert again.version > second.version  # a version never comes back
        store.agencies.delete("agency-1", expected_version=ANY_VERSION)
        assert store.agencies.count() == 0

    def test_meta_is_a_single_record(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            store.meta.get()
        meta = DirectoryMeta(name=_text("八王子市の支援機関", "Hachioji"), sample=True)
        stored = store.meta.put(meta)
        assert store.meta.get() == stored
        with pytest.raises(ConflictError):
            store.meta.put(meta)
        updated = store.meta.put(attrs.evolve(meta, sample=False), expected_version=stored.version)
        assert store.load_directory().meta == updated.value
        store.meta.delete(expected_version=updated.version)
        assert store.meta.find() is None

    def test_bad_arguments_raise_validation_errors_with_paths(self, store: Store) -> None:
        cases: list[tuple[Callable[[], object], str]] = [
            (lambda: store.agencies.put("not an agency"), ""),  # type: ignore[arg-type]
            (lambda: store.agencies.get(42), "id"),  # type: ignore[arg-type]
            (lambda: store.agencies.get("Not An Id"), "id"),
            (lambda: store.agencies.put(_agency("a"), expected_version=0), "expected_version"),
            (lambda: store.agencies.put(_agency("a"), expected_version=True), "expected_version"),
            (lambda: store.agencies.put(_agency("a"), expected_version="1"), "expected_version"),  # type: ignore[arg-type]
            (lambda: store.agencies.delete("a", expected_version=None), "expected_version"),  # type: ignore[arg-type]
            (lambda: store.agencies.list(limit=-1), "limit"),
            (lambda: store.agencies.list(after=3), "after"),  # type: ignore[arg-type]
            (lambda: store.services.search(municipality="132013"), "municipality"),
            (lambda: store.services.search(municipality=132012), "municipality"),  # type: ignore[arg-type]
            (lambda: store.services.search(need="Housing!"), "need"),
            (lambda: store.services.search(kind="x'; DROP TABLE saihan_records; --"), "kind"),
            (lambda: store.import_directory([]), "directory"),  # type: ignore[arg-type]
            (lambda: store.import_directory(Directory(), progress=3), "progress"),  # type: ignore[arg-type]
        ]
        for call, path in cases:
            with pytest.raises(ValidationError) as caught:
                call()
            assert path in caught.value.paths, (path, caught.value.paths)
        assert store.agencies.count() == 0

    def test_unknown_names_in_queries_are_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError, match="no-such-need"):
            store.services.by_need("no-such-need")
        with pytest.raises(NotFoundError, match="no-such-kind"):
            store.services.by_kind("no-such-kind")
        with pytest.raises(NotFoundError, match="no-such-kind"):
            store.agencies.by_kind("no-such-kind")
        with pytest.raises(NotFoundError, match="nobody"):
            store.services.by_agency("nobody")
        # a municipality name is an argument to check: one that is not Tokyo's (or is
        # ambiguous) is bad input at its path, with the nearest names
        with pytest.raises(ValidationError) as unknown:
            store.services.by_municipality("どこにもない市")
        assert unknown.value.paths == ["municipality"]
        with pytest.raises(ValidationError, match="世田谷区") as near:
            store.cases.search(residence="setagaya-kuu")
        assert near.value.paths == ["residence"]

    # -- references -------------------------------------------------------------
    def test_a_service_needs_its_agency_and_known_needs(self, store: Store) -> None:
        with pytest.raises(ValidationError) as caught:
            store.services.put(_service("s", "missing-agency", needs=["housing", "no-such"]))
        assert caught.value.paths == ["agency_id", "needs[1]"]
        assert store.services.count() == 0

    def test_service_locations_and_visits_must_be_the_agencys(self, store: Store) -> None:
        store.agencies.put(_agency("a", locations=["main"]))
        bad = _service(
            "s",
            "a",
            location_ids=("main", "elsewhere"),
            contacts=(ContactPoint(Channel.VISIT, "nowhere"),),
        )
        with pytest.raises(ValidationError) as caught:
            store.services.put(bad)
        assert caught.value.paths == ["location_ids[1]", "contacts[0].value"]
        good = store.services.put(_service("s", "a", location_ids=("main",)))
        agency = store.agencies.get("a")
        with pytest.raises(ValidationError) as moved:
            store.agencies.put(_agency("a", locations=["annex"]), expected_version=agency.version)
        assert moved.value.paths == ["locations"]
        assert "'s'" in str(moved.value)
        assert store.agencies.get("a") == agency
        assert store.services.get("s") == good

    def test_an_agency_in_use_cannot_be_deleted(self, store: Store) -> None:
        agency = store.agencies.put(_agency("a"))
        store.services.put(_service("s1", "a"))
        store.services.put(_service("s2", "a"))
        with pytest.raises(ConflictError, match="s1"):
            store.agencies.delete("a", expected_version=agency.version)
        store.services.delete("s1", expected_version=ANY_VERSION)
        store.services.delete("s2", expected_version=ANY_VERSION)
        store.agencies.delete("a", expected_version=agency.version)
        assert store.integrity_check() == []

    def test_agency_kinds_must_be_known(self, store: Store) -> None:
        with pytest.raises(ValidationError) as caught:
            store.agencies.put(_agency("a", kind="pantry"))
        assert caught.value.paths == ["kind"]
        kind = store.agency_kinds.put(AgencyKind(code="pantry", name=_text("食品庫")))
        store.agencies.put(_agency("a", kind="pantry"))
        assert [a.id for a in _values(store.agencies.by_kind("pantry"))] == ["a"]
        with pytest.raises(ConflictError, match="'a'"):
            store.agency_kinds.delete("pantry", expected_version=kind.version)
        with pytest.raises(ValidationError) as bundled:
            store.agency_kinds.put(AgencyKind(code="hello_work", name=_text("重複")))
        assert bundled.value.paths == ["code"]
        with pytest.raises(ValidationError) as needs:
            store.agency_kinds.put(
                AgencyKind(code="other", name=_text("他"), needs=frozenset({"zzz", "housing"}))
            )
        assert needs.value.paths == ["needs[1]"]

    def test_extension_needs_extend_the_taxonomy(self, store: Store) -> None:
        store.agencies.put(_agency("a"))
        with pytest.raises(ValidationError) as missing:
            store.services.put(_service("s", "a", needs=["housing.pets"]))
        assert missing.value.paths == ["needs[0]"]
        pets = store.needs.put(Need(code="housing.pets", label=_text("ペット可"), parent="housing"))
        small = store.needs.put(
            Need(code="housing.pets.small", label=_text("小型"), parent="housing.pets")
        )
        store.services.put(_service("s", "a", needs=["housing.pets.small"]))
        store.services.put(_service("t", "a", needs=["housing"]))
        assert _ids(store.services.by_need("housing")) == ["s", "t"]
        assert _ids(store.services.by_need("housing.pets")) == ["s", "t"]
        with pytest.raises(ConflictError):
            store.needs.delete("housing.pets", expected_version=pets.version)
        with pytest.raises(ValidationError) as bundled:
            store.needs.put(Need(code="housing", label=_text("住居"), priority_area=1))
        assert bundled.value.paths == ["code"]
        with pytest.raises(ValidationError) as unknown:
            store.needs.put(Need(code="x", label=_text("x"), parent="nowhere"))
        assert unknown.value.paths == ["parent"]
        cycle = Need(code="housing.pets", label=_text("ペット可"), parent="housing.pets.small")
        with pytest.raises(ValidationError) as looped:
            store.needs.put(cycle, expected_version=pets.version)
        assert looped.value.paths == ["parent"]
        assert store.needs.get("housing.pets.small") == small
        assert store.load_directory().taxonomy.ancestors("housing.pets.small")[-1] == "housing"

    # -- queries ----------------------------------------------------------------
    def test_queries_follow_the_taxonomy_and_service_areas(self, store: Store) -> None:
        directory = small_directory()
        store.import_directory(directory)

        def same(**criteria: str) -> None:
            expected = [service.id for service in directory.search(**criteria)]  # type: ignore[arg-type]
            assert _ids(store.services.search(**criteria)) == expected, criteria  # type: ignore[arg-type]

        for need in ["housing", "housing.emergency", "housing.transitional", "legal", "welfare"]:
            same(need=need)
        same(need="welfare.food-bank")
        for place in [
            HACHIOJI,
            SHINJUKU,
            CHIYODA,
            OSAKA_CITY,
            "八王子市",
            "chiyoda",
            "しんじゅくく",
        ]:
            same(municipality=place)
        for kind in ["hello_work", "welfare_office", "community-pantry", "darc"]:
            same(kind=kind)
        same(need="housing", municipality=HACHIOJI)
        same(need="legal", municipality=OSAKA_CITY, kind="hello_work")
        assert _ids(store.services.by_need("housing.emergency")) == ["welfare-housing"]
        assert _ids(store.services.by_municipality(OSAKA_CITY)) == ["legal-line"]
        assert _ids(store.services.by_agency("hachioji-welfare")) == [
            "welfare-assist",
            "welfare-housing",
        ]
        assert _ids(store.services.search(municipality=SHINJUKU, after="debt", limit=2)) == [
            "food-parcels",
            "halfway-stay",
        ]
        assert [a.value.id for a in store.agencies.by_kind("hello_work")] == ["hw-shinjuku"]

    def test_queries_agree_with_directory_search(self, store: Store) -> None:
        from saihan.testing import directories

        places = [HACHIOJI, SHINJUKU, OSAKA_CITY, "011002", "472018"]

        @settings(
            max_examples=self.hypothesis_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(directories(max_services=8, max_agencies=4))
        def check(directory: Directory) -> None:
            store.import_directory(directory)
            assert _same_directory(store.load_directory(), directory)
            needs = sorted({code for service in directory.services for code in service.needs})
            for need in [*needs[:4], "housing", "employment.job_search"]:
                expected = [s.id for s in directory.search(need=need)]
                assert _ids(store.services.by_need(need)) == expected
                for place in places[:2]:
                    expected = [s.id for s in directory.search(need=need, municipality=place)]
                    assert _ids(store.services.search(need=need, municipality=place)) == expected
            for place in places:
                expected = [s.id for s in directory.search(municipality=place)]
                assert _ids(store.services.by_municipality(place)) == expected
            for kind in sorted({agency.kind for agency in directory.agencies}):
                expected = [s.id for s in directory.search(kind=kind)]
                assert _ids(store.services.by_kind(kind)) == expected
            for query in text_queries(directory, limit=12):
                expected = [s.id for s in directory.search(text=query)]
                assert _ids(store.services.search(text=query)) == expected, query

        check()

    def test_the_change_counter_and_the_cached_source_follow_every_write(
        self, store: Store
    ) -> None:
        """``store.revision()`` moves with each committed write and with nothing else;
        a :class:`CachedDirectorySource` keeps a part while it stays, and reads the
        part again after a change (a backend without a counter reads every time)."""
        from saihan.referral import MatchIndex
        from saihan.storage import CachedDirectorySource

        directory = small_directory()
        store.import_directory(directory)
        first = store.revision()
        source = CachedDirectorySource(store)
        case = _case("case-1", residence=HACHIOJI)
        plan = match(case, source).to_json()
        part = source.load_directory_for(HACHIOJI, match_needs(case))
        assert plan == match(case, directory).to_json()
        if first is None:  # the generic path: no counter, nothing kept
            assert source.load_directory_for(HACHIOJI, match_needs(case)) is not part
            assert source.reads == 3
        else:
            assert first >= len(directory.services) + len(directory.agencies)
            assert store.revision() == first  # reads change nothing
            again = source.load_directory_for(HACHIOJI, match_needs(case))
            assert again is part
            assert MatchIndex.of(again) is MatchIndex.of(part)
            assert source.reads == 1
        held = part.services[0].id
        with contextlib.suppress(_Cancel), store.transaction():
            store.services.delete(held, expected_version=ANY_VERSION)
            raise _Cancel
        assert store.revision() == first
        # A write that is no directory record (a case and its audit event) keeps the
        # part on a backend that tells what changed (changes_since), drops it otherwise.
        store.cases.put(_case("case-9"))
        if first is not None:
            tells = store._directory_changes(first, 10)[0] is not None
            assert (source.load_directory_for(HACHIOJI, match_needs(case)) is part) is tells
        store.services.delete(held, expected_version=ANY_VERSION)
        if first is not None:
            moved = store.revision()
            assert moved is not None
            assert moved > first
        fresh = source.load_directory_for(HACHIOJI, match_needs(case))
        assert fresh is not part
        assert held not in {service.id for service in fresh.services}
        smaller = Directory(
            agencies=directory.agencies,
            services=[service for service in directory.services if service.id != held],
            meta=directory.meta,
            needs=directory.needs,
            agency_kinds=directory.agency_kinds,
        )
        assert match(case, source).to_json() == match(case, smaller).to_json()

    def test_a_kept_source_follows_writes_and_equals_a_fresh_match(self, store: Store) -> None:
        """A :class:`CachedDirectorySource` kept across random writes (services put,
        moved to another area, deleted; agencies changed; cases written) gives, after
        each, the plan a fresh in-memory match of the whole stored directory gives."""
        from saihan.storage import CachedDirectorySource
        from saihan.testing import cases, directories

        @settings(
            max_examples=self.hypothesis_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(directories(max_services=10, tokyo_only=True), st.data())
        def check(directory: Directory, data: st.DataObject) -> None:
            store.import_directory(directory)
            source = CachedDirectorySource(store)
            places = [HACHIOJI, SHINJUKU, CHIYODA]
            drawn = data.draw(
                st.lists(cases(directory=directory, municipalities=places), min_size=1, max_size=3),
                label="cases",
            )
            for case in drawn:  # fill the source
                match(case, source)
            for step in range(data.draw(st.integers(1, 4), label="steps")):
                _random_write(store, data, step)
                whole = store.load_directory()
                for case in drawn:
                    expected = _outcome(lambda: match(case, whole))  # noqa: B023
                    found = _outcome(lambda: match(case, source))  # noqa: B023
                    assert _plan_outcome(found) == _plan_outcome(expected)

        check()

    def test_a_match_from_the_store_equals_the_match_in_memory(self, store: Store) -> None:
        """``match(case, store)`` reads only part of the directory
        (:meth:`Store.load_directory_for`), yet gives the plan (or the error) that
        matching the whole directory in memory gives: random directories, cases,
        rule sets, flows and caps."""
        from saihan.testing import cases, directories, flows, rule_sets

        @settings(
            max_examples=self.hypothesis_examples * 2,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            st.booleans().flatmap(lambda tokyo: directories(max_services=12, tokyo_only=tokyo)),
            st.data(),
        )
        def check(directory: Directory, data: st.DataObject) -> None:
            store.import_directory(directory)
            listed = sorted(
                {code for service in directory.services for code in service.area.municipality_codes}
            )
            places = [*listed, HACHIOJI, SHINJUKU]
            case = data.draw(cases(directory=directory, municipalities=places), label="case")
            rules = data.draw(
                st.one_of(st.none(), st.just(default_rules()), rule_sets(directory=directory)),
                label="rules",
            )
            flow = data.draw(st.none() | flows(directory=directory), label="flow")
            per_need = data.draw(st.sampled_from([None, 1, 5]), label="per_need")
            expected = _outcome(lambda: match(case, directory, rules, per_need=per_need, flow=flow))
            found = _outcome(lambda: match(case, store, rules, per_need=per_need, flow=flow))
            assert _plan_outcome(found) == _plan_outcome(expected)

        check()

    # -- text search ------------------------------------------------------------
    #: How many of :func:`text_queries` on the sample the text search test asks
    #: (None: all of them, about 3,500).
    text_search_queries: ClassVar[int | None] = 600

    @pytest.fixture
    def sample_store(self, store: Store) -> tuple[Store, Directory]:
        from saihan.directory import sample_directory

        directory = sample_directory()
        store.import_directory(directory)
        return store, directory

    def test_text_search_agrees_with_directory_search_on_the_sample(
        self, sample_store: tuple[Store, Directory]
    ) -> None:
        store, directory = sample_store
        queries = text_queries(directory, limit=self.text_search_queries)
        assert len(queries) >= min(500, self.text_search_queries or 500)
        differ = [
            query
            for query in queries
            if _ids(store.services.search(text=query))
            != [s.id for s in directory.search(text=query)]
        ]
        assert differ == []
        # The folding is the in-memory search's: a reading in any script finds 住居.
        for query in ("じゅうきょ", "ジュウキョ", "ｼﾞｭｳｷｮ"):
            services = _values(store.services.search(text=query))
            assert services
            assert all("住居" in s.name.ja for s in services[:1])
            assert [s.id for s in services] == [s.id for s in directory.search(text=query)]
        for need, place in [("housing", HACHIOJI), ("employment", SHINJUKU), ("legal", None)]:
            for query in ("相談", "そうだん 支援", "ハローワーク", "センター"):
                expected = [
                    s.id for s in directory.search(need=need, municipality=place, text=query)
                ]
                found = store.services.search(need=need, municipality=place, text=query)
                assert _ids(found) == expected
                assert (
                    _ids(store.services.search(need=need, municipality=place, text=query, limit=3))
                    == expected[:3]
                )
                if expected:
                    after = expected[0]
                    assert (
                        _ids(store.services.search(text=query, need=need, after=after, limit=2))
                        == [s.id for s in directory.search(need=need, text=query) if s.id > after][
                            :2
                        ]
                    )

    def test_text_search_property_on_the_sample(
        self, sample_store: tuple[Store, Directory]
    ) -> None:
        store, directory = sample_store
        forms = _search_forms(directory)

        @settings(max_examples=max(self.hypothesis_examples * 4, 40), deadline=None)
        @given(st.data())
        def check(data: st.DataObject) -> None:
            words = []
            for _ in range(data.draw(st.integers(1, 2), label="words")):
                form = data.draw(st.sampled_from(forms), label="form")
                start = data.draw(st.integers(0, len(form) - 1), label="start")
                end = data.draw(st.integers(start + 1, min(len(form), start + 8)), label="end")
                piece = form[start:end]
                piece = data.draw(st.sampled_from([piece, *kana_variants(piece)]), label="as")
                words.append(piece)
            query = " ".join(words)
            expected = [s.id for s in directory.search(text=query)]
            assert _ids(store.services.search(text=query)) == expected

        check()

    def test_text_search_follows_the_agency_name_and_changes(self, store: Store) -> None:
        store.import_directory(small_directory())
        assert _ids(store.services.search(text="ﾊﾛｰﾜｰｸ")) == ["debt", "hw-job", "legal-line"]
        assert _ids(store.services.search(text="hello work SERVICE DEBT")) == ["debt"]
        agency = store.agencies.get("hw-shinjuku")
        renamed = attrs.evolve(agency.value, name=_text("就労支援センター新宿", "Job centre"))
        store.agencies.put(renamed, expected_version=agency.version)
        assert _ids(store.services.search(text="ハローワーク")) == []
        assert _ids(store.services.search(text="しゅうろう")) == []  # a name, not a reading
        assert _ids(store.services.search(text="就労支援")) == ["debt", "hw-job", "legal-line"]
        service = store.services.get("debt")
        store.services.put(
            attrs.evolve(service.value, name=_text("債務整理の相談", "Debt advice")),
            expected_version=service.version,
        )
        assert _ids(store.services.search(text="サービス debt")) == []
        assert _ids(store.services.search(text="ＤＥＢＴ 就労")) == ["debt"]
        store.services.delete("debt", expected_version=ANY_VERSION)
        assert _ids(store.services.search(text="債務")) == []
        after = store.load_directory()
        for query in ("就労", "service", "サービス 食品庫", "八王子 welfare"):
            assert _ids(store.services.search(text=query)) == [
                s.id for s in after.search(text=query)
            ]

    def test_text_search_with_nul_replacement_and_odd_words(self, store: Store) -> None:
        store.agencies.put(_agency("a"))
        odd = {
            "nul": "前\x00後",
            "replacement": "前\ufffd後",
            "percent": "100%_達成\\です",
        }
        for id, name in odd.items():
            store.services.put(attrs.evolve(_service(id, "a"), name=_text(name)))
        directory = store.load_directory()
        for query in ["\x00", "前\x00", "\ufffd", "前\ufffd後", "前", "%", "_", "\\", "0%_",
                      "%_達", "\ud800", "後 %"]:  # fmt: skip
            expected = [s.id for s in directory.search(text=query)]
            assert _ids(store.services.search(text=query)) == expected, repr(query)
        assert _ids(store.services.search(text="\x00")) == ["nul"]
        assert _ids(store.services.search(text="\ufffd")) == ["replacement"]
        with pytest.raises(ValidationError) as caught:
            store.services.search(text=42)  # type: ignore[arg-type]
        assert caught.value.paths == ["text"]

    # -- transactions -----------------------------------------------------------
    def test_a_transaction_commits_everything(
        self, store: Store, reopen: Callable[[], Store]
    ) -> None:
        with store.transaction():
            store.agencies.put(_agency("a"))
            store.services.put(_service("s", "a"))
            assert store.services.get("s").value.agency_id == "a"  # reads see own writes
        other = reopen()
        assert other.agencies.ids() == ["a"]
        assert other.services.ids() == ["s"]

    def test_an_exception_in_a_transaction_leaves_no_trace(self, store: Store) -> None:
        before = store.agencies.put(_agency("before"))

        def block() -> None:
            with store.transaction():
                store.agencies.put(_agency("a"))
                store.services.put(_service("s", "a"))
                changed = attrs.evolve(before.value, operator="changed")
                store.agencies.put(changed, expected_version=before.version)
                store.meta.put(DirectoryMeta(name=_text("途中")))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            block()
        assert store.agencies.list() == [before]
        assert store.services.count() == 0
        assert store.meta.find() is None
        after = store.agencies.put(_agency("after"))
        assert after.version == before.version + 1  # a rolled-back transaction used no versions
        assert store.integrity_check() == []

    def test_a_conflict_inside_a_transaction_undoes_the_whole_block(self, store: Store) -> None:
        agency = store.agencies.put(_agency("a"))
        store.agencies.put(agency.value, expected_version=agency.version)

        def block() -> None:
            with store.transaction():
                store.agencies.put(_agency("b"))
                store.agencies.put(agency.value, expected_version=agency.version)  # stale

        with pytest.raises(ConflictError):
            block()
        assert store.agencies.ids() == ["a"]

    def test_a_caught_error_inside_a_transaction_keeps_the_rest(self, store: Store) -> None:
        with store.transaction():
            store.agencies.put(_agency("a"))
            with pytest.raises(ValidationError):
                store.services.put(_service("s", "missing"))
            store.services.put(_service("t", "a"))
        assert store.services.ids() == ["t"]
        assert store.integrity_check() == []

    def test_nested_transactions_undo_only_the_inner_block(self, store: Store) -> None:
        def inner() -> None:
            with store.transaction():
                store.agencies.put(_agency("inner"))
                raise KeyError("inner")

        with store.transaction():
            store.agencies.put(_agency("outer"))
            with pytest.raises(KeyError):
                inner()
            with store.transaction():
                store.agencies.put(_agency("kept"))
        assert store.agencies.ids() == ["kept", "outer"]

    # -- bulk import ------------------------------------------------------------
    def test_import_replaces_the_directory_and_reports_progress(self, store: Store) -> None:
        store.agencies.put(_agency("old-agency"))
        seen: list[ImportProgress] = []
        directory = small_directory()
        written = store.import_directory(directory, progress=seen.append)
        assert written == 1 + 1 + 1 + 4 + 7
        assert seen[0] == ImportProgress(0, written)
        assert seen[-1] == ImportProgress(written, written)
        assert [p.done for p in seen] == sorted(p.done for p in seen)
        assert _same_directory(store.load_directory(), directory)
        assert "old-agency" not in store.agencies
        versions = [v.version for v in store.services.list()]
        assert len(set(versions)) == len(versions)
        store.import_directory(Directory())
        assert store.load_directory() == Directory()
        assert store.integrity_check() == []

    def test_a_cancelled_import_leaves_the_store_as_it_was(self, store: Store) -> None:
        store.import_directory(small_directory("before"))
        before = (store.agencies.list(), store.services.list(), store.meta.get())
        big = synthetic_directory(2500, marker="after")

        def cancel(progress: ImportProgress) -> None:
            if progress.done > 0:
                raise _Cancel

        with pytest.raises(_Cancel):
            store.import_directory(big, progress=cancel)
        assert (store.agencies.list(), store.services.list(), store.meta.get()) == before
        assert store.integrity_check() == []
        store.import_directory(big)
        assert store.services.count() == 2500

    def test_import_inside_a_failed_transaction_is_undone(self, store: Store) -> None:
        store.import_directory(small_directory("before"))

        def block() -> None:
            with store.transaction():
                store.import_directory(synthetic_directory(30))
                raise RuntimeError("changed my mind")

        with pytest.raises(RuntimeError):
            block()
        assert store.meta.get().value.name.ja == "before"

    def test_import_checks_references_from_other_kinds_after_replacing(self, store: Store) -> None:
        store.import_directory(small_directory("first"))
        notes = store.repository(NOTES)
        note = notes.put(Note(id="note-1", agency_id="halfway", text="電話で相談あり"))
        store.import_directory(small_directory("again"))  # "halfway" is still there
        assert notes.get("note-1") == note
        smaller = small_directory("without halfway")
        smaller = attrs.evolve(
            smaller,
            agencies=[a for a in smaller.agencies if a.id != "halfway"],
            services=[s for s in smaller.services if s.agency_id != "halfway"],
        )
        with pytest.raises(ConflictError):
            store.import_directory(smaller)
        assert store.meta.get().value.name.ja == "again"
        assert store.agencies.count() == 4
        with pytest.raises(ConflictError, match="note 'note-1'"):
            store.agencies.delete("halfway", expected_version=ANY_VERSION)
        notes.delete("note-1", expected_version=note.version)
        store.import_directory(smaller)
        assert store.integrity_check() == []

    def test_import_round_trips_generated_directories(self, store: Store) -> None:
        from saihan.testing import directories

        @settings(
            max_examples=self.hypothesis_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(directories(max_services=10), st.booleans())
        def check(directory: Directory, twice: bool) -> None:
            if twice:
                store.import_directory(directory)
            store.import_directory(directory)
            loaded = store.load_directory()
            assert _same_directory(loaded, directory)
            assert store.services.count() == len(directory.services)

        check()

    # -- text and size ----------------------------------------------------------
    def test_japanese_and_hostile_text_is_kept_intact(
        self, store: Store, reopen: Callable[[], Store]
    ) -> None:
        with pytest.raises(ValidationError):  # never reaches a store
            LocalizedText(ja="lone surrogate \ud800")
        agencies = []
        for number, text in enumerate(HOSTILE_STRINGS):
            agency = Agency(
                id=f"hostile-{number}",
                name=LocalizedText(ja=text, kana="ほすたいる", en=text[::-1]),
                kind="hello_work",
                operator=text,
                description=LocalizedText(ja=text * 3),
            )
            agencies.append(store.agencies.put(agency))
        for stored in agencies:
            assert store.agencies.get(stored.value.id) == stored
        assert reopen().agencies.list() == sorted(agencies, key=lambda item: item.value.id)
        assert store.integrity_check() == []

    def test_hostile_strings_in_queries_are_only_data(self, store: Store) -> None:
        store.import_directory(small_directory())
        before = store.load_directory()
        for text in (*HOSTILE_STRINGS, "lone surrogate \ud800"):
            assert store.services.where("need", [text, "housing"]) == store.services.where(
                "need", "housing"
            )
            assert store.agencies.where("kind", text) == []
            if "\x00" in text or "\ud800" in text:
                with pytest.raises(ValidationError):
                    store.services.list(after=text)
            else:
                assert [s.value.id for s in store.services.list(after=text)] == [
                    s.id for s in sorted(before.services, key=lambda s: s.id) if s.id > text
                ]
        with pytest.raises(ValidationError):
            store.services.where("need", [3])  # type: ignore[list-item]
        assert store.load_directory() == before
        assert store.integrity_check() == []

    def test_very_long_text_and_large_records(self, store: Store) -> None:
        size = 2_000_000
        limit = store.capabilities.max_record_bytes
        long_text = ("再犯防止推進計画" * (size // 24 + 1))[: size // 3]
        agency = Agency(
            id="big",
            name=_text("大きな機関"),
            kind="hello_work",
            description=LocalizedText(ja=long_text),
            locations=tuple(
                Location(id=f"place-{n:04d}", address=Address(municipality_code=HACHIOJI))
                for n in range(400)
            ),
        )
        if limit is not None and limit < size:
            with pytest.raises(ValidationError):
                store.agencies.put(agency)
            pytest.skip(f"the {store.scheme} backend keeps records of at most {limit} bytes")
        stored = store.agencies.put(agency)
        assert store.agencies.get("big") == stored
        service = _service("wide", "big", location_ids=tuple(f"place-{n:04d}" for n in range(400)))
        assert store.services.put(service).value == service
        assert store.services.get("wide").value == service

    # -- lifetime ---------------------------------------------------------------
    def test_committed_data_survives_reopening(
        self, store: Store, reopen: Callable[[], Store]
    ) -> None:
        store.import_directory(small_directory())
        stored = store.services.get("debt")
        store.close()
        with pytest.raises(storage.StorageError, match="closed"):
            store.services.get("debt")
        store.close()  # harmless
        again = reopen()
        assert again.services.get("debt") == stored
        assert again.integrity_check() == []

    def test_several_threads_share_a_store(self, store: Store) -> None:
        _require(store, "threads")
        store.agencies.put(_agency("shared"))
        failures: list[BaseException] = []

        def work(number: int) -> None:
            try:
                for step in range(8):
                    with store.transaction():
                        store.services.put(_service(f"s-{number}-{step}", "shared"))
            except BaseException as error:  # reported below
                failures.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert failures == []
        assert store.services.count() == 32

    # -- referral records: cases, rule sets, plans --------------------------------
    def test_cases_are_stored_listed_and_versioned(self, store: Store) -> None:
        first = store.cases.put(_case("case-b"))
        assert store.cases.get("case-b") == first
        assert store.cases.find("case-x") is None
        assert "case-b" in store.cases
        assert "case-x" not in store.cases
        for id in ("case-c", "case-a"):
            store.cases.put(_case(id))
        assert store.cases.ids() == ["case-a", "case-b", "case-c"]
        assert store.cases.count() == 3
        assert [c.value.id for c in store.cases.list(after="case-a", limit=1)] == ["case-b"]
        with pytest.raises(ConflictError, match="already exists"):
            store.cases.put(_case("case-b"))
        changed = attrs.evolve(first.value, worker="worker-2")
        second = store.cases.put(changed, expected_version=first.version)
        assert second.version > first.version
        assert store.cases.by_worker("worker-2") == [second]
        with pytest.raises(ConflictError, match="version"):
            store.cases.put(first.value, expected_version=first.version)
        with pytest.raises(ConflictError):
            store.cases.delete("case-b", expected_version=first.version)
        store.cases.delete("case-b", expected_version=second.version)
        with pytest.raises(NotFoundError, match="case-b"):
            store.cases.get("case-b")
        again = store.cases.put(_case("case-b"), expected_version=ANY_VERSION)
        assert again.version > second.version  # a version never comes back
        assert store.info().counts["case"] == 3
        assert store.integrity_check() == []

    def test_every_case_field_round_trips(self, store: Store) -> None:
        """The zone, the receiving desk, the relative, refusals, stages, expected
        releases and the preferred place come back as they were written, and the
        received index is the person's day."""
        cases = _cases_with_every_field()
        for case in cases:
            store.cases.put(case)
        for case in cases:
            assert store.cases.get(case.id).value == case
        assert {item.value.id for item in store.cases.search(received_from=dt.date(2024, 11, 5))}
        assert [item.value for item in store.cases.list()] == sorted(cases, key=lambda c: c.id)
        day = store.cases.search(
            received_from=dt.date(2024, 11, 5), received_to=dt.date(2024, 11, 5)
        )
        assert sorted(item.value.id for item in day) == sorted(case.id for case in cases)
        assert store.cases.search(received_to=dt.date(2024, 11, 4)) == []  # not the UTC day

    def test_case_documents_of_the_old_shape_still_load(self, store: Store) -> None:
        """A case written before the new fields existed reads with their defaults."""
        _raw_write(store, CASES.kind, "example-mother-son-shoplifting", OLD_CASE_DOCUMENT)
        case = store.cases.get("example-mother-son-shoplifting").value
        assert case == from_json(OLD_CASE_DOCUMENT, ConsultationCase)
        assert case.time_zone is None
        assert case.received_by is None
        assert case.relative is None
        assert case.subject.preferred_municipality is None
        assert case.subject.suspected_attributes == frozenset()
        assert case.subject.juvenile_stage is None
        assert case.subject.expected_release_on is None
        assert [consent.decision for consent in case.consents] == [ConsentDecision.GIVEN]
        assert case.received_on == dt.date(2024, 6, 13)
        changed = attrs.evolve(case, time_zone="Asia/Tokyo", received_by="tokyo-anything-desk")
        stored = store.cases.put(changed, expected_version=store.cases.get(case.id).version)
        assert store.cases.get(case.id) == stored

    def test_cases_are_found_by_their_index_entries(self, store: Store) -> None:
        store.needs.put(Need(code="housing.pets", label=_text("ペット可"), parent="housing"))
        late = dt.datetime(2024, 12, 31, 23, 30, tzinfo=_TOKYO)  # 2024-12-31 14:30 UTC
        cases = [
            _case("a", needs=["housing.emergency"], worker="worker-2"),
            _case("b", municipality=SHINJUKU, residence=None, needs=["housing"], received=late),
            _case("c", municipality=None, residence=SHINJUKU, needs=["employment", "no-such"]),
            _case("d", needs=["housing.pets"], legal=LegalSituation.ON_PAROLE, worker=None,
                  received=dt.datetime(2025, 1, 1, 0, 10, tzinfo=_TOKYO)),
            _case("e", needs=["welfare"], received=dt.datetime(2024, 2, 29, 9, tzinfo=_TOKYO)),
        ]  # fmt: skip
        for case in cases:
            store.cases.put(case)

        def ids(found: Sequence[Versioned[ConsultationCase]]) -> list[str]:
            return [item.value.id for item in found]

        assert ids(store.cases.by_municipality(HACHIOJI)) == ["a", "d", "e"]
        assert ids(store.cases.by_municipality("八王子市")) == ["a", "d", "e"]
        assert ids(store.cases.search(residence="新宿区")) == ["c"]
        assert ids(store.cases.by_worker("worker-1")) == ["b", "c", "e"]
        assert ids(store.cases.by_need("housing")) == ["a", "b", "d"]  # and its sub-needs
        assert ids(store.cases.by_need("housing.emergency")) == ["a"]
        assert ids(store.cases.by_need("no-such")) == ["c"]  # unknown codes match themselves
        assert ids(store.cases.where("need", "housing")) == ["b"]  # the raw index entry
        assert ids(store.cases.search(legal_situation="on_parole")) == ["d"]
        assert ids(store.cases.search(legal_situation=LegalSituation.ON_PAROLE)) == ["d"]
        day = dt.date(2024, 12, 31)
        assert ids(store.cases.search(received_from=day, received_to=day)) == ["b"]
        assert ids(store.cases.search(received_from=day)) == ["b", "d"]
        assert ids(store.cases.search(received_to=dt.date(2024, 11, 5))) == ["a", "c", "e"]
        assert ids(store.cases.search(received_from=dt.date(2024, 3, 1))) == ["a", "b", "c", "d"]
        assert ids(store.cases.where("received", "2024-02")) == ["e"]
        assert store.cases.search(received_from=dt.date(2025, 1, 2), received_to=day) == []
        assert ids(
            store.cases.search(municipality=HACHIOJI, need="housing", worker="worker-2")
        ) == ["a"]
        assert ids(store.cases.search(municipality=HACHIOJI, after="a", limit=1)) == ["d"]
        bad: list[tuple[Callable[[], object], str]] = [
            (lambda: store.cases.search(municipality="132013"), "municipality"),
            (lambda: store.cases.search(residence="132013"), "residence"),
            (lambda: store.cases.search(worker="Worker 1"), "worker"),
            (lambda: store.cases.search(need="Housing!"), "need"),
            (lambda: store.cases.search(legal_situation="jailed"), "legal_situation"),
            (lambda: store.cases.search(received_from="2024-01-01"), "received_from"),  # type: ignore[arg-type]
            (lambda: store.cases.search(received_to=late), "received_to"),
            (lambda: store.cases.search(limit=-1), "limit"),
        ]
        for call, path in bad:
            with pytest.raises(ValidationError) as caught:
                call()
            assert caught.value.paths == [path], (path, caught.value.paths)

    def test_case_queries_agree_with_the_cases(self, store: Store) -> None:
        ids = tuple(f"case-{n}" for n in range(8))

        @settings(
            max_examples=self.hypothesis_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            st.lists(_case_records(ids), max_size=8, unique_by=lambda case: case.id),
            st.sampled_from([day.date() for day in _DAYS]),
            st.sampled_from([day.date() for day in _DAYS]),
        )
        def check(cases: list[ConsultationCase], first: dt.date, last: dt.date) -> None:
            for id in store.cases.ids():
                store.cases.delete(id, expected_version=ANY_VERSION)
            with store.transaction():
                for case in cases:
                    store.cases.put(case)
            assert [item.value for item in store.cases.list()] == sorted(cases, key=lambda c: c.id)

            def found(items: Sequence[Versioned[ConsultationCase]]) -> list[str]:
                return [item.value.id for item in items]

            for place in _CASE_PLACES:
                assert found(store.cases.by_municipality(place)) == _expected_cases(
                    cases, municipality=place
                )
            for need in _CASE_NEEDS:
                assert found(store.cases.by_need(need)) == _expected_cases(cases, need=need)
            for worker in _WORKERS:
                assert found(store.cases.by_worker(worker)) == _expected_cases(cases, worker=worker)
            between = store.cases.search(received_from=first, received_to=last, need="housing")
            assert found(between) == _expected_cases(cases, first=first, last=last, need="housing")
            assert found(store.cases.search(received_from=first)) == _expected_cases(
                cases, first=first
            )

        check()

    def test_cases_do_not_tie_the_directory(self, store: Store) -> None:
        store.import_directory(small_directory("first"))
        case = store.cases.put(_case("case-1"))  # its consent names "halfway" and a stranger
        halfway = store.agencies.get("halfway")
        for service in store.services.by_agency("halfway"):
            store.services.delete(service.value.id, expected_version=service.version)
        store.agencies.delete("halfway", expected_version=halfway.version)
        store.import_directory(Directory())
        assert store.cases.get("case-1") == case  # imports replace directory records only
        assert store.integrity_check() == []

    def test_sensitive_case_text_is_kept_intact(
        self, store: Store, reopen: Callable[[], Store]
    ) -> None:
        stored = [
            store.cases.put(_case(f"hostile-{n}", secret=text))
            for n, text in enumerate(_HOSTILE_SECRETS)
        ]
        assert reopen().cases.list() == sorted(stored, key=lambda item: item.value.id)
        assert store.integrity_check() == []

    def test_lone_surrogates_are_refused_with_their_path(self, store: Store) -> None:
        # docs/serialization.md: text with a lone surrogate is not valid Unicode and is refused,
        # however the object was built (a model may refuse it already; the store must).
        with pytest.raises(ValidationError) as raised:
            store.cases.put(_case("case-1", secret="name \ud800"))
        assert any(path.endswith("name") for path in raised.value.paths), raised.value.paths
        assert "surrogate" in str(raised.value)
        with pytest.raises(ValidationError) as raised:
            store.agencies.put(
                Agency(id="odd", name=_text("機関\udfff"), kind="hello_work", operator="x")
            )
        # LocalizedText refuses it as it is built, naming its own field; a store that met
        # it would name the agency's.
        assert any(path.startswith(("name", "ja")) for path in raised.value.paths), (
            raised.value.paths
        )
        assert store.cases.count() == 0
        assert store.agencies.count() == 0
        assert store.integrity_check() == []

    def test_case_errors_and_logs_never_show_sensitive_values(
        self, store: Store, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level("DEBUG")
        birth = attrs.evolve(
            _case("case-1"),
            subject=attrs.evolve(
                _case("case-1").subject, age=None, birth_date=dt.date(1952, 3, 14)
            ),
        )
        stored = store.cases.put(birth)
        newer = store.cases.put(birth, expected_version=stored.version)
        failures: list[Callable[[], object]] = [
            lambda: store.cases.put(birth),
            lambda: store.cases.put(birth, expected_version=stored.version),
            lambda: store.cases.put(attrs.evolve(birth, id="case-2"), expected_version=7),
            lambda: store.cases.delete("case-1", expected_version=stored.version),
            lambda: store.cases.get("case-3"),
        ]
        limit = store.capabilities.max_record_bytes
        if limit is not None:
            big = _SECRET * (limit // len(_SECRET.encode("utf-8")) + 1)
            failures.append(lambda: store.cases.put(attrs.evolve(birth, id="case-4", summary=big)))
        messages = []
        for call in failures:
            with pytest.raises(SaihanError) as caught:
                call()
            messages.append(str(caught.value))
        shown = [*messages, caplog.text, repr(newer), repr(store.cases.list())]
        for text in shown:
            for secret in (_SECRET, "1952-03-14", "山田"):
                assert secret not in text
        assert any("case-1" in message for message in messages)
        assert store.integrity_check() == []
        assert store.cases.get("case-1") == newer

    def test_rule_sets_keep_every_version(self, store: Store) -> None:
        rules = default_rules()
        first = store.rule_sets.put(rules)
        assert store.rule_sets.get_version(rules.id, rules.version) == first
        assert store.rule_sets.get(rule_set_record_id(rules.id, rules.version)) == first
        assert first.value.active(dt.date(2025, 1, 1)) == rules.active(dt.date(2025, 1, 1))
        later = store.rule_sets.put(_rule_set("2025.1 改訂"))
        slashed = store.rule_sets.put(_rule_set("2025/1 改訂"))  # the same readable part
        assert store.rule_sets.versions(rules.id) == [first, later, slashed]
        assert store.rule_sets.latest(rules.id) == slashed
        assert store.rule_sets.count() == 3
        assert store.rule_sets.where("rule_set", rules.id) == sorted(
            [first, later, slashed],
            key=lambda item: rule_set_record_id(item.value.id, item.value.version),
        )
        with pytest.raises(ConflictError, match="already exists"):
            store.rule_sets.put(rules)
        same = store.rule_sets.put(rules, expected_version=first.version)  # unchanged: allowed
        assert same.version > slashed.version
        with pytest.raises(ConflictError, match="version"):
            store.rule_sets.put(rules, expected_version=first.version)
        with pytest.raises(ValidationError) as changed:  # a stored version never changes
            store.rule_sets.put(_rule_set(rules.version, rules=1), expected_version=ANY_VERSION)
        assert changed.value.paths == ["version"]
        assert store.rule_sets.get_version(rules.id, rules.version) == same
        later_id = rule_set_record_id(rules.id, "2025.1 改訂")
        store.rule_sets.delete(later_id, expected_version=later.version)
        assert store.rule_sets.find_version(rules.id, "2025.1 改訂") is None
        assert store.rule_sets.latest(rules.id) == same
        with pytest.raises(NotFoundError, match="9999"):
            store.rule_sets.get_version(rules.id, "9999")
        with pytest.raises(NotFoundError):
            store.rule_sets.latest("no-such-rules")
        with pytest.raises(ValidationError) as bad:
            store.rule_sets.find_version("Bad Id", "")
        assert bad.value.paths == ["rule_set_id"]
        assert store.integrity_check() == []

    def test_flows_keep_every_version(self, store: Store) -> None:
        flow = bundled_flow("debts")
        first = store.flows.put(flow)
        assert store.flows.get_version(flow.id, flow.version) == first
        revised = attrs.evolve(flow, version="2025.1 改訂")
        later = store.flows.put(revised)
        assert store.flows.versions(flow.id) == [first, later]
        assert store.flows.latest(flow.id) == later
        with pytest.raises(ValidationError) as changed:  # a stored version never changes
            store.flows.put(
                attrs.evolve(flow, nodes=flow.nodes[::-1]), expected_version=ANY_VERSION
            )
        assert changed.value.paths == ["version"]
        plan = match(_case("case-flow"), small_directory(), flow=flow)
        assert store.flows.for_plan(plan) == first
        with pytest.raises(NotFoundError, match="followed no flow"):
            store.flows.for_plan(attrs.evolve(plan, flow=None))
        with pytest.raises(NotFoundError, match="9999"):
            store.flows.get_version(flow.id, "9999")
        with pytest.raises(ValidationError) as bad:
            store.flows.versions("Bad Id")
        assert bad.value.paths == ["flow_id"]
        assert store.integrity_check() == []

    def test_plans_are_kept_per_case_and_moment(self, store: Store) -> None:
        directory = small_directory()
        store.import_directory(directory)
        case = store.cases.put(_case("case-1")).value
        at = dt.datetime(2024, 11, 5, 10, 30, tzinfo=_TOKYO)
        plan = match(case, directory, at=at)
        stored = store.plans.put(plan)
        assert stored.value == plan
        assert store.plans.ids() == ["case-1.20241105t013000"]
        assert store.plans.find_plan("case-1", at.astimezone(dt.UTC)) == stored
        with pytest.raises(ConflictError, match="already exists"):  # append-only in spirit
            store.plans.put(plan)
        rules = store.rule_sets.put(default_rules())
        assert store.rule_sets.for_plan(plan) == rules
        moments = [at + dt.timedelta(microseconds=n) for n in (1, 10**6, 5)] + [
            at - dt.timedelta(days=1)
        ]
        for moment in moments:
            store.plans.put(_plan("case-1", moment))
        store.plans.put(_plan("case-10", at))
        for_case = store.plans.for_case("case-1")
        assert [item.value.at for item in for_case] == sorted([at, *moments])
        latest = store.plans.latest_for_case("case-1")
        assert latest is not None
        assert latest.value.at == at + dt.timedelta(seconds=1)
        assert store.plans.latest_for_case("case-2") is None
        assert [p.value.case_id for p in store.plans.where("rule_set", "tokyo-default")].count(
            "case-1"
        ) == 5
        long_id = "c" * 128
        long_plan = store.plans.put(_plan(long_id, at))
        assert store.plans.for_case(long_id) == [long_plan]
        assert len(plan_record_id(long_id, at)) <= 128
        with pytest.raises(ValidationError) as naive:
            store.plans.put(_plan("case-1", dt.datetime(2024, 11, 5, 10, 30)))
        assert naive.value.paths == ["at"]
        with pytest.raises(ValidationError) as bad_case:
            store.plans.put(_plan("Case One", at))
        assert bad_case.value.paths == ["case_id"]
        store.plans.delete(plan_record_id("case-1", at), expected_version=stored.version)
        assert store.plans.find_plan("case-1", at) is None
        assert store.info().counts["referral_plan"] == 6
        assert store.integrity_check() == []

    def test_referral_records_roll_back_with_their_transaction(self, store: Store) -> None:
        def block() -> None:
            with store.transaction():
                store.cases.put(_case("case-1"))
                store.rule_sets.put(default_rules())
                store.plans.put(_plan("case-1", dt.datetime(2024, 11, 5, tzinfo=_TOKYO)))
                raise RuntimeError("undo")

        with pytest.raises(RuntimeError):
            block()
        assert (store.cases.count(), store.rule_sets.count(), store.plans.count()) == (0, 0, 0)

    # -- referrals and the audit trail ------------------------------------------
    def test_referrals_are_stored_and_found_by_case_status_and_service(self, store: Store) -> None:
        store.import_directory(small_directory())
        store.cases.put(_case("case-1"))  # consents to "halfway" and welfare offices
        store.cases.put(_case("case-2"))
        made = [
            _referral("case-1.halfway-stay.1", "case-1", "halfway-stay", "halfway",
                      "rehabilitation_facility", ReferralStatus.REQUESTED),
            _referral("case-1.welfare-assist.1", "case-1", "welfare-assist", "hachioji-welfare",
                      "welfare_office", ReferralStatus.ACCEPTED),
            _referral("case-2.hw-job.1", "case-2", "hw-job", "hw-shinjuku", "hello_work",
                      ReferralStatus.CANCELLED),
            _referral("case-2.halfway-stay.1", "case-2", "halfway-stay", "halfway",
                      "rehabilitation_facility", ReferralStatus.DRAFT),
        ]  # fmt: skip
        stored = {referral.id: store.referrals.put(referral) for referral in made}
        for referral in made:
            assert store.referrals.get(referral.id) == stored[referral.id]
            assert store.referrals.get(referral.id).value == referral
        assert "case-1.hw-job.9" not in store.referrals

        def ids(found: Sequence[Versioned[Referral]]) -> list[str]:
            return [item.value.id for item in found]

        assert ids(store.referrals.for_case("case-1")) == sorted(
            ["case-1.halfway-stay.1", "case-1.welfare-assist.1"]
        )
        assert ids(store.referrals.open()) == sorted(
            ["case-1.halfway-stay.1", "case-1.welfare-assist.1", "case-2.halfway-stay.1"]
        )
        assert ids(store.referrals.open(after="case-1.welfare-assist.1", limit=1)) == [
            "case-2.halfway-stay.1"
        ]
        assert ids(store.referrals.by_status("requested")) == ["case-1.halfway-stay.1"]
        assert ids(store.referrals.by_status(ReferralStatus.CANCELLED)) == ["case-2.hw-job.1"]
        assert store.referrals.by_status("completed") == []
        assert ids(store.referrals.for_service("halfway-stay")) == [
            "case-1.halfway-stay.1",
            "case-2.halfway-stay.1",
        ]
        with pytest.raises(ValidationError) as bad:
            store.referrals.by_status("done")
        assert bad.value.paths == ["status"]
        # A status change moves it between the index entries.
        first = stored["case-1.halfway-stay.1"]
        moved = _extend(first.value, ReferralStatus.REJECTED, reason="no room")
        second = store.referrals.put(moved, expected_version=first.version)
        assert second.version > first.version
        assert ids(store.referrals.by_status("rejected")) == ["case-1.halfway-stay.1"]
        assert "case-1.halfway-stay.1" not in ids(store.referrals.open())
        with pytest.raises(ConflictError, match="version"):
            store.referrals.put(moved, expected_version=first.version)
        with pytest.raises(ConflictError):  # a case with referrals cannot be deleted
            store.cases.delete("case-2", expected_version=ANY_VERSION)
        assert store.info().counts["referral"] == 4
        assert store.integrity_check() == []

    def test_referrals_are_found_by_when_they_were_first_requested(self, store: Store) -> None:
        store.import_directory(small_directory())
        store.cases.put(_case("case-1"))
        plain = _referral("case-1.r.0", "case-1", "halfway-stay", "halfway",
                          "rehabilitation_facility", ReferralStatus.DRAFT)  # fmt: skip
        new_year = dt.datetime(2025, 1, 1, 8, 30, tzinfo=_TOKYO)  # 2024-12-31 23:30 UTC
        made = {
            "case-1.r.0": plain,  # never requested
            "case-1.r.1": _requested(plain, "case-1.r.1", new_year),
            "case-1.r.2": _requested(plain, "case-1.r.2", new_year + dt.timedelta(hours=1)),
            "case-1.r.3": _requested(plain, "case-1.r.3", dt.datetime(2025, 3, 1, tzinfo=dt.UTC)),
        }
        for referral in made.values():
            store.referrals.put(referral)

        def ids(start: dt.datetime, end: dt.datetime) -> list[str]:
            return [item.value.id for item in store.referrals.requested_between(start, end)]

        early, late = dt.datetime(2024, 1, 1, tzinfo=_TOKYO), dt.datetime(2026, 1, 1, tzinfo=_TOKYO)
        assert ids(early, late) == ["case-1.r.1", "case-1.r.2", "case-1.r.3"]
        assert ids(new_year, new_year + dt.timedelta(hours=1)) == ["case-1.r.1"]  # end excluded
        # the same moments in another offset; a range inside one UTC day
        utc_new_year = new_year.astimezone(dt.UTC)
        assert ids(utc_new_year + dt.timedelta(minutes=1), late) == ["case-1.r.2", "case-1.r.3"]
        assert ids(
            dt.datetime(2025, 1, 1, tzinfo=_TOKYO), dt.datetime(2025, 2, 1, tzinfo=_TOKYO)
        ) == [
            "case-1.r.1",
            "case-1.r.2",
        ]
        assert ids(late, early) == []
        # moving on does not move the day it was first requested
        first = store.referrals.get("case-1.r.1")
        store.referrals.put(
            _extend(first.value, ReferralStatus.ACCEPTED), expected_version=first.version
        )
        assert ids(new_year, new_year + dt.timedelta(seconds=1)) == ["case-1.r.1"]
        for start, end, paths in (
            (new_year.replace(tzinfo=None), late, ["start"]),
            (new_year, "2026-01-01", ["end"]),
            (None, None, ["start", "end"]),
        ):
            with pytest.raises(ValidationError) as caught:
                store.referrals.requested_between(start, end)  # type: ignore[arg-type]
            assert caught.value.paths == paths

    def test_referral_date_queries_agree_with_the_referrals(self, store: Store) -> None:
        store.import_directory(small_directory())
        store.cases.put(_case("case-1"))
        plain = _referral("case-1.r.0", "case-1", "halfway-stay", "halfway",
                          "rehabilitation_facility", ReferralStatus.DRAFT)  # fmt: skip
        moments = st.sampled_from(_REQUESTED_AT)

        @settings(
            max_examples=self.hypothesis_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(st.lists(st.none() | moments, max_size=6), moments, moments)
        def check(
            requested: list[dt.datetime | None], start: dt.datetime, end: dt.datetime
        ) -> None:
            for id in store.referrals.ids():
                store.referrals.delete(id, expected_version=ANY_VERSION)
            with store.transaction():
                for n, at in enumerate(requested):
                    id = f"case-1.r.{n}"
                    store.referrals.put(
                        attrs.evolve(plain, id=id) if at is None else _requested(plain, id, at)
                    )
            found = [item.value.id for item in store.referrals.requested_between(start, end)]
            assert found == sorted(
                f"case-1.r.{n}"
                for n, at in enumerate(requested)
                if at is not None and start <= at < end
            )

        check()

    def test_referral_histories_are_append_only_and_need_consent(self, store: Store) -> None:
        store.import_directory(small_directory())
        case = store.cases.put(_case("case-1")).value
        base = _referral("case-1.halfway-stay.1", "case-1", "halfway-stay", "halfway",
                         "rehabilitation_facility", ReferralStatus.ACCEPTED)  # fmt: skip
        stored = store.referrals.put(base)
        changed_event = attrs.evolve(base.history[1], actor="someone-else")
        rewritten = attrs.evolve(base, history=(base.history[0], changed_event, *base.history[2:]))
        dropped = attrs.evolve(base, history=base.history[:1])
        moved_case = attrs.evolve(_extend(base, ReferralStatus.IN_PROGRESS), case_id="case-2")
        store.cases.put(_case("case-2"))
        for bad, path in ((rewritten, "history"), (dropped, "history"), (moved_case, "case_id")):
            with pytest.raises(ValidationError) as caught:
                store.referrals.put(bad, expected_version=stored.version)
            assert path in caught.value.paths, caught.value.paths
        assert store.referrals.get(base.id) == stored
        # Entering a status that hands the information on needs a consent on its day.
        stranger = _referral("case-1.hw-job.1", "case-1", "hw-job", "hw-shinjuku", "hello_work",
                             ReferralStatus.REQUESTED)  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            store.referrals.put(stranger)
        assert caught.value.paths == ["history[1].status"]
        assert _SECRET not in str(caught.value)
        draft = store.referrals.put(attrs.evolve(stranger, history=stranger.history[:1]))
        # The case cannot lose the consent an open referral relies on ...
        with pytest.raises(ValidationError) as lost:
            store.cases.put(attrs.evolve(case, consents=()), expected_version=ANY_VERSION)
        assert lost.value.paths == ["consents"]
        # ... nor be closed while a referral is open; a closed case takes no new referral.
        closing = attrs.evolve(case, closed_at=case.received_at + dt.timedelta(days=30))
        with pytest.raises(ValidationError) as still_open:
            store.cases.put(closing, expected_version=ANY_VERSION)
        assert still_open.value.paths == ["closed_at"]
        for item in (stored, draft):
            ended = _extend(item.value, ReferralStatus.CANCELLED, reason="not needed")
            store.referrals.put(ended, expected_version=item.version)
        store.cases.put(closing, expected_version=ANY_VERSION)
        late = _referral("case-1.debt.1", "case-1", "debt", "hw-shinjuku", "hello_work",
                         ReferralStatus.DRAFT)  # fmt: skip
        with pytest.raises(ValidationError) as closed:
            store.referrals.put(late)
        assert closed.value.paths == ["case_id"]
        assert store.integrity_check() == []

    def test_audit_events_are_written_with_every_change(self, store: Store) -> None:
        from saihan.serialization import to_json

        store.import_directory(small_directory())
        at = dt.datetime(2024, 11, 5, 10, 30, tzinfo=_TOKYO)
        assert store.audit.count() == 0
        with store.acting_as("worker-1", at=at):
            case = store.cases.put(_case("case-1"))
            referral = store.referrals.put(
                _referral("case-1.halfway-stay.1", "case-1", "halfway-stay", "halfway",
                          "rehabilitation_facility", ReferralStatus.DRAFT)
            )  # fmt: skip
        later = at + dt.timedelta(days=1)
        with store.acting_as("worker-2", at=later):
            moved = store.referrals.put(
                _extend(referral.value, ReferralStatus.REQUESTED), expected_version=referral.version
            )
            edited = store.cases.put(
                attrs.evolve(case.value, summary=_SECRET + " (2)", worker="worker-2"),
                expected_version=case.version,
            )
        store.referrals.delete(moved.value.id, expected_version=moved.version)  # the store's
        events = store.audit.list()
        assert [(e.record_kind, e.record_id, e.action) for e in events] == [
            ("case", "case-1", AuditAction.CREATED),
            ("referral", "case-1.halfway-stay.1", AuditAction.CREATED),
            ("referral", "case-1.halfway-stay.1", AuditAction.STATUS_CHANGED),
            ("case", "case-1", AuditAction.UPDATED),
            ("referral", "case-1.halfway-stay.1", AuditAction.DELETED),
        ]
        actors = ["worker-1", "worker-1", "worker-2", "worker-2", "system"]
        assert [e.actor for e in events] == actors
        assert [e.at for e in events[:4]] == [at, at, later, later]
        assert [e.version for e in events] == [
            case.version,
            referral.version,
            moved.version,
            edited.version,
            None,
        ]
        assert (events[2].status_from, events[2].status_to) == ("draft", "requested")
        assert events[2].changed == ("history[1]",)
        assert set(events[3].changed) == {"summary", "worker"}
        assert events[4].status_from == "requested"
        assert store.audit.count() == 5
        assert store.audit.get(events[0].id) == events[0]
        assert store.audit.for_record("case", "case-1") == [events[0], events[3]]
        assert store.audit.by_actor("worker-2") == events[2:4]
        assert store.audit.on_days(at.date(), at.date()) == events[:2]
        assert store.audit.list(after=events[1].id, limit=2) == events[2:4]
        for event in events:
            document = to_json(event)
            assert _SECRET not in document
            assert "山田" not in document
        assert store.integrity_check() == []

    def test_audit_events_roll_back_with_their_transaction(self, store: Store) -> None:
        store.import_directory(small_directory())

        def block() -> None:
            with store.transaction(), store.acting_as("worker-1"):
                store.cases.put(_case("case-1"))
                store.referrals.put(
                    _referral("case-1.halfway-stay.1", "case-1", "halfway-stay", "halfway",
                              "rehabilitation_facility", ReferralStatus.REQUESTED)
                )  # fmt: skip
                raise RuntimeError("undo")

        with pytest.raises(RuntimeError):
            block()
        assert (store.cases.count(), store.referrals.count(), store.audit.count()) == (0, 0, 0)
        with store.transaction():
            store.cases.put(_case("case-1"))
            with contextlib.suppress(RuntimeError), store.transaction():
                store.cases.put(_case("case-2"))
                raise RuntimeError("undo the inner block only")
        assert [event.record_id for event in store.audit.list()] == ["case-1"]
        with pytest.raises(ConflictError):  # a failed write writes no event either
            store.cases.put(_case("case-1"))
        with pytest.raises(ValidationError):
            store.referrals.put(
                _referral("case-1.hw-job.1", "case-1", "hw-job", "hw-shinjuku", "hello_work",
                          ReferralStatus.REQUESTED)
            )  # fmt: skip
        assert store.audit.count() == 1
        assert store.integrity_check() == []

    def test_exports_are_audited_with_their_principal_and_details(self, store: Store) -> None:
        officer = Principal(
            id="officer-1",
            roles=frozenset({Role.MUNICIPAL_OFFICER}),
            organisation="org-hachioji",
            municipalities=frozenset({"132012"}),
        )
        at = dt.datetime(2025, 4, 10, 10, 0, tzinfo=_TOKYO)
        with store.acting_as(officer, at=at):
            event = store.record_export("case-share", "liaison-meeting-2024-10", ["k=5"])
        stored = store.audit.list()[-1]
        assert stored == event
        assert (stored.action, stored.record_kind, stored.record_id) == (
            "exported",
            "case-share",
            "liaison-meeting-2024-10",
        )
        assert (stored.actor, stored.roles, stored.organisation, stored.at) == (
            "officer-1",
            ("municipal-officer",),
            "org-hachioji",
            at,
        )
        assert stored.changed == ("export", "k=5")
        with contextlib.suppress(RuntimeError), store.transaction():
            store.record_export("plan-report", "hachioji-office")
            raise RuntimeError("undo the export with its transaction")
        assert store.audit.count() == 1
        for bad, path in (({"what": "Case Share"}, "what"), ({"details": ["  "]}, "details[0]")):
            arguments: dict[str, Any] = {"what": "case-share", "recipient": "x", **bad}
            with pytest.raises(ValidationError) as raised:
                store.record_export(**arguments)
            assert [item.path for item in raised.value.errors] == [path]
        assert store.audit.verify().ok
        assert store.integrity_check() == []

    def test_audit_events_cannot_be_written_through_a_repository(self, store: Store) -> None:
        store.cases.put(_case("case-1"))
        event = store.audit.list()[0]
        repository = Repository(store, AUDIT_EVENTS)  # saihan's own type, made directly
        forged = attrs.evolve(event, id="e999999999999999", actor="intruder")
        with pytest.raises(ConflictError):
            repository.put(forged)
        with pytest.raises(ConflictError):
            repository.put(attrs.evolve(event, actor="intruder"), expected_version=ANY_VERSION)
        with pytest.raises(ConflictError):
            repository.delete(event.id, expected_version=ANY_VERSION)
        with pytest.raises(ConflictError), store.transaction():
            repository.put(forged)
        chain = Repository(store, AUDIT_CHAIN)
        with pytest.raises(ConflictError):
            chain.delete(AUDIT_CHAIN_HEAD_ID, expected_version=ANY_VERSION)
        assert not hasattr(store.audit, "put")
        assert not hasattr(store.audit, "delete")
        assert store.audit.list() == [event]
        assert repository.get(event.id).value == event  # reading is fine
        assert isinstance(event, AuditEvent)
        assert store.audit.verify().ok

    def test_saihans_own_kinds_are_sealed(self, store: Store) -> None:
        class Imitation(RecordType[Any]):
            pass

        store.cases.put(_case("case-1"))
        impostors: list[RecordType[Any]] = [
            AUDIT_EVENTS,  # internal: never given out
            AUDIT_CHAIN,
            attrs.evolve(AUDIT_EVENTS, internal=False),
            attrs.evolve(CASES, audit=None),
            attrs.evolve(REFERRALS, check=lambda _item, _reader: []),
            RecordType("audit_event", AuditEvent, lambda item: item.id, "event"),
            RecordType("referral", Referral, lambda item: item.id, "referral"),
            RecordType("case", ConsultationCase, lambda item: item.id, "case"),
            Imitation("case", ConsultationCase, lambda item: item.id, "case"),
            attrs.evolve(storage.SERVICES, references=lambda _item: ()),
        ]
        for impostor in impostors:
            with pytest.raises(ValidationError) as refused:
                store.repository(impostor)
            assert refused.value.paths == ["record_type"]
            assert repr(impostor.kind) in str(refused.value)
            if impostor is not AUDIT_EVENTS and impostor is not AUDIT_CHAIN:
                with pytest.raises(ValidationError):
                    Repository(store, impostor)  # nor around store.repository()
        sneaky = store.repository(NOTES)
        sneaky._type = attrs.evolve(CASES, audit=None)  # type: ignore[assignment]
        with pytest.raises(ValidationError):
            sneaky.put(attrs.evolve(store.cases.get("case-1").value, summary="x"))  # type: ignore[arg-type]
        assert store.repository(CASES).get("case-1") == store.cases.get("case-1")
        assert store.repository(Imitation("note-like", Note, lambda n: n.id, "n")).count() == 0
        assert [e.action for e in store.audit.list()] == [AuditAction.CREATED]
        assert store.integrity_check() == []

    def test_audit_events_form_a_hash_chain(self, store: Store) -> None:
        from saihan.serialization import unstructure

        store.import_directory(small_directory())
        assert store.audit.verify() == AuditVerification(0, 0, None, ())
        with store.acting_as("worker-1", at=dt.datetime(2024, 11, 5, 10, tzinfo=_TOKYO)):
            case = store.cases.put(_case("case-1"))
            store.cases.put(attrs.evolve(case.value, worker="w2"), expected_version=case.version)
            store.referrals.put(
                _referral("case-1.halfway-stay.1", "case-1", "halfway-stay", "halfway",
                          "rehabilitation_facility", ReferralStatus.DRAFT)
            )  # fmt: skip
            store.cases.put(_case("case-2"))
            store.cases.delete("case-2", expected_version=ANY_VERSION)
        events = store.audit.list()
        assert len(events) == 5
        assert events[0].previous == GENESIS_DIGEST
        for before, event in itertools.pairwise(events):
            assert event.previous == before.digest
        for event in events:
            assert event.digest == event_digest(unstructure(event))
        assert events[-1].record_digest is None  # a deletion
        current = store.cases.get("case-1")
        assert events[1].record_digest == canonical_digest(unstructure(current.value))
        verified = store.audit.verify()
        assert verified == AuditVerification(5, 5, events[-1].digest, ())
        assert store.integrity_check() == []

    def test_tampering_underneath_the_store_is_found(self, store: Store) -> None:
        """Writes straight to the engine (as SQL or a file editor would) are found."""
        store.import_directory(small_directory())
        with store.acting_as("worker-1"):
            for number in range(1, 4):
                store.cases.put(_case(f"case-{number}"))
        events = [(record.id, record.document) for record in _raw(store, AUDIT_EVENTS.kind)]
        first, middle, newest = events[0][0], events[1][0], events[2][0]

        def first_problem() -> str:
            problems = store.audit.verify().problems
            assert problems, "tampering went unnoticed"
            assert store.integrity_check(), "integrity_check missed it"
            assert _SECRET not in " ".join(problems)
            return problems[0]

        # an event's document changed
        document = events[0][1].replace('"worker-1"', '"intruder"')
        _raw_write(store, AUDIT_EVENTS.kind, first, document)
        assert first_problem().startswith(f"audit event {first!r}: its digest")
        _raw_write(store, AUDIT_EVENTS.kind, first, events[0][1])
        assert store.audit.verify().ok
        # a middle event deleted: the next one's link breaks
        _raw_delete(store, AUDIT_EVENTS.kind, middle)
        assert first_problem().startswith(f"audit event {newest!r}: broken link")
        _raw_write(store, AUDIT_EVENTS.kind, middle, events[1][1])
        assert store.audit.verify().ok
        # the newest event deleted: the head tells
        _raw_delete(store, AUDIT_EVENTS.kind, newest)
        assert "the newest events were deleted" in first_problem()
        _raw_write(store, AUDIT_EVENTS.kind, newest, events[2][1])
        assert store.audit.verify().ok
        # a forged event inserted after the others
        forged = events[2][1].replace(newest, "e999999999999999")
        _raw_write(store, AUDIT_EVENTS.kind, "e999999999999999", forged)
        assert first_problem().startswith("audit event 'e999999999999999': broken link")
        _raw_delete(store, AUDIT_EVENTS.kind, "e999999999999999")
        assert store.audit.verify().ok
        # a case changed behind the store's back: a version without its event
        (found,) = [record for record in _raw(store, "case") if record.id == "case-2"]
        changed = json.loads(found.document)
        changed["summary"] = "rewritten"
        _raw_write(store, "case", "case-2", json.dumps(changed, ensure_ascii=False))
        version = store.cases.get("case-2").version
        assert first_problem() == f"case 'case-2' version {version} has no audit event"

    # -- principals and scopes --------------------------------------------------------
    def test_a_worker_cannot_reach_another_municipalitys_records(self, store: Store) -> None:
        """A Hachioji worker reads, lists, changes and follows up Hachioji's cases and
        referrals only; every refusal of Shinjuku's is an AccessDenied, audited."""
        store.import_directory(small_directory())
        ours, theirs = _case("case-h"), _case("case-s", municipality=SHINJUKU)
        for case in (ours, theirs):
            store.cases.put(attrs.evolve(case, organisation="org-a"))
            store.referrals.put(
                _referral(f"{case.id}.halfway-stay.1", case.id, "halfway-stay", "halfway",
                          "rehabilitation_facility", ReferralStatus.REQUESTED)
            )  # fmt: skip
            store.plans.put(_plan(case.id, dt.datetime(2024, 11, 5, 11, tzinfo=_TOKYO)))
        hachioji = Principal(
            id="worker-h", organisation="org-a", municipalities={HACHIOJI}, roles={"desk-worker"}
        )
        their_referral = store.referrals.get("case-s.halfway-stay.1")
        their_case = store.cases.get("case-s")
        refusals: list[Callable[[], object]] = [
            lambda: store.cases.get("case-s"),
            lambda: store.cases.find("case-s"),
            lambda: store.referrals.get("case-s.halfway-stay.1"),
            lambda: store.cases.put(
                attrs.evolve(their_case.value, worker="worker-h"),
                expected_version=their_case.version,
            ),
            lambda: store.cases.put(_case("case-new", municipality=SHINJUKU)),
            lambda: store.referrals.put(  # a follow-up
                attrs.evolve(
                    their_referral.value,
                    history=(
                        *their_referral.value.history,
                        ReferralEvent(
                            at=dt.datetime(2024, 11, 9, 10, tzinfo=_TOKYO),
                            actor="worker-h",
                            status=ReferralStatus.REQUESTED,
                            previous=ReferralStatus.REQUESTED,
                            kind=EventKind.FOLLOW_UP,
                        ),
                    ),
                ),
                expected_version=their_referral.version,
            ),
            lambda: store.referrals.delete(
                "case-s.halfway-stay.1", expected_version=their_referral.version
            ),
            lambda: store.audit.list(),
            lambda: store.import_directory(small_directory()),
        ]
        before = store.audit.count()
        with store.acting_as(hachioji):
            assert [item.value.id for item in store.cases.list()] == ["case-h"]
            assert [item.value.id for item in store.cases.search(need="housing")] == ["case-h"]
            assert store.cases.search(municipality=SHINJUKU) == []
            assert store.cases.count() == 1
            assert store.cases.ids() == ["case-h"]
            assert [item.value.id for item in store.referrals.list()] == ["case-h.halfway-stay.1"]
            assert store.referrals.for_case("case-s") == []
            assert [item.value.case_id for item in store.referrals.open()] == ["case-h"]
            assert store.plans.for_case("case-s") == []
            assert len(store.plans.list()) == 1
            assert store.cases.get("case-h").value.id == "case-h"
            for number, attempt in enumerate(refusals):
                with pytest.raises(AccessDenied, match="worker-h"):
                    attempt()
                with pytest.raises(AccessDenied), store.transaction():
                    attempt()  # refused inside a transaction that then rolls back
                assert number >= 0
        assert store.cases.get("case-s") == their_case
        assert store.referrals.get("case-s.halfway-stay.1") == their_referral
        assert "case-new" not in store.cases
        events = store.audit.list()[before:]
        denied = [e for e in events if e.action is AuditAction.ACCESS_DENIED]
        assert len(denied) == 2 * len(refusals)
        assert {e.actor for e in denied} == {"worker-h"}
        assert all(e.roles == ("desk-worker",) and e.organisation == "org-a" for e in denied)
        reads = [e for e in events if e.action is AuditAction.READ]
        assert {e.record_id for e in reads} >= {"case-h", "case-h.halfway-stay.1"}
        assert not {e.record_id for e in reads} & {"case-s", "case-s.halfway-stay.1"}
        assert store.integrity_check() == []

    def test_auditors_read_the_trail_only_and_no_principal_reads_nothing(
        self, store: Store, store_url: str
    ) -> None:
        store.cases.put(_case("case-1"))
        auditor = Principal(id="auditor-1", roles={"auditor"})
        with store.acting_as(auditor):
            assert [e.action for e in store.audit.list()] == [AuditAction.CREATED]
            assert store.cases.list() == []
            with pytest.raises(AccessDenied):
                store.cases.get("case-1")
            with pytest.raises(AccessDenied):
                store.cases.put(_case("case-2"))
        anonymous = storage.open(store_url)  # no principal
        assert anonymous.principal is None
        assert anonymous.services.list() == []  # the directory stays public
        attempts: list[Callable[[], object]] = [
            lambda: anonymous.cases.list(),
            lambda: anonymous.cases.get("case-1"),
            lambda: anonymous.referrals.open(),
            lambda: anonymous.audit.count(),
            lambda: anonymous.cases.put(_case("case-3")),
            lambda: anonymous.import_directory(small_directory()),
        ]
        for attempt in attempts:
            with pytest.raises(AccessDenied, match="principal="):
                attempt()
            with pytest.raises(AccessDenied, match="give one"), anonymous.acting_as("worker-1"):
                pass
        anonymous.close()
        with store.acting_as(auditor):
            events = store.audit.list()
        assert [e.action for e in events[1:3]] == [AuditAction.ACCESS_DENIED] * 2
        assert sum(e.actor is None for e in events) == 6

    def test_the_referral_lifecycle_holds_on_this_backend(self, store_url: str) -> None:
        from saihan.testing.lifecycle import lifecycle_machine

        run_state_machine_as_test(
            lifecycle_machine(lambda: storage.open(store_url, principal=Principal.system())),
            settings=settings(
                max_examples=self.lifecycle_examples,
                stateful_step_count=self.lifecycle_steps,
                deadline=None,
                suppress_health_check=[
                    HealthCheck.too_slow,
                    HealthCheck.filter_too_much,
                    HealthCheck.data_too_large,
                ],
            ),
        )

    # -- the state machine ------------------------------------------------------
    def test_random_operations_behave_as_on_the_memory_backend(self, store_url: str) -> None:
        machine = _machine_class(store_url)
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=self.stateful_examples,
                stateful_step_count=self.stateful_steps,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )

    # -- processes --------------------------------------------------------------
    def test_a_killed_bulk_import_leaves_the_old_directory(
        self, store: Store, store_url: str
    ) -> None:
        _require(store, "durable")
        store.import_directory(small_directory("old"))
        before = store.load_directory()
        with _worker(store_url, "import", str(self.crash_import_services), "new", "hold") as child:
            _wait_for(child, lambda line: line.startswith("progress ") and line != "progress 0")
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
        with storage.open(store_url, principal=Principal.system()) as again:
            assert again.integrity_check() == []
            assert again.load_directory() == before

    def test_killed_imports_are_all_or_nothing(self, store: Store, store_url: str) -> None:
        _require(store, "durable")
        store.import_directory(small_directory("old"))
        rng = random.Random(4)
        outcomes = set()
        for _ in range(3):
            with _worker(store_url, "import", "1500", "new", "go") as child:
                _wait_for(child, lambda line: line == "started")
                time.sleep(rng.uniform(0.0, 0.6))
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=60)
            with storage.open(store_url, principal=Principal.system()) as again:
                assert again.integrity_check() == []
                loaded = again.load_directory()
                marker = loaded.meta.name.ja
                assert marker in ("old", "new")
                expected = (
                    small_directory("old")
                    if marker == "old"
                    else synthetic_directory(1500, marker="new")
                )
                assert _same_directory(loaded, expected)
                outcomes.add(marker)
                again.import_directory(small_directory("old"))
        assert outcomes  # each round ended in one of the two whole states

    def test_a_killed_stream_of_writes_keeps_whole_transactions(
        self, store: Store, store_url: str
    ) -> None:
        _require(store, "durable")
        with _worker(store_url, "stream") as child:
            _wait_for(child, lambda line: line == "committed 5")
            time.sleep(random.Random(7).uniform(0.0, 0.2))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
        with storage.open(store_url, principal=Principal.system()) as again:
            assert again.integrity_check() == []
            batches = sorted(int(id.removeprefix("batch-")) for id in again.agencies.ids())
            assert batches == list(range(len(batches)))
            assert len(batches) >= 6
            for number in batches:
                found = again.services.by_agency(f"batch-{number}")
                assert len(found) == 3, number
            assert again.services.count() == 3 * len(batches)

    def test_concurrent_writers_lose_no_update(self, store: Store, store_url: str) -> None:
        _require(store, "multi_process")
        for id in ("counter-a", "counter-b"):
            store.agencies.put(attrs.evolve(_agency(id), operator="0"))
        count = str(self.concurrent_increments)
        with contextlib.ExitStack() as stack:
            children = [
                stack.enter_context(_worker(store_url, "increment", count, mode))
                for mode in ("single", "single", "transaction")
            ]
            for child in children:
                _wait_for(child, lambda line: line == "ready")
            for child in children:
                assert child.stdin is not None
                child.stdin.write("go\n")
                child.stdin.flush()
            reports = []
            for child in children:
                line = _wait_for(child, lambda line: line.startswith("{"))
                reports.append(json.loads(line))
                assert child.wait(timeout=120) == 0
        applied = sum(report["applied"] for report in reports)
        a = int(store.agencies.get("counter-a").value.operator or "0")
        b = int(store.agencies.get("counter-b").value.operator or "0")
        # Every write was either applied or reported as a conflict and retried: none lost.
        assert a + b == applied == 4 * self.concurrent_increments
        assert store.integrity_check() == []


# -- worker processes -----------------------------------------------------------


def _raw(store: Store, kind: str) -> list[StoredRecord]:
    """The records of ``kind`` as the engine holds them."""
    tx = store.engine.begin(write=False)
    try:
        return tx.scan(kind)
    finally:
        tx.rollback()


def _raw_write(store: Store, kind: str, id: str, document: str) -> None:
    """Write a record straight to the engine, as a tool with direct access could."""
    tx = store.engine.begin(write=True)
    try:
        tx.prepare_write()
        current = tx.get(kind, id)
        keys = RecordKeys()
        if kind == AUDIT_EVENTS.kind:
            keys = AUDIT_EVENTS.keys(structure(json.loads(document), AuditEvent))
        elif kind == CASES.kind:
            keys = CASES.keys(structure(json.loads(document), ConsultationCase))
        tx.write(kind, id, document, keys, previous=None if current is None else current.version)
        tx.commit()
    except BaseException:
        tx.rollback()
        raise


def _raw_delete(store: Store, kind: str, id: str) -> None:
    tx = store.engine.begin(write=True)
    try:
        tx.prepare_write()
        current = tx.get(kind, id)
        assert current is not None
        tx.delete(kind, id, previous=current.version)
        tx.commit()
    except BaseException:
        tx.rollback()
        raise


@contextlib.contextmanager
def _worker(url: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        [sys.executable, "-m", "saihan.testing.storage", url, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def _wait_for(child: subprocess.Popen[str], wanted: Callable[[str], bool]) -> str:
    assert child.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            errors = child.stderr.read() if child.stderr is not None else ""
            pytest.fail(f"worker ended (exit {child.wait()}) before the expected line:\n{errors}")
        if wanted(line.strip()):
            return line.strip()
    pytest.fail("worker did not answer within 120 s")


def _work(url: str, command: str, args: list[str]) -> None:
    store = storage.open(url, principal=Principal.system())
    if command == "import":
        services, marker, mode = int(args[0]), args[1], args[2]
        directory = synthetic_directory(services, marker=marker)

        def report(progress: ImportProgress) -> None:
            print(f"progress {progress.done}", flush=True)
            if mode == "hold" and progress.done > 0:
                time.sleep(30)  # hold the transaction open until the parent kills us

        print("started", flush=True)
        store.import_directory(directory, progress=report)
        print("imported", flush=True)
    elif command == "stream":
        for number in range(100_000):
            with store.transaction():
                store.agencies.put(_agency(f"batch-{number}"))
                for part in range(3):
                    store.services.put(_service(f"batch-{number}-{part}", f"batch-{number}"))
            print(f"committed {number}", flush=True)
    elif command == "increment":
        _increment(store, int(args[0]), args[1])
    store.close()


def _bump(store: Store, stored: Versioned[Agency]) -> None:
    value = str(int(stored.value.operator or "0") + 1)
    store.agencies.put(attrs.evolve(stored.value, operator=value), expected_version=stored.version)


def _increment(store: Store, count: int, mode: str) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    applied = conflicts = 0
    for step in range(count):
        while True:
            try:
                if mode == "transaction":  # both counters at once
                    with store.transaction():
                        _bump(store, store.agencies.get("counter-a"))
                        _bump(store, store.agencies.get("counter-b"))
                    applied += 2
                else:
                    _bump(store, store.agencies.get("counter-a" if step % 2 else "counter-b"))
                    applied += 1
                break
            except ConflictError:
                conflicts += 1
    print(json.dumps({"applied": applied, "conflicts": conflicts}), flush=True)


# -- the state machine ------------------------------------------------------------

_AGENCY_IDS = ("a1", "a2", "a3")
_SERVICE_IDS = ("s1", "s2", "s3", "s4")
_NEED_CODES = ("ext-x", "ext-y")
_KIND_CODES = ("ext-kind",)
_NEEDS = ("housing", "housing.emergency", "employment", "legal.debt_settlement", "welfare")
_KINDS = ("hello_work", "welfare_office", "ext-kind")
_PLACES = (HACHIOJI, SHINJUKU, OSAKA_CITY)
_NAMES = ("八王子の窓口", "'; DROP TABLE saihan_records; --", "nul\x00名", "ﾊﾛｰﾜｰｸ 🏠")
_EXPECTATIONS = ("create", "any", "current", "stale")
_CASE_IDS = ("c1", "c2", "c3")
_EVENT_IDS = ("ev1", "ev2")


def _machine_event(id: str, organiser: str, status: EventStatus, month: int) -> Event:
    return Event(
        id=id,
        kind=OutreachEventKind.TRAINING,
        title=_text(f"研修 {id}"),
        organiser=organiser,
        start=dt.datetime(2024, month, 12, 13, 30, tzinfo=_TOKYO),
        end=dt.datetime(2024, month, 12, 16, 30, tzinfo=_TOKYO),
        audiences=frozenset({EventAudience.MUNICIPAL_STAFF}),
        place=_text("会場"),
        capacity=30,
        status=status,
    )


def _outcome(call: Callable[[], T]) -> tuple[str, Any]:
    try:
        return ("ok", call())
    except SaihanError as error:
        return ("error", type(error).__name__)


def _plan_outcome(outcome: tuple[str, Any]) -> tuple[str, Any]:
    """A match's outcome as JSON text (a plan), or the name of the error it raised."""
    kind, value = outcome
    if kind == "ok":
        assert isinstance(value, ReferralPlan)
        return kind, value.to_json()
    return kind, value


def _list_all(store: Store, *, name: str) -> list[Versioned[Any]]:
    found: list[Versioned[Any]] = getattr(store, name).list()
    return found


def _normal(outcome: tuple[str, Any], offset: int) -> tuple[str, Any]:
    """An outcome with versions made comparable between two stores."""
    kind, value = outcome
    if kind == "ok" and isinstance(value, Versioned):
        return kind, (value.value, value.version - offset)
    if kind == "ok" and isinstance(value, list):
        return kind, [(item.value, item.version - offset) for item in value]
    return outcome


def _machine_class(url: str) -> type[RuleBasedStateMachine]:
    class SameAsMemory(RuleBasedStateMachine):
        """The backend under test and a memory store get the same operations."""

        def __init__(self) -> None:
            super().__init__()
            self.real = storage.open(url, principal=Principal.system())
            self.model = storage.open("memory://", principal=Principal.system())
            base = Directory(meta=DirectoryMeta(name=_text("状態機械")))
            for id in self.real.cases.ids():  # an import replaces only the directory
                self.real.cases.delete(id, expected_version=ANY_VERSION)
            for id in self.real.events.ids():  # events refer to agencies the import drops
                self.real.events.delete(id, expected_version=ANY_VERSION)
            self.real.import_directory(base)
            self.model.import_directory(base)
            self.offset = self.real.meta.get().version - self.model.meta.get().version

        def teardown(self) -> None:
            self.real.close()
            self.model.close()

        def both(self, action: Callable[[Store], T]) -> tuple[str, Any]:
            expected = _outcome(lambda: action(self.model))
            actual = _outcome(lambda: action(self.real))
            assert _normal(actual, self.offset) == _normal(expected, 0), (actual, expected)
            return expected

        def version(self, store: Store, expectation: str, current: int | None) -> Any:
            if expectation == "create":
                return None
            if expectation == "any":
                return ANY_VERSION
            offset = self.offset if store is self.real else 0
            if expectation == "current" and current is not None:
                return current + offset
            return max(1, (current or 1) - 1 + offset)

        def current(self, repository: str, id: str) -> int | None:
            found = getattr(self.model, repository).find(id)
            return None if found is None else int(found.version)

        def put(self, repository: str, item: Any, id: str, expectation: str) -> None:
            current = self.current(repository, id)
            self.both(
                lambda store: getattr(store, repository).put(
                    item, expected_version=self.version(store, expectation, current)
                )
            )

        @rule(
            id=st.sampled_from(_AGENCY_IDS),
            kind=st.sampled_from(_KINDS),
            locations=st.lists(st.sampled_from(["main", "annex"]), unique=True),
            name=st.sampled_from(_NAMES),
            expectation=st.sampled_from(_EXPECTATIONS),
        )
        def put_agency(
            self, id: str, kind: str, locations: list[str], name: str, expectation: str
        ) -> None:
            agency = attrs.evolve(_agency(id, kind=kind, locations=locations), operator=name)
            self.put("agencies", agency, id, expectation)

        @rule(
            id=st.sampled_from(_SERVICE_IDS),
            agency=st.sampled_from(_AGENCY_IDS),
            needs=st.lists(st.sampled_from(_NEEDS + _NEED_CODES), min_size=1, max_size=2),
            area=st.sampled_from(["tokyo", "national", *_PLACES]),
            at_main=st.booleans(),
            expectation=st.sampled_from(_EXPECTATIONS),
        )
        def put_service(
            self,
            id: str,
            agency: str,
            needs: list[str],
            area: str,
            at_main: bool,
            expectation: str,
        ) -> None:
            where = (
                ServiceArea.tokyo()
                if area == "tokyo"
                else ServiceArea.national()
                if area == "national"
                else ServiceArea.of(area)
            )
            service = _service(
                id, agency, needs=needs, area=where, location_ids=("main",) if at_main else ()
            )
            self.put("services", service, id, expectation)

        @rule(
            code=st.sampled_from(_NEED_CODES),
            parent=st.sampled_from(("housing", "welfare", *_NEED_CODES)),
            expectation=st.sampled_from(_EXPECTATIONS),
        )
        def put_need(self, code: str, parent: str, expectation: str) -> None:
            assume(parent != code)
            need = Need(code=code, label=_text(f"拡張 {code}"), parent=parent)
            self.put("needs", need, code, expectation)

        @rule(code=st.sampled_from(_KIND_CODES), expectation=st.sampled_from(_EXPECTATIONS))
        def put_kind(self, code: str, expectation: str) -> None:
            self.put("agency_kinds", AgencyKind(code=code, name=_text("拡張")), code, expectation)

        @rule(case=_case_records(_CASE_IDS), expectation=st.sampled_from(_EXPECTATIONS))
        def put_case(self, case: ConsultationCase, expectation: str) -> None:
            self.put("cases", case, case.id, expectation)

        @rule(
            id=st.sampled_from(_EVENT_IDS),
            organiser=st.sampled_from(_AGENCY_IDS),
            status=st.sampled_from(EventStatus),
            month=st.sampled_from((6, 11)),
            expectation=st.sampled_from(_EXPECTATIONS),
        )
        def put_event(
            self, id: str, organiser: str, status: EventStatus, month: int, expectation: str
        ) -> None:
            event = _machine_event(id, organiser, status, month)
            self.put("events", event, id, expectation)

        @rule(month=st.sampled_from((6, 11)), organiser=st.sampled_from(_AGENCY_IDS))
        def query_events(self, month: int, organiser: str) -> None:
            first = dt.date(2024, month, 1)
            self.both(lambda store: store.events.between(first, first + dt.timedelta(days=29)))
            self.both(lambda store: store.events.for_organiser(organiser))

        @rule(
            repository=st.sampled_from(
                ["agencies", "services", "needs", "agency_kinds", "cases", "events"]
            ),
            id=st.sampled_from(
                _AGENCY_IDS + _SERVICE_IDS + _NEED_CODES + _KIND_CODES + _CASE_IDS + _EVENT_IDS
            ),
            expectation=st.sampled_from(("any", "current", "stale")),
        )
        def delete(self, repository: str, id: str, expectation: str) -> None:
            current = self.current(repository, id)
            self.both(
                lambda store: getattr(store, repository).delete(
                    id, expected_version=self.version(store, expectation, current)
                )
            )

        @rule(
            agency=st.sampled_from(_AGENCY_IDS),
            service=st.sampled_from(_SERVICE_IDS),
            fail=st.booleans(),
        )
        def transaction(self, agency: str, service: str, fail: bool) -> None:
            def action(store: Store) -> str:
                with contextlib.suppress(RuntimeError), store.transaction():
                    store.agencies.put(_agency(agency), expected_version=ANY_VERSION)
                    store.services.put(_service(service, agency), expected_version=ANY_VERSION)
                    if fail:
                        raise RuntimeError("roll back")
                return "done"

            self.both(action)

        @rule(need=st.sampled_from(_NEEDS + _NEED_CODES))
        def query_need(self, need: str) -> None:
            self.both(lambda store: store.services.by_need(need))

        @rule(place=st.sampled_from(_PLACES), need=st.none() | st.sampled_from(_NEEDS))
        def query_place(self, place: str, need: str | None) -> None:
            self.both(lambda store: store.services.search(municipality=place, need=need))

        @rule(kind=st.sampled_from(_KINDS))
        def query_kind(self, kind: str) -> None:
            self.both(lambda store: store.services.by_kind(kind))
            self.both(lambda store: store.agencies.by_kind(kind))

        @rule(agency=st.sampled_from(_AGENCY_IDS))
        def query_agency(self, agency: str) -> None:
            self.both(lambda store: store.services.by_agency(agency))

        @rule(
            place=st.none() | st.sampled_from(_CASE_PLACES),
            need=st.none() | st.sampled_from(_CASE_NEEDS + _NEED_CODES),
            worker=st.none() | st.sampled_from(_WORKERS),
            first=st.none() | st.sampled_from([day.date() for day in _DAYS]),
            last=st.none() | st.sampled_from([day.date() for day in _DAYS]),
        )
        def query_cases(
            self,
            place: str | None,
            need: str | None,
            worker: str | None,
            first: dt.date | None,
            last: dt.date | None,
        ) -> None:
            self.both(
                lambda store: store.cases.search(
                    municipality=place,
                    need=need,
                    worker=worker,
                    received_from=first,
                    received_to=last,
                )
            )

        @invariant()
        def same_records(self) -> None:
            for name in ("agencies", "services", "needs", "agency_kinds", "cases", "events"):
                self.both(functools.partial(_list_all, name=name))

    return SameAsMemory


def _main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m saihan.testing.storage URL COMMAND [ARGS...]", file=sys.stderr)
        return 2
    _work(argv[0], argv[1], argv[2:])
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

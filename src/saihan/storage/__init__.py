"""Storage: keep a directory and referral records (cases, rule sets, plans) in a database.

::

    from saihan import storage

    with storage.open("sqlite:///saihan.db") as store:      # or memory://, postgresql://...
        store.import_directory(directory, progress=print)   # one transaction
        found = store.services.search(need="housing", municipality="八王子市")
        desk = store.services.get("tokyo-crime-worry-desk")  # Versioned(value, version)
        store.services.put(changed, expected_version=desk.version)  # ConflictError if stale
        with store.transaction():                            # all or nothing
            ...

``open()`` with no URL opens ``$SAIHAN_STORE_URL`` or the embedded SQLite file
(:func:`default_path`).  Backends are plugins in the ``saihan.storage``
entry-point group; ``memory`` and ``sqlite`` are built in, ``postgresql`` comes
with the ``saihan-postgres`` distribution.  See ``docs/storage.md``.
"""

from __future__ import annotations

from saihan.access import Principal
from saihan.storage.directory_records import (
    AGENCIES,
    AGENCY_KINDS,
    DIRECTORY_RECORD_TYPES,
    META,
    NEEDS,
    SERVICES,
)
from saihan.storage.engine import (
    ANY_VERSION,
    AnyVersion,
    Backend,
    Capabilities,
    Condition,
    Engine,
    EngineTransaction,
    NewRecord,
    RecordKeys,
    StoredRecord,
    TextCondition,
)
from saihan.storage.errors import IncompatibleStoreError, StorageError
from saihan.storage.migrations import SCHEMA_VERSION, Migration
from saihan.storage.outreach_records import (
    EVENTS,
    NEWSLETTER_ISSUES,
    OUTREACH_RECORD_TYPES,
    REGISTRATIONS,
    SUBSCRIBERS,
)
from saihan.storage.records import Reader, RecordType, Reference
from saihan.storage.referral_records import (
    CASES,
    PLANS,
    REFERRAL_RECORD_TYPES,
    RULE_SETS,
    plan_record_id,
    rule_set_record_id,
)
from saihan.storage.registry import available_backends, open_store
from saihan.storage.store import (
    AgencyRepository,
    AuditLog,
    AuditVerification,
    CachedDirectorySource,
    CaseRepository,
    EventRepository,
    FlowRepository,
    ImportProgress,
    PlanRepository,
    RegistrationRepository,
    Repository,
    RuleSetRepository,
    ServiceRepository,
    SingletonRepository,
    Store,
    StoreInfo,
    SubscriberRepository,
    Versioned,
    VersionedRepository,
)
from saihan.storage.url import ENVIRONMENT_VARIABLE, StoreURL, default_path, default_url, parse_url

__all__ = [
    "AGENCIES",
    "AGENCY_KINDS",
    "ANY_VERSION",
    "CASES",
    "DIRECTORY_RECORD_TYPES",
    "ENVIRONMENT_VARIABLE",
    "EVENTS",
    "META",
    "NEEDS",
    "NEWSLETTER_ISSUES",
    "OUTREACH_RECORD_TYPES",
    "PLANS",
    "REFERRAL_RECORD_TYPES",
    "REGISTRATIONS",
    "RULE_SETS",
    "SCHEMA_VERSION",
    "SERVICES",
    "SUBSCRIBERS",
    "AgencyRepository",
    "AnyVersion",
    "AuditLog",
    "AuditVerification",
    "Backend",
    "CachedDirectorySource",
    "Capabilities",
    "CaseRepository",
    "Condition",
    "Engine",
    "EngineTransaction",
    "EventRepository",
    "FlowRepository",
    "ImportProgress",
    "IncompatibleStoreError",
    "Migration",
    "NewRecord",
    "PlanRepository",
    "Reader",
    "RecordKeys",
    "RecordType",
    "Reference",
    "RegistrationRepository",
    "Repository",
    "RuleSetRepository",
    "ServiceRepository",
    "SingletonRepository",
    "StorageError",
    "Store",
    "StoreInfo",
    "StoreURL",
    "StoredRecord",
    "SubscriberRepository",
    "TextCondition",
    "Versioned",
    "VersionedRepository",
    "available_backends",
    "default_path",
    "default_url",
    "open",
    "parse_url",
    "plan_record_id",
    "rule_set_record_id",
]


def open(
    url: str | None = None,
    *,
    create: bool = True,
    principal: Principal | None = None,
    decoded_cache: int | None = None,
) -> Store:
    """Open the store at ``url`` (its scheme picks the backend).

    Without a URL: ``$SAIHAN_STORE_URL``, else the embedded SQLite store at
    :func:`default_path`.  ``create=False`` raises NotFoundError instead of
    creating a store that does not exist.  Migrations run forward on open; a
    store written by a newer saihan raises :class:`IncompatibleStoreError`.
    An unknown scheme raises :class:`~saihan.errors.PluginError` listing the
    installed backends.

    ``principal`` (a :class:`saihan.access.Principal`) is who acts on the store
    unless a block says otherwise (:meth:`Store.acting_as`).  Without one, reads
    and writes of cases, plans, referrals and audit events, and directory writes,
    raise :class:`~saihan.errors.AccessDenied`; directory reads stay public.
    See ``docs/access.md``.

    ``decoded_cache`` is how many decoded records the store keeps in memory, so that
    a record read again at the same version is not decoded again (default
    :data:`saihan.storage.store.DECODED_CACHE`, 200,000: what a store-backed match on
    a national directory reads; 0 keeps none).  Each entry holds the record's text and
    its objects, a few kilobytes for a service: a process that opens many stores, or
    has little memory, gives a smaller number.  Anything but a whole number of 0 or
    more raises ValidationError at ``decoded_cache`` before the store is opened.
    """
    return open_store(url, create=create, principal=principal, decoded_cache=decoded_cache)

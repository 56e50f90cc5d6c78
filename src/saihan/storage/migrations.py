"""Schema versions and forward migrations.

A store records the schema version it was written with.  Opening runs the
migrations from that version up to :data:`SCHEMA_VERSION`, in one transaction
(a crash leaves the old version intact); a store with a higher version than
this saihan knows is refused with :class:`IncompatibleStoreError` before
anything is written to it.

Each backend keeps its own list of :class:`Migration` steps (its own SQL
dialect), numbered the same way: version ``n`` means the same layout of records,
indexes and references in every backend.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from saihan.storage.errors import IncompatibleStoreError, StorageError

__all__ = ["SCHEMA_VERSION", "Migration", "pending"]

SCHEMA_VERSION = 4
"""The schema version this saihan writes.

1. Records (kind, id, version, JSON document), their index entries, their
   references, and the store's settings (schema version, revision).
2. Each record's search text (:attr:`~saihan.storage.RecordKeys.text`), for
   backends with ``text_search``; records written before it have none until the
   Store computes it on the next open.  A backend that does not keep texts has
   an empty step 2.
3. The change log, for backends that answer
   :meth:`~saihan.storage.engine.EngineTransaction.changes_since`: records found
   by version, a tombstone of each deleted record (kind, id, the version it had),
   and the revision of the last replacement of whole kinds (an import), before
   which nothing is known (a migrated store starts at its revision then).  A
   backend that keeps no log has an empty step 3.
4. The referrals' ``requested`` index entries (the day each was first requested,
   :mod:`saihan.storage.referral_records`), which date queries on referrals use
   (:meth:`~saihan.storage.store.ReferralRepository.requested_between`): every
   referral stored before gets the entry ``requested`` = ``unknown``, which every
   such query takes and filters by the document, until the Store next writes it.
"""


@attrs.frozen
class Migration:
    """One step forward: the statements that take a store from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


def pending(found: int, migrations: Sequence[Migration], *, store: str) -> list[Migration]:
    """The migrations to run on a store at version ``found`` (0: a new, empty store).

    Raises :class:`IncompatibleStoreError` when ``found`` is newer than the
    last migration, and :class:`StorageError` when the list itself is not
    numbered 1, 2, 3 ...
    """
    numbers = [migration.version for migration in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StorageError(f"migrations of {store} are not numbered 1..n: {numbers}")
    latest = numbers[-1] if numbers else 0
    if found > latest:
        raise IncompatibleStoreError(
            f"{store} has schema version {found}, but this saihan supports versions up to "
            f"{latest}: it was written by a newer saihan. Upgrade saihan to open it; "
            "the store was not changed."
        )
    if found < 0:
        raise StorageError(f"{store} has an invalid schema version {found}")
    return [migration for migration in migrations if migration.version > found]

"""Tampering with a store's audit trail underneath saihan, with plain SQL.

:func:`check_sql_tampering` fills fresh stores with a few audited changes, then
changes each one's tables directly (an event changed, a middle or the newest
event deleted, a case changed in place, a forged event inserted) and asserts
that ``Store.integrity_check()`` and ``saihan audit verify`` both find it,
naming the broken link, without printing a case's field values.  The SQL
backends (SQLite, PostgreSQL) run it on their ``saihan_records`` table.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable

import attrs

from saihan import storage
from saihan.access import Principal, Role
from saihan.errors import ConflictError
from saihan.testing.storage import HACHIOJI, _case

__all__ = ["MARKER", "SCENARIOS", "check_concurrent_writers_keep_one_chain", "check_sql_tampering"]

MARKER = "tamper-marker-山田-5c1e"
"""A case summary that must never appear in what verification reports."""

Scenario = Callable[[list[str], dict[str, int]], tuple[list[str], str]]
"""Given the event ids (in order) and the cases' versions: SQL statements to run
and a text the reported problems must contain."""

_T = "saihan_records"


def _changed_event(events: list[str], _: dict[str, int]) -> tuple[list[str], str]:
    return (
        [
            f'UPDATE {_T} SET document = replace(document, \'"actor":"worker-1"\', '
            f"'\"actor\":\"intruder\"') WHERE kind = 'audit_event' AND id = '{events[0]}'"
        ],
        f"audit event {events[0]!r}: its digest does not match",
    )


def _deleted_middle(events: list[str], _: dict[str, int]) -> tuple[list[str], str]:
    return (
        [f"DELETE FROM {_T} WHERE kind = 'audit_event' AND id = '{events[1]}'"],
        f"audit event {events[2]!r}: broken link",
    )


def _deleted_newest(events: list[str], _: dict[str, int]) -> tuple[list[str], str]:
    return (
        [f"DELETE FROM {_T} WHERE kind = 'audit_event' AND id = '{events[-1]}'"],
        f"names event {events[-1]!r}, but the chain ends at {events[-2]!r}",
    )


def _changed_case(_: list[str], versions: dict[str, int]) -> tuple[list[str], str]:
    return (
        [
            f"UPDATE {_T} SET document = replace(document, '{MARKER}', 'rewritten') "
            "WHERE kind = 'case' AND id = 'case-2'"
        ],
        f"case 'case-2' version {versions['case-2']} differs from what audit event",
    )


def _forged_event(events: list[str], _: dict[str, int]) -> tuple[list[str], str]:
    forged = f"{events[0]}-forged"  # sorts between the first and second events
    return (
        [
            f"INSERT INTO {_T} (kind, id, version, document) SELECT kind, '{forged}', "
            f"version + 1000, replace(document, '{events[0]}', '{forged}') FROM {_T} "
            f"WHERE kind = 'audit_event' AND id = '{events[0]}'"
        ],
        f"audit event {forged!r}: broken link",
    )


SCENARIOS: dict[str, Scenario] = {
    "an event changed": _changed_event,
    "a middle event deleted": _deleted_middle,
    "the newest event deleted": _deleted_newest,
    "a case changed without an event": _changed_case,
    "a forged event inserted": _forged_event,
}


def _fill(url: str) -> tuple[list[str], dict[str, int]]:
    with storage.open(url, principal=Principal.system()) as store, store.acting_as("worker-1"):
        for number in (1, 2, 3):
            store.cases.put(_case(f"case-{number}", secret=MARKER))
        first = store.cases.get("case-1")
        store.cases.put(
            attrs.evolve(first.value, worker="worker-2"), expected_version=first.version
        )
        assert store.integrity_check() == []
        versions = {id: store.cases.get(id).version for id in store.cases.ids()}
        return [event.id for event in store.audit.list()], versions


def check_sql_tampering(fresh: Callable[[], tuple[str, Callable[[str], None]]]) -> None:
    """Run every scenario on a store of its own: ``fresh()`` gives a new store URL
    and a function running one SQL statement on that store's database."""
    from saihan.cli.main import main

    for name, scenario in SCENARIOS.items():
        url, run = fresh()
        events, versions = _fill(url)
        statements, expected = scenario(events, versions)
        for statement in statements:
            run(statement)
        with storage.open(url, create=False, principal=Principal.system()) as store:
            problems = store.integrity_check()
        assert any(expected in problem for problem in problems), (name, problems)
        assert MARKER not in "\n".join(problems), name
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["audit", "verify", "--store", url])
        assert code == 1, (name, out.getvalue())
        printed = out.getvalue()
        assert printed.startswith("BROKEN: "), (name, printed)
        assert MARKER not in printed, name


def check_concurrent_writers_keep_one_chain(
    store: storage.Store,
    *,
    writers: int = 4,
    attempts: int = 10,
    readers: int = 2,
    conflicts_allowed: bool = True,
) -> None:
    """Threads writing and reading audited cases in one store at once leave one
    unbroken chain.

    Each of ``writers`` threads writes ``attempts`` cases, while each of ``readers``
    threads reads the cases stored so far (every read appends a ``read`` event to the
    same chain).  A ConflictError (another writer chained first) is the store's word
    to retry the whole transaction, and the thread moves on; with
    ``conflicts_allowed=False`` it fails the check, for a backend that serialises its
    audited writers itself (every first-party one does).  Anything else fails the
    check, and so does a chain with a fork or a gap.  ``store`` must act as a
    ``system`` principal (the threads act for workers).
    """
    errors: list[BaseException] = []
    conflicts: list[str] = []
    written: list[str] = []
    reads = [0]

    def writer(number: int) -> None:
        for attempt in range(attempts):
            try:
                with store.acting_as(f"worker-{number}"):
                    store.cases.put(_case(f"case-{number}-{attempt}"))
                written.append(f"case-{number}-{attempt}")
            except ConflictError as error:
                conflicts.append(f"writer {number}: {error}")
            except BaseException as error:
                errors.append(error)

    def reader(number: int) -> None:
        for attempt in range(attempts):
            try:
                # A municipal officer of Hachioji: reads of Hachioji's cases, audited.
                officer = Principal(
                    id=f"reader-{number}",
                    roles=frozenset({Role.MUNICIPAL_OFFICER}),
                    municipalities=frozenset({HACHIOJI}),
                )
                with store.acting_as(officer):
                    if written:
                        store.cases.get(written[attempt % len(written)])
                        reads[0] += 1
            except ConflictError as error:
                conflicts.append(f"reader {number}: {error}")
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    threads += [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    if not conflicts_allowed:
        assert conflicts == [], f"{len(conflicts)} audited operations met a ConflictError"
    verified = store.audit.verify()
    assert verified.problems == ()
    # One event per case written and one per read: none lost, none forked.
    assert verified.chained == store.audit.count() == store.cases.count() + reads[0] > 0
    assert store.integrity_check() == []

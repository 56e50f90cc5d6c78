"""The sealed, hash-chained audit trail on the built-in backends.

The conformance suite (``saihan.testing.storage``) runs the chain and tampering
through the engine on every backend; here: tampering with plain SQL on SQLite,
the command line, old stores without digests, and properties of the chain.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan import storage
from saihan.access import Principal, Role
from saihan.cli.main import main
from saihan.referral.audit import GENESIS_DIGEST, AuditAction, AuditEvent, event_digest
from saihan.storage.referral_records import AUDIT_CHAIN, AUDIT_CHAIN_HEAD_ID, AUDIT_EVENTS
from saihan.testing.storage import HACHIOJI, _case
from saihan.testing.tampering import (
    MARKER,
    check_concurrent_writers_keep_one_chain,
    check_sql_tampering,
)


def _sqlite_fresh(tmp_path: Path) -> Callable[[], tuple[str, Callable[[str], None]]]:
    counter = iter(range(1000))

    def fresh() -> tuple[str, Callable[[str], None]]:
        path = tmp_path / f"tampered-{next(counter)}.db"

        def run(statement: str) -> None:
            with sqlite3.connect(path) as db:
                db.execute(statement)

        return f"sqlite:///{path}", run

    return fresh


def test_sql_tampering_on_sqlite_is_found(tmp_path: Path) -> None:
    check_sql_tampering(_sqlite_fresh(tmp_path))


def test_audit_verify_on_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    with storage.open(url, principal=Principal.system()) as store, store.acting_as("worker-1"):
        store.cases.put(_case("case-1", secret=MARKER))
        store.cases.put(_case("case-2", secret=MARKER))
        head = store.audit.verify().head_digest
    command = [sys.executable, "-m", "saihan", "audit", "verify", "--store", url, "--lang", "en"]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"OK: audit trail verified, 2 events, 2 chained; head sha256 {head}\n"
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("DELETE FROM saihan_records WHERE kind = 'audit_event' AND id LIKE 'e%1'")
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 1
    assert done.stdout.startswith("BROKEN: audit event 'e000000000000004': broken link")
    assert MARKER not in done.stdout + done.stderr


def test_a_store_without_a_chain_starts_it_after_its_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stores written before the chain: their events stay as they are, counted in the
    head as ``legacy``; the chain starts at the first event written afterwards."""
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    with storage.open(url, principal=Principal.system()) as store:
        store.cases.put(_case("case-1"))
        store.cases.put(_case("case-2"))
    with sqlite3.connect(path) as db:  # make it look as an older saihan left it
        rows = db.execute(
            "SELECT id, document FROM saihan_records WHERE kind = 'audit_event'"
        ).fetchall()
        for id, document in rows:
            data = json.loads(document)
            for name in ("previous", "digest", "record_digest"):
                del data[name]
            db.execute(
                "UPDATE saihan_records SET document = ? WHERE kind = 'audit_event' AND id = ?",
                (json.dumps(data, ensure_ascii=False), id),
            )
        db.execute("DELETE FROM saihan_records WHERE kind = 'audit_chain'")
    with storage.open(url, principal=Principal.system()) as store:
        assert store.audit.verify().problems == ()
        assert store.audit.verify().chained == 0
        store.cases.put(_case("case-3"))
        verified = store.audit.verify()
        assert (verified.events, verified.chained, verified.problems) == (3, 1, ())
        assert store.audit.list()[-1].previous == GENESIS_DIGEST
        assert store.repository(storage.CASES).count() == 3
    assert main(["audit", "verify", "--store", url, "--lang", "en"]) == 0
    assert "(2 written before the chain began)" in capsys.readouterr().out
    with sqlite3.connect(path) as db:  # dropping an old event shows in the head's count
        db.execute("DELETE FROM saihan_records WHERE kind = 'audit_event' AND id LIKE 'e%1'")
    with storage.open(url, principal=Principal.system()) as store:
        problems = store.audit.verify().problems
        assert problems[0] == (
            "the audit chain head counts 1 chained and 2 earlier events; the store holds 1 and 1"
        )


_WRITES = st.lists(
    st.tuples(st.sampled_from(["put", "update", "delete"]), st.integers(1, 3)),
    min_size=1,
    max_size=8,
)


def _apply(store: storage.Store, writes: list[tuple[str, int]]) -> None:
    for action, number in writes:
        id = f"case-{number}"
        found = store.cases.find(id)
        with store.acting_as("worker-1"):
            if action == "put" and found is None:
                store.cases.put(_case(id))
            elif action == "update" and found is not None:
                changed = attrs.evolve(found.value, worker=f"w-{found.version}")
                store.cases.put(changed, expected_version=found.version)
            elif action == "delete" and found is not None:
                store.cases.delete(id, expected_version=found.version)


@settings(max_examples=40, deadline=None)
@given(writes=_WRITES, data=st.data())
def test_audited_writes_verify_and_flipping_any_event_breaks_it_there(
    writes: list[tuple[str, int]], data: st.DataObject
) -> None:
    with storage.open("memory://", principal=Principal.system()) as store:
        _apply(store, [("put", 1), *writes])
        verified = store.audit.verify()
        assert verified.problems == ()
        assert verified.chained == verified.events == store.audit.count()
        assert store.integrity_check() == []
        events = store.audit.list()
        assert events[0].previous == GENESIS_DIGEST
        target = data.draw(st.sampled_from(events), label="event")
        field = data.draw(
            st.sampled_from(["at", "actor", "record_id", "action", "changed", "previous"]),
            label="field",
        )
        flipped = {
            "at": attrs.evolve(target, at=target.at.replace(year=2001)),
            "actor": attrs.evolve(target, actor="intruder"),
            "record_id": attrs.evolve(target, record_id="case-9"),
            "action": attrs.evolve(
                target,
                action=AuditAction.CLOSED
                if target.action is AuditAction.UPDATED
                else AuditAction.UPDATED,
            ),
            "changed": attrs.evolve(target, changed=(*target.changed, "summary")),
            "previous": attrs.evolve(target, previous="f" * 64),
        }[field]
        tx = store.engine.begin(write=True)
        tx.prepare_write()
        current = tx.get(AUDIT_EVENTS.kind, target.id)
        assert current is not None
        from saihan.serialization import to_json

        tx.write(
            AUDIT_EVENTS.kind,
            target.id,
            to_json(flipped),
            AUDIT_EVENTS.keys(flipped),
            previous=current.version,
        )
        tx.commit()
        problems = store.audit.verify().problems
        assert problems
        assert problems[0].startswith(f"audit event {target.id!r}: ")
        assert store.integrity_check()


def test_the_digest_is_the_documented_canonical_encoding() -> None:
    with storage.open("memory://", principal=Principal.system()) as store:
        store.cases.put(_case("case-1"))
        event = store.audit.list()[0]
        tx = store.engine.begin(write=False)
        stored = tx.get(AUDIT_EVENTS.kind, event.id)
        head = tx.get(AUDIT_CHAIN.kind, AUDIT_CHAIN_HEAD_ID)
        tx.rollback()
    assert stored is not None
    assert head is not None
    data = json.loads(stored.document)
    text = json.dumps(
        {k: v for k, v in data.items() if k != "digest"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    import hashlib

    assert data["digest"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert data["digest"] == event_digest(data)
    assert json.loads(head.document) == {
        "event_id": event.id,
        "digest": data["digest"],
        "count": 1,
    }  # fields at their default (legacy=0) are left out, as in every document
    assert isinstance(event, AuditEvent)


def test_threads_writing_to_one_sqlite_store_do_not_fork_the_chain(tmp_path: Path) -> None:
    with storage.open(f"sqlite:///{tmp_path}/s.db", principal=Principal.system()) as store:
        # SQLite writers queue for the database's lock: none ever has to retry.
        check_concurrent_writers_keep_one_chain(store, conflicts_allowed=False)


def test_threads_reading_and_writing_one_memory_store_do_not_fork_the_chain() -> None:
    with storage.open("memory://", principal=Principal.system()) as store:
        check_concurrent_writers_keep_one_chain(store, readers=4, conflicts_allowed=False)


def test_stores_in_many_threads_on_one_sqlite_file_keep_one_chain(tmp_path: Path) -> None:
    """As processes would: each thread opens the file itself."""
    url = f"sqlite:///{tmp_path}/s.db"
    with storage.open(url, principal=Principal.system()) as store:
        store.cases.count()  # creates the file
    errors: list[BaseException] = []

    def work(number: int) -> None:
        officer = Principal(
            id=f"reader-{number}",
            roles=frozenset({Role.MUNICIPAL_OFFICER}),
            municipalities=frozenset({HACHIOJI}),
        )
        try:
            with storage.open(url, principal=Principal.system()) as own:
                for attempt in range(5):
                    with own.acting_as(f"worker-{number}"):
                        own.cases.put(_case(f"case-{number}-{attempt}"))
                    with own.acting_as(officer):
                        own.cases.get(f"case-{number}-{attempt}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with storage.open(url, principal=Principal.system()) as store:
        verified = store.audit.verify()
        assert verified.problems == ()
        assert verified.chained == store.audit.count() == 4 * 5 * 2

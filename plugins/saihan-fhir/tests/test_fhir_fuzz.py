"""The referral importer on hostile input: it returns a Referral or raises a SaihanError,
within a time bound, whatever the bytes or the shape of the JSON."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from saihan_fhir import FhirReferralImporter, referral_bundle

from saihan.referral.lifecycle import EventKind, Referral, ReferralEvent, ReferralStatus
from saihan.testing.corruption import corrupted_bytes, survives

TOKYO = dt.timezone(dt.timedelta(hours=9))
S = ReferralStatus


def _referral() -> Referral:
    times = [dt.datetime(2024, 11, day, 10, tzinfo=TOKYO) for day in (5, 6, 7, 8, 9)]
    steps = [
        (S.REQUESTED, None, EventKind.TRANSITION, None),
        (S.ACCEPTED, S.REQUESTED, EventKind.TRANSITION, None),
        (S.ON_HOLD, S.ACCEPTED, EventKind.TRANSITION, "he is in hospital"),
        (S.ON_HOLD, S.ON_HOLD, EventKind.FOLLOW_UP, None),
        (S.CANCELLED, S.ON_HOLD, EventKind.TRANSITION, "consent withdrawn"),
    ]
    return Referral(
        id="case-1.svc-1.1",
        case_id="case-1",
        service_id="svc-1",
        agency_id="agency-1",
        agency_kind="welfare_office",
        need="welfare",
        history=tuple(
            ReferralEvent(at=at, actor="worker-7", status=s, previous=p, kind=k, reason=r)
            for at, (s, p, k, r) in zip(times, steps, strict=True)
        ),
    )


VALID = referral_bundle(_referral(), include_reasons=True)
VALID_BYTES = json.dumps(VALID, ensure_ascii=False).encode("utf-8")
LOAD = FhirReferralImporter().load


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


PATHS = _paths(VALID)[1:]
JUNK: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 1.5, True, "", "x", "2024-13-45", [], {}, [{}], {"a": 1}]
)


def test_the_valid_bundle_loads() -> None:
    assert LOAD(VALID_BYTES) == _referral()


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(PATHS), JUNK), min_size=1, max_size=3))
def test_any_element_replaced_by_junk_is_a_saihan_error_or_a_referral(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    document = copy.deepcopy(VALID)
    for path, junk in changes:
        target: Any = document
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = junk
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the way there
    survives(LOAD, json.dumps(document).encode("utf-8"))


@given(corrupted_bytes(VALID_BYTES))
def test_corrupted_bytes_are_a_saihan_error_or_a_referral(data: bytes) -> None:
    survives(LOAD, data)

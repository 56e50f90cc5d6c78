"""A directory groups its services on the first query that needs them: the answers are
those of the services themselves, and what is wrong is still refused at construction."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan.directory import Audience, Channel, Directory, sample_directory
from saihan.errors import ValidationError
from saihan.serialization import from_json, to_json, unstructure

SAMPLE = sample_directory()
TEXT = to_json(SAMPLE, indent=None)
AGENCY_IDS = sorted({a.id for a in SAMPLE.agencies})
KINDS = sorted({a.kind for a in SAMPLE.agencies})


def _fresh() -> Directory:
    directory = from_json(TEXT, Directory)
    assert not directory._index._groups  # loaded, not yet grouped
    return directory


@settings(max_examples=30, deadline=None)
@given(
    agency_id=st.sampled_from([*AGENCY_IDS, "nobody"]),
    audience=st.sampled_from(list(Audience)),
    channel=st.sampled_from(list(Channel)),
    kind=st.sampled_from(KINDS),
)
def test_groups_answer_as_the_services_say(
    agency_id: str, audience: Audience, channel: Channel, kind: str
) -> None:
    directory = _fresh()
    assert directory.services_of(agency_id) == tuple(
        s for s in SAMPLE.services if s.agency_id == agency_id
    )
    assert directory.search(audience=audience) == tuple(
        sorted((s for s in SAMPLE.services if audience in s.audiences), key=lambda s: s.id)
    )
    assert directory.search(channel=channel) == tuple(
        sorted((s for s in SAMPLE.services if channel in SAMPLE.channels_of(s)), key=lambda s: s.id)
    )
    assert directory.search(kind=kind) == tuple(
        sorted((s for s in SAMPLE.services if SAMPLE.agency_of(s).kind == kind), key=lambda s: s.id)
    )


def test_threads_asking_first_get_the_same_groups() -> None:
    directory = _fresh()
    start = threading.Barrier(4)
    seen: list[object] = []

    def ask() -> None:
        start.wait()
        seen.append(directory.services_of(AGENCY_IDS[0]))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [SAMPLE.services_of(AGENCY_IDS[0])] * 4


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=len(SAMPLE.services) - 1))
def test_a_bad_reference_is_still_refused_when_loaded(position: int) -> None:
    data = unstructure(SAMPLE)
    data["services"][position]["agency_id"] = "no-such-agency"
    with pytest.raises(ValidationError) as raised:
        from_json(to_json(data, indent=None), Directory)
    assert f"services[{position}].agency_id" in [item.path for item in raised.value.errors]

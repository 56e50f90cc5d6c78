"""A calendar is compiled on its first query: the same answers as compiling it at once."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan.errors import ValidationError
from saihan.schedule import BusinessCalendar
from saihan.schedule.engine import CompiledCalendar
from saihan.schedule.holiday_calendar import japanese_holidays
from saihan.serialization import from_json, structure, to_json
from saihan.testing.calendar_strategies import calendars

SLOW = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
MOMENTS = st.lists(
    st.datetimes(
        min_value=dt.datetime(2023, 12, 1),
        max_value=dt.datetime(2027, 1, 31),
        timezones=st.just(ZoneInfo("Asia/Tokyo")),
    ),
    min_size=1,
    max_size=8,
)


def _answers(calendar: BusinessCalendar, moments: list[dt.datetime]) -> list[object]:
    return [(calendar.is_open(t), calendar.next_open(t), calendar.next_close(t)) for t in moments]


@SLOW
@given(calendars(), MOMENTS)
def test_lazy_form_answers_as_the_eager_one(
    calendar: BusinessCalendar, moments: list[dt.datetime]
) -> None:
    lazy = from_json(to_json(calendar), BusinessCalendar)
    assert lazy._compiled_form is None  # loaded, not yet asked
    eager = BusinessCalendar(**{a: getattr(calendar, a) for a in _init_fields()})
    holidays = japanese_holidays() if eager.closed_on_national_holidays else None
    object.__setattr__(eager, "_compiled_form", CompiledCalendar(eager, holidays))
    assert _answers(lazy, moments) == _answers(eager, moments)
    assert lazy == eager


@SLOW
@given(calendars())
def test_threads_asking_first_share_one_compiled_form(calendar: BusinessCalendar) -> None:
    fresh = from_json(to_json(calendar), BusinessCalendar)
    start = threading.Barrier(4)
    seen: list[CompiledCalendar] = []

    def ask() -> None:
        start.wait()
        seen.append(fresh._compiled)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4
    assert all(one is seen[0] for one in seen)


def _init_fields() -> list[str]:
    import attrs

    return [f.name for f in attrs.fields(BusinessCalendar) if f.init]


@pytest.mark.parametrize("load", [structure, lambda data, cls: from_json(to_json(data), cls)])
def test_a_bad_calendar_is_still_refused_at_construction(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as raised:
        load({"timezone": "Mars/Olympus"}, BusinessCalendar)
    assert [item.path for item in raised.value.errors] == ["timezone"]
    with pytest.raises(ValidationError) as raised:
        BusinessCalendar(valid_from=dt.date(2026, 2, 1), valid_until=dt.date(2026, 1, 1))
    assert [item.path for item in raised.value.errors] == ["valid_until"]

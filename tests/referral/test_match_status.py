"""A service that is not active is never open in a match (HSDS ``status``)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from _cases import JST, case

from saihan.directory import ServiceStatus, sample_directory
from saihan.referral import match

DESK = "tokyo-crime-worry-desk"  # Tue, Thu, Sat 09:00-17:00 in FY2024


@pytest.mark.parametrize(
    "status", [ServiceStatus.INACTIVE, ServiceStatus.TEMPORARILY_CLOSED, ServiceStatus.DEFUNCT]
)
def test_a_service_not_active_is_closed_in_match(status: ServiceStatus) -> None:
    sample = sample_directory()
    tuesday = dt.datetime(2024, 11, 5, 12, 0, tzinfo=JST)  # open by its hours
    # accepting_referrals stays true: status alone must close it
    services = [attrs.evolve(s, status=status) if s.id == DESK else s for s in sample.services]
    plan = match(
        case("welfare"), attrs.evolve(sample, services=services), at=tuesday, per_need=None
    )
    found = [r for r in plan.recommendations() if r.service_id == DESK]
    assert found
    for recommendation in found:
        assert recommendation.open_now is False
        assert recommendation.next_open is None
    active = match(case("welfare"), sample, at=tuesday, per_need=None)
    assert next(r for r in active.recommendations() if r.service_id == DESK).open_now

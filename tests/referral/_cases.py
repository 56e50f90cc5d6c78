"""Small cases for referral tests, built in code so each test shows what matters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from saihan.directory import Audience, Channel, LegalSituation, PersonAttribute
from saihan.referral import ConsultationCase, RaisedNeed, Subject

JST = dt.timezone(dt.timedelta(hours=9))
RECEIVED = dt.datetime(2024, 11, 5, 10, 30, tzinfo=JST)  # a Tuesday


def case(
    *needs: str,
    consulter: Audience = Audience.PERSON,
    residence: str | None = "132012",
    age: int | None = 40,
    legal: LegalSituation = LegalSituation.NONE,
    attributes: tuple[PersonAttribute, ...] = (),
    **extra: Any,
) -> ConsultationCase:
    """A case received on RECEIVED about a person in Hachioji (unless told otherwise)."""
    subject_fields = {
        key: extra.pop(key) for key in ("released_on", "age_range", "birth_date") if key in extra
    }
    return ConsultationCase(
        id=extra.pop("id", "test-case"),
        received_at=extra.pop("received_at", RECEIVED),
        consulter=consulter,
        received_via=extra.pop("received_via", Channel.PHONE),
        subject=Subject(
            residence=residence,
            age=age,
            legal_situation=legal,
            attributes=frozenset(attributes),
            **subject_fields,
        ),
        needs=tuple(RaisedNeed(code) for code in (needs or ("housing",))),
        **extra,
    )

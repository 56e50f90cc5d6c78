"""Registrations for events: who comes, whether they may be contacted, the waiting list.

A :class:`Registration` is personal data (a name, an e-mail address or phone
number, an affiliation): its contact fields are left out of ``repr``, and
the store checks every read and change against the acting principal and
audits it, as it does cases (``docs/access.md``).  Its scope is the organiser
(``organisation``, the organiser's agency id, copied from the event) and the
registrant's ``municipality``.

A registration is ``registered`` (it holds a place), ``waiting`` (on the
waiting list, in the order registered) or ``cancelled``; the operations in
:mod:`saihan.outreach.registering` keep the number of places taken within the
event's capacity and promote the first on the waiting list when a place frees.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory.location import MUNICIPALITY_CODE_PATTERN
from saihan.outreach._checks import EMAIL_PATTERN, check_codes, check_email

__all__ = ["Registration", "RegistrationStatus"]

_SENSITIVE = {"sensitive": True}
MAX_NAME = 200


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"  # holds a place
    WAITING = "waiting"  # on the waiting list
    CANCELLED = "cancelled"


def _ids(value: Iterable[str] | str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value) if isinstance(value, Iterable) else value


@attrs.frozen
class Registration:
    """One person's registration for one event (personal data; see the module)."""

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Registration id."})
    event_id: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "The event registered for."}
    )
    organisation: str = attrs.field(
        metadata={
            "schema": {"pattern": ID_PATTERN},
            "doc": "The event's organiser (agency id): whose staff may read it.",
        }
    )
    name: str = attrs.field(
        repr=False,
        metadata={**_SENSITIVE, "schema": {"minLength": 1, "maxLength": MAX_NAME}, "doc": "Name."},
    )
    registered_at: dt.datetime = attrs.field(metadata={"doc": "When registered (UTC offset)."})
    consent_to_contact: bool = attrs.field(
        metadata={"doc": "Agreed to be contacted about this event (changes, materials)."}
    )
    email: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={**_SENSITIVE, "schema": {"pattern": EMAIL_PATTERN}, "doc": "E-mail address."},
    )
    phone: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={
            **_SENSITIVE,
            "schema": {"pattern": r"^[0-9+()\- ]{6,32}$"},
            "doc": "Phone number.",
        },
    )
    affiliation: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={**_SENSITIVE, "schema": {"maxLength": MAX_NAME}, "doc": "Office or school."},
    )
    municipality: str | None = attrs.field(
        default=None,
        metadata={
            "schema": {"pattern": MUNICIPALITY_CODE_PATTERN},
            "doc": "The registrant's municipality (JIS X 0402), if they work for or live in one.",
        },
    )
    status: RegistrationStatus = attrs.field(
        default=RegistrationStatus.REGISTERED,
        metadata={"doc": "registered, waiting or cancelled."},
    )
    shared_with: frozenset[str] = attrs.field(
        factory=frozenset,
        converter=_ids,
        metadata={
            "schema": {"items": {"pattern": ID_PATTERN}},
            "doc": "Workers or organisations it is shared with (docs/access.md).",
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        check.identifier("event_id", self.event_id)
        check.identifier("organisation", self.organisation)
        check.non_blank("name", self.name)
        check.require(len(self.name) <= MAX_NAME, "name", f"longer than {MAX_NAME} characters")
        if self.email is not None:
            check_email(check, "email", self.email)
        if self.phone is not None:
            digits = sum(c.isdigit() for c in self.phone)
            allowed = set("0123456789+()- ")
            check.require(
                6 <= len(self.phone) <= 32 and set(self.phone) <= allowed and digits >= 6,
                "phone",
                "not a phone number (digits, spaces, +, -, parentheses)",
            )
        check.require(
            self.email is not None or self.phone is not None,
            "email",
            "give an e-mail address or a phone number to reach the registrant",
        )
        if self.affiliation is not None:
            check.non_blank("affiliation", self.affiliation)
            check.require(
                len(self.affiliation) <= MAX_NAME,
                "affiliation",
                f"longer than {MAX_NAME} characters",
            )
        if self.municipality is not None:
            check_codes(check, "municipality", [self.municipality])
        for index, who in enumerate(sorted(self.shared_with)):
            check.identifier(f"shared_with[{index}]", who)
        check.done()

    @property
    def holds_place(self) -> bool:
        return self.status is RegistrationStatus.REGISTERED

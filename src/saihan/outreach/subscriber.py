"""Newsletter subscribers: an e-mail address, consent with its date, municipalities of
interest, and an unsubscribe token.

A :class:`Subscriber` is personal data: the address and token are left out of
``repr``, and the store checks and audits every read and change as it does
cases (``docs/access.md``); its scope is the publishing organisation
(``organisation``).  Only a subscriber who consented and has not unsubscribed
(:attr:`Subscriber.active`) is sent an issue.  The token goes into every
message's unsubscribe link; the store indexes only its SHA-256 digest
(:func:`token_digest`), so the index does not reveal it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory.location import MUNICIPALITY_CODE_PATTERN
from saihan.outreach._checks import EMAIL_PATTERN, check_codes, check_email

__all__ = ["TOKEN_PATTERN", "Subscriber", "new_token", "token_digest"]

_SENSITIVE = {"sensitive": True}
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{32,128}$"
_TOKEN_RE = re.compile(TOKEN_PATTERN)


def new_token() -> str:
    """A fresh unsubscribe token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 digest (hex) the store indexes a subscriber's token by."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _codes(value: Iterable[str] | str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value) if isinstance(value, Iterable) else value


@attrs.frozen
class Subscriber:
    """One newsletter subscriber (personal data; see the module)."""

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Subscriber id."})
    email: str = attrs.field(
        repr=False,
        metadata={**_SENSITIVE, "schema": {"pattern": EMAIL_PATTERN}, "doc": "E-mail address."},
    )
    organisation: str = attrs.field(
        metadata={
            "schema": {"pattern": ID_PATTERN},
            "doc": "The publisher of the newsletter (an organisation id): whose staff read it.",
        }
    )
    consent: bool = attrs.field(metadata={"doc": "Agreed to receive the newsletter."})
    token: str = attrs.field(
        repr=False,
        metadata={
            **_SENSITIVE,
            "schema": {"pattern": TOKEN_PATTERN},
            "doc": "The secret of the unsubscribe link.",
        },
    )
    consented_on: dt.date | None = attrs.field(
        default=None, metadata={"doc": "The day consent was given (required with consent)."}
    )
    municipalities: frozenset[str] = attrs.field(
        factory=frozenset,
        converter=_codes,
        metadata={
            "schema": {"items": {"pattern": MUNICIPALITY_CODE_PATTERN}},
            "doc": "Municipalities of interest (JIS X 0402); empty: every issue.",
        },
    )
    unsubscribed_at: dt.datetime | None = attrs.field(
        default=None, metadata={"doc": "When they unsubscribed; null: still subscribed."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        check.identifier("organisation", self.organisation)
        check_email(check, "email", self.email)
        check.require(
            bool(_TOKEN_RE.fullmatch(self.token)),
            "token",
            "expected 32-128 URL-safe characters (saihan.outreach.new_token())",
        )
        if self.consent:
            check.require(
                self.consented_on is not None, "consented_on", "give the day consent was given"
            )
        else:
            check.require(
                self.consented_on is None, "consented_on", "no consent, so no day of consent"
            )
        check_codes(check, "municipalities", self.municipalities)
        check.done()

    @property
    def active(self) -> bool:
        """True when an issue may be sent: consented and not unsubscribed."""
        return self.consent and self.unsubscribed_at is None

    @property
    def municipality(self) -> str | None:
        """No municipality scope (see :func:`saihan.access.may`)."""
        return None

    @property
    def shared_with(self) -> frozenset[str]:
        return frozenset()

    def wants(self, municipalities: Iterable[str]) -> bool:
        """True when an issue about ``municipalities`` (empty: all Tokyo) is for them."""
        wanted = frozenset(municipalities)
        return not self.municipalities or not wanted or bool(self.municipalities & wanted)

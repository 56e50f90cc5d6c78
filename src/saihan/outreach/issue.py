"""Newsletter issues as stored: what was sent, and the directory it was made from.

An issue keeps a snapshot of the directory it was composed from (each
service's id with digests of its document and of its hours), so the next
issue can say what is new, changed or gone since this one: the store keeps
no history of directory records (a record holds only its latest version),
so the snapshot is that history.  See ``docs/outreach.md``.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory.location import MUNICIPALITY_CODE_PATTERN
from saihan.outreach._checks import check_codes

__all__ = ["NewsletterIssue", "ServiceSnapshot", "issue_id"]

_DIGEST = r"^[0-9a-f]{64}$"
_DIGEST_RE = re.compile(_DIGEST)
MAX_ISSUE = 99_999
MAX_BODY = 2_000_000


def issue_id(number: int) -> str:
    """The record id of issue ``number``: ``issue-00012`` (ids sort by number)."""
    return f"issue-{number:05d}"


@attrs.frozen
class ServiceSnapshot:
    """One service as an issue saw it."""

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Service id."})
    digest: str = attrs.field(
        metadata={"schema": {"pattern": _DIGEST}, "doc": "SHA-256 of its canonical JSON."}
    )
    hours_digest: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": _DIGEST}, "doc": "SHA-256 of its hours; null: none."},
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        check.require(bool(_DIGEST_RE.fullmatch(self.digest)), "digest", "not a SHA-256 hex")
        if self.hours_digest is not None:
            check.require(
                bool(_DIGEST_RE.fullmatch(self.hours_digest)), "hours_digest", "not a SHA-256 hex"
            )


@attrs.frozen
class NewsletterIssue:
    """A composed issue: its texts, the directory snapshot, and what sending it did."""

    number: int = attrs.field(
        metadata={"schema": {"minimum": 1, "maximum": MAX_ISSUE}, "doc": "Issue number."}
    )
    subject: str = attrs.field(
        metadata={"schema": {"minLength": 1, "maxLength": 200}, "doc": "The subject line."}
    )
    composed_at: dt.datetime = attrs.field(metadata={"doc": "When composed (UTC offset)."})
    since: dt.date = attrs.field(metadata={"doc": "The first day its news covers."})
    text: str = attrs.field(
        repr=False, metadata={"schema": {"maxLength": MAX_BODY}, "doc": "Plain-text body."}
    )
    html: str = attrs.field(
        repr=False, metadata={"schema": {"maxLength": MAX_BODY}, "doc": "HTML body."}
    )
    municipalities: frozenset[str] = attrs.field(
        factory=frozenset,
        metadata={
            "schema": {"items": {"pattern": MUNICIPALITY_CODE_PATTERN}},
            "doc": "Municipalities it is about; empty: all of Tokyo.",
        },
    )
    services: tuple[ServiceSnapshot, ...] = attrs.field(
        default=(), repr=False, metadata={"doc": "The directory's services when composed."}
    )
    revision: int | None = attrs.field(
        default=None,
        metadata={"schema": {"minimum": 0}, "doc": "The store's revision when composed."},
    )
    sent_at: dt.datetime | None = attrs.field(
        default=None, metadata={"doc": "When sending ended; null: not sent."}
    )
    delivered: int = attrs.field(
        default=0, metadata={"schema": {"minimum": 0}, "doc": "Messages the server accepted."}
    )
    refused: int = attrs.field(
        default=0,
        metadata={"schema": {"minimum": 0}, "doc": "Recipients the server refused (bounces)."},
    )
    failed: int = attrs.field(
        default=0, metadata={"schema": {"minimum": 0}, "doc": "Messages that failed otherwise."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.require(1 <= self.number <= MAX_ISSUE, "number", f"outside 1..{MAX_ISSUE}")
        check.non_blank("subject", self.subject)
        check.require(
            "\n" not in self.subject and "\r" not in self.subject,
            "subject",
            "one line only",
        )
        check.require(len(self.subject) <= 200, "subject", "longer than 200 characters")
        for name in ("text", "html"):
            check.require(
                len(getattr(self, name)) <= MAX_BODY, name, f"longer than {MAX_BODY} characters"
            )
        check_codes(check, "municipalities", self.municipalities)
        seen: set[str] = set()
        for index, snapshot in enumerate(self.services):
            if snapshot.id in seen:
                check.add(f"services[{index}].id", f"{snapshot.id!r} is listed twice")
            seen.add(snapshot.id)
        if self.revision is not None:
            check.require(self.revision >= 0, "revision", "must be >= 0")
        for name in ("delivered", "refused", "failed"):
            check.require(getattr(self, name) >= 0, name, "must be >= 0")
        check.done()

    @property
    def id(self) -> str:
        return issue_id(self.number)

    @property
    def sent(self) -> bool:
        return self.sent_at is not None

"""Marking a case's summary as edited for sharing (``saihan cases review``).

A case's own ``summary`` is the worker's words and never leaves the store. A reviewer
who has rewritten it so that it identifies no one stores that text as the case's
:class:`~saihan.referral.SharedSummary` with :func:`review_summary`: one audited change
of the case (an ``updated`` event naming ``shared_summary``), made by the principal
acting, who must be allowed to change the case.  ``saihan cases share`` writes that
text, and no other free text of the case.

Before it is stored the text is checked for what a summary edited for sharing must not
hold: the person's name (or a part of it), the case id, a date, a phone number or an
e-mail address.  Each is refused with a ValidationError at ``text`` that says what was
found, never the text itself.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

from saihan._validation import ID_RE
from saihan.access import Principal
from saihan.errors import ErrorItem, ValidationError
from saihan.referral.case import MAX_SHARED_SUMMARY, ConsultationCase, SharedSummary
from saihan.storage.store import Store

__all__ = ["review_summary", "summary_problems"]

_DATE = re.compile(
    r"[0-9０-９]{4}\s*[-/／.年]\s*[0-9０-９]{1,2}\s*[-/／.月]\s*[0-9０-９]{1,2}"
    r"|[0-9０-９]{1,2}\s*月\s*[0-9０-９]{1,2}\s*日"
    r"|(令和|平成|昭和|[RHS])\s*[0-9０-９元]{1,2}\s*[年.]"
)
_PHONE = re.compile(
    r"[0-9０-９]{2,5}\s*[-‐－ー(（)）]\s*[0-9０-９]{1,4}\s*[-‐－ー]\s*[0-9０-９]{3,4}"
)
_DIGITS = re.compile(r"[0-9０-９]{10,}")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


def summary_problems(case: ConsultationCase, text: str) -> list[str]:
    """What ``text`` holds that a summary edited for sharing must not (empty: none)."""
    found = []
    name = case.subject.name
    if name is not None:
        parts = {name.strip(), *name.split()}
        if any(len(part) >= 2 and part in text for part in parts):
            found.append("the person's name or a part of it")
    if case.id in text:
        found.append("the case id")
    if _DATE.search(text):
        found.append("a date")
    if _PHONE.search(text) or _DIGITS.search(text):
        found.append("a phone number or another long number")
    if _EMAIL.search(text):
        found.append("an e-mail address")
    return found


def review_summary(
    store: Store,
    case_id: str,
    text: str | None,
    *,
    actor: Principal | str,
    at: dt.datetime | None = None,
) -> ConsultationCase:
    """Store ``text`` as the case's summary edited for sharing, reviewed by ``actor``
    at ``at`` (default: now), or remove the mark with ``text=None``.  Returns the case.

    ValidationError (``text``, ``case_id``, ``at``) for a text that is blank, longer than
    2000 characters or holds something :func:`summary_problems` finds; AccessDenied
    when the principal may not change the case; NotFoundError when there is none.
    """
    if not isinstance(store, Store):
        raise ValidationError([ErrorItem("store", f"expected a Store, got {type(store).__name__}")])
    if not isinstance(case_id, str) or not ID_RE.fullmatch(case_id):
        raise ValidationError([ErrorItem("case_id", f"{case_id!r} is not a valid id")])
    if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
        raise ValidationError([ErrorItem("at", "give a datetime with its UTC offset")])
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise ValidationError([ErrorItem("text", "give the summary as edited for sharing")])
    if text is not None and len(text) > MAX_SHARED_SUMMARY:
        raise ValidationError(
            [ErrorItem("text", f"is longer than {MAX_SHARED_SUMMARY} characters")]
        )
    name = getattr(actor, "id", actor)
    if not isinstance(name, str) or not ID_RE.fullmatch(name):
        raise ValidationError([ErrorItem("actor", "expected a Principal or a worker id")])
    when = dt.datetime.now(dt.UTC) if at is None else at
    with store.transaction(), store.acting_as(actor, at=when):
        stored = store.cases.get(case_id)
        case = stored.value
        shared = None
        if text is not None:
            problems = summary_problems(case, text)
            if problems:
                raise ValidationError(
                    [
                        ErrorItem(
                            "text",
                            f"holds {', '.join(problems)}: edit it out before sharing",
                        )
                    ]
                )
            shared = SharedSummary(text=text.strip(), reviewed_by=name, reviewed_at=when)
        changed = attrs.evolve(case, shared_summary=shared)
        return store.cases.put(changed, expected_version=stored.version).value

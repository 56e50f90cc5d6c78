"""Coded reasons: the words a worker gives for a rejection, a failure, a hold or a
cancellation, counted without ever reading the free text.

A referral's ``reason`` is the worker's own words and sensitive
(:class:`~saihan.referral.lifecycle.ReferralEvent`).  Figures and shared case
examples use only its *code*: a reason that is exactly one of :data:`REASON_CODES`
(or begins with one followed by a colon, ``lost-contact: moved without notice``) counts
as that code, the words after the colon never leave; the reason
:data:`~saihan.casework.CONSENT_WITHDRAWN_REASON` counts as ``consent-withdrawn``;
any other reason counts as ``other``.
"""

from __future__ import annotations

import re

from saihan.text import LocalizedText

__all__ = ["OTHER", "REASON_CODES", "reason_code"]

OTHER = "other"
"""The code of a reason given in words that are no code."""

REASON_CODES: dict[str, LocalizedText] = {
    "not-eligible": LocalizedText(ja="対象外", en="not eligible"),
    "no-capacity": LocalizedText(ja="受入枠なし", en="no capacity"),
    "outside-area": LocalizedText(ja="区域外", en="outside the service area"),
    "lost-contact": LocalizedText(ja="連絡が取れなくなった", en="lost contact"),
    "declined-by-person": LocalizedText(ja="本人が辞退", en="declined by the person"),
    "moved-away": LocalizedText(ja="転居", en="moved away"),
    "rearrested": LocalizedText(ja="再逮捕", en="arrested again"),
    "hospitalised": LocalizedText(ja="入院", en="in hospital"),
    "waiting-for-documents": LocalizedText(ja="書類待ち", en="waiting for documents"),
    "no-longer-needed": LocalizedText(ja="必要がなくなった", en="no longer needed"),
    "consent-withdrawn": LocalizedText(ja="同意の撤回", en="consent withdrawn"),
    "entered-in-error": LocalizedText(ja="誤登録", en="entered in error"),
    OTHER: LocalizedText(ja="その他", en="other"),
}
"""Every reason code, with its words for reports."""

_CONSENT_WITHDRAWN = "consent withdrawn"  # saihan.casework.CONSENT_WITHDRAWN_REASON
_PREFIX = re.compile(r"^([a-z-]+)\s*:")


def reason_code(text: str | None) -> str | None:
    """The code of a reason (None for no reason); ``other`` for words that are no code."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped == _CONSENT_WITHDRAWN:
        return "consent-withdrawn"
    if stripped in REASON_CODES:
        return stripped
    found = _PREFIX.match(stripped)
    if found is not None and found[1] in REASON_CODES:
        return found[1]
    return OTHER

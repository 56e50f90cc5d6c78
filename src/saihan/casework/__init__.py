"""Casework: the operations that change cases and referrals on a store, audited.

The models (:mod:`saihan.referral`: cases, the referral lifecycle, the audit
trail's events) know nothing of stores; the store (:mod:`saihan.storage`)
keeps them and knows nothing of these operations; this package uses both.
Each operation is one store transaction, checked against the principal acting
(``actor``: a :class:`saihan.access.Principal`, or a worker id a system
principal records changes for; see ``docs/access.md``).

>>> from saihan.casework import create_referral, transition_referral   # doctest: +SKIP

See ``docs/referral-lifecycle.md``.
"""

from saihan.casework.followup import due_followups, overdue_by_municipality, overdue_by_worker
from saihan.casework.workflow import (
    CONSENT_WITHDRAWN_REASON,
    close_case,
    create_referral,
    follow_up,
    give_consent,
    open_case,
    referral_id_for,
    refuse_consent,
    reopen_case,
    transition_referral,
    update_case,
    withdraw_consent,
)

__all__ = [
    "CONSENT_WITHDRAWN_REASON",
    "close_case",
    "create_referral",
    "due_followups",
    "follow_up",
    "give_consent",
    "open_case",
    "overdue_by_municipality",
    "overdue_by_worker",
    "referral_id_for",
    "refuse_consent",
    "reopen_case",
    "transition_referral",
    "update_case",
    "withdraw_consent",
]

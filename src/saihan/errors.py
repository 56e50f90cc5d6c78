"""The exceptions saihan raises.

Every error saihan raises on purpose derives from :class:`SaihanError`, so an
application can catch the whole family in one place::

    SaihanError
    ├── ValidationError   bad input; ``.errors`` lists every bad field path
    ├── NotFoundError     an id, code or name that is not there
    ├── ConflictError     a duplicate or a stale version
    │   └── IllegalTransitionError   a referral status change the table forbids
    ├── PluginError       a plugin that is missing or fails to load
    ├── ConsentError      sharing case data without the person's consent
    │   └── ConsentRefusedError      the person was asked and refused this agency
    ├── AccessDenied      the principal acting may not do this (see docs/access.md)
    ├── DeliveryError     the mail server cannot be reached (nothing was sent)
    └── StorageError      the store itself cannot do what was asked
        └── IncompatibleStoreError   written by a newer saihan; left untouched

Public functions never let a bare ``KeyError``, ``TypeError`` or a cattrs or
jsonschema exception escape on bad input: they translate it into one of these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "AccessDenied",
    "ConflictError",
    "ConsentError",
    "ConsentRefusedError",
    "DeliveryError",
    "ErrorItem",
    "IllegalTransitionError",
    "IncompatibleStoreError",
    "NotFoundError",
    "PluginError",
    "SaihanError",
    "StorageError",
    "ValidationError",
    "join_path",
]


class SaihanError(Exception):
    """Base class of every exception saihan raises on purpose."""


@attrs.frozen
class ErrorItem:
    """One problem in the input: where it is and what is wrong.

    ``path`` locates the field from the root of the document that was given,
    in the form ``services[3].eligibility.min_age``; the empty string means
    the document as a whole.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"

    def under(self, prefix: str | int) -> ErrorItem:
        """The same problem seen from one level further out."""
        return ErrorItem(join_path(prefix, self.path), self.message)


def join_path(prefix: str | int, path: str) -> str:
    """Join a field name or list index in front of a relative path.

    >>> join_path("services", "[3].name")
    'services[3].name'
    >>> join_path(3, "eligibility.min_age")
    '[3].eligibility.min_age'
    """
    head = f"[{prefix}]" if isinstance(prefix, int) else prefix
    if not path:
        return head
    if not head:
        return path
    if path.startswith("["):
        return head + path
    return f"{head}.{path}"


class ValidationError(SaihanError, ValueError):
    """The input is not valid; ``errors`` says every place where, not just the first.

    ``str()`` lists one problem per line.  Subclasses :class:`ValueError` so
    that code written against the standard library still catches it.
    """

    errors: list[ErrorItem]

    def __init__(self, errors: Iterable[ErrorItem] | str, *, path: str = "") -> None:
        items = [ErrorItem(path, errors)] if isinstance(errors, str) else list(errors)
        if not items:
            raise ValueError("ValidationError needs at least one ErrorItem")
        self.errors = items
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.errors)
        head = "1 validation error" if count == 1 else f"{count} validation errors"
        return head + ":\n" + "\n".join(f"  {item}" for item in self.errors)

    @property
    def paths(self) -> list[str]:
        """The paths of every error, in order."""
        return [item.path for item in self.errors]

    def under(self, prefix: str | int) -> ValidationError:
        """The same errors with ``prefix`` put in front of every path."""
        return ValidationError([item.under(prefix) for item in self.errors])

    @classmethod
    def combine(cls, errors: Sequence[ErrorItem]) -> ValidationError | None:
        """A ValidationError for ``errors``, or None when there are none."""
        return cls(errors) if errors else None


class NotFoundError(SaihanError, LookupError):
    """An id, code or name that saihan was asked for does not exist."""


class ConflictError(SaihanError):
    """A write conflicts with what is there: a duplicate id or a stale version."""


class IllegalTransitionError(ConflictError):
    """A referral status change that the transition table does not allow
    (:data:`saihan.referral.lifecycle.TRANSITIONS`).  The message names the
    referral and both statuses; ``current`` and ``wanted`` hold them."""

    def __init__(self, referral_id: str, current: str, wanted: str, allowed: Sequence[str]) -> None:
        if allowed:
            hint = "allowed from there: " + ", ".join(allowed)
        else:
            hint = f"{current} is an ended status: nothing follows it"
        super().__init__(f"referral {referral_id!r} cannot go from {current} to {wanted} ({hint})")
        self.referral_id = referral_id
        self.current = current
        self.wanted = wanted


class PluginError(SaihanError):
    """A plugin is missing, ambiguous or fails to load.

    The message names the entry-point group, the name asked for and the
    names that are installed.
    """


class ConsentError(SaihanError):
    """Case data would reach an agency the person has not consented to."""


class ConsentRefusedError(ConsentError):
    """The person was asked and refused to let their information go to this agency
    (a consent with ``decision`` ``refused``), as distinct from not asked yet; a
    consent they give later lifts the refusal."""


class StorageError(SaihanError):
    """The store cannot do what was asked: it is unreachable, locked for too long,
    closed, not a saihan store, or fails its integrity check.

    Messages name the store and the operation, never the contents of a record.
    """


class IncompatibleStoreError(StorageError):
    """The store was written by a newer saihan (its schema version is higher than
    this saihan knows).  Nothing was changed: upgrade saihan to open it."""


class AccessDenied(SaihanError):  # the name the docs and callers use
    """The principal acting may not read or change this record (or none was given).

    The store writes an audit event of every refusal, committed even though the
    operation fails.  The message names the principal, the action and the
    record's kind and id, never a value of the record.
    """


class DeliveryError(SaihanError):
    """The mail server (SMTP) cannot be reached or would not talk: nothing was sent,
    and the store is unchanged (see docs/outreach.md)."""

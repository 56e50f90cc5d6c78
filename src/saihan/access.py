"""Who is acting, and what they may read and change: principals and scopes.

A :class:`Principal` is the person or program acting on a store: a worker id,
an organisation, the municipalities (JIS X 0402 codes) they work for, and
their :class:`Role` s.  :func:`may` is the whole scope rule, as one function
over plain data: the store asks it before every read and write of a case,
consent, plan, referral or audit event (see ``docs/access.md``, whose table a
test checks against this function).

This module sits below the models and the store: it imports neither (and the
municipality table only when a principal is built).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import Any, Protocol

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.errors import ErrorItem, ValidationError

__all__ = [
    "CASE_ROLES",
    "PRINCIPAL_FORM",
    "Action",
    "Principal",
    "Role",
    "Scoped",
    "may",
    "parse_principal",
]


class Role(enum.StrEnum):
    """What a principal is, for the scope rules (see :func:`may`)."""

    DESK_WORKER = "desk-worker"  # 相談窓口の職員: cases of their organisation and municipality
    MUNICIPAL_OFFICER = "municipal-officer"  # 区市町村の担当: cases of their municipalities
    SUPERVISOR = "supervisor"  # their organisation's cases across its municipalities
    AUDITOR = "auditor"  # the audit trail, and nothing else
    SYSTEM = "system"  # imports, migrations and directory writes: everything


CASE_ROLES = frozenset({Role.DESK_WORKER, Role.MUNICIPAL_OFFICER, Role.SUPERVISOR})
"""The roles that work on cases (and that ``shared_with`` can open a case to)."""


class Action(enum.StrEnum):
    """What a principal asks to do."""

    READ = "read"  # read a case (its consents), its plans and referrals
    CHANGE = "change"  # create, change or delete a case, plan or referral
    READ_AUDIT = "read-audit"  # read audit events
    CHANGE_DIRECTORY = "change-directory"  # write agencies, services, needs, kinds, rules, flows


class Scoped(Protocol):
    """What :func:`may` looks at in a case (a :class:`~saihan.referral.ConsultationCase`)."""

    @property
    def municipality(self) -> str | None: ...
    @property
    def organisation(self) -> str | None: ...
    @property
    def shared_with(self) -> frozenset[str]: ...


def _role_set(value: Iterable[Role | str] | Role | str) -> frozenset[Any]:
    # One role may be given alone; each is checked (and made a Role) by @checked.
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value) if isinstance(value, Iterable) else value


def _code_set(value: Iterable[str] | str) -> frozenset[Any]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value) if isinstance(value, Iterable) else value


@attrs.frozen
class Principal:
    """Who is acting: ``id`` (a worker or program id), their ``organisation``
    (an id), the ``municipalities`` they act for (JIS X 0402 codes with check
    digit) and their ``roles`` (:class:`Role` or its value).

    The id is what audit events record as their actor.
    """

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Worker id."})
    roles: frozenset[Role] = attrs.field(converter=_role_set, metadata={"doc": "Roles."})
    organisation: str | None = attrs.field(
        default=None, metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Organisation id."}
    )
    municipalities: frozenset[str] = attrs.field(
        default=frozenset(), converter=_code_set, metadata={"doc": "Municipality codes."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        # Field types (roles from their values, sets from lists) are checked by @checked.
        check.identifier("id", self.id)
        if self.organisation is not None:
            check.identifier("organisation", self.organisation)
        check.require(bool(self.roles), "roles", "give at least one role")
        # Imported here: importing the directory package costs a cold start that
        # "who may do what" should not pay (saihan.access is light; see test_cold_start.py).
        from saihan.directory.municipalities import code_problem

        for code in sorted(self.municipalities):
            problem = code_problem(code)
            if problem:
                check.add("municipalities", f"{code!r}: {problem}")

    @classmethod
    def system(cls, id: str = "system") -> Principal:
        """A ``system`` principal for imports, migrations and directory writes."""
        return cls(id=id, roles=frozenset({Role.SYSTEM}))

    @property
    def is_system(self) -> bool:
        return Role.SYSTEM in self.roles

    def __str__(self) -> str:
        """The ``--as`` form (see :func:`parse_principal`)."""
        text = self.id
        if self.organisation is not None:
            text += f"@{self.organisation}"
        if self.municipalities:
            text += "/" + ",".join(sorted(self.municipalities))
        return text + ":" + ",".join(sorted(role.value for role in self.roles))


_FORM = re.compile(r"^(?P<id>[^@/:]+)(?:@(?P<org>[^@/:]+))?(?:/(?P<codes>[^@/:]*))?:(?P<roles>.+)$")
PRINCIPAL_FORM = "WORKER[@ORGANISATION][/CODE,CODE...]:ROLE[,ROLE...]"
"""How ``--as`` and ``SAIHAN_PRINCIPAL`` spell a principal."""
_EXAMPLE = "worker-7@org-hachioji/132012:desk-worker"


def parse_principal(text: str) -> Principal:
    """A principal from its short form, e.g. ``worker-7@org-hachioji/132012:desk-worker``
    (``WORKER[@ORGANISATION][/CODE,CODE...]:ROLE[,ROLE...]``); ``system:system`` for
    imports.  ValidationError (path ``principal``) when it is not one."""
    found = _FORM.match(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise ValidationError(
            [
                ErrorItem(
                    "principal",
                    f"expected {PRINCIPAL_FORM}, e.g. worker-7@org-1/132012:desk-worker",
                )
            ]
        )
    codes = [code for code in (found["codes"] or "").split(",") if code]
    roles = [role for role in found["roles"].split(",") if role]
    try:
        return Principal(
            id=found["id"], organisation=found["org"], municipalities=codes, roles=roles
        )
    except ValidationError as error:
        raise error.under("principal") from None


def may(principal: Principal | None, action: Action | str, record: Scoped | None = None) -> bool:
    """True when ``principal`` may do ``action`` on ``record`` (a case; for a plan or a
    referral, its case).  No principal may do nothing.  Roles add up: a principal
    may do what any one of its roles may.

    =====================  ===================================================
    role                   may
    =====================  ===================================================
    ``system``             everything
    ``desk-worker``        read and change cases of its organisation *and* one
                           of its municipalities, and cases shared with it
    ``municipal-officer``  read and change cases of its municipalities, and
                           cases shared with it
    ``supervisor``         read and change its organisation's cases (any
                           municipality), and cases shared with it
    ``auditor``            read the audit trail, nothing else
    =====================  ===================================================

    A case is shared with a principal when its ``shared_with`` names the
    principal's id or organisation.  Directory changes are ``system``'s only.
    """
    if principal is None:
        return False
    action = Action(action)
    if Role.SYSTEM in principal.roles:
        return True
    if action is Action.READ_AUDIT:
        return Role.AUDITOR in principal.roles
    if action is Action.CHANGE_DIRECTORY or record is None:
        return False
    if not principal.roles & CASE_ROLES:
        return False
    shared = record.shared_with
    if principal.id in shared or (
        principal.organisation is not None and principal.organisation in shared
    ):
        return True
    own_org = principal.organisation is not None and record.organisation == principal.organisation
    own_place = record.municipality is not None and record.municipality in principal.municipalities
    if Role.SUPERVISOR in principal.roles and own_org:
        return True
    if Role.MUNICIPAL_OFFICER in principal.roles and own_place:
        return True
    return Role.DESK_WORKER in principal.roles and own_org and own_place

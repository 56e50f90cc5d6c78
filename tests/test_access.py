"""Principals and scopes: the rule (saihan.access.may), its documented table, its form."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan.access import Action, Principal, Role, may, parse_principal
from saihan.errors import ValidationError

DOC = Path(__file__).parent.parent / "docs" / "access.md"
HACHIOJI, SHINJUKU, CHIYODA = "132012", "131041", "131016"


@attrs.frozen
class Case:
    """What may() looks at in a case."""

    municipality: str | None
    organisation: str | None
    shared_with: frozenset[str] = frozenset()


principals = st.builds(
    Principal,
    id=st.sampled_from(["w1", "w2", "w3"]),
    roles=st.frozensets(st.sampled_from(list(Role)), min_size=1),
    organisation=st.sampled_from([None, "org-a", "org-b"]),
    municipalities=st.frozensets(st.sampled_from([HACHIOJI, SHINJUKU, CHIYODA])),
)
cases = st.builds(
    Case,
    municipality=st.sampled_from([None, HACHIOJI, SHINJUKU]),
    organisation=st.sampled_from([None, "org-a", "org-b"]),
    shared_with=st.frozensets(st.sampled_from(["w1", "org-a", "org-c"]), max_size=2),
)


@settings(max_examples=200)
@given(principals, cases, st.sampled_from(list(Action)))
def test_roles_add_up(principal: Principal, case: Case, action: Action) -> None:
    """A principal may do exactly what one of its roles may: scope is monotone in roles."""
    alone = [attrs.evolve(principal, roles={role}) for role in principal.roles]
    assert may(principal, action, case) == any(may(one, action, case) for one in alone)
    more = attrs.evolve(principal, roles=principal.roles | {Role.MUNICIPAL_OFFICER})
    assert may(principal, action, case) <= may(more, action, case)


@settings(max_examples=200)
@given(principals, cases)
def test_an_auditor_never_reads_or_changes_a_case(principal: Principal, case: Case) -> None:
    auditor = attrs.evolve(principal, roles={Role.AUDITOR})
    assert may(auditor, Action.READ_AUDIT)
    for action in (Action.READ, Action.CHANGE, Action.CHANGE_DIRECTORY):
        assert not may(auditor, action, case)


@settings(max_examples=200)
@given(principals, cases, st.sampled_from(list(Action)))
def test_no_principal_may_do_nothing_and_system_everything(
    principal: Principal, case: Case, action: Action
) -> None:
    assert not may(None, action, case)
    assert may(attrs.evolve(principal, roles={Role.SYSTEM}), action, case)
    if Role.SYSTEM not in principal.roles:
        assert not may(principal, Action.CHANGE_DIRECTORY)


@settings(max_examples=200)
@given(principals, cases)
def test_sharing_opens_a_case_to_case_roles_only(principal: Principal, case: Case) -> None:
    shared = attrs.evolve(case, shared_with=case.shared_with | {principal.id})
    case_roles = principal.roles & {Role.DESK_WORKER, Role.MUNICIPAL_OFFICER, Role.SUPERVISOR}
    assert may(principal, Action.READ, shared) == bool(case_roles or Role.SYSTEM in principal.roles)
    # read and change always go together
    assert may(principal, Action.READ, case) == may(principal, Action.CHANGE, case)


def _documented_table() -> dict[str, list[str]]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("| role | read cases |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def _expected(role: Role) -> list[str]:
    """What docs/access.md must say of ``role``, computed from may()."""
    org, place = "org-a", HACHIOJI
    principal = Principal(id="w9", roles={role}, organisation=org, municipalities={place})
    variants = {
        "all": Case(SHINJUKU, "org-b"),
        "own organisation and own municipality": Case(place, org),
        "own municipalities": Case(place, "org-b"),
        "own organisation": Case(SHINJUKU, org),
    }

    def scope(action: Action) -> str:
        allowed = [name for name, case in variants.items() if may(principal, action, case)]
        if "all" in allowed:
            return "all"
        if not allowed:
            return "no"
        # the widest allowed scope, which must be exactly what is allowed
        for name in ("own organisation", "own municipalities"):
            if name in allowed and len(allowed) == 2:
                return name
        assert allowed == ["own organisation and own municipality"], allowed
        return allowed[0]

    shared = may(principal, Action.READ, Case(SHINJUKU, "org-b", frozenset({"w9"})))
    return [
        scope(Action.READ),
        scope(Action.CHANGE),
        "yes" if shared else "no",
        "yes" if may(principal, Action.READ_AUDIT) else "no",
        "yes" if may(principal, Action.CHANGE_DIRECTORY) else "no",
    ]


def test_the_documented_table_is_what_may_does() -> None:
    table = _documented_table()
    assert set(table) == {role.value for role in Role}
    for role in Role:
        assert table[role.value] == _expected(role), role


def test_principals_validate_their_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        Principal(id="Worker 7", roles={"desk-wroker"})
    # every problem at once: the misspelt role (with the roles there are) and the bad id
    assert sorted(caught.value.paths) == ["id", "roles[0]"]
    assert "'desk-worker'" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        Principal(id="Worker 7", roles={"desk-worker"}, municipalities={"132013"})
    assert caught.value.paths == ["id", "municipalities"]
    with pytest.raises(ValidationError, match="at least one role"):
        Principal(id="w1", roles=())


@settings(max_examples=100)
@given(principals)
def test_the_short_form_round_trips(principal: Principal) -> None:
    assert parse_principal(str(principal)) == principal


@pytest.mark.parametrize(
    "text", ["", "worker-7", "worker-7:", "worker-7:boss", "w@/132013:desk-worker", "Ö:system"]
)
def test_a_bad_short_form_names_the_principal(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_principal(text)
    assert all(re.match(r"^principal", path) for path in caught.value.paths)


def test_the_system_principal() -> None:
    assert parse_principal("system:system") == Principal.system()
    assert Principal.system().is_system

"""Typed construction: every public model converts vocabulary strings to enum members
and refuses values of the wrong type with the field path, however it is built.

The checks here find the models themselves (every attrs class in a public ``__all__``)
and their fields from the annotations, so that a model added later is covered too.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import pkgutil
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import saihan
from saihan import storage
from saihan.access import Principal, Role
from saihan.directory import (
    Audience,
    Channel,
    LegalSituation,
    PersonAttribute,
    Relation,
    sample_directory,
)
from saihan.directory.agency_kinds import default_agency_kinds
from saihan.directory.municipalities import tokyo_municipalities
from saihan.directory.taxonomy import Need, default_taxonomy, priority_areas
from saihan.errors import ValidationError
from saihan.outreach import sample_events
from saihan.referral import (
    ConsultationCase,
    RaisedNeed,
    RelativeSituation,
    SharedSummary,
    Subject,
    Urgency,
    bundled_flows,
    default_rules,
    gap_report,
    load_case,
    match,
    run_flow,
)
from saihan.referral.audit import GENESIS_DIGEST, AuditChainHead
from saihan.referral.conditions import CASE_FIELDS, AgeTest, Not
from saihan.referral.flows import FlowProblem
from saihan.referral.followup import FollowUp, FollowUpReason
from saihan.referral.lifecycle import ReferralStatus
from saihan.referral.rules import CompiledRule
from saihan.schedule.japan import ERAS, to_era
from saihan.schedule.japanese_hours import parse_japanese_hours
from saihan.serialization import from_json, to_json
from saihan.testing import (
    audit_events,
    calendar_closures,
    events,
    followup_policies,
    followup_rules,
    missing_requirements,
    newsletter_issues,
    own_holidays,
    referral_events,
    referrals,
    registrations,
    service_snapshots,
    special_openings,
    subscribers,
)

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "examples" / "cases").glob("*.json"))
TOKYO = dt.timezone(dt.timedelta(hours=9))
AT = dt.datetime(2024, 11, 5, 10, 0, tzinfo=TOKYO)
MISSPELT = "misspelt-value"

# followup.py belongs to another change this round; its models are not typed yet.
NOT_YET_TYPED: set[str] = set()


# -- finding the models ------------------------------------------------------------


def _public_models() -> list[type]:
    """Every attrs class named in the ``__all__`` of saihan or one of its modules."""
    found: dict[str, type] = {}
    modules = [saihan]
    for info in pkgutil.walk_packages(saihan.__path__, "saihan."):
        if info.name.startswith(("saihan.testing", "saihan.cli", "saihan.__main__")):
            continue
        modules.append(importlib.import_module(info.name))
    for module in modules:
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name, None)
            if isinstance(value, type) and attrs.has(value):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found)]


MODELS = _public_models()
# The domain models (what a document, a case file or a store holds); storage
# plumbing, plugin reports and limits are not built from user input.
DOMAIN = [
    cls
    for cls in MODELS
    if cls.__module__.startswith(
        ("saihan.directory", "saihan.schedule", "saihan.referral", "saihan.outreach")
    )
]


def _enum_of(hint: Any) -> tuple[type[enum.Enum], str] | None:
    """(the enum, "one" / "set" / "tuple") when a field holds an enum, alone or in a collection."""
    origin = typing.get_origin(hint)
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint, "one"
    if (
        origin is frozenset
        and args
        and isinstance(args[0], type)
        and issubclass(args[0], enum.Enum)
    ):
        return args[0], "set"
    if origin is tuple and args and isinstance(args[0], type) and issubclass(args[0], enum.Enum):
        return args[0], "tuple"
    if origin in (typing.Union, __import__("types").UnionType) and len(args) == 1:
        return _enum_of(args[0])
    return None


def _init_fields(cls: type) -> Iterator[tuple[attrs.Attribute[Any], Any]]:
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        if field.init:
            yield field, hints[field.name]


ENUM_FIELDS: list[tuple[type, str, tuple[type[enum.Enum], str]]] = [
    (cls, field.alias or field.name, found)
    for cls in MODELS
    for field, hint in _init_fields(cls)
    if (found := _enum_of(hint)) is not None
]


# -- one valid example of each model ---------------------------------------------------


def _walk(value: Any, into: dict[type, Any]) -> None:
    if attrs.has(type(value)):
        into.setdefault(type(value), value)
        for field in attrs.fields(type(value)):
            if field.init:
                _walk(getattr(value, field.name), into)
    elif isinstance(value, tuple | frozenset | list):
        for item in value:
            _walk(item, into)


def _one(strategy: st.SearchStrategy[Any]) -> Any:
    return find(
        strategy,
        lambda _: True,
        settings=settings(
            database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
        ),
    )


@pytest.fixture(scope="module")
def examples() -> dict[type, Any]:
    """One valid instance of every model, from the sample data and the test strategies."""
    found: dict[type, Any] = {}
    directory = sample_directory()
    cases = [load_case(path) for path in CASES]
    flows = bundled_flows()
    roots: list[Any] = [directory, cases, default_rules(), list(flows)]
    roots += [list(default_taxonomy()), priority_areas(), tokyo_municipalities()[:1]]
    roots += [default_agency_kinds(), ERAS, to_era(AT.date()), list(CASE_FIELDS.values())]
    roots += [CompiledRule.of(default_rules().rules[0]), FlowProblem(None, "start", "a problem")]
    roots += [match(case, directory, at=AT) for case in cases]
    roots += [run_flow(flow, case) for flow in flows for case in cases[:2]]
    roots.append(gap_report(cases, directory, at=AT))
    # One with a fragment it could not read, so UnreadFragment has an example too.
    roots.append(parse_japanese_hours("月～金 9時～17時（最終週は休み）"))
    for service in directory.services:
        if service.hours is not None:
            roots.append(service.hours.status(AT))
            break
    for strategy in (
        referrals(),
        referral_events(),
        audit_events(),
        followup_policies(),
        followup_rules(),
        missing_requirements(),
        calendar_closures(),
        own_holidays(),
        special_openings(),
        events(),
        registrations(),
        subscribers(),
        newsletter_issues(),
    ):
        roots.append(_one(strategy))
    roots.append(list(sample_events()))  # with materials
    roots.append(_one(service_snapshots()))
    roots.append(AuditChainHead(event_id="e-1", digest=GENESIS_DIGEST, count=1))
    roots.append(SharedSummary(text="60代の男性。", reviewed_by="reviewer-1", reviewed_at=AT))
    roots.append(
        RelativeSituation(relation=Relation.PARENT, legal_situation=LegalSituation.IN_PRISON)
    )
    roots.append(
        Principal(
            id="worker-1",
            roles=frozenset({Role.DESK_WORKER}),
            organisation="org-1",
            municipalities=frozenset({"132012"}),
        )
    )
    roots.append(
        FollowUp(
            referral_id="r-1",
            case_id="c-1",
            service_id="s-1",
            status=ReferralStatus.REQUESTED,
            reason=next(iter(FollowUpReason)),
            since=AT,
            due_on=AT.date(),
            overdue_days=1,
            worker=None,
            municipality=None,
            description=directory.services[0].name,
        )
    )
    for root in roots:
        _walk(root, found)
    _walk(Not(found[AgeTest]), found)
    return found


def _typed(cls: type) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason="followup.py is owned by another change")]
    return pytest.param(cls, marks=marks) if cls.__name__ in NOT_YET_TYPED else cls


# -- the generic tests ----------------------------------------------------------------


def test_the_models_are_found() -> None:
    names = {cls.__name__ for cls in MODELS}
    assert {"Service", "Subject", "RaisedNeed", "ConsultationCase", "WeeklyHours"} <= names
    assert {"Referral", "ReferralEvent", "AuditEvent", "Rule", "FlowNode"} <= names
    assert len(ENUM_FIELDS) >= 20


@pytest.mark.parametrize("cls", DOMAIN, ids=lambda cls: cls.__name__)
def test_every_domain_model_has_an_example(cls: type, examples: dict[type, Any]) -> None:
    # Without one a new model would escape the misspelling tests below: add a root above.
    assert cls in examples, f"no example of {cls.__name__}: add one to the examples fixture"


@pytest.mark.parametrize(
    ("cls", "name", "found"),
    [
        pytest.param(
            *item, marks=_typed(item[0]).marks if item[0].__name__ in NOT_YET_TYPED else ()
        )
        for item in ENUM_FIELDS
    ],
    ids=[f"{cls.__name__}.{name}" for cls, name, _ in ENUM_FIELDS],
)
def test_a_misspelt_vocabulary_value_names_the_field_and_the_allowed_values(
    cls: type, name: str, found: tuple[type[enum.Enum], str], examples: dict[type, Any]
) -> None:
    vocabulary, shape = found
    example = examples[cls]
    wrong: Any = {"one": MISSPELT, "set": frozenset({MISSPELT}), "tuple": (MISSPELT,)}[shape]
    with pytest.raises(ValidationError) as raised:
        attrs.evolve(example, **{name: wrong})
    path = name if shape == "one" else f"{name}[0]"
    messages = [item.message for item in raised.value.errors if item.path == path]
    assert messages, f"{raised.value.paths} does not name {path}"
    assert all(repr(member.value) in messages[0] for member in vocabulary)


_WRONG_BASIC: dict[Any, Any] = {
    str: 12345,
    int: "12",
    bool: "yes",
    dt.date: "2024-11-05",
    dt.datetime: dt.datetime(2024, 11, 5, 10, 0),  # naive: no UTC offset
    dt.time: "10:00",
}


def _basic_fields() -> list[Any]:
    params = []
    for cls in DOMAIN:
        for field, hint in _init_fields(cls):
            arms = [arg for arg in typing.get_args(hint) if arg is not type(None)] or [hint]
            if len(arms) == 1 and arms[0] in _WRONG_BASIC and not field.converter:
                marks = _typed(cls).marks if cls.__name__ in NOT_YET_TYPED else ()
                params.append(
                    pytest.param(
                        cls,
                        field.alias or field.name,
                        arms[0],
                        marks=marks,
                        id=f"{cls.__name__}.{field.alias}",
                    )
                )
    return params


@pytest.mark.parametrize(("cls", "name", "kind"), _basic_fields())
def test_a_value_of_the_wrong_basic_type_names_the_field(
    cls: type, name: str, kind: type, examples: dict[type, Any]
) -> None:
    with pytest.raises(ValidationError) as raised:
        attrs.evolve(examples[cls], **{name: _WRONG_BASIC[kind]})
    assert name in raised.value.paths


# -- strings and members build the same objects ------------------------------------------


def _as_values(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, frozenset):
        return {_as_values(item) for item in value}  # a plain set of plain strings
    if isinstance(value, tuple) and any(isinstance(item, enum.Enum) for item in value):
        return [_as_values(item) for item in value]
    return value


def _rebuilt_with_strings(obj: Any) -> Any:
    changes: dict[str, Any] = {}
    for field, hint in _init_fields(type(obj)):
        if _enum_of(hint) is not None:
            changes[field.alias or field.name] = _as_values(getattr(obj, field.name))
    return attrs.evolve(obj, **changes)


def _members_are_enums(obj: Any) -> bool:
    for field, hint in _init_fields(type(obj)):
        found = _enum_of(hint)
        if found is None:
            continue
        value = getattr(obj, field.name)
        items = value if isinstance(value, frozenset | tuple) else [value]
        if not all(item is None or type(item) is found[0] for item in items):
            return False
    return True


@pytest.mark.parametrize(
    "cls",
    sorted(
        {cls for cls, _, _ in ENUM_FIELDS if cls.__name__ not in NOT_YET_TYPED},
        key=str,
    ),
    ids=lambda cls: cls.__name__,
)
def test_strings_and_members_build_equal_objects(cls: type, examples: dict[type, Any]) -> None:
    rebuilt = _rebuilt_with_strings(examples[cls])
    assert rebuilt == examples[cls]
    assert _members_are_enums(rebuilt)


@settings(max_examples=40, deadline=None)
@given(case=saihan.testing.cases())
def test_a_case_built_from_strings_equals_the_case_built_from_members(
    case: ConsultationCase,
) -> None:
    subject = _rebuilt_with_strings(case.subject)
    needs = tuple(_rebuilt_with_strings(need) for need in case.needs)
    rebuilt = _rebuilt_with_strings(attrs.evolve(case, subject=subject, needs=needs))
    assert rebuilt == case
    assert to_json(rebuilt) == to_json(case)
    assert _members_are_enums(rebuilt)
    assert _members_are_enums(rebuilt.subject)
    assert all(_members_are_enums(need) for need in rebuilt.needs)


@settings(max_examples=25, deadline=None)
@given(service=saihan.testing.services())
def test_a_service_built_from_strings_equals_the_service_built_from_members(service: Any) -> None:
    eligibility = _rebuilt_with_strings(service.eligibility)
    rebuilt = _rebuilt_with_strings(attrs.evolve(service, eligibility=eligibility))
    assert rebuilt == service
    assert to_json(rebuilt) == to_json(service)
    assert _members_are_enums(rebuilt)
    assert _members_are_enums(rebuilt.eligibility)


# -- the issue's reproducers -------------------------------------------------------------


def test_the_misspellings_from_the_issue_are_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        Subject(legal_situation="on_probatoin")  # type: ignore[arg-type]
    assert raised.value.paths == ["legal_situation"]
    assert "'on_probation'" in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        RaisedNeed("food", urgency="hgih")  # type: ignore[arg-type]
    assert raised.value.paths == ["urgency"]
    assert "'urgent', 'high', 'normal', 'low'" in str(raised.value)
    service = sample_directory().services[0]
    with pytest.raises(ValidationError) as raised:
        attrs.evolve(service, audiences={"persn"})  # type: ignore[arg-type]
    assert raised.value.paths == ["audiences[0]"]
    assert "'person'" in str(raised.value)


def test_nested_problems_carry_the_full_path() -> None:
    with pytest.raises(ValidationError) as raised:
        ConsultationCase(
            id="c-1",
            received_at=AT,
            consulter=Audience.PERSON,
            received_via=Channel.PHONE,
            subject=Subject(legal_situation="on_probatoin"),  # type: ignore[arg-type]
            needs=(RaisedNeed("food"),),
        )
    assert raised.value.paths == ["legal_situation"]  # raised by Subject, before the case
    # From a document the path starts at the document's root.
    text = to_json(_string_built_case()).replace('"on_parole"', '"on_probatoin"')
    with pytest.raises(ValidationError) as raised:
        load_case(text)
    assert raised.value.paths == ["subject.legal_situation"]


def test_every_problem_of_an_object_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        Subject(age="70", legal_situation="parole", attributes={"elderly", "old"})  # type: ignore[arg-type]
    assert raised.value.paths == ["age", "legal_situation", "attributes[1]"]


def test_a_lone_surrogate_is_refused_in_any_text_field() -> None:
    with pytest.raises(ValidationError) as raised:
        RaisedNeed("food", note="\ud800")
    assert raised.value.paths == ["note"]


def test_a_huge_misspelt_value_gives_a_short_message() -> None:
    with pytest.raises(ValidationError) as raised:
        RaisedNeed("food", urgency="x" * 1_000_000)  # type: ignore[arg-type]
    assert len(raised.value.errors[0].message) < 200


def test_json_still_reports_the_schema_first() -> None:
    text = to_json(Subject(legal_situation=LegalSituation.ON_PAROLE)).replace("on_parole", "parole")
    with pytest.raises(ValidationError) as raised:
        from_json(text, Subject)
    assert raised.value.paths == ["legal_situation"]


# -- the same objects, built from strings, work through match and every store ------------


def _string_built_case() -> ConsultationCase:
    return ConsultationCase(
        id="case-strings",
        received_at=AT,
        consulter="family",  # type: ignore[arg-type]
        received_via="phone",  # type: ignore[arg-type]
        subject=Subject(
            residence="131016",
            age=72,
            legal_situation="on_parole",  # type: ignore[arg-type]
            attributes={"elderly", "homeless"},  # type: ignore[arg-type]
        ),
        needs=[RaisedNeed("housing", urgency="urgent"), RaisedNeed("welfare")],  # type: ignore[arg-type]
        preferred_channels=["phone", "visit"],  # type: ignore[arg-type]
    )


def test_a_case_built_from_strings_is_typed_and_matches() -> None:
    case = _string_built_case()
    assert case.subject.legal_situation is LegalSituation.ON_PAROLE
    assert case.subject.attributes == {PersonAttribute.ELDERLY, PersonAttribute.HOMELESS}
    assert all(type(item) is PersonAttribute for item in case.subject.attributes)
    assert case.needs[0].urgency is Urgency.URGENT
    assert isinstance(case.needs, tuple)
    assert isinstance(case.preferred_channels, frozenset)
    plan = match(case, sample_directory(), at=AT)
    assert plan.needs[0].need == "housing"
    assert any(need.recommendations for need in plan.needs)


def _string_built_directory() -> saihan.Directory:
    directory = sample_directory()
    services = [
        attrs.evolve(
            service,
            audiences={str(audience.value) for audience in service.audiences},  # type: ignore[arg-type]
            cost=str(service.cost.value),  # type: ignore[arg-type]
        )
        for service in directory.services
    ]
    return attrs.evolve(directory, services=services)


def _store_urls(tmp_path: Path) -> list[str]:
    urls = ["memory://", f"sqlite:///{tmp_path}/store.db", f"jsonfile://{tmp_path}/store.json"]
    server = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        import psycopg

        with psycopg.connect(server, connect_timeout=3) as db:
            db.execute("SELECT 1")
    except Exception:
        return urls
    return [*urls, f"{server}?schema=saihan_typed_{tmp_path.name[-12:].lower().replace('-', '_')}"]


def test_string_built_objects_round_trip_through_every_store(tmp_path: Path) -> None:
    case = _string_built_case()
    directory = _string_built_directory()
    assert directory == sample_directory()
    plan = match(case, directory, at=AT)
    urls = _store_urls(tmp_path)
    for url in urls:
        with storage.open(url, principal=Principal.system()) as store:
            store.import_directory(directory)
            store.cases.put(case)
            store.plans.put(plan)
            assert store.cases.get(case.id).value == case
            assert store.load_directory() == directory
            assert store.integrity_check() == []
    if any(url.startswith("postgresql") for url in urls):
        import psycopg

        schema = urls[-1].rsplit("=", 1)[1]
        with psycopg.connect(urls[-1].split("?")[0], autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# -- cross-references checked where the case is read ---------------------------------------


def test_load_case_refuses_an_unknown_need_code() -> None:
    text = to_json(_string_built_case()).replace('"welfare"', '"welfar"')
    with pytest.raises(ValidationError) as raised:
        load_case(text.encode())
    assert raised.value.paths == ["needs[1].code"]
    assert "welfar" in str(raised.value)


def test_load_case_knows_the_needs_a_directory_adds() -> None:
    extra = Need(code="general.pet_care", label=sample_directory().meta.name, parent="general")
    directory = attrs.evolve(sample_directory(), needs=[extra])
    text = to_json(_string_built_case()).replace('"welfare"', '"general.pet_care"')
    with pytest.raises(ValidationError):
        load_case(text)
    assert load_case(text, directory=directory).need_codes == ("housing", "general.pet_care")
    assert load_case(text, taxonomy=directory.taxonomy).need_codes == (
        "housing",
        "general.pet_care",
    )

"""The case fields of issue 18: each one's meaning, its checks, and old documents."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan.directory import (
    Audience,
    Channel,
    ConsentDecision,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
    Relation,
    sample_directory,
)
from saihan.errors import ValidationError
from saihan.referral import (
    AgeRange,
    Consent,
    ConsultationCase,
    RaisedNeed,
    RelativeSituation,
    Subject,
    load_case,
)
from saihan.referral.case import SUSPECTABLE_ATTRIBUTES
from saihan.serialization import from_json, to_json
from saihan.testing import cases, consents, relative_situations

JST = dt.timezone(dt.timedelta(hours=9))
RECEIVED = dt.datetime(2024, 11, 5, 10, 30, tzinfo=JST)
DAY = RECEIVED.date()
TAITO = "131067"
OLD_CASE = Path(__file__).parent.parent / "data" / "cases" / "old-shape-mother-son.json"
EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "cases"


def case(**fields: Any) -> ConsultationCase:
    subject = fields.pop("subject", Subject())
    base: dict[str, Any] = {
        "id": "case-18",
        "received_at": RECEIVED,
        "consulter": Audience.PERSON,
        "received_via": Channel.PHONE,
        "subject": subject,
        "needs": (RaisedNeed("housing"),),
    }
    base.update(fields)
    return ConsultationCase(**base)


def paths(call: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.paths


# -- the person's day --------------------------------------------------------------------


def test_the_time_zone_sets_the_persons_day() -> None:
    late = dt.datetime(2024, 11, 4, 23, 30, tzinfo=dt.UTC)  # 08:30 on 5 Nov in Tokyo
    assert case(received_at=late).received_on == dt.date(2024, 11, 4)
    tokyo = case(received_at=late, time_zone="Asia/Tokyo")
    assert tokyo.received_on == dt.date(2024, 11, 5)
    assert tokyo.local_day(dt.datetime(2024, 11, 5, 15, 0, tzinfo=dt.UTC)) == dt.date(2024, 11, 6)
    assert str(tokyo.zone) == "Asia/Tokyo"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "", "Asia/Tokyo "])
def test_a_time_zone_must_be_an_iana_name(zone: str) -> None:
    assert paths(lambda: case(time_zone=zone)) == ["time_zone"]


@settings(max_examples=60, deadline=None)
@given(cases(), st.sampled_from([dt.UTC, JST, dt.timezone(dt.timedelta(hours=-11))]))
def test_the_persons_day_does_not_depend_on_the_offset_written(
    generated: ConsultationCase, offset: dt.timezone
) -> None:
    zoned = attrs.evolve(generated, time_zone=generated.time_zone or "Asia/Tokyo")
    moved = attrs.evolve(zoned, received_at=zoned.received_at.astimezone(offset))
    assert moved.received_on == zoned.received_on
    moment = zoned.received_at + dt.timedelta(hours=13)
    assert zoned.local_day(moment) == zoned.local_day(moment.astimezone(offset))


# -- the subject ------------------------------------------------------------------------


def test_a_preferred_municipality_is_a_checked_code() -> None:
    homeless = Subject(
        preferred_municipality=TAITO, attributes=frozenset({PersonAttribute.HOMELESS})
    )
    assert homeless.preferred_municipality == TAITO
    assert paths(lambda: Subject(preferred_municipality="131068")) == ["preferred_municipality"]


def test_suspected_attributes_are_disabilities_and_dependences_not_also_known() -> None:
    subject = Subject(suspected_attributes=frozenset({PersonAttribute.INTELLECTUAL_DISABILITY}))
    assert subject.suspected_attributes == {PersonAttribute.INTELLECTUAL_DISABILITY}
    both = frozenset({PersonAttribute.DRUG_DEPENDENCE})
    assert paths(lambda: Subject(attributes=both, suspected_attributes=both)) == [
        "suspected_attributes"
    ]
    for attribute in set(PersonAttribute) - SUSPECTABLE_ATTRIBUTES:
        assert paths(lambda: Subject(suspected_attributes=frozenset({attribute}))) == [  # noqa: B023
            "suspected_attributes"
        ]


def test_a_juvenile_stage_goes_with_a_juvenile_case() -> None:
    stage = JuvenileStage.FAMILY_COURT
    young = Subject(age=16, legal_situation=LegalSituation.JUVENILE_CASE, juvenile_stage=stage)
    assert case(subject=young).subject.juvenile_stage is stage
    for situation in (LegalSituation.UNKNOWN, LegalSituation.IN_PRISON):
        assert paths(lambda: Subject(legal_situation=situation, juvenile_stage=stage)) == [  # noqa: B023
            "juvenile_stage"
        ]


@pytest.mark.parametrize(
    ("age", "stage", "ok"),
    [
        (19, JuvenileStage.FAMILY_COURT, True),
        (20, JuvenileStage.FAMILY_COURT, False),  # sent to the prosecutor at 20
        (20, JuvenileStage.ARRESTED, False),
        (21, JuvenileStage.IN_TRAINING_SCHOOL, True),  # a stay may be extended past 20
        (20, JuvenileStage.ON_PROBATION, True),
        (14, JuvenileStage.ARRESTED, True),
        (13, JuvenileStage.ARRESTED, False),  # 触法少年 are not arrested
        (13, JuvenileStage.CHILD_WELFARE_MEASURE, True),
    ],
)
def test_juvenile_stages_follow_the_juvenile_acts_ages(
    age: int, stage: JuvenileStage, ok: bool
) -> None:
    subject = Subject(age=age, legal_situation=LegalSituation.JUVENILE_CASE, juvenile_stage=stage)
    if ok:
        assert case(subject=subject).subject.juvenile_stage is stage
    else:
        assert paths(lambda: case(subject=subject)) == ["subject.juvenile_stage"]


def test_an_age_band_is_refused_only_when_no_age_in_it_fits() -> None:
    stage = JuvenileStage.CLASSIFICATION_HOME
    situation = LegalSituation.JUVENILE_CASE
    band = Subject(age_range=AgeRange(18, 22), legal_situation=situation, juvenile_stage=stage)
    assert case(subject=band).subject.juvenile_stage is stage
    older = Subject(age_range=AgeRange(20, 29), legal_situation=situation, juvenile_stage=stage)
    assert paths(lambda: case(subject=older)) == ["subject.juvenile_stage"]


@pytest.mark.parametrize(
    ("subject", "ok"),
    [
        (Subject(age=18), True),
        (Subject(age=19), True),
        (Subject(age_range=AgeRange(15, 18)), True),
        (Subject(), True),  # the age is not known: the worker's word stands
        (Subject(age=17), False),
        (Subject(age=20), False),
        (Subject(birth_date=dt.date(2004, 11, 5)), False),  # 20 on the day received
        (Subject(birth_date=dt.date(2004, 11, 6)), True),  # 19 until tomorrow
    ],
)
def test_a_specified_juvenile_is_18_or_19_on_the_day_received(subject: Subject, ok: bool) -> None:
    tagged = attrs.evolve(subject, attributes=frozenset({PersonAttribute.SPECIFIED_JUVENILE}))
    if ok:
        assert PersonAttribute.SPECIFIED_JUVENILE in case(subject=tagged).subject.attributes
    else:
        assert paths(lambda: case(subject=tagged)) == ["subject.attributes"]


def test_an_expected_release_is_for_someone_held_and_not_yet_out() -> None:
    soon = DAY + dt.timedelta(days=10)
    prisoner = Subject(legal_situation=LegalSituation.IN_PRISON, expected_release_on=soon)
    assert case(subject=prisoner).subject.expected_release_on == soon
    assert case(subject=attrs.evolve(prisoner, expected_release_on=DAY)).subject
    past = attrs.evolve(prisoner, expected_release_on=DAY - dt.timedelta(days=1))
    assert paths(lambda: case(subject=past)) == ["subject.expected_release_on"]
    for situation in (LegalSituation.ON_PAROLE, LegalSituation.RELEASED_FROM_PRISON):
        assert paths(
            lambda: Subject(legal_situation=situation, expected_release_on=soon)  # noqa: B023
        ) == ["expected_release_on"]
    probation = JuvenileStage.ON_PROBATION
    assert paths(
        lambda: Subject(
            legal_situation=LegalSituation.JUVENILE_CASE,
            juvenile_stage=probation,
            expected_release_on=soon,
        )
    ) == ["expected_release_on"]
    assert paths(
        lambda: Subject(
            legal_situation=LegalSituation.IN_PRISON, released_on=DAY, expected_release_on=soon
        )
    ) == ["expected_release_on"]


def test_release_days_are_read_on_the_persons_day() -> None:
    # 23:30 UTC on 4 Nov is 5 Nov in Tokyo: released "today" is fine there.
    late = dt.datetime(2024, 11, 4, 23, 30, tzinfo=dt.UTC)
    released = Subject(legal_situation=LegalSituation.RELEASED_FROM_PRISON, released_on=DAY)
    assert case(received_at=late, time_zone="Asia/Tokyo", subject=released).subject.released_on
    assert paths(lambda: case(received_at=late, subject=released)) == ["subject.released_on"]


# -- the relative -----------------------------------------------------------------------


def _relative(**fields: Any) -> RelativeSituation:
    base: dict[str, Any] = {"relation": Relation.CHILD, "legal_situation": LegalSituation.IN_PRISON}
    base.update(fields)
    return RelativeSituation(**base)


def test_only_a_family_consulter_has_a_relative() -> None:
    mother = case(consulter=Audience.FAMILY, relative=_relative())
    assert mother.relative is not None
    assert mother.relative.relation is Relation.CHILD
    for consulter in (Audience.PERSON, Audience.SUPPORTER, Audience.PROFESSIONAL):
        assert paths(lambda: case(consulter=consulter, relative=_relative())) == ["relative"]  # noqa: B023


def test_the_relatives_days_are_checked_against_the_day_received() -> None:
    family = {"consulter": Audience.FAMILY}
    soon = DAY + dt.timedelta(days=90)
    assert case(**family, relative=_relative(expected_release_on=soon)).relative
    before = _relative(expected_release_on=DAY - dt.timedelta(days=1))
    assert paths(lambda: case(**family, relative=before)) == ["relative.expected_release_on"]
    out = _relative(
        legal_situation=LegalSituation.RELEASED_FROM_PRISON, released_on=DAY + dt.timedelta(1)
    )
    assert paths(lambda: case(**family, relative=out)) == ["relative.released_on"]
    assert paths(lambda: _relative(residence="131068")) == ["residence"]
    assert paths(lambda: _relative(juvenile_stage=JuvenileStage.IN_TRAINING_SCHOOL)) == [
        "juvenile_stage"
    ]


# -- consent refused ---------------------------------------------------------------------

PROBATION = frozenset({"probation_office"})


def _refusal(on: dt.date = DAY, **fields: Any) -> Consent:
    return Consent(given_on=on, agency_kinds=PROBATION, decision=ConsentDecision.REFUSED, **fields)


def test_a_refusal_covers_nothing_and_says_so() -> None:
    refusal = _refusal()
    assert refusal.refused
    assert not refusal.in_force(DAY)
    assert not refusal.covers("tokyo-probation", "probation_office", DAY)
    assert refusal.refuses("tokyo-probation", "probation_office", DAY)
    assert not refusal.refuses("tokyo-probation", "probation_office", DAY - dt.timedelta(1))
    assert not refusal.refuses("hachioji-welfare", "welfare_office", DAY)
    refused = case(consents=(refusal,))
    assert refused.consent_for("tokyo-probation", "probation_office", DAY) is None
    assert refused.consent_refused_for("tokyo-probation", "probation_office", DAY) == refusal


def test_a_refusal_has_no_end_and_no_withdrawal() -> None:
    assert paths(lambda: _refusal(until=DAY + dt.timedelta(30))) == ["until"]
    assert paths(lambda: _refusal(withdrawn_on=DAY + dt.timedelta(3))) == ["withdrawn_on"]


def test_a_later_consent_lifts_a_refusal() -> None:
    later = DAY + dt.timedelta(days=7)
    consent = Consent(given_on=later, agency_ids=frozenset({"tokyo-probation"}))
    changed = case(consents=(_refusal(), consent))
    assert changed.consent_refused_for("tokyo-probation", "probation_office", later) is None
    assert changed.consent_for("tokyo-probation", "probation_office", later) == consent
    before = later - dt.timedelta(days=1)
    assert changed.consent_refused_for("tokyo-probation", "probation_office", before)
    # An agency of the kind the consent does not name stays refused.
    assert changed.consent_refused_for("other-probation", "probation_office", later)


def test_a_refusal_while_a_consent_covers_the_same_is_a_contradiction() -> None:
    given = Consent(given_on=DAY - dt.timedelta(days=3), agency_kinds=PROBATION)
    assert paths(lambda: case(consents=(given, _refusal()))) == ["consents[1]"]
    withdrawn = attrs.evolve(given, withdrawn_on=DAY)
    assert case(consents=(withdrawn, _refusal())).consents[1].refused
    other = Consent(given_on=DAY, agency_kinds=frozenset({"welfare_office"}))
    assert case(consents=(other, _refusal())).consents[1].refused


@settings(max_examples=60, deadline=None)
@given(cases(with_consent=True), st.integers(0, 400))
def test_a_generated_refusal_never_lets_information_go(
    generated: ConsultationCase, days: int
) -> None:
    day = generated.received_on + dt.timedelta(days=days - 200)
    for consent in generated.consents:
        for kind in consent.agency_kinds:
            refused = generated.consent_refused_for("some-agency", kind, day)
            if refused is not None:
                assert refused.refused
                assert generated.consent_for("some-agency", kind, day) is None


@settings(max_examples=40, deadline=None)
@given(consents(refused=True))
def test_refusal_strategies_make_refusals(refusal: Consent) -> None:
    assert refusal.decision is ConsentDecision.REFUSED
    assert refusal.until is None
    assert refusal.withdrawn_on is None


@settings(max_examples=40, deadline=None)
@given(relative_situations(received_on=DAY))
def test_relative_strategies_respect_the_day(relative: RelativeSituation) -> None:
    assert relative.released_on is None or relative.released_on <= DAY
    assert relative.expected_release_on is None or relative.expected_release_on >= DAY
    family = case(consulter=Audience.FAMILY, relative=relative)
    assert from_json(to_json(family), ConsultationCase) == family


def test_the_received_by_desk_is_an_id() -> None:
    assert case(received_by="tokyo-anything-desk").received_by == "tokyo-anything-desk"
    assert paths(lambda: case(received_by="Tokyo Desk")) == ["received_by"]


# -- documents ---------------------------------------------------------------------------


def test_a_case_document_of_the_old_shape_still_loads() -> None:
    """tests/data/cases/old-shape-mother-son.json is examples/cases/mother-son-shoplifting.json
    as commit 0180b79 wrote it, before any of these fields."""
    text = OLD_CASE.read_text(encoding="utf-8")
    for name in ("time_zone", "received_by", "relative", "decision", "juvenile_stage"):
        assert name not in text
    old = load_case(OLD_CASE)
    assert old.time_zone is None
    assert old.received_by is None
    assert old.relative is None
    assert old.subject.preferred_municipality is None
    assert old.subject.suspected_attributes == frozenset()
    assert old.subject.juvenile_stage is None
    assert old.subject.expected_release_on is None
    assert [consent.decision for consent in old.consents] == [ConsentDecision.GIVEN]
    assert old.received_on == dt.date(2024, 6, 13)
    # Written again, it has only what it had: defaults are left out.
    assert json.loads(to_json(old)) == json.loads(text)


def test_the_released_homeless_man_example() -> None:
    man = load_case(EXAMPLES / "homeless-man-released-taito.json", directory=sample_directory())
    assert man.time_zone == "Asia/Tokyo"
    assert man.subject.residence is None
    assert man.subject.preferred_municipality == TAITO
    assert PersonAttribute.HOMELESS in man.subject.attributes
    assert man.subject.released_on is not None
    assert 0 < (man.received_on - man.subject.released_on).days <= 7
    assert man.received_by is not None
    assert man.received_by in {service.id for service in sample_directory().services}


def test_the_mother_of_a_prisoner_example() -> None:
    mother = load_case(EXAMPLES / "mother-son-in-prison.json", directory=sample_directory())
    assert mother.consulter is Audience.FAMILY
    assert mother.relative is not None
    assert mother.relative.relation is Relation.CHILD
    assert mother.relative.legal_situation is LegalSituation.IN_PRISON
    refusals = [consent for consent in mother.consents if consent.refused]
    assert len(refusals) == 1
    [kind] = refusals[0].agency_kinds
    assert mother.consent_refused_for("any-agency", kind, mother.received_on) == refusals[0]
    assert any(not consent.refused for consent in mother.consents)


def test_the_referral_guides_case_blocks_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/referral.md's blocks about the case fields run as written."""
    guide = EXAMPLES.parent.parent / "docs" / "referral.md"
    monkeypatch.chdir(guide.parent.parent)
    blocks = re.findall(r"```python\n(.*?)```", guide.read_text(encoding="utf-8"), re.DOTALL)
    about_days = [block for block in blocks if "local_day" in block]
    assert about_days
    for block in about_days:
        exec(block, {})


def test_the_guides_document_every_new_field() -> None:
    docs = EXAMPLES.parent.parent / "docs"
    referral = (docs / "referral.md").read_text(encoding="utf-8")
    for name in (
        "preferred_municipality",
        "suspected_attributes",
        "juvenile_stage",
        "expected_release_on",
        "specified_juvenile",
        "relative",
        "relation",
        "decision",
        "received_by",
        "time_zone",
        *(stage.value for stage in JuvenileStage),
        *(relation.value for relation in Relation),
    ):
        assert f"`{name}`" in referral, name
    lifecycle = (docs / "referral-lifecycle.md").read_text(encoding="utf-8")
    cli = (docs / "cli.md").read_text(encoding="utf-8")
    assert "`case.local_day(moment)`" in referral
    for text in (lifecycle, cli):
        assert "case show" in text
        assert "--refuse" in text
    assert "refuse_consent" in lifecycle
    assert "consent-refused" in lifecycle
    assert "`consent-refused`" in (docs / "access.md").read_text(encoding="utf-8")

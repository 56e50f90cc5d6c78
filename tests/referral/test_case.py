"""Consultation cases: validation, sensitive fields, consent and age arithmetic."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from _cases import JST, RECEIVED, case
from hypothesis import given
from hypothesis import strategies as st

from saihan import ValidationError
from saihan.directory import LegalSituation, PersonAttribute
from saihan.referral import AgeRange, Consent, ConsultationCase, RaisedNeed, Subject, load_case
from saihan.serialization import from_json, to_json

SECRET = "SECRET-TEXT-仮名太郎"


def test_repr_and_str_never_show_sensitive_fields() -> None:
    sensitive = case(
        summary=SECRET,
        birth_date=dt.date(1950, 1, 2),
        age=None,
    )
    sensitive = ConsultationCase(
        id=sensitive.id,
        received_at=sensitive.received_at,
        consulter=sensitive.consulter,
        received_via=sensitive.received_via,
        subject=Subject(name=SECRET, birth_date=dt.date(1950, 1, 2)),
        needs=(RaisedNeed("housing", note=SECRET),),
        summary=SECRET,
    )
    for shown in (repr(sensitive), str(sensitive), repr(sensitive.subject), repr(sensitive.needs)):
        assert SECRET not in shown
        assert "1950" not in shown
    assert "test-case" in repr(sensitive)
    # The caller who serialises the case asked for it: everything is there.
    assert SECRET in to_json(sensitive)


def test_a_case_round_trips_through_json() -> None:
    original = case(
        "housing",
        "employment.job_search",
        legal=LegalSituation.ON_PAROLE,
        released_on=dt.date(2024, 10, 1),
        consents=(Consent(given_on=dt.date(2024, 11, 5), agency_kinds=frozenset({"hello_work"})),),
        summary="sample",
    )
    assert from_json(to_json(original), ConsultationCase) == original


def test_unknown_fields_are_errors_not_ignored() -> None:
    data = json.loads(to_json(case()))
    data["subject"]["legal_situaton"] = "on_parole"
    data["colour"] = "blue"
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(data), ConsultationCase)
    assert set(caught.value.paths) == {"subject.legal_situaton", "colour"}


def test_every_problem_in_a_case_is_reported_with_its_path() -> None:
    data = json.loads(to_json(case()))
    data["subject"]["residence"] = "132013"  # bad check digit
    data["subject"]["age_range"] = {"min": 30, "max": 39}  # and an age
    data["consents"] = [{"given_on": "2024-11-05", "until": "2024-11-01", "agency_ids": ["x"]}]
    data["preferred_channels"] = ["pigeon"]
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(data), ConsultationCase)
    assert set(caught.value.paths) == {
        "subject.residence",
        "subject.age_range",
        "consents[0].until",
        "preferred_channels[0]",
    }


def test_checks_across_a_case_are_reported_together() -> None:
    data = json.loads(to_json(case()))
    data["received_at"] = "2024-11-05T10:30:00"  # no offset
    data["needs"] = [{"code": "housing"}, {"code": "housing"}]
    data["languages"] = ["ja", "ja"]
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(data), ConsultationCase)
    assert set(caught.value.paths) >= {"received_at", "needs[1].code", "languages"}


def test_release_after_reception_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        case(released_on=RECEIVED.date() + dt.timedelta(days=1))
    assert caught.value.paths == ["subject.released_on"]


def test_load_case_reads_files_and_names_what_is_wrong(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    good = folder / "good.json"
    good.write_text(to_json(case()), encoding="utf-8")
    assert load_case(good) == case()
    with pytest.raises(ValidationError, match="cannot read"):
        load_case(folder / "missing.json")
    broken = folder / "broken.json"
    broken.write_bytes(b"{")
    with pytest.raises(ValidationError, match="not valid JSON"):
        load_case(broken)


def test_a_consent_covers_named_agencies_and_kinds_while_in_force() -> None:
    consent = Consent(
        given_on=dt.date(2024, 11, 1),
        until=dt.date(2025, 3, 31),
        agency_ids=frozenset({"ngo-1"}),
        agency_kinds=frozenset({"welfare_office"}),
    )
    day = dt.date(2024, 12, 1)
    assert consent.covers("ngo-1", "darc", day)
    assert consent.covers("hachioji-welfare", "welfare_office", day)
    assert not consent.covers("hello-work", "hello_work", day)
    assert not consent.covers("ngo-1", "darc", dt.date(2024, 10, 31))
    assert not consent.covers("ngo-1", "darc", dt.date(2025, 4, 1))
    withdrawn = Consent(
        given_on=dt.date(2024, 11, 1),
        agency_ids=frozenset({"ngo-1"}),
        withdrawn_on=dt.date(2024, 11, 20),
    )
    assert withdrawn.covers("ngo-1", "darc", dt.date(2024, 11, 19))
    assert not withdrawn.covers("ngo-1", "darc", dt.date(2024, 11, 20))


def test_a_consent_must_name_someone() -> None:
    with pytest.raises(ValidationError) as caught:
        Consent(given_on=dt.date(2024, 11, 1))
    assert caught.value.paths == ["agency_ids"]


def test_age_bounds_from_each_kind_of_age() -> None:
    received = dt.date(2024, 11, 5)
    assert Subject(age=40).age_bounds(received, received) == (40, 40)
    # A year later the person is 41, or 42 if their birthday fell in between.
    assert Subject(age=40).age_bounds(dt.date(2025, 11, 5), received) == (41, 42)
    assert Subject(age_range=AgeRange(60, 69)).age_bounds(received, received) == (60, 69)
    exact = Subject(birth_date=dt.date(2005, 11, 6))
    assert exact.age_bounds(received, received) == (18, 18)
    assert exact.age_bounds(dt.date(2024, 11, 6), received) == (19, 19)
    assert Subject().age_bounds(received, received) is None


@given(
    birth=st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)),
    received_after=st.integers(0, 365 * 60),
    shift=st.integers(-365 * 3, 365 * 10),
)
def test_an_age_carried_to_another_day_brackets_the_true_age(
    birth: dt.date, received_after: int, shift: int
) -> None:
    received = birth + dt.timedelta(days=received_after)
    on = max(birth, received + dt.timedelta(days=shift))
    true_age_then = Subject(birth_date=birth).age_bounds(received, received)
    true_age_on = Subject(birth_date=birth).age_bounds(on, received)
    assert true_age_then is not None
    assert true_age_on is not None
    bounds = Subject(age=true_age_then[0]).age_bounds(on, received)
    assert bounds is not None
    assert bounds[0] <= true_age_on[0] <= bounds[1]


def test_subject_attributes_and_needs_validate() -> None:
    with pytest.raises(ValidationError) as caught:
        ConsultationCase(
            id="Bad Id",
            received_at=dt.datetime(2024, 11, 5, 10, 0, tzinfo=JST),
            consulter="person",  # type: ignore[arg-type]
            received_via="phone",  # type: ignore[arg-type]
            subject=Subject(attributes=frozenset({PersonAttribute.ELDERLY})),
            needs=(),
        )
    assert set(caught.value.paths) == {"id", "needs"}


def test_errors_about_sensitive_fields_never_echo_their_value() -> None:
    data = json.loads(to_json(case()))
    data["summary"] = {"said": SECRET}
    data["subject"]["name"] = [SECRET]
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(data), ConsultationCase)
    assert set(caught.value.paths) == {"summary", "subject.name"}
    assert SECRET not in str(caught.value)
    assert "expected string or null, got object" in str(caught.value)

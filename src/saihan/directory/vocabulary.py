"""Closed vocabularies shared by directory, eligibility and (later) cases.

They are string enums so that documents carry readable values
(``"on_parole"``), and the JSON Schema lists every allowed value.
"""

from __future__ import annotations

import enum

__all__ = ["Audience", "Channel", "Cost", "LegalSituation", "PersonAttribute"]


class Audience(enum.StrEnum):
    """Who may consult a service (相談できる人)."""

    PERSON = "person"  # the person who offended (本人)
    FAMILY = "family"  # their family (家族)
    SUPPORTER = "supporter"  # supporters: volunteer probation officers, friends, NPOs (支援者)
    PROFESSIONAL = "professional"  # staff of public bodies and agencies (関係機関の職員)


class Channel(enum.StrEnum):
    """How a service can be reached."""

    PHONE = "phone"
    EMAIL = "email"
    WEB_FORM = "web_form"
    VISIT = "visit"  # in person at one of the agency's locations
    FAX = "fax"


class LegalSituation(enum.StrEnum):
    """Where a person stands in the criminal-justice process."""

    NONE = "none"  # no current proceedings or supervision
    UNKNOWN = "unknown"
    UNDER_INVESTIGATION = "under_investigation"  # 捜査・公判中
    PROSECUTION_DEFERRED = "prosecution_deferred"  # 起訴猶予 (entrance support, 入口支援)
    SUSPENDED_SENTENCE = "suspended_sentence"  # 執行猶予
    ON_PROBATION = "on_probation"  # 保護観察中 (probation)
    IN_PRISON = "in_prison"  # 受刑中
    ON_PAROLE = "on_parole"  # 仮釈放中
    RELEASED_FROM_PRISON = "released_from_prison"  # 満期釈放・出所後
    JUVENILE_CASE = "juvenile_case"  # 少年事件
    RELEASED_FROM_JUVENILE_TRAINING_SCHOOL = "released_from_juvenile_training_school"  # 少年院出院


class PersonAttribute(enum.StrEnum):
    """Attributes of a person that eligibility may require or exclude."""

    ELDERLY = "elderly"
    PHYSICAL_DISABILITY = "physical_disability"
    INTELLECTUAL_DISABILITY = "intellectual_disability"
    MENTAL_DISABILITY = "mental_disability"
    DEVELOPMENTAL_DISABILITY = "developmental_disability"
    DRUG_DEPENDENCE = "drug_dependence"
    ALCOHOL_DEPENDENCE = "alcohol_dependence"
    GAMBLING_DEPENDENCE = "gambling_dependence"
    HOMELESS = "homeless"
    UNEMPLOYED = "unemployed"
    STUDENT = "student"
    DEBT = "debt"
    NEEDS_INTERPRETER = "needs_interpreter"


class Cost(enum.StrEnum):
    """What using a service costs the person."""

    FREE = "free"
    PAID = "paid"
    SLIDING_SCALE = "sliding_scale"  # depends on income, often free on public assistance
    UNKNOWN = "unknown"

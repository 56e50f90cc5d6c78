"""Closed vocabularies shared by directory, eligibility and (later) cases.

They are string enums so that documents carry readable values
(``"on_parole"``), and the JSON Schema lists every allowed value.
"""

from __future__ import annotations

import enum

__all__ = [
    "Audience",
    "Channel",
    "ConsentDecision",
    "Cost",
    "JuvenileStage",
    "LegalSituation",
    "PersonAttribute",
    "Relation",
]


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
    # 特定少年: 18 or 19 and dealt with under the Juvenile Act (amended 2022). Derived from
    # the age and legal situation when those are known; a worker may also tick it.
    SPECIFIED_JUVENILE = "specified_juvenile"


class JuvenileStage(enum.StrEnum):
    """Where a juvenile case stands (少年事件の手続の段階), for ``juvenile_case``."""

    ARRESTED = "arrested"  # 逮捕・勾留
    UNDER_INVESTIGATION = "under_investigation"  # 捜査中 (not arrested)
    FAMILY_COURT = "family_court"  # 家庭裁判所に送致、調査・審判を待つ
    CLASSIFICATION_HOME = "classification_home"  # 観護措置で少年鑑別所に在所
    TENTATIVE_PROBATION = "tentative_probation"  # 試験観察
    ON_PROBATION = "on_probation"  # 保護観察処分
    IN_TRAINING_SCHOOL = "in_training_school"  # 少年院に在院
    CHILD_WELFARE_MEASURE = "child_welfare_measure"  # 児童相談所・児童自立支援施設の措置


class Relation(enum.StrEnum):
    """How a consulting family member is related to the person who offended."""

    PARENT = "parent"
    SPOUSE_OR_PARTNER = "spouse_or_partner"
    CHILD = "child"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other_relative"


class ConsentDecision(enum.StrEnum):
    """What the person said when asked to share their information."""

    GIVEN = "given"
    REFUSED = "refused"


class ServiceStatus(enum.StrEnum):
    """Whether a service runs now (HSDS 3.1 ``service.status``, the same four values).

    Only an ``active`` service is ever open: the others answer closed to every
    query (``Service.is_open``, ``Service.next_open``, match, ``saihan calendar``),
    whatever their hours say.
    """

    ACTIVE = "active"
    INACTIVE = "inactive"
    DEFUNCT = "defunct"
    TEMPORARILY_CLOSED = "temporarily closed"


class Cost(enum.StrEnum):
    """What using a service costs the person."""

    FREE = "free"
    PAID = "paid"
    SLIDING_SCALE = "sliding_scale"  # depends on income, often free on public assistance
    UNKNOWN = "unknown"

"""Stable HSDS ids and saihan's taxonomies as HSDS taxonomies and terms.

Every HSDS id saihan writes is a UUID 5 in :data:`SAIHAN_NAMESPACE` (the one
the schedule rows use) of a path naming the record: ``organization/<agency
id>``, ``location/<agency id>/<location id>``, ``taxonomy_term/needs/<code>``.
The same directory therefore always gets the same ids.
"""

from __future__ import annotations

import enum
import uuid

import attrs

from saihan.directory.vocabulary import Audience, Cost, LegalSituation, PersonAttribute
from saihan.schedule.hsds import SAIHAN_NAMESPACE
from saihan.text import LocalizedText

__all__ = ["LINK_TYPES", "TAXONOMIES", "Taxonomy", "hsds_id", "taxonomy_by_id", "term_id"]


def hsds_id(*parts: str) -> str:
    """The stable UUID of the record named by ``parts``."""
    return str(uuid.uuid5(SAIHAN_NAMESPACE, "hsds/" + "/".join(parts)))


@attrs.frozen
class Taxonomy:
    """One of saihan's taxonomies as an HSDS ``taxonomy``."""

    key: str  # needs, agency-kinds, audiences, ...
    name: str
    description: str
    link_type: str  # the attribute link_type terms of this taxonomy are linked with
    fixed: tuple[str, ...] = ()  # the closed vocabulary, if it is one
    prefix: str = ""  # term codes are unique across taxonomies: "audience:family"

    def term_code(self, code: str) -> str:
        """The HSDS ``code`` of the term for saihan's ``code``."""
        return f"{self.prefix}:{code}" if self.prefix else code

    def saihan_code(self, term_code: str) -> str:
        """saihan's code of an HSDS term code (the prefix is optional on import)."""
        head, colon, rest = term_code.partition(":")
        return rest if colon and head == self.prefix else term_code

    @property
    def id(self) -> str:
        return hsds_id("taxonomy", self.key)


def _values(cls: type[enum.StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in cls)


TAXONOMIES: tuple[Taxonomy, ...] = (
    Taxonomy(
        "needs",
        "saihan-needs",
        "Needs a service meets, under the six priority areas of Tokyo's second recidivism "
        "prevention plan (saihan need codes).",
        "need",
    ),
    Taxonomy(
        "agency-kinds",
        "saihan-agency-kinds",
        "Kinds of support bodies in offender reintegration (saihan agency kinds).",
        "agency_kind",
        prefix="agency_kind",
    ),
    Taxonomy(
        "audiences",
        "saihan-audiences",
        "Who may consult a service: the person, their family, supporters, professionals.",
        "audience",
        _values(Audience),
        "audience",
    ),
    Taxonomy(
        "legal-situations",
        "saihan-legal-situations",
        "Where a person stands in the criminal-justice process; a service linked to some "
        "serves only those.",
        "eligibility",
        _values(LegalSituation),
        "legal_situation",
    ),
    Taxonomy(
        "person-attributes",
        "saihan-person-attributes",
        "Attributes of a person that eligibility requires (link_type eligibility_required) "
        "or rules out (eligibility_excluded).",
        "eligibility_required",
        _values(PersonAttribute),
        "person_attribute",
    ),
    Taxonomy(
        "cost",
        "saihan-cost",
        "What using a service costs the person.",
        "cost",
        _values(Cost),
        "cost",
    ),
)

LINK_TYPES = {
    "need": "needs",
    "agency_kind": "agency-kinds",
    "audience": "audiences",
    "eligibility": "legal-situations",
    "eligibility_required": "person-attributes",
    "eligibility_excluded": "person-attributes",
    "cost": "cost",
}
"""Attribute ``link_type`` → the key of the saihan taxonomy its terms come from."""

_BY_ID = {taxonomy.id: taxonomy for taxonomy in TAXONOMIES}
_BY_NAME = {taxonomy.name: taxonomy for taxonomy in TAXONOMIES}
_BY_KEY = {taxonomy.key: taxonomy for taxonomy in TAXONOMIES}


def taxonomy_by_id(taxonomy_id: object, name: object = None) -> Taxonomy | None:
    """saihan's taxonomy with this HSDS id (or, failing that, this name), if it is one."""
    found = _BY_ID.get(taxonomy_id) if isinstance(taxonomy_id, str) else None
    if found is None and isinstance(name, str):
        found = _BY_NAME.get(name)
    return found


def taxonomy(key: str) -> Taxonomy:
    return _BY_KEY[key]


def term_id(key: str, code: str) -> str:
    """The UUID of the term ``code`` in saihan's taxonomy ``key``."""
    return hsds_id("taxonomy_term", key, code)


# Labels of the closed vocabularies (the need and kind labels are data in saihan).
VOCABULARY_LABELS: dict[str, LocalizedText] = {
    "person": LocalizedText(ja="本人", en="The person"),
    "family": LocalizedText(ja="家族", en="Family"),
    "supporter": LocalizedText(ja="支援者", en="Supporters"),
    "professional": LocalizedText(ja="関係機関の職員", en="Professionals"),
    "none": LocalizedText(ja="手続・処分なし", en="No current proceedings"),
    "unknown": LocalizedText(ja="不明", en="Unknown"),
    "under_investigation": LocalizedText(ja="捜査・公判中", en="Under investigation or trial"),
    "prosecution_deferred": LocalizedText(ja="起訴猶予", en="Prosecution deferred"),
    "suspended_sentence": LocalizedText(ja="執行猶予", en="Suspended sentence"),
    "on_probation": LocalizedText(ja="保護観察中", en="On probation"),
    "in_prison": LocalizedText(ja="受刑中", en="In prison"),
    "on_parole": LocalizedText(ja="仮釈放中", en="On parole"),
    "released_from_prison": LocalizedText(ja="満期釈放・出所後", en="Released from prison"),
    "juvenile_case": LocalizedText(ja="少年事件", en="Juvenile case"),
    "released_from_juvenile_training_school": LocalizedText(
        ja="少年院出院", en="Released from juvenile training school"
    ),
    "elderly": LocalizedText(ja="高齢", en="Elderly"),
    "physical_disability": LocalizedText(ja="身体障害", en="Physical disability"),
    "intellectual_disability": LocalizedText(ja="知的障害", en="Intellectual disability"),
    "mental_disability": LocalizedText(ja="精神障害", en="Mental disability"),
    "developmental_disability": LocalizedText(ja="発達障害", en="Developmental disability"),
    "drug_dependence": LocalizedText(ja="薬物依存", en="Drug dependence"),
    "alcohol_dependence": LocalizedText(ja="アルコール依存", en="Alcohol dependence"),
    "gambling_dependence": LocalizedText(ja="ギャンブル依存", en="Gambling dependence"),
    "homeless": LocalizedText(ja="住居がない", en="Homeless"),
    "unemployed": LocalizedText(ja="無職", en="Unemployed"),
    "student": LocalizedText(ja="学生", en="Student"),
    "debt": LocalizedText(ja="借金がある", en="In debt"),
    "needs_interpreter": LocalizedText(ja="通訳が必要", en="Needs an interpreter"),
    "specified_juvenile": LocalizedText(ja="特定少年", en="Specified juvenile (18 or 19)"),
    "free": LocalizedText(ja="無料", en="Free"),
    "paid": LocalizedText(ja="有料", en="Paid"),
    "sliding_scale": LocalizedText(ja="収入に応じて", en="Sliding scale"),
}

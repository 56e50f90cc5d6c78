"""HSDS 3.1 documents (saihan's and third parties') into a saihan directory.

Records are taxonomy terms, organizations (with their locations and
contacts) and services.  Each is checked against the Japan profile's schemas
(the official ones plus the profile's optional fields), then converted field
by field; every problem is an :class:`ErrorItem` whose path starts at the
root of the source (``contents[2].services[0].name``, or for a tabular
package ``services.csv[4].name``, row 4 counting the header as row 1).

Strict mode raises one ValidationError listing every bad record; lenient mode
leaves the bad records out, and the records that depend on them (the services
of a skipped organization), and says so in the report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from saihan.directory import Agency, Directory, DirectoryMeta, Location, Service
from saihan.directory.agency_kinds import AgencyKind, default_agency_kinds
from saihan.directory.location import Address, GeoPoint
from saihan.directory.municipalities import code_problem, find_municipality
from saihan.directory.service import AreaKind, ContactPoint, Eligibility, ServiceArea
from saihan.directory.taxonomy import Need, default_taxonomy
from saihan.directory.vocabulary import (
    Audience,
    Channel,
    Cost,
    LegalSituation,
    PersonAttribute,
    ServiceStatus,
)
from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, check_tree
from saihan.plugins import ImportReport, SkippedRecord
from saihan.schedule import BusinessCalendar
from saihan.schedule.hsds import is_japanese, read_hsds_schedules
from saihan.serialization import schema_errors, structure
from saihan.text import LocalizedText
from saihan_hsds.schemas import is_valid, profile_validator
from saihan_hsds.vocab import LINK_TYPES, TAXONOMIES, taxonomy_by_id, term_id

__all__ = ["OTHER_KIND", "read_document"]

OTHER_KIND = AgencyKind(
    code="other",
    name=LocalizedText(ja="その他の支援機関", en="Other support body"),
)
"""The agency kind given to a third party's organization that names none of ours."""

_PHONE_NOISE = re.compile(r"[\s()\"'.]")
_TEXT_FORMS = {"ja": "", "kana": "_kana", "en": "_en"}


def _join(path: str, field: str) -> str:
    if not field:
        return path
    if not path:
        return field
    return path + field if field.startswith("[") else f"{path}.{field}"


@attrs.define
class _Record:
    """One record of the source: what it is called and what is wrong with it."""

    label: str
    errors: list[ErrorItem] = attrs.field(factory=list)
    depends_on: str | None = None  # label of a skipped record this one needs

    def add(self, path: str, message: str) -> None:
        self.errors.append(ErrorItem(path, message))

    @property
    def bad(self) -> bool:
        return bool(self.errors) or self.depends_on is not None


@attrs.define
class _Org:
    record: _Record
    obj: dict[str, Any]
    path: str
    hsds_id: str
    agency: Agency | None = None
    locations: dict[str, str] = attrs.field(factory=dict)  # HSDS id -> saihan id
    dropped_locations: set[str] = attrs.field(factory=set)


@attrs.define
class _Term:
    record: _Record
    obj: dict[str, Any]
    path: str


class _Reader:
    def __init__(
        self, origins: dict[int, str], lenient: bool, fmt: str, max_errors: int = 1_000
    ) -> None:
        self.origins = origins
        self.max_errors = max_errors
        self.lenient = lenient
        self.format = fmt
        self.not_carried: Counter[str] = Counter()
        self.records: list[_Record] = []
        self.uses_other_kind = False
        # term HSDS id -> (taxonomy key, code) for saihan's taxonomies
        self.saihan_terms: dict[str, tuple[str, str]] = {}
        self.other_terms: dict[str, dict[str, Any]] = {}
        self.skipped_terms: dict[str, str] = {}  # term id -> label of the skipped term record
        self.extra_needs: list[Need] = []
        self.extra_kinds: list[AgencyKind] = []
        self.need_ids: dict[str, str] = {}
        self.dropped_locations: set[str] = set()  # locations a tabular package left unattached
        # Another publisher's document (no record carries saihan_id): a text with no
        # kana or kanji is English, and goes to the `en` slot.
        self.third_party = False

    # -- helpers ---------------------------------------------------------------------

    def at(self, obj: object, path: str) -> str:
        return self.origins.get(id(obj), path)

    def record(self, label: str) -> _Record:
        found = _Record(label)
        self.records.append(found)
        return found

    def locate(self, obj: Any, path: str, parts: Iterable[str | int]) -> str:
        """The source path of a field inside ``obj`` (tabular rows know their own)."""
        current, where = obj, path
        for part in parts:
            where = _join(where, f"[{part}]" if isinstance(part, int) else part)
            try:
                current = current[part]
            except (KeyError, IndexError, TypeError):
                continue
            if id(current) in self.origins and isinstance(current, dict):
                where = self.origins[id(current)]
        return where

    def schema_check(self, rec: _Record, name: str, obj: dict[str, Any], path: str) -> bool:
        validator = profile_validator(name)
        if is_valid(validator, obj):
            return True
        for count, error in enumerate(validator.iter_errors(obj)):
            if count == self.max_errors:  # the cost of reporting stays bounded
                rec.add(path, "... and more schema errors (max_errors)")
                break
            leaf = error
            if error.context:
                leaf = min(error.context, key=lambda sub: -len(sub.absolute_path))
            rec.add(self.locate(obj, path, leaf.absolute_path), leaf.message[:200])
        return False

    def build(
        self,
        rec: _Record,
        path: str,
        make: Callable[[], Any],
        fields: dict[str, str] | None = None,
    ) -> Any:
        """``make()``, with a model's own errors put at the HSDS field they came from."""
        try:
            return make()
        except ValidationError as error:
            for item in error.errors:
                head, _, rest = item.path.partition(".")
                name, bracket, index = head.partition("[")
                mapped = (fields or {}).get(name, name)
                where = _join(_join(path, mapped + (bracket + index if bracket else "")), rest)
                rec.add(where, item.message)
            return None

    def text(
        self, rec: _Record, obj: dict[str, Any], field: str, path: str
    ) -> LocalizedText | None:
        ja = obj.get(field)
        kana, en = obj.get(f"{field}_kana"), obj.get(f"{field}_en")
        if ja in (None, "") and kana is None and en is None:
            return None
        if ja in (None, ""):
            rec.add(_join(path, field), f"{field}_kana or {field}_en is given without {field}")
            return None
        if self.third_party and en is None and isinstance(ja, str) and not is_japanese(ja):
            en = ja  # saihan keeps a display form in ja; en says the text is English
        return self.build(  # type: ignore[no-any-return]
            rec,
            path,
            lambda: LocalizedText(ja=ja, kana=kana, en=en),
            {form: field + suffix for form, suffix in _TEXT_FORMS.items()},
        )

    def extra_fields(self, kind: str, obj: dict[str, Any], known: set[str]) -> None:
        for name, value in obj.items():
            if name not in known and value not in (None, "", [], {}):
                self.not_carried[f"{kind}.{name}"] += 1

    # -- taxonomy terms --------------------------------------------------------------

    def read_terms(self, terms: list[tuple[Any, str]]) -> None:
        for key, code in _bundled_codes():
            self.saihan_terms[term_id(key, code)] = (key, code)
        seen: dict[str, str] = {}
        pending: list[tuple[_Term, str, str]] = []  # (term, taxonomy key, code)
        for obj, path in terms:
            where = self.at(obj, path)
            rec = self.record(where)
            if not isinstance(obj, dict):
                rec.add(where, f"a taxonomy term must be an object, not {_kind(obj)}")
                continue
            if not self.schema_check(rec, "taxonomy_term", obj, where):
                continue
            term_uuid = obj["id"].lower()
            if term_uuid in seen:
                rec.add(
                    _join(where, "id"),
                    f"duplicate taxonomy term id {term_uuid} (see {seen[term_uuid]})",
                )
                continue
            seen[term_uuid] = where
            found = taxonomy_by_id(obj.get("taxonomy_id"), obj.get("taxonomy"))
            if found is None:
                self.other_terms[term_uuid] = obj
                continue
            raw_code = obj.get("code")
            if not isinstance(raw_code, str) or not raw_code:
                rec.add(_join(where, "code"), f"a term of {found.name} needs its code")
                continue
            code = found.saihan_code(raw_code)
            if found.fixed and code not in found.fixed:
                rec.add(
                    _join(where, "code"),
                    f"unknown term {code!r} in taxonomy {found.name}; "
                    f"the terms are {', '.join(found.fixed)}",
                )
                continue
            pending.append((_Term(rec, obj, where), found.key, code))
        # Extension needs and kinds: the terms saihan does not bundle.
        bundled_needs = {need.code for need in default_taxonomy()}
        self.need_ids = {term_id("needs", code): code for code in bundled_needs}
        self.need_ids.update(
            (term.obj["id"].lower(), code) for term, key, code in pending if key == "needs"
        )
        bundled_kinds = {kind.code for kind in default_agency_kinds()}
        need_terms: list[tuple[_Term, Need]] = []
        kind_terms: list[tuple[_Term, AgencyKind]] = []
        for term, key, code in pending:
            obj, where, rec = term.obj, term.path, term.record
            if key == "needs" and code not in bundled_needs:
                need = self._need(rec, obj, where, code)
                if need is not None:
                    need_terms.append((term, need))
            elif key == "agency-kinds" and code not in bundled_kinds:
                kind = self._kind(rec, obj, where, code)
                if kind is not None:
                    kind_terms.append((term, kind))
            if not rec.bad:
                self.saihan_terms[obj["id"].lower()] = (key, code)
        need_terms = self._check_needs(need_terms)
        self.extra_needs = [need for _, need in need_terms]
        known_needs = bundled_needs | {need.code for need in self.extra_needs}
        for term, kind in kind_terms:
            for unknown in sorted(kind.needs - known_needs):
                term.record.add(_join(term.path, "needs"), f"unknown need code {unknown!r}")
        self.extra_kinds = [kind for term, kind in kind_terms if not term.record.bad]
        for term, _key, _code in pending:
            if term.record.bad:
                self.skipped_terms[term.obj["id"].lower()] = term.record.label
                self.saihan_terms.pop(term.obj["id"].lower(), None)

    def _need(self, rec: _Record, obj: dict[str, Any], where: str, code: str) -> Need | None:
        label = self.text(rec, obj, "name", where)
        parent = None
        parent_id = obj.get("parent_id")
        if parent_id:
            parent = self.need_ids.get(parent_id.lower())
            if parent is None:
                rec.add(
                    _join(where, "parent_id"),
                    f"dangling reference: no saihan-needs term has id {parent_id}",
                )
                return None
        if label is None:
            if not rec.errors:
                rec.add(_join(where, "name"), "a need needs a name")
            return None
        return self.build(  # type: ignore[no-any-return]
            rec,
            where,
            lambda: Need(
                code=code, label=label, parent=parent, priority_area=obj.get("priority_area")
            ),
            {"label": "name", "parent": "parent_id"},
        )

    def _kind(self, rec: _Record, obj: dict[str, Any], where: str, code: str) -> AgencyKind | None:
        name = self.text(rec, obj, "name", where)
        if name is None:
            if not rec.errors:
                rec.add(_join(where, "name"), "an agency kind needs a name")
            return None
        needs = frozenset((obj.get("needs") or "").split())
        return self.build(  # type: ignore[no-any-return]
            rec,
            where,
            lambda: AgencyKind(
                code=code,
                name=name,
                operator=obj.get("operator"),
                needs=needs,
                source=obj.get("term_uri"),
            ),
            {"source": "term_uri"},
        )

    def _check_needs(self, terms: list[tuple[_Term, Need]]) -> list[tuple[_Term, Need]]:
        """Extension needs that fit the bundled taxonomy (leaving out those that do not)."""
        while terms:
            try:
                default_taxonomy().extended(need for _, need in terms)
                return terms
            except ValidationError as error:
                bad = set()
                for item in error.errors:
                    index = int(item.path[1 : item.path.index("]")])
                    term = terms[index][0]
                    field = "parent_id" if ".parent" in item.path else "code"
                    term.record.add(_join(term.path, field), item.message)
                    bad.add(index)
                terms = [pair for index, pair in enumerate(terms) if index not in bad]
        return terms

    # -- attributes ------------------------------------------------------------------

    def attributes(
        self, rec: _Record, obj: dict[str, Any], path: str, entity: str
    ) -> dict[str, list[str]]:
        """Codes by link type (``need``, ``audience`` ...) of ``obj``'s attributes."""
        found: dict[str, list[str]] = {}
        for index, attribute in enumerate(obj.get("attributes") or []):
            where = self.at(attribute, _join(path, f"attributes[{index}]"))
            term_ref = attribute.get("taxonomy_term_id")
            embedded = attribute.get("taxonomy_term")
            term_uuid = (term_ref or (embedded or {}).get("id") or "").lower()
            link_type = attribute.get("link_type")
            if term_uuid in self.skipped_terms:
                rec.depends_on = rec.depends_on or self.skipped_terms[term_uuid]
                continue
            if term_uuid in self.saihan_terms:
                key, code = self.saihan_terms[term_uuid]
                found.setdefault(self._link(key, link_type), []).append(code)
                continue
            if isinstance(embedded, dict):
                tax = taxonomy_by_id(
                    embedded.get("taxonomy_id"),
                    embedded.get("taxonomy") or (embedded.get("taxonomy_detail") or {}).get("name"),
                )
                if tax is not None:
                    code = tax.saihan_code(str(embedded.get("code") or ""))
                    if (
                        tax.key == "needs"
                        and code not in default_taxonomy()
                        and not any(need.code == code for need in self.extra_needs)
                    ):
                        rec.add(_join(where, "taxonomy_term.code"), f"unknown need code {code!r}")
                    elif tax.fixed and code not in tax.fixed:
                        rec.add(
                            _join(where, "taxonomy_term.code"),
                            f"unknown term {code!r} in taxonomy {tax.name}",
                        )
                    elif tax.key == "agency-kinds" and code not in _all_kinds(self.extra_kinds):
                        rec.add(_join(where, "taxonomy_term.code"), f"unknown agency kind {code!r}")
                    else:
                        found.setdefault(self._link(tax.key, link_type), []).append(str(code))
                    continue
                self.other_terms.setdefault(term_uuid, embedded)
            if term_uuid in self.other_terms:
                term = self.other_terms[term_uuid]
                mapped = _map_third_party_term(term)
                if mapped is not None:
                    found.setdefault(mapped[0], []).append(mapped[1])
                else:
                    self.not_carried[f"{entity}.attributes (terms of other taxonomies)"] += 1
                continue
            if not term_uuid:
                rec.add(_join(where, "taxonomy_term_id"), "an attribute must name its term")
            else:
                rec.add(
                    _join(where, "taxonomy_term_id"),
                    f"dangling reference: no taxonomy term has id {term_uuid}",
                )
        return found

    @staticmethod
    def _link(key: str, link_type: object) -> str:
        if isinstance(link_type, str) and LINK_TYPES.get(link_type) == key:
            return link_type
        return next(name for name, target in LINK_TYPES.items() if target == key)

    # -- contacts --------------------------------------------------------------------

    def contacts(
        self, rec: _Record, obj: dict[str, Any], path: str, org: _Org | None, kind: str
    ) -> tuple[ContactPoint, ...]:
        result: list[ContactPoint] = []
        for index, contact in enumerate(obj.get("contacts") or []):
            where = self.at(contact, _join(path, f"contacts[{index}]"))
            label = self.text(rec, contact, "name", where)
            channel = contact.get("channel")
            self.extra_fields(
                "contact",
                contact,
                {
                    "id",
                    "organization_id",
                    "service_id",
                    "location_id",
                    "name",
                    "name_kana",
                    "name_en",
                    "channel",
                    "url",
                    "email",
                    "phones",
                    "service_at_location_id",
                },
            )
            if channel is None:  # a third party's contact: its e-mail and phones
                if contact.get("email"):
                    result += self._point(
                        rec, Channel.EMAIL, contact["email"], label, _join(where, "email")
                    )
                for number, where_phone, channel_of in self._phones(contact, where):
                    result += self._point(rec, channel_of, number, label, where_phone)
                continue
            chosen = Channel(channel)
            if chosen in (Channel.PHONE, Channel.FAX):
                phones = list(self._phones(contact, where))
                if not phones:
                    rec.add(_join(where, "phones"), f"a {channel} contact needs a phone number")
                    continue
                result += self._point(rec, chosen, phones[0][0], label, phones[0][1])
            elif chosen is Channel.EMAIL:
                result += self._point(
                    rec, chosen, contact.get("email") or "", label, _join(where, "email")
                )
            elif chosen is Channel.WEB_FORM:
                result += self._point(
                    rec, chosen, contact.get("url") or "", label, _join(where, "url")
                )
            else:
                location = (contact.get("location_id") or "").lower()
                if org is None or location not in org.locations:
                    rec.add(
                        _join(where, "location_id"),
                        "dangling reference: the organization has no location "
                        + (location or "(none)"),
                    )
                    continue
                result += self._point(
                    rec, chosen, org.locations[location], label, _join(where, "location_id")
                )
        # A third party's phones and e-mail on the object itself.
        for number, where_phone, channel_of in self._phones(obj, path):
            point = self._point(rec, channel_of, number, None, where_phone)
            result += [p for p in point if not any(_same(p, q) for q in result)]
        if obj.get("email"):
            point = self._point(rec, Channel.EMAIL, obj["email"], None, _join(path, "email"))
            result += [p for p in point if not any(_same(p, q) for q in result)]
        return tuple(result)

    def _phones(self, obj: dict[str, Any], path: str) -> Iterable[tuple[str, str, Channel]]:
        for index, phone in enumerate(obj.get("phones") or []):
            where = self.at(phone, _join(path, f"phones[{index}]"))
            self.extra_fields(
                "phone",
                phone,
                {
                    "id",
                    "contact_id",
                    "service_id",
                    "organization_id",
                    "location_id",
                    "number",
                    "type",
                    "service_at_location_id",
                },
            )
            number = _PHONE_NOISE.sub("", str(phone.get("number", "")))
            channel = Channel.FAX if phone.get("type") == "fax" else Channel.PHONE
            yield number, _join(where, "number"), channel

    def _point(
        self, rec: _Record, channel: Channel, value: str, label: LocalizedText | None, where: str
    ) -> list[ContactPoint]:
        made = self.build(
            rec,
            where,
            lambda: ContactPoint(channel=channel, value=value, label=label),
            {"value": ""},
        )
        return [made] if made is not None else []

    # -- organizations ---------------------------------------------------------------

    def read_org(self, org: _Org) -> None:
        rec, obj, path = org.record, org.obj, org.path
        shallow = {name: value for name, value in obj.items() if name != "services"}
        if not self.schema_check(rec, "organization", shallow, path):
            return
        self.extra_fields(
            "organization",
            shallow,
            {
                "id",
                "saihan_id",
                "name",
                "name_kana",
                "name_en",
                "description",
                "description_kana",
                "description_en",
                "website",
                "operator",
                "email",
                "phones",
                "contacts",
                "locations",
                "attributes",
            },
        )
        locations: list[Location] = []
        for index, location in enumerate(obj.get("locations") or []):
            where = self.at(location, _join(path, f"locations[{index}]"))
            made = self.location(rec, location, where)
            if made is not None:
                locations.append(made)
                org.locations[location["id"].lower()] = made.id
            elif not rec.errors:
                org.dropped_locations.add(location["id"].lower())
        seen: set[str] = set()
        for index, location in enumerate(locations):
            if location.id in seen:
                rec.add(
                    _join(path, f"locations[{index}].saihan_id"),
                    f"duplicate location id {location.id!r}",
                )
            seen.add(location.id)
        attributes = self.attributes(rec, obj, path, "organization")
        kinds = attributes.get("agency_kind", [])
        if len(kinds) > 1:
            rec.add(_join(path, "attributes"), f"an organization has one agency kind, not {kinds}")
        if kinds:
            kind = kinds[0]
        else:
            kind = OTHER_KIND.code
            self.uses_other_kind = True
            self.not_carried["organization: no saihan agency kind; filed as 'other'"] += 1
        name = self.text(rec, obj, "name", path)
        description = self.text(rec, obj, "description", path)
        contacts = self.contacts(rec, obj, path, org, "organization")
        agency_id = (obj.get("saihan_id") or obj["id"]).lower()
        if rec.errors or name is None:
            return
        org.agency = self.build(
            rec,
            path,
            lambda: Agency(
                id=agency_id,
                name=name,
                kind=kind,
                operator=obj.get("operator"),
                description=description,
                website=obj.get("website"),
                contacts=contacts,
                locations=tuple(locations),
            ),
            {"id": "saihan_id" if "saihan_id" in obj else "id", "kind": "attributes"},
        )

    def location(self, rec: _Record, obj: dict[str, Any], path: str) -> Location | None:
        self.extra_fields(
            "location",
            obj,
            {
                "id",
                "saihan_id",
                "location_type",
                "organization_id",
                "name",
                "name_kana",
                "name_en",
                "transportation",
                "transportation_kana",
                "transportation_en",
                "latitude",
                "longitude",
                "confidential",
                "addresses",
            },
        )
        addresses = obj.get("addresses") or []
        address_obj = addresses[0] if addresses else {}
        where = self.at(address_obj, _join(path, "addresses[0]"))
        for extra in addresses[1:]:
            self.not_carried["location.addresses (all but the first)"] += 1
            del extra
        code = address_obj.get("municipality_code")
        if code is None:
            code = _municipality_of(address_obj)
            if code is None:
                self.not_carried["location: not in a Tokyo municipality saihan can name"] += 1
                return None
        elif code_problem(code):
            rec.add(_join(where, "municipality_code"), str(code_problem(code)))
            return None
        self.extra_fields(
            "address",
            address_obj,
            {
                "id",
                "location_id",
                "address_1",
                "address_2",
                "city",
                "state_province",
                "postal_code",
                "country",
                "address_type",
                "municipality_code",
                "region",
            },
        )
        street = " ".join(
            part for part in (address_obj.get("address_1"), address_obj.get("address_2")) if part
        )
        postal = address_obj.get("postal_code") or None
        if postal is not None and re.fullmatch(r"[0-9]{7}", postal):
            postal = f"{postal[:3]}-{postal[3:]}"
        prefecture = address_obj.get("state_province") or (
            "東京都" if code.startswith("13") else ""
        )
        if prefecture in ("Tokyo", "tokyo", "Tokyo-to"):
            prefecture = "東京都"
        address = self.build(
            rec,
            where,
            lambda: Address(
                municipality_code=code,
                prefecture=prefecture,
                postal_code=postal,
                street=street or None,
            ),
            {"prefecture": "state_province", "street": "address_1"},
        )
        geo = None
        lat, lon = obj.get("latitude"), obj.get("longitude")
        if lat is not None and lon is not None:
            geo = self.build(
                rec,
                path,
                lambda: GeoPoint(lat=lat, lon=lon),
                {"lat": "latitude", "lon": "longitude"},
            )
        elif lat is not None or lon is not None:
            rec.add(
                _join(path, "latitude" if lat is None else "longitude"), "give both coordinates"
            )
        name = self.text(rec, obj, "name", path)
        access = self.text(rec, obj, "transportation", path)
        location_id = (obj.get("saihan_id") or obj["id"]).lower()
        if address is None:
            return None
        return self.build(  # type: ignore[no-any-return]
            rec,
            path,
            lambda: Location(
                id=location_id,
                address=address,
                name=name,
                geo=geo,
                confidential=bool(obj.get("confidential", False)),
                access=access,
            ),
            {"id": "saihan_id" if "saihan_id" in obj else "id"},
        )

    # -- services --------------------------------------------------------------------

    def read_service(
        self, rec: _Record, obj: dict[str, Any], path: str, org: _Org
    ) -> Service | None:
        if not self.schema_check(rec, "service", obj, path):
            return None
        ours = "saihan_id" in obj
        self.extra_fields(
            "service",
            obj,
            {
                "id",
                "saihan_id",
                "organization_id",
                "organization",
                "name",
                "name_kana",
                "name_en",
                "description",
                "description_kana",
                "description_en",
                "url",
                "status",
                "accepting_referrals",
                "eligibility_description",
                "eligibility_description_kana",
                "eligibility_description_en",
                "minimum_age",
                "maximum_age",
                "eligibility_any_required_attribute",
                "fees_description",
                "fees_description_kana",
                "fees_description_en",
                "contacts",
                "phones",
                "email",
                "hours",
                "schedules",
                "service_areas",
                "service_at_locations",
                "languages",
                "attributes",
            },
        )
        name = self.text(rec, obj, "name", path)
        description = self.text(rec, obj, "description", path)
        attributes = self.attributes(rec, obj, path, "service")
        needs = attributes.get("need") or []
        if not needs:
            needs = ["general"]
            self.not_carried["service: no saihan need; filed under 'general'"] += 1
        audiences = attributes.get("audience") or []
        if not audiences:
            audiences = [Audience.PERSON.value]
            self.not_carried["service: no saihan audience; 'person' assumed"] += 1
        costs = attributes.get("cost") or []
        if len(costs) > 1:
            rec.add(_join(path, "attributes"), f"a service has one cost, not {costs}")
        cost = Cost(costs[0]) if costs else (Cost.FREE if ours else Cost.UNKNOWN)
        eligibility = self.eligibility(rec, obj, path, attributes)
        contacts = self.contacts(rec, obj, path, org, "service")
        hours = self.hours(rec, obj, path)
        area = self.area(rec, obj, path, org)
        location_ids = self.service_locations(rec, obj, path, org)
        languages = self.languages(rec, obj, path, ours)
        cost_note = self.text(rec, obj, "fees_description", path)
        accepting = obj.get("accepting_referrals")
        if accepting is None:
            accepting = obj.get("status") == "active"
        service_id = (obj.get("saihan_id") or obj["id"]).lower()
        if rec.bad or name is None or org.agency is None or area is None:
            return None
        agency_id = org.agency.id
        return self.build(  # type: ignore[no-any-return]
            rec,
            path,
            lambda: Service(
                id=service_id,
                agency_id=agency_id,
                name=name,
                area=area,
                needs=frozenset(needs),
                audiences=frozenset(Audience(a) for a in audiences),
                description=description,
                eligibility=eligibility or Eligibility(),
                contacts=contacts,
                hours=hours,
                location_ids=location_ids,
                languages=languages,
                cost=cost,
                cost_note=cost_note,
                accepting_referrals=bool(accepting),
                url=obj.get("url"),
                status=ServiceStatus(obj.get("status") or "active"),
            ),
            {
                "id": "saihan_id" if ours else "id",
                "agency_id": "organization_id",
                "needs": "attributes",
                "audiences": "attributes",
                "languages": "languages",
                "location_ids": "service_at_locations",
            },
        )

    def eligibility(
        self, rec: _Record, obj: dict[str, Any], path: str, attributes: dict[str, list[str]]
    ) -> Eligibility | None:
        ages = []
        for field in ("minimum_age", "maximum_age"):
            value = obj.get(field)
            if value is not None and value != int(value):
                rec.add(_join(path, field), f"an age is a whole number of years, not {value}")
                value = None
            ages.append(None if value is None else int(value))
        note = self.text(rec, obj, "eligibility_description", path)
        return self.build(  # type: ignore[no-any-return]
            rec,
            path,
            lambda: Eligibility(
                min_age=ages[0],
                max_age=ages[1],
                legal_situations=frozenset(
                    LegalSituation(code) for code in attributes.get("eligibility", [])
                ),
                required_attributes=frozenset(
                    PersonAttribute(code) for code in attributes.get("eligibility_required", [])
                ),
                any_required_attribute=bool(obj.get("eligibility_any_required_attribute", False)),
                excluded_attributes=frozenset(
                    PersonAttribute(code) for code in attributes.get("eligibility_excluded", [])
                ),
                note=note,
            ),
            {
                "min_age": "minimum_age",
                "max_age": "maximum_age",
                "excluded_attributes": "attributes",
            },
        )

    def hours(self, rec: _Record, obj: dict[str, Any], path: str) -> BusinessCalendar | None:
        if obj.get("hours") is not None:
            # The calendar's schema first: its errors cost time linear in their number,
            # and a value of the wrong shape never reaches the model's own checks.
            where = _join(path, "hours")
            problems = schema_errors(obj["hours"], BusinessCalendar)
            for item in problems[: self.max_errors]:
                rec.add(_join(where, item.path), item.message[:200])
            if problems:
                return None
            return self.build(  # type: ignore[no-any-return]
                rec, where, lambda: structure(obj["hours"], BusinessCalendar)
            )
        rows = obj.get("schedules") or []
        if not rows:
            return None
        for row in rows:
            self.extra_fields(
                "schedule",
                row,
                {
                    "id",
                    "service_id",
                    "location_id",
                    "service_at_location_id",
                    "valid_from",
                    "valid_to",
                    "dtstart",
                    "until",
                    "timezone",
                    "freq",
                    "interval",
                    "byday",
                    "opens_at",
                    "closes_at",
                    "notes",
                    "description",
                    "count",
                    "byweekno",
                    "bymonthday",
                    "byyearday",
                },
            )
        self.not_carried[
            "schedule: holidays, closures and notes other than saihan's own wording"
        ] += 1
        try:
            calendar, unexpressed = read_hsds_schedules(rows)
        except ValidationError as error:
            for item in error.errors:
                rec.add(self._row_path(rows, path, item.path), item.message)
            return None
        for item in unexpressed:
            self.not_carried[f"{self._row_path(rows, path, item.path)}: {item.message}"] += 1
        return calendar

    def _row_path(self, rows: list[Any], path: str, item_path: str) -> str:
        if not item_path.startswith("["):
            return _join(path, f"schedules.{item_path}" if item_path else "schedules")
        index = item_path[1 : item_path.index("]")]
        row_path = self.at(rows[int(index)], _join(path, f"schedules[{index}]"))
        return _join(row_path, item_path[item_path.index("]") + 2 :])

    def area(self, rec: _Record, obj: dict[str, Any], path: str, org: _Org) -> ServiceArea | None:
        areas = obj.get("service_areas") or []
        ours = [a for a in areas if a.get("extent_type") in ("jis_x0402", "jis_x0401", "iso3166_1")]
        if ours:
            area = ours[0]
            where = self.at(area, _join(path, f"service_areas[{areas.index(area)}]"))
            note = self.text(rec, area, "description", where)
            extent = str(area.get("extent") or "")
            kind = {"jis_x0402": AreaKind.MUNICIPALITIES, "jis_x0401": AreaKind.PREFECTURE}.get(
                area["extent_type"], AreaKind.NATIONAL
            )
            return self.build(  # type: ignore[no-any-return]
                rec,
                where,
                lambda: ServiceArea(
                    kind=kind,
                    municipality_codes=frozenset(extent.split())
                    if kind is AreaKind.MUNICIPALITIES
                    else frozenset(),
                    prefecture_code=extent if kind is AreaKind.PREFECTURE else None,
                    note=note,
                ),
                {"municipality_codes": "extent", "prefecture_code": "extent"},
            )
        codes: set[str] = set()
        for area in areas:
            for text in (area.get("name"), area.get("description"), area.get("extent")):
                found = find_municipality(text) if isinstance(text, str) and text else ()
                if len(found) == 1:
                    codes.add(found[0].code)
                    break
            else:
                self.not_carried["service_area: not a Tokyo municipality saihan can name"] += 1
        if not codes and org.agency is not None:
            offered = {
                location["location_id"]
                for location in obj.get("service_at_locations") or []
                if isinstance(location.get("location_id"), str)
            }
            codes = {
                location.municipality_code
                for location in org.agency.locations
                if hsds_id_of(org, location.id) in offered
            }
        if codes:
            return ServiceArea.of(*sorted(codes))
        return ServiceArea.tokyo()

    def service_locations(
        self, rec: _Record, obj: dict[str, Any], path: str, org: _Org
    ) -> tuple[str, ...]:
        found: list[str] = []
        for index, link in enumerate(obj.get("service_at_locations") or []):
            where = self.at(link, _join(path, f"service_at_locations[{index}]"))
            location = link.get("location_id") or (link.get("location") or {}).get("id")
            if not isinstance(location, str):
                rec.add(_join(where, "location_id"), "name the location")
                continue
            location = location.lower()
            if location in org.locations:
                if org.locations[location] not in found:
                    found.append(org.locations[location])
            elif location not in org.dropped_locations and location not in self.dropped_locations:
                rec.add(
                    _join(where, "location_id"),
                    f"dangling reference: the organization has no location {location}",
                )
        return tuple(found)

    def languages(
        self, rec: _Record, obj: dict[str, Any], path: str, ours: bool
    ) -> tuple[str, ...]:
        found: list[str] = []
        for index, language in enumerate(obj.get("languages") or []):
            code = language.get("code")
            if not code:
                self.not_carried["language: without a code"] += 1
                continue
            if code in found:
                continue
            found.append(code)
            del index
        if not found and not ours:
            return ("ja",)
        return tuple(found)

    # -- the whole document ----------------------------------------------------------

    def read(self, source: _Source) -> tuple[Directory, ImportReport]:
        self.third_party = source.dataset is None and not any(
            isinstance(obj, dict)
            and (
                "saihan_id" in obj
                or any(
                    isinstance(service, dict) and "saihan_id" in service
                    for service in (obj.get("services") or [])
                    if isinstance(obj.get("services"), list)
                )
            )
            for obj, _ in [*source.organizations, *source.services]
        )
        meta = self.meta(source)
        self.read_terms(source.terms)
        orgs: list[_Org] = []
        by_id: dict[str, _Org] = {}
        services: list[tuple[_Record, dict[str, Any], str, _Org | None, Any]] = []

        def add_org(obj: Any, path: str) -> _Org | None:
            where = self.at(obj, path)
            rec = self.record(where)
            if not isinstance(obj, dict):
                rec.add(where, f"an organization must be an object, not {_kind(obj)}")
                return None
            raw = obj.get("id")
            org = _Org(rec, obj, where, raw.lower() if isinstance(raw, str) else "")
            if org.hsds_id and org.hsds_id in by_id:
                rec.add(
                    _join(where, "id"),
                    f"duplicate organization id {raw} (see {by_id[org.hsds_id].path})",
                )
            elif org.hsds_id:
                by_id[org.hsds_id] = org
            orgs.append(org)
            for index, service in enumerate(
                obj.get("services") or [] if isinstance(obj.get("services"), list) else []
            ):
                spath = self.at(service, _join(where, f"services[{index}]"))
                services.append((self.record(spath), service, spath, org, None))
            return org

        for obj, path in source.organizations:
            add_org(obj, path)
        for obj, path in source.services:
            where = self.at(obj, path)
            rec = self.record(where)
            embedded = obj.get("organization") if isinstance(obj, dict) else None
            if isinstance(embedded, dict) and str(embedded.get("id", "")).lower() not in by_id:
                add_org(embedded, _join(where, "organization"))
            services.append((rec, obj, where, None, embedded))

        for org in orgs:
            if not org.record.errors:
                self.read_org(org)

        made_services: list[tuple[_Record, Service]] = []
        seen_services: dict[str, str] = {}
        seen_saihan: dict[str, str] = {}
        seen_agencies: dict[str, str] = {}
        for org in orgs:
            if org.agency is not None and not org.record.bad:
                if org.agency.id in seen_agencies:
                    org.record.add(
                        _join(org.path, "saihan_id" if "saihan_id" in org.obj else "id"),
                        f"duplicate agency id {org.agency.id!r} "
                        f"(see {seen_agencies[org.agency.id]})",
                    )
                else:
                    seen_agencies[org.agency.id] = org.path
        for rec, obj, where, owner, embedded in services:
            if not isinstance(obj, dict):
                rec.add(where, f"a service must be an object, not {_kind(obj)}")
                continue
            if owner is None:
                ref = obj.get("organization_id") or (embedded or {}).get("id")
                if not isinstance(ref, str):
                    rec.add(_join(where, "organization_id"), "the service names no organization")
                    continue
                owner = by_id.get(ref.lower())
                if owner is None:
                    rec.add(
                        _join(where, "organization_id"),
                        f"dangling reference: no organization has id {ref}",
                    )
                    continue
            if owner.record.bad or owner.agency is None:
                rec.depends_on = owner.record.label
                continue
            raw = obj.get("id")
            if isinstance(raw, str):
                if raw.lower() in seen_services:
                    rec.add(
                        _join(where, "id"),
                        f"duplicate service id {raw} (see {seen_services[raw.lower()]})",
                    )
                    continue
                seen_services[raw.lower()] = where
            made = self.read_service(rec, obj, where, owner)
            if made is None or rec.bad:
                continue
            if made.id in seen_saihan:
                field = "saihan_id" if "saihan_id" in obj else "id"
                rec.add(
                    _join(where, field),
                    f"duplicate service id {made.id!r} (see {seen_saihan[made.id]})",
                )
                continue
            seen_saihan[made.id] = where
            made_services.append((rec, made))

        bad = [rec for rec in self.records if rec.bad]
        if bad and not self.lenient:
            raise ValidationError(
                _capped(
                    [item for rec in bad for item in rec.errors]
                    + [
                        ErrorItem(rec.label, f"depends on {rec.depends_on}, which is not valid")
                        for rec in bad
                        if not rec.errors
                    ],
                    self.max_errors,
                )
            )
        agencies = [org.agency for org in orgs if org.agency is not None and not org.record.bad]
        kept = [service for rec, service in made_services if not rec.bad]
        kinds = list(self.extra_kinds)
        if self.uses_other_kind and not any(kind.code == OTHER_KIND.code for kind in kinds):
            kinds.append(OTHER_KIND)
        directory = Directory(
            agencies=agencies, services=kept, meta=meta, needs=self.extra_needs, agency_kinds=kinds
        )
        skipped = tuple(
            SkippedRecord(
                rec.label,
                tuple(rec.errors)
                or (ErrorItem(rec.label, f"depends on {rec.depends_on}, which was skipped"),),
            )
            for rec in bad
        )
        report = ImportReport(
            format=self.format,
            loaded={
                "organizations": len(agencies),
                "services": len(kept),
                "locations": sum(len(agency.locations) for agency in agencies),
                "needs": len(self.extra_needs),
                "agency_kinds": len(kinds),
            },
            skipped=skipped,
            not_carried=tuple(
                f"{name} ({count} record{'s' if count > 1 else ''})"
                for name, count in sorted(self.not_carried.items())
            ),
        )
        return directory, report

    def meta(self, source: _Source) -> DirectoryMeta:
        default = DirectoryMeta(
            name=LocalizedText(ja="HSDSから読み込んだディレクトリ", en="Imported from HSDS")
        )
        if source.dataset is None:
            return default
        obj, path = source.dataset
        rec = self.record(path)
        if not self.schema_check(rec, "dataset", obj, path):
            return default
        name = self.text(rec, obj, "name", path)
        description = self.text(rec, obj, "description", path)
        updated = obj.get("updated")
        try:
            day = dt.date.fromisoformat(updated) if updated else None
        except ValueError:
            rec.add(_join(path, "updated"), f"{updated!r} is not a date like 2024-04-01")
            day = None
        if name is None and not rec.errors:
            rec.add(_join(path, "name"), "name the dataset")
        if rec.errors or name is None:
            return default
        return DirectoryMeta(
            name=name,
            description=description,
            sample=bool(obj.get("sample", False)),
            source=obj.get("source"),
            license=obj.get("license"),
            updated=day,
        )


def _capped(items: list[ErrorItem], limit: int) -> list[ErrorItem]:
    """At most ``limit`` problems, then one that says how many more (``max_errors``)."""
    if len(items) <= limit:
        return items
    return [*items[:limit], ErrorItem("", f"... and {len(items) - limit:,} more problems")]


def hsds_id_of(org: _Org, location_id: str) -> str:
    return next((key for key, value in org.locations.items() if value == location_id), "")


def _same(one: ContactPoint, other: ContactPoint) -> bool:
    return one.channel is other.channel and one.value == other.value


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


def _all_kinds(extra: list[AgencyKind]) -> set[str]:
    return {kind.code for kind in default_agency_kinds()} | {kind.code for kind in extra}


def _bundled_codes() -> Iterable[tuple[str, str]]:
    for need in default_taxonomy():
        yield "needs", need.code
    for kind in default_agency_kinds():
        yield "agency-kinds", kind.code
    for found in TAXONOMIES:
        for code in found.fixed:
            yield found.key, code


def _map_third_party_term(term: dict[str, Any]) -> tuple[str, str] | None:
    """A term of another taxonomy that names one of saihan's needs or audiences."""
    for value in (term.get("code"), term.get("name")):
        if not isinstance(value, str):
            continue
        lowered = value.strip().lower()
        if lowered in default_taxonomy():
            return "need", lowered
        for need in default_taxonomy():
            if lowered in (need.label.ja.lower(), (need.label.en or "").lower()):
                return "need", need.code
        if lowered in {a.value for a in Audience}:
            return "audience", lowered
    return None


_TOKYO = {"東京都", "tokyo", "tokyo-to", "tokyo metropolis", ""}
_JAPAN = {"jp", "jpn", "japan", "日本", ""}


def _municipality_of(address: dict[str, Any]) -> str | None:
    """The Tokyo municipality a third party's address is in, when saihan can name it."""
    if str(address.get("country") or "").strip().lower() not in _JAPAN:
        return None
    if str(address.get("state_province") or "").strip().lower() not in _TOKYO:
        return None
    for field in ("city", "region", "address_1"):
        value = address.get(field)
        if isinstance(value, str) and value.strip():
            found = find_municipality(value.strip())
            if len(found) == 1:
                return found[0].code
    return None


@attrs.define
class _Source:
    organizations: list[tuple[Any, str]] = attrs.field(factory=list)
    services: list[tuple[Any, str]] = attrs.field(factory=list)
    terms: list[tuple[Any, str]] = attrs.field(factory=list)
    dataset: tuple[dict[str, Any], str] | None = None
    notes: list[str] = attrs.field(factory=list)
    taxonomies: list[str] = attrs.field(factory=list)  # paths of taxonomies on their own


def _partial_page(page: dict[str, Any]) -> str | None:
    """The report's note for one page of several (the API's paginated lists), else None."""
    number, pages = page.get("page_number"), page.get("total_pages")
    several = isinstance(pages, int) and not isinstance(pages, bool) and pages > 1
    if not several and page.get("last_page") is not False and page.get("first_page") is not False:
        return None
    total = page.get("total_items")
    of_total = f" of {total}" if isinstance(total, int) else ""
    return (
        f"partial: page {number if number is not None else '?'} of "
        f"{pages if pages is not None else '?'} ({len(page['contents'])} items{of_total}); "
        "this import holds only this page: import every page with `saihan import --merge` "
        "(saihan.directory.merge_directories)"
    )


def _kind_of(item: Any) -> str:
    """Which HSDS object a top-level item is (they carry no type tag)."""
    if not isinstance(item, dict):
        return "organization"  # reported as not an object
    if "services" in item:
        return "organization"
    if "status" in item or "organization_id" in item or "organization" in item:
        return "service"
    if "service" in item or ("location" in item and "name" not in item):
        return "service_at_location"
    if "location_type" in item:
        return "location"
    if "taxonomy" in item or "taxonomy_id" in item or "code" in item or "taxonomy_detail" in item:
        return "taxonomy_term"
    if "version" in item and "website" not in item and "email" not in item:
        return "taxonomy"
    return "organization"


def _shape(data: Any) -> _Source:
    """Where the records are in a document of any of the shapes HSDS publishes."""
    source = _Source()
    if isinstance(data, list):
        items, prefix = data, ""
    elif isinstance(data, dict) and "contents" in data:
        if not isinstance(data["contents"], list):
            raise ValidationError(
                f"expected a list, got {_kind(data['contents'])}", path="contents"
            )
        items, prefix = data["contents"], "contents"
        partial = _partial_page(data)
        if partial is not None:
            source.notes.append(partial)
        for field in ("taxonomy_terms", "taxonomies"):
            if field in data and not isinstance(data[field], list):
                raise ValidationError(f"expected a list, got {_kind(data[field])}", path=field)
        source.terms = [
            (term, f"taxonomy_terms[{i}]")
            for i, term in enumerate(data.get("taxonomy_terms") or [])
        ]
        if "dataset" in data:
            if not isinstance(data["dataset"], dict):
                raise ValidationError(
                    f"expected an object, got {_kind(data['dataset'])}", path="dataset"
                )
            source.dataset = (data["dataset"], "dataset")
    elif isinstance(data, dict) and "id" in data:
        items, prefix = [data], None
    elif isinstance(data, dict) and set(data) <= {"version", "profile", "openapi_url"}:
        source.notes.append("the API's root document (version, profile): no records")
        return source
    else:
        raise ValidationError(
            "not an HSDS document: expected a page with 'contents', a fully nested "
            "organization or service, or a list of them"
        )
    for index, item in enumerate(items):
        path = "" if prefix is None else f"{prefix}[{index}]"
        kind = _kind_of(item)
        if kind == "service":
            source.services.append((item, path))
        elif kind == "organization":
            source.organizations.append((item, path))
        elif kind == "taxonomy_term":
            source.terms.append((item, path))
        elif kind == "service_at_location":
            if isinstance(item.get("service"), dict):
                source.services.append((item["service"], f"{path}.service" if path else "service"))
            if item.get("location") is not None:
                source.notes.append(
                    "service_at_location.location: a location outside its organization"
                )
        else:
            source.notes.append(f"{kind}: a {kind} on its own, outside an organization")
            if kind == "taxonomy":
                source.taxonomies.append(path)
    return source


def read_document(
    data: Any,
    *,
    lenient: bool = False,
    origins: dict[int, str] | None = None,
    fmt: str = "hsds",
    orphans: Iterable[tuple[str, ErrorItem]] = (),
    notes: Iterable[str] = (),
    dropped_locations: Iterable[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Directory, ImportReport]:
    """A directory and its report from a parsed HSDS document.

    ``data`` is first checked against ``limits`` (:func:`saihan.limits.check_tree`:
    nesting, string lengths and lone surrogates, collection sizes, integer digits),
    so that a document built in Python is held to what a parsed one is; schema
    errors are listed up to ``limits.max_errors`` per record.

    ``origins`` maps objects (by ``id()``) to where they came from (a tabular
    row); ``orphans`` are records already known to be bad (rows naming a
    missing parent) and ``notes`` what the caller already could not carry.
    """
    check_tree(data, limits=limits)
    reader = _Reader(origins or {}, lenient, fmt, limits.max_errors)
    for label, error in orphans:
        reader.record(label).errors.append(error)
    source = _shape(data)
    for note in [*notes, *source.notes]:
        reader.not_carried[note] += 1
    reader.dropped_locations = set(dropped_locations)
    directory, report = reader.read(source)
    if (
        (source.terms or source.taxonomies)
        # saihan's own export of an empty directory carries its dataset record: not refused
        and source.dataset is None
        and not source.organizations
        and not source.services
        and not directory.needs
        and not directory.agency_kinds
        and not report.skipped
    ):
        what = (
            f"{len(source.terms)} taxonomy term(s)"
            if source.terms
            else f"{len(source.taxonomies)} taxonomy(-ies)"
        )
        raise ValidationError(
            f"a taxonomy document ({what}) and no organizations or services: saihan reads "
            "terms with the services that use them (terms of saihan's own taxonomies become "
            "needs and agency kinds); import the organizations or services instead",
            path=source.terms[0][1] if source.terms else source.taxonomies[0],
        )
    return directory, report

"""The directory: an immutable, indexed collection of agencies and services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

import attrs

from saihan._validation import Checker, checked, types_only
from saihan.directory.agency import Agency
from saihan.directory.agency_kinds import AgencyKind, default_agency_kinds
from saihan.directory.municipalities import municipality
from saihan.directory.service import AreaKind, ContactPoint, Service
from saihan.directory.taxonomy import Need, NeedTaxonomy, default_taxonomy
from saihan.directory.vocabulary import Audience, Channel
from saihan.errors import ErrorItem, NotFoundError, ValidationError
from saihan.text import LocalizedText, normalize_for_search

__all__ = ["Directory", "DirectoryMeta"]


@attrs.frozen
class DirectoryMeta:
    """What a directory document is: its name, where it comes from, whether it is a sample."""

    name: LocalizedText = attrs.field(metadata={"doc": "Name of the dataset."})
    description: LocalizedText | None = attrs.field(default=None, metadata={"doc": "About it."})
    sample: bool = attrs.field(
        default=False,
        metadata={"doc": "True for example data that must not be used for real referrals."},
    )
    source: str | None = attrs.field(
        default=None, metadata={"doc": "Who compiled it and from what."}
    )
    license: str | None = attrs.field(default=None, metadata={"doc": "Licence of the data."})
    updated: dt.date | None = attrs.field(
        default=None, metadata={"doc": "Date of the last update."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


def _default_meta() -> DirectoryMeta:
    return DirectoryMeta(name=LocalizedText(ja="支援機関ディレクトリ", en="Support directory"))


def service_search_key(service: Service) -> str:
    """A service's own text for search: its name and description, folded, one
    form per line (the stores keep it; its agency's name is searched too)."""
    parts = [service.name.search_key()]
    if service.description:
        parts.append(service.description.search_key())
    return "\n".join(parts)


def agency_search_key(agency: Agency) -> str:
    """The text of an agency that a search for its services looks in: its name."""
    return agency.name.search_key()


def _search_text(service: Service, agency: Agency | None) -> str:
    parts = [service_search_key(service)]
    if agency is not None:
        parts.append(agency_search_key(agency))
    return "\n".join(parts)


@attrs.frozen(eq=False)
class _Index:
    """Lookups built once per directory; never serialised, never compared."""

    agencies: dict[str, Agency]
    services: dict[str, Service]
    taxonomy: NeedTaxonomy
    kinds: dict[str, AgencyKind]
    # The lookups by agency, need, municipality, audience, channel and kind, made on the
    # first query that needs them (see _Groups): a directory loaded to be stored, matched
    # or written out again never asks, and building the directory's checks needs none.
    # Two threads asking at once may both make them: the same value, either kept.
    _groups: list[_Groups] = attrs.field(init=False, factory=list)
    # Each service's search text, made on the first text search: folding every name
    # costs more than the rest of the index, and a directory read for matching (a
    # store's part) is never searched by text.
    # Two threads searching at once may both make it: the same value, either kept.
    _text: list[dict[str, str]] = attrs.field(init=False, factory=list)

    @property
    def text(self) -> dict[str, str]:
        if not self._text:
            agencies = self.agencies
            self._text[:] = [
                {
                    service_id: _search_text(service, agencies.get(service.agency_id))
                    for service_id, service in self.services.items()
                }
            ]
        return self._text[0]

    @property
    def groups(self) -> _Groups:
        if not self._groups:
            self._groups[:] = [_Groups.of(tuple(self.services.values()), self.agencies)]
        return self._groups[0]


@attrs.frozen(eq=False)
class _Groups:
    """Service ids grouped for :meth:`Directory.search` and :meth:`Directory.services_of`."""

    by_agency: dict[str, tuple[Service, ...]]
    by_need: dict[str, frozenset[str]]
    by_municipality: dict[str, frozenset[str]]
    wide_area: tuple[Service, ...]
    by_audience: dict[Audience, frozenset[str]]
    by_channel: dict[Channel, frozenset[str]]
    by_kind: dict[str, frozenset[str]]

    @classmethod
    def of(cls, services: tuple[Service, ...], agencies: dict[str, Agency]) -> _Groups:
        """Groups of ``services`` (checked already: each names one of ``agencies``)."""
        by_agency: dict[str, list[Service]] = {}
        for service in services:
            by_agency.setdefault(service.agency_id, []).append(service)
        return cls(
            by_agency={key: tuple(value) for key, value in by_agency.items()},
            by_need=_group((need, s.id) for s in services for need in s.needs),  # type: ignore[arg-type]
            by_municipality=_group(  # type: ignore[arg-type]
                (code, s.id) for s in services for code in s.area.municipality_codes
            ),
            wide_area=tuple(s for s in services if s.area.kind is not AreaKind.MUNICIPALITIES),
            by_audience=_group((a, s.id) for s in services for a in s.audiences),  # type: ignore[arg-type]
            by_channel=_group(  # type: ignore[arg-type]
                (c, s.id) for s in services for c in Directory._channels(s, agencies)
            ),
            by_kind=_group((agencies[s.agency_id].kind, s.id) for s in services),  # type: ignore[arg-type]
        )


def _group(pairs: Iterable[tuple[object, str]]) -> dict[object, frozenset[str]]:
    grouped: dict[object, set[str]] = {}
    for key, service_id in pairs:
        grouped.setdefault(key, set()).add(service_id)
    return {key: frozenset(ids) for key, ids in grouped.items()}


# Typed converters so that lists are accepted and mypy keeps the element types.
def _tuple_of_agencies(items: Iterable[Agency]) -> tuple[Agency, ...]:
    return tuple(items)


def _tuple_of_services(items: Iterable[Service]) -> tuple[Service, ...]:
    return tuple(items)


def _tuple_of_needs(items: Iterable[Need]) -> tuple[Need, ...]:
    return tuple(items)


def _tuple_of_agency_kinds(items: Iterable[AgencyKind]) -> tuple[AgencyKind, ...]:
    return tuple(items)


@attrs.frozen
class Directory:
    """Agencies and their services, validated as a whole and indexed for queries.

    A directory is immutable; building one checks every cross-reference (a
    service naming a missing agency, an unknown need or agency kind, a
    location that is not its agency's, duplicate ids) and raises one
    :class:`~saihan.errors.ValidationError` listing every problem.

    ``needs`` and ``agency_kinds`` extend the bundled taxonomy and kinds
    (a municipality's own needs and bodies); they are usually empty.
    """

    agencies: tuple[Agency, ...] = attrs.field(
        default=(), converter=_tuple_of_agencies, metadata={"doc": "Every agency."}
    )
    services: tuple[Service, ...] = attrs.field(
        default=(), converter=_tuple_of_services, metadata={"doc": "Every service."}
    )
    meta: DirectoryMeta = attrs.field(factory=_default_meta, metadata={"doc": "About the dataset."})
    needs: tuple[Need, ...] = attrs.field(
        default=(),
        converter=_tuple_of_needs,
        metadata={"doc": "Needs added to the bundled taxonomy."},
    )
    agency_kinds: tuple[AgencyKind, ...] = attrs.field(
        default=(),
        converter=_tuple_of_agency_kinds,
        metadata={"doc": "Agency kinds added to the bundled ones."},
    )
    _index: _Index = attrs.field(init=False, repr=False, eq=False, hash=False)

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.done()  # the index is built from well-typed members only
        object.__setattr__(self, "_index", self._build_index())

    # -- validation and indexing -------------------------------------------------

    def _build_index(self) -> _Index:
        check = Checker()
        taxonomy = default_taxonomy()
        try:
            taxonomy = taxonomy.extended(self.needs)
        except ValidationError as error:
            check.extend("needs", error.errors)

        kinds = {kind.code: kind for kind in default_agency_kinds()}
        for index, kind in enumerate(self.agency_kinds):
            if kind.code in kinds:
                check.add(
                    f"agency_kinds[{index}].code", f"agency kind {kind.code!r} already exists"
                )
            kinds[kind.code] = kind
        for index, kind in enumerate(self.agency_kinds):
            for position, code in enumerate(sorted(kind.needs)):
                if code not in taxonomy:
                    check.add(f"agency_kinds[{index}].needs[{position}]", f"unknown need {code!r}")

        agencies: dict[str, Agency] = {}
        for index, agency in enumerate(self.agencies):
            path = f"agencies[{index}]"
            if agency.id in agencies:
                check.add(f"{path}.id", f"duplicate agency id {agency.id!r}")
            agencies[agency.id] = agency
            if agency.kind not in kinds:
                check.add(f"{path}.kind", f"unknown agency kind {agency.kind!r}")
            check.extend(path, _visit_problems(agency.contacts, agency))

        services: dict[str, Service] = {}
        for index, service in enumerate(self.services):
            path = f"services[{index}]"
            if service.id in services:
                check.add(f"{path}.id", f"duplicate service id {service.id!r}")
            services[service.id] = service
            owner = agencies.get(service.agency_id)
            if owner is None:
                check.add(f"{path}.agency_id", f"no agency has id {service.agency_id!r}")
            for position, code in enumerate(sorted(service.needs)):
                if code not in taxonomy:
                    check.add(f"{path}.needs[{position}]", f"unknown need {code!r}")
            if owner is not None:
                for position, location_id in enumerate(service.location_ids):
                    if owner.location(location_id) is None:
                        check.add(
                            f"{path}.location_ids[{position}]",
                            f"agency {owner.id!r} has no location {location_id!r}",
                        )
                check.extend(path, _visit_problems(service.contacts, owner))
        check.done()

        return _Index(agencies=agencies, services=services, taxonomy=taxonomy, kinds=kinds)

    @staticmethod
    def _channels(service: Service, agencies: dict[str, Agency]) -> frozenset[Channel]:
        if service.contacts:
            return service.channels
        return frozenset(contact.channel for contact in agencies[service.agency_id].contacts)

    # -- lookups -------------------------------------------------------------------

    @property
    def taxonomy(self) -> NeedTaxonomy:
        """The bundled need taxonomy with this directory's ``needs`` added."""
        return self._index.taxonomy

    @property
    def kinds(self) -> dict[str, AgencyKind]:
        """Every known agency kind by code: bundled ones and this directory's own."""
        return dict(self._index.kinds)

    def agency(self, agency_id: str) -> Agency:
        """The agency with ``agency_id``; :class:`NotFoundError` if there is none."""
        try:
            return self._index.agencies[agency_id]
        except KeyError:
            raise NotFoundError(f"no agency has id {agency_id!r}") from None

    def service(self, service_id: str) -> Service:
        """The service with ``service_id``; :class:`NotFoundError` if there is none."""
        try:
            return self._index.services[service_id]
        except KeyError:
            raise NotFoundError(f"no service has id {service_id!r}") from None

    def services_of(self, agency_id: str) -> tuple[Service, ...]:
        """The services an agency runs, in directory order."""
        self.agency(agency_id)
        return self._index.groups.by_agency.get(agency_id, ())

    def agency_of(self, service: Service | str) -> Agency:
        """The agency that runs a service."""
        found = self.service(service) if isinstance(service, str) else service
        return self.agency(found.agency_id)

    def channels_of(self, service: Service | str) -> frozenset[Channel]:
        """How a service can be reached: its own contacts, else its agency's."""
        found = self.service(service) if isinstance(service, str) else service
        return self._channels(found, self._index.agencies)

    def contacts_of(self, service: Service | str) -> tuple[ContactPoint, ...]:
        """A service's contacts, falling back to its agency's when it lists none."""
        found = self.service(service) if isinstance(service, str) else service
        return found.contacts or self.agency(found.agency_id).contacts

    # -- queries -------------------------------------------------------------------

    def search(
        self,
        *,
        need: str | None = None,
        municipality: str | None = None,
        audience: Audience | str | None = None,
        channel: Channel | str | None = None,
        kind: str | None = None,
        text: str | None = None,
        accepting_referrals: bool | None = None,
    ) -> tuple[Service, ...]:
        """Services matching every criterion given, sorted by id.

        - ``need``: a need code; a service meeting the need or any sub-need matches,
          and so does one meeting a broader need (a ``housing`` service serves
          ``housing.emergency``).
        - ``municipality``: a code or any name form; the service area must cover it.
        - ``audience``, ``channel``, ``kind``: who consults, how, what kind of body.
        - ``text``: every word must appear in the service's or its agency's names or
          description, ignoring width, kana type and case.
        """
        index = self._index
        candidates: set[str] | None = None

        def narrow(ids: Iterable[str]) -> None:
            nonlocal candidates
            candidates = set(ids) if candidates is None else candidates.intersection(ids)

        if need is not None:
            narrow(self._ids_for_need(need))
        if municipality is not None:
            narrow(self._ids_for_municipality(municipality))
        if audience is not None:
            narrow(index.groups.by_audience.get(_enum(Audience, audience, "audience"), ()))
        if channel is not None:
            narrow(index.groups.by_channel.get(_enum(Channel, channel, "channel"), ()))
        if kind is not None:
            if kind not in index.kinds:
                raise NotFoundError(f"unknown agency kind {kind!r}")
            narrow(index.groups.by_kind.get(kind, ()))
        ids = set(index.services) if candidates is None else candidates
        if text is not None:
            words = normalize_for_search(text).split()
            ids = {sid for sid in ids if all(word in index.text[sid] for word in words)}
        if accepting_referrals is not None:
            ids = {
                sid for sid in ids if index.services[sid].accepting_referrals is accepting_referrals
            }
        return tuple(index.services[sid] for sid in sorted(ids))

    def _ids_for_need(self, need: str) -> set[str]:
        taxonomy = self._index.taxonomy
        if need not in taxonomy:
            raise NotFoundError(f"unknown need code {need!r}")
        # A service for a sub-need serves the need; one for a broader need does too.
        codes = taxonomy.descendants(need) | set(taxonomy.ancestors(need))
        found: set[str] = set()
        for code in codes:
            found |= self._index.groups.by_need.get(code, frozenset())
        return found

    def _ids_for_municipality(self, name_or_code: str) -> set[str]:
        code = (
            municipality(name_or_code).code if not _looks_like_code(name_or_code) else name_or_code
        )
        found = set(self._index.groups.by_municipality.get(code, frozenset()))
        found.update(s.id for s in self._index.groups.wide_area if s.area.covers(code))
        return found

    def published(self) -> Directory:
        """The directory as it may be shown to the public: confidential locations
        keep only their municipality."""
        agencies = [
            attrs.evolve(agency, locations=tuple(loc.published() for loc in agency.locations))
            for agency in self.agencies
        ]
        return Directory(
            agencies=agencies,
            services=self.services,
            meta=self.meta,
            needs=self.needs,
            agency_kinds=self.agency_kinds,
        )

    def __len__(self) -> int:
        return len(self.services)


def _looks_like_code(value: str) -> bool:
    from saihan.directory.municipalities import code_problem

    if value.isascii() and value.isdigit():
        problem = code_problem(value)
        if problem:
            raise ValidationError([ErrorItem("municipality", problem)])
        return True
    return False


_E = TypeVar("_E", Audience, Channel)


def _enum(cls: type[_E], value: _E | str, path: str) -> _E:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(member.value for member in cls)
        raise ValidationError([ErrorItem(path, f"{value!r} is not one of {allowed}")]) from None


def _visit_problems(contacts: tuple[ContactPoint, ...], owner: Agency | None) -> list[ErrorItem]:
    """A ``visit`` contact must name one of the agency's locations."""
    problems = []
    for position, contact in enumerate(contacts):
        if (
            contact.channel is Channel.VISIT
            and owner is not None
            and owner.location(contact.value) is None
        ):
            problems.append(
                ErrorItem(
                    f"contacts[{position}].value",
                    f"agency {owner.id!r} has no location {contact.value!r} to visit",
                )
            )
    return problems

"""What a plan shows of how to reach a recommended service: public contacts and today's hours."""

from __future__ import annotations

import datetime as dt
import re

from saihan.directory.agency import Agency
from saihan.directory.municipalities import municipality, tokyo_municipalities
from saihan.directory.service import ContactPoint, Service
from saihan.directory.vocabulary import Channel
from saihan.errors import SaihanError
from saihan.referral.plan import OpenInterval
from saihan.schedule.calendar import BusinessCalendar

__all__ = ["address_in_romaji", "hours_on", "public_address", "public_contacts"]


def public_contacts(service: Service, agency: Agency) -> tuple[ContactPoint, ...]:
    """The service's phone, fax, e-mail and web-form contacts (its agency's if it has none).

    Visits are not here: a visit names a location, shown as :func:`public_address`.
    """
    contacts = service.contacts or agency.contacts
    return tuple(contact for contact in contacts if contact.channel is not Channel.VISIT)


def public_address(service: Service, agency: Agency) -> str | None:
    """The first public place the service receives people, as one line.

    The places are the service's locations, else those its agency's ``visit`` contacts
    name. A confidential location (a shelter, a rehabilitation facility) is never shown:
    None when every place is confidential, or there is none.
    """
    ids = list(service.location_ids) or [
        contact.value
        for contact in (service.contacts or agency.contacts)
        if contact.channel is Channel.VISIT
    ]
    for location_id in ids:
        location = agency.location(location_id)
        if location is None or location.confidential:
            continue
        address = location.address
        try:
            city = municipality(address.municipality_code).name_ja
        except SaihanError:
            city = ""
        postal = f"〒{address.postal_code} " if address.postal_code else ""
        return postal + address.prefecture + city + (address.street or "")
    return None


_POSTAL = re.compile(r"^〒[0-9]{3}-[0-9]{4} ")


def address_in_romaji(address: str) -> str | None:
    """The place of an address line as :func:`public_address` writes it, in romaji, for
    a reader of English: ``"〒192-8501 東京都八王子市元本郷町3-24-1"`` gives
    ``"Hachioji-shi, Tokyo"``.  The line itself stays as written, for a letter; this only
    says where it is.  Tokyo's 62 municipalities are known (their romaji is in saihan's
    municipality table); None for a line that names none of them.
    """
    rest = _POSTAL.sub("", address, count=1)
    if not rest.startswith("東京都"):
        return None
    rest = rest.removeprefix("東京都")
    for place in tokyo_municipalities():
        if rest.startswith(place.name_ja):
            return f"{place.name_en}, Tokyo"
    return None


def hours_on(hours: BusinessCalendar | None, day: dt.date) -> tuple[OpenInterval, ...]:
    """The open intervals of ``day`` (in the calendar's zone); empty when closed or unknown."""
    if hours is None:
        return ()
    start = dt.datetime.combine(day, dt.time(), tzinfo=hours.zone)
    end = start + dt.timedelta(days=1)
    return tuple(OpenInterval(opens, closes) for opens, closes in hours.openings(start, end))

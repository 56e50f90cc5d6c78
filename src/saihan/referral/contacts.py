"""What a plan shows of how to reach a recommended service: public contacts and today's hours."""

from __future__ import annotations

import datetime as dt

from saihan.directory.agency import Agency
from saihan.directory.municipalities import municipality
from saihan.directory.service import ContactPoint, Service
from saihan.directory.vocabulary import Channel
from saihan.errors import SaihanError
from saihan.referral.plan import OpenInterval
from saihan.schedule.calendar import BusinessCalendar

__all__ = ["hours_on", "public_address", "public_contacts"]


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


def hours_on(hours: BusinessCalendar | None, day: dt.date) -> tuple[OpenInterval, ...]:
    """The open intervals of ``day`` (in the calendar's zone); empty when closed or unknown."""
    if hours is None:
        return ()
    start = dt.datetime.combine(day, dt.time(), tzinfo=hours.zone)
    end = start + dt.timedelta(days=1)
    return tuple(OpenInterval(opens, closes) for opens, closes in hours.openings(start, end))

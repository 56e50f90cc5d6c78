"""The bundled sample events for FY2024 (令和6年度), drawn from Tokyo's recidivism
prevention plan: the council, liaison meetings of municipal officers, trainings
for municipal staff (区市町村サポート事業), the shoplifting-prevention musical in
elementary schools, a symposium.  Every one is marked ``sample``: the kinds and
audiences follow the plan, the dates, places and URLs are made up."""

from __future__ import annotations

from importlib import resources

from saihan.errors import ValidationError
from saihan.limits import parse_json
from saihan.outreach.event import Event
from saihan.serialization import structure

__all__ = ["load_events", "sample_events"]


def sample_events() -> tuple[Event, ...]:
    """The FY2024 sample events, sorted by start (organiser: ``tmg-crime-worry-desk``
    of the sample directory)."""
    text = resources.files("saihan.outreach").joinpath("data/sample_events_fy2024.json")
    return load_events(text.read_text(encoding="utf-8"))


def load_events(text: str | bytes) -> tuple[Event, ...]:
    """Events from a JSON array of event documents (read within ``saihan.limits``);
    ValidationError with each problem's path (``[2].start``)."""
    data = parse_json(text)
    if not isinstance(data, list):
        raise ValidationError("expected a JSON array of events", path="")
    events = []
    problems = []
    for index, item in enumerate(data):
        try:
            events.append(structure(item, Event))
        except ValidationError as error:
            problems += error.under(index).errors
    if problems:
        raise ValidationError(problems)
    ids = [event.id for event in events]
    duplicates = sorted({id for id in ids if ids.count(id) > 1})
    if duplicates:
        raise ValidationError(f"event ids listed twice: {', '.join(duplicates)}", path="id")
    return tuple(sorted(events, key=lambda event: (event.start, event.id)))

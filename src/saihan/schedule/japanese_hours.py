"""Opening hours in the words Japanese municipalities publish them, both ways.

:func:`parse_japanese_hours` reads free text such as 「月～金 9時～17時（12時～13時を除く）、
第2・第4土曜 10時から12時（祝日・年末年始を除く）」 into a :class:`BusinessCalendar`, and
returns, beside it, every fragment it could not read with its position in the text:
nothing is guessed.  :func:`render_japanese_hours` writes a calendar back in the
standard's words; reading what it writes gives the same calendar.

Reading rules (documented in docs/schedule.md):

* full-width digits and punctuation are read as their half-width forms (NFKC);
* a holiday or the year-end break closes the calendar only when the text says so
  (「祝日を除く」, 「年末年始休み」); unmentioned, they are not closed;
* hours with no days before them apply to every day (minus days the text excludes),
  or, right after other hours, to the same days (「月～金 9時～12時、13時～17時」);
* a time range followed by 「を除く」 or 「休憩」 is a break cut out of the hours it lies in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

import attrs

from saihan._validation import Checker, checked
from saihan.errors import ValidationError
from saihan.schedule.calendar import DEFAULT_TIMEZONE, BusinessCalendar
from saihan.schedule.rules import YEAR_END_CLOSURE, AnnualClosure, Weekday, WeeklyHours
from saihan.text import LocalizedText

__all__ = [
    "JapaneseHours",
    "UnreadFragment",
    "parse_japanese_hours",
    "render_japanese_hours",
    "rule_order",
]

_DAY_CHARS = "月火水木金土日"
_ORDER = tuple(Weekday)
_ALL_DAYS = frozenset(Weekday)
_WEEKDAYS = frozenset(_ORDER[:5])


@attrs.frozen
class UnreadFragment:
    """A part of the text the parser could not read: ``text[start:end]`` and why."""

    text: str = attrs.field(metadata={"doc": "The fragment as written."})
    start: int = attrs.field(metadata={"doc": "Its first character's index in the text."})
    end: int = attrs.field(metadata={"doc": "One past its last character."})
    reason: str = attrs.field(default="", metadata={"doc": "Why it was not read."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.require(0 <= self.start <= self.end, "end", "end must not be before start")
        check.done()


def _fragments(items: Iterable[UnreadFragment]) -> tuple[UnreadFragment, ...]:
    return tuple(items)


@attrs.frozen
class JapaneseHours:
    """What :func:`parse_japanese_hours` read: the calendar, and what it could not read."""

    calendar: BusinessCalendar = attrs.field(metadata={"doc": "The hours that were read."})
    unread: tuple[UnreadFragment, ...] = attrs.field(
        default=(), converter=_fragments, metadata={"doc": "Fragments not read, in text order."}
    )
    reservation_required: bool = attrs.field(
        default=False, metadata={"doc": "The text says 要予約 (by appointment)."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        # Fragments come in text order and do not overlap: a reader can mark them up.
        ends = [fragment.end for fragment in self.unread[:-1]]
        starts = [fragment.start for fragment in self.unread[1:]]
        check.require(
            all(end <= start for end, start in zip(ends, starts, strict=True)),
            "unread",
            "fragments must be in text order and must not overlap",
        )
        check.done()

    @property
    def complete(self) -> bool:
        """True when every part of the text was read."""
        return not self.unread


# -- normalisation keeping positions ---------------------------------------------------


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC text, and for each of its characters the index of the original one."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        if char in "〜～~－―‐–—-":
            mapped = "~"
        elif char == "ー" and index > 0 and text[index - 1] not in "ァ-ヶ":
            mapped = "~"  # a long-vowel mark between digits or days is a dash
        else:
            mapped = unicodedata.normalize("NFKC", char)
        for piece in mapped:
            out.append(piece)
            where.append(index)
    return "".join(out), where


# -- tokens -------------------------------------------------------------------------------

_TIME = r"(?:(?:午前|午後)?(?:\d{1,2}:\d{2}|\d{1,2}時(?:\d{1,2}分|半)?)|正午)"
_DATE = r"\d{1,2}月\d{1,2}日"
_DAY = rf"[{_DAY_CHARS}](?:曜日|曜)?"
_TOKENS: list[tuple[str, str]] = [
    ("SPACE", r"[\s　]+"),
    ("RESERVE", r"要予約|完全予約制|予約制|予約が必要(?:です)?|予約必要"),
    ("H24", r"24時間(?:365日)?(?:対応|受付|営業|開館)?"),
    ("EVERYDAY", r"毎日|年中無休|365日|無休"),
    ("WEEKDAYS", r"平日"),
    ("YEAR_END", r"年末年始"),
    ("DATE_RANGE", rf"{_DATE}\s*(?:~|から)\s*(?:翌年)?{_DATE}(?:まで)?"),
    (
        "HOLIDAY_OPEN",
        r"(?:国民の)?祝(?:祭)?日?(?:も|を含む)(?:開館|開所|営業|受付|対応|実施|開庁|開催)?",
    ),
    ("HOLIDAY", r"(?:国民の)?(?:祝祭日|祝休日|祝日|休日|祝)"),
    ("NTH", r"(?:第\d|最終)(?:\s*[・、,]\s*(?:第?\d|最終))*(?:週)?"),
    ("TIME_RANGE", rf"{_TIME}\s*(?:~|から)\s*翌?{_TIME}(?:まで)?"),
    ("CLOSED_PREFIX", r"(?:休館日|休業日|定休日|休所日|休診日|閉庁日|休日)\s*[:は]?"),
    (
        "EXCEPT",
        r"(?:は|も)?(?:を?除(?:く|き|きます)|休館日?|休業日?|休み|休所|休診|閉庁|閉館|定休日?|休憩)(?:です|とします)?",
    ),
    ("DAY", _DAY),
    ("TO", r"~|から"),
    ("OPEN", r"\("),
    ("CLOSE", r"\)"),
    ("END", r"[。\n;/]"),
    ("SEP", r"[・、,と]|及び|および|ならびに"),
    (
        "FILLER",
        r"(?:受付|開館|開所|営業|診療|相談|利用|窓口|電話)?時間\s*[:は]?|毎週|毎月|"
        r"曜日|の|は|まで|です|で|:|「|」|※",
    ),
]
_TOKEN_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _TOKENS))
_TIME_RE = re.compile(r"(午前|午後)?(?:(\d{1,2}):(\d{2})|(\d{1,2})時(?:(\d{1,2})分|(半))?)|(正午)")
_DATE_RE = re.compile(r"(\d{1,2})月(\d{1,2})日")


@attrs.define
class _Token:
    kind: str
    text: str
    start: int  # in the normalised text
    end: int


def _tokens(text: str) -> tuple[list[_Token], list[tuple[int, int]]]:
    found: list[_Token] = []
    unknown: list[tuple[int, int]] = []
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None or match.end() == position:
            if unknown and unknown[-1][1] == position:
                unknown[-1] = (unknown[-1][0], position + 1)
            else:
                unknown.append((position, position + 1))
            position += 1
            continue
        kind = match.lastgroup or ""
        if kind != "SPACE":
            found.append(_Token(kind, match.group(), position, match.end()))
        position = match.end()
    return found, unknown


def _time(text: str) -> dt.time | None:
    match = _TIME_RE.search(text)
    if match is None:
        return None
    if match.group(7):
        return dt.time(12)
    meridiem = match.group(1)
    if match.group(2) is not None:
        hour, minute = int(match.group(2)), int(match.group(3))
    else:
        hour = int(match.group(4))
        minute = 30 if match.group(6) else int(match.group(5) or 0)
    if meridiem == "午後" and hour < 12:
        hour += 12
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        return None
    return dt.time(0 if hour == 24 else hour, minute)


def _times(text: str) -> tuple[dt.time, dt.time] | None:
    parts = re.split(r"~|から", text, maxsplit=1)
    if len(parts) != 2:
        return None
    opens, closes = _time(parts[0]), _time(parts[1])
    if opens is None or closes is None:
        return None
    return opens, closes


def _weeks(text: str) -> frozenset[int]:
    weeks = {int(n) for n in re.findall(r"\d", text)}
    if "最終" in text:
        weeks.add(-1)
    return frozenset(weeks)


def _span(first: Weekday, last: Weekday) -> list[Weekday]:
    start, end = first.number, last.number
    indices = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
    return [_ORDER[i] for i in indices]


@attrs.define
class _Item:
    kind: str  # day, holiday, year_end, annual, everyday
    start: int
    end: int
    day: Weekday | None = None
    weeks: frozenset[int] = frozenset()
    closure: AnnualClosure | None = None


@attrs.define
class _State:
    rules: list[WeeklyHours] = attrs.Factory(list)
    implicit: list[int] = attrs.Factory(list)  # rules read with no days before them
    excluded_days: dict[Weekday, set[int]] = attrs.Factory(dict)
    holidays_closed: bool | None = None
    holiday_hours: list[tuple[int, int]] = attrs.Factory(list)
    annual: list[AnnualClosure] = attrs.Factory(list)
    unread: list[tuple[int, int, str]] = attrs.Factory(list)
    reservation: bool = False


def parse_japanese_hours(text: str, *, timezone: str = DEFAULT_TIMEZONE) -> JapaneseHours:
    """Read opening hours written in Japanese; see the module docstring for the rules."""
    if not isinstance(text, str):
        raise ValidationError(f"expected text, got {type(text).__name__}", path="text")
    normal, where = _normalise(text)
    tokens, unknown = _tokens(normal)
    state = _State()
    for start, end in unknown:
        state.unread.append((start, end, "not a day, time or closure saihan reads"))
    pending: list[_Item] = []
    outer: list[_Item] = []  # days before an opening parenthesis
    weeks: frozenset[int] = frozenset()
    last_days: list[tuple[frozenset[Weekday], frozenset[int]]] | None = None
    last_rules: list[int] = []
    closing_prefix = False
    prefix_start = 0
    index = 0

    def flush(reason: str) -> None:
        if pending:
            state.unread.append((pending[0].start, pending[-1].end, reason))
            pending.clear()

    def exclude(items: list[_Item]) -> None:
        for item in items:
            if item.kind == "day" and item.day is not None:
                if -1 in item.weeks:
                    state.unread.append(
                        (item.start, item.end, "closing the last week of a month is not carried")
                    )
                    continue
                state.excluded_days.setdefault(item.day, set()).update(item.weeks or {0})
            elif item.kind == "holiday":
                state.holidays_closed = True
            elif item.kind in ("year_end", "annual") and item.closure is not None:
                if item.closure not in state.annual:
                    state.annual.append(item.closure)
            else:
                state.unread.append((item.start, item.end, "cannot be closed as a whole"))

    while index < len(tokens):
        token = tokens[index]
        kind = token.kind
        if kind == "RESERVE":
            state.reservation = True
        elif kind in ("DAY", "WEEKDAYS", "EVERYDAY", "HOLIDAY", "YEAR_END", "DATE_RANGE"):
            if last_days is not None and not closing_prefix and not pending:
                last_days = None
                weeks = frozenset()
            if kind == "DAY":
                day = _ORDER[_DAY_CHARS.index(token.text[0])]
                nxt = _next_day(tokens, index, normal)
                if nxt is not None:
                    last_day, skip_to = nxt
                    for each in _span(day, last_day):
                        pending.append(_Item("day", token.start, tokens[skip_to].end, each, weeks))
                    index = skip_to + 1
                    continue
                pending.append(_Item("day", token.start, token.end, day, weeks))
            elif kind == "WEEKDAYS":
                for each in _ORDER[:5]:
                    pending.append(_Item("day", token.start, token.end, each, weeks))
            elif kind == "EVERYDAY":
                for each in _ORDER:
                    pending.append(_Item("everyday", token.start, token.end, each, weeks))
            elif kind == "HOLIDAY":
                pending.append(_Item("holiday", token.start, token.end))
            elif kind == "YEAR_END":
                pending.append(_Item("year_end", token.start, token.end, closure=YEAR_END_CLOSURE))
            else:
                closure = _annual(token.text)
                if closure is None:
                    state.unread.append((token.start, token.end, "not a date range"))
                else:
                    pending.append(_Item("annual", token.start, token.end, closure=closure))
        elif kind == "NTH":
            if last_days is not None and not pending:
                last_days = None
            weeks = _weeks(token.text)
            if not weeks <= {-1, 1, 2, 3, 4, 5}:
                state.unread.append((token.start, token.end, "not a week of the month (1-5)"))
                weeks = frozenset()
        elif kind in ("TIME_RANGE", "H24"):
            if closing_prefix:
                exclude(list(pending))
                pending.clear()
                closing_prefix = False
            if kind == "H24":
                span: tuple[dt.time, dt.time] | None = (dt.time(0), dt.time(0))
            else:
                span = _times(token.text)
            if span is None:
                state.unread.append((token.start, token.end, "not a time range"))
                index += 1
                continue
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is not None and following.kind == "EXCEPT" and not pending:
                _cut_break(state, last_rules, span, token)
                index += 2
                continue
            groups = _groups(pending, state, token)
            pending.clear()
            implicit = False
            if groups is None:
                index += 1
                continue
            if not groups:
                if last_days is not None:
                    groups = last_days
                else:
                    groups = [(_ALL_DAYS, frozenset())]
                    implicit = True
            last_days = groups
            last_rules = []
            for days, rule_weeks in groups:
                state.rules.append(
                    WeeklyHours(days=days, opens=span[0], closes=span[1], weeks=rule_weeks)
                )
                if implicit:
                    state.implicit.append(len(state.rules) - 1)
                last_rules.append(len(state.rules) - 1)
            weeks = frozenset()
        elif kind == "TO":
            state.unread.append((token.start, token.end, "a range with no start or end"))
        elif kind == "HOLIDAY_OPEN":
            state.holidays_closed = False
        elif kind == "CLOSED_PREFIX":
            flush("days without hours")
            closing_prefix = True
            prefix_start = token.start
        elif kind == "EXCEPT":
            if pending:
                exclude(list(pending))
                pending.clear()
            else:
                state.unread.append((token.start, token.end, "nothing before it to close"))
            weeks = frozenset()
        elif kind == "OPEN":
            outer = list(pending)
            pending.clear()
        elif kind == "CLOSE":
            if closing_prefix:
                exclude(list(pending))
                pending.clear()
                closing_prefix = False
            flush("days without hours")
            pending.extend(outer)
            outer = []
        elif kind == "END":
            if closing_prefix:
                exclude(list(pending))
                pending.clear()
                closing_prefix = False
            pending.extend(outer)
            outer = []
            flush("days without hours")
            weeks = frozenset()
        index += 1
    pending.extend(outer)
    if closing_prefix:
        if pending:
            exclude(list(pending))
            pending.clear()
        else:
            state.unread.append((prefix_start, len(normal), "no days after it"))
    flush("days without hours")
    calendar = _calendar(state, timezone)
    return JapaneseHours(
        calendar=calendar,
        unread=_unread(text, normal, where, state.unread),
        reservation_required=state.reservation,
    )


def _next_day(tokens: list[_Token], index: int, normal: str) -> tuple[Weekday, int] | None:
    """The end of a day range 「月～金」 / 「月曜日から金曜日」 starting at ``tokens[index]``."""
    if index + 2 < len(tokens) and tokens[index + 1].kind == "TO":
        last = tokens[index + 2]
        if last.kind == "DAY":
            return _ORDER[_DAY_CHARS.index(last.text[0])], index + 2
    return None


def _annual(text: str) -> AnnualClosure | None:
    dates = _DATE_RE.findall(text)
    if len(dates) != 2:
        return None
    (m1, d1), (m2, d2) = dates
    start, end = f"{int(m1):02d}-{int(d1):02d}", f"{int(m2):02d}-{int(d2):02d}"
    if (start, end) == (YEAR_END_CLOSURE.start, YEAR_END_CLOSURE.end):
        return YEAR_END_CLOSURE
    try:
        return AnnualClosure(start=start, end=end, label=LocalizedText(ja=_date_words(start, end)))
    except ValidationError:
        return None


def _date_words(start: str, end: str) -> str:
    def words(month_day: str) -> str:
        return f"{int(month_day[:2])}月{int(month_day[3:])}日"

    return f"{words(start)}～{words(end)}"


def _groups(
    pending: list[_Item], state: _State, token: _Token
) -> list[tuple[frozenset[Weekday], frozenset[int]]] | None:
    """The pending days as (days, weeks) groups, in first-mention order."""
    grouped: dict[frozenset[int], set[Weekday]] = {}
    for item in pending:
        if item.kind in ("day", "everyday") and item.day is not None:
            grouped.setdefault(item.weeks, set()).add(item.day)
        elif item.kind == "holiday":
            state.holidays_closed = False
            state.holiday_hours.append((item.start, item.end))
        else:
            state.unread.append((item.start, item.end, "a closure given opening hours"))
    return [(frozenset(days), weeks) for weeks, days in grouped.items()]


def _cut_break(
    state: _State, last_rules: list[int], span: tuple[dt.time, dt.time], token: _Token
) -> None:
    begin, finish = span
    cut = False
    for position in list(last_rules):
        rule = state.rules[position]
        if rule.opens < begin < finish < rule.closes or (
            rule.closes == dt.time(0) and rule.opens < begin < finish
        ):
            state.rules[position] = attrs.evolve(rule, closes=begin)
            state.rules.append(attrs.evolve(rule, opens=finish))
            if position in state.implicit:
                state.implicit.append(len(state.rules) - 1)
            cut = True
    if not cut:
        state.unread.append((token.start, token.end, "a break outside the hours before it"))


def rule_order(rule: WeeklyHours) -> tuple[object, ...]:
    """The order the parser gives weekly rules: by days, weeks, then times."""
    return (
        sorted(day.number for day in rule.days),
        sorted(rule.weeks),
        rule.opens,
        rule.closes,
    )


def _calendar(state: _State, timezone: str) -> BusinessCalendar:
    rules: list[WeeklyHours] = []
    for rule in state.rules:
        keep = set(rule.days)
        split: list[WeeklyHours] = []
        for day, weeks in state.excluded_days.items():
            if day not in keep:
                continue
            keep.discard(day)
            if 0 in weeks:
                continue
            remaining = (set(rule.weeks) or {1, 2, 3, 4, 5}) - weeks
            if remaining:
                split.append(attrs.evolve(rule, days=frozenset({day}), weeks=frozenset(remaining)))
        if keep:
            rules.append(attrs.evolve(rule, days=frozenset(keep)))
        rules.extend(split)
    if state.holiday_hours:
        times = {(rule.opens, rule.closes, rule.weeks) for rule in rules}
        if len(times) > 1:
            for start, end in state.holiday_hours:
                state.unread.append(
                    (start, end, "holidays' own hours are not carried: they follow the weekday's")
                )
    rules.sort(key=rule_order)
    return BusinessCalendar(
        weekly=rules,
        timezone=timezone,
        closed_on_national_holidays=bool(state.holidays_closed),
        annual_closures=state.annual,
    )


def _unread(
    text: str, normal: str, where: list[int], spans: list[tuple[int, int, str]]
) -> list[UnreadFragment]:
    found: dict[tuple[int, int], UnreadFragment] = {}
    for start, end, reason in spans:
        while start < end and normal[start].isspace():
            start += 1
        while end > start and normal[end - 1].isspace():
            end -= 1
        if start >= end:
            continue
        first = where[start]
        last = where[end - 1] + 1
        found.setdefault((first, last), UnreadFragment(text[first:last], first, last, reason))
    return [found[key] for key in sorted(found)]


# -- writing --------------------------------------------------------------------------------


def _time_words(value: dt.time, closing: bool = False) -> str:
    hour = 24 if closing and value == dt.time(0) else value.hour
    return f"{hour}時{value.minute}分" if value.minute else f"{hour}時"


def _days_words(days: frozenset[Weekday]) -> str:
    numbers = sorted(day.number for day in days)
    if len(numbers) == 7:
        return "毎日"
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    words = []
    for run in runs:
        if len(run) >= 3:
            words.append(f"{_DAY_CHARS[run[0]]}～{_DAY_CHARS[run[-1]]}")
        else:
            words.extend(_DAY_CHARS[n] for n in run)
    return "・".join(words)


def _weeks_words(weeks: frozenset[int]) -> str:
    ordered = [f"第{week}" for week in sorted(w for w in weeks if w > 0)]
    if -1 in weeks:
        ordered.append("最終")
    return "・".join(ordered)


def render_japanese_hours(calendar: BusinessCalendar, *, reservation_required: bool = False) -> str:
    """The calendar in the standard's words: 「月～金 9時～17時（祝日・年末年始を除く）」.

    Raises :class:`~saihan.errors.ValidationError` naming the field when the calendar
    has parts these words do not carry (dated rules, closures, special openings,
    own holidays, seconds, another time zone); reading the text back gives the
    calendar with its weekly rules in :func:`rule_order`.
    """
    check = Checker()
    if calendar.timezone != DEFAULT_TIMEZONE:
        check.add("timezone", "the words carry Asia/Tokyo hours only")
    for name in ("valid_from", "valid_until"):
        if getattr(calendar, name) is not None:
            check.add(name, "a reception period is not carried by the words")
    for name in ("own_holidays", "closures", "special_openings"):
        if getattr(calendar, name):
            check.add(name, "dated days are not carried by the words")
    for position, rule in enumerate(calendar.weekly):
        if rule.valid_from is not None or rule.valid_until is not None:
            check.add(f"weekly[{position}]", "hours that change on a date are not carried")
        if rule.opens.second or rule.closes.second:
            check.add(f"weekly[{position}]", "times are written to the minute")
    check.done()
    parts: list[str] = []
    previous: tuple[frozenset[Weekday], frozenset[int]] | None = None
    for rule in sorted(calendar.weekly, key=rule_order):
        if (rule.opens, rule.closes) == (dt.time(0), dt.time(0)):
            hours = "24時間"
        else:
            hours = f"{_time_words(rule.opens)}～{_time_words(rule.closes, closing=True)}"
        key = (rule.days, rule.weeks)
        if key == previous:
            parts.append(hours)
            continue
        previous = key
        days = _days_words(rule.days)
        if rule.weeks:
            days = f"{_weeks_words(rule.weeks)} {days}"
        parts.append(f"{days} {hours}")
    closed = []
    if calendar.closed_on_national_holidays:
        closed.append("祝日")
    for closure in calendar.annual_closures:
        if closure == YEAR_END_CLOSURE:
            closed.append("年末年始")
        else:
            closed.append(_date_words(closure.start, closure.end))
    text = "、".join(parts)
    if closed:
        text += f"（{'・'.join(closed)}を除く）"
    if reservation_required:
        text += "。要予約" if text else "要予約"
    return text

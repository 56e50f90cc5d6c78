"""Checks the outreach models share: time zones, e-mail addresses, URLs, municipality codes."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable

from saihan._validation import Checker
from saihan.directory.municipalities import code_problem

TIME_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"
EMAIL_PATTERN = r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$"
HTTPS_PATTERN = r"^https?://[^\s<>\"]+$"
_TIME_ZONE_RE = re.compile(TIME_ZONE_PATTERN)
_EMAIL_RE = re.compile(EMAIL_PATTERN)
_URL_RE = re.compile(HTTPS_PATTERN)
MAX_EMAIL = 254


def check_time_zone(check: Checker, path: str, value: str) -> zoneinfo.ZoneInfo | None:
    """The zone named ``value``, or None after adding a problem at ``path``."""
    if len(value) <= 64 and _TIME_ZONE_RE.fullmatch(value):
        try:
            return zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    check.add(path, f"{value!r} is not an IANA time zone like Asia/Tokyo")
    return None


def check_email(check: Checker, path: str, value: str) -> None:
    if len(value) > MAX_EMAIL or not _EMAIL_RE.fullmatch(value):
        check.add(path, "not an e-mail address (name@example.jp)")


def check_url(check: Checker, path: str, value: str) -> None:
    if len(value) > 2000 or not _URL_RE.fullmatch(value):
        check.add(path, "not an http(s) URL")


def check_codes(check: Checker, path: str, codes: Iterable[str]) -> None:
    for index, code in enumerate(sorted(codes)):
        problem = code_problem(code)
        if problem:
            check.add(f"{path}[{index}]", f"{code!r}: {problem}")

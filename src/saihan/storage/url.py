"""Store URLs: which backend, where, and the default embedded store.

``scheme://rest?options``: the scheme names the backend (an entry point in the
``saihan.storage`` group).  Without a URL saihan uses ``$SAIHAN_STORE_URL`` or
else the embedded SQLite file :func:`default_path`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit

import attrs

from saihan.errors import ErrorItem, ValidationError
from saihan.limits import check_text

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "StoreURL",
    "default_path",
    "default_url",
    "is_secret_option",
    "parse_url",
]

ENVIRONMENT_VARIABLE = "SAIHAN_STORE_URL"
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")
_SECRET_RE = re.compile(r"pass|secret|token|key|credential", re.IGNORECASE)
REDACTED = "***"
MAX_URL_LENGTH = 8192
"""The longest store URL accepted (a real one is a few hundred characters at most)."""


def is_secret_option(name: str) -> bool:
    """True for a query option whose value is never shown (``password``, ``sslpassword``,
    anything named like a password, secret, token, key or credential)."""
    return bool(_SECRET_RE.search(name))


def _as_dict(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@attrs.frozen(repr=False)
class StoreURL:
    """A parsed store URL.

    ``text`` is the URL as given, secrets and all: pass it only to the backend.
    :meth:`redacted` is safe to print and log: the password in the user part and
    the value of every secret option (:func:`is_secret_option`) are ``***``; so
    is ``repr()``.  ``options`` holds the query parameters (each may appear once).
    """

    text: str
    scheme: str
    netloc: str
    path: str
    options: Mapping[str, str] = attrs.field(converter=_as_dict)

    @property
    def username(self) -> str | None:
        return urlsplit(self.text).username

    @property
    def hostname(self) -> str | None:
        return urlsplit(self.text).hostname

    def __repr__(self) -> str:
        return f"StoreURL({self.redacted()!r})"

    def redacted(self) -> str:
        """The URL with its password and every secret option's value replaced by ``***``."""
        # Rebuilt by hand: urlunsplit would turn sqlite:///x.db into sqlite:/x.db.
        head, sep, rest = self.text.partition("://")
        cut = min((rest.find(c) for c in "/?#" if c in rest), default=len(rest))
        netloc, rest = rest[:cut], rest[cut:]
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                netloc = f"{userinfo.split(':', 1)[0]}:{REDACTED}@{host}"
        path, mark, query = rest.partition("?")
        if mark:
            query, hash_mark, fragment = query.partition("#")
            query = "&".join(
                f"{pair.partition('=')[0]}={REDACTED}"
                if is_secret_option(unquote_plus(pair.partition("=")[0]))
                else pair
                for pair in query.split("&")
            )
            rest = f"{path}?{query}{hash_mark}{fragment}"
        return f"{head}{sep}{netloc}{rest}"

    def secrets(self) -> list[str]:
        """Every secret the URL holds, as written and decoded (for :meth:`scrub`)."""
        found: set[str] = set()
        netloc = urlsplit(self.text).netloc
        if "@" in netloc and ":" in netloc.rsplit("@", 1)[0]:
            password = netloc.rsplit("@", 1)[0].split(":", 1)[1]
            found |= {password, unquote(password)}
        for name, value in self.options.items():
            if is_secret_option(name):
                found |= {value, quote(value, safe=""), quote_plus(value)}
        return sorted((item for item in found if item), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """``text`` (an error message, say) with every secret of this URL replaced by ``***``."""
        for secret in self.secrets():
            text = text.replace(secret, REDACTED)
        return text

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def int_option(self, name: str, default: int, *, minimum: int = 0) -> int:
        """An integer query option, checked; ValidationError names the option."""
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise ValidationError(
                [ErrorItem(f"url.{name}", f"expected an integer >= {minimum}, got {raw!r}")]
            )
        return value

    def check_options(self, allowed: set[str]) -> None:
        """Refuse query options the backend does not know."""
        unknown = sorted(set(self.options) - allowed)
        if unknown:
            choices = ", ".join(sorted(allowed)) or "none"
            raise ValidationError(
                [
                    ErrorItem(
                        f"url.{name}", f"unknown option for {self.scheme}://; known: {choices}"
                    )
                    for name in unknown
                ]
            )


def parse_url(url: str) -> StoreURL:
    """Split a store URL; :class:`ValidationError` (path ``url``) when it is malformed."""
    if not isinstance(url, str):
        raise ValidationError([ErrorItem("url", f"expected a string, got {type(url).__name__}")])
    if "\x00" in url or not url.strip():
        raise ValidationError([ErrorItem("url", "must be a non-empty URL without NUL")])
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(
            [ErrorItem("url", f"is {len(url):,} characters long; the limit is {MAX_URL_LENGTH:,}")]
        )
    scheme, sep, _ = url.partition("://")
    if not sep or not _SCHEME_RE.match(scheme):
        # Not echoed: a URL that does not parse may still hold a password.
        raise ValidationError(
            [
                ErrorItem(
                    "url",
                    "not a store URL: use scheme://..., "
                    "e.g. sqlite:///saihan.db, memory:// or postgresql://host/db",
                )
            ]
        )
    try:
        check_text(url, path="url", what="URL")
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here, not later)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as error:
        if isinstance(error, ValidationError):
            raise
        raise ValidationError([ErrorItem("url", f"not a valid URL: {error}")]) from None
    counts = Counter(name for name, _ in pairs)  # not names.count(): quadratic in the query
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise ValidationError(
            [ErrorItem(f"url.{name}", "given more than once") for name in repeated]
        )
    return StoreURL(
        text=url, scheme=scheme, netloc=parts.netloc, path=parts.path, options=dict(pairs)
    )


def default_path() -> Path:
    """Where the embedded store lives when no URL is given.

    ``$XDG_DATA_HOME/saihan/saihan.db`` when ``XDG_DATA_HOME`` is set to an
    absolute path, else ``~/.local/share/saihan/saihan.db``.
    """
    base = os.environ.get("XDG_DATA_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "saihan" / "saihan.db"


def default_url() -> str:
    """``$SAIHAN_STORE_URL`` when set, else the SQLite file at :func:`default_path`."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if configured:
        return configured
    return "sqlite:///" + str(default_path())

"""Store URLs: which backend, where, and the default embedded store.

``scheme://rest?options``: the scheme names the backend (an entry point in the
``saihan.storage`` group).  Without a URL saihan uses ``$SAIHAN_STORE_URL`` or
else the embedded SQLite file :func:`default_path`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import attrs

from saihan.errors import ErrorItem, ValidationError

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "StoreURL",
    "default_path",
    "default_url",
    "parse_url",
]

ENVIRONMENT_VARIABLE = "SAIHAN_STORE_URL"
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")


def _as_dict(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@attrs.frozen
class StoreURL:
    """A parsed store URL.

    ``text`` is the URL as given; :meth:`redacted` is safe to print (no password).
    ``options`` holds the query parameters (each may appear once).
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

    def redacted(self) -> str:
        """The URL with any password replaced by ``***``."""
        parts = urlsplit(self.text)
        if parts.password is None:
            return self.text
        host = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))

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
    scheme, sep, _ = url.partition("://")
    if not sep or not _SCHEME_RE.match(scheme):
        raise ValidationError(
            [
                ErrorItem(
                    "url",
                    f"{url!r} is not a store URL: use scheme://..., "
                    "e.g. sqlite:///saihan.db, memory:// or postgresql://host/db",
                )
            ]
        )
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
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

"""Opening a store: the URL's scheme picks the backend by entry point."""

from __future__ import annotations

from saihan import plugins
from saihan.access import Principal
from saihan.errors import PluginError, SaihanError
from saihan.storage.engine import Backend, Engine
from saihan.storage.errors import StorageError
from saihan.storage.store import Store, _decoded_cache_limit
from saihan.storage.url import default_url, parse_url

__all__ = ["available_backends", "open_store"]


def available_backends() -> list[str]:
    """The URL schemes of the installed storage backends, sorted."""
    return plugins.available(plugins.STORAGE)


def open_store(
    url: str | None = None,
    *,
    create: bool = True,
    principal: Principal | None = None,
    decoded_cache: int | None = None,
) -> Store:
    """Open the store at ``url``; see :func:`saihan.storage.open`."""
    limit = _decoded_cache_limit(decoded_cache)  # before anything is opened
    text = default_url() if url is None else url
    parsed = parse_url(text)
    backend = plugins.load_plugin(plugins.STORAGE, parsed.scheme)
    if not isinstance(backend, Backend):
        raise PluginError(
            f"plugin {parsed.scheme!r} in group {plugins.STORAGE!r} is not a storage backend "
            "(it has no open(url, create=...) method)"
        )
    try:
        engine = backend.open(parsed, create=create)
    except SaihanError:
        raise
    except Exception as error:
        # The backend's own words may quote the URL: scrub its secrets from them.
        raise StorageError(
            f"{parsed.scheme} backend could not open {parsed.redacted()}: "
            f"{type(error).__name__}: {parsed.scrub(str(error))}"
        ) from None
    if not isinstance(engine, Engine):
        raise PluginError(
            f"plugin {parsed.scheme!r} in group {plugins.STORAGE!r} returned "
            f"{type(engine).__name__}, not a saihan.storage.Engine"
        )
    return Store(engine, parsed, principal=principal, decoded_cache=limit)

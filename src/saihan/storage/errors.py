"""Errors of the storage layer, re-exported from :mod:`saihan.errors`.

The storage layer raises the usual family for bad input (``ValidationError``,
``NotFoundError``, ``ConflictError``, ``PluginError``); these two cover what is
wrong with the store itself rather than with what the caller asked.
"""

from saihan.errors import IncompatibleStoreError, StorageError

__all__ = ["IncompatibleStoreError", "StorageError"]

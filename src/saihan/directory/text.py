"""``LocalizedText`` and ``normalize_for_search`` live in :mod:`saihan.text`, below
both the directory and the schedule packages that use them; this module keeps the
old import path working."""

from saihan.text import LocalizedText, normalize_for_search

__all__ = ["LocalizedText", "normalize_for_search"]

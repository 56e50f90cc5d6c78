"""Shared test setup.

Hypothesis profiles: ``dev`` (the default) keeps property tests quick; ``ci``
runs more examples, derandomized and without deadlines, so CI is thorough and
reproducible; ``thorough`` runs 1,000 examples per property, for a dedicated run
(``HYPOTHESIS_PROFILE=thorough pytest tests/referral/test_properties.py``).  Pick one
with ``HYPOTHESIS_PROFILE=ci``; ``CI=true`` (set by most CI services) selects ``ci`` too.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import settings

settings.register_profile("dev", deadline=dt.timedelta(seconds=1))
settings.register_profile(
    "ci", max_examples=200, derandomize=True, deadline=None, database=None, print_blob=True
)
settings.register_profile(
    "thorough", max_examples=1000, derandomize=True, deadline=None, database=None, print_blob=True
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
)


@pytest.fixture(autouse=True)
def _cli_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands in tests act as a system principal unless a test says otherwise
    (tests of the missing principal remove it; see docs/access.md)."""
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    # The tests choose the language of help and output themselves (--lang, or setting it).
    monkeypatch.delenv("SAIHAN_LANG", raising=False)

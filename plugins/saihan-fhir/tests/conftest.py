"""Hypothesis profiles and the CLI principal for the plugin's tests, so that they run on
their own too (``pytest plugins/saihan-fhir/tests``) exactly as under the repository's
suite: ``dev`` by default, ``ci`` with ``HYPOTHESIS_PROFILE=ci`` or ``CI=true``."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import settings

settings.register_profile("dev", deadline=dt.timedelta(seconds=2))
settings.register_profile(
    "ci", max_examples=200, derandomize=True, deadline=None, database=None, print_blob=True
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
)


@pytest.fixture(autouse=True)
def _fhir_cli_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands act as a system principal unless a test says otherwise."""
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")

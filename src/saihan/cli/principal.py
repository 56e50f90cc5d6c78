"""Who the command acts as: ``--as PRINCIPAL`` or ``$SAIHAN_PRINCIPAL``.

The form is :data:`saihan.access.PRINCIPAL_FORM`, e.g.
``worker-7@org-hachioji/132012:desk-worker`` or ``system:system`` for imports.
Without one, a command that reads or changes cases, referrals or the audit trail
fails with an AccessDenied that says how to give one (docs/access.md).
"""

from __future__ import annotations

import argparse
import os

from saihan.access import PRINCIPAL_FORM, Principal, parse_principal

__all__ = ["ENVIRONMENT_VARIABLE", "add_principal", "add_store", "principal_of"]

ENVIRONMENT_VARIABLE = "SAIHAN_PRINCIPAL"


def add_principal(parser: argparse.ArgumentParser) -> None:
    """Add ``--as`` to a command that opens a store."""
    parser.add_argument(
        "--as",
        dest="principal",
        metavar="PRINCIPAL",
        help=f"who acts, {PRINCIPAL_FORM}, e.g. worker-7@org-1/132012:desk-worker "
        f"(default: ${ENVIRONMENT_VARIABLE}; see docs/access.md)",
    )


def add_store(parser: argparse.ArgumentParser) -> None:
    """Add ``--store URL`` (``--url``, an older spelling, is kept as an alias) and
    ``--as`` to a command that opens a store: who opens it goes with it."""
    parser.add_argument(
        "--store",
        "--url",
        dest="store",
        metavar="URL",
        help="store URL, e.g. sqlite:///saihan.db (default: $SAIHAN_STORE_URL, "
        "else the embedded store)",
    )
    add_principal(parser)


def principal_of(args: argparse.Namespace) -> Principal | None:
    """The principal of ``--as``, else of the environment, else None."""
    text = getattr(args, "principal", None) or os.environ.get(ENVIRONMENT_VARIABLE) or None
    return None if text is None else parse_principal(text)

"""Loading directory documents, and the bundled sample Tokyo directory."""

from __future__ import annotations

import functools
import os

from saihan.directory._data import read_bytes
from saihan.directory.directory import Directory
from saihan.limits import DEFAULT_LIMITS, Limits, read_file

__all__ = ["load_directory", "sample_directory"]


def load_directory(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS) -> Directory:
    """Read and validate a directory document (JSON) from a file.

    Raises :class:`ValidationError` listing every problem, including a file
    that cannot be read and a document outside ``limits`` (see docs/limits.md).
    """
    from saihan.serialization import from_json

    return from_json(
        read_file(path, limits=limits, what="directory file"), Directory, limits=limits
    )


@functools.cache
def sample_directory() -> Directory:
    """The bundled sample directory of Tokyo's support network.

    Names of public bodies are real; every phone number, e-mail address and
    street address is an example value (``example.jp``), never a real line.
    ``meta.sample`` is True.  Built once and cached: it is immutable.

    The file ships with saihan and the tests check it against the schema and the
    limits (``tests/test_sample_directory.py``), so it is not checked again on every
    start: it is built straight from its JSON by the converter's fast twin, as a
    document the schema has accepted is, and the models' own checks (check digits,
    references) still run as the objects are made.
    """
    import json

    from saihan._validation import typed_already
    from saihan.serialization.converter import converter

    with typed_already():
        return converter.fast.structure(json.loads(read_bytes("sample_directory.json")), Directory)

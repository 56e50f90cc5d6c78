"""Loading directory documents, and the bundled sample Tokyo directory."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from saihan.directory._data import read_bytes
from saihan.directory.directory import Directory
from saihan.errors import ErrorItem, ValidationError

__all__ = ["load_directory", "sample_directory"]


def load_directory(path: str | os.PathLike[str]) -> Directory:
    """Read and validate a directory document (JSON) from a file.

    Raises :class:`ValidationError` listing every problem, including a file
    that cannot be read.
    """
    from saihan.serialization import from_json

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ValidationError(
            [ErrorItem("", f"cannot read {os.fspath(path)!r}: {error.strerror}")]
        ) from None
    return from_json(data, Directory)


@functools.cache
def sample_directory() -> Directory:
    """The bundled sample directory of Tokyo's support network.

    Names of public bodies are real; every phone number, e-mail address and
    street address is an example value (``example.jp``), never a real line.
    ``meta.sample`` is True.  Built once and cached: it is immutable.
    """
    from saihan.serialization import from_json

    return from_json(read_bytes("sample_directory.json"), Directory)

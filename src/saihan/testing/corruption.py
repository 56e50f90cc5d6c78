"""Corrupted documents, and the check that a loader survives them.

A loader passes when, for every corruption of a valid document, it either
returns or raises a :class:`saihan.errors.SaihanError`, and does so within a
time bound.  Use it on a loader of your own (a storage plugin's import, a
format plugin) the way saihan's suite uses it on its own::

    from hypothesis import given
    from saihan.testing.corruption import corrupted_bytes, survives

    @given(corrupted_bytes(VALID_DOCUMENT))
    def test_my_loader_survives(data: bytes) -> None:
        survives(my_loader, data)

The corruptions are the ones that found real escapes: truncation, bytes
flipped, spans deleted, duplicated or repeated, hostile fragments spliced in
(huge integers, deep nesting, lone surrogates, YAML aliases, impossible
dates, NUL bytes, long runs of one character).  Each stays a few hundred
kilobytes at most, so a trial measures the loader, not the test.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from saihan.errors import SaihanError

__all__ = [
    "HOSTILE_FRAGMENTS",
    "LoaderEscaped",
    "corrupted_bytes",
    "corrupted_text",
    "corrupted_zip_members",
    "survives",
    "zip_bomb",
]

HOSTILE_FRAGMENTS: tuple[bytes, ...] = (
    b"9" * 5000,  # over Python's int() digit limit
    b"-" + b"1" * 400,
    b"[" * 5000,
    b"{" * 5000,
    b'{"a":' * 3000,
    b"- " * 3000,  # YAML sequence nesting
    b'"\\ud800"',  # a lone surrogate in JSON
    b"\xed\xa0\x80",  # a lone surrogate's bytes (not UTF-8)
    b"\xff\xfe",
    b"\x00",
    b"&a [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
    b"2024-02-30",
    b"2024-13-01T25:61:00",
    b"1e999999",
    b"NaN",
    b"x" * 200_000,
    b"BEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
    b"DTSTART:\r\nDTSTART:20240101\r\n",
    b"RRULE:FREQ=SECONDLY;COUNT=99999999\r\n",
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
    b'",""\n' * 100,
    b"\r" * 1000,
    b"\xef\xbb\xbf",
)
"""Fragments that broke loaders once, spliced into valid documents by the strategies."""


class LoaderEscaped(AssertionError):
    """A loader raised something other than a SaihanError, or took too long."""


def corrupted_bytes(valid: bytes) -> Any:
    """A Hypothesis strategy of corruptions of the valid document ``valid``."""
    from hypothesis import strategies as st

    size = len(valid)
    position = st.integers(min_value=0, max_value=size)

    def truncate(at: int) -> bytes:
        return valid[:at]

    def flip(at: int, byte: int) -> bytes:
        if not size:
            return bytes([byte])
        at = min(at, size - 1)
        return valid[:at] + bytes([byte]) + valid[at + 1 :]

    def delete(start: int, length: int) -> bytes:
        return valid[:start] + valid[start + length :]

    def repeat(start: int, length: int, times: int) -> bytes:
        span = valid[start : start + length]
        return valid[:start] + span * times + valid[start:]

    def splice(at: int, fragment: bytes, replace: int) -> bytes:
        return valid[:at] + fragment + valid[at + replace :]

    return st.one_of(
        st.builds(truncate, position),
        st.builds(flip, position, st.integers(min_value=0, max_value=255)),
        st.builds(delete, position, st.integers(min_value=1, max_value=64)),
        st.builds(repeat, position, st.integers(min_value=1, max_value=64), st.integers(2, 200)),
        st.builds(
            splice,
            position,
            st.sampled_from(HOSTILE_FRAGMENTS) | st.binary(min_size=1, max_size=32),
            st.integers(min_value=0, max_value=16),
        ),
    )


def corrupted_text(valid: str) -> Any:
    """Corruptions of a valid text document, as ``str`` (bytes that do not decode as
    UTF-8 are decoded with ``surrogateescape``, so lone surrogates reach the loader)."""
    return corrupted_bytes(valid.encode("utf-8")).map(
        lambda data: data.decode("utf-8", errors="surrogateescape")
    )


def corrupted_zip_members(valid: bytes) -> Any:
    """Valid ZIP archives ``valid`` with one member's content corrupted (by
    :func:`corrupted_bytes`) and the archive rebuilt, so that a trial gets past the ZIP
    layer to the loader of the member; mixed with corruptions of the archive itself."""
    import io
    import zipfile

    from hypothesis import strategies as st

    with zipfile.ZipFile(io.BytesIO(valid)) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    if not members:
        return corrupted_bytes(valid)

    def rebuild(index: int, content: bytes) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
            for position, (info, data) in enumerate(members):
                out.writestr(info.filename, content if position == index else data)
        return buffer.getvalue()

    def member(index: int) -> Any:
        return corrupted_bytes(members[index][1]).map(lambda content: rebuild(index, content))

    chosen = st.integers(min_value=0, max_value=len(members) - 1).flatmap(member)
    return st.one_of(chosen, chosen, corrupted_bytes(valid))


def zip_bomb(name: str, size: int, *, lying_header: bool = False) -> bytes:
    """A small ZIP archive holding one member ``name`` of ``size`` zero bytes (deflated,
    some 1,000 times smaller).  With ``lying_header``, the headers claim 1 byte."""
    import struct
    import zipfile
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(compressor.compress(bytes(size % len(chunk))))
    parts.append(compressor.flush())
    deflated = b"".join(parts)
    crc = 0
    for _ in range(size // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(bytes(size % len(chunk)), crc)
    claimed = 1 if lying_header else size
    encoded = name.encode("utf-8")
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, zipfile.ZIP_DEFLATED, 0, 0x21,
        crc, len(deflated), claimed, len(encoded), 0,
    )  # fmt: skip
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, zipfile.ZIP_DEFLATED, 0, 0x21,
        crc, len(deflated), claimed, len(encoded), 0, 0, 0, 0, 0, 0,
    ) + encoded  # fmt: skip
    body = local + encoded + deflated
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(body), 0)
    return body + central + end


def survives(load: Callable[[Any], object], data: Any, *, seconds: float = 5.0) -> None:
    """Call ``load(data)``; fail unless it returns or raises a SaihanError within ``seconds``.

    On the main thread of a POSIX process the bound is enforced with a timer
    signal, so a loader that hangs fails the trial instead of holding the suite;
    elsewhere the time is measured and a slow trial fails after it returns.
    """
    start = time.perf_counter()
    with _deadline(seconds):
        try:
            load(data)
        except _Overran:
            raise LoaderEscaped(f"the loader was still running after {seconds:.2f} s") from None
        except SaihanError:
            pass
        except Exception as error:
            raise LoaderEscaped(
                f"{type(error).__name__} escaped the loader: {str(error)[:300]}"
            ) from error
    elapsed = time.perf_counter() - start
    if elapsed > seconds:
        raise LoaderEscaped(f"the loader took {elapsed:.2f} s; the bound is {seconds:.2f} s")


class _Overran(BaseException):
    # A BaseException, so that a loader's own ``except Exception`` cannot swallow it.
    pass


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def overran(signum: int, frame: object) -> None:
        raise _Overran

    previous = signal.signal(signal.SIGALRM, overran)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

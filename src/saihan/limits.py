"""Limits on what saihan reads, and safe parsers that keep to them.

Every loader and importer (directory JSON, cases, rules, flows, iCalendar,
HSDS JSON and tabular packages, open-data CSV, store URLs) reads through the
functions here, so that no document, however hostile, makes saihan hang, run
out of memory or raise anything but :class:`~saihan.errors.ValidationError`.

The limits are generous for real data (Tokyo's whole directory is well under
a megabyte) and small enough that a trial of the worst document allowed
finishes in seconds.  A caller with larger honest data passes its own
:class:`Limits` (``attrs.evolve(DEFAULT_LIMITS, max_document_bytes=...)``).
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import attrs

from saihan.errors import ErrorItem, ValidationError

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "check_text",
    "check_tree",
    "parse_json",
    "parse_yaml",
    "read_file",
    "read_zip",
]


@attrs.frozen
class Limits:
    """The bounds a document must keep to.  Each is checked before the work it bounds."""

    max_document_bytes: int = 16 * 1024 * 1024
    """Size of one document (a JSON or YAML file, an iCalendar file, a ZIP archive)."""
    max_depth: int = 64
    """Nesting of mappings and sequences."""
    max_string_length: int = 100_000
    """Characters in one string value (a long description fits many times over)."""
    max_collection_size: int = 100_000
    """Items in one mapping or sequence (and rows in one CSV table)."""
    max_int_digits: int = 20
    """Digits in one integer (no field of any model needs more than a few)."""
    max_yaml_aliases: int = 100
    """YAML alias uses (``*anchor``) in one document; unlimited aliases expand exponentially."""
    max_yaml_nodes: int = 100_000
    """Values in one YAML document counted with every alias expanded (a few aliases nested
    a few deep, a "billion laughs", stay under ``max_yaml_aliases`` yet expand past any
    memory); a rule or flow file has a few thousand."""
    max_calendar_entries: int = 10_000
    """Content lines of one iCalendar file (properties, BEGIN and END lines), counted before
    it is parsed, and the dates its EXDATEs list (each becomes a closure)."""
    max_zip_members: int = 1_000
    """Members in one ZIP archive."""
    max_zip_member_bytes: int = 64 * 1024 * 1024
    """Uncompressed size of one ZIP member, counted while reading, not taken from the header."""
    max_zip_total_bytes: int = 256 * 1024 * 1024
    """Uncompressed size of all the members read from one archive."""
    max_errors: int = 1_000
    """Problems listed in one ValidationError (then one line says how many more)."""


DEFAULT_LIMITS = Limits()


def _size_error(what: str, size: int, limit: int, path: str = "") -> ValidationError:
    return ValidationError([ErrorItem(path, f"{what} is {size:,}; the limit is {limit:,}")])


def check_text(
    text: str | bytes, *, limits: Limits = DEFAULT_LIMITS, path: str = "", what: str = "document"
) -> str:
    """The text of a document, decoded and checked.

    Refuses a document over ``max_document_bytes``, bytes that are not UTF-8
    (a BOM is dropped) and, in a ``str``, lone surrogates (which no UTF-8 file
    can hold; they come only from careless decoding).
    """
    if isinstance(text, bytes | bytearray | memoryview):
        raw = bytes(text)
        if len(raw) > limits.max_document_bytes:
            raise _size_error(f"the {what}'s size in bytes", len(raw), limits.max_document_bytes)
        try:
            decoded = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(
                [
                    ErrorItem(
                        path, f"the {what} is not UTF-8 text: {error.reason} at byte {error.start}"
                    )
                ]
            ) from None
        return decoded
    if not isinstance(text, str):
        raise ValidationError(
            [ErrorItem(path, f"expected text or bytes, got {type(text).__name__}")]
        )
    if len(text) > limits.max_document_bytes:
        # A character is at least one byte, so this bounds the encoded size from below.
        raise _size_error(f"the {what}'s length", len(text), limits.max_document_bytes)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError(
            [
                ErrorItem(
                    path,
                    f"the {what} contains a lone surrogate at character {error.start}: "
                    "not valid Unicode text",
                )
            ]
        ) from None
    return text.removeprefix("\ufeff")


def read_file(
    path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS, what: str = "file"
) -> bytes:
    """The bytes of a file, read no further than ``max_document_bytes``.

    A file that cannot be read, or is larger than the limit, is a
    :class:`ValidationError` naming it; a huge file is refused after reading
    one byte past the limit, not after reading all of it.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            data = file.read(limits.max_document_bytes + 1)
    except OSError as error:
        raise ValidationError(
            [ErrorItem("", f"cannot read {name!r}: {error.strerror or error}")]
        ) from None
    except ValueError as error:  # an embedded NUL in the name
        raise ValidationError([ErrorItem("", f"cannot read {name!r}: {error}")]) from None
    if len(data) > limits.max_document_bytes:
        raise ValidationError(
            [
                ErrorItem(
                    "",
                    f"the {what} {name!r} is larger than {limits.max_document_bytes:,} bytes "
                    "(the limit; pass your own Limits for larger honest data)",
                )
            ]
        )
    return data


def check_tree(data: Any, *, limits: Limits = DEFAULT_LIMITS, path: str = "") -> None:
    """Check parsed JSON-like data against the limits, without recursion.

    Refuses nesting deeper than ``max_depth``, strings longer than
    ``max_string_length`` or holding lone surrogates, collections larger than
    ``max_collection_size`` and integers with more than ``max_int_digits``
    digits.  Reports at most ``max_errors`` problems; the cost is linear in the
    size of the data.
    """
    _check_tree(data, limits, path, large=False)


# Parsed from more text than this, a document is first judged by jsonschema-rs against a
# schema of the limits (five times quicker than the walk in Python on a directory, but
# importing it and compiling the schema costs more than walking a small document).
_LARGE_TEXT = 64 * 1024
_RUST_MAX_DEPTH = 512  # jsonschema-rs recurses on the machine stack


def _check_tree(data: Any, limits: Limits, path: str, *, large: bool) -> None:
    judged = _rust_within(data, limits) if large else None
    if judged or (judged is None and _within(data, limits)):
        return
    errors: list[ErrorItem] = []
    more = 0
    stack: list[tuple[Any, str, int]] = [(data, path, 0)]
    while stack:
        value, where, depth = stack.pop()
        problem = _problem(value, depth, limits)
        if problem is not None:
            if len(errors) < limits.max_errors:
                errors.append(ErrorItem(where, problem))
            else:
                more += 1
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                key_text = str(key)
                key_problem = _string_problem(key_text, limits) if isinstance(key, str) else None
                if key_problem is not None:
                    if len(errors) < limits.max_errors:
                        errors.append(ErrorItem(where, f"a key {key_problem}"))
                    else:
                        more += 1
                    continue
                stack.append((item, f"{where}.{key_text}" if where else key_text, depth + 1))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                stack.append((item, f"{where}[{index}]", depth + 1))
    if more:
        errors.append(ErrorItem("", f"... and {more:,} more problems"))
    if errors:
        raise ValidationError(errors)


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # also a pair (an emoji): the walk


def _within(data: Any, limits: Limits) -> bool:
    """True when ``data`` keeps to the limits: the fast pass, which builds no paths.

    Only when it says no does :func:`check_tree` walk again to say where.
    """
    max_length = limits.max_string_length
    max_items = limits.max_collection_size
    max_depth = limits.max_depth
    max_bits = _int_bits(limits)
    stack: list[tuple[Any, int]] = [(data, 0)]
    pop = stack.pop
    push = stack.append
    while stack:
        value, depth = pop()
        kind = type(value)
        if kind is str:
            if len(value) > max_length or (not value.isascii() and _SURROGATE.search(value)):
                return False
        elif kind is dict:
            if depth >= max_depth or len(value) > max_items:
                return False
            for key, item in value.items():
                if type(key) is str and (
                    len(key) > max_length or (not key.isascii() and _SURROGATE.search(key))
                ):
                    return False
                push((item, depth + 1))
        elif kind is list or kind is tuple:
            if depth >= max_depth or len(value) > max_items:
                return False
            for item in value:
                push((item, depth + 1))
        elif kind is int:
            if value.bit_length() > max_bits:
                return False
        elif isinstance(value, str | dict | list | tuple | int) and not isinstance(value, bool):
            return False  # a subclass: let the slow pass judge it
    return True


def _rust_within(data: Any, limits: Limits) -> bool | None:
    """jsonschema-rs's answer to "does ``data`` keep to the limits?", or None without one
    (data it cannot read: other objects, some lone surrogates; limits deeper than it
    recurses).  It does not look for lone surrogates: only for data known to hold none.

    True is always right.  False may be too strict (a number near the integer bound, a
    str subclass): the walk in Python then has the last word and says where.
    """
    if limits.max_depth > _RUST_MAX_DEPTH:
        return None
    try:
        return bool(_limits_validator(limits).is_valid(data))
    except Exception:  # not JSON that Rust can read
        return None


@functools.lru_cache(maxsize=8)
def _limits_validator(limits: Limits) -> Any:
    """A validator of the limits: one schema per level of nesting, the last holding only
    scalars.  Numbers are bounded below the integer limit (10**digits < 2**bits), so a
    number it accepts has no more digits than allowed."""
    import jsonschema_rs

    bound = 10**limits.max_int_digits - 1
    levels: dict[str, Any] = {}
    for depth in range(limits.max_depth + 1):
        branches: list[dict[str, Any]] = [
            {"type": "string", "maxLength": limits.max_string_length},
            {"type": "number", "minimum": -bound, "maximum": bound},
            {"type": ["boolean", "null"]},
        ]
        if depth < limits.max_depth:
            inner = {"$ref": f"#/$defs/level{depth + 1}"}
            branches += [
                {"type": "array", "maxItems": limits.max_collection_size, "items": inner},
                {
                    "type": "object",
                    "maxProperties": limits.max_collection_size,
                    "propertyNames": {"maxLength": limits.max_string_length},
                    "additionalProperties": inner,
                },
            ]
        levels[f"level{depth}"] = {"anyOf": branches}
    schema = {"$ref": "#/$defs/level0", "$defs": levels}
    return jsonschema_rs.validator_for(schema)


def _int_bits(limits: Limits) -> int:
    # 10**digits needs digits * log2(10) bits; a few bits of slack for the sign and rounding.
    return int(limits.max_int_digits * 3.33) + 4


def _problem(value: Any, depth: int, limits: Limits) -> str | None:
    if isinstance(value, str):
        return _string_problem(value, limits)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        # Count digits without str(): str() of a huge int is itself quadratic (and refused).
        if value.bit_length() > _int_bits(limits):
            return f"is an integer with more than {limits.max_int_digits} digits"
        return None
    if isinstance(value, dict | list | tuple):
        if depth >= limits.max_depth:
            return f"is nested more than {limits.max_depth} levels deep"
        if len(value) > limits.max_collection_size:
            return f"has {len(value):,} items; the limit is {limits.max_collection_size:,}"
    return None


def _string_problem(value: str, limits: Limits) -> str | None:
    if len(value) > limits.max_string_length:
        return (
            f"is a string of {len(value):,} characters; the limit is {limits.max_string_length:,}"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"contains a lone surrogate at character {error.start}: not valid Unicode text"
    return None


def parse_json(
    text: str | bytes, *, limits: Limits = DEFAULT_LIMITS, what: str = "document"
) -> Any:
    """Parse JSON text within the limits; every failure is a :class:`ValidationError`."""
    decoded = check_text(text, limits=limits, what=what)
    try:
        data = _json_loads(decoded, limits, what)
    except json.JSONDecodeError as error:
        raise ValidationError(
            [
                ErrorItem(
                    "", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
                )
            ]
        ) from None
    # jsonschema-rs does not see lone surrogates inside a document (it takes them for
    # text), and they come only from \\u escapes: large text without one goes to it.
    large = len(decoded) > _LARGE_TEXT and not _SURROGATE_ESCAPE.search(decoded)
    _check_tree(data, limits, "", large=large)
    return data


def _json_loads(decoded: str, limits: Limits, what: str) -> Any:
    """json.loads with bounded integers; raises JSONDecodeError for text that is not JSON
    and ValidationError for everything else that is wrong."""
    try:
        return json.loads(decoded, parse_int=_bounded_int(limits), parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise ValidationError(
            [ErrorItem("", f"the {what} is nested more than {limits.max_depth} levels deep")]
        ) from None
    except ValidationError:
        raise
    except ValueError as error:  # e.g. an integer too long for int()
        raise ValidationError([ErrorItem("", f"not valid JSON: {error}")]) from None


def _bounded_int(limits: Limits) -> Any:
    def parse(digits: str) -> int:
        if len(digits.lstrip("-")) > limits.max_int_digits:
            raise ValidationError(
                [ErrorItem("", f"an integer has more than {limits.max_int_digits} digits")]
            )
        return int(digits)

    return parse


def _no_constant(name: str) -> Any:
    raise ValidationError([ErrorItem("", f"{name} is not a JSON value")])


def parse_yaml(
    text: str | bytes, *, limits: Limits = DEFAULT_LIMITS, what: str = "document"
) -> Any:
    """Parse YAML (or JSON) safely within the limits.

    Uses PyYAML's safe loader with alias uses counted (``max_yaml_aliases``),
    nesting bounded while composing (so a deep document fails before it costs
    recursion) and impossible values (``2024-02-30``, huge integers) reported
    as :class:`ValidationError` with their line.
    """
    import yaml

    decoded = check_text(text, limits=limits, what=what)
    if decoded.lstrip()[:1] in ("{", "[", '"'):
        # JSON is read as JSON: exactly (libyaml refuses the surrogate-pair escapes that
        # json.dumps writes for characters beyond the BMP) and much faster.  A YAML flow
        # collection that is not JSON falls through to the YAML parser.
        try:
            data = _json_loads(decoded, limits, what)
        except json.JSONDecodeError:
            pass
        else:
            check_tree(data, limits=limits)
            return data
    loader = _limited_loader(limits)(decoded)
    try:
        data = loader.get_single_data()
    except _LimitExceeded as error:
        raise ValidationError([ErrorItem("", str(error))]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise ValidationError(
            [ErrorItem("", f"not valid YAML or JSON{where}: {getattr(error, 'problem', error)}")]
        ) from None
    except RecursionError:
        raise ValidationError(
            [ErrorItem("", f"the {what} is nested more than {limits.max_depth} levels deep")]
        ) from None
    except (ValueError, TypeError, OverflowError) as error:
        # The safe constructor's own failures: dates that do not exist, unhashable keys.
        mark = getattr(loader, "_last_mark", None)
        where = f" near line {mark.line + 1}" if mark is not None else ""
        raise ValidationError(
            [ErrorItem("", f"not a valid YAML value{where}: {type(error).__name__}: {error}")]
        ) from None
    finally:
        loader.dispose()
    check_tree(data, limits=limits)
    return data


def _join_surrogate_pairs(text: str) -> str:
    """PyYAML reads the JSON escape of a character beyond the BMP (``"\\ud83d\\ude00"``)
    as two lone surrogates; join such pairs into the character they stand for.  A
    surrogate without its pair is left for :func:`check_tree` to refuse."""
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return text


class _LimitExceeded(Exception):
    pass


def _limited_loader(limits: Limits) -> Any:
    import yaml
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    # libyaml's C parser when it is there (a pure-Python parse of a few megabytes takes tens
    # of seconds), but always PyYAML's Python composer, so that nesting, aliases and the
    # expanded size are counted here (the C composer recurses without a bound).
    parser: Any = None
    bases: tuple[type, ...] = (yaml.SafeLoader,)
    if yaml.__with_libyaml__:
        from yaml._yaml import CParser

        parser = CParser
        bases = (Composer, CParser, SafeConstructor, Resolver)

    class LimitedLoader(*bases):  # type: ignore[misc]
        """Safe loading that counts alias uses, nesting and the expanded size as it composes."""

        def __init__(self, stream: str) -> None:
            if parser is not None:
                parser.__init__(self, stream)
                Composer.__init__(self)
                SafeConstructor.__init__(self)
                Resolver.__init__(self)
            else:
                yaml.SafeLoader.__init__(self, stream)
            self._aliases = 0
            self._depth = 0
            self._nodes = 0
            self._sizes: dict[int, int] = {}
            self._last_mark: Any = None

        def _count(self, nodes: int) -> None:
            self._nodes += nodes
            if self._nodes > limits.max_yaml_nodes:
                raise _LimitExceeded(
                    f"the document has more than {limits.max_yaml_nodes:,} values "
                    "with its YAML aliases expanded"
                )

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > limits.max_yaml_aliases:
                    raise _LimitExceeded(
                        f"the document uses more than {limits.max_yaml_aliases} YAML aliases"
                    )
                node = super().compose_node(parent, index)
                size = self._sizes.get(id(node))
                if size is None:  # the alias is inside the node it names: endless
                    raise _LimitExceeded("a YAML alias refers to a node that contains it")
                self._count(size)
                return node
            self._depth += 1
            if self._depth > limits.max_depth:
                raise _LimitExceeded(
                    f"the document is nested more than {limits.max_depth} levels deep"
                )
            # The running count over a node's composition is its expanded size: each alias
            # inside it added the expanded size of what it names.
            before = self._nodes
            self._count(1)
            try:
                node = super().compose_node(parent, index)
            finally:
                self._depth -= 1
            self._sizes[id(node)] = self._nodes - before
            return node

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            self._last_mark = node.start_mark
            if node.tag == "tag:yaml.org,2002:int":
                digits = str(node.value).replace("_", "").lstrip("+-")
                if len(digits) > limits.max_int_digits:
                    raise _LimitExceeded(
                        f"an integer near line {node.start_mark.line + 1} has more than "
                        f"{limits.max_int_digits} digits"
                    )
            if (
                isinstance(node, yaml.ScalarNode)
                and len(str(node.value)) > limits.max_string_length
            ):
                raise _LimitExceeded(
                    f"a value near line {node.start_mark.line + 1} is longer than "
                    f"{limits.max_string_length:,} characters"
                )
            value = super().construct_object(node, deep)
            if type(value) is str and not value.isascii() and _SURROGATE.search(value):
                value = _join_surrogate_pairs(value)
            return value

    return LimitedLoader


def read_zip(
    data: bytes, *, limits: Limits = DEFAULT_LIMITS, what: str = "archive"
) -> Iterator[tuple[str, bytes]]:
    """The members of a ZIP archive as ``(name, bytes)``, read within the limits.

    Refuses an archive over ``max_document_bytes``, with more than
    ``max_zip_members`` members, or whose members decompress past
    ``max_zip_member_bytes`` each or ``max_zip_total_bytes`` together.  Sizes
    are counted while decompressing, so a header that lies does not help a
    ZIP bomb.  Directories are skipped.  A corrupt member is a ValidationError
    naming it.
    """
    if len(data) > limits.max_document_bytes:
        raise _size_error(f"the {what}'s size in bytes", len(data), limits.max_document_bytes)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise ValidationError([ErrorItem("", f"not a ZIP {what}: {error}")]) from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_zip_members:
            raise _size_error(f"the {what}'s member count", len(members), limits.max_zip_members)
        total = 0
        for info in members:
            if info.is_dir():
                continue
            # The header's size is checked first, so an honest bomb costs no decompression;
            # the count below catches a header that lies (zipfile stops at the header's size
            # and then fails the CRC, but the count does not rely on that).
            if info.file_size > limits.max_zip_member_bytes:
                raise _size_error(
                    "the member's uncompressed size",
                    info.file_size,
                    limits.max_zip_member_bytes,
                    info.filename,
                )
            if total + info.file_size > limits.max_zip_total_bytes:
                raise _size_error(
                    f"the {what}'s uncompressed size",
                    total + info.file_size,
                    limits.max_zip_total_bytes,
                    info.filename,
                )
            chunks: list[bytes] = []
            size = 0
            try:
                with archive.open(info) as member:
                    while True:
                        chunk = member.read(1024 * 1024)
                        if not chunk:
                            break
                        size += len(chunk)
                        total += len(chunk)
                        if size > limits.max_zip_member_bytes:
                            raise _size_error(
                                "the member's uncompressed size",
                                size,
                                limits.max_zip_member_bytes,
                                info.filename,
                            )
                        if total > limits.max_zip_total_bytes:
                            raise _size_error(
                                f"the {what}'s uncompressed size",
                                total,
                                limits.max_zip_total_bytes,
                                info.filename,
                            )
                        chunks.append(chunk)
            except ValidationError:
                raise
            except (
                zipfile.BadZipFile,
                zipfile.LargeZipFile,
                NotImplementedError,
                RuntimeError,  # encrypted members
                ValueError,
                OSError,
                EOFError,
                zlib.error,
            ) as error:
                raise ValidationError(
                    [
                        ErrorItem(
                            info.filename, f"a corrupt ZIP member: {type(error).__name__}: {error}"
                        )
                    ]
                ) from None
            yield info.filename, b"".join(chunks)

"""Error paths as the document has them.

Models hold sets (``needs``, ``audiences``) as frozensets and check their
members in sorted order, so a model's own error says ``needs[1]`` for the
second member *when sorted*.  The document may list them in another order;
:func:`document_path` walks the document with its schema and rewrites each
such index to the member's position in the document.
"""

from __future__ import annotations

import re
from typing import Any

from saihan.errors import ErrorItem

__all__ = ["document_path", "document_paths"]

_SEGMENT = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and pick the non-null branch of an optional."""
    for _ in range(20):
        if not isinstance(schema, dict):
            return {}
        if "$ref" in schema:
            schema = root.get("$defs", {}).get(schema["$ref"].rsplit("/", 1)[-1], {})
        elif "anyOf" in schema:
            branches = [
                branch
                for branch in schema["anyOf"]
                if not (isinstance(branch, dict) and branch.get("type") == "null")
            ]
            schema = branches[0] if branches else {}
        else:
            return schema
    return {}


def _sort_key(items_schema: dict[str, Any]) -> Any:
    allowed = items_schema.get("enum")
    if isinstance(allowed, list):
        return lambda value: allowed.index(value) if value in allowed else len(allowed)
    return lambda value: value


def document_path(item: ErrorItem, data: Any, schema: dict[str, Any]) -> ErrorItem:
    """``item`` with every set-member index replaced by its index in ``data``."""
    return document_paths([item], data, schema)[0]


def document_paths(items: list[ErrorItem], data: Any, schema: dict[str, Any]) -> list[ErrorItem]:
    """:func:`document_path` of each item; each set is sorted once, however many items
    point into it (so the cost is linear in the number of items, not their product
    with the set's size)."""
    orders: dict[int, dict[int, int]] = {}
    return [_document_path(item, data, schema, orders) for item in items]


def _document_path(
    item: ErrorItem, data: Any, schema: dict[str, Any], orders: dict[int, dict[int, int]]
) -> ErrorItem:
    node: Any = data
    current: Any = schema
    parts: list[str] = []
    for index_text, name in _SEGMENT.findall(item.path):
        resolved = _resolve(current, schema)
        if name:
            parts.append(f".{name}" if parts else name)
            current = resolved.get("properties", {}).get(name, {})
            node = node.get(name) if isinstance(node, dict) else None
            continue
        index = int(index_text)
        if isinstance(node, list) and resolved.get("uniqueItems") and index < len(node):
            if id(node) not in orders:
                orders[id(node)] = _positions(node, _resolve(resolved.get("items", {}), schema))
            index = orders[id(node)].get(index, index)
        parts.append(f"[{index}]")
        current = resolved.get("items", {})
        node = node[index] if isinstance(node, list) and index < len(node) else None
    return ErrorItem("".join(parts), item.message)


def _positions(node: list[Any], items_schema: dict[str, Any]) -> dict[int, int]:
    """Sorted position to the position in ``node`` of the first member equal to it."""
    try:
        ordered = sorted(node, key=_sort_key(items_schema))
    except (TypeError, ValueError):
        return {}  # mixed types: the schema has already reported them
    first: dict[Any, int] = {}
    try:
        for position, value in enumerate(node):
            first.setdefault(value, position)
        return {rank: first[value] for rank, value in enumerate(ordered)}
    except TypeError:  # unhashable members (objects): compare them one by one
        return {rank: node.index(value) for rank, value in enumerate(ordered)}

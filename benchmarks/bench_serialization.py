"""Loading and writing a directory as JSON: saihan against pydantic v2 and msgspec.

Run from the repository root (``pip install -e ".[bench]"`` brings the peers)::

    python benchmarks/bench_serialization.py [--services 5000] [--runs 5]

The peers get models of the same data with the same checks a JSON Schema can say:
they are made here from saihan's own attrs classes, field by field (types, optional
fields and defaults, enums, patterns, lengths, ranges, unknown fields refused), as
pydantic ``BaseModel`` and msgspec ``Struct`` classes. saihan's ``from_json`` does
more than they do (the models' own checks: municipality check digits, references
between records, duplicate ids; and the limits on hostile input), which is part of
what is measured.

Prints, in one run, best of ``--runs``, on the bundled sample (240 services) and on a
synthetic directory of ``--services`` services (``saihan.testing.storage``):

1. **Load**: ``from_json(text, Directory)`` against ``Model.model_validate_json`` and
   ``msgspec.json.decode(text, type=...)``, and ``json.loads`` as the floor.
2. **Dump**: ``to_json(directory, indent=None)`` against ``model_dump_json`` and
   ``msgspec.json.encode`` (defaults left out by all three, as saihan writes them).

Each peer's result is checked first: it loads the document, and what it writes back is
the same JSON as saihan's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import json
import os
import time
import typing
from collections.abc import Callable
from typing import Annotated, Any

import attrs
import msgspec
import pydantic

from saihan.directory import Directory, sample_directory
from saihan.serialization import from_json, to_json, unstructure
from saihan.testing.storage import synthetic_directory

GOAL = 1.0  # from_json and to_json at most 1x pydantic v2 (issue 14)


# -- peer models, made from saihan's attrs classes --------------------------------------


def _constraints(schema: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema keywords of a field as pydantic/msgspec constraint names."""
    names = {
        "pattern": "pattern",
        "minLength": "min_length",
        "maxLength": "max_length",
        "minimum": "ge",
        "maximum": "le",
        "minItems": "min_length",
    }
    return {names[key]: value for key, value in schema.items() if key in names}


class _Maker:
    """Builds a pydantic model and a msgspec struct for each attrs class it meets."""

    def __init__(self) -> None:
        self.pydantic: dict[type, type[pydantic.BaseModel]] = {}
        self.msgspec: dict[type, type[msgspec.Struct]] = {}

    def kind(self, tp: Any, schema: dict[str, Any], peer: str) -> Any:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            options = [arg for arg in args if arg is not type(None)]
            inner = self.kind(options[0], schema, peer)
            return inner | None
        if origin in (tuple, frozenset):
            item_schema = dict(schema.get("items", {}))
            item = self.kind(args[0], item_schema, peer)
            collection = tuple[item, ...] if origin is tuple else frozenset[item]  # type: ignore[valid-type]
            outer = {k: v for k, v in schema.items() if k == "minItems"}
            return self._annotated(collection, _constraints(outer), peer)
        if attrs.has(tp):
            return self.model(tp, peer)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return tp
        if tp is dt.time:  # "08:30" in saihan's JSON: msgspec reads only HH:MM:SS, and
            return self._annotated(str, _constraints(schema), peer)  # pydantic writes it so
        if tp in (str, int, float, bool, dt.date, dt.datetime, dt.time):
            wanted = {k: v for k, v in schema.items() if k != "pattern" or tp is str}
            if tp in (int, float) and "enum" in schema:
                return typing.Literal[tuple(schema["enum"])]  # type: ignore[misc]
            return self._annotated(tp, _constraints(wanted), peer)
        raise TypeError(f"no peer type for {tp!r}")

    @staticmethod
    def _annotated(tp: Any, constraints: dict[str, Any], peer: str) -> Any:
        if not constraints:
            return tp
        if peer == "pydantic":
            return Annotated[tp, pydantic.Field(**constraints)]
        return Annotated[tp, msgspec.Meta(**constraints)]

    def model(self, cls: type, peer: str) -> Any:
        made = self.pydantic if peer == "pydantic" else self.msgspec
        if cls in made:
            return made[cls]
        hints = typing.get_type_hints(cls)
        fields: list[tuple[str, Any, Any]] = []
        for field in attrs.fields(cls):
            if not field.init:
                continue
            tp = self.kind(hints[field.name], dict(field.metadata.get("schema", {})), peer)
            if field.default is attrs.NOTHING:
                default: Any = ...
            elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                value = field.default.factory()
                default = self._default(value, hints[field.name], peer)
            else:
                default = self._default(field.default, hints[field.name], peer)
            fields.append((field.name, tp, default))
        if peer == "pydantic":
            config = pydantic.ConfigDict(extra="forbid", frozen=True)
            spec = {
                name: (
                    tp,
                    pydantic.Field(default_factory=default)
                    if callable(default) and not isinstance(default, enum.Enum)
                    else default,
                )
                for name, tp, default in fields
            }
            made[cls] = pydantic.create_model(cls.__name__, __config__=config, **spec)
        else:
            struct_fields = [
                (name, tp)
                if default is ...
                else (
                    name,
                    tp,
                    msgspec.field(default_factory=default)
                    if callable(default) and not isinstance(default, enum.Enum)
                    else default,
                )
                for name, tp, default in fields
            ]
            made[cls] = msgspec.defstruct(
                cls.__name__,
                struct_fields,
                kw_only=True,
                frozen=True,
                forbid_unknown_fields=True,
                omit_defaults=True,
            )
        return made[cls]

    def _default(self, value: Any, tp: Any, peer: str) -> Any:
        if attrs.has(type(value)):  # a default object (Eligibility(), the meta): the peer's
            peer_class = self.model(type(value), peer)
            data = unstructure(value)
            if peer == "pydantic":
                return lambda: peer_class.model_validate(data)
            return lambda: msgspec.convert(data, type=peer_class)
        if isinstance(value, dt.time):
            return value.strftime("%H:%M")
        return value


def _canonical(value: Any) -> Any:
    """JSON with every array sorted (the peers write sets in their own order) and empty
    objects left out (msgspec writes a default made by a factory)."""
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items() if item != {}}
    if isinstance(value, list):
        return sorted((_canonical(item) for item in value), key=json.dumps)
    return value


# -- timing -----------------------------------------------------------------------------


def best(runs: int, call: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def bench(label: str, directory: Directory, runs: int, maker: _Maker) -> None:
    text = to_json(directory, indent=None).encode("utf-8")
    model = maker.model(Directory, "pydantic")
    struct = maker.model(Directory, "msgspec")
    # Each peer really loads this document and writes back saihan's JSON.
    expected = _canonical(json.loads(text))
    loaded_p = model.model_validate_json(text)
    loaded_m = msgspec.json.decode(text, type=struct)
    assert _canonical(json.loads(loaded_p.model_dump_json(exclude_defaults=True))) == expected
    assert _canonical(json.loads(msgspec.json.encode(loaded_m))) == expected
    assert from_json(text, Directory) == directory

    print(f"{label}: {len(directory.services):,} services, {len(text) / 1e6:.2f} MB")
    load = {
        "saihan from_json": best(runs, lambda: from_json(text, Directory)),
        "pydantic model_validate_json": best(runs, lambda: model.model_validate_json(text)),
        "msgspec json.decode": best(runs, lambda: msgspec.json.decode(text, type=struct)),
        "json.loads (no model)": best(runs, lambda: json.loads(text)),
    }
    dump = {
        "saihan to_json": best(runs, lambda: to_json(directory, indent=None)),
        "pydantic model_dump_json": best(
            runs, lambda: loaded_p.model_dump_json(exclude_defaults=True)
        ),
        "msgspec json.encode": best(runs, lambda: msgspec.json.encode(loaded_m)),
    }
    for title, timings, ours in (
        ("load", load, "saihan from_json"),
        ("dump", dump, "saihan to_json"),
    ):
        print(f"  {title} (best of {runs}):")
        for name, seconds in timings.items():
            ratio = timings[ours] / seconds
            print(f"    {name:30s} {seconds * 1e3:9.2f} ms   saihan/this {ratio:6.2f}x")
        versus = (
            timings[ours]
            / timings[f"pydantic {'model_validate_json' if title == 'load' else 'model_dump_json'}"]
        )
        print(
            f"    goal <= {GOAL:.0f}x pydantic: {'yes' if versus <= GOAL else 'no'} ({versus:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    print(f"pydantic {pydantic.VERSION}, msgspec {msgspec.__version__}")
    maker = _Maker()
    bench("bundled sample", sample_directory(), args.runs, maker)
    bench("synthetic", synthetic_directory(args.services), args.runs, maker)


if __name__ == "__main__":
    main()

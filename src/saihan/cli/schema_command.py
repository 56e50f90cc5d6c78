"""``saihan schema``: print or write the JSON Schemas of the public models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from saihan.cli.common import EXIT_OK
from saihan.errors import ValidationError
from saihan.serialization import published_schemas

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``schema`` command to the top-level subparsers."""
    schema = commands.add_parser("schema", help="print or write the JSON Schemas of the models")
    schema.add_argument("model", nargs="?", help="model name, e.g. Service (default: all)")
    schema.add_argument("--write", type=Path, metavar="DIR", help="write every schema into DIR")
    schema.set_defaults(handler=_schema)


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    schemas = published_schemas()
    if args.model is not None:
        key = f"{args.model}.schema.json"
        if key not in schemas:
            names = ", ".join(sorted(name.removesuffix(".schema.json") for name in schemas))
            raise ValidationError(f"no model {args.model!r}; the models are {names}", path="model")
        schemas = {key: schemas[key]}
    if args.write is None:
        if len(schemas) == 1:
            json.dump(next(iter(schemas.values())), out, ensure_ascii=False, indent=2)
        else:
            json.dump(schemas, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    args.write.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas.items():
        text = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
        (args.write / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(schemas)} schemas to {args.write}", file=sys.stderr)
    return EXIT_OK

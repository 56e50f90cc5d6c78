"""JSON in and out for every public model, and their JSON Schemas.

One cattrs converter (:data:`converter`) owns (un)structuring; loading
validates completely and raises :class:`~saihan.errors.ValidationError` with
every bad field path.
"""

from saihan.serialization.converter import converter, from_json, structure, to_json, unstructure
from saihan.serialization.models import public_models, published_schemas
from saihan.serialization.schema import json_schema, schema_errors

__all__ = [
    "converter",
    "from_json",
    "json_schema",
    "public_models",
    "published_schemas",
    "schema_errors",
    "structure",
    "to_json",
    "unstructure",
]

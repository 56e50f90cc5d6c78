"""The schemas in docs/schemas/ are the ones the code generates."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from saihan.errors import ValidationError
from saihan.serialization import json_schema, public_models, published_schemas

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schemas"
REGENERATE = "regenerate them with: saihan schema --write docs/schemas"


def test_every_published_schema_matches_the_code() -> None:
    expected = published_schemas()
    on_disk = {path.name for path in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == set(expected), f"schema files differ from the models; {REGENERATE}"
    for name, schema in expected.items():
        stored = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
        assert stored == schema, f"{name} is out of date; {REGENERATE}"


@pytest.mark.parametrize("model", public_models(), ids=lambda model: model.__name__)
def test_schemas_are_valid_draft_2020_12(model: type) -> None:
    schema = json_schema(model)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


def test_json_schema_refuses_non_models() -> None:
    with pytest.raises(ValidationError, match="not a saihan model"):
        json_schema(dict)

import pytest

from saihan import errors
from saihan.errors import ErrorItem, ValidationError, join_path


def test_every_error_is_a_saihan_error() -> None:
    for name in (
        "ValidationError",
        "NotFoundError",
        "ConflictError",
        "PluginError",
        "ConsentError",
        "ConsentRefusedError",
    ):
        assert issubclass(getattr(errors, name), errors.SaihanError)
    assert issubclass(errors.ConsentRefusedError, errors.ConsentError)


def test_validation_error_lists_every_item_in_str() -> None:
    error = ValidationError(
        [ErrorItem("services[3].eligibility.min_age", "expected integer"), ErrorItem("", "bad")]
    )
    text = str(error)
    assert text.splitlines()[0] == "2 validation errors:"
    assert "services[3].eligibility.min_age: expected integer" in text
    assert "<root>: bad" in text
    assert error.paths == ["services[3].eligibility.min_age", ""]


def test_validation_error_from_a_message_has_one_item() -> None:
    error = ValidationError("no good", path="meta.name")
    assert error.errors == [ErrorItem("meta.name", "no good")]
    assert isinstance(error, ValueError)


def test_validation_error_needs_items() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ValidationError([])


@pytest.mark.parametrize(
    ("prefix", "path", "joined"),
    [
        ("services", "[3].name", "services[3].name"),
        (3, "eligibility.min_age", "[3].eligibility.min_age"),
        ("services", "", "services"),
        ("", "name", "name"),
        ("meta", "name.ja", "meta.name.ja"),
    ],
)
def test_join_path(prefix: str | int, path: str, joined: str) -> None:
    assert join_path(prefix, path) == joined


def test_under_prefixes_every_path() -> None:
    error = ValidationError([ErrorItem("id", "x"), ErrorItem("[0]", "y")]).under("agencies")
    assert error.paths == ["agencies.id", "agencies[0]"]

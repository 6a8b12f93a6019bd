"""One wording for pydantic's validation errors, whoever reports them (configuration, the HTTP
service, the export format)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from interview_orchestrator.validation_errors import describe_error, error_location


class _Item(BaseModel):
    name: str


class _Form(BaseModel):
    items: list[_Item]
    size: int


def first_error(data: object) -> dict[str, object]:
    with pytest.raises(ValidationError) as raised:
        _Form.model_validate(data)
    return dict(raised.value.errors()[0])


def test_a_location_names_fields_with_dots_and_list_positions_in_brackets() -> None:
    assert error_location(("items", 3, "name")) == "items[3].name"
    assert error_location((0, "name")) == "[0].name"
    assert error_location(()) == ""


def test_an_error_is_worded_as_its_location_and_pydantics_message() -> None:
    error = first_error({"items": [{"name": "a"}, {"name": 7}], "size": 1})
    assert describe_error(error) == "items[1].name: Input should be a valid string"


def test_an_error_on_the_whole_value_is_just_the_message() -> None:
    assert describe_error({"loc": (), "msg": "Input should be an object"}) == (
        "Input should be an object"
    )


def test_the_origin_of_a_value_follows_its_error_when_known() -> None:
    error = first_error({"items": [], "size": "big"})
    assert describe_error(error, {"size": "from INTERVIEW_SIZE"}) == (
        "size: Input should be a valid integer, unable to parse string as an integer "
        "(from INTERVIEW_SIZE)"
    )
    assert describe_error(error, {"other": "from elsewhere"}).endswith("an integer")

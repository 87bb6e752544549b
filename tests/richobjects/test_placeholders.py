from __future__ import annotations

from typing import Any

import pytest

from richobjects.builders import (
    BuildError,
    BuildErrors,
    placeholders_in,
    render_placeholders,
)


def test_fills_every_string_from_nested_params() -> None:
    spec = {
        "summary": "Hi {{customer.name}}, how can we help?",
        "items": [
            "Order {{ order.id }}",
            {"id": "x", "title": "{{customer.name}}'s bike"},
        ],
        "count": 3,
    }

    rendered = render_placeholders(
        spec, {"customer": {"name": "Ann"}, "order": {"id": 42}}
    )

    assert rendered == {
        "summary": "Hi Ann, how can we help?",
        "items": ["Order 42", {"id": "x", "title": "Ann's bike"}],
        "count": 3,
    }


def test_flat_dotted_keys_work_too() -> None:
    assert render_placeholders("{{customer.name}}", {"customer.name": "Ann"}) == "Ann"


def test_missing_value_names_the_placeholder_and_where_it_is() -> None:
    spec = {"received": {"title": "Hello {{customer.name}}"}, "items": ["{{order.id}}"]}

    with pytest.raises(BuildError) as excinfo:
        render_placeholders(spec, {"customer": {}})

    assert isinstance(excinfo.value, BuildErrors)
    assert excinfo.value.as_dict() == {
        "received.title": ["placeholder {{customer.name}} has no value"],
        "items[0]": ["placeholder {{order.id}} has no value"],
    }


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_values_are_errors_not_blanks(blank: Any) -> None:
    with pytest.raises(
        BuildError, match=r"summary: placeholder \{\{customer.name\}\} has no value"
    ):
        render_placeholders(
            {"summary": "Hi {{customer.name}}"}, {"customer": {"name": blank}}
        )


def test_input_is_left_untouched() -> None:
    spec = {"summary": "Hi {{name}}"}

    render_placeholders(spec, {"name": "Ann"})

    assert spec == {"summary": "Hi {{name}}"}


def test_text_that_only_looks_like_a_placeholder_is_kept() -> None:
    assert render_placeholders("{ {x} } and {{ 1bad }}", {}) == "{ {x} } and {{ 1bad }}"


def test_keys_are_not_rendered() -> None:
    assert render_placeholders({"{{k}}": "v"}, {}) == {"{{k}}": "v"}


def test_placeholders_in_lists_each_name_once_in_order() -> None:
    spec = {
        "a": "{{customer.name}} {{order.id}}",
        "b": ["{{customer.name}}", {"c": "{{x}}"}],
    }

    assert placeholders_in(spec) == ["customer.name", "order.id", "x"]

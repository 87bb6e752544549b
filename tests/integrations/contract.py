"""Checks a received webhook against the contract in ``/api/schema/`` (``webhooks``)."""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft202012Validator
from rest_framework.test import APIClient


@functools.cache
def _schema() -> dict[str, Any]:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def assert_matches_contract(body: dict[str, Any]) -> None:
    """The body is exactly what the schema's webhook of its ``type`` documents."""
    schema = _schema()
    post = schema["webhooks"][body["type"]]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    components = schema["components"]
    validator = Draft202012Validator(
        {"$ref": ref, "components": components},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)
    ]
    assert not errors, errors
    # Nothing undocumented either: every key sent is in the schema.
    name = ref.rsplit("/", 1)[-1]
    _no_extra_keys(body, components["schemas"][name], components["schemas"])


def _no_extra_keys(value: Any, schema: dict[str, Any], all_: dict[str, Any]) -> None:
    if "$ref" in schema:
        schema = all_[schema["$ref"].rsplit("/", 1)[-1]]
    for option in schema.get("oneOf", []) + schema.get("allOf", []):
        if option.get("type") != "null" and value is not None:
            _no_extra_keys(value, option, all_)
    if isinstance(value, dict) and "properties" in schema:
        extra = set(value) - set(schema["properties"])
        assert not extra, f"undocumented keys {extra}"
        for key, item in value.items():
            _no_extra_keys(item, schema["properties"][key], all_)

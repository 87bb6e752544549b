"""A client that knows nothing of the code: only ``/api/schema/``.

Operations are found by ``operationId``; path and query parameters must be ones
the operation declares; a body is built from its request component (required
properties present, every value valid for its property, nothing undeclared);
every answer is checked against the schema of its status. What a generated
client does, small enough to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from jsonschema import Draft202012Validator


class ContractError(AssertionError):
    """The request or the answer is not what the schema says."""


@dataclass
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    def parameters(self, location: str) -> dict[str, dict[str, Any]]:
        return {
            p["name"]: p for p in self.spec.get("parameters", []) if p["in"] == location
        }


class SchemaClient:
    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Token {token}"}, timeout=15
        )
        answer = self.http.get("/api/schema/", headers={"Accept": "application/json"})
        answer.raise_for_status()
        self.schema: dict[str, Any] = answer.json()
        self.operations = {
            spec["operationId"]: Operation(method.upper(), path, spec)
            for path, item in self.schema["paths"].items()
            for method, spec in item.items()
        }

    def close(self) -> None:
        self.http.close()

    # Schemas ------------------------------------------------------------------

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(
            {**schema, "components": self.schema["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            return self.schema["components"]["schemas"][schema["$ref"].split("/")[-1]]
        return schema

    def _check(self, value: Any, schema: dict[str, Any], what: str) -> None:
        errors = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in self._validator(schema).iter_errors(value)
        ]
        if errors:
            raise ContractError(f"{what}: {errors}")

    def body(self, operation_id: str, **values: Any) -> dict[str, Any]:
        """A request body for the operation from its component alone."""
        content = self.operations[operation_id].spec["requestBody"]["content"]
        component = self._resolve(content["application/json"]["schema"])
        properties = component.get("properties", {})
        unknown = set(values) - set(properties)
        if unknown:
            raise ContractError(f"{operation_id} takes no {sorted(unknown)}")
        missing = set(component.get("required", [])) - set(values)
        if missing:
            raise ContractError(f"{operation_id} needs {sorted(missing)}")
        for name, value in values.items():
            self._check(value, properties[name], f"{operation_id}.{name}")
        return values

    # Calls --------------------------------------------------------------------

    def call(
        self,
        operation_id: str,
        *,
        path: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        operation = self.operations[operation_id]
        path, query = path or {}, query or {}
        declared_path = operation.parameters("path")
        if set(path) != set(declared_path):
            raise ContractError(f"{operation_id} path takes {sorted(declared_path)}")
        undeclared = set(query) - set(operation.parameters("query"))
        if undeclared:
            raise ContractError(f"{operation_id} has no query {sorted(undeclared)}")
        for name, value in path.items():
            self._check(value, declared_path[name]["schema"], f"path {name}")
        response = self.http.request(
            operation.method,
            operation.path.format(**path),
            params=query,
            json=body,
            headers=headers,
        )
        documented = operation.spec["responses"].get(str(response.status_code))
        if documented is None:
            raise ContractError(
                f"{operation_id} answered an undocumented {response.status_code}: "
                f"{response.text[:300]}"
            )
        data = None
        if "content" in documented:
            media = documented["content"]["application/json"]["schema"]
            data = response.json()
            self._check(data, media, f"{operation_id} {response.status_code} answer")
        elif response.content:
            raise ContractError(f"{operation_id}: a body where none is documented")
        return response.status_code, data

"""The OpenAPI schema is the API: every operation's errors, in the one envelope.

``ApiSchema`` (DRF's ``DEFAULT_SCHEMA_CLASS``) adds to each operation the error
answers it can give, from what the operation is (a write, a path with ids, a
body, filters) and from ``error_codes`` a view declares for its own rules, and
the ``Idempotency-Key`` header where the method replays (``idempotency.py``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

# PostgreSQL's bigint: larger ids cannot exist, and would not fit a query.
MAX_ID = 2**63 - 1

# What DRF and our handler answer for every API view, by status.
COMMON_ERRORS: dict[int, tuple[str, ...]] = {
    400: ("invalid", "parse_error"),
    401: ("not_authenticated", "authentication_failed"),
    403: ("permission_denied",),
    404: ("not_found",),
    415: ("unsupported_media_type",),
    429: ("throttled",),
}
IDEMPOTENCY_ERRORS: dict[int, tuple[str, ...]] = {
    400: ("invalid_idempotency_key",),
    409: ("idempotency_key_in_use",),
    422: ("idempotency_key_reused",),
}
STATUS_TEXT = {
    400: "The request is invalid",
    401: "No valid credentials",
    403: "Not allowed",
    404: "No such thing, or not yours",
    409: "In conflict with the current state",
    413: "Too large",
    415: "Unsupported body type",
    422: "Same Idempotency-Key, different request",
    429: "Too many writes; retry after the Retry-After header's seconds",
}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="stable, machine-readable; each response lists its codes"
    )
    message = serializers.CharField(help_text="for people, in English")
    # DRF's metaclass moves declared fields off the class; the stubs see the
    # Serializer attributes of the same names.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        required=False,
        help_text="with `invalid`: the request's fields and what is wrong with each",
    )

    class Meta:
        ref_name = "ErrorDetail"


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()

    class Meta:
        ref_name = "Error"


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Up to 255 characters, unique per intended write (a UUID). The first "
        "successful answer is kept for 24 hours for this key and caller and "
        "replayed, with `Idempotent-Replayed: true`; the same key with another "
        "request gets 422."
    ),
)


def error_response(status: int, codes: tuple[str, ...] | list[str]) -> OpenApiResponse:
    listed = ", ".join(f"`{code}`" for code in dict.fromkeys(codes))
    return OpenApiResponse(
        ErrorSerializer,
        description=f"{STATUS_TEXT.get(status, 'Error')}. Codes: {listed}.",
    )


def is_idempotent(view: Any, method: str) -> bool:
    handler = getattr(view, method.lower(), None)
    return bool(getattr(handler, "idempotent", False))


class ApiSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if is_idempotent(self.view, self.method):
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _error_codes(self) -> dict[int, list[str]]:
        errors: dict[int, list[str]] = {401: [], 403: []}
        has_ids = "{" in self.path
        has_body = self.method in ("POST", "PUT", "PATCH") and bool(
            self.get_request_serializer()
        )
        takes_filters = bool(self._get_filter_parameters()) or bool(
            [p for p in self.get_override_parameters() if not isinstance(p, str)]
        )
        if has_ids:
            errors[404] = []
        if has_body or takes_filters or self._is_list_view():
            errors[400] = []
        if has_body:
            errors[415] = []
        if self.method != "GET":
            errors[429] = []
        for status in errors:
            errors[status] += COMMON_ERRORS.get(status, ())
        if is_idempotent(self.view, self.method):
            for status, codes in IDEMPOTENCY_ERRORS.items():
                errors.setdefault(status, []).extend(codes)
        declared = getattr(self.view, "error_codes", {})
        if isinstance(declared, dict):
            declared = declared.get(self.method, declared)
        for status, codes in declared.items():
            if isinstance(status, int):
                errors.setdefault(status, []).extend(codes)
        return errors

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if not self.path.startswith("/api/"):
            return responses  # a webhook we send: the receiver's answers are theirs
        for status, codes in sorted(self._error_codes().items()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    error_response(status, codes), str(status), direction=direction
                )
        return responses


def blank_strings_any_of(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Spectacular writes a blank-allowed URL or e-mail field as ``oneOf: [{maxLength:
    0}, {format: …}]``; '' can match both, and a strict validator then refuses it.
    ``anyOf`` says what is meant (a postprocessing hook, for every such field)."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            options = node.get("oneOf")
            if isinstance(options, list) and any(
                isinstance(o, dict) and o.get("maxLength") == 0 for o in options
            ):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result

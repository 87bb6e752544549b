"""The one shape of every list in the API: ``{"results", "next", "previous"}``.

A cursor (DRF's ``CursorPagination``), not an offset: pages stay stable while new
messages and conversations arrive, and the database seeks instead of counting.
``limit`` sets the page size; ``next``/``previous`` are the URLs of the pages
around, null at either end. A view names its order with ``page_ordering``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


class CursorPage(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    page_size_query_description = "How many per page: 1 to 500 (default 50)."
    cursor_query_description = "The page: copy it from `next` or `previous`."
    max_page_size = 500
    ordering = "-id"

    def get_ordering(
        self, request: Request, queryset: Any, view: Any
    ) -> tuple[str, ...]:
        return (getattr(view, "page_ordering", self.ordering),)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            # A bad cursor is the caller's input, not a missing thing.
            raise exceptions.ValidationError({"cursor": [str(exc.detail)]}) from exc

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        fits = raw is None or (
            raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size
        )
        if not fits:
            raise exceptions.ValidationError(
                {"limit": [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return super().get_page_size(request) or self.page_size

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        page_url = {"type": ["string", "null"], "format": "uri"}
        # OpenAPI 3.1 is JSON Schema: null is a type (DRF writes 3.0's `nullable`).
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {
                "results": schema,
                "next": {**page_url, "description": "the next page; null on the last"},
                "previous": {**page_url, "description": "null on the first page"},
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters


def paginate(request: Request, view: Any, queryset: Any, serializer_class: Any) -> Any:
    """One page of ``queryset`` as the list answer."""
    paginator = CursorPage()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)

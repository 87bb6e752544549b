"""The audit log page and its CSV export (the business's admins only)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from conversations.exceptions import ApplicationError
from conversations.models import Business
from conversations.permissions import admin_required

from .selectors import audit_actions, audit_csv_rows, audit_entries, audit_filter_parse

PAGE_SIZE = 50


@admin_required
def audit_log(request: HttpRequest, business: Business) -> HttpResponse:
    try:
        filters = audit_filter_parse(request.GET)
    except ApplicationError as exc:
        return render(
            request,
            "trust/audit.html",
            {"business": business, "error": exc.message, "actions": []},
            status=400,
        )
    entries = audit_entries(business_id=business.pk, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "trust/audit.html",
        {
            "business": business,
            "page": page,
            "filters": filters,
            "actions": audit_actions(business_id=business.pk),
            "query": query.urlencode(),
        },
    )


@admin_required
def audit_log_csv(request: HttpRequest, business: Business) -> HttpResponse:
    try:
        filters = audit_filter_parse(request.GET)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain")
    entries = audit_entries(business_id=business.pk, filters=filters).iterator()
    # Streamed: a year of a busy business's log is not held in memory.
    response = StreamingHttpResponse(audit_csv_rows(entries), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="audit-{business.pk}.csv"'
    return response  # type: ignore[return-value]

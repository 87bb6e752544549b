"""The audit log page and its CSV export (the business's admins only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from conversations.exceptions import ApplicationError, NotFoundError
from conversations.models import Business
from conversations.permissions import admin_required
from conversations.types import AuthenticatedHttpRequest

from .models import UserSession
from .selectors import audit_actions, audit_csv_rows, audit_entries, audit_filter_parse
from .sessions import idle_limit, session_end

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


@login_required
def session_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "trust/sessions.html",
        {
            "sessions": UserSession.objects.filter(user=request.user),
            "current": request.session.session_key,
            "idle_hours": round(idle_limit().total_seconds() / 3600, 1),
        },
    )


@require_POST
@login_required
def session_end_view(
    request: AuthenticatedHttpRequest, session_id: int
) -> HttpResponse:
    try:
        session_end(user=request.user, session_id=session_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    messages.success(
        request, gettext("Session ended; its open tabs were disconnected.")
    )
    return redirect("trust:sessions")

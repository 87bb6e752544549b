"""The reports page and its CSV export (console, session auth)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from businesses.models import Team
from conversations.exceptions import ApplicationError
from conversations.models import Membership
from conversations.types import AuthenticatedHttpRequest

from .export import report_csv
from .reports import report_build
from .selectors import report_is_admin, report_memberships, report_scope_for


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


@login_required
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        scope = report_scope_for(user=request.user, params=request.GET)
    except ApplicationError as exc:
        return render(
            request,
            "insights/reports.html",
            {
                "error": exc.message,
                "memberships": report_memberships(user=request.user),
            },
            status=exc.status_code,
        )
    report = report_build(scope)
    is_admin = report_is_admin(user=request.user, scope=scope)
    context: dict[str, Any] = {
        "report": report,
        "scope": scope,
        "is_admin": is_admin,
        "memberships": report_memberships(user=request.user),
        "agents": Membership.objects.filter(business=scope.business)
        .select_related("user")
        .order_by("user__username")
        if is_admin
        else [],
        "teams": Team.objects.filter(business=scope.business) if is_admin else [],
        "frt": {
            k: _duration(v) if k != "count" else v
            for k, v in report["first_response_seconds"].items()
        },
        "res": {
            k: _duration(v) if k != "count" else v
            for k, v in report["resolution_seconds"].items()
        },
        "agent_rows": [
            {
                **row,
                "frt": _duration(row["first_response_median"]),
                "res": _duration(row["resolution_median"]),
            }
            for row in report["by_agent"]
        ],
        "team_rows": [
            {
                **row,
                "frt": _duration(row["first_response_median"]),
                "res": _duration(row["resolution_median"]),
            }
            for row in report["by_team"]
        ],
        "label_rows": [
            {
                **row,
                "frt": _duration(row["first_response_median"]),
                "res": _duration(row["resolution_median"]),
            }
            for row in report["by_label"]
        ],
        "query": request.GET.urlencode(),
        "total_opened": sum(day["opened"] for day in report["days"]),
        "total_resolved": sum(day["resolved"] for day in report["days"]),
        "sla_first": _percent(report["sla"]["first_response"]["attainment"]),
        "sla_resolution": _percent(report["sla"]["resolution"]["attainment"]),
    }
    return render(request, "insights/reports.html", context)


@login_required
def reports_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        scope = report_scope_for(user=request.user, params=request.GET)
    except ApplicationError as exc:
        return HttpResponse(
            exc.message, status=exc.status_code, content_type="text/plain"
        )
    body = report_csv(report_build(scope))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="report-{scope.business.pk}-{scope.start}-{scope.end}.csv"'
    )
    return response

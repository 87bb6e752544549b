from __future__ import annotations

from django.urls import path

from . import apis, views

app_name = "insights"

urlpatterns = [
    path("console/reports/", views.reports, name="reports"),
    path("console/reports/export.csv", views.reports_csv, name="reports-csv"),
    path("api/v1/reports/summary/", apis.ReportSummaryApi.as_view(), name="api-report"),
]

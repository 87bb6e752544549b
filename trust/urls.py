from __future__ import annotations

from django.urls import path

from . import views

app_name = "trust"

urlpatterns = [
    path("console/businesses/<int:business_id>/audit/", views.audit_log, name="audit"),
    path(
        "console/businesses/<int:business_id>/audit/export.csv",
        views.audit_log_csv,
        name="audit-csv",
    ),
]

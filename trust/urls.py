from __future__ import annotations

from django.urls import path

from . import data_views, second_factor_views, views

app_name = "trust"

urlpatterns = [
    path(
        "accounts/2fa/verify/",
        second_factor_views.second_factor_verify,
        name="second-factor-verify",
    ),
    path(
        "accounts/2fa/setup/",
        second_factor_views.second_factor_setup,
        name="second-factor-setup",
    ),
    path(
        "accounts/2fa/recovery-codes/",
        second_factor_views.recovery_codes,
        name="recovery-codes",
    ),
    path(
        "console/businesses/<int:business_id>/security/",
        second_factor_views.security_policy,
        name="security",
    ),
    path("console/account/sessions/", views.session_list, name="sessions"),
    path(
        "console/account/sessions/<int:session_id>/end/",
        views.session_end_view,
        name="session-end",
    ),
    path("console/businesses/<int:business_id>/audit/", views.audit_log, name="audit"),
    path(
        "console/businesses/<int:business_id>/audit/export.csv",
        views.audit_log_csv,
        name="audit-csv",
    ),
    path(
        "console/businesses/<int:business_id>/customers/",
        data_views.customer_data,
        name="customer-data",
    ),
    path(
        "console/businesses/<int:business_id>/customers/<int:customer_id>/export/",
        data_views.customer_data_start,
        {"kind": "export"},
        name="customer-export",
    ),
    path(
        "console/businesses/<int:business_id>/customers/<int:customer_id>/erase/",
        data_views.customer_data_start,
        {"kind": "erase"},
        name="customer-erase",
    ),
    path(
        "console/data-requests/<int:request_id>/download/",
        data_views.export_download,
        name="export-download",
    ),
    path(
        "api/v1/businesses/<int:business_id>/customers/<int:customer_id>/export/",
        data_views.CustomerExportApi.as_view(),
        name="api-customer-export",
    ),
    path(
        "api/v1/businesses/<int:business_id>/customers/<int:customer_id>/erase/",
        data_views.CustomerEraseApi.as_view(),
        name="api-customer-erase",
    ),
    path(
        "api/v1/data-requests/<int:request_id>/",
        data_views.DataRequestDetailApi.as_view(),
        name="api-data-request",
    ),
    path(
        "api/v1/data-requests/<int:request_id>/download/",
        data_views.DataRequestDownloadApi.as_view(),
        name="api-data-request-download",
    ),
]

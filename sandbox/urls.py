"""Routes of the simulator: the customer's pages and Apple's gateway under v1/."""

from __future__ import annotations

from django.urls import path

from . import gateway_views, provider, try_it, views

app_name = "sandbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("c/<str:key>/", views.chat, name="chat"),
    path(
        "c/<str:key>/attachments/",
        views.customer_attachment,
        name="customer-attachment",
    ),
    path(
        "c/<str:key>/files/<int:message_id>/<int:index>/",
        views.business_file,
        name="business-file",
    ),
    path(
        "try/<int:business_id>/<int:object_id>/",
        try_it.try_rich_object,
        name="try-rich-object",
    ),
    path("v1/message", gateway_views.message, name="message"),
    path("v1/authenticate", gateway_views.authenticate, name="authenticate"),
    path("v1/preUpload", gateway_views.pre_upload, name="pre-upload"),
    path("v1/preDownload", gateway_views.pre_download, name="pre-download"),
    path("v1/decodePayload", gateway_views.decode_payload, name="decode-payload"),
    path("v1/_mmcs/upload/<str:token>", gateway_views.mmcs_upload, name="mmcs-upload"),
    path(
        "v1/_mmcs/download/<str:token>",
        gateway_views.mmcs_download,
        name="mmcs-download",
    ),
    path("v1/_control", gateway_views.control, name="control"),
    # The business's provider, Apple Pay and processor (sandbox/provider.py).
    path("oauth/authorize", provider.oauth_authorize, name="oauth-authorize"),
    path("oauth/token", provider.oauth_token, name="oauth-token"),
    path(
        "applepay/paymentSession",
        provider.apple_pay_session,
        name="applepay-session",
    ),
    path("processor/charge", provider.processor_charge, name="processor-charge"),
]

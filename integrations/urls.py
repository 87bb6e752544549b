"""Integration settings pages, the payment gateway and the agent APIs."""

from __future__ import annotations

from django.urls import path

from . import apis, views

app_name = "integrations"

urlpatterns = [
    path(
        "integrations/businesses/<int:business_id>/oauth/",
        views.oauth_settings,
        name="oauth",
    ),
    path(
        "integrations/businesses/<int:business_id>/apple-pay/",
        views.apple_pay_settings,
        name="apple-pay",
    ),
    path(
        "integrations/businesses/<int:business_id>/webhooks/",
        views.webhooks,
        name="webhooks",
    ),
    path(
        "integrations/businesses/<int:business_id>/webhooks/<int:endpoint_id>/delete/",
        views.webhook_delete,
        name="webhook-delete",
    ),
    path(
        "integrations/businesses/<int:business_id>/webhooks/<int:endpoint_id>/test/",
        views.webhook_test,
        name="webhook-test",
    ),
    path(
        "integrations/businesses/<int:business_id>/webhooks/deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver,
        name="webhook-redeliver",
    ),
    path("integrations/pay/<str:token>/", views.pay, name="pay"),
    path("integrations/oauth/redirect/", views.oauth_redirect, name="oauth-redirect"),
    path(
        "api/v1/conversations/<int:conversation_id>/signin/",
        apis.SigninRequestSendApi.as_view(),
        name="signin-send",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/payment/",
        apis.PaymentRequestSendApi.as_view(),
        name="payment-send",
    ),
]

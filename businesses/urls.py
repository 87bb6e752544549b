"""URLs for channel settings, the landing page, entry points and routing."""

from __future__ import annotations

from django.urls import path

from . import apis, views

app_name = "businesses"

urlpatterns = [
    path("landing/", views.landing, name="landing"),
    path("api/v1/me/teams/", apis.MyTeamsApi.as_view(), name="my-teams"),
    path("landing/signup/", views.signup, name="signup"),
    path("landing/requests/", views.link_requests, name="link-requests"),
    path(
        "console/businesses/<int:business_id>/settings/",
        views.channel_settings,
        name="settings",
    ),
    path(
        "console/businesses/<int:business_id>/get-started/",
        views.onboarding,
        name="onboarding",
    ),
    path("businesses/<int:business_id>/logo.png", views.logo, name="logo"),
    path(
        "console/businesses/<int:business_id>/entry-points/",
        views.entry_points,
        name="entry-points",
    ),
    path(
        "console/businesses/<int:business_id>/entry-points/<int:entry_point_id>/delete/",
        views.entry_point_delete,
        name="entry-point-delete",
    ),
    path(
        "console/businesses/<int:business_id>/entry-points/<int:entry_point_id>/qr.<str:fmt>",
        views.entry_point_qr,
        name="entry-point-qr",
    ),
    path(
        "console/businesses/<int:business_id>/routing/",
        views.routing_page,
        name="routing",
    ),
    path(
        "console/c/<int:conversation_id>/escalate/",
        views.conversation_escalate,
        name="conversation-escalate",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/route/",
        apis.ConversationRouteApi.as_view(),
        name="conversation-route",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/escalate/",
        apis.ConversationEscalateApi.as_view(),
        name="conversation-escalate-api",
    ),
]

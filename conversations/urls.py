from __future__ import annotations

from django.urls import path

from . import apis, views

urlpatterns = [
    path("message", views.apple_webhook, name="apple-webhook"),
    path("api/v1/businesses/", apis.BusinessListApi.as_view(), name="business-list"),
    path(
        "api/v1/conversations/",
        apis.ConversationListApi.as_view(),
        name="conversation-list",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/",
        apis.ConversationDetailApi.as_view(),
        name="conversation-detail",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/messages/",
        apis.ConversationMessagesApi.as_view(),
        name="conversation-messages",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/typing/",
        apis.ConversationTypingApi.as_view(),
        name="conversation-typing",
    ),
    path(
        "api/v1/messages/<int:message_id>/",
        apis.MessageDetailApi.as_view(),
        name="message-detail",
    ),
    path(
        "api/v1/messages/<int:message_id>/retry/",
        apis.MessageRetryApi.as_view(),
        name="message-retry",
    ),
]

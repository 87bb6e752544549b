from __future__ import annotations

from django.urls import path

from . import apis, attachment_apis, token_apis, views, views_console

urlpatterns = [
    path("message", views.apple_webhook, name="apple-webhook"),
    path("api/v1/businesses/", apis.BusinessListApi.as_view(), name="business-list"),
    path(
        "api/v1/businesses/<int:business_id>/agents/",
        apis.BusinessAgentListApi.as_view(),
        name="business-agent-list",
    ),
    path(
        "api/v1/tokens/", token_apis.ApiTokenListCreateApi.as_view(), name="token-list"
    ),
    path(
        "api/v1/tokens/<int:token_id>/",
        token_apis.ApiTokenDetailApi.as_view(),
        name="token-detail",
    ),
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
    path(
        "api/v1/messages/<int:message_id>/drop/",
        apis.MessageDropApi.as_view(),
        name="message-drop",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/assign/",
        apis.ConversationAssignApi.as_view(),
        name="conversation-assign",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/status/",
        apis.ConversationStatusApi.as_view(),
        name="conversation-status",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/notes/",
        apis.NoteCreateApi.as_view(),
        name="conversation-notes",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/read/",
        apis.ConversationReadApi.as_view(),
        name="conversation-read",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/attachments/",
        attachment_apis.AttachmentSendApi.as_view(),
        name="conversation-attachments",
    ),
    path(
        "api/v1/attachments/<int:attachment_id>/retry/",
        attachment_apis.AttachmentRetryApi.as_view(),
        name="attachment-retry",
    ),
    path(
        "api/v1/attachments/<int:attachment_id>/file/",
        attachment_apis.AttachmentFileApi.as_view(),
        name="attachment-file",
    ),
    path(
        "api/v1/attachments/<int:attachment_id>/thumbnail/",
        attachment_apis.AttachmentThumbnailApi.as_view(),
        name="attachment-thumbnail",
    ),
    # The agent console (server-rendered pages).
    path("console/", views_console.inbox, name="console-inbox"),
    path(
        "console/c/<int:conversation_id>/",
        views_console.conversation_detail,
        name="console-conversation",
    ),
    path("console/search/", views_console.message_search, name="console-search"),
    path(
        "console/businesses/<int:business_id>/agents/",
        views_console.business_agents,
        name="console-agents",
    ),
    path(
        "console/businesses/<int:business_id>/agents/<int:membership_id>/remove/",
        views_console.business_agent_remove,
        name="console-agent-remove",
    ),
    path(
        "console/businesses/<int:business_id>/invitations/<int:invitation_id>/revoke/",
        views_console.business_invitation_revoke,
        name="console-invitation-revoke",
    ),
    path("console/tokens/", views_console.api_tokens_page, name="console-tokens"),
    path(
        "console/tokens/<int:token_id>/revoke/",
        views_console.api_token_revoke,
        name="console-token-revoke",
    ),
    path(
        "console/tokens/legacy/revoke/",
        views_console.legacy_token_revoke,
        name="console-legacy-token-revoke",
    ),
    path(
        "console/invitations/<str:token>/",
        views_console.invitation_accept,
        name="console-invitation",
    ),
]

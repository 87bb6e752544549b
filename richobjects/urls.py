from __future__ import annotations

from django.urls import path

from . import apis, canned_apis, views_canned

urlpatterns = [
    path(
        "api/v1/canned-replies/",
        canned_apis.CannedReplyListApi.as_view(),
        name="canned-reply-list",
    ),
    path(
        "api/v1/canned-replies/<int:reply_id>/",
        canned_apis.CannedReplyDetailApi.as_view(),
        name="canned-reply-detail",
    ),
    path(
        "api/v1/canned-replies/<int:reply_id>/render/",
        canned_apis.CannedReplyRenderApi.as_view(),
        name="canned-reply-render",
    ),
    path(
        "console/canned-replies/",
        views_canned.canned_replies,
        name="console-canned-replies",
    ),
    path(
        "api/v1/rich-objects/",
        apis.RichObjectListApi.as_view(),
        name="rich-object-list",
    ),
    path(
        "api/v1/rich-objects/<int:object_id>/",
        apis.RichObjectDetailApi.as_view(),
        name="rich-object-detail",
    ),
    path(
        "api/v1/conversations/<int:conversation_id>/rich/",
        apis.RichObjectSendApi.as_view(),
        name="conversation-rich-send",
    ),
    path(
        "api/v1/businesses/<int:business_id>/rich-objects/export",
        apis.RichObjectExportApi.as_view(),
        name="rich-object-export",
    ),
    path(
        "api/v1/businesses/<int:business_id>/rich-objects/import",
        apis.RichObjectImportApi.as_view(),
        name="rich-object-import",
    ),
]

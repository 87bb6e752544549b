from __future__ import annotations

from django.urls import path

from . import apis, canned_apis, views_canned, views_library

LIBRARY = "console/businesses/<int:business_id>/library/"

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
    # The library studio in the console (server-rendered pages).
    path(LIBRARY, views_library.library_list, name="library-list"),
    path(f"{LIBRARY}new/", views_library.library_new, name="library-new"),
    path(f"{LIBRARY}preview/", views_library.library_preview, name="library-preview"),
    path(f"{LIBRARY}images/", views_library.library_images, name="library-images"),
    path(
        f"{LIBRARY}images/<int:image_id>/",
        views_library.library_image,
        name="library-image",
    ),
    path(f"{LIBRARY}export/", views_library.library_export, name="library-export"),
    path(f"{LIBRARY}import/", views_library.library_import, name="library-import"),
    path(f"{LIBRARY}<int:object_id>/", views_library.library_edit, name="library-edit"),
    path(
        f"{LIBRARY}<int:object_id>/state/",
        views_library.library_state,
        name="library-state",
    ),
    path(
        f"{LIBRARY}<int:object_id>/versions/",
        views_library.library_history,
        name="library-history",
    ),
    path(
        f"{LIBRARY}<int:object_id>/versions/<int:number>/restore/",
        views_library.library_restore,
        name="library-restore",
    ),
]

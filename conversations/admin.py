from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .admin_scope import BusinessScopedAdmin
from .models import (
    Attachment,
    Business,
    Conversation,
    Customer,
    Membership,
    Message,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    # Business admins invite people from the console (the invitee accepts);
    # only operators write memberships here.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(Business)
class BusinessAdmin(BusinessScopedAdmin):
    list_display = ["name", "apple_id", "created_at"]
    search_fields = ["name", "apple_id"]
    inlines = [MembershipInline]


@admin.register(Customer)
class CustomerAdmin(BusinessScopedAdmin):
    list_display = ["apple_id", "display_name", "business"]
    search_fields = ["apple_id", "display_name"]
    list_select_related = ["business"]


@admin.register(Conversation)
class ConversationAdmin(BusinessScopedAdmin):
    list_display = [
        "id",
        "customer",
        "business",
        "status",
        "device_agent",
        "last_message_at",
    ]
    list_filter = ["status", "business"]
    list_select_related = ["customer", "business"]
    raw_id_fields = ["customer", "assigned_agent"]


@admin.register(Message)
class MessageAdmin(BusinessScopedAdmin):
    list_display = [
        "id",
        "apple_id",
        "direction",
        "kind",
        "status",
        "attempts",
        "created_at",
    ]
    list_filter = ["direction", "kind", "status"]
    search_fields = ["apple_id", "body"]
    raw_id_fields = ["conversation", "sender", "reply_to", "reaction_target"]


@admin.register(Attachment)
class AttachmentAdmin(BusinessScopedAdmin):
    # Read-only: the file itself is served only by the authorised API view, and
    # the descriptor may hold a decryption key.
    list_display = ["name", "mime_type", "size", "status", "message", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "sha256"]
    exclude = ["apple_descriptor", "file", "thumbnail"]
    readonly_fields = [
        "message",
        "position",
        "name",
        "mime_type",
        "size",
        "sha256",
        "status",
        "attempts",
        "last_error",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

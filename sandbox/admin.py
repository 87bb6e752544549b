"""Admin views of the simulator's state, for looking at what crossed the fake gateway."""

from __future__ import annotations

from django.contrib import admin

from .models import SandboxCustomer, SandboxMessage, SandboxUpload


@admin.register(SandboxCustomer)
class SandboxCustomerAdmin(admin.ModelAdmin):
    list_display = ["opaque_id", "business_apple_id", "device", "closed", "created_at"]
    list_filter = ["device", "closed"]
    search_fields = ["opaque_id", "business_apple_id", "display_name"]


@admin.register(SandboxMessage)
class SandboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "apple_id",
        "customer",
        "direction",
        "type",
        "delivery_status",
        "created_at",
    ]
    list_filter = ["direction", "type"]
    search_fields = ["apple_id"]


@admin.register(SandboxUpload)
class SandboxUploadAdmin(admin.ModelAdmin):
    list_display = ["token", "owner", "declared_size", "size", "created_at"]

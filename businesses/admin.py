"""Django admin for channel settings, entry points, teams, rules and routes."""

from __future__ import annotations

from django.contrib import admin

from conversations.admin_scope import BusinessScopedAdmin

from .models import (
    BusinessHours,
    BusinessLink,
    ChannelSettings,
    ConversationRoute,
    EntryPoint,
    IMessageApp,
    RoutingRule,
    Team,
)


@admin.register(ChannelSettings)
class ChannelSettingsAdmin(BusinessScopedAdmin):
    list_display = ["business", "display_name", "timezone", "updated_at"]
    exclude = ["logo_png"]


@admin.register(BusinessHours)
class BusinessHoursAdmin(BusinessScopedAdmin):
    list_display = ["business", "weekday", "opens", "closes"]
    list_filter = ["business"]


@admin.register(IMessageApp)
class IMessageAppAdmin(BusinessScopedAdmin):
    list_display = ["name", "business", "app_id", "bid"]


@admin.register(BusinessLink)
class BusinessLinkAdmin(BusinessScopedAdmin):
    list_display = ["apple_id", "business", "brand_name", "linked_by", "created_at"]
    search_fields = ["apple_id", "brand_name"]


@admin.register(EntryPoint)
class EntryPointAdmin(BusinessScopedAdmin):
    list_display = ["name", "business", "intent", "group"]


@admin.register(Team)
class TeamAdmin(BusinessScopedAdmin):
    list_display = ["name", "business"]
    filter_horizontal = ["members"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(BusinessScopedAdmin):
    list_display = [
        "name",
        "business",
        "position",
        "team",
        "priority",
        "bot",
        "enabled",
    ]
    list_filter = ["business", "enabled"]


@admin.register(ConversationRoute)
class ConversationRouteAdmin(BusinessScopedAdmin):
    list_display = [
        "conversation",
        "team_name",
        "rule_name",
        "priority",
        "bot",
        "escalated_at",
    ]
    raw_id_fields = ["conversation"]

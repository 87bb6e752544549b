from __future__ import annotations

from django.contrib import admin

from conversations.admin_scope import BusinessScopedAdmin

from .models import ConversationEvent, CsatSettings, CsatSurvey, SlaBreach, SlaPolicy


@admin.register(CsatSettings)
class CsatSettingsAdmin(BusinessScopedAdmin):
    list_display = ["business", "enabled", "delay_minutes", "question"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(BusinessScopedAdmin):
    list_display = [
        "business",
        "priority",
        "first_response_minutes",
        "resolution_minutes",
    ]


@admin.register(CsatSurvey)
class CsatSurveyAdmin(BusinessScopedAdmin):
    list_display = [
        "conversation",
        "resolution",
        "status",
        "score",
        "agent",
        "answered_at",
    ]
    list_filter = ["status", "score"]


@admin.register(SlaBreach)
class SlaBreachAdmin(BusinessScopedAdmin):
    list_display = ["conversation", "target", "priority", "due_at", "recorded_at"]


@admin.register(ConversationEvent)
class ConversationEventAdmin(BusinessScopedAdmin):
    list_display = ["conversation", "kind", "actor", "occurred_at"]
    list_filter = ["kind"]

"""What the audit log listens to: the core's domain events, Django's sign-in
signals, and saves of the settings-like models people change by hand.

A model save is logged only when a person or token is acting (a request with a
signed-in user): the system's own bookkeeping (facts, deliveries, routes) is
not "a write by a person". Assignment and status come from the core's events,
which carry the actor even when a task publishes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import signals as auth_signals
from django.contrib.auth.models import User
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import HttpRequest

from businesses import models as business_models
from conversations import events, realtime
from conversations import models as core
from insights import models as insight_models
from integrations import models as integration_models
from richobjects import models as library

from . import audit, second_factor, sessions
from .context import SYSTEM, current_request, request_actor, request_address
from .models import SecurityPolicy

BusinessOf = Callable[[Any], int | None]


def _own(instance: Any) -> int | None:
    return getattr(instance, "business_id", None)


# Each audited model and how to find the business its row belongs to.
AUDITED: dict[type[models.Model], BusinessOf] = {
    core.Business: lambda b: b.pk,
    core.Membership: _own,
    core.Invitation: _own,
    core.ApiToken: lambda t: None,
    business_models.ChannelSettings: _own,
    business_models.BusinessHours: _own,
    business_models.IMessageApp: _own,
    business_models.BusinessLink: _own,
    business_models.LinkRequest: _own,
    business_models.EntryPoint: _own,
    business_models.Team: _own,
    business_models.RoutingRule: _own,
    insight_models.CsatSettings: _own,
    insight_models.SlaPolicy: _own,
    SecurityPolicy: _own,
    integration_models.OAuthProvider: _own,
    integration_models.ApplePayMerchant: _own,
    integration_models.WebhookEndpoint: _own,
    library.RichObject: _own,
    library.RichObjectPublication: lambda p: p.rich_object.business_id,
}

# Names people use for the changes that matter most to them.
ACTION_NAMES = {
    ("richobjectpublication", "created"): "library.published",
    ("membership", "created"): "membership.added",
    ("membership", "deleted"): "membership.removed",
}


def _action(instance: models.Model, verb: str) -> str:
    name = instance._meta.model_name or ""
    if name == "richobject" and verb == "changed":
        state = getattr(instance, "state", "")
        if getattr(instance, "_audit_state_before", state) != state:
            return f"library.{state}"
    return ACTION_NAMES.get((name, verb), f"{name}.{verb}")


def on_pre_save(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    if (
        sender not in AUDITED
        or kwargs.get("raw")
        or request_actor(current_request()) is None
    ):
        return
    before = None
    if instance.pk is not None:
        row = sender._default_manager.filter(pk=instance.pk).first()
        if row is not None:
            before = audit.field_values(row)
            instance._audit_state_before = getattr(row, "state", None)
    instance._audit_before = before


def on_post_save(
    sender: type[models.Model], instance: Any, created: bool, **kwargs: Any
) -> None:
    if sender not in AUDITED or kwargs.get("raw"):
        return
    actor = request_actor(current_request())
    if actor is None:
        return
    before = None if created else getattr(instance, "_audit_before", None)
    changes = audit.diff(before, audit.field_values(instance))
    if not created and not changes:
        return
    audit.record(
        action=_action(instance, "created" if created else "changed"),
        business_id=AUDITED[sender](instance),
        target=instance,
        changes=changes,
        actor=actor,
    )


def on_post_delete(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    if sender not in AUDITED:
        return
    actor = request_actor(current_request())
    if actor is None:
        return
    audit.record(
        action=_action(instance, "deleted"),
        business_id=AUDITED[sender](instance),
        target=instance,
        changes=audit.diff(audit.field_values(instance), None),
        actor=actor,
    )


def on_note_saved(
    sender: type[core.Message], instance: core.Message, created: bool, **kwargs: Any
) -> None:
    if not created or instance.kind != core.Message.Kind.NOTE:
        return
    audit.record(
        action="note.created",
        business_id=instance.conversation.business_id,
        target=instance.conversation,
        changes={"note": [None, instance.body]},
        actor_id=instance.sender_id,
        actor_label=instance.sender.get_username() if instance.sender else "",
    )


def _user_label(user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = User.objects.filter(pk=user_id).first()
    return user.get_username() if user else f"#{user_id}"


def on_assigned(event: events.ConversationAssigned) -> None:
    audit.record(
        action="conversation.assigned",
        business_id=event.business_id,
        target_type="conversations.conversation",
        target_id=event.conversation_id,
        target_label=f"Conversation {event.conversation_id}",
        changes={
            "assignee": [
                _user_label(event.previous_assignee_id) or None,
                _user_label(event.assignee_id) or None,
            ]
        },
        # No actor: routing assigned it, whoever's request ran the task.
        actor=request_actor(current_request()) if event.actor_id else SYSTEM,
        actor_id=event.actor_id,
        actor_label=_user_label(event.actor_id),
    )


def on_status_changed(event: events.ConversationStatusChanged) -> None:
    audit.record(
        action="conversation.status",
        business_id=event.business_id,
        target_type="conversations.conversation",
        target_id=event.conversation_id,
        target_label=f"Conversation {event.conversation_id}",
        changes={"status": [event.old_status, event.new_status]},
        actor=request_actor(current_request()) if event.actor_id else None,
        actor_id=event.actor_id,
        actor_label=_user_label(event.actor_id)
        or ("customer" if event.actor_id is None else ""),
    )


def on_signed_in(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    for business_id in core.Membership.objects.filter(user=user).values_list(
        "business_id", flat=True
    ) or [None]:
        audit.record(
            action="auth.signed_in",
            business_id=business_id,
            target=user,
            target_label=user.get_username(),
            actor=request_actor(request),
            actor_id=user.pk,
            actor_label=user.get_username(),
        )


def on_sign_in_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first()
    business_ids: list[int | None] = (
        list(
            core.Membership.objects.filter(user=user).values_list(
                "business_id", flat=True
            )
        )
        if user
        else []
    ) or [None]
    for business_id in business_ids:
        entry_request = request or current_request()
        audit.AuditEntry.objects.create(
            action="auth.sign_in_failed",
            business_id=business_id,
            actor_id=user.pk if user else None,
            actor_label=username,
            via="console",
            address=request_address(entry_request) if entry_request else None,
            user_agent=(
                entry_request.META.get("HTTP_USER_AGENT", "")[:300]
                if entry_request
                else ""
            ),
            target_type="auth.user",
            target_id=str(user.pk) if user else "",
            target_label=username,
        )


def on_session_started(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.session_track(request, user)
        # Asked once here, so the first page after signing in does not.
        if not getattr(user, "otp_device", None):
            second_factor.second_factor_owed(request, user)


def on_session_closed(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.session_forget(request.session.session_key)


def connect() -> None:
    realtime.socket_gate_register(second_factor.socket_gate)
    auth_signals.user_logged_in.connect(
        on_session_started, dispatch_uid="trust.sessions.in"
    )
    auth_signals.user_logged_out.connect(
        on_session_closed, dispatch_uid="trust.sessions.out"
    )
    pre_save.connect(on_pre_save, dispatch_uid="trust.audit.pre_save")
    post_save.connect(on_post_save, dispatch_uid="trust.audit.post_save")
    post_delete.connect(on_post_delete, dispatch_uid="trust.audit.post_delete")
    post_save.connect(
        on_note_saved, sender=core.Message, dispatch_uid="trust.audit.note"
    )
    events.subscribe(events.ConversationAssigned, on_assigned)
    events.subscribe(events.ConversationStatusChanged, on_status_changed)
    auth_signals.user_logged_in.connect(on_signed_in, dispatch_uid="trust.audit.in")
    auth_signals.user_login_failed.connect(
        on_sign_in_failed, dispatch_uid="trust.audit.failed"
    )

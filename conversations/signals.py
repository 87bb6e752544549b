"""Close a person's sockets the moment their access changes: a membership is
removed, they sign out, or their password changes (a stolen session must not
keep listening)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, pre_save

from . import realtime
from .models import Membership


def _membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    realtime.user_sockets_close_on_commit(instance.user_id)


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        realtime.user_sockets_close_on_commit(user.pk)


def _password_may_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.pk is None or kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "password" not in update_fields:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True)
    old = stored.first()
    if old is not None and old != instance.password:
        realtime.user_sockets_close_on_commit(instance.pk)


def connect() -> None:
    post_delete.connect(_membership_deleted, sender=Membership, dispatch_uid="ws-m")
    user_logged_out.connect(_logged_out, dispatch_uid="ws-logout")
    pre_save.connect(
        _password_may_change, sender=get_user_model(), dispatch_uid="ws-password"
    )

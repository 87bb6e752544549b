"""Writing the audit log: one entry per write, with the changed fields and who."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.files import FieldFile

from conversations.models import Membership

from .context import Actor, current_request, request_actor
from .models import AuditEntry

MASK = "•••"
# Field names whose values never reach the log: only that they changed.
SECRET = re.compile(
    r"secret|password|token|key_hash|private|signing|api_key|^key$", re.I
)


def masked(field: str, value: Any) -> Any:
    if value in (None, ""):
        return value
    return MASK if SECRET.search(field) else value


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, bytes | memoryview):
            return f"<{len(o)} bytes>"
        if isinstance(o, FieldFile):
            return o.name or ""
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _plain(value: Any) -> Any:
    """A JSON-safe copy (dates, decimals, UUIDs as text, binary as its size)."""
    return json.loads(json.dumps(value, cls=_Encoder))


def field_values(instance: models.Model) -> dict[str, Any]:
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname != "id"
    }


def diff(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` of what differs, secrets masked."""
    before = before or {}
    after = after or {}
    changes: dict[str, list[Any]] = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old == new:
            continue
        if SECRET.search(field):
            changes[field] = [MASK if old else old, MASK if new else new]
        else:
            changes[field] = [old, new]
    return _plain(changes)


def record(
    *,
    action: str,
    business_id: int | None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    target_label: str = "",
    changes: dict[str, Any] | None = None,
    actor: Actor | None = None,
    actor_id: int | None = None,
    actor_label: str = "",
) -> AuditEntry:
    """Store one entry. The actor is the signed-in person or token of the request
    being served unless given; with neither it is the system."""
    if actor is None:
        actor = request_actor(current_request())
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        target_label = target_label or str(target)[:200]
    if actor is not None:
        actor_id, actor_label = actor.user_id, actor.label
    return AuditEntry.objects.create(
        action=action,
        business_id=business_id,
        actor_id=actor_id,
        actor_label=actor_label[:150],
        via=actor.via if actor else ("console" if actor_id else "system"),
        address=actor.address if actor else None,
        user_agent=actor.user_agent if actor else "",
        target_type=target_type,
        target_id=str(target_id or ""),
        target_label=target_label[:200],
        changes=_plain(changes or {}),
    )


def record_account(*, action: str, user: Any, **fields: Any) -> None:
    """An entry about a person's own account, in the log of every business they
    belong to (each business's admins see what happened to their members)."""
    business_ids: list[int | None] = list(
        Membership.objects.filter(user=user).values_list("business_id", flat=True)
    ) or [None]
    for business_id in business_ids:
        record(action=action, business_id=business_id, **fields)

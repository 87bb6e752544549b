"""Canned replies: manage them, and fill one for a conversation.

The filler is the library's (``builders.render_placeholders``) with the same
default values as a rich-object send, plus the agent and the customer's profile.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from conversations.exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from conversations.models import Business, Conversation, Membership
from conversations.types import User

from .. import builders
from ..models import CannedReply

logger = logging.getLogger(__name__)

SHORT_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_BODY = 5_000
MAX_PER_BUSINESS = 1_000


def _is_admin(user: User, business_id: int) -> bool:
    return Membership.objects.filter(
        user_id=user.pk, business_id=business_id, role=Membership.Role.ADMIN
    ).exists()


def _is_member(user: User, business_id: int) -> bool:
    return Membership.objects.filter(user_id=user.pk, business_id=business_id).exists()


def canned_reply_list_for_user(
    *, user: User, business_id: int | None = None, q: str = ""
) -> QuerySet[CannedReply]:
    """Shared replies of the user's businesses and the user's own."""
    qs = CannedReply.objects.filter(business__memberships__user=user).filter(
        Q(owner__isnull=True) | Q(owner=user)
    )
    if business_id is not None:
        qs = qs.filter(business_id=business_id)
    if q:
        qs = qs.filter(
            Q(short_code__icontains=q) | Q(title__icontains=q) | Q(body__icontains=q)
        )
    return qs.select_related("owner").order_by("short_code", "id")


def canned_reply_get_for_user(*, user: User, reply_id: int) -> CannedReply:
    reply = canned_reply_list_for_user(user=user).filter(id=reply_id).first()
    if reply is None:
        # Someone else's personal reply is as absent as one that never existed.
        raise NotFoundError(gettext("No such canned reply."))
    return reply


def _may_manage(
    reply_business_id: int, shared: bool, owner_id: int | None, actor: User
) -> None:
    if shared:
        if not _is_admin(actor, reply_business_id):
            raise PermissionDeniedError(
                gettext("Only admins manage shared canned replies.")
            )
    elif owner_id != actor.pk:
        raise PermissionDeniedError(
            gettext("Agents manage their own canned replies only.")
        )


def _clean(short_code: str, title: str, body: str) -> tuple[str, str, str]:
    code = (short_code or "").strip().lstrip("/").lower()
    if not SHORT_CODE.match(code):
        raise ApplicationError(
            gettext("A short code has 1 to 40 lowercase letters, digits, - or _."),
            code="invalid_short_code",
        )
    if not body or not body.strip():
        raise ApplicationError(
            gettext("A canned reply needs some text."), code="empty_text"
        )
    if len(body) > MAX_BODY:
        raise ApplicationError(
            gettext("A canned reply has at most %(max_body)s characters.")
            % {"max_body": MAX_BODY},
            code="text_too_long",
        )
    title = (title or "").strip()
    if len(title) > 120:
        raise ApplicationError(
            gettext("A title has at most 120 characters."), code="invalid_title"
        )
    return code, title, body


def canned_reply_create(
    *,
    business: Business,
    actor: User,
    short_code: str,
    body: str,
    title: str = "",
    shared: bool = False,
) -> CannedReply:
    if not _is_member(actor, business.pk):
        raise NotFoundError(gettext("No such business."))
    _may_manage(business.pk, shared, actor.pk, actor)
    code, title, body = _clean(short_code, title, body)
    if CannedReply.objects.filter(business=business).count() >= MAX_PER_BUSINESS:
        raise ApplicationError(
            gettext("A business has at most %(max_per_business)s canned replies.")
            % {"max_per_business": MAX_PER_BUSINESS},
            code="too_many_canned_replies",
        )
    try:
        with transaction.atomic():
            reply = CannedReply.objects.create(
                business=business,
                owner=None if shared else actor,
                short_code=code,
                title=title,
                body=body,
            )
    except IntegrityError as exc:
        raise ConflictError(
            gettext("There is already a canned reply /%(code)s.") % {"code": code},
            code="short_code_taken",
        ) from exc
    logger.info("canned_reply.created", extra={"reply": reply.id, "actor": actor.pk})
    return reply


def canned_reply_update(
    *, reply: CannedReply, actor: User, changes: dict[str, Any]
) -> CannedReply:
    _may_manage(reply.business_id, reply.shared, reply.owner_id, actor)
    code, title, body = _clean(
        changes.get("short_code", reply.short_code),
        changes.get("title", reply.title),
        changes.get("body", reply.body),
    )
    reply.short_code, reply.title, reply.body = code, title, body
    try:
        with transaction.atomic():
            reply.save(update_fields=["short_code", "title", "body", "updated_at"])
    except IntegrityError as exc:
        raise ConflictError(
            gettext("There is already a canned reply /%(code)s.") % {"code": code},
            code="short_code_taken",
        ) from exc
    return reply


def canned_reply_delete(*, reply: CannedReply, actor: User) -> None:
    _may_manage(reply.business_id, reply.shared, reply.owner_id, actor)
    reply.delete()


RESERVED = ("name", "email", "phone")


def _params(conversation: Conversation, agent: User) -> dict[str, Any]:
    customer = conversation.customer
    name = agent.get_full_name() if hasattr(agent, "get_full_name") else ""
    return {
        "customer": {
            # Custom attributes, as {{customer.plan}}; the profile's fields win.
            **{
                k: v
                for k, v in (customer.attributes or {}).items()
                if k not in RESERVED
            },
            "name": customer.display_name,
            "email": customer.email,
            "phone": customer.phone,
        },
        "agent": {
            "name": name or agent.get_username(),
            "first_name": getattr(agent, "first_name", "") or agent.get_username(),
        },
        "business": {"name": conversation.business.name},
    }


def canned_reply_render(
    *, reply: CannedReply, conversation: Conversation, agent: User
) -> tuple[str, list[str]]:
    """The reply's text for this conversation, and the placeholders left unfilled.

    An unknown value stays as ``{{name}}`` in the text for the agent to fix
    before sending, rather than refusing the whole reply.
    """
    if reply.business_id != conversation.business_id:
        raise NotFoundError(gettext("No such canned reply."))
    params = _params(conversation, agent)
    missing: list[str] = []
    for name in builders.placeholders_in(reply.body):
        value = builders.placeholder_value(params, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
            # A flat key wins in the filler: keep the placeholder as written.
            params[name] = "{{" + name + "}}"
    text = builders.render_placeholders(reply.body, params)
    return str(text), missing

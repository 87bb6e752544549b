"""Reads, always scoped to what the asking user may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Case,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from . import presentation
from .exceptions import NotFoundError
from .models import (
    Attachment,
    Business,
    Conversation,
    Customer,
    Invitation,
    Label,
    Membership,
    Message,
    ReadMarker,
)
from .previews import PreviewSource, message_preview
from .types import User


def business_ids_for_user(*, user: User | AnonymousUser) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).values_list("business_id", flat=True)
    )


def business_list_for_user(*, user: User) -> QuerySet[Business]:
    return Business.objects.filter(memberships__user=user).order_by("name")


def conversation_list_for_user(
    *,
    user: User,
    business: str | None = None,
    status: str | None = None,
) -> QuerySet[Conversation]:
    """Conversations of the user's businesses; `business` is our id or Apple's."""
    qs = Conversation.objects.filter(business__memberships__user=user)
    if business:
        if business.isascii() and business.isdigit() and int(business) < 2**63:
            qs = qs.filter(business_id=int(business))
        else:
            qs = qs.filter(business__apple_id=business)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("business", "customer", "assigned_agent")
        .prefetch_related("labels")
        .order_by("-last_message_at", "-id")
    )


def conversation_get_for_user(*, user: User, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.filter(
            id=conversation_id, business__memberships__user=user
        )
        # Labels load when serialized (one query), so reads that never show
        # them (a message page, typing) do not pay for them.
        .select_related("business", "customer", "assigned_agent")
        .first()
    )
    if conversation is None:
        # Same answer for "absent" and "not yours", so ids can't be probed.
        raise NotFoundError(gettext("No such conversation."))
    return conversation


def message_list(
    *, conversation: Conversation, after: int | None = None
) -> QuerySet[Message]:
    qs = (
        conversation.messages.select_related("sender")
        .prefetch_related("attachments")
        .order_by("id")
    )
    if after is not None:
        qs = qs.filter(id__gt=after)
    return qs


def message_get_for_user(*, user: User, message_id: int) -> Message:
    message = (
        Message.objects.filter(
            id=message_id, conversation__business__memberships__user=user
        )
        .select_related("sender", "conversation")
        .first()
    )
    if message is None:
        raise NotFoundError(gettext("No such message."))
    return message


# Console ---------------------------------------------------------------------

INBOX_PAGE_SIZE = 50
CONVERSATION_PAGE_SIZE = 100


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""  # "" for any status
    # "" anyone, "me", "none", "me_or_none" (the default view) or a user id
    assignee: str = ""
    business: int | None = None
    intent: str = ""
    label: int | None = None
    scope: str = ""  # a registered inbox scope ("my_teams"), or "" for all
    # "" latest first, "waiting": longest-waiting customers first, "priority":
    # the feature's priority (most urgent first), when one is registered
    sort: str = ""


# The inbox tabs: assignee values with their counts in one query.
INBOX_TABS = ("me_or_none", "me", "none", "")


def membership_list_for_user(*, user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .select_related("business")
        .order_by("business__name")
    )


def _assignee_q(assignee: str, user: User) -> Q:
    if assignee == "me":
        return Q(assigned_agent=user)
    if assignee == "none":
        return Q(assigned_agent__isnull=True)
    if assignee == "me_or_none":
        return Q(assigned_agent=user) | Q(assigned_agent__isnull=True)
    if assignee.isdigit():
        return Q(assigned_agent_id=int(assignee))
    return Q()


def _inbox_base(*, user: User, filters: InboxFilters) -> QuerySet[Conversation]:
    """The user's conversations under every filter but the assignee (the tabs)."""
    qs = Conversation.objects.filter(business__memberships__user=user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.business is not None:
        qs = qs.filter(business_id=filters.business)
    if filters.intent:
        qs = qs.filter(Q(intent=filters.intent) | Q(group=filters.intent))
    if filters.label is not None:
        qs = qs.filter(labels__id=filters.label)
    narrow = presentation.inbox_scope(filters.scope) if filters.scope else None
    if narrow is not None:
        qs = narrow(qs, user)
    return qs


def conversation_inbox_counts_for_user(
    *, user: User, filters: InboxFilters
) -> dict[str, int]:
    """How many rows each tab holds (and the chosen assignee), in one query."""

    def count(assignee: str) -> Count:
        q = _assignee_q(assignee, user)
        # Label filters join: count each conversation once.
        return Count("id", filter=q, distinct=True) if q else Count("id", distinct=True)

    counts = {f"n{index}": count(tab) for index, tab in enumerate(INBOX_TABS)}
    counts["current"] = count(filters.assignee)
    row = _inbox_base(user=user, filters=filters).aggregate(**counts)
    result = {tab: row[f"n{index}"] for index, tab in enumerate(INBOX_TABS)}
    result["current"] = row["current"]
    return result


def conversation_inbox_for_user(
    *, user: User, filters: InboxFilters
) -> QuerySet[Conversation]:
    """The inbox: one query however many rows a page holds.

    Preview and unread count are correlated subqueries rather than prefetches,
    so a page of 50 rows costs one round trip even with 100,000 messages.
    """
    qs = _inbox_base(user=user, filters=filters).filter(
        _assignee_q(filters.assignee, user)
    )
    visible = Message.objects.filter(conversation=OuterRef("pk")).exclude(
        direction=Message.Direction.INTERNAL
    )
    last = visible.order_by("-id")
    # Nested two levels deep (inside the unread subquery), so it reaches out twice.
    read_up_to = ReadMarker.objects.filter(
        conversation=OuterRef(OuterRef("pk")), user=user
    ).values("last_read_message_id")[:1]
    unread = (
        Message.objects.filter(
            conversation=OuterRef("pk"),
            direction=Message.Direction.IN,
            id__gt=Coalesce(Subquery(read_up_to), Value(0)),
        )
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    # Files hang off attachment messages only, so the conversation's latest file
    # is the last message's when that message is an attachment.
    # Likewise the latest reply is the last message when that is a reply; its
    # payload and its question's are read in this query, not per row.
    last_reply = visible.filter(
        kind=Message.Kind.INTERACTIVE, direction=Message.Direction.IN
    ).order_by("-id")
    last_file = Attachment.objects.filter(
        message__conversation=OuterRef("pk")
    ).order_by("-message_id", "position", "id")
    qs = (
        qs.select_related("business", "customer", "assigned_agent")
        # One query for the labels of the whole page.
        .prefetch_related("labels")
        .annotate(
            last_id=Subquery(last.values("id")[:1]),
            last_body=Subquery(last.values("body")[:1]),
            last_kind=Subquery(last.values("kind")[:1]),
            last_direction=Subquery(last.values("direction")[:1]),
            last_auto_reply=Subquery(last.values("auto_reply")[:1]),
            last_sender_id=Subquery(last.values("sender_id")[:1]),
            last_sender_name=Subquery(last.values("sender__username")[:1]),
            last_mime=Subquery(last_file.values("mime_type")[:1]),
            last_reply_raw=Subquery(last_reply.values("raw")[:1]),
            last_question_raw=Subquery(last_reply.values("reply_to__raw")[:1]),
            unread_count=Coalesce(Subquery(unread), Value(0)),
        )
    )
    priority = presentation.inbox_priority()
    if priority is not None:
        qs = priority(qs)
    return qs.order_by(*_inbox_order(filters.sort, ranked=priority is not None))


def inbox_previews_attach(*, rows: list[Conversation], viewer: User) -> None:
    """Set ``preview`` on a page of inbox rows (from ``conversation_inbox_for_user``),
    from the columns the inbox query read: no further query."""
    for row in rows:
        values: Any = row
        if values.last_id is None:
            row.preview = ""  # type: ignore[attr-defined]
            continue
        summary = ""
        if (
            values.last_kind == Message.Kind.INTERACTIVE
            and values.last_direction == Message.Direction.IN
        ):
            summary = presentation.reply_summary(
                values.last_reply_raw or {}, values.last_question_raw
            )
        row.preview = message_preview(  # type: ignore[attr-defined]
            PreviewSource(
                kind=values.last_kind,
                direction=values.last_direction,
                body=values.last_body or "",
                auto_reply=bool(values.last_auto_reply),
                sender_id=values.last_sender_id,
                sender_name=values.last_sender_name or "",
                mime_type=values.last_mime or "",
                summary=summary,
            ),
            viewer_id=viewer.pk,
        )


def _inbox_order(sort: str, *, ranked: bool = False) -> list[Any]:
    if sort == "waiting":
        # Customers whose last word is unanswered first, the longest waiting on top.
        return [
            Case(
                When(last_direction=Message.Direction.IN, then=Value(0)),
                default=Value(1),
            ),
            F("last_message_at").asc(nulls_last=True),
            "id",
        ]
    latest = [F("last_message_at").desc(nulls_last=True), "-id"]
    if sort == "priority" and ranked:
        return [F("priority_rank").asc(nulls_last=True), *latest]
    return latest


def conversation_intent_choices_for_user(*, user: User) -> list[str]:
    """Distinct intents and groups seen in the user's businesses, for the filter."""
    rows = (
        Conversation.objects.filter(business__memberships__user=user)
        .exclude(intent="", group="")
        .values_list("intent", "group")
        .distinct()[:200]
    )
    return sorted({value for row in rows for value in row if value})


def teammate_list_for_user(*, user: User) -> list[User]:
    """Everyone who shares a business with the user (including the user)."""
    business_ids = Membership.objects.filter(user=user).values("business_id")
    return list(
        get_user_model()
        .objects.filter(memberships__business_id__in=business_ids)
        .distinct()
        .order_by("username")
    )


def agent_list_for_business(*, business_id: int) -> list[User]:
    return list(
        get_user_model()
        .objects.filter(memberships__business_id=business_id)
        .order_by("username")
    )


def message_page_for_conversation(
    *, conversation: Conversation, before: int | None = None
) -> tuple[list[Message], bool]:
    """The latest page of a conversation (or the one before `before`), oldest first.

    Reactions target messages that may sit on an earlier page; their ids are
    in the payload and the browser attaches those it can.
    """
    qs = conversation.messages.select_related("sender").order_by("-id")
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs[: CONVERSATION_PAGE_SIZE + 1])
    has_earlier = len(rows) > CONVERSATION_PAGE_SIZE
    # One query for all files on the page, and none on a page without any.
    prefetch_related_objects(
        [row for row in rows if row.kind == Message.Kind.ATTACHMENT], "attachments"
    )
    return list(reversed(rows[:CONVERSATION_PAGE_SIZE])), has_earlier


def message_search_for_user(
    *, user: User, query: str, label: int | None = None
) -> QuerySet[Message]:
    """Messages and notes in the user's businesses whose text contains `query`
    (in conversations carrying ``label``, when given)."""
    qs = Message.objects.filter(conversation__business__memberships__user=user)
    if query:
        qs = qs.filter(body__icontains=query)
    if label is not None:
        qs = qs.filter(conversation__labels__id=label)
    return (
        qs.exclude(kind=Message.Kind.REACTION)
        .select_related("conversation__customer", "conversation__business", "sender")
        .order_by("-id")
    )


def business_get_for_user(*, user: User, business_id: int) -> Membership:
    """The user's membership of the business (404 for strangers, like conversations)."""
    membership = (
        Membership.objects.filter(user=user, business_id=business_id)
        .select_related("business")
        .first()
    )
    if membership is None:
        raise NotFoundError(gettext("No such business."))
    return membership


def membership_list_for_business_qs(*, business_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(business_id=business_id)
        .select_related("user")
        .order_by("user__username")
    )


def membership_list_for_business(*, business_id: int) -> list[Membership]:
    return list(membership_list_for_business_qs(business_id=business_id))


def invitation_list_pending(*, business_id: int) -> list[Invitation]:
    """Open invitations, expired ones included (the page says so) until revoked."""
    return list(
        Invitation.objects.filter(
            business_id=business_id, status=Invitation.Status.PENDING
        ).select_related("invited_by")
    )


def user_get(*, user_id: int) -> User | None:
    return get_user_model().objects.filter(id=user_id).first()


# Labels and customers -------------------------------------------------------------


def label_list_for_user_qs(
    *, user: User, business_id: int | None = None
) -> QuerySet[Label]:
    """Labels of the user's businesses (of one, when given), by name."""
    qs = Label.objects.filter(business__memberships__user=user)
    if business_id is not None:
        qs = qs.filter(business_id=business_id)
    return qs.order_by("name", "id")


def label_list_for_user(*, user: User, business_id: int | None = None) -> list[Label]:
    return list(label_list_for_user_qs(user=user, business_id=business_id))


def label_get_for_user(*, user: User, label_id: int) -> Label:
    label = (
        Label.objects.filter(id=label_id, business__memberships__user=user)
        .select_related("business")
        .first()
    )
    if label is None:
        raise NotFoundError(gettext("No such label."))
    return label


def customer_get_for_user(*, user: User, customer_id: int) -> Customer:
    customer = (
        Customer.objects.filter(id=customer_id, business__memberships__user=user)
        .select_related("business")
        .first()
    )
    if customer is None:
        # Same answer for "absent" and "not yours", so ids can't be probed.
        raise NotFoundError(gettext("No such customer."))
    return customer


def customer_conversation_list(*, customer: Customer) -> list[Conversation]:
    """Every conversation of the person: this customer's, and those of the
    business's other customers (other Apple IDs) with the same e-mail or phone."""
    same_person = Q(customer=customer)
    if customer.email:
        same_person |= Q(customer__email__iexact=customer.email)
    if customer.phone:
        same_person |= Q(customer__phone=customer.phone)
    return list(
        Conversation.objects.filter(same_person, business_id=customer.business_id)
        .select_related("customer", "assigned_agent")
        .prefetch_related("labels")
        .order_by(F("last_message_at").desc(nulls_last=True), "-id")[:100]
    )

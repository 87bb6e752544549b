"""Extension points for what the core shows but a feature owns.

The core serializes messages and conversations for the API and the live pushes;
some of what they carry belongs to apps above it (the rich-object library reads
interactive replies, routing knows a conversation's route). Those apps fill
these registries in their ``AppConfig.ready()``; the core calls whatever is
registered and works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import Conversation, Customer, Message

# Presents many messages at once so a page of replies costs a fixed number of
# queries: returns the ``rich`` field by message id (None for plain messages).
RichPresenter = Callable[[Sequence["Message"]], dict[int, dict[str, Any] | None]]
# Adds one named field to a conversation's live-push shape.
ConversationField = Callable[["Conversation"], Any]

# Adds one named field to a customer's profile (the sign-in identity).
CustomerField = Callable[["Customer"], Any]

# Narrows the inbox for one named choice ("my_teams"): (queryset, user) -> queryset.
InboxScope = Callable[[Any, Any], Any]

# Adds ``priority`` (a value of ``inbox_priority_labels``) and ``priority_rank``
# (0 the most urgent) to the inbox's one query: (queryset) -> queryset.
InboxPriority = Callable[[Any], Any]

# Reads a customer's interactive reply in one line from its raw payload and the
# raw payload of the question it answers (None when unknown): no query.
ReplySummary = Callable[[dict[str, Any], "dict[str, Any] | None"], str]

_inbox_scopes: dict[str, tuple[StrOrPromise, InboxScope]] = {}
_reply_summary: list[ReplySummary] = []
_inbox_priority: list[tuple[InboxPriority, dict[str, str]]] = []
_rich_presenter: list[RichPresenter] = []
_customer_fields: dict[str, CustomerField] = {}
_conversation_fields: dict[str, ConversationField] = {}


def rich_presenter_register(presenter: RichPresenter) -> None:
    """Install the presenter of the ``rich`` field (one per process; last wins)."""
    _rich_presenter[:] = [presenter]


def rich_data_for(messages: Sequence[Message]) -> dict[int, dict[str, Any] | None]:
    if not _rich_presenter or not messages:
        return {}
    return _rich_presenter[0](messages)


def conversation_field_register(name: str, field: ConversationField) -> None:
    """Add ``name`` to every ``conversation.updated`` push, computed by ``field``."""
    _conversation_fields[name] = field


def conversation_fields(conversation: Conversation) -> dict[str, Any]:
    return {name: field(conversation) for name, field in _conversation_fields.items()}


def customer_field_register(name: str, field: CustomerField) -> None:
    """Add ``name`` to the customer profile of the API, computed by ``field``."""
    _customer_fields[name] = field


def customer_fields(customer: Customer) -> dict[str, Any]:
    return {name: field(customer) for name, field in _customer_fields.items()}


def inbox_scope_register(name: str, label: StrOrPromise, narrow: InboxScope) -> None:
    """Offer ``label`` in the inbox filters; choosing it applies ``narrow``."""
    _inbox_scopes[name] = (label, narrow)


def inbox_scopes() -> list[tuple[str, StrOrPromise]]:
    return [(name, label) for name, (label, _) in _inbox_scopes.items()]


def inbox_scope(name: str) -> InboxScope | None:
    entry = _inbox_scopes.get(name)
    return entry[1] if entry else None


def inbox_priority_register(annotate: InboxPriority, labels: dict[str, str]) -> None:
    """Show each row's priority as a chip (``labels`` by value, the usual one
    left out) and offer "priority" as an inbox sort (one per process)."""
    _inbox_priority[:] = [(annotate, labels)]


def inbox_priority() -> InboxPriority | None:
    return _inbox_priority[0][0] if _inbox_priority else None


def inbox_priority_labels() -> dict[str, str]:
    return dict(_inbox_priority[0][1]) if _inbox_priority else {}


def reply_summary_register(summary: ReplySummary) -> None:
    """Install the one-line reader of interactive replies (one per process)."""
    _reply_summary[:] = [summary]


def reply_summary(raw: dict[str, Any], question_raw: dict[str, Any] | None) -> str:
    if not _reply_summary or not isinstance(raw, dict):
        return ""
    return _reply_summary[0](
        raw, question_raw if isinstance(question_raw, dict) else None
    )

"""The two calls conversations makes into integrations, after its commits."""

from __future__ import annotations

from django.db import transaction


def message_received(message_id: int) -> None:
    """A customer message is stored (or a by-reference reply resolved)."""
    from .tasks import inbound_message_handle

    transaction.on_commit(lambda: inbound_message_handle.delay(message_id), robust=True)


def conversation_closed(conversation_id: int) -> None:
    from .tasks import conversation_closed_handle

    transaction.on_commit(
        lambda: conversation_closed_handle.delay(conversation_id), robust=True
    )

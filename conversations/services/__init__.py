"""Writes for conversations, one module per concern; import them from here.

inbound: Apple's traffic in. outbound: sending and the delivery state machine.
typing_indicators: agents' typing. console: what agents do in the console.
invitations: joining a business by an accepted invitation.
"""

from __future__ import annotations

from .console import (
    AGENT_STATUSES,
    conversation_assign,
    conversation_mark_read,
    conversation_presence,
    conversation_set_status,
    membership_remove,
    note_create,
)
from .inbound import (
    BusinessNotFound,
    conversation_close_by_customer,
    inbound_event_handle,
    interactive_reply_resolve,
    message_receive,
    typing_relay,
)
from .invitations import (
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_revoke,
)
from .outbound import (
    MAX_TEXT_LENGTH,
    RetryLater,
    message_deliver,
    message_deliver_crashed,
    message_drop,
    message_queue,
    message_requeue_stuck,
    message_retry,
    message_send,
)
from .typing_indicators import conversation_typing, typing_send

__all__ = [
    "AGENT_STATUSES",
    "MAX_TEXT_LENGTH",
    "BusinessNotFound",
    "RetryLater",
    "conversation_assign",
    "conversation_close_by_customer",
    "conversation_mark_read",
    "conversation_presence",
    "conversation_set_status",
    "conversation_typing",
    "inbound_event_handle",
    "interactive_reply_resolve",
    "invitation_accept",
    "invitation_create",
    "invitation_from_token",
    "invitation_revoke",
    "membership_remove",
    "message_deliver",
    "message_deliver_crashed",
    "message_drop",
    "message_queue",
    "message_receive",
    "message_requeue_stuck",
    "message_retry",
    "message_send",
    "note_create",
    "typing_relay",
    "typing_send",
]

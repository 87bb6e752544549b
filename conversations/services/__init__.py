"""Writes for conversations, one module per concern; import them from here.

inbound: Apple's traffic in. outbound: sending and the delivery state machine.
typing_indicators: agents' typing. console: what agents do in the console.
invitations: joining a business by an accepted invitation.
"""

from __future__ import annotations

from .availability import (
    availability_get,
    availability_set,
    availability_socket_closed,
    availability_socket_opened,
)
from .bulk import BULK_ACTIONS, conversations_bulk, conversations_mark_all_read
from .console import (
    AGENT_STATUSES,
    conversation_assign,
    conversation_mark_read,
    conversation_presence,
    conversation_set_status,
    membership_remove,
    note_create,
)
from .customers import customer_update
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
from .labels import (
    conversation_labels_set,
    label_create,
    label_delete,
    label_update,
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
    "BULK_ACTIONS",
    "MAX_TEXT_LENGTH",
    "BusinessNotFound",
    "RetryLater",
    "availability_get",
    "availability_set",
    "availability_socket_closed",
    "availability_socket_opened",
    "conversation_assign",
    "conversation_close_by_customer",
    "conversation_labels_set",
    "conversation_mark_read",
    "conversation_presence",
    "conversation_set_status",
    "conversation_typing",
    "conversations_bulk",
    "conversations_mark_all_read",
    "customer_update",
    "inbound_event_handle",
    "interactive_reply_resolve",
    "invitation_accept",
    "invitation_create",
    "invitation_from_token",
    "invitation_revoke",
    "label_create",
    "label_delete",
    "label_update",
    "membership_add",
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

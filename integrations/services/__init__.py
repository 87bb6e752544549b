"""Writes for integrations, one module per seam: ``settings`` (channel settings),
``console_lines`` (what agents see of them), ``webhooks`` (outbound, signed,
retried), ``inbound`` (what a customer message means here), ``signin`` (spec §7.6)
and ``payments`` (Apple Pay, spec §7.5). Import them from here. Network calls
happen outside transactions."""

from __future__ import annotations

from .inbound import (
    conversation_closed_handle,
    inbound_message_handle,
)
from .payments import (
    APPLE_PAY_STATUSES,
    PaymentPreparation,
    apple_pay_token,
    payment_authorize,
    payment_reply_link,
    payment_request_abandon,
    payment_request_prepare,
    payment_request_send,
)
from .settings import (
    apple_pay_save,
    logger,
    oauth_provider_save,
    webhook_endpoint_create,
    webhook_endpoint_delete,
)
from .signin import (
    LibraryOAuthInputs,
    SigninPreparation,
    oauth_library_inputs,
    signin_complete,
    signin_reply_handle,
    signin_request_prepare,
    signin_request_send,
)
from .webhooks import (
    STUCK_AFTER,
    TEST_EVENT,
    webhook_deliver,
    webhook_emit,
    webhook_mark_failed,
    webhook_redeliver,
    webhook_requeue_stuck,
    webhook_test_send,
)

__all__ = [
    "APPLE_PAY_STATUSES",
    "STUCK_AFTER",
    "TEST_EVENT",
    "LibraryOAuthInputs",
    "PaymentPreparation",
    "SigninPreparation",
    "apple_pay_save",
    "apple_pay_token",
    "conversation_closed_handle",
    "inbound_message_handle",
    "logger",
    "oauth_library_inputs",
    "oauth_provider_save",
    "payment_authorize",
    "payment_reply_link",
    "payment_request_abandon",
    "payment_request_prepare",
    "payment_request_send",
    "signin_complete",
    "signin_reply_handle",
    "signin_request_prepare",
    "signin_request_send",
    "webhook_deliver",
    "webhook_emit",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_mark_failed",
    "webhook_redeliver",
    "webhook_requeue_stuck",
    "webhook_test_send",
]

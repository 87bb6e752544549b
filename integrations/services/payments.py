"""Apple Pay (spec §7.5): merchant sessions, the payment gateway the device posts
to, the processor, and payments bound to their requests."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from conversations.exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
)
from conversations.models import Conversation, Message
from conversations.types import User
from richobjects import builders
from richobjects.builders import MerchantSettings

from .. import clients
from ..models import (
    ApplePayMerchant,
    Payment,
    WebhookEndpoint,
)
from ..selectors import absolute_url, merchant_to_settings
from .console_lines import console_line, interactive_build, interactive_queue
from .webhooks import webhook_emit

# --- Apple Pay (spec §7.5) --------------------------------------------------------------------

logger = logging.getLogger(__name__)


APPLE_PAY_STATUSES = frozenset(
    {
        "STATUS_SUCCESS",
        "STATUS_FAILURE",
        "STATUS_INVALID_BILLING_POSTAL_ADDRESS",
        "STATUS_INVALID_SHIPPING_POSTAL_ADDRESS",
        "STATUS_INVALID_SHIPPING_CONTACT",
        "STATUS_PIN_REQUIRED",
        "STATUS_PIN_INCORRECT",
        "STATUS_PIN_LOCKOUT",
    }
)


@dataclass(frozen=True)
class PaymentPreparation:
    payment_id: int
    merchant: MerchantSettings
    merchant_session: dict[str, Any]


def payment_request_prepare(
    *,
    conversation: Conversation,
    request_identifier: str,
    amount: str = "",
    base_url: str | None = None,
) -> PaymentPreparation:
    """Record the payment and fetch a merchant session; no transaction may be open.

    The gateway URL is this payment's own, so the device's token lands on the
    right conversation.
    """
    merchant = ApplePayMerchant.objects.filter(
        business_id=conversation.business_id
    ).first()
    if merchant is None:
        raise ApplicationError(
            gettext("Set up the business's Apple Pay merchant first."),
            code="no_merchant",
        )
    payment = Payment.objects.create(
        business_id=conversation.business_id,
        conversation=conversation,
        request_identifier=request_identifier,
        amount=amount,
        currency=merchant.currency_code,
    )
    gateway_url = absolute_url(
        reverse("integrations:pay", kwargs={"token": payment.token}), base_url
    )
    try:
        session = clients.merchant_session_request(
            merchant_identifier=merchant.merchant_identifier,
            display_name=merchant.merchant_name,
            initiative_context=gateway_url,
            certificate_pem=merchant.certificate_pem,
            private_key_pem=merchant.private_key_pem,
        )
    except clients.IntegrationError as exc:
        Payment.objects.filter(id=payment.id).update(
            status=Payment.Status.FAILED, error=exc.detail
        )
        raise ApplicationError(
            gettext("Apple Pay refused a merchant session: %(detail)s")
            % {"detail": exc.detail},
            code="merchant_session_failed",
        ) from exc
    return PaymentPreparation(
        payment_id=payment.id,
        merchant=merchant_to_settings(merchant, payment_gateway_url=gateway_url),
        merchant_session=session,
    )


def payment_request_abandon(*, payment_id: int, reason: str) -> None:
    """A prepared payment whose bubble was never sent: fail it, so its URL pays nothing.

    Only a payment still waiting is touched; one the device already paid keeps
    its outcome.
    """
    Payment.objects.filter(id=payment_id, status=Payment.Status.PENDING).update(
        status=Payment.Status.FAILED,
        error=f"The payment request was not sent: {reason}"[:1000],
        completed_at=timezone.now(),
    )


def apple_pay_token(payment: Any) -> dict[str, Any]:
    """The Apple Pay token of a ``payment`` object, from the device's post to
    paymentGatewayUrl or from the interactive reply: one reader for both.

    Apple's samples and PassKit spell it ``paymentToken`` (``paymentData``,
    ``paymentMethod``, ``transactionIdentifier``); ``token`` is PKPayment's
    property name and is read second. Anything not an object is no token.
    """
    if not isinstance(payment, dict):
        return {}
    for key in ("paymentToken", "token"):
        found = payment.get(key)
        if isinstance(found, dict) and found:
            return found
    return {}


def payment_reply_link(*, message: Message, reply: dict[str, Any]) -> None:
    """Tie a payment that came through the business's gateway URL to the
    conversation whose reply names its transaction, and show the outcome."""
    data = reply.get("data")
    token = apple_pay_token(data.get("payment") if isinstance(data, dict) else None)
    transaction_id = str(token.get("transactionIdentifier") or "")
    if not transaction_id:
        return
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(
                business_id=message.conversation.business_id,
                transaction_identifier=transaction_id,
                conversation__isnull=True,
            )
            .first()
        )
        if payment is None:
            return
        request = (
            message.reply_to.raw.get("interactiveData") if message.reply_to else None
        ) or {}
        total = (
            ((request.get("data") or {}).get("payment") or {}).get("paymentRequest")
            or {}
        ).get("total") or {}
        payment.conversation = message.conversation
        payment.request_identifier = message.request_identifier
        payment.amount = payment.amount or str(total.get("amount") or "")
        payment.save(update_fields=["conversation", "request_identifier", "amount"])
        _show_payment(payment)


def _total(line_items: list[dict[str, Any]]) -> str:
    try:
        return str(sum((Decimal(str(i.get("amount"))) for i in line_items), Decimal(0)))
    except (InvalidOperation, TypeError):
        return ""


def payment_request_send(
    *,
    conversation: Conversation,
    actor: User | None,
    line_items: list[dict[str, Any]],
    title: str = "",
    base_url: str | None = None,
) -> Message:
    """Ask the customer to pay with Apple Pay."""
    request_identifier = str(uuid.uuid4())
    prepared = payment_request_prepare(
        conversation=conversation,
        request_identifier=request_identifier,
        amount=_total(line_items),
        base_url=base_url,
    )
    spec: dict[str, Any] = {"line_items": line_items}
    if title:
        spec["received"] = {"title": title}
    payload = interactive_build(
        builders.build_apple_pay,
        spec,
        merchant=prepared.merchant,
        merchant_session=prepared.merchant_session,
        request_identifier=request_identifier,
    )
    total = payload["data"]["payment"]["paymentRequest"]["total"]["amount"]
    Payment.objects.filter(id=prepared.payment_id).update(amount=total)
    text = payload["receivedMessage"]["title"]
    return interactive_queue(
        conversation=conversation, actor=actor, payload=payload, text=text
    )


def _processor_status(answer: Any) -> tuple[str, str]:
    """The processor's verdict and, for a failure we decide, why.

    Only an explicit status counts: a 2xx without one (a misconfigured URL, a
    proxy's page) fails the payment rather than approving it unpaid.
    """
    status = answer.get("status") if isinstance(answer, dict) else None
    if status is None:
        return "STATUS_FAILURE", "the processor answered without a status"
    if status not in APPLE_PAY_STATUSES:
        return "STATUS_FAILURE", "the processor answered an unknown status"
    return status, ""


def _posted_request_identifier(body: dict[str, Any], pay: dict[str, Any]) -> str:
    found = body.get("requestIdentifier") or pay.get("requestIdentifier") or ""
    return found if isinstance(found, str) else "?"


def _refuse(payment_token: str, reason: str) -> ConflictError:
    logger.warning(
        "payment.refused", extra={"reason": reason, "token_prefix": payment_token[:6]}
    )
    return ConflictError(
        gettext("This payment token is not for this payment."), code=reason
    )


def _payment_claim(
    *, token: str, body: dict[str, Any], transaction_id: str
) -> tuple[Payment, str | None]:
    """The pending payment this post may complete, with ``transaction_id`` recorded
    on it before the processor is called; or a retry's recorded answer.

    A device token belongs to one payment: posted to another payment's URL, or
    again after its payment completed, it is refused and reaches no processor.
    """
    pay = found if isinstance(found := body.get("payment"), dict) else body
    posted_request = _posted_request_identifier(body, pay)
    payment = Payment.objects.select_related("business").filter(token=token).first()
    if payment is None:
        merchant = (
            ApplePayMerchant.objects.select_related("business")
            .filter(gateway_token=token)
            .first()
        )
        if merchant is None:
            raise NotFoundError(gettext("No such payment."))
        # A request of ours has its own URL: it is paid there, not here.
        if (
            posted_request
            and Payment.objects.filter(
                business_id=merchant.business_id, request_identifier=posted_request
            ).exists()
        ):
            raise _refuse(token, "payment_request_mismatch")
        # The business-wide URL makes its payment only once the post passed.
        payment = Payment(business=merchant.business, currency=merchant.currency_code)
    elif posted_request and posted_request != payment.request_identifier:
        raise _refuse(token, "payment_request_mismatch")
    elif payment.status != Payment.Status.PENDING or payment.transaction_identifier:
        if transaction_id and transaction_id == payment.transaction_identifier:
            # The device retrying after a lost answer: the recorded verdict.
            return payment, payment.processor_status or "STATUS_FAILURE"
        raise _refuse(token, "payment_completed")
    if not transaction_id:
        # Nothing to bind and nothing to charge: the caller records a failure.
        if payment.pk is None:
            payment.save()
        return payment, None
    if (
        Payment.objects.filter(
            business_id=payment.business_id, transaction_identifier=transaction_id
        )
        .exclude(pk=payment.pk)
        .exists()
    ):
        raise _refuse(token, "payment_token_replayed")
    try:
        with transaction.atomic():
            if payment.pk is None:
                payment.transaction_identifier = transaction_id
                payment.save()
            elif not Payment.objects.filter(
                pk=payment.pk, status=Payment.Status.PENDING, transaction_identifier=""
            ).update(transaction_identifier=transaction_id):
                # Another post claimed it a moment ago.
                raise _refuse(token, "payment_completed")
    except IntegrityError as exc:
        # The same device token reached two URLs at once (the unique constraint).
        raise _refuse(token, "payment_token_replayed") from exc
    payment.transaction_identifier = transaction_id
    return payment, None


def payment_authorize(*, token: str, body: dict[str, Any]) -> str:
    """The device's payment token arrived: hand it to the processor, record the
    outcome, answer the device's status.

    The device's retry of the same token gets the recorded answer without a
    second charge; any other reuse raises ConflictError (see _payment_claim).
    """
    pay = found if isinstance(found := body.get("payment"), dict) else body
    apple_token = apple_pay_token(pay)
    method = apple_token.get("paymentMethod") or {}
    if not isinstance(method, dict):
        method = {}
    transaction_id = str(apple_token.get("transactionIdentifier") or "")[:128]
    payment, recorded = _payment_claim(
        token=token, body=body, transaction_id=transaction_id
    )
    if recorded is not None:
        return recorded
    merchant = ApplePayMerchant.objects.filter(business_id=payment.business_id).first()
    if merchant is None or not apple_token or not transaction_id:
        status, error = "STATUS_FAILURE", "no payment token or no merchant"
    else:
        try:
            answer = clients.signed_post(
                url=merchant.processor_url,
                secret=merchant.processor_secret,
                payload={
                    "type": "payment.authorize",
                    "payment_id": payment.id,
                    "business": payment.business.apple_id,
                    "amount": payment.amount,
                    "currency": payment.currency,
                    "request_identifier": payment.request_identifier,
                    "token": apple_token,
                    "billing_contact": pay.get("billingContact"),
                    "shipping_contact": pay.get("shippingContact"),
                },
                headers={"X-MSP-Event": "payment.authorize"},
            )
        except clients.IntegrationError as exc:
            status, error = "STATUS_FAILURE", exc.detail
        else:
            status, error = _processor_status(answer.body)
    succeeded = status == "STATUS_SUCCESS"
    with transaction.atomic():
        updated = Payment.objects.filter(
            id=payment.id, status=Payment.Status.PENDING
        ).update(
            status=Payment.Status.SUCCEEDED if succeeded else Payment.Status.FAILED,
            processor_status=status,
            payment_method=str(method.get("displayName") or "")[:100],
            error=error[:1000],
            completed_at=timezone.now(),
        )
        if not updated:
            payment.refresh_from_db()
            return payment.processor_status or "STATUS_FAILURE"
        payment.refresh_from_db()
        if payment.conversation_id:
            _show_payment(payment)
        transaction.on_commit(
            lambda: webhook_emit(
                business_id=payment.business_id,
                event=WebhookEndpoint.Event.PAYMENT,
                data={
                    "payment": payment.id,
                    "conversation": payment.conversation_id,
                    "status": payment.status,
                    "processor_status": status,
                    "amount": payment.amount,
                    "currency": payment.currency,
                    "transaction_identifier": payment.transaction_identifier,
                },
                dedupe_key=f"payment:{payment.id}",
            ),
            robust=True,
        )
    return status


def _show_payment(payment: Payment) -> None:
    if payment.conversation_id is None:
        return  # Callers pass linked payments only.
    conversation = Conversation.objects.select_related(
        "business", "customer", "assigned_agent"
    ).get(id=payment.conversation_id)
    amount = f"{payment.amount} {payment.currency}".strip()
    if payment.status == Payment.Status.SUCCEEDED:
        via = f" with {payment.payment_method}" if payment.payment_method else ""
        text = f"Payment of {amount} succeeded{via}"
    else:
        why = f": {payment.error}" if payment.error else ""
        text = f"Payment of {amount} failed ({payment.processor_status}){why}"
    console_line(conversation, text)

"""Writes for integrations: channel settings, sign-in (spec §7.6), Apple Pay
(spec §7.5) and outbound webhooks. Network calls happen outside transactions."""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from conversations import realtime, safe_http
from conversations.exceptions import (
    ApplicationError,
    NotFoundError,
)
from conversations.models import Business, Conversation, Message
from conversations.permissions import business_admin_check
from conversations.services import message_queue
from conversations.types import User
from richobjects import builders, parsers
from richobjects.builders import MerchantSettings

from . import clients
from .crypto import (
    TokenUndecryptable,
    ecies_decrypt,
    ecies_key_generate,
    ecies_public_key,
    webhook_secret_new,
)
from .models import (
    ApplePayMerchant,
    CustomerIdentity,
    OAuthProvider,
    Payment,
    SigninRequest,
    WebhookDelivery,
    WebhookEndpoint,
)
from .selectors import absolute_url, merchant_to_settings

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


# --- channel settings ------------------------------------------------------------------------


def _require_public_url(url: str | None) -> None:
    """URLs this server will call are refused when saved, not only when called."""
    if not url:
        return
    try:
        safe_http.check_url(url)
    except safe_http.UnsafeAddress as exc:
        raise ApplicationError(
            "This address is not on the public internet; this server will not call it.",
            code="unsafe_url",
        ) from exc


def oauth_provider_save(
    *,
    business: Business,
    actor: User,
    fields: dict[str, Any],
    client_secret: str = "",
) -> OAuthProvider:
    """Create or update the provider; an empty ``client_secret`` keeps the stored one."""
    business_admin_check(business=business, actor=actor)
    _require_public_url(fields.get("token_url"))
    provider = OAuthProvider.objects.filter(business=business).first() or OAuthProvider(
        business=business
    )
    for name, value in fields.items():
        setattr(provider, name, value)
    if client_secret:
        provider.client_secret = client_secret
    provider.save()
    logger.info(
        "integrations.oauth_saved", extra={"business": business.id, "actor": actor.pk}
    )
    return provider


def apple_pay_save(
    *,
    business: Business,
    actor: User,
    fields: dict[str, Any],
    private_key_pem: str = "",
    processor_secret: str = "",
) -> ApplePayMerchant:
    """Create or update the merchant; empty secrets keep the stored ones."""
    business_admin_check(business=business, actor=actor)
    _require_public_url(fields.get("processor_url"))
    merchant = ApplePayMerchant.objects.filter(
        business=business
    ).first() or ApplePayMerchant(business=business)
    for name, value in fields.items():
        setattr(merchant, name, value)
    if private_key_pem:
        merchant.private_key_pem = private_key_pem
    if processor_secret:
        merchant.processor_secret = processor_secret
    merchant.save()
    logger.info(
        "integrations.apple_pay_saved",
        extra={"business": business.id, "actor": actor.pk},
    )
    return merchant


def webhook_endpoint_create(
    *,
    business: Business,
    actor: User,
    url: str,
    event_types: list[str],
    secret: str = "",
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it with its secret, shown to the admin this once."""
    business_admin_check(business=business, actor=actor)
    _require_public_url(url)
    unknown = set(event_types) - set(WebhookEndpoint.Event.values)
    if unknown or not event_types:
        raise ApplicationError(
            "Choose at least one known event.", code="invalid_events"
        )
    secret = secret or webhook_secret_new()
    endpoint = WebhookEndpoint.objects.create(
        business=business, url=url, secret=secret, event_types=sorted(event_types)
    )
    return endpoint, secret


def webhook_endpoint_delete(
    *, business: Business, actor: User, endpoint_id: int
) -> None:
    business_admin_check(business=business, actor=actor)
    deleted, _ = WebhookEndpoint.objects.filter(
        business=business, id=endpoint_id
    ).delete()
    if not deleted:
        raise NotFoundError("No such webhook endpoint.")


# --- what the console sees --------------------------------------------------------------------


def _console_event(conversation: Conversation, text: str) -> Message:
    """A system line in the conversation, pushed to agents after commit."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.SYSTEM,
        body=text,
        status=Message.Status.RECEIVED,
    )
    realtime.push_message_created(message)
    realtime.push_conversation_changed(conversation)
    return message


# --- outbound webhooks ------------------------------------------------------------------------


def webhook_emit(
    *, business_id: int, event: str, data: dict[str, Any], dedupe_key: str = ""
) -> list[int]:
    """Record one delivery per subscribed endpoint and enqueue each after commit.

    With a ``dedupe_key`` (what the event is about), emitting again is a no-op.
    """
    from .tasks import webhook_deliver as webhook_deliver_task

    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(business_id=business_id, is_active=True)
        if event in e.event_types
    ]
    ids: list[int] = []
    with transaction.atomic():
        for endpoint in endpoints:
            if dedupe_key:
                delivery, created = WebhookDelivery.objects.get_or_create(
                    endpoint=endpoint,
                    event=event,
                    dedupe_key=dedupe_key,
                    defaults={"payload": data},
                )
                if not created:
                    continue
            else:
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint, event=event, payload=data
                )
            ids.append(delivery.id)
            transaction.on_commit(
                partial(webhook_deliver_task.delay, delivery.id), robust=True
            )
    return ids


def _webhook_body(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "business": delivery.endpoint.business.apple_id,
        "data": delivery.payload,
    }


def webhook_deliver(*, delivery_id: int) -> None:
    """POST one delivery, signed. Idempotent: only the claimer sends.

    Raises ``IntegrationError`` (transient) after putting the row back to
    pending so the task retries; permanent failures end the delivery.
    """
    claimed = WebhookDelivery.objects.filter(
        id=delivery_id, status=WebhookDelivery.Status.PENDING
    ).update(
        status=WebhookDelivery.Status.DELIVERING,
        attempts=F("attempts") + 1,
        last_attempt_at=timezone.now(),
    )
    if not claimed:
        return
    delivery = WebhookDelivery.objects.select_related("endpoint__business").get(
        id=delivery_id
    )
    endpoint = delivery.endpoint
    try:
        answer = clients.signed_post(
            url=endpoint.url,
            secret=endpoint.secret,
            payload=_webhook_body(delivery),
            headers={
                "X-MSP-Event": delivery.event,
                "X-MSP-Delivery": str(delivery.event_id),
            },
            # The event's id: the same on every retry, so receivers deduplicate.
            webhook_id=str(delivery.event_id),
        )
    except clients.IntegrationError as exc:
        WebhookDelivery.objects.filter(id=delivery.id).update(
            status=(
                WebhookDelivery.Status.FAILED
                if exc.permanent
                else WebhookDelivery.Status.PENDING
            ),
            response_code=exc.status,
            error=exc.detail[:1000],
        )
        if not exc.permanent:
            raise
        return
    WebhookDelivery.objects.filter(id=delivery.id).update(
        status=WebhookDelivery.Status.SUCCEEDED,
        response_code=answer.status,
        error="",
        delivered_at=timezone.now(),
    )


# Beyond the task's hard time limit: a row still "delivering" lost its worker.
STUCK_AFTER = timedelta(seconds=120)


def webhook_requeue_stuck() -> int:
    """Put deliveries whose worker died back in the queue (the claim makes it safe)."""
    from .tasks import webhook_deliver as webhook_deliver_task

    cutoff = timezone.now() - STUCK_AFTER
    stuck = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.DELIVERING, last_attempt_at__lt=cutoff
        ).values_list("id", flat=True)[:500]
    )
    for delivery_id in stuck:
        if WebhookDelivery.objects.filter(
            id=delivery_id, status=WebhookDelivery.Status.DELIVERING
        ).update(status=WebhookDelivery.Status.PENDING):
            webhook_deliver_task.delay(delivery_id)
    return len(stuck)


def webhook_mark_failed(*, delivery_id: int, reason: str) -> None:
    """After the last retry: the delivery stays in the log as failed."""
    WebhookDelivery.objects.filter(id=delivery_id).exclude(
        status=WebhookDelivery.Status.SUCCEEDED
    ).update(status=WebhookDelivery.Status.FAILED, error=reason[:1000])


# --- inbound events from conversations ------------------------------------------------------


def _message_event_data(message: Message) -> dict[str, Any]:
    conversation = message.conversation
    return {
        "conversation": conversation.id,
        "customer": conversation.customer.apple_id,
        "message": {
            "id": message.id,
            "apple_id": message.apple_id,
            "kind": message.kind,
            "text": message.body,
            "request_identifier": message.request_identifier,
            "created_at": message.created_at.isoformat(),
        },
    }


def _interactive_data(message: Message) -> dict[str, Any] | None:
    data = message.raw.get("interactiveData")
    return data if isinstance(data, dict) else None


def inbound_message_handle(*, message_id: int) -> None:
    """Everything integrations do with a stored customer message: finish a sign-in,
    link a payment, tell the business's systems. Safe to run twice: a sign-in
    completes once and each webhook event is recorded once per message."""
    message = (
        Message.objects.select_related("conversation__customer", "reply_to")
        .filter(id=message_id, direction=Message.Direction.IN)
        .first()
    )
    if message is None:
        return
    business_id = message.conversation.business_id
    if message.kind != Message.Kind.INTERACTIVE:
        webhook_emit(
            business_id=business_id,
            event=WebhookEndpoint.Event.MESSAGE_CREATED,
            data=_message_event_data(message),
            dedupe_key=f"message:{message.id}",
        )
        return
    data = _interactive_data(message)
    if data is None:
        return  # Sent by reference: handled again once resolved.
    inner = found if isinstance(found := data.get("data"), dict) else {}
    if "authenticate" in inner:
        signin_reply_handle(message=message, reply=data)
    if "payment" in inner:
        payment_reply_link(message=message, reply=data)
    payload = _message_event_data(message)
    payload["interactive_data"] = inner
    webhook_emit(
        business_id=business_id,
        event=WebhookEndpoint.Event.INTERACTIVE_REPLY,
        data=payload,
        dedupe_key=f"message:{message.id}",
    )


def conversation_closed_handle(*, conversation_id: int) -> None:
    conversation = (
        Conversation.objects.select_related("customer")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None:
        return
    webhook_emit(
        business_id=conversation.business_id,
        event=WebhookEndpoint.Event.CONVERSATION_CLOSED,
        data={
            "conversation": conversation.id,
            "customer": conversation.customer.apple_id,
            "closed_at": conversation.closed_at.isoformat()
            if conversation.closed_at
            else None,
        },
        dedupe_key=f"closed:{conversation.id}:{conversation.closed_at or ''}",
    )


# --- sign-in (spec §7.6) ----------------------------------------------------------------------


@dataclass(frozen=True)
class SigninPreparation:
    """What ``builders.build_authentication`` needs, kept server-side until the reply."""

    signin_request_id: int
    request_identifier: str
    state: str
    redirect_uri: str
    scope: tuple[str, ...]
    response_encryption_key: str | None


def signin_request_prepare(
    *,
    conversation: Conversation,
    legacy: bool = False,
    base_url: str | None = None,
    request_identifier: str | None = None,
) -> SigninPreparation:
    """Keep a fresh state nonce (and, for AUTH, a P-384 key) for one request."""
    provider = OAuthProvider.objects.filter(
        business_id=conversation.business_id
    ).first()
    if provider is None:
        raise ApplicationError(
            "Set up the business's OAuth provider first.", code="no_oauth_provider"
        )
    private_pem, public_b64 = ecies_key_generate() if legacy else ("", None)
    redirect_uri = absolute_url(reverse("integrations:oauth-redirect"), base_url)
    request = SigninRequest.objects.create(
        business_id=conversation.business_id,
        conversation=conversation,
        state=secrets.token_urlsafe(32),
        request_identifier=request_identifier or str(uuid.uuid4()),
        legacy=legacy,
        private_key_pem=private_pem,
        redirect_uri=redirect_uri,
    )
    return SigninPreparation(
        signin_request_id=request.id,
        request_identifier=request.request_identifier,
        state=request.state,
        redirect_uri=redirect_uri,
        scope=tuple(provider.scope.split()) or ("openid",),
        response_encryption_key=public_b64,
    )


def _queue_interactive(
    *,
    conversation: Conversation,
    actor: User | None,
    payload: dict[str, Any],
    text: str,
) -> Message:
    return message_queue(
        conversation=conversation,
        sender=actor,
        kind=Message.Kind.INTERACTIVE,
        body=text,
        raw={"interactiveData": payload},
        request_identifier=str(payload["data"]["requestIdentifier"]),
    )


def _build(builder: Any, spec: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    try:
        return builder(spec, **kwargs)
    except builders.BuildError as exc:
        errors = getattr(exc, "errors", None) or [exc]
        raise ApplicationError(
            "; ".join(str(e) for e in errors), code="invalid_rich_object"
        ) from exc


def signin_request_send(
    *,
    conversation: Conversation,
    actor: User | None,
    legacy: bool = False,
    base_url: str | None = None,
) -> Message:
    """Ask the customer to sign in with the business's provider."""
    provider = OAuthProvider.objects.filter(
        business_id=conversation.business_id
    ).first()
    prepared = signin_request_prepare(
        conversation=conversation, legacy=legacy, base_url=base_url
    )
    title = f"Sign in to {provider.title}" if provider else "Sign in"
    spec: dict[str, Any] = {"received": {"title": title}, "scope": list(prepared.scope)}
    if provider is not None and provider.reply_title:
        spec["reply"] = {"title": provider.reply_title}
    payload = _build(
        builders.build_authentication,
        spec,
        state=prepared.state,
        legacy=legacy,
        response_encryption_key=prepared.response_encryption_key,
        redirect_uri=prepared.redirect_uri,
        request_identifier=prepared.request_identifier,
    )
    return _queue_interactive(
        conversation=conversation, actor=actor, payload=payload, text=title
    )


@dataclass(frozen=True)
class LibraryOAuthInputs:
    """Send-time OAuth inputs for requests built by the rich-object library."""

    redirect_uri: str
    scope: tuple[str, ...]
    response_encryption_key: str


def oauth_library_inputs(
    business: Business, *, base_url: str | None = None
) -> LibraryOAuthInputs | None:
    """Redirect URI, scope and the business's library P-384 public key.

    The library keeps its own state nonce (``RichMessage.oauth_state``), which
    ``signin_reply_handle`` checks when no ``SigninRequest`` matches the reply.
    """
    provider = OAuthProvider.objects.filter(business=business).first()
    if provider is None:
        return None
    if not provider.library_key_pem:
        pem, _ = ecies_key_generate()
        # Encrypting "" yields "", so this matches only a provider with no key yet:
        # two concurrent sends cannot end up with different keys.
        OAuthProvider.objects.filter(id=provider.id, library_key_pem="").update(
            library_key_pem=pem
        )
        provider.refresh_from_db(fields=["library_key_pem"])
    return LibraryOAuthInputs(
        redirect_uri=absolute_url(reverse("integrations:oauth-redirect"), base_url),
        scope=tuple(provider.scope.split()) or ("openid",),
        response_encryption_key=ecies_public_key(provider.library_key_pem),
    )


def _library_signin_request(message: Message) -> SigninRequest | None:
    """A SigninRequest for a reply to a library-sent authentication object."""
    request_message = message.reply_to
    rich = getattr(request_message, "rich", None) if request_message else None
    state = getattr(rich, "oauth_state", "")
    if request_message is None or not state:
        return None
    provider = OAuthProvider.objects.filter(
        business_id=message.conversation.business_id
    ).first()
    payload = request_message.raw.get("interactiveData") or {}
    oauth2 = ((payload.get("data") or {}).get("authenticate") or {}).get("oauth2") or {}
    signin, _ = SigninRequest.objects.get_or_create(
        state=state,
        defaults={
            "business_id": message.conversation.business_id,
            "conversation_id": message.conversation_id,
            "request_identifier": request_message.request_identifier,
            "legacy": "responseEncryptionKey" in oauth2,
            "private_key_pem": provider.library_key_pem if provider else "",
            "redirect_uri": str(oauth2.get("redirectURI") or ""),
        },
    )
    return signin


def _signin_request_for(message: Message, reply_state: str) -> SigninRequest | None:
    qs = SigninRequest.objects.filter(conversation_id=message.conversation_id)
    if message.request_identifier:
        found = qs.filter(request_identifier=message.request_identifier).first()
        if found is not None:
            return found
    found = qs.filter(state=reply_state).first() if reply_state else None
    return found or _library_signin_request(message)


def _signin_fail(request: SigninRequest, error: str) -> None:
    with transaction.atomic():
        updated = SigninRequest.objects.filter(
            id=request.id, status=SigninRequest.Status.PENDING
        ).update(
            status=SigninRequest.Status.FAILED,
            error=error,
            completed_at=timezone.now(),
        )
        if updated:
            conversation = Conversation.objects.select_related(
                "business", "customer", "assigned_agent"
            ).get(id=request.conversation_id)
            _console_event(conversation, f"Sign-in failed: {error}")
    logger.info(
        "integrations.signin_failed", extra={"request": request.id, "error": error}
    )


def signin_reply_handle(*, message: Message, reply: dict[str, Any]) -> None:
    """Match ``state``, open the token, exchange the code, link the customer.

    A reply whose state differs from the kept nonce fails the request: it was
    not answered by the device we asked (spec §7.6, RFC 6749 §10.12).
    """
    request_data = (
        message.reply_to.raw.get("interactiveData") if message.reply_to else None
    ) or {}
    parsed = parsers.parse_authentication(reply, request_data)
    signin = _signin_request_for(message, parsed.state)
    if signin is None or signin.status != SigninRequest.Status.PENDING:
        return
    if not parsed.state or not hmac.compare_digest(parsed.state, signin.state):
        _signin_fail(signin, "the reply's state does not match the request")
        return
    if not parsed.succeeded:
        _signin_fail(signin, parsed.summary)
        return
    code = parsed.token
    if signin.legacy:
        try:
            code = ecies_decrypt(signin.private_key_pem, parsed.token).decode()
        except (TokenUndecryptable, UnicodeDecodeError) as exc:
            _signin_fail(signin, f"the token could not be decrypted ({exc})")
            return
    provider = OAuthProvider.objects.filter(business_id=signin.business_id).first()
    if provider is None:
        _signin_fail(signin, "the business has no OAuth provider any more")
        return
    try:
        grant = clients.oauth_code_exchange(
            token_url=provider.token_url,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            code=code,
            redirect_uri=signin.redirect_uri,
        )
    except clients.IntegrationError as exc:
        if not exc.permanent:
            raise  # The task retries; the request stays pending.
        _signin_fail(signin, exc.detail)
        return
    signin_complete(signin=signin, grant=grant, provider_title=provider.title)


def signin_complete(
    *, signin: SigninRequest, grant: clients.TokenGrant, provider_title: str
) -> CustomerIdentity | None:
    with transaction.atomic():
        updated = SigninRequest.objects.filter(
            id=signin.id, status=SigninRequest.Status.PENDING
        ).update(status=SigninRequest.Status.LINKED, completed_at=timezone.now())
        if not updated:
            return None
        conversation = Conversation.objects.select_related(
            "business", "customer", "assigned_agent"
        ).get(id=signin.conversation_id)
        identity, _ = CustomerIdentity.objects.update_or_create(
            customer=conversation.customer,
            defaults={
                "business": conversation.business,
                "external_user_id": grant.external_user_id,
                "display_name": grant.display_name,
                "provider_title": provider_title,
                "access_token": grant.access_token,
            },
        )
        _console_event(conversation, f"Signed in as {identity.label}")
        transaction.on_commit(
            lambda: webhook_emit(
                business_id=conversation.business_id,
                event=WebhookEndpoint.Event.SIGNIN,
                data={
                    "conversation": conversation.id,
                    "customer": conversation.customer.apple_id,
                    "user_id": grant.external_user_id,
                    "name": grant.display_name,
                },
                dedupe_key=f"signin:{signin.id}",
            ),
            robust=True,
        )
    return identity


# --- Apple Pay (spec §7.5) --------------------------------------------------------------------


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
            "Set up the business's Apple Pay merchant first.", code="no_merchant"
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
            f"Apple Pay refused a merchant session: {exc.detail}",
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
    payload = _build(
        builders.build_apple_pay,
        spec,
        merchant=prepared.merchant,
        merchant_session=prepared.merchant_session,
        request_identifier=request_identifier,
    )
    total = payload["data"]["payment"]["paymentRequest"]["total"]["amount"]
    Payment.objects.filter(id=prepared.payment_id).update(amount=total)
    text = payload["receivedMessage"]["title"]
    return _queue_interactive(
        conversation=conversation, actor=actor, payload=payload, text=text
    )


def _processor_status(answer: Any) -> str:
    status = answer.get("status") if isinstance(answer, dict) else None
    if status is None:
        return "STATUS_SUCCESS"  # A 2xx without a verdict accepts the payment.
    return status if status in APPLE_PAY_STATUSES else "STATUS_FAILURE"


def payment_authorize(*, token: str, body: dict[str, Any]) -> str:
    """The device's payment token arrived: hand it to the processor, record the
    outcome, answer the device's status. A repeated post gets the recorded answer
    without charging twice."""
    payment = Payment.objects.select_related("business").filter(token=token).first()
    if payment is None:
        merchant = (
            ApplePayMerchant.objects.select_related("business")
            .filter(gateway_token=token)
            .first()
        )
        if merchant is None:
            raise NotFoundError("No such payment.")
        payment = Payment.objects.create(
            business=merchant.business, currency=merchant.currency_code
        )
    if payment.status != Payment.Status.PENDING:
        return payment.processor_status or "STATUS_FAILURE"
    merchant = ApplePayMerchant.objects.filter(business_id=payment.business_id).first()
    pay = found if isinstance(found := body.get("payment"), dict) else body
    apple_token = apple_pay_token(pay)
    method = apple_token.get("paymentMethod") or {}
    transaction_id = str(apple_token.get("transactionIdentifier") or "")
    if merchant is None or not apple_token:
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
            status, error = _processor_status(answer.body), ""
    succeeded = status == "STATUS_SUCCESS"
    with transaction.atomic():
        updated = Payment.objects.filter(
            id=payment.id, status=Payment.Status.PENDING
        ).update(
            status=Payment.Status.SUCCEEDED if succeeded else Payment.Status.FAILED,
            processor_status=status,
            transaction_identifier=transaction_id[:128],
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
    _console_event(conversation, text)

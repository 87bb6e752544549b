"""Sign-in with the business's OAuth provider (spec §7.6)."""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from conversations.exceptions import (
    ApplicationError,
)
from conversations.models import Business, Conversation, Message
from conversations.types import User
from richobjects import builders, parsers

from .. import clients
from ..crypto import (
    TokenUndecryptable,
    ecies_decrypt,
    ecies_key_generate,
    ecies_public_key,
)
from ..models import (
    CustomerIdentity,
    OAuthProvider,
    SigninRequest,
    WebhookEndpoint,
)
from ..selectors import absolute_url
from .console_lines import console_line, interactive_build, interactive_queue
from .webhooks import webhook_emit

# --- sign-in (spec §7.6) ----------------------------------------------------------------------

logger = logging.getLogger(__name__)


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
            gettext("Set up the business's OAuth provider first."),
            code="no_oauth_provider",
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
    payload = interactive_build(
        builders.build_authentication,
        spec,
        state=prepared.state,
        legacy=legacy,
        response_encryption_key=prepared.response_encryption_key,
        redirect_uri=prepared.redirect_uri,
        request_identifier=prepared.request_identifier,
    )
    return interactive_queue(
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


def _signin_fail(request: SigninRequest, error: str, *, announce: bool = True) -> None:
    """Mark the request failed; ``announce`` adds a line to the conversation, left
    out when the customer's reply already reads as the failure (its answer card)."""
    with transaction.atomic():
        updated = SigninRequest.objects.filter(
            id=request.id, status=SigninRequest.Status.PENDING
        ).update(
            status=SigninRequest.Status.FAILED,
            error=error,
            completed_at=timezone.now(),
        )
        if updated and announce:
            conversation = Conversation.objects.select_related(
                "business", "customer", "assigned_agent"
            ).get(id=request.conversation_id)
            console_line(conversation, f"Sign-in failed: {error}")
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
        _signin_fail(signin, parsed.reason, announce=False)
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
        console_line(conversation, f"Signed in as {identity.label}")
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

"""HTTP calls to the business's systems and to Apple Pay: OAuth token exchange,
merchant session, payment processor hook, outbound webhooks.

Knows wire formats and status codes, nothing about our models. Every failure is
an ``IntegrationError`` that says whether resending could help.
"""

from __future__ import annotations

import json
import os
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx
import jwt
from django.conf import settings

from conversations import safe_http

from .crypto import standard_webhook_signature, webhook_signature

SIGNATURE_HEADER = "X-MSP-Signature"
MAX_ANSWER_BYTES = 256 * 1024
USER_AGENT = "msp-console-integrations/1"


class IntegrationError(Exception):
    def __init__(
        self, detail: str, *, permanent: bool, status: int | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.status = status


def _timeout() -> httpx.Timeout:
    return httpx.Timeout(settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS, connect=5.0)


def _http_client(**kwargs: Any) -> httpx.Client:
    """For the operator's own endpoints (Apple Pay); redirects are answers."""
    return httpx.Client(
        timeout=_timeout(),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        **kwargs,
    )


def _tenant_client() -> httpx.Client:
    """For URLs a business typed in: only public addresses (or the operator's
    ALLOWED_PRIVATE_NETWORKS), redirects are answers, never followed."""
    return safe_http.client(timeout=_timeout(), headers={"User-Agent": USER_AGENT})


def _post_capped(client: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
    """POST and read at most ``MAX_ANSWER_BYTES`` of the answer."""
    with client.stream("POST", url, **kwargs) as response:
        body = safe_http.read_capped(
            response,
            limit=MAX_ANSWER_BYTES,
            seconds=settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS,
        )
    return httpx.Response(response.status_code, headers=response.headers, content=body)


def _classify(response: httpx.Response, who: str) -> IntegrationError:
    # The remote body never goes into the error: it is shown in logs and admin
    # pages, and an internal service's answer must not leak through them.
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unknown status"
    # Timeouts, rate limits and 5xx pass; other answers say the request is wrong.
    transient = status in (408, 429) or status >= 500
    return IntegrationError(
        f"{who} answered {status} ({phrase})", permanent=not transient, status=status
    )


def _network(exc: Exception, who: str) -> IntegrationError:
    if isinstance(exc, safe_http.UnsafeAddress):
        return IntegrationError(
            f"{who} is not on the public internet; not called", permanent=True
        )
    if isinstance(exc, safe_http.TooLarge):
        return IntegrationError(
            f"{who} answered too much or too slowly", permanent=False
        )
    if isinstance(exc, httpx.TimeoutException):
        return IntegrationError(f"{who} timed out", permanent=False)
    return IntegrationError(f"{who} unreachable", permanent=False)


# --- OAuth ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenGrant:
    external_user_id: str
    display_name: str
    access_token: str = field(repr=False)


def _id_token_claims(id_token: str) -> dict[str, Any]:
    # Received straight from the token endpoint over TLS, so OIDC Core 3.1.3.7
    # allows relying on the channel instead of the signature.
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def oauth_code_exchange(
    *,
    token_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
) -> TokenGrant:
    """RFC 6749 §4.1.3 with client_secret_basic; the user id comes from the answer
    (``user_id``, ``sub``, or the ``id_token``'s ``sub``)."""
    who = "The OAuth provider"
    try:
        with _tenant_client() as client:
            response = _post_capped(
                client,
                token_url,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "client_id": client_id,
                },
                auth=(client_id, client_secret),
                headers={"Accept": "application/json"},
            )
    except (httpx.HTTPError, ValueError) as exc:
        raise _network(exc, who) from exc
    if response.status_code != 200:
        raise _classify(response, who)
    try:
        answer = response.json()
    except ValueError as exc:
        raise IntegrationError(f"{who} answered non-JSON", permanent=True) from exc
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise IntegrationError(f"{who} answered without access_token", permanent=True)
    claims = _id_token_claims(str(answer.get("id_token") or ""))
    user_id = str(answer.get("user_id") or answer.get("sub") or claims.get("sub") or "")
    if not user_id:
        raise IntegrationError(f"{who} did not say who signed in", permanent=True)
    name = str(
        answer.get("name")
        or claims.get("name")
        or answer.get("email")
        or claims.get("email")
        or ""
    )
    return TokenGrant(
        external_user_id=user_id,
        display_name=name,
        access_token=str(answer["access_token"]),
    )


# --- Apple Pay merchant session ------------------------------------------------------------


def _tls_with_client_cert(certificate_pem: str, private_key_pem: str) -> ssl.SSLContext:
    """A verifying TLS context presenting the merchant certificate.

    OpenSSL loads chains only from files: a private temporary file, removed at once.
    """
    context = ssl.create_default_context()
    if not certificate_pem or not private_key_pem:
        return context
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(certificate_pem.strip() + "\n" + private_key_pem.strip() + "\n")
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


def merchant_session_request(
    *,
    merchant_identifier: str,
    display_name: str,
    initiative_context: str,
    certificate_pem: str,
    private_key_pem: str,
) -> dict[str, Any]:
    """POST Apple Pay's paymentSession with the merchant identity certificate.

    For Messages for Business the initiative is ``messaging`` and its context is
    the payment gateway URL. The answer is opaque and goes into the request as is.
    """
    who = "Apple Pay"
    body = {
        "merchantIdentifier": merchant_identifier,
        "displayName": display_name,
        "initiative": "messaging",
        "initiativeContext": initiative_context,
    }
    try:
        context = _tls_with_client_cert(certificate_pem, private_key_pem)
        with _http_client(verify=context) as client:
            response = client.post(settings.APPLE_PAY_SESSION_URL, json=body)
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        raise IntegrationError(f"{who} unreachable: {exc}", permanent=False) from exc
    if response.status_code != 200:
        raise _classify(response, who)
    try:
        session = response.json()
    except ValueError as exc:
        raise IntegrationError(f"{who} answered non-JSON", permanent=True) from exc
    if not isinstance(session, dict):
        raise IntegrationError(f"{who} answered no session object", permanent=True)
    return session


# --- signed posts (payment processor, webhooks) ----------------------------------------------


@dataclass(frozen=True)
class SignedAnswer:
    status: int
    body: Any


def signed_post(
    *,
    url: str,
    secret: str,
    payload: Mapping[str, Any],
    headers: Mapping[str, str],
    webhook_id: str | None = None,
) -> SignedAnswer:
    """POST JSON with ``X-MSP-Signature: t=<ts>,v1=<hmac>``; raise on non-2xx.

    With a ``webhook_id``, also the Standard Webhooks headers, so stock verifiers work.
    """
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    signature = webhook_signature(secret, timestamp, body)
    standard: dict[str, str] = {}
    if webhook_id is not None:
        standard = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_webhook_signature(
                secret, webhook_id, timestamp, body
            ),
        }
    who = "The endpoint"
    try:
        with _tenant_client() as client:
            response = _post_capped(
                client,
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: signature,
                    **standard,
                    **headers,
                },
            )
    except (httpx.HTTPError, ValueError) as exc:
        raise _network(exc, who) from exc
    if not 200 <= response.status_code < 300:
        raise _classify(response, who)
    try:
        answer = response.json() if response.content else None
    except ValueError:
        answer = None
    return SignedAnswer(status=response.status_code, body=answer)

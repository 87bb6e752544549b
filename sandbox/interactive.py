"""Device-side helpers for rich messages: tapback subjects, data-ref replies, the Apple Pay sheet."""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

import httpx

from . import mmcs
from .gateway import BUSINESS_EXTENSION_BID

PAYMENT_TIMEOUT_SECONDS = 15.0


def tapback_subject(kind: str, body: dict[str, Any]) -> tuple[str | None, str]:
    """What a reaction sentence names: quoted text, or a description such as ``an image``."""
    if kind == "text":
        if body.get("attachments"):
            mime = str(body["attachments"][0].get("mimeType", ""))
            return None, "an image" if mime.startswith("image/") else "an attachment"
        return str(body.get("body", "")), ""
    return None, "1 Business Message"


def store_reply_as_ref(data: dict[str, Any]) -> dict[str, Any]:
    """Store a large reply in the simulated MMCS and describe it as Apple's interactiveDataRef."""
    upload, key = mmcs.store_payload(data)
    return mmcs.inbound_data_ref(
        upload, key, bid=str(data.get("bid") or BUSINESS_EXTENSION_BID)
    )


async def payment_reply(
    request_body: dict[str, Any], *, approve: bool
) -> dict[str, Any]:
    """Play the Apple Pay sheet: post a simulated token to the business's payment gateway.

    The reply carries the gateway's answer, or a failure status when the
    customer cancelled or the gateway could not be reached.
    """
    data = request_body.get("interactiveData") or {}
    inner = data.get("data") or {}
    payment = inner.get("payment") or {}
    request = payment.get("paymentRequest") or {}
    status = "STATUS_FAILURE"
    token: dict[str, Any] | None = None
    if approve:
        token = {
            "paymentData": {
                "version": "EC_v1",
                "data": base64.b64encode(secrets.token_bytes(96)).decode(),
                "signature": base64.b64encode(secrets.token_bytes(48)).decode(),
                "header": {"transactionId": secrets.token_hex(32)},
            },
            "paymentMethod": {
                "displayName": "Visa 1234",
                "network": "Visa",
                "type": "credit",
            },
            "transactionIdentifier": secrets.token_hex(32).upper(),
        }
        url = (payment.get("endpoints") or {}).get("paymentGatewayUrl")
        status = await _post_token(url, token, request) if url else "STATUS_FAILURE"
    reply_payment: dict[str, Any] = {"status": status, "paymentRequest": request}
    if token is not None:
        reply_payment["paymentToken"] = token
    return {
        "bid": data.get("bid") or BUSINESS_EXTENSION_BID,
        "data": {
            "version": inner.get("version", "1.0"),
            "requestIdentifier": inner.get("requestIdentifier") or str(uuid.uuid4()),
            "payment": reply_payment,
        },
        "receivedMessage": data.get("replyMessage")
        or data.get("receivedMessage")
        or {"title": "Apple Pay"},
    }


async def _post_token(url: str, token: dict[str, Any], request: dict[str, Any]) -> str:
    # As Apple's samples post it: the token under payment.paymentToken.
    body = {
        "payment": {
            "paymentToken": token,
            "billingContact": {
                "givenName": "Sandy",
                "familyName": "Box",
                "countryCode": request.get("countryCode", "US"),
            },
        }
    }
    try:
        async with httpx.AsyncClient(timeout=PAYMENT_TIMEOUT_SECONDS) as client:
            response = await client.post(url, json=body)
        answer = response.json()
    except (httpx.HTTPError, ValueError):
        return "STATUS_FAILURE"
    if isinstance(answer, dict) and isinstance(answer.get("status"), str):
        return answer["status"]
    return "STATUS_FAILURE"


def authentication_reply(
    request_body: dict[str, Any], *, approve: bool, username: str
) -> dict[str, Any]:
    """Play the OAuth sign-in page: approve with a code, or report a cancelled sign-in.

    With a ``responseEncryptionKey`` (the older AUTH flow) the code travels ECIES
    encrypted to that key, as spec §7.6 describes; otherwise in the clear.
    """
    data = request_body.get("interactiveData") or {}
    inner = data.get("data") or {}
    oauth = (inner.get("authenticate") or {}).get("oauth2") or {}
    auth: dict[str, Any] = {"status": "authenticated" if approve else "failed"}
    if oauth.get("state"):
        auth["state"] = oauth["state"]
    if approve:
        code = f"sandbox-code-{secrets.token_urlsafe(12)}.{username or 'user'}"
        key = oauth.get("responseEncryptionKey")
        auth["token"] = ecies_encrypt(key, code.encode()) if key else code
        if oauth.get("redirectURI"):
            auth["redirectURI"] = oauth["redirectURI"]
    return {
        "bid": data.get("bid") or BUSINESS_EXTENSION_BID,
        "data": {
            "version": inner.get("version", "1.0"),
            "requestIdentifier": inner.get("requestIdentifier") or str(uuid.uuid4()),
            "authenticate": auth,
        },
        "receivedMessage": data.get("replyMessage")
        or data.get("receivedMessage")
        or {"title": "Sign in"},
    }


def ecies_encrypt(public_key_b64: str, plaintext: bytes) -> str:
    """ECIES on secp384r1 as Apple's device does it; raises ValueError on a bad key."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF

    raw = base64.b64decode(public_key_b64)
    try:
        recipient = serialization.load_der_public_key(raw)
    except ValueError:
        recipient = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), raw)
    if not isinstance(recipient, ec.EllipticCurvePublicKey):
        raise ValueError("responseEncryptionKey is not an EC public key")
    ephemeral = ec.generate_private_key(ec.SECP384R1())
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = ephemeral.exchange(ec.ECDH(), recipient)
    derived = X963KDF(algorithm=hashes.SHA256(), length=48, sharedinfo=point).derive(
        shared
    )
    sealed = AESGCM(derived[:32]).encrypt(derived[32:], plaintext, None)
    return base64.b64encode(point + sealed).decode("ascii")

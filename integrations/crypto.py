"""Secrets at rest (Fernet) and the old sign-in flow's ECIES (spec §7.6).

Pure functions over bytes and strings; the key comes from settings lazily so
test overrides apply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from django.conf import settings
from django.db import models

# Uncompressed P-384 point: 0x04 ‖ X (48 bytes) ‖ Y (48 bytes).
EPHEMERAL_POINT_BYTES = 97
GCM_TAG_BYTES = 16


class SecretUnreadable(Exception):
    """A stored secret does not decrypt with the current key."""


def _fernet() -> MultiFernet:
    """Every key in FIELD_ENCRYPTION_KEY (comma-separated) decrypts; the first
    encrypts. Rotate: put a new key first, run ``secrets_reencrypt``, drop the old."""
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEY.split(",") if k.strip()]
    if not keys:
        # DEBUG only (settings refuse to start otherwise): stable across restarts.
        digest = hashlib.sha256(b"field-encryption:" + settings.SECRET_KEY.encode())
        keys = [base64.urlsafe_b64encode(digest.digest()).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def secret_encrypt(plaintext: str) -> str:
    """Encrypt a secret for storage; the empty string stays empty (nothing set)."""
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(
            "a stored secret does not decrypt: FIELD_ENCRYPTION_KEY changed?"
        ) from exc


class EncryptedTextField(models.TextField):
    """Text stored Fernet-encrypted; Python code sees plaintext.

    Not searchable or indexable by value: every encryption of the same text differs.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return secret_decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return value
        return secret_encrypt(str(value))


# --- ECIES on secp384r1 (old AUTH flow) -------------------------------------------------


def ecies_key_generate() -> tuple[str, str]:
    """A per-request key pair: (private key PEM, Base64 of the uncompressed public point)."""
    private = ec.generate_private_key(ec.SECP384R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return pem, base64.b64encode(point).decode("ascii")


def ecies_public_key(private_key_pem: str) -> str:
    """Base64 of the uncompressed public point of a stored private key."""
    private = serialization.load_pem_private_key(private_key_pem.encode(), None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError("not an EC private key")
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.b64encode(point).decode("ascii")


class TokenUndecryptable(Exception):
    """The sign-in token is not ECIES for our key (tampered, truncated, wrong key)."""


def ecies_decrypt(private_key_pem: str, token_b64: str) -> bytes:
    """Open a device's token: ephemeral point ‖ AES-256-GCM(ciphertext ‖ tag).

    The X9.63 KDF (SHA-256, shared info = the ephemeral point) yields 48 bytes:
    the first 32 are the AES key, the last 16 the GCM IV (Apple's choice, not
    the usual 12).
    """
    try:
        raw = base64.b64decode(token_b64, validate=True)
    except ValueError as exc:
        raise TokenUndecryptable("the token is not Base64") from exc
    if len(raw) < EPHEMERAL_POINT_BYTES + GCM_TAG_BYTES:
        raise TokenUndecryptable("the token is too short")
    point, sealed = raw[:EPHEMERAL_POINT_BYTES], raw[EPHEMERAL_POINT_BYTES:]
    private = serialization.load_pem_private_key(private_key_pem.encode(), None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise TokenUndecryptable("the request's key is not an EC key")
    try:
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), point)
    except ValueError as exc:
        raise TokenUndecryptable("the ephemeral point is not on P-384") from exc
    shared = private.exchange(ec.ECDH(), ephemeral)
    derived = X963KDF(algorithm=hashes.SHA256(), length=48, sharedinfo=point).derive(
        shared
    )
    try:
        return AESGCM(derived[:32]).decrypt(derived[32:], sealed, None)
    except InvalidTag as exc:
        raise TokenUndecryptable("the token does not authenticate") from exc


# --- outbound webhook signatures ------------------------------------------------------


WHSEC_PREFIX = "whsec_"


def webhook_secret_new() -> str:
    """``whsec_`` and 32 random bytes in base64: the Standard Webhooks secret format."""
    return WHSEC_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_webhook_key(secret: str) -> bytes:
    """The HMAC key of ``webhook-signature``: the base64 after ``whsec_``, as stock
    verifiers decode it. Older secrets (not base64) sign with their UTF-8 bytes."""
    if secret.startswith(WHSEC_PREFIX):
        try:
            return base64.b64decode(secret[len(WHSEC_PREFIX) :], validate=True)
        except ValueError:
            pass
    return secret.encode()


def standard_webhook_signature(
    secret: str, message_id: str, timestamp: int, body: bytes
) -> str:
    """``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`` (Standard Webhooks)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(standard_webhook_key(secret), signed, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>." ‖ body>`` (Stripe's scheme)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"

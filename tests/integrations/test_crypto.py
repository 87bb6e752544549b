from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from django.db import connection

from integrations.crypto import (
    SecretUnreadable,
    TokenUndecryptable,
    ecies_decrypt,
    ecies_key_generate,
    secret_decrypt,
    secret_encrypt,
)
from integrations.models import OAuthProvider


def device_encrypt(public_key_b64: str, plaintext: bytes) -> str:
    """Spec §7.6 written out independently: what the device sends back."""
    recipient = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP384R1(), base64.b64decode(public_key_b64)
    )
    ephemeral = ec.generate_private_key(ec.SECP384R1())
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert len(point) == 97
    shared = ephemeral.exchange(ec.ECDH(), recipient)
    okm = X963KDF(algorithm=hashes.SHA256(), length=48, sharedinfo=point).derive(shared)
    key, iv = okm[:32], okm[32:]
    assert len(iv) == 16
    sealed = AESGCM(key).encrypt(iv, plaintext, None)  # ciphertext ‖ 16-byte tag
    return base64.b64encode(point + sealed).decode()


def test_ecies_decrypts_a_token_encrypted_as_the_device_does() -> None:
    private_pem, public_b64 = ecies_key_generate()
    token = device_encrypt(public_b64, b"auth-code-123")
    assert ecies_decrypt(private_pem, token) == b"auth-code-123"


def test_ecies_public_key_is_an_uncompressed_p384_point() -> None:
    _, public_b64 = ecies_key_generate()
    raw = base64.b64decode(public_b64)
    assert len(raw) == 97
    assert raw[0] == 4


def test_ecies_rejects_a_tampered_token() -> None:
    private_pem, public_b64 = ecies_key_generate()
    raw = bytearray(base64.b64decode(device_encrypt(public_b64, b"code")))
    raw[-1] ^= 1
    with pytest.raises(TokenUndecryptable):
        ecies_decrypt(private_pem, base64.b64encode(bytes(raw)).decode())


def test_ecies_rejects_a_token_for_another_key() -> None:
    private_pem, _ = ecies_key_generate()
    _, other_public = ecies_key_generate()
    with pytest.raises(TokenUndecryptable):
        ecies_decrypt(private_pem, device_encrypt(other_public, b"code"))


@pytest.mark.parametrize("token", ["not base64!", base64.b64encode(b"short").decode()])
def test_ecies_rejects_garbage(token: str) -> None:
    private_pem, _ = ecies_key_generate()
    with pytest.raises(TokenUndecryptable):
        ecies_decrypt(private_pem, token)


def test_secret_round_trip_and_empty_stays_empty() -> None:
    token = secret_encrypt("s3cret")
    assert token != "s3cret"
    assert secret_decrypt(token) == "s3cret"
    assert secret_encrypt("") == ""


def test_secret_from_another_key_is_reported(settings: pytest.FixtureRequest) -> None:
    token = secret_encrypt("s3cret")
    settings.FIELD_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
    with pytest.raises(SecretUnreadable):
        secret_decrypt(token)


@pytest.mark.django_db
def test_secrets_are_encrypted_in_the_database(business) -> None:
    provider = OAuthProvider.objects.create(
        business=business,
        title="Acme",
        client_id="id",
        client_secret="very-secret-value",
        authorize_url="https://a.example/authorize",
        token_url="https://a.example/token",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_secret FROM integrations_oauthprovider WHERE id = %s",
            [provider.id],
        )
        stored = cursor.fetchone()[0]
    assert "very-secret-value" not in stored
    assert (
        OAuthProvider.objects.get(id=provider.id).client_secret == "very-secret-value"
    )

"""Attachment crypto (spec §6): AES-256-CTR with a zero initial counter, in streams.

Also the wire forms Apple uses for keys ("00" + hex) and signatures (hex inbound,
Base64 outbound). Chunks are transformed one by one and never joined, so a
100 MB attachment is never held whole in memory.
"""

from __future__ import annotations

import base64
import binascii
import os
import string
from collections.abc import Iterable, Iterator

from cryptography.hazmat.primitives.ciphers import (
    Cipher,
    CipherContext,
    algorithms,
    modes,
)

KEY_BYTES = 32
ZERO_IV = bytes(16)
_HEX_DIGITS = frozenset(string.hexdigits)


def new_key() -> bytes:
    """A fresh random AES-256 key; one per attachment, never reused."""
    return os.urandom(KEY_BYTES)


def key_to_wire(key: bytes) -> str:
    """Apple's key form: "00" followed by 64 lower-case hex digits (66 characters)."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"an attachment key must be {KEY_BYTES} bytes, got {len(key)}")
    return "00" + key.hex()


def key_from_wire(value: str) -> bytes:
    """Parse a key as Apple sends it: "00" + hex, or the bare 64 hex digits.

    Either hex case is accepted; anything else raises ``ValueError``.
    """
    text = value.strip() if isinstance(value, str) else ""
    if len(text) == 2 + 2 * KEY_BYTES and text.startswith("00"):
        text = text[2:]
    elif len(text) != 2 * KEY_BYTES:
        raise ValueError(
            "an attachment key must be '00' followed by 64 hex digits "
            f"(66 characters), got {len(text)} characters"
        )
    if not _HEX_DIGITS.issuperset(text):
        raise ValueError("an attachment key must contain only hex digits")
    return bytes.fromhex(text)


def signature_hex_to_base64(hex_str: str) -> str:
    """Inbound descriptors carry the MMCS signature as hex; preDownload wants Base64."""
    text = hex_str.strip()
    if not text or len(text) % 2 or not _HEX_DIGITS.issuperset(text):
        raise ValueError("a signature must be a non-empty, even-length hex string")
    return base64.b64encode(bytes.fromhex(text)).decode("ascii")


def signature_base64_to_hex(b64_str: str) -> str:
    """The reverse of ``signature_hex_to_base64`` (lower-case hex)."""
    try:
        raw = base64.b64decode(b64_str.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"a signature is not valid Base64: {exc}") from exc
    if not raw:
        raise ValueError("a signature must not be empty")
    return raw.hex()


def _ctr_context(key: bytes, iv: bytes) -> CipherContext:
    # Validated here, eagerly, so a bad key fails at the call rather than at
    # the first chunk somewhere inside an HTTP upload.
    if len(key) != KEY_BYTES:
        raise ValueError(f"an attachment key must be {KEY_BYTES} bytes, got {len(key)}")
    if len(iv) != len(ZERO_IV):
        raise ValueError(f"the initial counter must be 16 bytes, got {len(iv)}")
    return Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()


def _ctr_chunks(context: CipherContext, chunks: Iterable[bytes]) -> Iterator[bytes]:
    # CTR is a stream cipher: the keystream position carries across update()
    # calls, so chunk boundaries never change the output.
    for chunk in chunks:
        out = context.update(chunk)
        if out:
            yield out
    tail = context.finalize()
    if tail:
        yield tail


def encrypt_chunks(
    key: bytes, chunks: Iterable[bytes], *, iv: bytes = ZERO_IV
) -> Iterator[bytes]:
    """Encrypt a stream of chunks; output length equals input length."""
    return _ctr_chunks(_ctr_context(key, iv), chunks)


def decrypt_chunks(
    key: bytes, chunks: Iterable[bytes], *, iv: bytes = ZERO_IV
) -> Iterator[bytes]:
    """Decrypt a stream of chunks (CTR decryption is the same operation)."""
    return _ctr_chunks(_ctr_context(key, iv), chunks)


def encrypt_bytes(key: bytes, data: bytes, *, iv: bytes = ZERO_IV) -> bytes:
    """One-shot form for small payloads such as interactive data refs."""
    return b"".join(_ctr_chunks(_ctr_context(key, iv), (data,)))


def decrypt_bytes(key: bytes, data: bytes, *, iv: bytes = ZERO_IV) -> bytes:
    """One-shot form for small payloads such as interactive data refs."""
    return b"".join(_ctr_chunks(_ctr_context(key, iv), (data,)))

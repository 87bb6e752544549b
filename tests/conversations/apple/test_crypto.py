"""Attachment crypto: AES-256-CTR in streams, key and signature wire forms (spec §6)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conversations.apple.crypto import (
    decrypt_bytes,
    decrypt_chunks,
    encrypt_bytes,
    encrypt_chunks,
    key_from_wire,
    key_to_wire,
    new_key,
    signature_base64_to_hex,
    signature_hex_to_base64,
)

# NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
NIST_KEY = bytes.fromhex(
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
)
NIST_COUNTER = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
NIST_PLAINTEXT = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172a"
    "ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef"
    "f69f2445df4f9b17ad2b417be66c3710"
)
NIST_CIPHERTEXT = bytes.fromhex(
    "601ec313775789a5b7a7f504bbf3d228"
    "f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988d"
    "dfc9c58db67aada613c2dd08457941a6"
)


def reference_ctr(key: bytes, data: bytes, counter: bytes = bytes(16)) -> bytes:
    """CTR built by hand from ECB: keystream = AES(counter), counter += 1 (mod 2^128)."""
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - building CTR
    start = int.from_bytes(counter, "big")
    out = bytearray()
    for offset in range(0, len(data), 16):
        block = ((start + offset // 16) % (1 << 128)).to_bytes(16, "big")
        keystream = ecb.update(block)
        chunk = data[offset : offset + 16]
        out += bytes(a ^ b for a, b in zip(chunk, keystream, strict=False))
    return bytes(out)


def split(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    """Cut ``data`` into chunks of the given sizes, cycling through them."""
    position, index = 0, 0
    while position < len(data):
        size = sizes[index % len(sizes)]
        yield data[position : position + size]
        position += size
        index += 1


def test_nist_ctr_aes256_encrypt_vector() -> None:
    ciphertext = b"".join(encrypt_chunks(NIST_KEY, [NIST_PLAINTEXT], iv=NIST_COUNTER))

    assert ciphertext == NIST_CIPHERTEXT


def test_nist_ctr_aes256_decrypt_vector() -> None:
    plaintext = b"".join(decrypt_chunks(NIST_KEY, [NIST_CIPHERTEXT], iv=NIST_COUNTER))

    assert plaintext == NIST_PLAINTEXT


def test_reference_implementation_agrees_with_nist() -> None:
    assert reference_ctr(NIST_KEY, NIST_PLAINTEXT, NIST_COUNTER) == NIST_CIPHERTEXT


def test_zero_counter_matches_independent_reference() -> None:
    key = hashlib.sha256(b"zero-iv vector key").digest()
    plaintext = bytes(range(256)) * 3 + b"tail, not a whole block"

    ciphertext = b"".join(encrypt_chunks(key, [plaintext]))

    assert ciphertext == reference_ctr(key, plaintext)
    assert len(ciphertext) == len(plaintext)
    assert b"".join(decrypt_chunks(key, [ciphertext])) == plaintext


def test_counter_wraps_like_the_reference() -> None:
    key = hashlib.sha256(b"wrap").digest()
    counter = b"\xff" * 16
    plaintext = b"x" * 40

    out = b"".join(encrypt_chunks(key, [plaintext], iv=counter))

    assert out == reference_ctr(key, plaintext, counter)


@pytest.mark.parametrize(
    "sizes", [[1], [15], [17], [4096 + 3], [1, 15, 17, 4099, 0, 2]]
)
def test_chunk_boundaries_do_not_change_the_output(sizes: list[int]) -> None:
    key = new_key()
    plaintext = hashlib.sha512(b"seed").digest() * 300  # 19 200 bytes
    one_shot = b"".join(encrypt_chunks(key, [plaintext]))

    chunked = list(encrypt_chunks(key, split(plaintext, sizes)))

    assert b"".join(chunked) == one_shot
    assert b"".join(decrypt_chunks(key, split(one_shot, sizes))) == plaintext


def test_chunks_stream_lazily() -> None:
    key = new_key()
    consumed: list[int] = []

    def source() -> Iterator[bytes]:
        for index in range(3):
            consumed.append(index)
            yield b"a" * 10

    stream = encrypt_chunks(key, source())
    first = next(stream)

    assert len(first) == 10
    assert consumed == [0]


def test_one_shot_helpers_match_streaming() -> None:
    key = new_key()
    data = b"small interactive payload"

    assert encrypt_bytes(key, data) == b"".join(encrypt_chunks(key, [data]))
    assert decrypt_bytes(key, encrypt_bytes(key, data)) == data


def test_bad_key_or_counter_is_rejected_at_once() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encrypt_chunks(b"short", [b"data"])
    with pytest.raises(ValueError, match="16 bytes"):
        encrypt_chunks(new_key(), [b"data"], iv=b"\x00" * 8)


def test_new_key_is_random_32_bytes() -> None:
    first, second = new_key(), new_key()

    assert len(first) == len(second) == 32
    assert first != second


def test_key_wire_round_trip() -> None:
    key = new_key()

    wire = key_to_wire(key)

    assert len(wire) == 66
    assert wire.startswith("00")
    assert wire == wire.lower()
    assert key_from_wire(wire) == key


def test_key_from_wire_accepts_upper_case_and_bare_hex() -> None:
    key = bytes(range(32))
    hex_key = key.hex()

    assert key_from_wire("00" + hex_key.upper()) == key
    assert key_from_wire(hex_key) == key
    assert key_from_wire(hex_key.upper()) == key


@pytest.mark.parametrize(
    "value",
    [
        "",
        "00",
        "00" + "ab" * 31 + "a",  # 65 characters
        "00" + "ab" * 33,
        "ab" * 31,
        "01" + "ab" * 32,
        "00" + "zz" * 32,
        "0x" + "ab" * 32,
    ],
)
def test_key_from_wire_rejects_bad_values(value: str) -> None:
    with pytest.raises(ValueError, match="key"):
        key_from_wire(value)


def test_key_to_wire_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        key_to_wire(b"\x00" * 16)


def test_signature_hex_base64_round_trip() -> None:
    raw = bytes.fromhex("81" + "3f" * 20)

    as_base64 = signature_hex_to_base64(raw.hex().upper())

    assert base64.b64decode(as_base64) == raw
    assert signature_base64_to_hex(as_base64) == raw.hex()


@pytest.mark.parametrize("value", ["", "abc", "zz", "81 3f"])
def test_signature_hex_rejects_non_hex(value: str) -> None:
    with pytest.raises(ValueError, match="hex"):
        signature_hex_to_base64(value)


def test_signature_base64_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="Base64"):
        signature_base64_to_hex("not*base64")

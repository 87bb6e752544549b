"""The simulated MMCS file store behind preUpload / upload / preDownload / download (spec §6, §8).

Files are written and read in chunks so a 100 MB attachment is never held whole in
memory. Encryption comes from ``conversations.apple.crypto`` (AES-256-CTR); what
the gateway *checks* about a file (size, checksum, that the key decrypts it to the
declared type) is decided here, independently of the platform's code.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core import signing

from conversations.apple.crypto import (
    decrypt_chunks,
    encrypt_chunks,
    key_to_wire,
    new_key,
)

from .models import SandboxUpload

CHUNK_BYTES = 256 * 1024
DOWNLOAD_URL_MAX_AGE_SECONDS = 600
_DOWNLOAD_SALT = "sandbox.mmcs.download"
_DATA_REF_SALT = "sandbox.mmcs.data-ref"

# First bytes of common types: a key that decrypts to anything else is wrong.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04",),
    "application/vnd.apple.pkpass": (b"PK\x03\x04",),
    "model/vnd.usdz+zip": (b"PK\x03\x04",),
    "audio/x-caf": (b"caff",),
}


def storage_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "sandbox-mmcs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_owner() -> str:
    return "mmcs-owner-" + secrets.token_hex(8)


def checksum_of(digest: bytes) -> str:
    # MMCS checksums are 21 bytes: a type byte then SHA-1; only the shape matters here.
    return base64.b64encode(b"\x01" + digest).decode("ascii")


def write_upload(upload: SandboxUpload, chunks: Iterable[bytes]) -> SandboxUpload:
    """Store the encrypted bytes of an upload and record its size and checksum."""
    path = storage_dir() / f"{upload.token}.bin"
    sha1 = hashlib.sha1()  # noqa: S324 - a checksum, not a security boundary
    size = 0
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            sha1.update(chunk)
            size += len(chunk)
    upload.size = size
    upload.checksum = checksum_of(sha1.digest())
    upload.path = str(path)
    upload.save(update_fields=["size", "checksum", "path"])
    return upload


class Readable(Protocol):
    """An open file or a request body: anything read in chunks."""

    def read(self, size: int, /) -> bytes: ...


def read_stream(stream: Readable) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def file_chunks(upload: SandboxUpload) -> Iterator[bytes]:
    with open(upload.path, "rb") as stream:
        yield from read_stream(stream)


def store_encrypted(
    plain_chunks: Iterable[bytes], *, declared_size: int
) -> tuple[SandboxUpload, bytes]:
    """Encrypt and store a file the simulator itself sends; return the upload and its key."""
    key = new_key()
    upload = SandboxUpload.objects.create(
        owner=new_owner(), declared_size=declared_size
    )
    write_upload(upload, encrypt_chunks(key, plain_chunks))
    return upload, key


def signature_hex(upload: SandboxUpload) -> str:
    """The file's checksum as Apple's inbound examples write it: upper-case hex."""
    return base64.b64decode(upload.checksum).hex().upper()


def descriptor(
    upload: SandboxUpload, key: bytes, *, name: str, mime_type: str
) -> dict[str, Any]:
    """An inbound attachment descriptor as Apple sends it (spec §6).

    Like Apple's examples: ``size`` a number and the signature in upper-case hex,
    the spellings a receiver is most likely to get wrong.
    """
    return {
        "name": name,
        "mimeType": mime_type,
        "size": upload.size,
        "signature": signature_hex(upload),
        "url": upload.mmcs_url,
        "owner": upload.owner,
        "key": key_to_wire(key),
    }


def find_by_url(url: str) -> SandboxUpload | None:
    token = url.rstrip("/").rsplit("/", 1)[-1]
    try:
        uuid.UUID(token)
    except ValueError:
        return None
    return SandboxUpload.objects.filter(token=token).first()


def decrypted_head(upload: SandboxUpload, key: bytes, length: int = 64) -> bytes:
    with open(upload.path, "rb") as stream:
        head = stream.read(length)
    return b"".join(decrypt_chunks(key, [head]))


def key_fits_type(upload: SandboxUpload, key: bytes, mime_type: str) -> bool:
    """False when the declared type has a known signature the decrypted bytes lack."""
    magics = _MAGIC.get(mime_type.lower())
    if not magics:
        return True
    head = decrypted_head(upload, key)
    return any(head.startswith(magic) for magic in magics)


def decrypted_chunks(upload: SandboxUpload, key: bytes) -> Iterator[bytes]:
    return decrypt_chunks(key, file_chunks(upload))


def download_token(upload: SandboxUpload) -> str:
    return signing.dumps(str(upload.token), salt=_DOWNLOAD_SALT)


def upload_for_download_token(token: str) -> SandboxUpload | None:
    try:
        value = signing.loads(
            token, salt=_DOWNLOAD_SALT, max_age=DOWNLOAD_URL_MAX_AGE_SECONDS
        )
    except signing.BadSignature:
        return None
    return SandboxUpload.objects.filter(token=value, size__isnull=False).first()


def store_payload(interactive_data: dict[str, Any]) -> tuple[SandboxUpload, bytes]:
    """Keep a large interactive payload as Apple does for interactiveDataRef (spec §8)."""
    packed = gzip.compress(json.dumps({"interactiveData": interactive_data}).encode())
    return store_encrypted([packed], declared_size=len(packed))


def inbound_data_ref(upload: SandboxUpload, key: bytes, *, bid: str) -> dict[str, Any]:
    """An ``interactiveDataRef`` as Apple delivers a large reply (spec §8): key included."""
    return {
        "bid": bid,
        "owner": upload.owner,
        "url": upload.mmcs_url,
        "key": key_to_wire(key),
        "size": upload.size,
        "signature": signature_hex(upload),
    }


def answered_data_ref(
    upload: SandboxUpload, key: bytes, *, bid: str, title: str
) -> dict[str, Any]:
    """Apple's answer to ``include-data-ref: true``, field for field as its tutorial shows.

    Apple keeps the key to itself and returns an opaque ``dataRefSig`` instead;
    here that is a signed token holding the key, so the ref can be sent back as is.
    """
    return {
        "bid": bid,
        "owner": upload.owner,
        "url": upload.mmcs_url,
        "size": upload.size,
        "signature": signature_hex(upload),
        "signature-base64": upload.checksum,
        "title": title,
        "dataRefSig": signing.dumps(
            {"token": str(upload.token), "key": key.hex()}, salt=_DATA_REF_SALT
        ),
    }


def key_from_data_ref_sig(value: str, upload: SandboxUpload) -> bytes | None:
    """The key behind a ``dataRefSig`` this gateway handed out for ``upload``, else None."""
    try:
        content = signing.loads(value, salt=_DATA_REF_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(content, dict) or content.get("token") != str(upload.token):
        return None
    try:
        return bytes.fromhex(str(content.get("key", "")))
    except ValueError:
        return None


def load_payload(upload: SandboxUpload, key: bytes) -> Any:
    """Decrypt, gunzip if needed and parse a stored payload; raises ValueError."""
    raw = b"".join(decrypted_chunks(upload, key))
    return decode_payload_bytes(raw)


def decode_payload_bytes(raw: bytes) -> Any:
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError("payload looks gzip'd but does not gunzip") from exc
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"payload is not an encoded interactive message: {exc}"
        ) from exc

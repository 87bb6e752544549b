"""``Idempotency-Key`` on the writes that send or create: a retry gets the first answer.

The first successful answer (status and body) is kept for 24 hours per key and
caller and replayed with ``Idempotent-Replayed: true``. The same key with another
request (method, path or body) is refused with 422; a duplicate that arrives
while the first still runs gets 409 and may retry. An answer that is an error is
not kept: nothing was done, so the client may fix the request and reuse the key.

Keys live in PostgreSQL (``IdempotencyKey``), not in Redis: the row's unique
index is what stops two concurrent duplicates from both sending, in the same
database as the message it guards, and a stored answer does not vanish with a
cache eviction or a Redis restart within its 24 hours.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.request import Request
from rest_framework.response import Response

from .exceptions import ApplicationError, ConflictError
from .models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255

Handler = TypeVar("Handler", bound=Callable[..., Response])


class IdempotencyKeyReused(ApplicationError):
    status_code = 422
    code = "idempotency_key_reused"


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        return {"file": str(value.name or ""), "sha256": _file_digest(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_fingerprint(request: Request) -> str:
    """The request as parsed, so JSON key order or spacing does not matter."""
    data = request.data
    if hasattr(data, "lists"):  # QueryDict (multipart): keep every value
        parsed: Any = dict(data.lists())
    else:
        parsed = data
    files = dict(request.FILES.lists())
    canonical = json.dumps(
        {
            "method": request.method,
            "path": request.path,
            "data": _canonical(parsed),
            "files": _canonical(files),
        },
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_from(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        raise ApplicationError(
            gettext(
                "%(header)s must be 1 to %(max_key_length)s printable ASCII characters."
            )
            % {"header": HEADER, "max_key_length": MAX_KEY_LENGTH},
            code="invalid_idempotency_key",
        )
    return key


def claim(*, user: Any, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Take the key for this request (None) or return the finished first answer.

    The insert commits on its own: a concurrent duplicate then fails on the
    unique index instead of running the write a second time.
    """
    with transaction.atomic():
        IdempotencyKey.objects.filter(
            user=user, key=key, created_at__lt=timezone.now() - KEEP_FOR
        ).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint)
        return None
    except IntegrityError:
        pass
    first = IdempotencyKey.objects.filter(user=user, key=key).first()
    if first is None:  # released between our insert and this read: try once more
        return claim(user=user, key=key, fingerprint=fingerprint)
    if first.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"This {HEADER} was used for a different request in the last 24 hours."
        )
    if first.status_code is None:
        raise ConflictError(
            gettext(
                "A request with this %(header)s is still running; retry in a moment."
            )
            % {"header": HEADER},
            code="idempotency_key_in_use",
        )
    return first


def _release(*, user: Any, key: str) -> None:
    IdempotencyKey.objects.filter(user=user, key=key, status_code=None).delete()


def idempotent(handler: Handler) -> Handler:
    """Decorate an APIView's ``post``: honours ``Idempotency-Key`` when sent."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = key_from(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        user: Any = request.user  # authenticated: the views require it
        # Parse (and refuse a malformed body) before the key is taken.
        fingerprint = request_fingerprint(request)
        first = claim(user=user, key=key, fingerprint=fingerprint)
        if first is not None:
            return Response(
                first.body,
                status=first.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            _release(user=user, key=key)
            raise
        if 200 <= response.status_code < 300:
            IdempotencyKey.objects.filter(user=user, key=key).update(
                status_code=response.status_code, body=response.data
            )
        else:
            _release(user=user, key=key)
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def idempotency_keys_purge() -> int:
    """Drop keys past their 24 hours (a beat task); returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    return deleted

"""Apple-facing JWTs (spec §2): sign what goes to Apple, verify what comes from it.

The only module that decodes the Messaging API secret. Settings are read when a
function is called, never at import, so test overrides take effect.
"""

from __future__ import annotations

import base64
import binascii
import math
import threading
import time
from collections import OrderedDict
from typing import Any

import jwt
from django.core.exceptions import ImproperlyConfigured

from .exceptions import InvalidToken, MissingToken

ALGORITHM = "HS256"
MAX_AGE_SECONDS = 3600  # Apple mints at least hourly (spec §2)
FUTURE_SKEW_SECONDS = 60  # clocks drift; a token a few seconds "early" is fine


def _settings_msp_id() -> str:
    from django.conf import settings

    msp_id = getattr(settings, "MSP_ID", "")
    if not msp_id:
        raise ImproperlyConfigured("MSP_ID is not set")
    return str(msp_id)


def _settings_secrets() -> list[str]:
    from django.conf import settings

    secrets = getattr(settings, "MSP_SECRETS", None)
    if isinstance(secrets, str):
        secrets = [secrets]
    if not secrets:
        raise ImproperlyConfigured(
            "MSP_SECRETS is empty: at least one secret is required"
        )
    return [str(secret) for secret in secrets]


def decode_secret(secret: str) -> bytes:
    """Turn a Base64 Messaging API secret into HMAC key bytes.

    Apple hands out the secret as Base64 text and signs with the decoded bytes;
    signing with the text itself is the classic integration bug, so the text is
    never used as a key. Missing padding and the URL-safe alphabet are tolerated
    because secrets get copied through env files and consoles.
    """
    text = "".join(str(secret).split())
    if not text:
        raise ImproperlyConfigured("an MSP secret is empty")
    text += "=" * (-len(text) % 4)
    altchars = b"-_" if ("-" in text or "_" in text) else None
    try:
        key = base64.b64decode(text, altchars=altchars, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"an MSP secret is not valid Base64: {exc}") from exc
    if not key:
        raise ImproperlyConfigured("an MSP secret decodes to zero bytes")
    return key


def apple_token_issue(*, secret: str | None = None, issuer: str | None = None) -> str:
    """Mint the JWT sent with every request to Apple: ``iss`` = MSP ID, ``iat`` = now.

    Signed with the first configured secret: during a rotation the newest
    secret is listed first and is the one Apple expects us to sign with.
    """
    key = decode_secret(secret if secret is not None else _settings_secrets()[0])
    claims = {"iss": issuer or _settings_msp_id(), "iat": int(time.time())}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def apple_token_for_inbound(
    *,
    audience: str | None = None,
    secret: str | None = None,
    iat: int | None = None,
) -> str:
    """Sign a token the way Apple signs inbound traffic (``aud`` = MSP ID, ``iat``).

    Used by tests and by the simulator's customer side.
    """
    key = decode_secret(secret if secret is not None else _settings_secrets()[0])
    claims = {
        "aud": audience if audience is not None else _settings_msp_id(),
        "iat": int(time.time()) if iat is None else iat,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def _bearer_token(header_value: str | None) -> str:
    if header_value is None or not header_value.strip():
        raise MissingToken("missing Authorization header")
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() != "bearer":
        # No bearer credentials at all: a 401 challenge, not a failed verification.
        raise MissingToken("Authorization header is not a Bearer token")
    token = token.strip()
    if not token:
        raise MissingToken("empty Bearer token")
    return token


def _check_iat(claims: dict[str, Any]) -> None:
    iat = claims.get("iat")
    # bool is an int subclass; `"iat": true` is not a timestamp.
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise InvalidToken("iat must be a number")
    # NaN compares false with everything, so it would pass both age checks and
    # never expire; infinities are no instant either.
    if not math.isfinite(iat):
        raise InvalidToken("iat must be a finite number")
    now = time.time()
    if now - iat > MAX_AGE_SECONDS:
        raise InvalidToken("token is older than one hour")
    if iat - now > FUTURE_SKEW_SECONDS:
        raise InvalidToken("iat is in the future")


def apple_token_verify(
    header_value: str | None,
    *,
    secrets: list[str] | None = None,
    audience: str | None = None,
) -> dict[str, Any]:
    """Verify the ``Authorization`` header of an inbound request; return the claims.

    Raises ``MissingToken`` when there is no bearer token (answer 401) and
    ``InvalidToken`` with a short reason for everything else (answer 403).
    Every configured secret is tried, so both sides of a key rotation verify.
    """
    token = _bearer_token(header_value)
    expected_audience = audience if audience is not None else _settings_msp_id()
    secret_list = secrets if secrets is not None else _settings_secrets()
    memo_key = (token, expected_audience, tuple(secret_list))
    claims = _verified_get(memo_key)
    if claims is not None:
        _check_iat(claims)  # It ages between uses.
        return claims
    claims = _verify(token, expected_audience, secret_list)
    _verified_put(memo_key, claims)
    return claims


# Apple reuses one token for up to an hour, on every webhook: checking its
# signature again each time cost a twentieth of a webhook's time in the server.
# A token that verified is remembered for MEMO_SECONDS (its age is checked on
# every use), keyed by the audience and secrets it verified with, so a secret
# removed from MSP_SECRETS stops verifying at once.
MEMO_SECONDS = 60.0
MEMO_SIZE = 64
_verified: OrderedDict[tuple[str, str, tuple[str, ...]], tuple[dict[str, Any], float]]
_verified = OrderedDict()
_verified_lock = threading.Lock()


def _verified_get(key: tuple[str, str, tuple[str, ...]]) -> dict[str, Any] | None:
    with _verified_lock:
        hit = _verified.get(key)
        if hit is None:
            return None
        claims, until = hit
        if until < time.monotonic():
            del _verified[key]
            return None
        return claims


def _verified_put(
    key: tuple[str, str, tuple[str, ...]], claims: dict[str, Any]
) -> None:
    if "exp" in claims or "nbf" in claims:
        return  # Apple sends neither; a token that does is checked every time.
    with _verified_lock:
        _verified[key] = (claims, time.monotonic() + MEMO_SECONDS)
        while len(_verified) > MEMO_SIZE:
            _verified.popitem(last=False)


def verified_forget() -> None:
    with _verified_lock:
        _verified.clear()


def _verify(token: str, expected_audience: str, secrets: list[str]) -> dict[str, Any]:
    keys = [decode_secret(s) for s in secrets]
    if not keys:
        raise ImproperlyConfigured("no MSP secret to verify with")

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc
    # Checked before PyJWT as well as through `algorithms`: the alg a token
    # announces must never choose how it is verified (RFC 8725 §2.1).
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise InvalidToken(f"algorithm {alg!r} is not allowed")

    for index, key in enumerate(keys):
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=expected_audience,
                # iat is checked below with a one-hour window PyJWT has no option for.
                options={"require": ["aud", "iat"], "verify_iat": False},
                leeway=FUTURE_SKEW_SECONDS,
            )
        except jwt.InvalidSignatureError as exc:
            if index + 1 < len(keys):
                continue
            raise InvalidToken("bad signature") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"missing {exc.claim} claim") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("wrong audience") from exc
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token has expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"invalid token: {exc}") from exc
        _check_iat(claims)
        return claims
    raise InvalidToken(
        "bad signature"
    )  # pragma: no cover - loop always returns or raises

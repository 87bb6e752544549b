"""The business's outside world, simulated: an OAuth 2 provider, Apple Pay's
merchant-session endpoint and a payment processor.

Under ``/sandbox/`` beside the gateway, so ``make run`` can carry a sign-in and an
Apple Pay round trip end to end without any real provider:

- ``GET|POST oauth/authorize`` — a plain sign-in form that redirects to
  ``redirect_uri`` with ``code`` and ``state`` (the customer page signs in by
  itself; this is for a browser that follows the authorize URL).
- ``POST oauth/token`` — RFC 6749 §4.1.3: client_secret_basic or form
  credentials, ``grant_type=authorization_code``; codes look like the ones the
  customer page issues (``sandbox-code-<random>.<username>``) and work once.
- ``POST applepay/paymentSession`` — Apple's ``paymentSession``: checks the body
  (the client certificate cannot be seen over plain HTTP) and answers an opaque
  merchant session.
- ``POST processor/charge`` — the business's payment processor hook: checks the
  ``X-MSP-Signature`` HMAC, declines amounts ending in ``.13``, approves the rest.

Views are async and touch no database: the platform's own synchronous code calls
them on the same server (single-process ``make run``), and a sync view would
queue behind its caller.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.templatetags.static import static
from django.views.decorators.csrf import csrf_exempt

# The demo business's credentials (seed_demo writes them into its settings).
# Published on purpose: the sandbox is never mounted in production.
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105
PROCESSOR_SECRET = "sandbox-processor-secret"  # noqa: S105
MERCHANT_IDENTIFIER = "merchant.com.example.demo"

TOKEN_LIFETIME_SECONDS = 3600
SESSION_LIFETIME_MS = 5 * 60 * 1000
SIGNATURE_TOLERANCE_SECONDS = 300
DECLINED_CENTS = ".13"
# What the customer page (sandbox/interactive.py) issues: sandbox-code-<urlsafe>.<user>.
CODE_PATTERN = re.compile(
    r"^sandbox-code-[A-Za-z0-9_-]{8,64}\.([A-Za-z0-9_.@+-]{1,64})$"
)
USED_CODES_KEPT = 10_000


class _UsedCodes:
    """Codes already exchanged (RFC 6749 §4.1.2: a code is used once).

    Kept in the serving process, like the gateway's misbehaviour switches.
    """

    def __init__(self) -> None:
        self._codes: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, code: str) -> bool:
        with self._lock:
            if code in self._codes:
                return False
            self._codes[code] = None
            while len(self._codes) > USED_CODES_KEPT:
                self._codes.popitem(last=False)
            return True

    def reset(self) -> None:
        with self._lock:
            self._codes.clear()


used_codes = _UsedCodes()


def oauth_error(status: int, code: str, description: str) -> JsonResponse:
    """RFC 6749 §5.2 error JSON."""
    response = JsonResponse(
        {"error": code, "error_description": description}, status=status
    )
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="sandbox"'
    return response


def _form(request: HttpRequest) -> dict[str, str]:
    """The form body (RFC 6749 wants urlencoded; a parsed form of any kind will do)."""
    if request.POST:
        return {key: request.POST[key] for key in request.POST}
    try:
        parsed = parse_qs(request.body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {key: values[0] for key, values in parsed.items()}


def _client_credentials(
    request: HttpRequest, form: dict[str, str]
) -> tuple[str, str] | None:
    """client_secret_basic, else client_secret_post; None when neither is given."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ("", "")
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    if "client_secret" in form:
        return form.get("client_id", ""), form["client_secret"]
    return None


def _credentials_ok(client_id: str, client_secret: str) -> bool:
    # Both compared every time, so timing does not tell which one was wrong.
    id_ok = hmac.compare_digest(client_id.encode(), CLIENT_ID.encode())
    secret_ok = hmac.compare_digest(client_secret.encode(), CLIENT_SECRET.encode())
    return id_ok and secret_ok


def _id_token(subject: str, name: str, now: int) -> str:
    """An unsigned-looking but well-formed JWT carrying ``sub`` and ``name``."""
    import jwt

    return jwt.encode(
        {
            "iss": "sandbox",
            "aud": CLIENT_ID,
            "sub": subject,
            "name": name,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
        },
        # HS256 wants a 32-byte key; integrations reads the claims without it.
        hashlib.sha256(f"id-token:{CLIENT_SECRET}".encode()).digest(),
        algorithm="HS256",
    )


@csrf_exempt
async def oauth_token(request: HttpRequest) -> HttpResponse:
    """The token endpoint: a code from the customer page for an access token."""
    if request.method != "POST":
        return oauth_error(405, "invalid_request", "use POST")
    form = _form(request)
    credentials = _client_credentials(request, form)
    if credentials is None:
        return oauth_error(401, "invalid_client", "client authentication is required")
    if not _credentials_ok(*credentials):
        return oauth_error(401, "invalid_client", "unknown client or wrong secret")
    if form.get("client_id") and form["client_id"] != credentials[0]:
        return oauth_error(
            400, "invalid_request", "client_id differs from the one authenticated"
        )
    if form.get("grant_type") != "authorization_code":
        return oauth_error(
            400, "unsupported_grant_type", "only authorization_code is supported"
        )
    code = form.get("code", "")
    if not code:
        return oauth_error(400, "invalid_request", "code is required")
    if not form.get("redirect_uri"):
        return oauth_error(400, "invalid_request", "redirect_uri is required")
    match = CODE_PATTERN.match(code)
    if match is None:
        return oauth_error(400, "invalid_grant", "unknown authorization code")
    if not used_codes.claim(code):
        return oauth_error(400, "invalid_grant", "authorization code already used")
    username = match.group(1)
    name = username.title()
    now = int(time.time())
    response = JsonResponse(
        {
            "access_token": f"sandbox-at-{secrets.token_urlsafe(24)}",
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "scope": form.get("scope", "openid profile"),
            "user_id": username,
            "name": name,
            "id_token": _id_token(username, name, now),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


AUTHORIZE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox sign-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{stylesheet}"></head>
<body class="provider-page">
<h1>Sandbox sign-in</h1>
<p>Any user name signs in; the provider answers its code with that user.</p>
<form method="post">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="client_id" value="{client_id}">
<label>User name <input name="username" value="alice" required></label>
<button type="submit">Sign in</button>
</form></body></html>"""


@csrf_exempt
async def oauth_authorize(request: HttpRequest) -> HttpResponse:
    """A browser sign-in page: redirect back with ``code`` and ``state``."""
    params = request.GET if request.method == "GET" else request.POST
    redirect_uri = params.get("redirect_uri", "")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return HttpResponse("redirect_uri must be an http(s) URL", status=400)
    if params.get("client_id") != CLIENT_ID:
        return HttpResponse("unknown client_id", status=400)
    if request.method == "GET":
        page = AUTHORIZE_PAGE.format(
            redirect_uri=html.escape(redirect_uri),
            state=html.escape(params.get("state", "")),
            client_id=html.escape(CLIENT_ID),
            # A file, not a style attribute: the Content-Security-Policy allows none.
            stylesheet=html.escape(static("sandbox/provider.css")),
        )
        return HttpResponse(page)
    if request.method != "POST":
        return HttpResponse(status=405)
    username = re.sub(r"[^A-Za-z0-9_.@+-]", "", params.get("username", ""))[:64]
    code = f"sandbox-code-{secrets.token_urlsafe(12)}.{username or 'user'}"
    query = {"code": code}
    if params.get("state"):
        query["state"] = params["state"]
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode(query)}")


# --- Apple Pay ---------------------------------------------------------------------------------


def _json_body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _apple_error(status: int, message: str) -> JsonResponse:
    # Apple answers refusals with statusCode/statusMessage.
    return JsonResponse(
        {"statusCode": str(status), "statusMessage": message}, status=status
    )


def _session_domain(body: dict[str, Any]) -> str | None:
    """``domainName`` (older API), or the host/initiative context of the newer one."""
    if body.get("domainName"):
        return str(body["domainName"])
    initiative = body.get("initiative")
    context = str(body.get("initiativeContext") or "")
    if initiative == "messaging":
        # Messages for Business: the context is the payment gateway URL.
        parts = urlsplit(context)
        return parts.hostname if parts.scheme in ("http", "https") else None
    if initiative in ("web", "in_app"):
        return context or None
    return None


@csrf_exempt
async def apple_pay_session(request: HttpRequest) -> HttpResponse:
    """Apple's ``paymentSession``: a merchant session for a well-formed request."""
    if request.method != "POST":
        return _apple_error(405, "use POST")
    body = _json_body(request)
    if body is None:
        return _apple_error(400, "the body must be a JSON object")
    merchant = str(body.get("merchantIdentifier") or "")
    display_name = str(body.get("displayName") or "")
    if not merchant.startswith("merchant."):
        return _apple_error(
            400, "merchantIdentifier must look like merchant.<reverse-dns>"
        )
    if not display_name or len(display_name) > 64:
        return _apple_error(400, "displayName is required (at most 64 characters)")
    domain = _session_domain(body)
    if not domain:
        return _apple_error(
            400,
            "domainName, or initiative (messaging, web) with a valid initiativeContext, is required",
        )
    now_ms = int(time.time() * 1000)
    session: dict[str, Any] = {
        "epochTimestamp": now_ms,
        "expiresAt": now_ms + SESSION_LIFETIME_MS,
        "merchantSessionIdentifier": f"SSH{uuid.uuid4().hex.upper()}",
        "nonce": secrets.token_hex(4),
        "merchantIdentifier": hashlib.sha256(merchant.encode()).hexdigest().upper(),
        "domainName": domain,
        "displayName": display_name,
        "operationalAnalyticsIdentifier": f"{display_name}:{merchant}",
        "retries": 0,
        "pspId": hashlib.sha256(merchant.encode()).hexdigest().upper(),
    }
    # Opaque to the merchant, as Apple's is: only the device checks it.
    mac = hmac.new(
        settings.SECRET_KEY.encode(),
        json.dumps(session, sort_keys=True).encode(),
        hashlib.sha256,
    ).digest()
    session["signature"] = base64.b64encode(mac * 8).decode()
    return JsonResponse(session)


# --- payment processor --------------------------------------------------------------------------


def signature_valid(
    secret: str, header: str, body: bytes, *, now: float | None = None
) -> bool:
    """``X-MSP-Signature: t=<ts>,v1=<hex>`` checked as a business's receiver would."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


@csrf_exempt
async def processor_charge(request: HttpRequest) -> HttpResponse:
    """The business's processor: verify the signature, then approve or decline."""
    if request.method != "POST":
        return JsonResponse({"error": "use POST"}, status=405)
    if not signature_valid(
        PROCESSOR_SECRET, request.headers.get("X-MSP-Signature", ""), request.body
    ):
        return JsonResponse({"error": "bad or missing X-MSP-Signature"}, status=401)
    body = _json_body(request)
    if body is None:
        return JsonResponse({"error": "the body must be a JSON object"}, status=400)
    token = body.get("token")
    if not isinstance(token, dict) or not token.get("paymentData"):
        return JsonResponse({"error": "token.paymentData is required"}, status=400)
    amount = str(body.get("amount") or "")
    if amount.endswith(DECLINED_CENTS):
        return JsonResponse(
            {"status": "STATUS_FAILURE", "decline_reason": "card_declined"}
        )
    return JsonResponse(
        {
            "status": "STATUS_SUCCESS",
            "charge_id": f"ch_sandbox_{secrets.token_hex(8)}",
            "amount": amount,
            "currency": body.get("currency") or "",
        }
    )

"""Apple Messages for Business HTTP client (spec §4, §6, §8).

Knows URLs, headers and status codes; knows nothing about our models. Every
failure comes out as ``AppleTransientError`` (worth retrying with the same id)
or ``ApplePermanentError`` (retrying repeats the failure); callers decide.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx

from .auth import apple_token_issue
from .crypto import decrypt_chunks, encrypt_chunks, key_from_wire, key_to_wire, new_key
from .exceptions import (
    AppleError,
    ApplePermanentError,
    AppleTransientError,
    MalformedPayload,
)
from .payloads import (
    MAX_BODY_BYTES,
    AttachmentDescriptor,
    gunzip_if_compressed,
    outbound_typing_body,
    parse_attachment,
)

CONNECT_TIMEOUT_SECONDS = 5.0
# Attachments go up to 100 MB (spec §6): a short read timeout would cut them off.
TRANSFER_TIMEOUT_SECONDS = 120.0
DEFAULT_TIMEOUT_SECONDS = 15.0
ERROR_BODY_CHARS = 300
DOWNLOAD_CHUNK_BYTES = 64 * 1024
MSP_AGENT_MAX_CHARS = 64


_shared: httpx.Client | None = None
_shared_lock = threading.Lock()
# Enough for a worker's threads and the downloads beside them.
POOL_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=32)


def _http_client(
    *, timeout: httpx.Timeout, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The HTTP client for Apple calls: the single seam tests replace.

    One client per process, kept open: building one makes a TLS context (a
    quarter of a busy worker's time went there) and a kept connection skips the
    handshake on every send. httpx clients are safe to share between threads;
    each call passes its own timeout. A given transport (tests) gets its own.
    """
    # Redirects are not followed: a 3xx from Apple is an answer to report, and
    # following it would resend the bearer token to wherever it points.
    if transport is not None:
        return httpx.Client(
            timeout=timeout, transport=transport, follow_redirects=False
        )
    global _shared
    with _shared_lock:
        if _shared is None or _shared.is_closed:
            _shared = httpx.Client(
                timeout=timeout, follow_redirects=False, limits=POOL_LIMITS
            )
        return _shared


def _agent_name(value: Any) -> str:
    # Header values must be ASCII; Apple caps msp-agent at 64 characters.
    text = "".join(char for char in str(value or "") if " " <= char <= "~")
    return text.strip()[:MSP_AGENT_MAX_CHARS]


def _error_for_status(response: httpx.Response, text: str) -> AppleError:
    status = response.status_code
    snippet = text[:ERROR_BODY_CHARS].strip() or response.reason_phrase
    detail = f"Apple answered {status}: {snippet}"
    # 429 and 5xx are Apple's trouble or a momentary limit; any other non-2xx
    # says the request itself is wrong and resending it cannot help.
    if status == 429 or status >= 500:
        return AppleTransientError(detail, status=status)
    return ApplePermanentError(detail, status=status)


def _raise_for_status(response: httpx.Response) -> None:
    if not 200 <= response.status_code < 300:
        raise _error_for_status(response, response.text)


def _raise_for_stream_status(response: httpx.Response) -> None:
    if 200 <= response.status_code < 300:
        return
    # A streamed error body is read only as far as the message needs.
    head = b""
    try:
        for chunk in response.iter_bytes():
            head += chunk
            if len(head) >= 4 * ERROR_BODY_CHARS:
                break
    except httpx.RequestError:
        pass  # the status alone classifies the failure
    text = head.decode(response.encoding or "utf-8", errors="replace")
    raise _error_for_status(response, text)


def _network_error(exc: httpx.RequestError) -> AppleError:
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return AppleTransientError(f"timed out talking to Apple ({name}): {exc}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return ApplePermanentError(f"bad Apple URL ({name}): {exc}")
    return AppleTransientError(f"could not reach Apple ({name}): {exc}")


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON object a 2xx answer must carry.

    An unreadable answer where Apple documents JSON is treated as transient:
    the request was accepted, so the gateway (or a proxy) is what misbehaved.
    """
    try:
        data = json.loads(response.content)
    except ValueError as exc:
        raise AppleTransientError(
            f"Apple answered {response.status_code} to {what} with a non-JSON body",
            status=response.status_code,
        ) from exc
    if not isinstance(data, dict):
        raise AppleTransientError(
            f"Apple answered {response.status_code} to {what} with a non-object",
            status=response.status_code,
        )
    return data


def _required_field(data: Mapping[str, Any], key: str, what: str, status: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise AppleTransientError(
            f"Apple's answer to {what} has no {key!r}", status=status
        )
    return value


def _guarded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    # A connection can drop halfway through a download; that is as transient
    # as failing to connect.
    try:
        yield from chunks
    except httpx.RequestError as exc:
        raise _network_error(exc) from exc


def _counted(chunks: Iterable[bytes], size: int, what: str) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > size:
            raise ValueError(f"{what}: more than the declared {size} bytes")
        yield chunk
    if total != size:
        raise ValueError(f"{what}: {total} bytes instead of the declared {size}")


def _exact_length(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > size:
            raise AppleTransientError(
                f"download is longer than the declared {size} bytes"
            )
        yield chunk
    if total != size:
        raise AppleTransientError(f"download has {total} bytes, expected {size}")


class AppleClient:
    """Talks to Apple's gateway (or the simulator standing in for it).

    Settings are read when the client is built, never at import. Every call
    mints a fresh JWT, so a long-lived client never sends an expired token.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        from django.conf import settings

        self.base_url = (base_url or settings.APPLE_GATEWAY_URL).rstrip("/")
        if timeout is None:
            timeout = getattr(
                settings, "APPLE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS
            )
        self.timeout = float(timeout)
        self.transport = transport
        self._http: httpx.Client | None = None
        self.agent_name = _agent_name(getattr(settings, "MSP_AGENT_NAME", ""))

    # --- plumbing -------------------------------------------------------------

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = _http_client(timeout=self._timeout(), transport=self.transport)
        return self._http

    def _timeout(self, *, transfer: bool = False) -> httpx.Timeout:
        io = max(self.timeout, TRANSFER_TIMEOUT_SECONDS) if transfer else self.timeout
        return httpx.Timeout(
            connect=CONNECT_TIMEOUT_SECONDS, read=io, write=io, pool=io
        )

    def _request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        content: bytes | Iterable[bytes] | None = None,
        transfer: bool = False,
    ) -> httpx.Response:
        try:
            response = self._client().request(
                method,
                url,
                headers=dict(headers),
                content=content,
                timeout=self._timeout(transfer=transfer),
            )
        except httpx.RequestError as exc:
            raise _network_error(exc) from exc
        _raise_for_status(response)
        return response

    def _auth_header(self) -> str:
        return f"Bearer {apple_token_issue()}"

    def _post_envelope(
        self,
        path: str,
        *,
        message_id: str,
        source_id: str,
        destination_id: str,
        body: Mapping[str, Any],
        auto_reply: bool,
        include_data_ref: bool,
    ) -> dict[str, Any] | None:
        body_id = body.get("id")
        if body_id is not None and body_id != message_id:
            raise ValueError(
                f"body id {body_id!r} differs from the id header {message_id!r}"
            )
        try:
            # ensure_ascii=False: the text goes out as the exact UTF-8 typed.
            content = json.dumps(
                body, ensure_ascii=False, separators=(",", ":")
            ).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ApplePermanentError(
                f"message body cannot be encoded as UTF-8: {exc}"
            ) from exc
        headers = {
            "Authorization": self._auth_header(),
            "id": message_id,
            "Source-Id": source_id,
            "Destination-Id": destination_id,
            "Content-Type": "application/json",
        }
        if self.agent_name:
            headers["msp-agent"] = self.agent_name
        if auto_reply:
            headers["auto-reply"] = "true"
        if include_data_ref:
            headers["include-data-ref"] = "true"
        response = self._request(
            "POST", f"{self.base_url}{path}", headers=headers, content=content
        )
        # Usually an empty 200; a JSON answer (e.g. a dataRef) is passed back.
        if not response.content.strip():
            return None
        try:
            data = json.loads(response.content)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    # --- messages -------------------------------------------------------------

    def send_message(
        self,
        *,
        message_id: str,
        source_id: str,
        destination_id: str,
        body: dict[str, Any],
        auto_reply: bool = False,
        include_data_ref: bool = False,
    ) -> dict[str, Any] | None:
        """POST one message to ``/message`` (spec §4).

        ``source_id`` is the business, ``destination_id`` the customer, and
        ``message_id`` must be re-used on every retry of the same message.
        ``auto_reply`` marks messages a bot sent. Returns Apple's JSON answer
        when there is one (a ``dataRef`` with ``include_data_ref``), else None.
        Raises ``AppleTransientError`` or ``ApplePermanentError``.
        """
        return self._post_envelope(
            "/message",
            message_id=message_id,
            source_id=source_id,
            destination_id=destination_id,
            body=body,
            auto_reply=auto_reply,
            include_data_ref=include_data_ref,
        )

    def send_typing(
        self, *, message_id: str, source_id: str, destination_id: str, started: bool
    ) -> None:
        """Tell the customer an agent started (``started``) or stopped typing."""
        self.send_message(
            message_id=message_id,
            source_id=source_id,
            destination_id=destination_id,
            body=outbound_typing_body(
                message_id=message_id,
                source_id=source_id,
                destination_id=destination_id,
                started=started,
            ),
        )

    def authenticate(
        self,
        *,
        message_id: str,
        source_id: str,
        destination_id: str,
        body: dict[str, Any],
        auto_reply: bool = False,
        include_data_ref: bool = False,
    ) -> dict[str, Any] | None:
        """POST an authentication request to ``/authenticate`` (spec §7.6).

        Same headers, answer and errors as ``send_message``.
        """
        return self._post_envelope(
            "/authenticate",
            message_id=message_id,
            source_id=source_id,
            destination_id=destination_id,
            body=body,
            auto_reply=auto_reply,
            include_data_ref=include_data_ref,
        )

    # --- attachments ----------------------------------------------------------

    def pre_upload(self, *, source_id: str, size: int) -> dict[str, Any]:
        """Ask where to upload ``size`` encrypted bytes (spec §6).

        Returns Apple's answer, which holds ``upload-url``, ``mmcs-url`` and
        ``mmcs-owner``.
        """
        headers = {
            "Authorization": self._auth_header(),
            "Source-Id": source_id,
            "MMCS-Size": str(size),
            "size": str(size),  # older documentation's name; Apple reads either
        }
        response = self._request("GET", f"{self.base_url}/preUpload", headers=headers)
        data = _json_object(response, "preUpload")
        for key in ("upload-url", "mmcs-url", "mmcs-owner"):
            _required_field(data, key, "preUpload", response.status_code)
        return data

    def upload(self, *, upload_url: str, chunks: Iterable[bytes], size: int) -> str:
        """Stream ``size`` encrypted bytes to ``upload_url``; return the checksum.

        The Base64 checksum becomes the descriptor's ``signature-base64``. The URL is
        pre-signed by Apple, so no JWT is sent with it.
        """
        headers = {
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
        }
        response = self._request(
            "POST",
            upload_url,
            headers=headers,
            content=_counted(chunks, size, "upload"),
            transfer=True,
        )
        data = _json_object(response, "upload")
        single = data.get("singleFile")
        if not isinstance(single, Mapping):
            raise AppleTransientError(
                "Apple's answer to upload has no 'singleFile'",
                status=response.status_code,
            )
        return _required_field(single, "fileChecksum", "upload", response.status_code)

    def pre_download(
        self, *, source_id: str, url: str, owner: str, signature_base64: str
    ) -> str:
        """Exchange an attachment's MMCS url/owner/signature for a download URL."""
        headers = {
            "Authorization": self._auth_header(),
            "source-id": source_id,
            "MMCS-Url": url,
            "MMCS-Signature": signature_base64,
            "MMCS-Owner": owner,
            # Older documentation's names; sending both costs nothing.
            "url": url,
            "signature": signature_base64,
            "owner": owner,
        }
        response = self._request("GET", f"{self.base_url}/preDownload", headers=headers)
        data = _json_object(response, "preDownload")
        return _required_field(
            data, "download-url", "preDownload", response.status_code
        )

    @contextmanager
    def download(self, *, url: str) -> Iterator[Iterator[bytes]]:
        """Stream the (still encrypted) file at a ``download-url``.

        Use as ``with client.download(url=…) as chunks:``; chunks arrive as
        they are read and the file is never held whole in memory.
        """
        with ExitStack() as stack:
            try:
                response = stack.enter_context(
                    self._client().stream(
                        "GET", url, timeout=self._timeout(transfer=True)
                    )
                )
            except httpx.RequestError as exc:
                raise _network_error(exc) from exc
            _raise_for_stream_status(response)
            yield _guarded(response.iter_bytes(DOWNLOAD_CHUNK_BYTES))

    def upload_attachment(
        self,
        *,
        source_id: str,
        chunks: Iterable[bytes],
        size: int,
        name: str,
        mime_type: str,
    ) -> AttachmentDescriptor:
        """Encrypt and upload a file of ``size`` bytes; return the descriptor to send.

        CTR keeps the length, so ``size`` is both the plain and encrypted size.
        """
        key = new_key()
        target = self.pre_upload(source_id=source_id, size=size)
        checksum = self.upload(
            upload_url=target["upload-url"],
            chunks=encrypt_chunks(key, chunks),
            size=size,
        )
        return AttachmentDescriptor(
            name=name,
            mime_type=mime_type,
            size=size,
            url=target["mmcs-url"],
            owner=target["mmcs-owner"],
            key=key_to_wire(key),
            signature_base64=checksum,
        )

    @contextmanager
    def download_attachment(
        self, *, source_id: str, attachment: AttachmentDescriptor
    ) -> Iterator[Iterator[bytes]]:
        """Stream an inbound attachment's decrypted bytes, checking its size."""
        key = key_from_wire(attachment.key)
        download_url = self.pre_download(
            source_id=source_id,
            url=attachment.url,
            owner=attachment.owner,
            signature_base64=attachment.signature_base64,
        )
        with self.download(url=download_url) as chunks:
            yield decrypt_chunks(key, _exact_length(chunks, attachment.size))

    # --- large interactive payloads ------------------------------------------

    def decode_payload(
        self, *, source_id: str, bid: str, payload: bytes
    ) -> dict[str, Any]:
        """Have Apple decode a downloaded interactive payload into JSON (spec §8)."""
        headers = {
            "Authorization": self._auth_header(),
            "source-id": source_id,
            "bid": bid,
            "Content-Type": "application/octet-stream",
        }
        response = self._request(
            "POST", f"{self.base_url}/decodePayload", headers=headers, content=payload
        )
        data = _json_object(response, "decodePayload")
        inner = data.get("interactiveData")
        return inner if isinstance(inner, dict) else data

    def resolve_data_ref(
        self, *, source_id: str, data_ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Fetch, decrypt and decode an inbound ``interactiveDataRef`` (spec §8).

        Its URL expires quickly, so call this as soon as the reply arrives.
        ``source_id`` is the business. A ref that cannot be read is permanent.
        """
        try:
            ref = parse_attachment(data_ref, where="interactiveDataRef")
        except MalformedPayload as exc:
            raise ApplePermanentError(str(exc)) from exc
        bid = data_ref.get("bid")
        if not isinstance(bid, str) or not bid:
            raise ApplePermanentError("interactiveDataRef: 'bid' is required")
        if ref.size > MAX_BODY_BYTES:
            raise ApplePermanentError(
                f"interactiveDataRef: {ref.size} bytes is too large"
            )
        with self.download_attachment(source_id=source_id, attachment=ref) as chunks:
            plain = b"".join(chunks)
        try:
            payload = gunzip_if_compressed(plain)
        except MalformedPayload as exc:
            raise ApplePermanentError(f"interactiveDataRef: {exc}") from exc
        return self.decode_payload(source_id=source_id, bid=bid, payload=payload)

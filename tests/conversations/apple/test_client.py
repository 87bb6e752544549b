"""AppleClient against httpx.MockTransport: headers, bodies and error classes (spec §4, §6, §8)."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from conversations.apple.client import AppleClient
from conversations.apple.crypto import encrypt_bytes, key_to_wire, new_key
from conversations.apple.exceptions import (
    AppleError,
    ApplePermanentError,
    AppleTransientError,
)
from conversations.apple.payloads import AttachmentDescriptor, outbound_text_body

SECRET_KEY = b"test-secret-for-the-msp-console-suite"
BASE = "http://apple.test/v1"
BUSINESS = "5b1c7f1e-3c0a-4c1e-9a35-6f2d8f0b6a11"
CUSTOMER = "urn:mbid:AQAAY3dZ8t2fQ0b4yQ1Jm8l9oV3x0rWm2YyXn6mQ"
MESSAGE_ID = "0f6b1b9e-7d5c-4f0e-8a51-3f7e2d9c1a10"
EMOJI_TEXT = (
    "Family 👨‍👩‍👧‍👦, thumbs 👍🏾, Arabic مرحبا, Hebrew שלום, CJK 你好, e\u0301"
)

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records requests and answers from a script."""

    def __init__(self, *answers: httpx.Response | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else httpx.Response(200)
        return answer(request) if callable(answer) else answer

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def client_for(recorder: Recorder, **kwargs: Any) -> AppleClient:
    return AppleClient(transport=httpx.MockTransport(recorder), **kwargs)


def raw_header_names(request: httpx.Request) -> list[str]:
    """Header names exactly as they go on the wire."""
    return [name.decode() for name, _ in request.headers.raw]


def assert_signed_by_us(request: httpx.Request) -> None:
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    assert claims["iss"] == "test-msp"
    assert abs(claims["iat"] - time.time()) < 5


def text_body(text: str = "Hello") -> dict[str, Any]:
    return outbound_text_body(
        message_id=MESSAGE_ID, source_id=BUSINESS, destination_id=CUSTOMER, text=text
    )


def send(client: AppleClient, **kwargs: Any) -> dict[str, Any] | None:
    return client.send_message(
        message_id=MESSAGE_ID,
        source_id=BUSINESS,
        destination_id=CUSTOMER,
        body=kwargs.pop("body", text_body()),
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _apple_settings(settings: pytest.FixtureRequest) -> None:
    settings.MSP_ID = "test-msp"
    settings.MSP_SECRETS = ["dGVzdC1zZWNyZXQtZm9yLXRoZS1tc3AtY29uc29sZS1zdWl0ZQ=="]
    settings.APPLE_GATEWAY_URL = BASE
    settings.APPLE_TIMEOUT_SECONDS = 7.5
    settings.MSP_AGENT_NAME = "msp-console"


# --- send_message --------------------------------------------------------------------


def test_send_message_headers() -> None:
    recorder = Recorder()

    assert send(client_for(recorder)) is None

    request = recorder.last
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/message"
    assert_signed_by_us(request)
    assert request.headers["id"] == MESSAGE_ID
    assert request.headers["Source-Id"] == BUSINESS
    assert request.headers["Destination-Id"] == CUSTOMER
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["msp-agent"] == "msp-console"
    assert "auto-reply" not in request.headers
    assert "include-data-ref" not in request.headers
    names = raw_header_names(request)
    for name in ("Authorization", "id", "Source-Id", "Destination-Id", "msp-agent"):
        assert name in names


def test_each_request_mints_a_fresh_token(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    client = client_for(recorder)
    tokens = iter(["first", "second"])
    monkeypatch.setattr(
        "conversations.apple.client.apple_token_issue", lambda: next(tokens)
    )

    send(client)
    send(client)

    assert [r.headers["Authorization"] for r in recorder.requests] == [
        "Bearer first",
        "Bearer second",
    ]


def test_auto_reply_header_only_when_asked() -> None:
    recorder = Recorder()

    send(client_for(recorder), auto_reply=True)

    assert recorder.last.headers["auto-reply"] == "true"


def test_include_data_ref_header_only_when_asked() -> None:
    data_ref = {
        "dataRef": {"bid": "b", "url": "u", "owner": "o", "key": "00", "size": "9"}
    }
    recorder = Recorder(httpx.Response(200, json=data_ref))

    answer = send(client_for(recorder), include_data_ref=True)

    assert recorder.last.headers["include-data-ref"] == "true"
    assert answer == data_ref


def test_msp_agent_is_truncated_to_64_ascii_characters(
    settings: pytest.FixtureRequest,
) -> None:
    settings.MSP_AGENT_NAME = "Acmé " + "x" * 100
    recorder = Recorder()

    send(client_for(recorder))

    agent = recorder.last.headers["msp-agent"]
    assert len(agent) == 64
    assert agent.startswith("Acm x")


def test_body_is_utf8_json_with_text_byte_exact() -> None:
    recorder = Recorder()
    body = text_body(EMOJI_TEXT)

    send(client_for(recorder), body=body)

    content = recorder.last.content
    assert EMOJI_TEXT.encode("utf-8") in content  # not \\u escapes
    assert b"\\u" not in content
    assert json.loads(content.decode("utf-8")) == body
    assert recorder.last.headers["Content-Length"] == str(len(content))


def test_body_id_must_match_the_id_header() -> None:
    body = text_body()
    body["id"] = "another-id"

    with pytest.raises(ValueError, match="id"):
        send(client_for(Recorder()), body=body)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.Response(200), None),
        (httpx.Response(200, text="OK"), None),
        (httpx.Response(200, json=["not", "an", "object"]), None),
        (
            httpx.Response(200, json={"dataRef": {"url": "u"}}),
            {"dataRef": {"url": "u"}},
        ),
        (httpx.Response(204), None),
    ],
)
def test_send_message_answer(answer: httpx.Response, expected: Any) -> None:
    assert send(client_for(Recorder(answer))) == expected


def test_send_typing_sends_an_envelope_without_body() -> None:
    recorder = Recorder()

    client_for(recorder).send_typing(
        message_id=MESSAGE_ID, source_id=BUSINESS, destination_id=CUSTOMER, started=True
    )
    client_for(recorder).send_typing(
        message_id=MESSAGE_ID,
        source_id=BUSINESS,
        destination_id=CUSTOMER,
        started=False,
    )

    start, end = (json.loads(r.content) for r in recorder.requests)
    assert start == {
        "id": MESSAGE_ID,
        "sourceId": BUSINESS,
        "destinationId": CUSTOMER,
        "v": 1,
        "type": "typing_start",
    }
    assert end["type"] == "typing_end"
    assert str(recorder.last.url) == f"{BASE}/message"
    assert recorder.last.headers["Destination-Id"] == CUSTOMER


def test_authenticate_posts_to_its_own_endpoint() -> None:
    recorder = Recorder()
    body = text_body()

    client_for(recorder).authenticate(
        message_id=MESSAGE_ID, source_id=BUSINESS, destination_id=CUSTOMER, body=body
    )

    assert str(recorder.last.url) == f"{BASE}/authenticate"
    assert_signed_by_us(recorder.last)
    assert recorder.last.headers["Source-Id"] == BUSINESS
    assert json.loads(recorder.last.content) == body


def test_base_url_comes_from_settings_and_loses_trailing_slash(
    settings: pytest.FixtureRequest,
) -> None:
    settings.APPLE_GATEWAY_URL = "http://sim.test/v9/"
    recorder = Recorder()

    send(client_for(recorder))

    assert str(recorder.last.url) == "http://sim.test/v9/message"


def test_timeouts() -> None:
    recorder = Recorder(httpx.Response(200), httpx.Response(200, content=b"x"))
    client = client_for(recorder)

    send(client)
    with client.download(url="http://mmcs.test/file") as chunks:
        b"".join(chunks)

    message_timeout, transfer_timeout = (
        r.extensions["timeout"] for r in recorder.requests
    )
    assert message_timeout == {"connect": 5.0, "read": 7.5, "write": 7.5, "pool": 7.5}
    assert transfer_timeout["connect"] == 5.0
    assert transfer_timeout["read"] >= 120


# --- error classification ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (301, ApplePermanentError),
        (400, ApplePermanentError),
        (401, ApplePermanentError),
        (403, ApplePermanentError),
        (404, ApplePermanentError),
        (413, ApplePermanentError),
        (429, AppleTransientError),
        (500, AppleTransientError),
        (502, AppleTransientError),
        (503, AppleTransientError),
    ],
)
def test_status_classification(status: int, error_class: type[AppleError]) -> None:
    recorder = Recorder(httpx.Response(status, text="reason " + "z" * 500))

    with pytest.raises(error_class) as caught:
        send(client_for(recorder))

    error = caught.value
    assert error.status == status
    assert error.permanent is (error_class is ApplePermanentError)
    assert error.detail.startswith(f"Apple answered {status}: reason zzz")
    assert len(error.detail) <= len(f"Apple answered {status}: ") + 300


def test_empty_error_body_names_the_reason() -> None:
    with pytest.raises(ApplePermanentError, match="Apple answered 404: Not Found"):
        send(client_for(Recorder(httpx.Response(404))))


def test_redirect_is_not_followed() -> None:
    recorder = Recorder(httpx.Response(302, headers={"Location": "http://evil.test/"}))

    with pytest.raises(ApplePermanentError):
        send(client_for(recorder))

    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    "exc_class",
    [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout],
)
def test_timeouts_are_transient(exc_class: type[httpx.TimeoutException]) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise exc_class("took too long", request=request)

    with pytest.raises(AppleTransientError, match="timed out") as caught:
        send(client_for(Recorder(timeout)))

    assert caught.value.status is None
    assert exc_class.__name__ in caught.value.detail


@pytest.mark.parametrize(
    "exc_class", [httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError]
)
def test_network_errors_are_transient(exc_class: type[httpx.TransportError]) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise exc_class("connection refused", request=request)

    with pytest.raises(AppleTransientError, match="could not reach Apple") as caught:
        send(client_for(Recorder(broken)))

    assert caught.value.status is None
    assert "connection refused" in caught.value.detail


def test_patched_http_client_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    from conversations.apple import client as client_module

    recorder = Recorder()

    def http_client(*, timeout: httpx.Timeout, transport: Any = None) -> httpx.Client:
        return httpx.Client(timeout=timeout, transport=httpx.MockTransport(recorder))

    monkeypatch.setattr(client_module, "_http_client", http_client)

    send(AppleClient())

    assert recorder.last.headers["id"] == MESSAGE_ID


# --- attachments ---------------------------------------------------------------------


def test_pre_upload() -> None:
    answer = {
        "upload-url": "https://mmcs.test/upload/1",
        "mmcs-url": "https://mmcs.test/file/1",
        "mmcs-owner": "owner-1",
    }
    recorder = Recorder(httpx.Response(200, json=answer))

    result = client_for(recorder).pre_upload(source_id=BUSINESS, size=1234)

    request = recorder.last
    assert result == answer
    assert request.method == "GET"
    assert str(request.url) == f"{BASE}/preUpload"
    assert_signed_by_us(request)
    assert request.headers["Source-Id"] == BUSINESS
    assert request.headers["MMCS-Size"] == "1234"
    assert request.headers["size"] == "1234"
    assert {"Authorization", "Source-Id", "MMCS-Size", "size"} <= set(
        raw_header_names(request)
    )


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>gateway</html>"),
        httpx.Response(200, json=["upload-url"]),
        httpx.Response(200, json={"mmcs-url": "u", "mmcs-owner": "o"}),
    ],
)
def test_pre_upload_unreadable_answer_is_transient(answer: httpx.Response) -> None:
    with pytest.raises(AppleTransientError) as caught:
        client_for(Recorder(answer)).pre_upload(source_id=BUSINESS, size=1)

    assert caught.value.status == 200


def test_upload_streams_with_content_length() -> None:
    answer = {"singleFile": {"fileChecksum": "gT8/Pz8=", "fileSize": 10}}
    recorder = Recorder(httpx.Response(200, json=answer))
    chunks = [b"01234", b"", b"56789"]

    checksum = client_for(recorder).upload(
        upload_url="https://mmcs.test/upload/1", chunks=iter(chunks), size=10
    )

    request = recorder.last
    assert checksum == "gT8/Pz8="
    assert request.method == "POST"
    assert str(request.url) == "https://mmcs.test/upload/1"
    assert request.headers["Content-Length"] == "10"
    assert "Transfer-Encoding" not in request.headers
    assert request.content == b"0123456789"
    # The upload URL is pre-signed: our JWT is not handed to it.
    assert "Authorization" not in request.headers


def test_upload_without_checksum_is_transient() -> None:
    recorder = Recorder(httpx.Response(200, json={"singleFile": {}}))

    with pytest.raises(AppleTransientError, match="fileChecksum"):
        client_for(recorder).upload(
            upload_url="https://mmcs.test/u", chunks=[b"a"], size=1
        )


def test_upload_size_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="declared"):
        client_for(Recorder()).upload(
            upload_url="https://mmcs.test/u", chunks=[b"abc"], size=2
        )


def test_upload_error_is_classified() -> None:
    recorder = Recorder(httpx.Response(503, text="busy"))

    with pytest.raises(AppleTransientError):
        client_for(recorder).upload(
            upload_url="https://mmcs.test/u", chunks=[b"a"], size=1
        )


def test_pre_download_sends_both_header_spellings() -> None:
    recorder = Recorder(
        httpx.Response(200, json={"download-url": "https://mmcs.test/d/1"})
    )

    url = client_for(recorder).pre_download(
        source_id=BUSINESS,
        url="https://mmcs.test/file/1",
        owner="owner-1",
        signature_base64="gT8/Pz8=",
    )

    request = recorder.last
    assert url == "https://mmcs.test/d/1"
    assert request.method == "GET"
    assert str(request.url) == f"{BASE}/preDownload"
    assert_signed_by_us(request)
    expected = {
        "source-id": BUSINESS,
        "MMCS-Url": "https://mmcs.test/file/1",
        "MMCS-Signature": "gT8/Pz8=",
        "MMCS-Owner": "owner-1",
        "url": "https://mmcs.test/file/1",
        "signature": "gT8/Pz8=",
        "owner": "owner-1",
    }
    for name, value in expected.items():
        assert request.headers[name] == value
    assert set(expected) <= set(raw_header_names(request))


def test_pre_download_without_url_is_transient() -> None:
    with pytest.raises(AppleTransientError, match="download-url"):
        client_for(Recorder(httpx.Response(200, json={}))).pre_download(
            source_id=BUSINESS, url="u", owner="o", signature_base64="s"
        )


def test_download_streams_chunks() -> None:
    parts = [b"a" * 70_000, b"b" * 10, b"c" * 5]
    recorder = Recorder(httpx.Response(200, content=iter(parts)))

    with client_for(recorder).download(url="https://mmcs.test/d/1") as chunks:
        received = list(chunks)

    assert b"".join(received) == b"".join(parts)
    assert len(received) > 1
    assert recorder.last.method == "GET"
    assert "Authorization" not in recorder.last.headers


@pytest.mark.parametrize(
    ("status", "error_class"), [(404, ApplePermanentError), (503, AppleTransientError)]
)
def test_download_error_is_classified(
    status: int, error_class: type[AppleError]
) -> None:
    recorder = Recorder(httpx.Response(status, content=iter([b"nope"])))

    with (
        pytest.raises(error_class, match=f"Apple answered {status}: nope"),
        client_for(recorder).download(url="https://mmcs.test/d/1"),
    ):
        pass  # pragma: no cover


def test_download_dropped_midway_is_transient() -> None:
    def body() -> Any:
        yield b"first"
        raise httpx.ReadError("connection reset")

    recorder = Recorder(httpx.Response(200, content=body()))

    with (
        pytest.raises(AppleTransientError, match="connection reset"),
        client_for(recorder).download(url="https://mmcs.test/d/1") as chunks,
    ):
        list(chunks)


def test_download_connect_error_is_transient() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with (
        pytest.raises(AppleTransientError, match="refused"),
        client_for(Recorder(broken)).download(url="https://mmcs.test/d/1"),
    ):
        pass  # pragma: no cover


def test_decode_payload() -> None:
    decoded = {"interactiveData": {"data": {"requestIdentifier": "r1"}}}
    recorder = Recorder(httpx.Response(200, json=decoded))

    result = client_for(recorder).decode_payload(
        source_id=BUSINESS, bid="com.example.bid", payload=b"\x00\x01binary"
    )

    request = recorder.last
    assert result == {"data": {"requestIdentifier": "r1"}}
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/decodePayload"
    assert_signed_by_us(request)
    assert request.headers["source-id"] == BUSINESS
    assert request.headers["bid"] == "com.example.bid"
    assert request.content == b"\x00\x01binary"
    assert {"Authorization", "source-id", "bid"} <= set(raw_header_names(request))


def test_decode_payload_without_wrapper_is_returned_as_is() -> None:
    recorder = Recorder(httpx.Response(200, json={"data": {"requestIdentifier": "r2"}}))

    result = client_for(recorder).decode_payload(
        source_id=BUSINESS, bid="b", payload=b"x"
    )

    assert result == {"data": {"requestIdentifier": "r2"}}


def test_decode_payload_non_json_is_transient() -> None:
    with pytest.raises(AppleTransientError, match="decodePayload"):
        client_for(Recorder(httpx.Response(200, text="???"))).decode_payload(
            source_id=BUSINESS, bid="b", payload=b"x"
        )


# --- composite flows -----------------------------------------------------------------


def test_upload_then_download_attachment_round_trip() -> None:
    stored: dict[str, bytes] = {}
    plaintext = bytes(range(256)) * 100 + b"odd tail"

    def gateway(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/preUpload"):
            return httpx.Response(
                200,
                json={
                    "upload-url": "https://mmcs.test/upload/9",
                    "mmcs-url": "https://mmcs.test/file/9",
                    "mmcs-owner": "owner-9",
                },
            )
        if path == "/upload/9":
            stored["file"] = request.content
            return httpx.Response(
                200, json={"singleFile": {"fileChecksum": "Y2hlY2s="}}
            )
        if path.endswith("/preDownload"):
            assert request.headers["MMCS-Url"] == "https://mmcs.test/file/9"
            assert request.headers["MMCS-Signature"] == "Y2hlY2s="
            return httpx.Response(200, json={"download-url": "https://mmcs.test/get/9"})
        if path == "/get/9":
            data = stored["file"]
            return httpx.Response(200, content=iter([data[:1000], data[1000:]]))
        return httpx.Response(404)

    client = AppleClient(transport=httpx.MockTransport(gateway))

    descriptor = client.upload_attachment(
        source_id=BUSINESS,
        chunks=iter([plaintext[:77], plaintext[77:]]),
        size=len(plaintext),
        name="data.bin",
        mime_type="application/octet-stream",
    )
    with client.download_attachment(
        source_id=BUSINESS, attachment=descriptor
    ) as chunks:
        received = b"".join(chunks)

    assert stored["file"] != plaintext  # it went up encrypted
    assert len(stored["file"]) == len(plaintext)
    assert received == plaintext
    assert descriptor.size == len(plaintext)
    assert descriptor.url == "https://mmcs.test/file/9"
    assert descriptor.owner == "owner-9"
    assert descriptor.signature_base64 == "Y2hlY2s="
    assert len(descriptor.key) == 66


def test_download_attachment_with_wrong_length_is_transient() -> None:
    key = new_key()
    descriptor = AttachmentDescriptor(
        name="a",
        mime_type="text/plain",
        size=10,
        url="https://mmcs.test/file/1",
        owner="o",
        key=key_to_wire(key),
        signature_base64="c2ln",
    )
    recorder = Recorder(
        httpx.Response(200, json={"download-url": "https://mmcs.test/get/1"}),
        httpx.Response(200, content=b"short"),
    )

    with (
        pytest.raises(AppleTransientError, match="expected 10"),
        client_for(recorder).download_attachment(
            source_id=BUSINESS, attachment=descriptor
        ) as chunks,
    ):
        list(chunks)


def test_resolve_data_ref() -> None:
    key = new_key()
    payload = b'{"binary": "interactive payload"}' * 400
    ciphertext = encrypt_bytes(key, gzip.compress(payload))
    data_ref = {
        "bid": "com.example.bid",
        "url": "https://mmcs.test/file/5",
        "owner": "owner-5",
        "key": key_to_wire(key).upper(),
        "size": len(ciphertext),
        "signature": "813f3f",
    }
    recorder = Recorder(
        httpx.Response(200, json={"download-url": "https://mmcs.test/get/5"}),
        httpx.Response(200, content=ciphertext),
        httpx.Response(
            200, json={"interactiveData": {"data": {"requestIdentifier": "r5"}}}
        ),
    )

    result = client_for(recorder).resolve_data_ref(
        source_id=BUSINESS, data_ref=data_ref
    )

    pre_download, download, decode = recorder.requests
    assert result == {"data": {"requestIdentifier": "r5"}}
    assert pre_download.headers["MMCS-Signature"] == "gT8/"
    assert str(download.url) == "https://mmcs.test/get/5"
    assert decode.headers["bid"] == "com.example.bid"
    assert decode.content == payload  # decrypted and gunzipped


def test_resolve_data_ref_without_bid_is_permanent() -> None:
    data_ref = {
        "url": "u",
        "owner": "o",
        "key": "00" + "ab" * 32,
        "size": 1,
        "signature": "ab",
    }

    with pytest.raises(ApplePermanentError, match="bid"):
        client_for(Recorder()).resolve_data_ref(source_id=BUSINESS, data_ref=data_ref)

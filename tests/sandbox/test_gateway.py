"""The simulated gateway refuses every kind of bad request as Apple would, and accepts good ones."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.test import Client

from conversations.apple.client import AppleClient
from conversations.apple.crypto import encrypt_bytes, key_to_wire, new_key
from conversations.apple.exceptions import ApplePermanentError, AppleTransientError
from conversations.apple.payloads import (
    AttachmentDescriptor,
    outbound_interactive_body,
    outbound_rich_link_body,
    outbound_text_body,
)
from sandbox import interactive as device_interactive
from sandbox.control import gateway_control
from sandbox.models import SandboxCustomer, SandboxMessage
from tests.sandbox import samples

# Gateway views do their ORM work in worker threads, which only see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

BUSINESS = "6b7a3c2e-0d1f-4c55-9a1e-2f1b5c3d4e5f"
MESSAGE_URL = "/sandbox/v1/message"


@pytest.fixture(autouse=True)
def _reset_control() -> Iterator[None]:
    gateway_control.reset()
    yield
    gateway_control.reset()


@pytest.fixture
def customer() -> SandboxCustomer:
    return SandboxCustomer.objects.create(business_apple_id=BUSINESS)


def secret_key() -> bytes:
    return base64.b64decode(settings.MSP_SECRETS[0])


def token(*, key: bytes | None = None, algorithm: str = "HS256", **claims: Any) -> str:
    payload = {"iss": settings.MSP_ID, "iat": int(time.time())}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(
        payload, key if key is not None else secret_key(), algorithm=algorithm
    )


def post(
    client: Client,
    body: dict[str, Any] | bytes,
    *,
    path: str = MESSAGE_URL,
    auth: str | None = None,
    drop: tuple[str, ...] = (),
    **extra_headers: str,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    source = body.get("sourceId", BUSINESS) if isinstance(body, dict) else BUSINESS
    headers = {
        "Authorization": auth if auth is not None else f"Bearer {token()}",
        "id": body.get("id", str(uuid.uuid4()))
        if isinstance(body, dict)
        else str(uuid.uuid4()),
        "Source-Id": source,
        "Destination-Id": body.get("destinationId", "")
        if isinstance(body, dict)
        else "x",
        **extra_headers,
    }
    for name in drop:
        headers.pop(name, None)
    return client.post(path, data=raw, content_type="application/json", headers=headers)


def text(
    customer: SandboxCustomer, body: str = "Hello 👋🏽", **fields: Any
) -> dict[str, Any]:
    return samples.envelope(BUSINESS, customer.opaque_id, "text", body=body, **fields)


def assert_refused(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.content
    message = response.json()["error"]
    for word in words:
        assert word.lower() in message.lower(), message


# Authorization ---------------------------------------------------------------


def test_missing_authorization_is_401(
    client: Client, customer: SandboxCustomer
) -> None:
    response = post(client, text(customer), drop=("Authorization",))
    assert_refused(response, 401, "Authorization")


def test_non_bearer_authorization_is_401(
    client: Client, customer: SandboxCustomer
) -> None:
    assert_refused(post(client, text(customer), auth="Basic abc"), 401, "Bearer")


def test_bad_signature_is_403(client: Client, customer: SandboxCustomer) -> None:
    response = post(
        client,
        text(customer),
        auth=f"Bearer {token(key=b'another-secret-long-enough-for-hs256!!')}",
    )
    assert_refused(response, 403, "signature")


def test_signing_with_the_base64_text_is_named(
    client: Client, customer: SandboxCustomer
) -> None:
    wrong = token(key=settings.MSP_SECRETS[0].encode())
    assert_refused(
        post(client, text(customer), auth=f"Bearer {wrong}"), 403, "decoded bytes"
    )


def test_alg_none_is_403(client: Client, customer: SandboxCustomer) -> None:
    unsigned = jwt.encode(
        {"iss": settings.MSP_ID, "iat": int(time.time())}, None, algorithm="none"
    )
    assert_refused(
        post(client, text(customer), auth=f"Bearer {unsigned}"), 403, "HS256"
    )


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_hs512_is_403(client: Client, customer: SandboxCustomer) -> None:
    response = post(client, text(customer), auth=f"Bearer {token(algorithm='HS512')}")
    assert_refused(response, 403, "HS256", "HS512")


def test_wrong_issuer_is_403(client: Client, customer: SandboxCustomer) -> None:
    response = post(client, text(customer), auth=f"Bearer {token(iss='someone-else')}")
    assert_refused(response, 403, "iss")


def test_missing_issuer_is_403(client: Client, customer: SandboxCustomer) -> None:
    response = post(client, text(customer), auth=f"Bearer {token(iss=None)}")
    assert_refused(response, 403, "iss")


def test_stale_iat_is_403(client: Client, customer: SandboxCustomer) -> None:
    stale = token(iat=int(time.time()) - 3700)
    assert_refused(post(client, text(customer), auth=f"Bearer {stale}"), 403, "iat")


def test_missing_iat_is_403(client: Client, customer: SandboxCustomer) -> None:
    assert_refused(
        post(client, text(customer), auth=f"Bearer {token(iat=None)}"), 403, "iat"
    )


def test_future_iat_is_403(client: Client, customer: SandboxCustomer) -> None:
    future = token(iat=int(time.time()) + 600)
    assert_refused(post(client, text(customer), auth=f"Bearer {future}"), 403, "future")


def test_garbage_token_is_403(client: Client, customer: SandboxCustomer) -> None:
    assert_refused(post(client, text(customer), auth="Bearer not-a-jwt"), 403, "JWT")


# Headers and envelope ----------------------------------------------------------


@pytest.mark.parametrize("header", ["id", "Source-Id", "Destination-Id"])
def test_missing_header_is_400_and_named(
    client: Client, customer: SandboxCustomer, header: str
) -> None:
    assert_refused(post(client, text(customer), drop=(header,)), 400, header)


def test_id_header_must_be_a_uuid(client: Client, customer: SandboxCustomer) -> None:
    body = text(customer)
    body["id"] = "message-1"
    assert_refused(post(client, body), 400, "UUID")


def test_content_type_must_be_json(client: Client, customer: SandboxCustomer) -> None:
    body = text(customer)
    response = client.post(
        MESSAGE_URL,
        data=json.dumps(body),
        content_type="text/plain",
        headers={
            "Authorization": f"Bearer {token()}",
            "id": body["id"],
            "Source-Id": BUSINESS,
            "Destination-Id": customer.opaque_id,
        },
    )
    assert_refused(response, 400, "Content-Type")


@pytest.mark.parametrize(
    ("field", "header"),
    [("id", "id"), ("sourceId", "Source-Id"), ("destinationId", "Destination-Id")],
)
def test_body_ids_must_match_headers(
    client: Client, customer: SandboxCustomer, field: str, header: str
) -> None:
    body = text(customer)
    headers = {
        "id": body["id"],
        "Source-Id": BUSINESS,
        "Destination-Id": customer.opaque_id,
    }
    headers[header] = str(uuid.uuid4()) if header == "id" else "something-else"
    response = post(client, body, **headers)
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert field in response.json()["error"]


def test_body_source_id_mismatch_is_400(
    client: Client, customer: SandboxCustomer
) -> None:
    body = text(customer)
    body["destinationId"] = "urn:mbid:someone-else"
    response = post(client, body, **{"Destination-Id": customer.opaque_id})
    assert_refused(response, 400, "destinationId", "Destination-Id")


@pytest.mark.parametrize("version", [2, "1", True, None])
def test_v_must_be_1(client: Client, customer: SandboxCustomer, version: Any) -> None:
    body = text(customer)
    if version is None:
        del body["v"]
    else:
        body["v"] = version
    assert_refused(post(client, body), 400, "v ")


def test_close_is_never_sent_by_a_business(
    client: Client, customer: SandboxCustomer
) -> None:
    body = samples.envelope(BUSINESS, customer.opaque_id, "close")
    assert_refused(post(client, body), 400, "close")


def test_unknown_type_is_400(client: Client, customer: SandboxCustomer) -> None:
    body = samples.envelope(BUSINESS, customer.opaque_id, "sticker")
    assert_refused(post(client, body), 400, "sticker")


def test_body_must_be_json(client: Client, customer: SandboxCustomer) -> None:
    response = post(
        client,
        b"{nope",
        **{"Destination-Id": customer.opaque_id, "Source-Id": BUSINESS},
    )
    assert_refused(response, 400, "JSON")


def test_unknown_destination_is_404(client: Client, customer: SandboxCustomer) -> None:
    body = samples.envelope(BUSINESS, "urn:mbid:nobody", "text", body="hi")
    assert_refused(post(client, body), 404, "urn:mbid:nobody")


def test_closed_conversation_is_refused_with_410(
    client: Client, customer: SandboxCustomer
) -> None:
    customer.closed = True
    customer.save()
    assert_refused(post(client, text(customer)), 410, "closed")


# Text and typing -------------------------------------------------------------


def test_good_text_is_accepted_and_stored(
    client: Client, customer: SandboxCustomer
) -> None:
    body = text(customer, "Grüße 👋🏽 مرحبا 你好")
    response = post(client, body)
    assert response.status_code == 200, response.content
    stored = SandboxMessage.objects.get(apple_id=body["id"])
    assert stored.body["body"] == "Grüße 👋🏽 مرحبا 你好"
    assert stored.direction == SandboxMessage.Direction.FROM_BUSINESS


def test_retry_with_the_same_id_is_stored_once(
    client: Client, customer: SandboxCustomer
) -> None:
    body = text(customer)
    assert post(client, body).status_code == 200
    assert post(client, body).status_code == 200
    assert SandboxMessage.objects.filter(apple_id=body["id"]).count() == 1


@pytest.mark.parametrize("value", ["", "   ", None, 42])
def test_text_needs_a_string_body(
    client: Client, customer: SandboxCustomer, value: Any
) -> None:
    body = text(customer)
    if value is None:
        del body["body"]
    else:
        body["body"] = value
    assert_refused(post(client, body), 400, "body")


def test_typing_is_accepted_and_not_stored(
    client: Client, customer: SandboxCustomer
) -> None:
    for kind in ("typing_start", "typing_end"):
        assert (
            post(
                client, samples.envelope(BUSINESS, customer.opaque_id, kind)
            ).status_code
            == 200
        )
    assert not SandboxMessage.objects.exists()


def test_typing_with_a_body_is_400(client: Client, customer: SandboxCustomer) -> None:
    body = samples.envelope(BUSINESS, customer.opaque_id, "typing_start", body="hi")
    assert_refused(post(client, body), 400, "typing_start")


# Rich links --------------------------------------------------------------------


def rich_link(customer: SandboxCustomer, **changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(samples.RICH_LINK))
    data.update(changes)
    return samples.envelope(BUSINESS, customer.opaque_id, "richLink", richLinkData=data)


def test_good_rich_link_is_accepted(client: Client, customer: SandboxCustomer) -> None:
    assert post(client, rich_link(customer)).status_code == 200


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"url": "ftp://example.com"}, ["richLinkData.url"]),
        ({"url": "myapp://open"}, ["richLinkData.url"]),
        ({"title": ""}, ["richLinkData.title"]),
        ({"assets": {"image": {"data": "!!!", "mimeType": "image/png"}}}, ["Base64"]),
        (
            {"assets": {"image": {"data": samples.IMAGE_B64, "mimeType": "text/html"}}},
            ["mimeType"],
        ),
        (
            {
                "assets": {
                    "image": {
                        "data": base64.b64encode(bytes(210_000)).decode(),
                        "mimeType": "image/png",
                    }
                }
            },
            ["200 kB"],
        ),
    ],
)
def test_bad_rich_link_is_400(
    client: Client, customer: SandboxCustomer, changes: dict[str, Any], words: list[str]
) -> None:
    assert_refused(post(client, rich_link(customer, **changes)), 400, *words)


def test_rich_link_without_data_is_400(
    client: Client, customer: SandboxCustomer
) -> None:
    body = samples.envelope(BUSINESS, customer.opaque_id, "richLink")
    assert_refused(post(client, body), 400, "richLinkData")


# Interactive ---------------------------------------------------------------------


def interactive_body(customer: SandboxCustomer, data: dict[str, Any]) -> dict[str, Any]:
    return samples.envelope(
        BUSINESS, customer.opaque_id, "interactive", interactiveData=data
    )


@pytest.mark.parametrize(
    "name", ["listPicker", "event", "quick-reply", "payment", "dynamic", "app"]
)
def test_good_interactive_messages_are_accepted(
    client: Client, customer: SandboxCustomer, name: str
) -> None:
    response = post(client, interactive_body(customer, samples.interactive(name)))
    assert response.status_code == 200, response.content


def _break(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        if isinstance(node, list):
            node.pop(int(last))
        else:
            del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


DELETE = object()


@pytest.mark.parametrize(
    ("name", "path", "value", "words"),
    [
        ("listPicker", "receivedMessage", DELETE, ["receivedMessage"]),
        ("listPicker", "bid", "com.example.plugin", ["bid"]),
        ("listPicker", "data.version", 1, ["data.version", "string"]),
        ("listPicker", "data.mspVersion", "", ["data.mspVersion", "empty"]),
        ("listPicker", "data.requestIdentifier", "", ["requestIdentifier"]),
        ("listPicker", "data.listPicker", DELETE, ["no feature"]),
        ("listPicker", "data.listPicker.sections", [], ["sections"]),
        ("listPicker", "data.listPicker.sections.0.items", [], ["sections[0].items"]),
        (
            "listPicker",
            "data.listPicker.sections.0.items.0.title",
            DELETE,
            ["items[0].title"],
        ),
        (
            "listPicker",
            "data.listPicker.sections.0.multipleSelection",
            "yes",
            ["multipleSelection"],
        ),
        (
            "listPicker",
            "data.listPicker.sections.0.items.0.imageIdentifier",
            "9",
            ["imageIdentifier"],
        ),
        ("listPicker", "receivedMessage.style", "huge", ["style"]),
        ("event", "data.event.timeslots", [], ["timeslots"]),
        (
            "event",
            "data.event.timeslots.0.startTime",
            "2030-01-31 09:30",
            ["startTime"],
        ),
        (
            "event",
            "data.event.timeslots.0.startTime",
            "2030-02-31T09:30+0000",
            ["real time"],
        ),
        ("event", "data.event.timeslots.0.duration", 0, ["duration"]),
        ("event", "data.event.title", DELETE, ["event.title"]),
        ("event", "data.event.location.latitude", "north", ["latitude"]),
        ("quick-reply", "data.quick-reply.items.1", DELETE, ["2 to 5"]),
        ("quick-reply", "data.quick-reply.summaryText", "", ["summaryText"]),
        ("payment", "data.payment.merchantSession", DELETE, ["merchantSession"]),
        (
            "payment",
            "data.payment.paymentRequest.currencyCode",
            "usd",
            ["currencyCode"],
        ),
        (
            "payment",
            "data.payment.paymentRequest.applePay.supportedNetworks",
            [],
            ["supportedNetworks"],
        ),
        (
            "payment",
            "data.payment.endpoints.paymentGatewayUrl",
            DELETE,
            ["paymentGatewayUrl"],
        ),
        ("dynamic", "data.dynamic.template", "forms", ["template"]),
        (
            "dynamic",
            "data.dynamic.data.startPageIdentifier",
            "9",
            ["startPageIdentifier"],
        ),
        ("dynamic", "data.dynamic.data.pages.0.type", "slider", ["type"]),
        (
            "dynamic",
            "data.dynamic.data.pages.0.nextPageIdentifier",
            "7",
            ["nextPageIdentifier"],
        ),
        ("app", "appId", DELETE, ["appId"]),
        (
            "app",
            "bid",
            "com.apple.messages.MSMessageExtensionBalloonPlugin:only-team",
            ["bid"],
        ),
        ("app", "URL", "?" + "x" * 70_000, ["64 kB"]),
    ],
)
def test_malformed_interactive_is_400(
    client: Client,
    customer: SandboxCustomer,
    name: str,
    path: str,
    value: Any,
    words: list[str],
) -> None:
    data = _break(samples.interactive(name), path, value)
    assert_refused(post(client, interactive_body(customer, data)), 400, *words)


@pytest.mark.parametrize(
    ("name", "path", "value", "words"),
    [
        ("app", "appId", True, ["appId", "number or a string", "True"]),
        ("app", "appId", [], ["appId", "number or a string"]),
        ("app", "appName", 7, ["appName", "string", "number"]),
        ("listPicker", "data.mspVersion", 1.0, ["mspVersion", "string"]),
        ("listPicker", "data.requestIdentifier", 42, ["requestIdentifier", "string"]),
        ("event", "data.event.title", 5, ["event.title", "string"]),
        (
            "quick-reply",
            "receivedMessage",
            {"title": 3, "style": "icon"},
            ["receivedMessage.title", "string"],
        ),
        ("quick-reply", "data.quick-reply.items.0.title", None, ["items[0].title"]),
        ("dynamic", "data.dynamic.data.pages.0.pageIdentifier", True, ["boolean"]),
    ],
)
def test_refusal_of_a_present_field_says_what_is_wrong_with_it(
    client: Client,
    customer: SandboxCustomer,
    name: str,
    path: str,
    value: Any,
    words: list[str],
) -> None:
    data = _break(samples.interactive(name), path, value)
    response = post(client, interactive_body(customer, data))
    assert_refused(response, 400, *words)
    if value is not None:
        # The field is there: "missing" or "required" would send the developer astray.
        message = response.json()["error"]
        assert "missing" not in message, message
        assert "required" not in message, message


def test_attachment_size_as_a_number_is_named(
    client: Client, apple: AppleClient, customer: SandboxCustomer
) -> None:
    plain = samples.PNG_1PX
    descriptor = apple.upload_attachment(
        source_id=BUSINESS,
        chunks=[plain],
        size=len(plain),
        name="dot.png",
        mime_type="image/png",
    )
    item = {
        "name": descriptor.name,
        "mimeType": descriptor.mime_type,
        "size": descriptor.size,
        "signature-base64": descriptor.signature_base64,
        "url": descriptor.url,
        "owner": descriptor.owner,
        "key": descriptor.key,
    }
    body = text(customer, "\ufffc", attachments=[item])
    assert_refused(post(client, body), 400, "attachments[0].size", "not a number")


def test_interactive_without_any_version_is_400(
    client: Client, customer: SandboxCustomer
) -> None:
    data = samples.interactive("listPicker")
    del data["data"]["version"], data["data"]["mspVersion"]
    assert_refused(
        post(client, interactive_body(customer, data)), 400, "version", "mspVersion"
    )


def test_quick_reply_with_six_items_is_400(
    client: Client, customer: SandboxCustomer
) -> None:
    data = samples.interactive("quick-reply")
    data["data"]["quick-reply"]["items"] = [
        {"identifier": str(i), "title": f"Option {i}"} for i in range(6)
    ]
    assert_refused(post(client, interactive_body(customer, data)), 400, "2 to 5")


def test_two_features_in_one_message_is_400(
    client: Client, customer: SandboxCustomer
) -> None:
    data = samples.interactive("listPicker")
    data["data"]["event"] = samples.interactive("event")["data"]["event"]
    assert_refused(
        post(client, interactive_body(customer, data)), 400, "several features"
    )


def test_authentication_on_message_is_400(
    client: Client, customer: SandboxCustomer
) -> None:
    body = interactive_body(customer, samples.interactive("authenticate"))
    assert_refused(post(client, body), 400, "/authenticate")


def test_authentication_on_authenticate_is_accepted(
    client: Client, customer: SandboxCustomer
) -> None:
    body = interactive_body(customer, samples.interactive("authenticate"))
    assert post(client, body, path="/sandbox/v1/authenticate").status_code == 200


def test_authenticate_takes_only_authentication(
    client: Client, customer: SandboxCustomer
) -> None:
    body = interactive_body(customer, samples.interactive("listPicker"))
    assert_refused(
        post(client, body, path="/sandbox/v1/authenticate"), 400, "authentication"
    )


def test_authentication_without_state_is_400(
    client: Client, customer: SandboxCustomer
) -> None:
    data = samples.interactive("authenticate")
    del data["data"]["authenticate"]["oauth2"]["state"]
    response = post(
        client, interactive_body(customer, data), path="/sandbox/v1/authenticate"
    )
    assert_refused(response, 400, "oauth2.state")


# Misbehaviour control ------------------------------------------------------------


def test_control_fails_the_next_requests(
    client: Client, customer: SandboxCustomer
) -> None:
    response = client.post(
        "/sandbox/v1/_control",
        data={"fail": {"count": 2, "status": 503}},
        content_type="application/json",
    )
    assert response.json()["fail"] == {"count": 2, "status": 503}
    assert post(client, text(customer)).status_code == 503
    assert post(client, text(customer)).status_code == 503
    assert post(client, text(customer)).status_code == 200


def test_control_rejects_nonsense(client: Client) -> None:
    response = client.post(
        "/sandbox/v1/_control",
        data={"fail": {"count": -1}},
        content_type="application/json",
    )
    assert_refused(response, 400, "fail.count")


def test_control_reset(client: Client) -> None:
    gateway_control.fail_next(5)
    client.post(
        "/sandbox/v1/_control", data={"reset": True}, content_type="application/json"
    )
    assert gateway_control.state()["fail"]["count"] == 0


# Our own client against the sandbox ---------------------------------------------


@pytest.fixture
def apple() -> AppleClient:
    """The platform's client, wired to the sandbox through Django's WSGI handler."""
    transport = httpx.WSGITransport(app=get_wsgi_application())
    return AppleClient(base_url="http://testserver/sandbox/v1", transport=transport)


def test_our_client_sends_text_and_typing(
    apple: AppleClient, customer: SandboxCustomer
) -> None:
    message_id = str(uuid.uuid4())
    apple.send_message(
        message_id=message_id,
        source_id=BUSINESS,
        destination_id=customer.opaque_id,
        body=outbound_text_body(
            message_id=message_id,
            source_id=BUSINESS,
            destination_id=customer.opaque_id,
            text="Hi from the client 🚲",
        ),
        auto_reply=True,
    )
    for started in (True, False):
        apple.send_typing(
            message_id=str(uuid.uuid4()),
            source_id=BUSINESS,
            destination_id=customer.opaque_id,
            started=started,
        )
    assert (
        SandboxMessage.objects.get(apple_id=message_id).body["body"]
        == "Hi from the client 🚲"
    )


def test_our_client_sends_rich_links_and_interactive(
    apple: AppleClient, customer: SandboxCustomer
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    common = {"source_id": BUSINESS, "destination_id": customer.opaque_id}
    apple.send_message(
        message_id=ids[0],
        **common,
        body=outbound_rich_link_body(
            message_id=ids[0], **common, rich_link_data=samples.RICH_LINK
        ),
    )
    apple.send_message(
        message_id=ids[1],
        **common,
        body=outbound_interactive_body(
            message_id=ids[1],
            **common,
            interactive_data=samples.interactive("listPicker"),
        ),
    )
    apple.authenticate(
        message_id=ids[2],
        **common,
        body=outbound_interactive_body(
            message_id=ids[2],
            **common,
            interactive_data=samples.interactive("authenticate"),
        ),
    )
    assert SandboxMessage.objects.filter(apple_id__in=ids).count() == 3


def test_our_client_reports_refusals_as_permanent(
    apple: AppleClient, customer: SandboxCustomer
) -> None:
    message_id = str(uuid.uuid4())
    with pytest.raises(ApplePermanentError) as caught:
        apple.send_message(
            message_id=message_id,
            source_id=BUSINESS,
            destination_id="urn:mbid:nobody",
            body=outbound_text_body(
                message_id=message_id,
                source_id=BUSINESS,
                destination_id="urn:mbid:nobody",
                text="hi",
            ),
        )
    assert caught.value.status == 404


def test_our_client_retries_simulated_outages(
    apple: AppleClient, customer: SandboxCustomer
) -> None:
    gateway_control.fail_next(1, status=503)
    message_id = str(uuid.uuid4())
    body = outbound_text_body(
        message_id=message_id,
        source_id=BUSINESS,
        destination_id=customer.opaque_id,
        text="hi",
    )
    with pytest.raises(AppleTransientError):
        apple.send_message(
            message_id=message_id,
            source_id=BUSINESS,
            destination_id=customer.opaque_id,
            body=body,
        )
    apple.send_message(
        message_id=message_id,
        source_id=BUSINESS,
        destination_id=customer.opaque_id,
        body=body,
    )
    assert SandboxMessage.objects.filter(apple_id=message_id).count() == 1


def test_simulated_timeout_is_transient(customer: SandboxCustomer) -> None:
    gateway_control.timeout_next(1, seconds=1.0)
    apple = AppleClient(
        base_url="http://testserver/sandbox/v1",
        transport=httpx.WSGITransport(app=get_wsgi_application()),
    )
    started = time.monotonic()
    message_id = str(uuid.uuid4())
    # WSGITransport cannot time out, so this checks the sleep happened and the answer after it.
    apple.send_message(
        message_id=message_id,
        source_id=BUSINESS,
        destination_id=customer.opaque_id,
        body=outbound_text_body(
            message_id=message_id,
            source_id=BUSINESS,
            destination_id=customer.opaque_id,
            text="hi",
        ),
    )
    assert time.monotonic() - started >= 1.0


def test_attachment_round_trip(apple: AppleClient, customer: SandboxCustomer) -> None:
    plain = samples.PNG_1PX * 50
    descriptor = apple.upload_attachment(
        source_id=BUSINESS,
        chunks=[plain],
        size=len(plain),
        name="dot.png",
        mime_type="image/png",
    )
    message_id = str(uuid.uuid4())
    apple.send_message(
        message_id=message_id,
        source_id=BUSINESS,
        destination_id=customer.opaque_id,
        body=outbound_text_body(
            message_id=message_id,
            source_id=BUSINESS,
            destination_id=customer.opaque_id,
            text="Your receipt",
            attachments=[descriptor],
        ),
    )
    # The business can fetch its own upload back through preDownload.
    with apple.download_attachment(source_id=BUSINESS, attachment=descriptor) as chunks:
        assert b"".join(chunks) == plain


def test_attachment_with_the_wrong_key_is_400(
    apple: AppleClient, customer: SandboxCustomer
) -> None:
    plain = samples.PNG_1PX
    good = apple.upload_attachment(
        source_id=BUSINESS,
        chunks=[plain],
        size=len(plain),
        name="dot.png",
        mime_type="image/png",
    )
    wrong = AttachmentDescriptor(
        name=good.name,
        mime_type=good.mime_type,
        size=good.size,
        url=good.url,
        owner=good.owner,
        key=key_to_wire(new_key()),
        signature_base64=good.signature_base64,
    )
    message_id = str(uuid.uuid4())
    with pytest.raises(ApplePermanentError, match="does not decrypt"):
        apple.send_message(
            message_id=message_id,
            source_id=BUSINESS,
            destination_id=customer.opaque_id,
            body=outbound_text_body(
                message_id=message_id,
                source_id=BUSINESS,
                destination_id=customer.opaque_id,
                text="",
                attachments=[wrong],
            ),
        )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("url", "https://mmcs.sandbox.invalid/" + str(uuid.uuid4()), ["no file"]),
        ("owner", "someone", ["owner"]),
        ("signature-base64", base64.b64encode(b"x" * 21).decode(), ["fileChecksum"]),
        ("size", "1", ["size"]),
        ("key", "00abc", ["key"]),
    ],
)
def test_bad_attachment_descriptor_is_400(
    client: Client,
    apple: AppleClient,
    customer: SandboxCustomer,
    field: str,
    value: str,
    words: list[str],
) -> None:
    plain = samples.PNG_1PX
    descriptor = apple.upload_attachment(
        source_id=BUSINESS,
        chunks=[plain],
        size=len(plain),
        name="dot.png",
        mime_type="image/png",
    )
    item = {
        "name": descriptor.name,
        "mimeType": descriptor.mime_type,
        "size": str(descriptor.size),
        "signature-base64": descriptor.signature_base64,
        "url": descriptor.url,
        "owner": descriptor.owner,
        "key": descriptor.key,
        field: value,
    }
    body = text(customer, "\ufffc", attachments=[item])
    assert_refused(post(client, body), 400, *words)


def test_upload_must_match_the_announced_size(apple: AppleClient) -> None:
    target = apple.pre_upload(source_id=BUSINESS, size=10)
    http = Client()
    response = http.post(
        target["upload-url"], data=b"12345", content_type="application/octet-stream"
    )
    assert_refused(response, 400, "announced")


def test_pre_upload_needs_a_size(client: Client) -> None:
    response = client.get(
        "/sandbox/v1/preUpload",
        headers={"Authorization": f"Bearer {token()}", "Source-Id": BUSINESS},
    )
    assert_refused(response, 400, "MMCS-Size")


def test_pre_download_wants_base64_signatures(
    client: Client, apple: AppleClient
) -> None:
    plain = samples.PNG_1PX
    descriptor = apple.upload_attachment(
        source_id=BUSINESS,
        chunks=[plain],
        size=len(plain),
        name="a.png",
        mime_type="image/png",
    )
    response = client.get(
        "/sandbox/v1/preDownload",
        headers={
            "Authorization": f"Bearer {token()}",
            "source-id": BUSINESS,
            "MMCS-Url": descriptor.url,
            "MMCS-Owner": descriptor.owner,
            "MMCS-Signature": base64.b64decode(descriptor.signature_base64).hex(),
        },
    )
    assert_refused(response, 400, "Base64, not hex")


def test_unknown_download_url_is_404(client: Client) -> None:
    assert client.get("/sandbox/v1/_mmcs/download/forged").status_code == 404


# Large interactive payloads --------------------------------------------------------


def test_customer_data_ref_resolves_through_decode_payload(
    apple: AppleClient, customer: SandboxCustomer
) -> None:
    reply = samples.interactive("listPicker")
    reply["data"]["images"] = [
        {"identifier": "1", "data": base64.b64encode(bytes(20_000)).decode()}
    ]
    ref = device_interactive.store_reply_as_ref(reply)
    assert "signature" in ref
    assert "signature-base64" not in ref
    resolved = apple.resolve_data_ref(source_id=BUSINESS, data_ref=ref)
    assert resolved == reply


def test_include_data_ref_returns_a_ref_we_can_send_again(
    apple: AppleClient, customer: SandboxCustomer
) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    common = {"source_id": BUSINESS, "destination_id": customer.opaque_id}
    data = samples.interactive("listPicker")
    answer = apple.send_message(
        message_id=first,
        **common,
        body=outbound_interactive_body(
            message_id=first, **common, interactive_data=data
        ),
        include_data_ref=True,
    )
    assert answer is not None
    ref = answer["dataRef"]
    body = samples.envelope(
        BUSINESS, customer.opaque_id, "interactive", interactiveDataRef=ref
    )
    body["id"] = second
    apple.send_message(message_id=second, **common, body=body)
    assert SandboxMessage.objects.get(apple_id=second).body["interactiveData"] == data


def _answered_ref(apple: AppleClient, customer: SandboxCustomer) -> dict[str, Any]:
    message_id = str(uuid.uuid4())
    common = {"source_id": BUSINESS, "destination_id": customer.opaque_id}
    answer = apple.send_message(
        message_id=message_id,
        **common,
        body=outbound_interactive_body(
            message_id=message_id,
            **common,
            interactive_data=samples.interactive("listPicker"),
        ),
        include_data_ref=True,
    )
    assert answer is not None
    return dict(answer["dataRef"])


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"size": "12kB"}, ["interactiveDataRef.size", "12kB"]),
        ({"size": 0}, ["interactiveDataRef.size"]),
        ({"dataRefSig": None}, ["interactiveDataRef.key", "dataRefSig"]),
        ({"dataRefSig": "forged"}, ["dataRefSig", "not handed out"]),
        ({"key": "00abc"}, ["interactiveDataRef.key"]),
        ({"signature": 7, "signature-base64": None}, ["signature", "string"]),
    ],
)
def test_bad_data_ref_is_400_and_named(
    client: Client,
    apple: AppleClient,
    customer: SandboxCustomer,
    change: dict[str, Any],
    words: list[str],
) -> None:
    ref = _answered_ref(apple, customer)
    for field, value in change.items():
        if value is None:
            ref.pop(field, None)
        else:
            ref[field] = value
    body = samples.envelope(
        BUSINESS, customer.opaque_id, "interactive", interactiveDataRef=ref
    )
    assert_refused(post(client, body), 400, *words)


def test_decode_payload_needs_a_body(client: Client) -> None:
    response = client.post(
        "/sandbox/v1/decodePayload",
        data=b"",
        content_type="application/octet-stream",
        headers={
            "Authorization": f"Bearer {token()}",
            "source-id": BUSINESS,
            "bid": "x",
        },
    )
    assert_refused(response, 400, "empty")


def test_decode_payload_refuses_garbage(client: Client) -> None:
    key = new_key()
    response = client.post(
        "/sandbox/v1/decodePayload",
        data=encrypt_bytes(key, b"not json"),
        content_type="application/octet-stream",
        headers={
            "Authorization": f"Bearer {token()}",
            "source-id": BUSINESS,
            "bid": "x",
        },
    )
    assert_refused(response, 400, "payload")

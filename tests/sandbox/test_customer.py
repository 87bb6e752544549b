"""The simulated device speaks Apple's inbound wire format, and our ``/message`` takes it."""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid
from functools import partial
from typing import Any

import httpx
import jwt
import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.test import Client

from conversations.apple.auth import apple_token_verify
from conversations.models import Business, Conversation, Message
from sandbox import consumers
from sandbox.customer import (
    DEVICE_PROFILES,
    Device,
    build_inbound,
    post_inbound,
    reaction_text,
)
from sandbox.models import SandboxCustomer, SandboxMessage
from sandbox.routing import websocket_urlpatterns
from tests.factories import BusinessFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop() -> Business:
    return BusinessFactory(name="Acme Bikes")


@pytest.fixture
def device(shop: Business) -> Device:
    return Device(
        opaque_id="urn:mbid:AQAAY-test-device", business_apple_id=shop.apple_id
    )


def deliver(client: Client, device: Device, kind: str, **fields: Any) -> Any:
    request = build_inbound(device, kind, fields)
    headers = {k: v for k, v in request.headers.items() if k != "Content-Type"}
    return client.post(
        "/message",
        data=request.content,
        content_type="application/json",
        headers=headers,
    )


def test_inbound_request_has_apples_wire_format(device: Device) -> None:
    request = build_inbound(device, "text", {"body": "Hi 👋🏽", "intent": "sales"})
    headers = request.headers
    assert headers["Content-Encoding"] == "gzip"
    assert headers["id"] == request.message_id
    assert headers["source-id"] == device.opaque_id
    assert headers["destination-id"] == device.business_apple_id
    assert headers["capability-list"] == "QUICK,LIST,TIME,AUTH,AUTH2,FORM"
    assert headers["device-agent"] == "iPhone OS"
    body = json.loads(gzip.decompress(request.content))
    assert body == {
        "id": request.message_id,
        "sourceId": device.opaque_id,
        "destinationId": device.business_apple_id,
        "v": 1,
        "type": "text",
        "locale": "en_US",
        "body": "Hi 👋🏽",
        "intent": "sales",
    }
    uuid.UUID(request.message_id)


def test_inbound_jwt_is_signed_as_apple_signs(device: Device) -> None:
    token = (
        build_inbound(device, "typing_start").headers["Authorization"].split(" ", 1)[1]
    )
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(
        token,
        base64.b64decode(settings.MSP_SECRETS[0]),
        algorithms=["HS256"],
        audience=settings.MSP_ID,
    )
    assert abs(claims["iat"] - time.time()) < 5
    # And our own verifier, the one the webhook uses, agrees.
    apple_token_verify(f"Bearer {token}")


def test_every_message_gets_its_own_id(device: Device) -> None:
    ids = {build_inbound(device, "text", {"body": "x"}).message_id for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize(
    ("profile", "agent"), [("mac", "Mac OS X"), ("watch", "Watch OS")]
)
def test_device_profiles_change_agent_and_capabilities(
    shop: Business, profile: str, agent: str
) -> None:
    device = Device("urn:mbid:x", shop.apple_id, device=profile)
    headers = build_inbound(device, "text", {"body": "x"}).headers
    assert headers["device-agent"] == agent
    assert "FORM" not in headers["capability-list"]
    assert headers["capability-list"] == ",".join(DEVICE_PROFILES[profile].capabilities)


def test_old_iphone_lacks_auth2_and_form(shop: Business) -> None:
    device = Device("urn:mbid:x", shop.apple_id, device="iphone_old")
    capabilities = build_inbound(device, "text", {"body": "x"}).headers[
        "capability-list"
    ]
    assert capabilities.split(",") == ["QUICK", "LIST", "TIME", "AUTH"]


def test_our_webhook_accepts_the_customers_text(client: Client, device: Device) -> None:
    response = deliver(
        client, device, "text", body="Hi 👋🏽 from the sandbox", group="vip"
    )
    assert response.status_code == 200, response.content
    message = Message.objects.get()
    assert message.body == "Hi 👋🏽 from the sandbox"
    assert message.direction == Message.Direction.IN
    conversation = message.conversation
    assert conversation.customer.apple_id == device.opaque_id
    assert conversation.group == "vip"
    assert conversation.device_agent == "iPhone OS"
    assert set(conversation.capabilities) == {
        "QUICK",
        "LIST",
        "TIME",
        "AUTH",
        "AUTH2",
        "FORM",
    }


def test_our_webhook_stores_a_tapback_as_a_reaction(
    client: Client, device: Device
) -> None:
    assert deliver(client, device, "text", body="Hello").status_code == 200
    sentence = reaction_text("loved", quoted="See you at 5")
    assert sentence == "Loved \u201cSee you at 5\u201d"
    assert deliver(client, device, "text", body=sentence).status_code == 200
    reaction = Message.objects.order_by("-id").first()
    assert reaction.kind == Message.Kind.REACTION
    assert reaction.reaction_type == "loved"


def test_our_webhook_closes_on_close(client: Client, device: Device) -> None:
    assert deliver(client, device, "text", body="Hello").status_code == 200
    assert deliver(client, device, "close").status_code == 200
    assert Conversation.objects.get().status == Conversation.Status.CLOSED


def test_reaction_sentences() -> None:
    assert reaction_text("laughed", quoted="ok") == "Laughed at \u201cok\u201d"
    assert (
        reaction_text("liked", quoted=None, description="an image") == "Liked an image"
    )
    assert reaction_text("emphasized", quoted=None) == "Emphasized 1 Business Message"
    assert reaction_text("questioned", quoted="x" * 150).endswith("…\u201d")


# The customer page's socket ---------------------------------------------------------


@pytest.fixture
def sandbox_customer(shop: Business) -> SandboxCustomer:
    return SandboxCustomer.objects.create(
        business_apple_id=shop.apple_id, intent="repairs"
    )


@pytest.fixture
def into_django(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send the device's traffic straight into this process's Django instead of a socket."""
    transport = httpx.ASGITransport(app=get_asgi_application())
    monkeypatch.setattr(
        consumers, "post_inbound", partial(post_inbound, transport=transport)
    )


async def connected(customer: SandboxCustomer) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns),
        f"/ws/sandbox/{customer.key}/",
        headers=[(b"host", b"testserver")],
    )
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
    assert hello["customer"]["opaque_id"] == customer.opaque_id
    return communicator


async def sent(
    communicator: WebsocketCommunicator, action: dict[str, Any]
) -> dict[str, Any]:
    await communicator.send_json_to(action)
    event = await communicator.receive_json_from(timeout=10)
    assert event["type"] == "message", event
    return event["message"]


@pytest.mark.asyncio
@pytest.mark.usefixtures("into_django")
async def test_page_socket_sends_text_tapback_and_close(
    sandbox_customer: SandboxCustomer,
) -> None:
    from asgiref.sync import sync_to_async

    communicator = await connected(sandbox_customer)
    first = await sent(communicator, {"action": "text", "body": "Hola 🌮"})
    assert first["status"] == 200, first
    assert first["body"]["intent"] == "repairs"
    second = await sent(communicator, {"action": "text", "body": "again"})
    assert (
        "intent" not in second["body"]
    )  # the entry point rides on the first message only

    business_message = await sync_to_async(SandboxMessage.objects.create)(
        customer=sandbox_customer,
        apple_id=str(uuid.uuid4()),
        direction=SandboxMessage.Direction.FROM_BUSINESS,
        type="text",
        body={"body": "See you at 5"},
    )
    tapback = await sent(
        communicator,
        {"action": "tapback", "reaction": "liked", "message": business_message.id},
    )
    assert tapback["body"]["body"] == "Liked \u201cSee you at 5\u201d"

    await communicator.send_json_to({"action": "typing", "typing": True})
    closed = await sent(communicator, {"action": "close"})
    assert closed["status"] == 200
    await communicator.disconnect()

    stored = await sync_to_async(list)(
        Message.objects.order_by("id").values_list("kind", "body")
    )
    assert stored[0] == ("text", "Hola 🌮")
    assert stored[2][0] == "reaction"
    conversation = await sync_to_async(Conversation.objects.get)()
    assert conversation.status == Conversation.Status.CLOSED
    assert conversation.intent == "repairs"
    await sync_to_async(sandbox_customer.refresh_from_db)()
    assert sandbox_customer.closed


@pytest.mark.asyncio
async def test_page_socket_refuses_unknown_customers() -> None:
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), "/ws/sandbox/nope/"
    )
    connected, _code = await communicator.connect()
    assert not connected


# The pages ------------------------------------------------------------------------------


def test_setup_page_lists_businesses(client: Client, shop: Business) -> None:
    response = client.get("/sandbox/?biz-intent-id=sales&body=Hello")
    assert response.status_code == 200
    content = response.content.decode()
    assert shop.apple_id in content
    assert 'value="sales"' in content


def test_setup_page_says_what_is_simulated_and_what_is_not(
    client: Client, shop: Business
) -> None:
    content = client.get("/sandbox/").content.decode()
    simulated = content.split('id="simulated"')[1].split("</ul>")[0]
    not_simulated = content.split('id="not-simulated"')[1].split("</ul>")[0]
    assert "mspVersion" in simulated
    assert "upper-case hex" in simulated
    assert "Delivery to a real device" in not_simulated
    assert "rate limits" in not_simulated


def test_setup_creates_a_customer_and_opens_the_chat(
    client: Client, shop: Business
) -> None:
    response = client.post(
        "/sandbox/",
        {"business": shop.apple_id, "device": "mac", "intent": "sales", "body": "Hi"},
    )
    assert response.status_code == 302
    customer = SandboxCustomer.objects.get()
    assert customer.opaque_id.startswith("urn:mbid:")
    assert customer.device == "mac"
    chat = client.get(response["Location"])
    assert chat.status_code == 200
    assert customer.key in chat.content.decode()


def test_setup_refuses_unknown_business(client: Client, shop: Business) -> None:
    response = client.post("/sandbox/", {"business": "nope", "device": "iphone"})
    assert response.status_code == 400


# Attachments and sign-in --------------------------------------------------------------


def test_customer_attachment_reaches_us_and_downloads_through_the_gateway(
    client: Client, sandbox_customer: SandboxCustomer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.wsgi import get_wsgi_application

    from conversations.apple.client import AppleClient
    from conversations.apple.payloads import parse_attachment
    from sandbox import views
    from tests.sandbox.samples import PNG_1PX

    transport = httpx.ASGITransport(app=get_asgi_application())
    monkeypatch.setattr(
        views, "post_inbound", partial(post_inbound, transport=transport)
    )
    upload = SimpleUploadedFile("dot.png", PNG_1PX * 10, content_type="image/png")
    response = client.post(
        f"/sandbox/c/{sandbox_customer.key}/attachments/",
        {"file": upload, "caption": "my bike"},
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get()
    assert message.kind == Message.Kind.ATTACHMENT
    raw = message.raw["attachments"][0]
    assert "signature" in raw  # inbound descriptors carry the hex signature
    apple = AppleClient(
        base_url="http://testserver/sandbox/v1",
        transport=httpx.WSGITransport(app=get_wsgi_application()),
    )
    descriptor = parse_attachment(raw, where="attachments[0]")
    with apple.download_attachment(
        source_id=sandbox_customer.business_apple_id, attachment=descriptor
    ) as chunks:
        assert b"".join(chunks) == PNG_1PX * 10


def test_business_attachment_is_shown_decrypted(
    client: Client, sandbox_customer: SandboxCustomer
) -> None:
    from conversations.apple.crypto import key_to_wire
    from sandbox import mmcs

    upload, key = mmcs.store_encrypted([b"%PDF-1.4 hello"], declared_size=14)
    item = mmcs.descriptor(upload, key, name="a.pdf", mime_type="application/pdf")
    message = SandboxMessage.objects.create(
        customer=sandbox_customer,
        apple_id=str(uuid.uuid4()),
        direction=SandboxMessage.Direction.FROM_BUSINESS,
        type="text",
        body={"body": "\ufffc", "attachments": [{**item, "key": key_to_wire(key)}]},
    )
    response = client.get(f"/sandbox/c/{sandbox_customer.key}/files/{message.id}/0/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 hello"
    assert (
        client.get(
            f"/sandbox/c/{sandbox_customer.key}/files/{message.id}/1/"
        ).status_code
        == 404
    )


def test_old_auth_flow_encrypts_the_token_to_the_requested_key() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF

    from sandbox.interactive import authentication_reply
    from tests.sandbox.samples import interactive

    private = ec.generate_private_key(ec.SECP384R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    request = interactive("authenticate")
    request["data"]["authenticate"]["oauth2"]["responseEncryptionKey"] = (
        base64.b64encode(public).decode()
    )
    reply = authentication_reply(
        {"interactiveData": request}, approve=True, username="jo"
    )
    auth = reply["data"]["authenticate"]
    assert auth["status"] == "authenticated"
    assert auth["state"] == "nonce-123"
    assert reply["data"]["requestIdentifier"] == request["data"]["requestIdentifier"]
    # Decrypt as the platform must (spec §7.6).
    sealed = base64.b64decode(auth["token"])
    point, rest = sealed[:97], sealed[97:]
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), point)
    shared = private.exchange(ec.ECDH(), ephemeral)
    derived = X963KDF(algorithm=hashes.SHA256(), length=48, sharedinfo=point).derive(
        shared
    )
    code = AESGCM(derived[:32]).decrypt(derived[32:], rest, None)
    assert code.startswith(b"sandbox-code-")


def test_cancelled_sign_in_reports_failure() -> None:
    from sandbox.interactive import authentication_reply
    from tests.sandbox.samples import interactive

    reply = authentication_reply(
        {"interactiveData": interactive("authenticate")}, approve=False, username=""
    )
    assert reply["data"]["authenticate"]["status"] == "failed"
    assert "token" not in reply["data"]["authenticate"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("approve", "answer", "status"),
    [
        (True, {"status": "STATUS_SUCCESS"}, "STATUS_SUCCESS"),
        (False, None, "STATUS_FAILURE"),
    ],
)
async def test_apple_pay_sheet_posts_a_token_to_the_payment_gateway(
    monkeypatch: pytest.MonkeyPatch, approve: bool, answer: Any, status: str
) -> None:
    from sandbox import interactive as device
    from tests.sandbox.samples import interactive

    posted: list[dict[str, Any]] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200, json=answer)

    monkeypatch.setattr(
        device.httpx,
        "AsyncClient",
        partial(httpx.AsyncClient, transport=httpx.MockTransport(gateway)),
    )
    request = interactive("payment")
    reply = await device.payment_reply({"interactiveData": request}, approve=approve)
    assert reply["data"]["payment"]["status"] == status
    assert reply["data"]["requestIdentifier"] == request["data"]["requestIdentifier"]
    if approve:
        # The documented spelling (Apple's samples): payment.paymentToken.
        assert posted[0]["payment"]["paymentToken"]["paymentData"]["version"] == "EC_v1"
    else:
        assert not posted


def test_setup_page_asks_for_a_business_and_remembers_the_last(
    client: Client, shop: Business
) -> None:
    from conversations.models import Business as BusinessModel

    # One business: nothing to ask.
    content = client.get("/sandbox/").content.decode()
    assert "Choose a business…" not in content
    assert f'value="{shop.apple_id}" selected' in content

    # Several: the page asks instead of picking the first by name.
    other = BusinessModel.objects.create(name="Aardvark Co", apple_id="aardvark-0001")
    content = client.get("/sandbox/").content.decode()
    assert '<option value="" selected disabled>Choose a business…</option>' in content
    assert "selected>" not in content.replace('<option value="" selected disabled>', "")

    # Once chosen, the next visit starts with it.
    client.post("/sandbox/", {"business": shop.apple_id, "device": "iphone"})
    content = client.get("/sandbox/").content.decode()
    assert "Choose a business…" not in content
    assert f'value="{shop.apple_id}" selected' in content
    assert f'value="{other.apple_id}" selected' not in content
    # A link naming a business wins; an unknown one in the cookie is ignored.
    content = client.get(f"/sandbox/?business={other.apple_id}").content.decode()
    assert f'value="{other.apple_id}" selected' in content
    client.cookies["sandbox_business"] = "gone"
    assert "Choose a business…" in client.get("/sandbox/").content.decode()

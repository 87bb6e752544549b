"""The sandbox accepts what Apple's gateway accepts and hands out what Apple hands out.

Every shape below is written from Apple's MSP documentation: the REST API
reference and the published MSP tutorial samples (which, for instance, send
``mspVersion`` without ``version`` and a time picker with an empty title). Each
one is replayed as the tutorial sends it, with plain HTTP and no platform code,
and must be answered 200. ``test_gateway.py`` holds the refusals.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.test import Client

from conversations.apple.client import AppleClient
from conversations.apple.crypto import encrypt_bytes, new_key
from conversations.apple.payloads import parse_attachment
from sandbox import gateway, mmcs
from sandbox.gateway import BUSINESS_EXTENSION_BID
from sandbox.models import SandboxCustomer, SandboxMessage
from tests.sandbox.samples import IMAGE_B64, PNG_1PX

# Gateway views do their ORM work in worker threads, which only see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

BUSINESS = "2f0f8e62-8b8a-4f5e-9d43-0c5b8a1e7d21"
GATEWAY = "/sandbox/v1"
APP_BID = (
    "com.apple.messages.MSMessageExtensionBalloonPlugin:"
    "EWFNLB79LQ:com.example.PackageDeliveryMessagesExtension"
)


@pytest.fixture
def customer() -> SandboxCustomer:
    return SandboxCustomer.objects.create(business_apple_id=BUSINESS)


def jwt_token() -> str:
    # As the tutorial's jwt_util does it: HS256 over the decoded secret, iss and iat.
    return jwt.encode(
        {"iss": settings.MSP_ID, "iat": int(time.time())},
        base64.b64decode(settings.MSP_SECRETS[0]),
        algorithm="HS256",
    )


def send(
    client: Client,
    destination: str,
    type_: str,
    *,
    path: str = "message",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> tuple[str, Any]:
    """POST one message as the tutorial samples do; return its id and the response."""
    message_id = str(uuid.uuid4())
    payload = {
        "id": message_id,
        "type": type_,
        "sourceId": BUSINESS,
        "destinationId": destination,
        "v": 1,
        **fields,
    }
    response = client.post(
        f"{GATEWAY}/{path}",
        data=json.dumps(payload),
        content_type="application/json",
        headers={
            "Authorization": f"Bearer {jwt_token()}",
            "id": message_id,
            "Source-Id": BUSINESS,
            "Destination-Id": destination,
            **(headers or {}),
        },
    )
    return message_id, response


def upload_image(client: Client) -> dict[str, str]:
    """The tutorial's attachment steps: encrypt, preUpload, upload; the descriptor to send."""
    key = new_key()
    encrypted = encrypt_bytes(key, PNG_1PX)
    target = client.get(
        f"{GATEWAY}/preUpload",
        headers={
            "Authorization": f"Bearer {jwt_token()}",
            "Source-Id": BUSINESS,
            "MMCS-Size": str(len(encrypted)),
        },
    ).json()
    uploaded = client.post(
        target["upload-url"], data=encrypted, content_type="application/octet-stream"
    )
    assert uploaded.status_code == 200, uploaded.content
    return {
        "name": "image_filename.png",
        "mimeType": "image/png",
        "size": str(len(encrypted)),  # the tutorial: "has to be of type string"
        "signature-base64": uploaded.json()["singleFile"]["fileChecksum"],
        "url": target["mmcs-url"],
        "owner": target["mmcs-owner"],
        "key": "00" + key.hex().upper(),
    }


# Shapes from Apple's documentation --------------------------------------------


def list_picker(*, version_field: str, with_images: bool) -> dict[str, Any]:
    item_image = {"imageIdentifier": "0"} if with_images else {}
    data: dict[str, Any] = {
        "listPicker": {
            "sections": [
                {
                    "items": [
                        {
                            "identifier": "1",
                            "order": 0,
                            "style": "default",
                            "subtitle": "Red and delicious",
                            "title": "Apple",
                            **item_image,
                        },
                        {
                            "identifier": "2",
                            "order": 1,
                            "style": "default",
                            "subtitle": "Vitamin C boost",
                            "title": "Orange",
                        },
                    ],
                    "order": 0,
                    "title": "Fruit",
                    "multipleSelection": True,
                },
                {
                    "items": [
                        {
                            "identifier": "3",
                            "order": 0,
                            "style": "default",
                            "subtitle": "Crispy greens",
                            "title": "Lettuce",
                        }
                    ],
                    "order": 1,
                    "title": "Veggies",
                    "multipleSelection": False,
                },
            ]
        },
        version_field: "1.0",
        "requestIdentifier": str(uuid.uuid4()),
    }
    if with_images:
        data["images"] = [{"data": IMAGE_B64, "identifier": "0"}]
    return {
        "bid": BUSINESS_EXTENSION_BID,
        "data": data,
        "receivedMessage": {
            "style": "small",
            "subtitle": "Farm fresh to you",
            "title": "Select Produce",
            **item_image,
        },
        "replyMessage": {
            "style": "small",
            "title": "Selected Produce",
            "subtitle": "Selected Produce",
        },
    }


def time_picker_reference() -> dict[str, Any]:
    return {
        "bid": BUSINESS_EXTENSION_BID,
        "data": {
            "version": "1.0",
            "requestIdentifier": str(uuid.uuid4()),
            "event": {
                "identifier": "1",
                "title": "Apple Park Visitor Center",
                "timezoneOffset": -420,
                "location": {
                    "latitude": 37.3327,
                    "longitude": -122.0053,
                    "radius": 100,
                    "title": "Apple Park",
                },
                "timeslots": [
                    {
                        "identifier": "0",
                        "startTime": "2030-07-10T17:00+0000",
                        "duration": 3600,
                    },
                    {
                        "identifier": "1",
                        "startTime": "2030-07-10T18:00+0000",
                        "duration": 1800,
                    },
                ],
            },
        },
        "receivedMessage": {"style": "icon", "title": "Please pick a time"},
        "replyMessage": {"style": "icon", "title": "Thank you!"},
    }


def time_picker_tutorial() -> dict[str, Any]:
    # The tutorial's "time picker with user timezone": mspVersion, empty title, no location.
    return {
        "bid": BUSINESS_EXTENSION_BID,
        "data": {
            "mspVersion": "1.0",
            "requestIdentifier": str(uuid.uuid4()),
            "event": {
                "identifier": "1",
                "title": "",
                "timeslots": [
                    {
                        "duration": 3600,
                        "startTime": "2022-07-10T17:00+0000",
                        "identifier": "0",
                    }
                ],
            },
        },
        "receivedMessage": {
            "style": "icon",
            "title": "Please pick a time",
            "subtitle": "This should be 10:00am for GMT-7h users",
        },
        "replyMessage": {"style": "icon", "title": "Thank you!"},
    }


def quick_reply() -> dict[str, Any]:
    # The reference's quick reply carries no receivedMessage: the items are the bubble.
    return {
        "bid": BUSINESS_EXTENSION_BID,
        "data": {
            "quick-reply": {
                "summaryText": "Which size would you like?",
                "items": [
                    {"identifier": "1", "title": "Small"},
                    {"identifier": "2", "title": "Medium"},
                    {"identifier": "3", "title": "Large"},
                ],
            },
            "version": "1.0",
            "requestIdentifier": str(uuid.uuid4()),
        },
    }


MERCHANT_SESSION = {
    "epochTimestamp": 1700000000000,
    "expiresAt": 1700003600000,
    "merchantSessionIdentifier": "SSH0123456789ABCDEF",
    "nonce": "a1b2c3d4",
    "merchantIdentifier": "0123456789ABCDEF",
    "domainName": "pay.example.com",
    "displayName": "Pet Adoption",
    "signature": "308006092a864886f70d010702a0803080020101",
}


def apple_pay(*, full: bool) -> dict[str, Any]:
    request: dict[str, Any] = {
        "lineItems": [{"label": "Item 1", "amount": "10.00", "type": "final"}],
        "total": {"label": "Your Total", "amount": "10.00", "type": "final"},
        "applePay": {
            "merchantIdentifier": "merchant.com.example.pets",
            "supportedNetworks": ["amex", "visa", "discover", "masterCard"],
            "merchantCapabilities": ["supportsDebit", "supportsCredit", "supports3DS"],
        },
        "countryCode": "US",
        "currencyCode": "USD",
        "requiredBillingContactFields": [],
        "requiredShippingContactFields": [],
    }
    endpoints = {"paymentGatewayUrl": "https://pay.example.com/paymentGateway"}
    data: dict[str, Any] = {"requestIdentifier": str(uuid.uuid4())}
    if full:
        # The adoption sample: version, images, shipping methods, every endpoint.
        data["version"] = "1.0"
        data["images"] = [{"data": IMAGE_B64, "identifier": "1"}]
        request["requiredBillingContactFields"] = ["post"]
        request["requiredShippingContactFields"] = ["post", "name", "phone", "email"]
        request["shippingMethods"] = [
            {
                "label": "Free Shipping",
                "detail": "Arrives in 8 to 10 days",
                "amount": "0.00",
                "identifier": "flat_rate_shipping_id_1",
            }
        ]
        base = "https://pay.example.com"
        endpoints.update(
            fallbackUrl=f"{base}/fallback",
            orderTrackingUrl=f"{base}/orderTracking",
            paymentMethodUpdateUrl=f"{base}/paymentMethodUpdate",
            shippingContactUpdateUrl=f"{base}/shippingContactUpdate",
            shippingMethodUpdateUrl=f"{base}/shippingMethodUpdate",
        )
        received = {
            "imageIdentifier": "1",
            "style": "large",
            "subtitle": "We'll see you there!",
            "title": "Adopt a Pet with Apple Pay",
        }
    else:
        # The basic sample sends only mspVersion, and a merchantName.
        data["mspVersion"] = "1.0"
        request["merchantName"] = "Pet Adoption"
        received = {
            "style": "icon",
            "title": "Payment Title",
            "subtitle": "Payment Subtitle",
        }
    data["payment"] = {
        "paymentRequest": request,
        "merchantSession": MERCHANT_SESSION,
        "endpoints": endpoints,
    }
    return {"receivedMessage": received, "bid": BUSINESS_EXTENSION_BID, "data": data}


def authenticate(*, old_flow: bool) -> dict[str, Any]:
    oauth: dict[str, Any] = {
        "responseType": "code",
        "scope": ["openid", "email", "profile"],
        "state": "0c9e3e0a6f5b4d1c",
        "redirectURI": "https://msp.example.com/oauth/callback",
    }
    if old_flow:
        # AUTH (the older flow): Base64 of the request's P-384 public key.
        oauth["responseEncryptionKey"] = base64.b64encode(b"\x04" + bytes(96)).decode()
    return {
        "data": {
            "version": "1.0",
            "requestIdentifier": str(uuid.uuid4()),
            "authenticate": {"oauth2": oauth},
            "images": [],
        },
        "bid": BUSINESS_EXTENSION_BID,
        "receivedMessage": {"title": "Sign In to LinkedIn"},
        "replyMessage": {"title": "You Signed In"},
    }


def form() -> dict[str, Any]:
    return {
        "bid": BUSINESS_EXTENSION_BID,
        "data": {
            "version": "1.0",
            "requestIdentifier": str(uuid.uuid4()),
            "images": [{"identifier": "1", "data": IMAGE_B64}],
            "dynamic": {
                "template": "messageForms",
                "version": "1.1",
                "private": True,
                "data": {
                    "splash": {
                        "header": "Quick survey",
                        "splashtext": "Two questions",
                        "buttonTitle": "Start",
                        "imageIdentifier": "1",
                    },
                    "startPageIdentifier": "0",
                    "showSummary": True,
                    "pages": [
                        {
                            "pageIdentifier": "0",
                            "type": "select",
                            "title": "Which colour?",
                            "multipleSelection": False,
                            "nextPageIdentifier": "1",
                            "items": [
                                {"identifier": "r", "title": "Red", "value": "red"},
                                {"identifier": "b", "title": "Blue", "value": "blue"},
                            ],
                        },
                        {
                            "pageIdentifier": "1",
                            "type": "input",
                            "title": "Your name?",
                            "submitForm": True,
                        },
                    ],
                },
            },
        },
        "receivedMessage": {"title": "Tell us more", "style": "icon"},
        "replyMessage": {"title": "Thanks!", "style": "icon"},
    }


def imessage_app(app_id: int | str) -> dict[str, Any]:
    return {
        "appIcon": IMAGE_B64,
        "appId": app_id,  # the reference shows the App Store id as a number
        "appName": "Package Delivery",
        "bid": APP_BID,
        "URL": "?deliveryDate=09-06-2018&destinationName=Apple%20Park",
        "data": {"version": "1.0", "requestIdentifier": str(uuid.uuid4())},
        "receivedMessage": {"style": "large", "title": "Your package"},
        "replyMessage": {"style": "large", "title": "Delivery updated"},
        "sessionIdentifier": "delivery-42",
        "useLiveLayout": False,
    }


Shape = Callable[[Client], tuple[str, dict[str, Any]]]


def interactive(data: Callable[[], dict[str, Any]], path: str = "message") -> Shape:
    return lambda client: (path, {"interactiveData": data()})


DOCUMENTED: dict[str, Shape] = {
    "text": lambda client: ("message", {"body": "Hello from Apple's tutorial 👋"}),
    "text with an attachment": lambda client: (
        "message",
        {
            "body": "Here's the attachment: \ufffc",
            "attachments": [upload_image(client)],
        },
    ),
    "typing_start": lambda client: ("message", {}),
    "typing_end": lambda client: ("message", {}),
    "richLink with an image": lambda client: (
        "message",
        {
            "richLinkData": {
                "url": "https://www.apple.com/iphone/",
                "title": "iPhone",
                "assets": {"image": {"data": IMAGE_B64, "mimeType": "image/png"}},
            }
        },
    ),
    "richLink with a video": lambda client: (
        "message",
        {
            "richLinkData": {
                "url": "https://www.apple.com/homepod/",
                "title": "HomePod",
                "assets": {
                    "image": {"data": IMAGE_B64, "mimeType": "image/png"},
                    "video": {
                        "url": "https://example.com/homepod.mp4",
                        "mimeType": "video/mp4",
                    },
                },
            }
        },
    ),
    "list picker (reference: version)": interactive(
        lambda: list_picker(version_field="version", with_images=True)
    ),
    "list picker (tutorial: mspVersion only)": interactive(
        lambda: list_picker(version_field="mspVersion", with_images=False)
    ),
    "list picker with images (tutorial: mspVersion only)": interactive(
        lambda: list_picker(version_field="mspVersion", with_images=True)
    ),
    "time picker (reference)": interactive(time_picker_reference),
    "time picker (tutorial: mspVersion, empty title)": interactive(
        time_picker_tutorial
    ),
    "quick reply without receivedMessage": interactive(quick_reply),
    "Apple Pay (tutorial: mspVersion only)": interactive(lambda: apple_pay(full=False)),
    "Apple Pay (tutorial: version, every endpoint)": interactive(
        lambda: apple_pay(full=True)
    ),
    "authentication (AUTH2)": interactive(
        lambda: authenticate(old_flow=False), "authenticate"
    ),
    "authentication (AUTH, responseEncryptionKey)": interactive(
        lambda: authenticate(old_flow=True), "authenticate"
    ),
    "form": interactive(form),
    "iMessage app (appId a number)": interactive(lambda: imessage_app(1234567890)),
    "iMessage app (appId a string)": interactive(lambda: imessage_app("1234567890")),
}


def message_type(name: str) -> str:
    if name.startswith(("text", "typing_", "richLink")):
        return name.split(" ")[0]
    return "interactive"


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_documented_shape_is_accepted(
    client: Client, customer: SandboxCustomer, name: str
) -> None:
    path, fields = DOCUMENTED[name](client)
    message_id, response = send(
        client, customer.opaque_id, message_type(name), path=path, **fields
    )
    assert response.status_code == 200, response.content
    if not name.startswith("typing_"):
        stored = SandboxMessage.objects.get(apple_id=message_id)
        assert stored.direction == SandboxMessage.Direction.FROM_BUSINESS


def test_every_message_type_and_feature_has_a_documented_shape() -> None:
    """A type or feature the gateway learns must come with its documented shape here."""
    bodies = [
        DOCUMENTED[name](Client()) for name in DOCUMENTED if "attachment" not in name
    ]
    types = {message_type(name) for name in DOCUMENTED}
    features = {
        gateway.check_interactive(body, endpoint=path)
        for path, body in bodies
        if "interactiveData" in body
    }
    assert types == set(gateway.MESSAGE_TYPES)
    assert features == {*gateway.FEATURES, "app"}


# Large payloads: the dataRef Apple answers and its replay ----------------------


def send_with_data_ref(
    client: Client, customer: SandboxCustomer
) -> tuple[dict[str, Any], dict[str, Any]]:
    data = list_picker(version_field="mspVersion", with_images=True)
    _, response = send(
        client,
        customer.opaque_id,
        "interactive",
        headers={"include-data-ref": "true"},
        interactiveData=data,
    )
    assert response.status_code == 200, response.content
    return data, response.json()["dataRef"]


def test_include_data_ref_answers_apples_documented_data_ref(
    client: Client, customer: SandboxCustomer
) -> None:
    data, ref = send_with_data_ref(client, customer)
    # The tutorial's expected output, field for field: Apple keeps the key.
    assert set(ref) == {
        "bid",
        "owner",
        "url",
        "size",
        "signature",
        "signature-base64",
        "title",
        "dataRefSig",
    }
    upload = mmcs.find_by_url(ref["url"])
    assert upload is not None
    assert isinstance(ref["size"], int)
    assert not isinstance(ref["size"], bool)
    assert ref["size"] == upload.size
    assert ref["title"] == "Select Produce" == data["receivedMessage"]["title"]
    assert isinstance(ref["dataRefSig"], str)
    assert ref["dataRefSig"]
    assert ref["signature"] == ref["signature"].upper()
    assert bytes.fromhex(ref["signature"]) == base64.b64decode(ref["signature-base64"])
    assert ref["bid"] == BUSINESS_EXTENSION_BID


@pytest.mark.parametrize(
    "variant",
    [
        "as answered",  # size a number, title and dataRefSig included
        "size as a string",
        "hex signature only",
        "lower-case hex signature only",
    ],
)
def test_data_ref_is_accepted_back(
    client: Client, customer: SandboxCustomer, variant: str
) -> None:
    data, ref = send_with_data_ref(client, customer)
    if variant == "size as a string":
        ref["size"] = str(ref["size"])
    elif variant.endswith("signature only"):
        del ref["signature-base64"]
        if variant.startswith("lower-case"):
            ref["signature"] = ref["signature"].lower()
    message_id, response = send(
        client, customer.opaque_id, "interactive", interactiveDataRef=ref
    )
    assert response.status_code == 200, response.content
    stored = SandboxMessage.objects.get(apple_id=message_id)
    assert stored.body["interactiveData"] == data


# What the device sends: attachment descriptors as Apple's examples write them ----


@pytest.fixture
def apple() -> AppleClient:
    transport = httpx.WSGITransport(app=get_wsgi_application())
    return AppleClient(base_url="http://testserver/sandbox/v1", transport=transport)


def device_descriptor() -> tuple[dict[str, Any], bytes]:
    plain = PNG_1PX * 3
    upload, key = mmcs.store_encrypted([plain], declared_size=len(plain))
    return mmcs.descriptor(
        upload, key, name="IMG_0001.PNG", mime_type="image/png"
    ), plain


def test_device_descriptor_spells_size_and_signature_as_apple_does() -> None:
    item, plain = device_descriptor()
    assert item["size"] == len(plain)
    assert isinstance(item["size"], int)
    assert item["signature"] == item["signature"].upper()
    assert any(c in "ABCDEF" for c in item["signature"])  # not only digits
    assert "signature-base64" not in item


@pytest.mark.parametrize(
    ("size", "case"),
    [
        ("number", "upper"),  # what the sandbox (and Apple's examples) send
        ("string", "lower"),  # what older integrations and docs show
        ("number", "lower"),
        ("string", "upper"),
    ],
)
def test_our_inbound_parser_reads_every_spelling_and_downloads_the_file(
    apple: AppleClient, size: str, case: str
) -> None:
    item, plain = device_descriptor()
    variant = dict(item)
    variant["size"] = item["size"] if size == "number" else str(item["size"])
    variant["signature"] = getattr(item["signature"], case)()
    parsed = parse_attachment(variant)
    assert parsed == parse_attachment(item)
    assert parsed.size == len(plain)
    with apple.download_attachment(source_id=BUSINESS, attachment=parsed) as chunks:
        assert b"".join(chunks) == plain

"""Valid outbound bodies of every kind, for tests to break one field at a time."""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

from sandbox.gateway import BUSINESS_EXTENSION_BID

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
IMAGE_B64 = base64.b64encode(PNG_1PX).decode()


def envelope(business: str, customer: str, type_: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "sourceId": business,
        "destinationId": customer,
        "v": 1,
        "type": type_,
        **fields,
    }


def _interactive(feature: str, value: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {
        "bid": BUSINESS_EXTENSION_BID,
        "data": {
            "version": "1.0",
            "mspVersion": "1.0",
            "requestIdentifier": str(uuid.uuid4()),
            "images": [{"identifier": "1", "data": IMAGE_B64}],
            feature: value,
        },
        "receivedMessage": {
            "title": "Pick one",
            "style": "icon",
            "imageIdentifier": "1",
        },
        "replyMessage": {"title": "Thanks", "style": "icon"},
    }
    data.update(extra)
    return data


LIST_PICKER = _interactive(
    "listPicker",
    {
        "sections": [
            {
                "title": "Coffee",
                "order": 0,
                "multipleSelection": False,
                "items": [
                    {
                        "identifier": "a",
                        "title": "Espresso",
                        "order": 0,
                        "imageIdentifier": "1",
                    },
                    {
                        "identifier": "b",
                        "title": "Latte",
                        "order": 1,
                        "style": "default",
                    },
                ],
            },
            {
                "title": "Extras",
                "order": 1,
                "multipleSelection": True,
                "items": [{"identifier": "c", "title": "Oat milk"}],
            },
        ]
    },
)
TIME_PICKER = _interactive(
    "event",
    {
        "identifier": "ev",
        "title": "Fitting",
        "location": {
            "latitude": 52.5,
            "longitude": 13.4,
            "radius": 100,
            "title": "Shop",
        },
        "timeslots": [
            {
                "identifier": "s1",
                "startTime": "2030-01-31T09:30+0000",
                "duration": 3600,
            },
        ],
    },
)
QUICK_REPLY = _interactive(
    "quick-reply",
    {
        "summaryText": "Which size?",
        "items": [
            {"identifier": "s", "title": "Small"},
            {"identifier": "l", "title": "Large"},
        ],
    },
)
PAYMENT = _interactive(
    "payment",
    {
        "paymentRequest": {
            "lineItems": [{"label": "Bike", "amount": "10.00", "type": "final"}],
            "total": {"label": "Acme", "amount": "10.00", "type": "final"},
            "applePay": {
                "merchantIdentifier": "merchant.com.acme",
                "supportedNetworks": ["visa"],
                "merchantCapabilities": ["supports3DS"],
            },
            "merchantName": "Acme",
            "countryCode": "US",
            "currencyCode": "USD",
        },
        "merchantSession": {"epochTimestamp": 1},
        "endpoints": {"paymentGatewayUrl": "https://pay.example.com/gateway"},
    },
)
AUTHENTICATE = _interactive(
    "authenticate",
    {
        "oauth2": {
            "responseType": "code",
            "scope": ["profile"],
            "state": "nonce-123",
            "redirectURI": "https://example.com/callback",
        }
    },
)
FORM = _interactive(
    "dynamic",
    {
        "template": "messageForms",
        "version": "1.1",
        "data": {
            "splash": {"header": "Survey", "buttonTitle": "Start"},
            "startPageIdentifier": "1",
            "pages": [
                {
                    "pageIdentifier": "1",
                    "type": "select",
                    "title": "Colour?",
                    "nextPageIdentifier": "2",
                    "items": [{"identifier": "r", "title": "Red", "value": "red"}],
                },
                {
                    "pageIdentifier": "2",
                    "type": "input",
                    "title": "Name?",
                    "submitForm": True,
                },
            ],
        },
    },
)
APP = {
    "bid": "com.apple.messages.MSMessageExtensionBalloonPlugin:ABCDE12345:com.acme.app.ext",
    "appId": "123456789",
    "appName": "Acme",
    "URL": "?order=42&step=1",
    "receivedMessage": {"title": "Your order", "style": "large"},
    "replyMessage": {"title": "Order updated"},
    "useLiveLayout": True,
}
INTERACTIVE = {
    "listPicker": LIST_PICKER,
    "event": TIME_PICKER,
    "quick-reply": QUICK_REPLY,
    "payment": PAYMENT,
    "dynamic": FORM,
    "app": APP,
}
RICH_LINK = {
    "url": "https://example.com/bikes",
    "title": "Bikes",
    "assets": {"image": {"data": IMAGE_B64, "mimeType": "image/png"}},
}


def interactive(name: str) -> dict[str, Any]:
    return copy.deepcopy(AUTHENTICATE if name == "authenticate" else INTERACTIVE[name])

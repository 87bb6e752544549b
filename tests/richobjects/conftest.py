"""Shared specs for the rich-object tests: one valid input per kind."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest

from richobjects.builders import MerchantSettings


def png_bytes(width: int = 120, height: int = 120) -> bytes:
    """A real (tiny, blank) PNG of the given size, built without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def png_base64() -> str:
    return base64.b64encode(png_bytes()).decode()


@pytest.fixture
def merchant() -> MerchantSettings:
    return MerchantSettings(
        merchant_identifier="merchant.com.acmebikes",
        merchant_name="Acme Bikes",
        country_code="US",
        currency_code="USD",
        payment_gateway_url="https://pay.acmebikes.example/gateway",
        fallback_url="https://acmebikes.example/pay",
    )


@pytest.fixture
def quick_reply_spec() -> dict[str, Any]:
    return {
        "summary": "How can we help?",
        "items": [{"id": "billing", "title": "Billing"}, "Repairs", "Something else"],
    }


@pytest.fixture
def list_picker_spec(png_base64: str) -> dict[str, Any]:
    return {
        "received": {
            "title": "Pick your bike",
            "subtitle": "Tap to choose",
            "image": "logo",
        },
        "reply": {"title": "Thanks!", "style": "small"},
        "images": {"logo": png_base64, "gravel": png_base64, "unused": png_base64},
        "sections": [
            {
                "title": "Bikes",
                "items": [
                    {
                        "id": "g700",
                        "title": "Gravel 700",
                        "subtitle": "In stock",
                        "image": "gravel",
                    },
                    {"id": "r500", "title": "Road 500"},
                ],
            },
            {
                "title": "Extras",
                "multiple_selection": True,
                "items": [
                    {"id": "lock", "title": "Lock"},
                    {"id": "lamp", "title": "Lamp"},
                ],
            },
        ],
    }


@pytest.fixture
def time_picker_spec() -> dict[str, Any]:
    return {
        "received": {"title": "Book a fitting", "style": "large"},
        "title": "Bike fitting",
        "timezone_offset": 60,
        "location": {
            "latitude": 48.85,
            "longitude": 2.35,
            "radius": 50,
            "title": "Acme Paris",
        },
        "slots": [
            {"id": "a", "start": "2026-12-01T10:00+0000", "duration": 1800},
            {"id": "b", "start": "2026-12-01T11:30+01:00", "duration": 3600},
        ],
    }


@pytest.fixture
def form_spec() -> dict[str, Any]:
    return {
        "received": {"title": "Service request"},
        "splash": {
            "header": "Book a service",
            "text": "Three questions",
            "button_title": "Go",
        },
        "show_summary": True,
        "pages": [
            {
                "id": "kind",
                "type": "select",
                "title": "What needs fixing?",
                "next": "when",
                "items": [
                    {"id": "brakes", "title": "Brakes", "value": "brakes"},
                    {"id": "gears", "title": "Gears", "value": "gears"},
                ],
            },
            {
                "id": "when",
                "type": "datePicker",
                "title": "When?",
                "next": "name",
                "options": {"dateFormat": "MM/dd/yyyy"},
            },
            {
                "id": "name",
                "type": "input",
                "title": "Your name",
                "options": {"placeholder": "Jane Appleseed", "required": True},
            },
        ],
    }


@pytest.fixture
def apple_pay_spec() -> dict[str, Any]:
    return {
        "received": {"title": "Your order", "subtitle": "Pay with Apple Pay"},
        "line_items": [
            {"label": "Gravel 700", "amount": "999.00"},
            {"label": "Shipping", "amount": "15.50"},
        ],
        "total": {"label": "Acme Bikes", "amount": "1014.50"},
        "required_billing_contact_fields": ["postalAddress"],
        "required_shipping_contact_fields": ["email", "phone", "postalAddress"],
        "shipping_methods": [
            {"id": "std", "label": "Standard", "amount": "15.50", "detail": "3-5 days"},
        ],
    }


@pytest.fixture
def auth_spec() -> dict[str, Any]:
    return {
        "received": {"title": "Sign in to Acme"},
        "scope": ["profile", "orders"],
        "redirect_uri": "https://acmebikes.example/oauth/callback",
    }


@pytest.fixture
def imessage_spec() -> dict[str, Any]:
    return {
        "team_id": "ABCDE12345",
        "extension_bundle_id": "com.acmebikes.app.MessagesExtension",
        "app_id": "1234567890",
        "app_name": "Acme Configurator",
        "url": "?model=g700&color=blue",
        "received": {"title": "Build your bike"},
    }


@pytest.fixture
def rich_link_spec(png_base64: str) -> dict[str, Any]:
    return {
        "url": "https://acmebikes.example/gravel-700",
        "title": "Gravel 700",
        "image": {"data": png_base64, "mime_type": "image/png"},
    }

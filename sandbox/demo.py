"""The demo business's integrations, pointed at the sandbox (``seed_demo``).

Sign-in through the sandbox's OAuth provider, Apple Pay with a self-signed merchant
certificate and the sandbox's processor, and two published library objects so an
agent can start either flow from the console's rich-object picker. Idempotent:
URLs follow ``base_url`` on every run; the certificate is made once.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.urls import reverse

from conversations.models import Business
from conversations.types import User

from . import provider

logger = logging.getLogger(__name__)

OAUTH_TITLE = "Sandbox Accounts"
MERCHANT_NAME = "Demo Coffee Roasters"
CERTIFICATE_DAYS = 365
SIGNIN_OBJECT = "Sign in (sandbox)"
PAYMENT_OBJECT = "Pay for your order (sandbox)"


def merchant_certificate(merchant_identifier: str) -> tuple[str, str]:
    """A self-signed merchant identity certificate and its PKCS#8 key, both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"Merchant ID: {merchant_identifier}")]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=CERTIFICATE_DAYS))
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )


def _sandbox_url(base_url: str, name: str) -> str:
    return base_url.rstrip("/") + reverse(f"sandbox:{name}")


def demo_integrations_seed(
    *, business: Business, actor: User, base_url: str
) -> list[str]:
    """Configure OAuth, Apple Pay and library objects; returns what was done."""
    from integrations import services as integrations_services
    from integrations.models import ApplePayMerchant

    done: list[str] = []
    integrations_services.oauth_provider_save(
        business=business,
        actor=actor,
        fields={
            "title": OAUTH_TITLE,
            "client_id": provider.CLIENT_ID,
            "authorize_url": _sandbox_url(base_url, "oauth-authorize"),
            "token_url": _sandbox_url(base_url, "oauth-token"),
            "scope": "openid profile",
        },
        client_secret=provider.CLIENT_SECRET,
    )
    done.append(
        f"OAuth provider {OAUTH_TITLE!r} → {_sandbox_url(base_url, 'oauth-token')}"
    )

    existing = ApplePayMerchant.objects.filter(business=business).first()
    fields: dict[str, Any] = {
        "merchant_identifier": provider.MERCHANT_IDENTIFIER,
        "merchant_name": MERCHANT_NAME,
        "verified_domain": "127.0.0.1",
        "processor_url": _sandbox_url(base_url, "processor-charge"),
        "country_code": "US",
        "currency_code": "USD",
    }
    private_key = ""
    if existing is None or not existing.certificate_pem or not existing.private_key_pem:
        fields["certificate_pem"], private_key = merchant_certificate(
            provider.MERCHANT_IDENTIFIER
        )
    integrations_services.apple_pay_save(
        business=business,
        actor=actor,
        fields=fields,
        private_key_pem=private_key,
        processor_secret=provider.PROCESSOR_SECRET,
    )
    done.append(
        f"Apple Pay {provider.MERCHANT_IDENTIFIER} → processor "
        f"{fields['processor_url']} (amounts ending in .13 are declined)"
    )
    done.extend(_library_objects(business=business, actor=actor, base_url=base_url))
    return done


def _library_objects(*, business: Business, actor: User, base_url: str) -> list[str]:
    """Published library objects for the console's picker; kept if they exist."""
    from richobjects import services as rich_services
    from richobjects.models import RichObject

    wanted: list[tuple[str, str, dict[str, Any]]] = [
        (
            SIGNIN_OBJECT,
            RichObject.Kind.AUTHENTICATION,
            {
                "received": {"title": f"Sign in to {OAUTH_TITLE}"},
                "scope": ["openid", "profile"],
                # Replaced at send time by integrations' own redirect URI.
                "redirect_uri": base_url.rstrip("/")
                + reverse("integrations:oauth-redirect"),
            },
        ),
        (
            PAYMENT_OBJECT,
            RichObject.Kind.APPLE_PAY,
            {
                "received": {"title": "Your order", "subtitle": "Pay with Apple Pay"},
                "line_items": [
                    {"label": "Espresso beans 1 kg", "amount": "24.00"},
                    {"label": "Shipping", "amount": "4.50"},
                ],
            },
        ),
    ]
    done: list[str] = []
    for name, kind, spec in wanted:
        if RichObject.objects.filter(business=business, name=name).exists():
            continue
        try:
            created = rich_services.rich_object_create(
                business=business, name=name, kind=kind, spec=spec, user=actor
            )
            rich_services.rich_object_publish(rich_object=created)
        except Exception as exc:  # noqa: BLE001 - the demo works without them
            logger.warning(
                "sandbox.demo_object_skipped", extra={"object": name, "error": str(exc)}
            )
            continue
        done.append(f"library object {name!r}")
    return done


def default_base_url() -> str:
    """PUBLIC_BASE_URL, else the host the sandbox gateway is reached at."""
    from django.conf import settings

    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/")
    gateway = settings.APPLE_GATEWAY_URL.rstrip("/")
    if gateway.endswith("/sandbox/v1"):
        return gateway.removesuffix("/sandbox/v1")
    return "http://127.0.0.1:8000"

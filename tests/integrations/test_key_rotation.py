"""FIELD_ENCRYPTION_KEY rotation: several keys, the first encrypts, all decrypt,
and a command moves every stored secret to the first (issue 13 item 12)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from integrations.crypto import SecretUnreadable
from integrations.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def stored(endpoint: WebhookEndpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret FROM integrations_webhookendpoint WHERE id = %s",
            [endpoint.id],
        )
        return cursor.fetchone()[0]


def test_rotation_keeps_every_secret_readable(business, settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = OLD
    endpoint = WebhookEndpoint.objects.create(
        business=business, url="https://hooks.example.com/", secret="whsec_1"
    )
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    assert WebhookEndpoint.objects.get().secret == "whsec_1"  # old key still reads

    call_command("secrets_reencrypt", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Fernet(NEW.encode()).decrypt(stored(endpoint).encode()) == b"whsec_1"
    settings.FIELD_ENCRYPTION_KEY = NEW  # the old key can go now
    assert WebhookEndpoint.objects.get().secret == "whsec_1"


def test_a_retired_key_alone_no_longer_reads(business, settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    WebhookEndpoint.objects.create(
        business=business, url="https://hooks.example.com/", secret="whsec_2"
    )
    settings.FIELD_ENCRYPTION_KEY = OLD
    with pytest.raises(SecretUnreadable):
        WebhookEndpoint.objects.get()

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from businesses.models import BusinessHours, ChannelSettings, IMessageApp
from tests.businesses.conftest import image_bytes

pytestmark = pytest.mark.django_db


def url(business) -> str:
    return f"/console/businesses/{business.pk}/settings/"


def general(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "action": "general",
        "display_name": "Acme Bikes Support",
        "timezone": "Europe/Paris",
        "away_message": "We are closed; back at 9.",
        "allowed_attachment_types": "image/*, application/pdf",
        "open_0": "on",
        "opens_0": "09:00",
        "closes_0": "17:30",
        "open_5": "on",
        "opens_5": "22:00",
        "closes_5": "02:00",
    }
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_sign_in(client: Client, business):
    response = client.get(url(business))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_agents_are_forbidden(agent_client: Client, business):
    assert agent_client.get(url(business)).status_code == 403
    assert agent_client.post(url(business), general()).status_code == 403


def test_other_businesses_are_not_found(admin_client: Client, other_business):
    assert admin_client.get(url(other_business)).status_code == 404


def test_admin_saves_name_hours_away_message_and_attachment_types(
    admin_client: Client, business
):
    page = admin_client.get(url(business))
    assert page.status_code == 200
    assert "integrations:begin" not in page.content.decode()  # template comment
    assert 'id="settings-sections"' in page.content.decode()

    response = admin_client.post(url(business), general())
    assert response.status_code == 302
    settings = ChannelSettings.objects.get(business=business)
    assert settings.display_name == "Acme Bikes Support"
    assert settings.timezone == "Europe/Paris"
    assert settings.away_message == "We are closed; back at 9."
    hours = {
        row.weekday: (row.opens, row.closes)
        for row in BusinessHours.objects.filter(business=business)
    }
    assert sorted(hours) == [0, 5]
    assert hours[0][0].strftime("%H:%M") == "09:00"
    business.refresh_from_db()
    assert business.allowed_attachment_types == ["image/*", "application/pdf"]

    # Unticking a day closes it.
    admin_client.post(url(business), general(open_5=""))
    assert list(
        BusinessHours.objects.filter(business=business).values_list(
            "weekday", flat=True
        )
    ) == [0]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list"),
        ({"opens_0": ""}, "Monday: when do you open?"),
        ({"closes_0": "09:00"}, "opening and closing times are the same"),
        (
            {"allowed_attachment_types": "images, application/pdf"},
            "Not MIME types: images",
        ),
    ],
)
def test_invalid_settings_are_refused_with_a_clear_message(
    admin_client: Client, business, overrides, message
):
    response = admin_client.post(url(business), general(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ChannelSettings.objects.filter(
        business=business, display_name="Acme Bikes Support"
    ).exists()


def test_post_without_csrf_token_is_refused(admin_user, business):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(url(business), general()).status_code == 403


def test_logo_is_resized_reencoded_and_served_as_png(admin_client: Client, business):
    upload = SimpleUploadedFile(
        "logo.jpg", image_bytes((1600, 800)), content_type="image/jpeg"
    )
    response = admin_client.post(url(business), general(logo=upload))
    assert response.status_code == 302
    served = Client().get(f"/businesses/{business.pk}/logo.png")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "PNG"
        assert image.size == (512, 256)


def test_a_file_that_is_not_an_image_is_refused(admin_client: Client, business):
    upload = SimpleUploadedFile(
        "logo.png", b"<svg onload=alert(1)>", content_type="image/png"
    )
    response = admin_client.post(url(business), general(logo=upload))
    assert response.status_code == 400
    assert "The logo must be an image" in response.content.decode()
    assert Client().get(f"/businesses/{business.pk}/logo.png").status_code == 404


def test_imessage_apps_are_added_validated_and_removed(
    admin_client: Client, business, other_business
):
    app = {
        "action": "add_app",
        "app_id": "1234567",
        "name": "Acme Configurator",
        "bid": "com.apple.messages.MSMessageExtensionBalloonPlugin:TEAM:com.acme.ext",
        "url": "https://acme.example/app",
    }
    assert admin_client.post(url(business), app).status_code == 302
    duplicate = admin_client.post(url(business), app)
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.content.decode()
    bad = admin_client.post(url(business), {**app, "app_id": "2", "url": "not a url"})
    assert bad.status_code == 400
    assert "Enter a valid URL" in bad.content.decode()

    stranger = IMessageApp.objects.create(
        business=other_business, app_id="9", name="x", bid="b", url="https://x.example"
    )
    assert (
        admin_client.post(
            url(business), {"action": "delete_app", "app": stranger.pk}
        ).status_code
        == 404
    )
    mine = IMessageApp.objects.get(business=business)
    assert (
        admin_client.post(
            url(business), {"action": "delete_app", "app": mine.pk}
        ).status_code
        == 302
    )
    assert not IMessageApp.objects.filter(business=business).exists()

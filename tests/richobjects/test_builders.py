from __future__ import annotations

import base64
import copy
import json
import uuid
from typing import Any

import pytest

from conversations.apple.limits import needs_data_ref
from richobjects.builders import (
    APPLE_BUSINESS_BID,
    BuildError,
    BuildErrors,
    Kind,
    MerchantSettings,
    build,
    build_apple_pay,
    build_authentication,
    build_form,
    build_imessage_app,
    build_list_picker,
    build_quick_reply,
    build_rich_link,
    build_time_picker,
    device_supports,
    required_capability,
    validate_spec,
)

BUBBLE_KEYS = {"title", "subtitle", "imageIdentifier", "style"}


def assert_interactive_envelope(payload: dict[str, Any], feature: str) -> None:
    """The envelope every interactive payload shares (spec §7)."""
    assert payload["bid"] == APPLE_BUSINESS_BID
    assert payload["data"]["version"] == "1.0"
    uuid.UUID(payload["data"]["requestIdentifier"])
    assert feature in payload["data"]
    assert set(payload["receivedMessage"]) <= BUBBLE_KEYS
    assert payload["receivedMessage"]["title"]
    assert payload["receivedMessage"]["style"] in ("icon", "small", "large")
    if "replyMessage" in payload:
        assert set(payload["replyMessage"]) <= BUBBLE_KEYS
    json.dumps(payload)  # must be JSON as-is


def errors_of(excinfo: pytest.ExceptionInfo[BuildError]) -> dict[str, list[str]]:
    error = excinfo.value
    assert isinstance(error, BuildErrors)
    return error.as_dict()


# --- quick reply -------------------------------------------------------------------


def test_quick_reply_matches_apple_shape(quick_reply_spec: dict[str, Any]) -> None:
    payload = build_quick_reply(quick_reply_spec)

    assert_interactive_envelope(payload, "quick-reply")
    assert payload["data"]["quick-reply"] == {
        "summaryText": "How can we help?",
        "items": [
            {"identifier": "billing", "title": "Billing"},
            {"identifier": "2", "title": "Repairs"},
            {"identifier": "3", "title": "Something else"},
        ],
    }
    assert payload["receivedMessage"] == {"title": "How can we help?", "style": "icon"}


def test_request_identifier_is_generated_each_time_unless_given(
    quick_reply_spec: dict[str, Any],
) -> None:
    first = build_quick_reply(quick_reply_spec)["data"]["requestIdentifier"]
    second = build_quick_reply(quick_reply_spec)["data"]["requestIdentifier"]
    given = str(uuid.uuid4())

    assert first != second
    assert (
        build_quick_reply(quick_reply_spec, request_identifier=given)["data"][
            "requestIdentifier"
        ]
        == given
    )


@pytest.mark.parametrize("count", [0, 1, 6])
def test_quick_reply_needs_two_to_five_items(count: int) -> None:
    spec = {"summary": "Pick", "items": [f"Option {n}" for n in range(count)]}

    with pytest.raises(
        BuildError, match=rf"items: a quick reply needs 2 to 5 items \(got {count}\)"
    ):
        build_quick_reply(spec)


def test_quick_reply_accepts_five_items() -> None:
    spec = {"summary": "Pick", "items": [f"Option {n}" for n in range(5)]}

    assert len(build_quick_reply(spec)["data"]["quick-reply"]["items"]) == 5


def test_quick_reply_rejects_duplicate_identifiers() -> None:
    spec = {
        "summary": "Pick",
        "items": [{"id": "a", "title": "A"}, {"id": "a", "title": "B"}],
    }

    with pytest.raises(BuildError, match="items: duplicate identifier 'a'"):
        build_quick_reply(spec)


def test_errors_are_collected_not_stopped_at_the_first() -> None:
    with pytest.raises(BuildError) as excinfo:
        build_quick_reply({"items": ["only one"]})

    errors = errors_of(excinfo)
    assert errors["summary"] == ["is required"]
    assert "a quick reply needs 2 to 5 items (got 1)" in errors["items"]
    assert isinstance(excinfo.value, ValueError)


# --- list picker ------------------------------------------------------------------------


def test_list_picker_matches_apple_shape(list_picker_spec: dict[str, Any]) -> None:
    payload = build_list_picker(list_picker_spec)

    assert_interactive_envelope(payload, "listPicker")
    data = payload["data"]
    assert data["mspVersion"] == "1.0"
    bikes, extras = data["listPicker"]["sections"]
    assert bikes == {
        "title": "Bikes",
        "order": 0,
        "multipleSelection": False,
        "items": [
            {
                "identifier": "g700",
                "title": "Gravel 700",
                "subtitle": "In stock",
                "imageIdentifier": "gravel",
                "order": 0,
                "style": "default",
            },
            {"identifier": "r500", "title": "Road 500", "order": 1, "style": "default"},
        ],
    }
    assert extras["multipleSelection"] is True
    assert extras["order"] == 1
    # Only referenced images travel; the unused one would only inflate the payload.
    assert [i["identifier"] for i in data["images"]] == ["gravel", "logo"]
    assert payload["receivedMessage"] == {
        "title": "Pick your bike",
        "subtitle": "Tap to choose",
        "imageIdentifier": "logo",
        "style": "icon",
    }
    assert payload["replyMessage"] == {"title": "Thanks!", "style": "small"}


def test_list_picker_numbers_items_across_sections() -> None:
    spec = {
        "received": {"title": "Pick"},
        "sections": [
            {"items": [{"title": "A"}, {"title": "B"}]},
            {"items": [{"title": "C"}]},
        ],
    }

    sections = build_list_picker(spec)["data"]["listPicker"]["sections"]

    assert [i["identifier"] for s in sections for i in s["items"]] == ["1", "2", "3"]


def test_list_picker_needs_sections() -> None:
    with pytest.raises(
        BuildError, match="sections: a list picker needs at least one section"
    ):
        build_list_picker({"received": {"title": "Pick"}, "sections": []})


def test_list_picker_section_needs_items() -> None:
    spec = {
        "received": {"title": "Pick"},
        "sections": [{"title": "Empty", "items": []}],
    }

    with pytest.raises(
        BuildError, match=r"sections\[0\]\.items: a section needs at least one item"
    ):
        build_list_picker(spec)


def test_list_picker_rejects_identifiers_repeated_across_sections(
    list_picker_spec: dict[str, Any],
) -> None:
    list_picker_spec["sections"][1]["items"][0]["id"] = "g700"

    with pytest.raises(BuildError, match="sections: duplicate item identifier 'g700'"):
        build_list_picker(list_picker_spec)


def test_list_picker_rejects_unknown_image_and_bad_style(
    list_picker_spec: dict[str, Any],
) -> None:
    list_picker_spec["sections"][0]["items"][1]["image"] = "missing"
    list_picker_spec["received"]["style"] = "huge"

    with pytest.raises(BuildError) as excinfo:
        build_list_picker(list_picker_spec)

    errors = errors_of(excinfo)
    assert errors["sections[0].items[1].image"] == [
        "unknown image 'missing' (add it to images)"
    ]
    assert errors["received.style"] == [
        "must be one of icon, small, large (got 'huge')"
    ]


def test_list_picker_requires_received_title() -> None:
    with pytest.raises(BuildError, match=r"received\.title: is required"):
        build_list_picker({"sections": [{"items": [{"title": "A"}]}]})


def test_images_must_be_base64() -> None:
    spec = {
        "received": {"title": "Pick", "image": "logo"},
        "images": {"logo": "not base64!"},
        "sections": [{"items": [{"title": "A"}]}],
    }

    with pytest.raises(BuildError, match=r"images\.logo: is not valid base64"):
        build_list_picker(spec)


# --- time picker --------------------------------------------------------------------------


def test_time_picker_matches_apple_shape(time_picker_spec: dict[str, Any]) -> None:
    payload = build_time_picker(time_picker_spec)

    assert_interactive_envelope(payload, "event")
    assert payload["data"]["mspVersion"] == "1.0"
    assert payload["data"]["event"] == {
        "identifier": "1",
        "title": "Bike fitting",
        "timezoneOffset": 60,
        "location": {
            "latitude": 48.85,
            "longitude": 2.35,
            "radius": 50,
            "title": "Acme Paris",
        },
        "timeslots": [
            {"identifier": "a", "startTime": "2026-12-01T10:00+0000", "duration": 1800},
            # Sent in UTC whatever zone it was written in.
            {"identifier": "b", "startTime": "2026-12-01T10:30+0000", "duration": 3600},
        ],
    }
    assert payload["receivedMessage"]["style"] == "large"


def test_time_picker_omits_timezone_offset_unless_given(
    time_picker_spec: dict[str, Any],
) -> None:
    del time_picker_spec["timezone_offset"]
    del time_picker_spec["location"]

    event = build_time_picker(time_picker_spec)["data"]["event"]

    assert "timezoneOffset" not in event
    assert "location" not in event


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        ("2026-12-01T10:00", "has no time zone"),
        ("tomorrow at ten", "Invalid isoformat"),
        ("2026-13-01T10:00+0000", "month must be in 1..12"),
        (None, "not a time"),
    ],
)
def test_time_picker_rejects_bad_slot_times(
    time_picker_spec: dict[str, Any], start: Any, reason: str
) -> None:
    time_picker_spec["slots"][0]["start"] = start

    with pytest.raises(BuildError) as excinfo:
        build_time_picker(time_picker_spec)

    [rule] = errors_of(excinfo)["slots[0].start"]
    assert rule.startswith("must be a time with a zone like 2026-12-01T10:00+0000")
    assert reason in rule


@pytest.mark.parametrize("duration", [0, -60, "1800", 1.5, True, None])
def test_time_picker_rejects_bad_durations(
    time_picker_spec: dict[str, Any], duration: Any
) -> None:
    time_picker_spec["slots"][1]["duration"] = duration

    with pytest.raises(
        BuildError,
        match=r"slots\[1\]\.duration: must be a whole number of seconds above 0",
    ):
        build_time_picker(time_picker_spec)


def test_time_picker_rejects_duplicate_slots_and_bad_location(
    time_picker_spec: dict[str, Any],
) -> None:
    time_picker_spec["slots"][1] = dict(time_picker_spec["slots"][0])
    time_picker_spec["location"]["latitude"] = 91
    time_picker_spec["timezone_offset"] = 900

    with pytest.raises(BuildError) as excinfo:
        build_time_picker(time_picker_spec)

    errors = errors_of(excinfo)
    assert "duplicate identifier 'a'" in errors["slots"]
    assert "duplicate start '2026-12-01T10:00+0000'" in errors["slots"]
    assert errors["location.latitude"] == ["must be within -90..90"]
    assert errors["timezone_offset"] == ["must be within -720..840 minutes (got 900)"]


def test_time_picker_needs_slots(time_picker_spec: dict[str, Any]) -> None:
    time_picker_spec["slots"] = []

    with pytest.raises(
        BuildError, match="slots: a time picker needs at least one slot"
    ):
        build_time_picker(time_picker_spec)


# --- form ------------------------------------------------------------------------------------


def test_form_matches_apple_shape(form_spec: dict[str, Any]) -> None:
    payload = build_form(form_spec)

    assert_interactive_envelope(payload, "dynamic")
    dynamic = payload["data"]["dynamic"]
    assert dynamic["template"] == "messageForms"
    assert dynamic["version"] == "1.1"
    assert dynamic["private"] is False
    form = dynamic["data"]
    assert form["splash"] == {
        "header": "Book a service",
        "splashtext": "Three questions",
        "buttonTitle": "Go",
    }
    assert form["startPageIdentifier"] == "kind"
    assert form["showSummary"] is True
    select, date, text = form["pages"]
    assert select == {
        "pageIdentifier": "kind",
        "type": "select",
        "title": "What needs fixing?",
        "nextPageIdentifier": "when",
        "multipleSelection": False,
        "items": [
            {"identifier": "brakes", "title": "Brakes", "value": "brakes"},
            {"identifier": "gears", "title": "Gears", "value": "gears"},
        ],
        "submitForm": False,
    }
    assert date["type"] == "datePicker"
    assert date["options"] == {"dateFormat": "MM/dd/yyyy"}
    assert text["submitForm"] is True
    assert text["type"] == "input"


def test_form_rejects_unknown_page_type_and_next(form_spec: dict[str, Any]) -> None:
    form_spec["pages"][1]["type"] = "slider"
    form_spec["pages"][1]["next"] = "nowhere"

    with pytest.raises(BuildError) as excinfo:
        build_form(form_spec)

    errors = errors_of(excinfo)
    assert errors["pages[1].type"] == [
        "must be one of select, picker, datePicker, input (got 'slider')"
    ]
    assert errors["pages.when.next"] == ["unknown page 'nowhere'"]
    assert errors["pages.name"] == ["is never reached from the start page"]


def test_form_rejects_loops(form_spec: dict[str, Any]) -> None:
    form_spec["pages"][2]["next"] = "kind"

    with pytest.raises(
        BuildError, match=r"pages\.name\.next: the page flow loops back to 'kind'"
    ):
        build_form(form_spec)


def test_form_last_page_must_submit(form_spec: dict[str, Any]) -> None:
    form_spec["pages"][2]["submit"] = False

    with pytest.raises(
        BuildError,
        match=r"pages\.name\.submit: the last page of a path must submit the form",
    ):
        build_form(form_spec)


def test_form_select_page_needs_items_and_unique_pages(
    form_spec: dict[str, Any],
) -> None:
    form_spec["pages"][0]["items"] = []
    form_spec["pages"][2]["id"] = "when"

    with pytest.raises(BuildError) as excinfo:
        build_form(form_spec)

    errors = errors_of(excinfo)
    assert errors["pages[0].items"] == ["a select page needs at least one item"]
    assert "duplicate page identifier 'when'" in errors["pages"]


def test_form_branches_per_item(form_spec: dict[str, Any]) -> None:
    del form_spec["pages"][0]["next"]
    form_spec["pages"][0]["items"][0]["next"] = "when"
    form_spec["pages"][0]["items"][1]["next"] = "name"

    select = build_form(form_spec)["data"]["dynamic"]["data"]["pages"][0]

    assert select["submitForm"] is False
    assert [i["nextPageIdentifier"] for i in select["items"]] == ["when", "name"]


def test_form_needs_pages() -> None:
    with pytest.raises(BuildError, match="pages: a form needs at least one page"):
        build_form({"received": {"title": "Form"}, "pages": []})


# --- Apple Pay -----------------------------------------------------------------------------------


def test_apple_pay_matches_apple_shape(
    apple_pay_spec: dict[str, Any], merchant: MerchantSettings
) -> None:
    session = {"epochTimestamp": 1, "merchantSessionIdentifier": "abc"}

    payload = build_apple_pay(
        apple_pay_spec, merchant=merchant, merchant_session=session
    )

    assert_interactive_envelope(payload, "payment")
    payment = payload["data"]["payment"]
    assert set(payment) == {"paymentRequest", "merchantSession", "endpoints"}
    assert payment["merchantSession"] == session
    assert payment["endpoints"] == {
        "paymentGatewayUrl": "https://pay.acmebikes.example/gateway",
        "fallbackUrl": "https://acmebikes.example/pay",
    }
    request = payment["paymentRequest"]
    assert request == {
        "lineItems": [
            {"label": "Gravel 700", "amount": "999.00", "type": "final"},
            {"label": "Shipping", "amount": "15.50", "type": "final"},
        ],
        "total": {"label": "Acme Bikes", "amount": "1014.50", "type": "final"},
        "applePay": {
            "merchantIdentifier": "merchant.com.acmebikes",
            "supportedNetworks": ["amex", "discover", "masterCard", "visa"],
            "merchantCapabilities": ["supports3DS", "supportsCredit", "supportsDebit"],
        },
        "merchantName": "Acme Bikes",
        "countryCode": "US",
        "currencyCode": "USD",
        "requiredBillingContactFields": ["postalAddress"],
        "requiredShippingContactFields": ["email", "phone", "postalAddress"],
        "shippingMethods": [
            {
                "identifier": "std",
                "label": "Standard",
                "detail": "3-5 days",
                "amount": "15.50",
            }
        ],
    }


def test_apple_pay_computes_the_total_when_omitted(
    apple_pay_spec: dict[str, Any], merchant: MerchantSettings
) -> None:
    del apple_pay_spec["total"]

    total = build_apple_pay(apple_pay_spec, merchant=merchant)["data"]["payment"][
        "paymentRequest"
    ]["total"]

    assert total == {"label": "Acme Bikes", "amount": "1014.50", "type": "final"}


def test_apple_pay_accepts_merchant_settings_as_a_dict(
    apple_pay_spec: dict[str, Any], merchant: MerchantSettings
) -> None:
    as_dict = {
        "merchant_identifier": merchant.merchant_identifier,
        "merchant_name": merchant.merchant_name,
        "country_code": "US",
        "currency_code": "USD",
        "payment_gateway_url": merchant.payment_gateway_url,
        "supported_networks": ["visa"],
    }

    request = build(Kind.APPLE_PAY, apple_pay_spec, merchant=as_dict)["data"][
        "payment"
    ]["paymentRequest"]

    assert request["applePay"]["supportedNetworks"] == ["visa"]


def test_apple_pay_needs_a_merchant_identifier(
    apple_pay_spec: dict[str, Any], merchant: MerchantSettings
) -> None:
    without_id = MerchantSettings(**{**merchant.__dict__, "merchant_identifier": ""})

    with pytest.raises(
        BuildError, match=r"merchant\.merchant_identifier: is required for Apple Pay"
    ):
        build_apple_pay(apple_pay_spec, merchant=without_id)


def test_apple_pay_needs_merchant_settings(apple_pay_spec: dict[str, Any]) -> None:
    with pytest.raises(
        BuildError, match="merchant: Apple Pay needs the business's merchant"
    ):
        build_apple_pay(apple_pay_spec, merchant=None)


def test_apple_pay_rejects_a_total_that_does_not_add_up(
    apple_pay_spec: dict[str, Any], merchant: MerchantSettings
) -> None:
    apple_pay_spec["total"]["amount"] = "1000.00"

    with pytest.raises(
        BuildError,
        match=r"total\.amount: must equal the sum of the line items \(1014\.50, got 1000\.00\)",
    ):
        build_apple_pay(apple_pay_spec, merchant=merchant)


def test_apple_pay_rejects_bad_amounts_and_fields(
    apple_pay_spec: dict[str, Any], merchant: MerchantSettings
) -> None:
    apple_pay_spec["line_items"][0]["amount"] = 999.0  # a float: refused
    apple_pay_spec["line_items"][1]["amount"] = "15.505"
    apple_pay_spec["required_shipping_contact_fields"] = ["shoeSize"]
    bad_merchant = MerchantSettings(
        **{
            **merchant.__dict__,
            "country_code": "usa",
            "currency_code": "dollars",
            "merchant_capabilities": ("supportsCredit",),
            "payment_gateway_url": "ftp://pay.example",
        }
    )

    with pytest.raises(BuildError) as excinfo:
        build_apple_pay(apple_pay_spec, merchant=bad_merchant)

    errors = errors_of(excinfo)
    assert errors["line_items[0].amount"] == ["must be a decimal string like '12.50'"]
    assert errors["line_items[1].amount"] == ["has more than 2 decimal places"]
    assert errors["required_shipping_contact_fields"] == [
        "unknown contact field 'shoeSize'"
    ]
    assert "merchant.country_code" in errors
    assert "merchant.currency_code" in errors
    assert errors["merchant.merchant_capabilities"] == ["must include supports3DS"]
    assert errors["merchant.payment_gateway_url"] == [
        "must be an http(s) URL (got 'ftp://pay.example')"
    ]


def test_apple_pay_uses_no_decimals_for_yen(merchant: MerchantSettings) -> None:
    yen = MerchantSettings(
        **{**merchant.__dict__, "country_code": "JP", "currency_code": "JPY"}
    )
    spec = {"line_items": [{"label": "Bell", "amount": "1200"}]}

    request = build_apple_pay(spec, merchant=yen)["data"]["payment"]["paymentRequest"]

    assert request["total"]["amount"] == "1200"
    with pytest.raises(BuildError, match="has more than 0 decimal places"):
        build_apple_pay(
            {"line_items": [{"label": "Bell", "amount": "12.5"}]}, merchant=yen
        )


def test_apple_pay_needs_line_items(merchant: MerchantSettings) -> None:
    with pytest.raises(
        BuildError, match="line_items: an Apple Pay request needs at least one"
    ):
        build_apple_pay({"line_items": []}, merchant=merchant)


# --- authentication ---------------------------------------------------------------------------


def test_auth2_matches_apple_shape(auth_spec: dict[str, Any]) -> None:
    payload = build_authentication(auth_spec, state="nonce-123")

    assert_interactive_envelope(payload, "authenticate")
    assert payload["data"]["authenticate"] == {
        "oauth2": {
            "responseType": "code",
            "scope": ["profile", "orders"],
            "state": "nonce-123",
            "redirectURI": "https://acmebikes.example/oauth/callback",
        }
    }


def test_auth_carries_a_signed_in_bubble_by_default(auth_spec: dict[str, Any]) -> None:
    auth_spec.pop("reply", None)
    payload = build_authentication(auth_spec, state="n")
    assert payload["replyMessage"] == {"title": "You signed in", "style": "icon"}


def test_auth_signed_in_bubble_is_editable(auth_spec: dict[str, Any]) -> None:
    auth_spec["reply"] = {"title": "Welcome back", "subtitle": "Acme account"}
    payload = build_authentication(auth_spec, state="n")
    assert payload["replyMessage"]["title"] == "Welcome back"
    assert payload["replyMessage"]["subtitle"] == "Acme account"


def test_old_auth_adds_the_response_encryption_key(auth_spec: dict[str, Any]) -> None:
    key = base64.b64encode(b"\x04" + b"\x01" * 96).decode()

    payload = build(
        Kind.AUTHENTICATION_LEGACY, auth_spec, state="n", response_encryption_key=key
    )

    assert payload["data"]["authenticate"]["oauth2"]["responseEncryptionKey"] == key


def test_old_auth_needs_the_key(auth_spec: dict[str, Any]) -> None:
    with pytest.raises(
        BuildError, match="response_encryption_key: the old AUTH flow needs"
    ):
        build(Kind.AUTHENTICATION_LEGACY, auth_spec, state="n")


def test_auth_needs_a_state(auth_spec: dict[str, Any]) -> None:
    with pytest.raises(
        BuildError, match="state: an authentication request needs a state nonce"
    ):
        build_authentication(auth_spec, state=None)


def test_auth_rejects_bad_scope_response_type_and_redirect(
    auth_spec: dict[str, Any],
) -> None:
    auth_spec.update(scope=[], response_type="token", redirect_uri="acme://callback")

    with pytest.raises(BuildError) as excinfo:
        build_authentication(auth_spec, state="n")

    errors = errors_of(excinfo)
    assert errors["scope"] == ["needs at least one scope"]
    assert errors["response_type"] == ["must be 'code' (got 'token')"]
    assert errors["redirect_uri"] == ["must be an http(s) URL (got 'acme://callback')"]


# --- iMessage app -------------------------------------------------------------------------------


def test_imessage_app_matches_apple_shape(imessage_spec: dict[str, Any]) -> None:
    payload = build_imessage_app(imessage_spec)

    assert payload["bid"] == (
        "com.apple.messages.MSMessageExtensionBalloonPlugin:ABCDE12345:"
        "com.acmebikes.app.MessagesExtension"
    )
    assert payload["appId"] == "1234567890"
    assert payload["appName"] == "Acme Configurator"
    assert payload["URL"] == "?model=g700&color=blue"
    assert payload["useLiveLayout"] is True
    assert payload["receivedMessage"] == {"title": "Build your bike", "style": "icon"}
    # Apple ignores data here; the request identifier is kept for correlation.
    assert payload["data"]["version"] == "1.0"
    uuid.UUID(payload["data"]["requestIdentifier"])


def test_imessage_app_encodes_a_url_mapping(imessage_spec: dict[str, Any]) -> None:
    imessage_spec["url"] = {"model": "g 700", "size": "L"}

    assert build_imessage_app(imessage_spec)["URL"] == "?model=g+700&size=L"


def test_imessage_app_url_is_at_most_64_kb(imessage_spec: dict[str, Any]) -> None:
    imessage_spec["url"] = "?blob=" + "x" * (64 * 1024)

    with pytest.raises(
        BuildError, match=r"url: must be at most 64 kB \(got 65542 bytes\)"
    ):
        build_imessage_app(imessage_spec)


def test_imessage_app_url_at_exactly_64_kb_is_fine(
    imessage_spec: dict[str, Any],
) -> None:
    imessage_spec["url"] = "?" + "x" * (64 * 1024 - 1)

    assert len(build_imessage_app(imessage_spec)["URL"]) == 64 * 1024


def test_imessage_app_rejects_bad_ids(imessage_spec: dict[str, Any]) -> None:
    imessage_spec.update(team_id="abc", extension_bundle_id="nodots", app_id="")

    with pytest.raises(BuildError) as excinfo:
        build_imessage_app(imessage_spec)

    errors = errors_of(excinfo)
    assert errors["team_id"] == ["must be a 10-character Apple team id"]
    assert errors["extension_bundle_id"] == ["must be a reverse-DNS bundle id"]
    assert errors["app_id"] == ["is required"]


# --- rich link ------------------------------------------------------------------------------------


def test_rich_link_matches_apple_shape(
    rich_link_spec: dict[str, Any], png_base64: str
) -> None:
    link = build_rich_link(rich_link_spec)

    assert link == {
        "url": "https://acmebikes.example/gravel-700",
        "title": "Gravel 700",
        "assets": {"image": {"data": png_base64, "mimeType": "image/png"}},
    }


def test_rich_link_title_defaults_to_the_host() -> None:
    link = build_rich_link(
        {
            "url": "https://acmebikes.example/x",
            "video": {
                "url": "https://cdn.acmebikes.example/v.mp4",
                "mime_type": "video/mp4",
            },
        }
    )

    assert link["title"] == "acmebikes.example"
    assert link["assets"] == {
        "video": {"url": "https://cdn.acmebikes.example/v.mp4", "mimeType": "video/mp4"}
    }


@pytest.mark.parametrize(
    "url", ["ftp://acmebikes.example", "acme://open", "javascript:alert(1)"]
)
def test_rich_link_needs_an_http_url(url: str) -> None:
    with pytest.raises(BuildError, match=r"url: must be an http\(s\) URL"):
        build_rich_link({"url": url})


def test_rich_link_image_is_at_most_200_kb(rich_link_spec: dict[str, Any]) -> None:
    rich_link_spec["image"]["data"] = base64.b64encode(
        b"\0" * (200 * 1024 + 1)
    ).decode()

    with pytest.raises(BuildError, match=r"image\.data: must be at most 200 kB"):
        build_rich_link(rich_link_spec)


def test_rich_link_image_needs_an_image_type(rich_link_spec: dict[str, Any]) -> None:
    rich_link_spec["image"]["mime_type"] = "text/html"

    with pytest.raises(BuildError, match=r"image\.mime_type: must be an image type"):
        build_rich_link(rich_link_spec)


# --- dispatch, validation, capabilities, size ------------------------------------------------------


def test_build_refuses_unknown_kinds() -> None:
    with pytest.raises(BuildError, match="kind: unknown rich object kind 'carousel'"):
        build("carousel", {})


def test_builders_do_not_modify_their_input(list_picker_spec: dict[str, Any]) -> None:
    before = copy.deepcopy(list_picker_spec)

    build_list_picker(list_picker_spec)

    assert list_picker_spec == before


@pytest.mark.parametrize(
    "fixture",
    [
        "quick_reply_spec",
        "list_picker_spec",
        "time_picker_spec",
        "form_spec",
        "apple_pay_spec",
        "auth_spec",
        "imessage_spec",
        "rich_link_spec",
    ],
)
def test_validate_spec_accepts_every_stored_kind(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    kind = {
        "quick_reply_spec": Kind.QUICK_REPLY,
        "list_picker_spec": Kind.LIST_PICKER,
        "time_picker_spec": Kind.TIME_PICKER,
        "form_spec": Kind.FORM,
        "apple_pay_spec": Kind.APPLE_PAY,
        "auth_spec": Kind.AUTHENTICATION,
        "imessage_spec": Kind.IMESSAGE_APP,
        "rich_link_spec": Kind.RICH_LINK,
    }[fixture]

    assert validate_spec(kind, request.getfixturevalue(fixture))


@pytest.mark.parametrize(
    ("kind", "capability"),
    [
        (Kind.QUICK_REPLY, "QUICK"),
        (Kind.LIST_PICKER, "LIST"),
        (Kind.TIME_PICKER, "TIME"),
        (Kind.FORM, "FORM"),
        (Kind.AUTHENTICATION, "AUTH2"),
        (Kind.AUTHENTICATION_LEGACY, "AUTH"),
        (Kind.APPLE_PAY, None),
        (Kind.RICH_LINK, None),
        (Kind.IMESSAGE_APP, None),
    ],
)
def test_required_capability(kind: Kind, capability: str | None) -> None:
    assert required_capability(kind) == capability


def test_device_supports_reads_capabilities_case_insensitively() -> None:
    assert device_supports(Kind.LIST_PICKER, {"list", " time"}, "Mac OS X")
    assert device_supports(Kind.TIME_PICKER, {"list", " time"}, "Mac OS X")
    assert not device_supports(Kind.QUICK_REPLY, {"LIST"}, "iPhone OS")
    assert not device_supports(Kind.AUTHENTICATION, {"AUTH"}, "iPhone OS")
    assert device_supports(Kind.AUTHENTICATION_LEGACY, {"AUTH"}, "iPhone OS")


def test_forms_and_imessage_apps_need_an_iphone_or_ipad() -> None:
    assert device_supports(Kind.FORM, {"FORM"}, "iPhone OS")
    assert not device_supports(Kind.FORM, {"FORM"}, "Mac OS X")
    assert device_supports(Kind.IMESSAGE_APP, set(), "iPhone OS")
    assert not device_supports(Kind.IMESSAGE_APP, set(), "Watch OS")
    assert not device_supports(Kind.IMESSAGE_APP, set(), "")


def test_apple_pay_and_rich_links_work_everywhere() -> None:
    for agent in ("iPhone OS", "Mac OS X", "Watch OS", "Apple TVOS"):
        assert device_supports(Kind.APPLE_PAY, set(), agent)
        assert device_supports(Kind.RICH_LINK, set(), agent)


def test_large_payloads_are_flagged_for_data_ref(
    list_picker_spec: dict[str, Any],
) -> None:
    small = build_list_picker(list_picker_spec)
    list_picker_spec["images"]["gravel"] = base64.b64encode(b"\0" * 12_000).decode()

    assert not needs_data_ref(small)
    assert needs_data_ref(build_list_picker(list_picker_spec))

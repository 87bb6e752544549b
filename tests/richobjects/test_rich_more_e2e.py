"""The remaining rich types end to end: rich link, iMessage app, Apple Pay and sign-in.

Real Daphne, Celery, PostgreSQL and Redis, the sandbox as Apple, Debian's
Chromium. The business's systems (OAuth token endpoint, payment processor) and
Apple Pay's merchant-session endpoint are the integrations tests' stand-in;
the linked web page is a small HTTP server in this process.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

import tests.live
from tests.integrations.conftest import merchant_certificate
from tests.integrations.stand_ins import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROCESSOR_SECRET,
    StandIn,
    start_stand_in,
)
from tests.live import LiveStack
from tests.richobjects.test_rich_e2e import (
    answer_of,
    conversation_id,
    last_sent,
    open_console,
    open_customer,
    pick_and_send,
    wait_for,
)

pytestmark = pytest.mark.e2e

PAGE_TITLE = "Gravel 700 — Acme Bikes"
PAGE = f"""<!doctype html><html><head>
<meta property="og:title" content="{PAGE_TITLE}">
<meta property="og:description" content="Our lightest gravel bike">
<title>ignored when og:title is there</title></head><body>Gravel 700</body></html>"""

SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "More pay": (
        "apple_pay",
        {
            "received": {"title": "Your tune-up", "subtitle": "Pay with Apple Pay"},
            "line_items": [
                {"label": "Tune-up", "amount": "35.00"},
                {"label": "Chain", "amount": "15.00"},
            ],
        },
    ),
    "More signin": (
        "authentication",
        {
            "received": {"title": "Sign in to Acme"},
            "scope": ["profile"],
            "redirect_uri": "https://acme.example/cb",
        },
    ),
    "More app": (
        "imessage_app",
        {
            "team_id": "ABCDE12345",
            "extension_bundle_id": "com.acmebikes.app.MessagesExtension",
            "app_id": "1234567890",
            "app_name": "Acme Configurator",
            "url": "?model=g700&color=blue",
            "received": {"title": "Build your bike"},
        },
    ),
}

SETUP = """
import json
from conversations.models import Business
from integrations.models import ApplePayMerchant, OAuthProvider
from richobjects import services
from richobjects.models import RichObject
business = Business.objects.get(apple_id={business!r})
config = json.loads({config!r})
OAuthProvider.objects.get_or_create(business=business, defaults=config["oauth"])
ApplePayMerchant.objects.get_or_create(business=business, defaults=config["merchant"])
ids = {{}}
for name, (kind, spec) in config["specs"].items():
    found = RichObject.objects.filter(business=business, name=name).first()
    if found is None:
        found = services.rich_object_create(business=business, name=name, kind=kind, spec=spec, tags=["more"])
        services.rich_object_publish(rich_object=found)
    ids[name] = found.id
print(json.dumps(ids))
"""


# What the processor stand-in received for the library payment, checked below.
_PROCESSOR_SAW: dict[str, Any] = {}


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def web_page() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bikes/gravel-700"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    stand_in, server = start_stand_in()
    yield stand_in
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stack(
    stand_in: StandIn, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[LiveStack]:
    # API sends build the Apple Pay gateway URL and the OAuth redirect URI from
    # the request's host; bots and auto-replies (no request) use PUBLIC_BASE_URL,
    # so the stack's port is chosen first and the setting names it too.
    port = tests.live.free_port()
    monkeypatch_module.setattr(tests.live, "free_port", lambda: port)
    monkeypatch_module.setenv("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch_module.setenv(
        "APPLE_PAY_SESSION_URL", f"{stand_in.url}/applepay/paymentSession"
    )
    with tests.live.live_stack(name="rich-more") as started:
        assert started.base_url == os.environ["PUBLIC_BASE_URL"]
        yield started


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def library(stack: LiveStack, stand_in: StandIn) -> dict[str, int]:
    cert, key = merchant_certificate()
    config = {
        "specs": SPECS,
        "oauth": {
            "title": "Acme Accounts",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "authorize_url": "https://accounts.example.com/authorize",
            "token_url": f"{stand_in.url}/oauth/token",
            "scope": "openid profile",
        },
        "merchant": {
            "merchant_identifier": "merchant.com.example.bikes",
            "merchant_name": "E2E Bikes",
            "verified_domain": "pay.example.com",
            "certificate_pem": cert,
            "private_key_pem": key,
            "processor_url": f"{stand_in.url}/processor",
            "processor_secret": PROCESSOR_SECRET,
            "country_code": "US",
            "currency_code": "USD",
        },
    }
    output = stack.manage(
        "shell",
        "-c",
        SETUP.format(business=stack.business_apple_id, config=json.dumps(config)),
    )
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def api(stack: LiveStack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Token {stack.agent_token}"},
        timeout=20,
    ) as client:
        yield client


def test_agent_url_goes_out_as_a_rich_link_with_the_page_title(
    stack: LiveStack,
    browser: Browser,
    api: httpx.Client,
    web_page: str,
) -> None:
    customer, opaque_id = open_customer(browser, stack, "iphone")
    conversation = conversation_id(api, stack, opaque_id)
    console = open_console(browser, stack, conversation)

    composer = console.get_by_label("Message to the customer")
    composer.fill(web_page)
    composer.press("Control+Enter")

    card = customer.locator(".card.rich-link", has_text=PAGE_TITLE)
    expect(card).to_be_visible(timeout=20000)
    expect(card.locator("a")).to_have_attribute("href", web_page)
    sent = wait_for(
        lambda: next(
            (
                m
                for m in api.get(
                    f"/api/v1/conversations/{conversation}/messages/"
                ).json()["results"]
                if m["direction"] == "out" and m["status"] == "sent"
            ),
            None,
        ),
        what="the link sent",
    )
    assert sent["kind"] == "rich_link", sent
    customer.screenshot(path="build/rich-link-customer.png", full_page=True)
    console.context.close()
    customer.context.close()


def test_imessage_app_from_the_api_is_an_app_bubble_on_an_iphone(
    stack: LiveStack,
    browser: Browser,
    api: httpx.Client,
    library: dict[str, int],
) -> None:
    customer, opaque_id = open_customer(browser, stack, "iphone")
    conversation = conversation_id(api, stack, opaque_id)
    console = open_console(browser, stack, conversation)

    sent = api.post(
        f"/api/v1/conversations/{conversation}/rich/",
        json={"object": library["More app"], "auto_reply": True},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["rich"]["sent_as"] == "interactive"

    card = customer.locator('.card[data-feature="app"]', has_text="Build your bike")
    expect(card).to_be_visible(timeout=20000)
    expect(card).to_contain_text("Acme Configurator · iMessage app")
    card.get_by_role("button", name="Open").click()
    sheet = customer.locator(".sheet")
    expect(sheet).to_contain_text("App 1234567890 would open with:")
    expect(sheet.locator(".line", has_text="model")).to_contain_text("g700")
    sheet.get_by_role("button", name="Send back").click()

    answer = wait_for(
        lambda: answer_of(api, conversation, sent.json()["id"]), what="app answer"
    )
    assert answer["rich"]["reply"]["matched"]
    expect(
        console.locator(f".answer-card[data-question='{sent.json()['id']}']")
    ).to_be_visible(timeout=15000)
    console.context.close()
    customer.context.close()


def test_apple_pay_from_the_library_is_paid_and_shown_with_the_question(
    stack: LiveStack,
    browser: Browser,
    api: httpx.Client,
    library: dict[str, int],
    stand_in: StandIn,
) -> None:
    customer, opaque_id = open_customer(browser, stack, "iphone")
    conversation = conversation_id(api, stack, opaque_id)
    console = open_console(browser, stack, conversation)

    pick_and_send(console, "pay", "More pay")
    question = last_sent(api, conversation, "More pay")
    assert question["rich"]["sent_as"] == "interactive"
    session = stand_in.received("/applepay/paymentSession")[-1].json
    assert session["initiativeContext"].startswith(
        f"{stack.base_url}/integrations/pay/"
    )

    card = customer.locator(".card", has_text="Your tune-up")
    card.get_by_role("button", name="Pay").click()
    customer.locator(".sheet").get_by_role("button", name="Pay with Face ID").click()

    answer = wait_for(
        lambda: answer_of(api, conversation, question["id"]), what="payment answer"
    )
    assert answer["rich"]["reply"]["kind"] == "apple_pay", answer
    expect(
        console.locator(f".answer-card[data-question='{question['id']}']")
    ).to_contain_text(answer["rich"]["reply"]["summary"], timeout=15000)
    expect(
        console.locator(
            ".kind-system", has_text="Payment of 50.00 USD succeeded with Visa 1234"
        )
    ).to_be_visible(timeout=20000)
    # The business's processor was asked to authorize this payment.
    handed = stand_in.received("/processor")[-1]
    assert handed.signature_ok
    assert handed.json["type"] == "payment.authorize"
    _PROCESSOR_SAW.update(handed.json, question=question["request_identifier"])
    console.screenshot(path="build/rich-apple-pay-console.png", full_page=True)
    console.context.close()
    customer.context.close()


def test_library_apple_pay_tells_the_processor_the_amount() -> None:
    if not _PROCESSOR_SAW:
        pytest.skip("the Apple Pay round trip did not reach the processor")
    # On the device's first post, not only after its reply links the payment.
    assert _PROCESSOR_SAW["amount"] == "50.00"
    assert _PROCESSOR_SAW["currency"] == "USD"
    assert _PROCESSOR_SAW["request_identifier"]
    assert _PROCESSOR_SAW["request_identifier"] == _PROCESSOR_SAW["question"]


def test_sign_in_from_the_library_is_completed_and_shown_with_the_question(
    stack: LiveStack,
    browser: Browser,
    api: httpx.Client,
    library: dict[str, int],
    stand_in: StandIn,
) -> None:
    customer, opaque_id = open_customer(browser, stack, "iphone")
    conversation = conversation_id(api, stack, opaque_id)
    console = open_console(browser, stack, conversation)

    sent = api.post(
        f"/api/v1/conversations/{conversation}/rich/",
        json={"object": library["More signin"], "auto_reply": True},
    )
    assert sent.status_code == 201, sent.text
    question = last_sent(api, conversation, "More signin")

    card = customer.locator(".card", has_text="Sign in to Acme")
    card.get_by_role("button", name="Sign in").click()
    sheet = customer.locator(".sheet")
    sheet.locator("input").fill("alice")
    sheet.get_by_role("button", name="Sign in").click()

    answer = wait_for(
        lambda: answer_of(api, conversation, question["id"]), what="sign-in answer"
    )
    assert answer["rich"]["reply"]["kind"] == "authentication", answer
    expect(
        console.locator(f".answer-card[data-question='{question['id']}']")
    ).to_contain_text(answer["rich"]["reply"]["summary"], timeout=15000)
    expect(
        console.locator(".kind-system", has_text="Signed in as Alice (alice)")
    ).to_be_visible(timeout=20000)
    assert b"code=sandbox-code-" in stand_in.received("/oauth/token")[-1].body
    console.screenshot(path="build/rich-signin-console.png", full_page=True)
    console.context.close()
    customer.context.close()

"""Sign-in, Apple Pay and webhooks through real Chromium, the sandbox customer page
and a live stack (Daphne, Celery, PostgreSQL, Redis).

The business's systems (OAuth token endpoint, payment processor, webhook
receiver) and Apple Pay's merchant-session endpoint are a stand-in HTTP server
in this process; the stack reaches it over 127.0.0.1, and the test checks every
signature with its own HMAC code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.integrations.conftest import merchant_certificate
from tests.integrations.stand_ins import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROCESSOR_SECRET,
    WEBHOOK_SECRET,
    StandIn,
    start_stand_in,
    verify_signature,
)
from tests.live import BUILD, LiveStack, live_stack
from tests.sandbox.test_customer_page_e2e import (
    conversation_of,
    open_customer_page,
    wait_for,
)

# No django_db: everything goes through the live stack, and Playwright holds an event loop.
pytestmark = pytest.mark.e2e

ADMIN = ("e2e-admin", "e2e-admin-password")
SCREENSHOTS = BUILD / "screenshots"


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    stand_in, server = start_stand_in()
    yield stand_in
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stack(stand_in: StandIn) -> Iterator[LiveStack]:
    # Apple Pay's session endpoint is a setting; this stack gets the stand-in's.
    previous = os.environ.get("APPLE_PAY_SESSION_URL")
    os.environ["APPLE_PAY_SESSION_URL"] = f"{stand_in.url}/applepay/paymentSession"
    try:
        with live_stack(name="integrations") as started:
            started.manage(
                "add_agent",
                ADMIN[0],
                "--business",
                started.business_apple_id,
                "--role",
                "admin",
                "--password",
                ADMIN[1],
            )
            yield started
    finally:
        if previous is None:
            os.environ.pop("APPLE_PAY_SESSION_URL", None)
        else:
            os.environ["APPLE_PAY_SESSION_URL"] = previous


@pytest.fixture(scope="module")
def api(stack: LiveStack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Token {stack.agent_token}"},
        timeout=20,
    ) as client:
        yield client


def login(browser: Browser, stack: LiveStack, username: str, password: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{stack.base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/console/")
    return page


def business_id(api: httpx.Client, stack: LiveStack) -> int:
    businesses = api.get("/api/v1/businesses/").json()["results"]
    return next(b["id"] for b in businesses if b["apple_id"] == stack.business_apple_id)


@pytest.fixture(scope="module")
def configured(
    stack: LiveStack, stand_in: StandIn, browser: Browser, api: httpx.Client
) -> int:
    """The business's admin sets up sign-in, Apple Pay and a webhook in the browser."""
    bid = business_id(api, stack)
    page = login(browser, stack, *ADMIN)
    base = f"{stack.base_url}/integrations/businesses/{bid}"

    page.goto(f"{base}/oauth/")
    page.get_by_label("Title").fill("Acme Accounts")
    page.get_by_label("Client ID").fill(CLIENT_ID)
    page.get_by_label("Client secret").fill(CLIENT_SECRET)
    page.get_by_label("Authorize URL").fill("https://accounts.example.com/authorize")
    page.get_by_label("Token URL").fill(f"{stand_in.url}/oauth/token")
    page.get_by_label("Scope").fill("openid profile")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#oauth-status")).to_contain_text("Client secretset")
    expect(page.get_by_label("Client secret (set • replace)")).to_have_value("")
    assert CLIENT_SECRET not in page.content()

    cert, key = merchant_certificate()
    page.goto(f"{base}/apple-pay/")
    page.get_by_label("Merchant identifier").fill("merchant.com.example.bikes")
    page.get_by_label("Merchant name").fill("E2E Bikes")
    page.get_by_label("Verified domain").fill("pay.example.com")
    page.get_by_label("Payment processor webhook URL").fill(f"{stand_in.url}/processor")
    page.get_by_label("Processor HMAC secret").fill(PROCESSOR_SECRET)
    page.get_by_label("Merchant identity certificate (PEM)").set_input_files(
        {
            "name": "cert.pem",
            "mimeType": "application/x-pem-file",
            "buffer": cert.encode(),
        }
    )
    page.get_by_label("Certificate key (PEM)").set_input_files(
        {
            "name": "key.pem",
            "mimeType": "application/x-pem-file",
            "buffer": key.encode(),
        }
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#apple-pay-status")).to_contain_text("Certificate keyset")
    assert "PRIVATE KEY" not in page.content()

    page.goto(f"{base}/webhooks/")
    page.get_by_label("Endpoint URL").fill(f"{stand_in.url}/hooks")
    for label in (
        "New customer message",
        "Reply to a rich object",
        "Payment",
        "Sign-in",
        "Conversation closed",
    ):
        page.get_by_label(label, exact=True).check()
    page.get_by_label("Secret").fill(WEBHOOK_SECRET)
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#new-secret")).to_contain_text(WEBHOOK_SECRET)
    page.context.close()
    return bid


def start_conversation(
    browser: Browser, stack: LiveStack, api: httpx.Client, text: str
) -> tuple[Page, dict[str, Any]]:
    customer = open_customer_page(browser, stack.base_url, stack.business_apple_id)
    opaque_id = customer.locator(".identity").inner_text().strip()
    customer.fill("#message-input", text)
    customer.click("#send-button")
    conversation = wait_for(
        lambda: conversation_of(api, stack.business_apple_id, opaque_id),
        what="the conversation",
    )
    return customer, conversation


def test_webhook_delivery_is_signed_and_logged(
    stack: LiveStack,
    configured: int,
    stand_in: StandIn,
    browser: Browser,
    api: httpx.Client,
) -> None:
    customer, _ = start_conversation(browser, stack, api, "Webhook me please")
    hook = wait_for(
        lambda: next(
            (
                r
                for r in stand_in.received("/hooks")
                if r.json["type"] == "message.created"
                and r.json["data"]["message"]["text"] == "Webhook me please"
            ),
            None,
        ),
        what="the message.created webhook",
    )
    assert verify_signature(WEBHOOK_SECRET, hook.headers["x-msp-signature"], hook.body)
    assert hook.json["business"] == stack.business_apple_id

    admin = login(browser, stack, *ADMIN)
    admin.goto(f"{stack.base_url}/integrations/businesses/{configured}/webhooks/")
    row = admin.locator("#deliveries tr", has_text="message.created").first
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")
    admin.screenshot(path="build/integrations-webhooks.png", full_page=True)
    admin.context.close()
    customer.close()


def test_full_signin_through_the_sandbox(
    stack: LiveStack,
    configured: int,
    stand_in: StandIn,
    browser: Browser,
    api: httpx.Client,
) -> None:
    customer, conversation = start_conversation(
        browser, stack, api, "Where is my order?"
    )
    agent = login(browser, stack, stack.agent_username, stack.agent_password)
    agent.goto(f"{stack.base_url}/console/c/{conversation['id']}/")
    expect(agent.locator("#connection")).to_have_text("Live")

    # The old AUTH flow: the sandbox encrypts the code to our P-384 key.
    response = api.post(
        f"/api/v1/conversations/{conversation['id']}/signin/", json={"legacy": True}
    )
    assert response.status_code == 201, response.text

    card = customer.locator(".card", has_text="Sign in to Acme Accounts")
    card.get_by_role("button", name="Sign in").click()
    sheet = customer.locator(".sheet")
    sheet.locator("input").fill("alice")
    sheet.get_by_role("button", name="Sign in").click()

    expect(
        agent.locator(".kind-system", has_text="Signed in as Alice (alice)")
    ).to_be_visible(timeout=20000)
    exchange = stand_in.received("/oauth/token")[-1]
    assert b"code=sandbox-code-" in exchange.body
    # The header line follows without a reload.
    expect(agent.locator("#signed-in")).to_contain_text(
        "Signed in as Alice (alice)", timeout=10000
    )
    signin_hook = wait_for(
        lambda: next(
            (r for r in stand_in.received("/hooks") if r.json["type"] == "signin"), None
        ),
        what="the signin webhook",
    )
    assert verify_signature(
        WEBHOOK_SECRET, signin_hook.headers["x-msp-signature"], signin_hook.body
    )
    assert signin_hook.json["data"]["user_id"] == "alice"
    agent.screenshot(path="build/integrations-signin.png", full_page=True)
    agent.context.close()
    customer.close()


def test_full_apple_pay_round_trip_through_the_sandbox(
    stack: LiveStack,
    configured: int,
    stand_in: StandIn,
    browser: Browser,
    api: httpx.Client,
) -> None:
    customer, conversation = start_conversation(browser, stack, api, "I'd like to pay")
    agent = login(browser, stack, stack.agent_username, stack.agent_password)
    agent.goto(f"{stack.base_url}/console/c/{conversation['id']}/")
    expect(agent.locator("#connection")).to_have_text("Live")

    response = api.post(
        f"/api/v1/conversations/{conversation['id']}/payment/",
        json={
            "title": "Your service",
            "line_items": [
                {"label": "Tune-up", "amount": "35.00"},
                {"label": "Chain", "amount": "15.00"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    session = stand_in.received("/applepay/paymentSession")[-1].json
    assert session["merchantIdentifier"] == "merchant.com.example.bikes"
    assert session["initiative"] == "messaging"

    card = customer.locator(".card", has_text="Your service")
    card.get_by_role("button", name="Pay").click()
    customer.locator(".sheet").get_by_role("button", name="Pay with Face ID").click()

    expect(
        agent.locator(
            ".kind-system", has_text="Payment of 50.00 USD succeeded with Visa 1234"
        )
    ).to_be_visible(timeout=20000)
    handed = stand_in.received("/processor")[-1]
    assert handed.signature_ok
    assert handed.json["amount"] == "50.00"
    assert handed.json["token"]["paymentMethod"]["displayName"] == "Visa 1234"
    agent.reload()
    expect(agent.locator("#payments")).to_contain_text("Payment 50.00 USD: Paid")

    # And a declined one: the processor's verdict reaches the device and the console.
    stand_in.processor_status = "STATUS_FAILURE"
    try:
        api.post(
            f"/api/v1/conversations/{conversation['id']}/payment/",
            json={
                "title": "Second try",
                "line_items": [{"label": "Bell", "amount": "9.00"}],
            },
        ).raise_for_status()
        customer.locator(".card", has_text="Second try").get_by_role(
            "button", name="Pay"
        ).click()
        customer.locator(".sheet").get_by_role(
            "button", name="Pay with Face ID"
        ).click()
        expect(
            agent.locator(
                ".kind-system", has_text="Payment of 9.00 USD failed (STATUS_FAILURE)"
            )
        ).to_be_visible(timeout=20000)
    finally:
        stand_in.processor_status = "STATUS_SUCCESS"
    agent.screenshot(path="build/integrations-apple-pay.png", full_page=True)
    agent.context.close()
    customer.close()


def delivery_row(page: Page, event: str, status: str) -> Any:
    """The newest log row of ``event`` once it shows ``status`` (the log is a
    server page: reload until the worker has sent it)."""
    row = page.locator("#deliveries tbody tr", has_text=event).first

    def settled() -> bool:
        page.reload()
        return row.count() > 0 and row.get_attribute("data-status") == status

    wait_for(settled, what=f"a {status} {event} delivery")
    return row


def test_settings_pages_edit_rows_and_test_webhooks(
    stack: LiveStack,
    configured: int,
    stand_in: StandIn,
    browser: Browser,
) -> None:
    admin = login(browser, stack, *ADMIN)
    base = stack.base_url

    # Teams, rules and entry links are edited in place, not only deleted.
    admin.goto(f"{base}/console/businesses/{configured}/routing/")
    admin.fill("#id_team-name", "Night shift")
    admin.click("#save-team")
    admin.get_by_role("link", name="Edit team Night shift").click()
    expect(admin.locator("#team-form-title")).to_have_text("Edit team Night shift")
    admin.fill("#id_team-name", "Late shift")
    admin.locator("#team-form").get_by_label(stack.agent_username).check()
    admin.click("#save-team")
    expect(admin.locator("#team-table")).to_contain_text("Late shift")
    expect(admin.locator("#team-table")).to_contain_text(stack.agent_username)
    expect(admin.locator("#team-table")).not_to_contain_text("Night shift")
    admin.fill("#id_rule-name", "Evening")
    admin.click("#save-rule")
    admin.get_by_role("link", name="Edit rule Evening").click()
    admin.fill("#id_rule-name", "Evenings")
    admin.select_option("#id_rule-team", label="Late shift")
    admin.select_option("#id_rule-priority", "urgent")
    admin.click("#save-rule")
    rule = admin.locator("#rule-table tr", has_text="Evenings")
    expect(rule).to_contain_text("team Late shift")
    expect(rule).to_contain_text("urgent priority")
    expect(admin.locator("#rule-table tbody tr")).to_have_count(1)

    admin.goto(f"{base}/console/businesses/{configured}/entry-points/")
    admin.get_by_label("Name").fill("Window")
    admin.click("#save-entry")
    admin.get_by_role("link", name="Edit Window").click()
    admin.get_by_label("Name").fill("Shop window")
    admin.get_by_label("Intent (biz-intent-id)").fill("window")
    admin.click("#save-entry")
    expect(admin.get_by_label("Link for Shop window")).to_have_value(
        re.compile(r"biz-intent-id=window")
    )
    expect(admin.locator("#entry-list .entry")).to_have_count(1)

    # A test event goes through the signed delivery path and shows in the log.
    admin.goto(f"{base}/integrations/businesses/{configured}/webhooks/")
    endpoint = admin.locator("#endpoint-table tbody tr").first
    endpoint.get_by_role("button", name=re.compile("^Send test event")).click()
    expect(admin.locator(".flash")).to_contain_text("Test event queued")
    row = delivery_row(admin, "webhook.test", "succeeded")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")
    tests = [r for r in stand_in.received("/hooks") if r.json["type"] == "webhook.test"]
    assert len(tests) == 1
    assert verify_signature(
        WEBHOOK_SECRET, tests[0].headers["x-msp-signature"], tests[0].body
    )

    # Redeliver: the same event again, the same id, one more attempt.
    row.get_by_role("button", name=re.compile("^Redeliver")).click()
    expect(admin.locator(".flash")).to_contain_text("Delivery queued again")
    wait_for(
        lambda: (
            len(
                [
                    r
                    for r in stand_in.received("/hooks")
                    if r.json["type"] == "webhook.test"
                ]
            )
            == 2
        ),
        what="the redelivery",
    )
    again = [r for r in stand_in.received("/hooks") if r.json["type"] == "webhook.test"]
    assert again[1].json["id"] == again[0].json["id"]
    row = delivery_row(admin, "webhook.test", "succeeded")
    expect(row.locator("td").nth(4)).to_have_text("2")

    # A refused delivery shows its status and a short reason.
    stand_in.hook_failures.append(400)
    endpoint.get_by_role("button", name=re.compile("^Send test event")).click()
    failed = delivery_row(admin, "webhook.test", "failed")
    expect(failed).to_contain_text("Failed")
    expect(failed.locator(".reason")).to_have_text(
        "The endpoint answered 400 (Bad Request)"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The console scrolls inside #main, so a tall window shows the whole page.
    admin.set_viewport_size({"width": 1280, "height": 2000})
    admin.locator("#delivery-log").scroll_into_view_if_needed()
    admin.screenshot(path=str(SCREENSHOTS / "webhooks.png"))
    admin.context.close()

    # An agent who opens an admin page gets the console's explanation.
    agent = login(browser, stack, stack.agent_username, stack.agent_password)
    response = agent.goto(f"{base}/integrations/businesses/{configured}/webhooks/")
    assert response is not None
    assert response.status == 403
    expect(agent.locator("#forbidden-title")).to_have_text(
        "This page is for the business's admins"
    )
    expect(agent.locator("#forbidden-reason")).to_contain_text(
        "Only the business's admins"
    )
    agent.get_by_role("link", name="Back to the inbox").click()
    agent.wait_for_url(f"{base}/console/")
    agent.context.close()

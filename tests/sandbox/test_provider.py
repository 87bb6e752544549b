"""The sandbox as the business's OAuth provider, Apple Pay and payment processor
(sandbox/provider.py), and the demo seeded to use them end to end."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from django.test import Client
from playwright.sync_api import Browser, expect

from conversations.management.commands.seed_demo import DEMO_BUSINESS_ID
from integrations.crypto import webhook_signature
from sandbox import demo, provider
from tests.browser import launch_chromium
from tests.live import LiveStack
from tests.live import live_stack as start_live_stack
from tests.sandbox.test_customer_page_e2e import (
    conversation_of,
    open_customer_page,
    wait_for,
)

TOKEN_URL = "/sandbox/oauth/token"
SESSION_URL = "/sandbox/applepay/paymentSession"
CHARGE_URL = "/sandbox/processor/charge"
REDIRECT_URI = "http://127.0.0.1:8000/integrations/oauth/redirect/"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def new_code(username: str = "alice") -> str:
    return f"sandbox-code-{os.urandom(9).hex()}.{username}"


def token_request(
    client: Client,
    *,
    code: str | None = None,
    auth: str | None = None,
    **form: str,
) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": new_code() if code is None else code,
        "redirect_uri": REDIRECT_URI,
        **form,
    }
    headers = {}
    if auth is None:
        headers["HTTP_AUTHORIZATION"] = basic(
            provider.CLIENT_ID, provider.CLIENT_SECRET
        )
    elif auth:
        headers["HTTP_AUTHORIZATION"] = auth
    # Form-encoded, as RFC 6749 §4.1.3 and integrations send it.
    return client.post(
        TOKEN_URL,
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


# --- OAuth token endpoint ------------------------------------------------------------------


def test_token_exchange_with_basic_credentials_answers_like_a_provider() -> None:
    response = token_request(Client(), code=new_code("bob"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].startswith("sandbox-at-")
    # What integrations.clients.oauth_code_exchange reads.
    assert body["user_id"] == "bob"
    assert body["name"] == "Bob"
    import jwt

    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["sub"] == "bob"


def test_token_exchange_with_form_credentials() -> None:
    response = token_request(
        Client(),
        auth="",
        client_id=provider.CLIENT_ID,
        client_secret=provider.CLIENT_SECRET,
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "auth",
    [
        basic(provider.CLIENT_ID, "wrong-secret"),
        basic("someone-else", provider.CLIENT_SECRET),
        "Basic not-base64!",
        "",
    ],
)
def test_bad_client_credentials_are_invalid_client(auth: str) -> None:
    response = token_request(Client(), auth=auth)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "code",
    ["made-up-code", "sandbox-code-short.alice", "sandbox-code-abcdefghijkl", "x" * 40],
)
def test_unknown_codes_are_invalid_grant(code: str) -> None:
    response = token_request(Client(), code=code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_works_once() -> None:
    client, code = Client(), new_code()
    assert token_request(client, code=code).status_code == 200
    again = token_request(client, code=code)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "authorization code already used",
    }


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"redirect_uri": ""}, "invalid_request"),
        ({"code": ""}, "invalid_request"),
        ({"client_id": "someone-else"}, "invalid_request"),
    ],
)
def test_malformed_token_requests(form: dict[str, str], error: str) -> None:
    response = token_request(Client(), **form)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_token_endpoint_is_post_only() -> None:
    assert Client().get(TOKEN_URL).status_code == 405


def test_authorize_page_redirects_back_with_an_exchangeable_code() -> None:
    client = Client()
    params = {
        "client_id": provider.CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "s-123",
        "response_type": "code",
    }
    page = client.get("/sandbox/oauth/authorize", params)
    assert page.status_code == 200
    assert b'name="username"' in page.content
    answer = client.post("/sandbox/oauth/authorize", {**params, "username": "carol"})
    assert answer.status_code == 302
    location = httpx.URL(answer["Location"])
    assert str(location).startswith(REDIRECT_URI)
    assert location.params["state"] == "s-123"
    exchanged = token_request(client, code=location.params["code"])
    assert exchanged.json()["user_id"] == "carol"
    assert (
        client.get("/sandbox/oauth/authorize", {**params, "client_id": "x"}).status_code
        == 400
    )


# --- Apple Pay merchant session ------------------------------------------------------------


def session_request(client: Client, body: Any) -> Any:
    return client.post(SESSION_URL, json.dumps(body), content_type="application/json")


def test_merchant_session_for_the_messaging_initiative() -> None:
    before = int(time.time() * 1000)
    response = session_request(
        Client(),
        {
            "merchantIdentifier": provider.MERCHANT_IDENTIFIER,
            "displayName": "Demo Coffee Roasters",
            "initiative": "messaging",
            "initiativeContext": "http://127.0.0.1:8000/integrations/pay/abc/",
        },
    )
    assert response.status_code == 200
    session = response.json()
    assert {
        "epochTimestamp",
        "expiresAt",
        "merchantSessionIdentifier",
        "nonce",
        "merchantIdentifier",
        "domainName",
        "displayName",
        "signature",
    } <= set(session)
    assert session["epochTimestamp"] >= before
    assert session["expiresAt"] > session["epochTimestamp"]
    assert session["domainName"] == "127.0.0.1"
    assert session["displayName"] == "Demo Coffee Roasters"
    assert session["merchantSessionIdentifier"].startswith("SSH")
    base64.b64decode(session["signature"], validate=True)


def test_merchant_session_with_the_older_domain_name() -> None:
    response = session_request(
        Client(),
        {
            "merchantIdentifier": provider.MERCHANT_IDENTIFIER,
            "domainName": "pay.example.com",
            "displayName": "Demo",
        },
    )
    assert response.status_code == 200
    assert response.json()["domainName"] == "pay.example.com"


@pytest.mark.parametrize(
    "body",
    [
        ["not", "an", "object"],
        {"displayName": "Demo", "domainName": "pay.example.com"},
        {"merchantIdentifier": "com.example", "displayName": "D", "domainName": "x"},
        {"merchantIdentifier": "merchant.com.example.demo", "domainName": "x"},
        {"merchantIdentifier": "merchant.com.example.demo", "displayName": "Demo"},
        {
            "merchantIdentifier": "merchant.com.example.demo",
            "displayName": "Demo",
            "initiative": "messaging",
            "initiativeContext": "not a url",
        },
    ],
)
def test_bad_merchant_session_requests_are_refused(body: Any) -> None:
    response = session_request(Client(), body)
    assert response.status_code == 400
    assert response.json()["statusCode"] == "400"


# --- payment processor ---------------------------------------------------------------------


def charge(
    client: Client, amount: str, *, secret: str = provider.PROCESSOR_SECRET
) -> Any:
    body = json.dumps(
        {
            "type": "payment.authorize",
            "amount": amount,
            "currency": "USD",
            "token": {"paymentData": {"version": "EC_v1", "data": "abc"}},
        },
        separators=(",", ":"),
    ).encode()
    return client.post(
        CHARGE_URL,
        body,
        content_type="application/json",
        HTTP_X_MSP_SIGNATURE=webhook_signature(secret, int(time.time()), body),
    )


def test_processor_approves_a_signed_charge() -> None:
    response = charge(Client(), "28.50")
    assert response.status_code == 200
    assert response.json()["status"] == "STATUS_SUCCESS"
    assert response.json()["charge_id"].startswith("ch_sandbox_")


def test_processor_declines_amounts_ending_in_13() -> None:
    response = charge(Client(), "9.13")
    assert response.status_code == 200
    assert response.json()["status"] == "STATUS_FAILURE"


def test_processor_refuses_a_bad_or_missing_signature() -> None:
    client = Client()
    assert charge(client, "5.00", secret="not-the-secret").status_code == 401
    unsigned = client.post(CHARGE_URL, "{}", content_type="application/json")
    assert unsigned.status_code == 401
    body = b'{"amount":"5.00"}'
    stale = webhook_signature(provider.PROCESSOR_SECRET, int(time.time()) - 3600, body)
    assert (
        client.post(
            CHARGE_URL,
            body,
            content_type="application/json",
            HTTP_X_MSP_SIGNATURE=stale,
        ).status_code
        == 401
    )


def test_processor_needs_a_payment_token() -> None:
    body = b'{"amount":"5.00"}'
    response = Client().post(
        CHARGE_URL,
        body,
        content_type="application/json",
        HTTP_X_MSP_SIGNATURE=webhook_signature(
            provider.PROCESSOR_SECRET, int(time.time()), body
        ),
    )
    assert response.status_code == 400


# --- the seeded demo, end to end through the customer page ------------------------------------


@pytest.fixture(scope="module")
def demo_stack() -> Iterator[tuple[LiveStack, str]]:
    """A live stack seeded like ``make run``; Apple Pay's endpoint left to its
    sandbox default (derived from APPLE_GATEWAY_URL)."""
    previous = os.environ.pop("APPLE_PAY_SESSION_URL", None)
    try:
        with start_live_stack(name="sandbox-provider") as stack:
            stack.manage("seed_demo")
            stack.manage("seed_sandbox_demo", "--base-url", stack.base_url)
            token = stack.manage(
                "add_agent",
                stack.agent_username,
                "--business",
                DEMO_BUSINESS_ID,
                "--token",
            )
            yield stack, token
    finally:
        if previous is not None:
            os.environ["APPLE_PAY_SESSION_URL"] = previous


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


@pytest.mark.e2e
def test_seeded_demo_signs_in_and_pays_through_the_sandbox(
    demo_stack: tuple[LiveStack, str], chromium: Browser
) -> None:
    stack, token = demo_stack
    with httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Token {token}"},
        timeout=20,
    ) as api:
        customer = open_customer_page(chromium, stack.base_url, DEMO_BUSINESS_ID)
        opaque_id = customer.locator(".identity").inner_text().strip()
        customer.fill("#message-input", "Can I sign in and pay?")
        customer.click("#send-button")
        conversation = wait_for(
            lambda: conversation_of(api, DEMO_BUSINESS_ID, opaque_id),
            what="the conversation",
        )
        agent = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        agent.goto(f"{stack.base_url}/accounts/login/")
        agent.get_by_label("Username").fill(stack.agent_username)
        agent.get_by_label("Password").fill(stack.agent_password)
        agent.get_by_role("button", name="Sign in").click()
        agent.wait_for_url(f"{stack.base_url}/console/")
        agent.goto(f"{stack.base_url}/console/c/{conversation['id']}/")
        expect(agent.locator("#connection")).to_have_text("Live")

        # Sign-in (AUTH2): the customer page issues a code, the sandbox's token
        # endpoint exchanges it with the seeded client credentials.
        sent = api.post(f"/api/v1/conversations/{conversation['id']}/signin/", json={})
        assert sent.status_code == 201, sent.text
        card = customer.locator(".card", has_text="Sign in")
        card.get_by_role("button", name="Sign in").click()
        sheet = customer.locator(".sheet")
        sheet.locator("input").fill("dana")
        sheet.get_by_role("button", name="Sign in").click()
        expect(
            agent.locator(".kind-system", has_text="Signed in as Dana (dana)")
        ).to_be_visible(timeout=20000)

        # Apple Pay: merchant session from the sandbox, token to our gateway,
        # handed to the sandbox processor (HMAC-checked), which approves.
        paid = api.post(
            f"/api/v1/conversations/{conversation['id']}/payment/",
            json={
                "title": "Beans",
                "line_items": [{"label": "Espresso beans", "amount": "24.00"}],
            },
        )
        assert paid.status_code == 201, paid.text
        customer.locator(".card", has_text="Beans").get_by_role(
            "button", name="Pay"
        ).click()
        customer.locator(".sheet").get_by_role(
            "button", name="Pay with Face ID"
        ).click()
        expect(
            agent.locator(
                ".kind-system", has_text="Payment of 24.00 USD succeeded with Visa 1234"
            )
        ).to_be_visible(timeout=20000)

        # An amount ending in .13 is declined by the sandbox processor.
        declined = api.post(
            f"/api/v1/conversations/{conversation['id']}/payment/",
            json={
                "title": "Unlucky",
                "line_items": [{"label": "Mug", "amount": "9.13"}],
            },
        )
        assert declined.status_code == 201, declined.text
        customer.locator(".card", has_text="Unlucky").get_by_role(
            "button", name="Pay"
        ).click()
        customer.locator(".sheet").get_by_role(
            "button", name="Pay with Face ID"
        ).click()
        expect(
            agent.locator(
                ".kind-system", has_text="Payment of 9.13 USD failed (STATUS_FAILURE)"
            )
        ).to_be_visible(timeout=20000)

        agent.reload()
        expect(agent.locator("#signed-in")).to_contain_text("Signed in as Dana (dana)")
        expect(agent.locator("#payments")).to_contain_text("Payment 24.00 USD: Paid")
        agent.screenshot(path="build/sandbox-provider-demo.png", full_page=True)
        agent.context.close()
        customer.close()


@pytest.mark.e2e
def test_seeded_library_objects_start_both_flows_from_the_console(
    demo_stack: tuple[LiveStack, str], chromium: Browser
) -> None:
    """What a person does after ``make run``: pick the seeded objects in the console."""
    stack, token = demo_stack
    with httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Token {token}"},
        timeout=20,
    ) as api:
        customer = open_customer_page(chromium, stack.base_url, DEMO_BUSINESS_ID)
        opaque_id = customer.locator(".identity").inner_text().strip()
        customer.fill("#message-input", "Hello from the library test")
        customer.click("#send-button")
        conversation = wait_for(
            lambda: conversation_of(api, DEMO_BUSINESS_ID, opaque_id),
            what="the conversation",
        )
    agent = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    agent.goto(f"{stack.base_url}/accounts/login/")
    agent.get_by_label("Username").fill(stack.agent_username)
    agent.get_by_label("Password").fill(stack.agent_password)
    agent.get_by_role("button", name="Sign in").click()
    agent.wait_for_url(f"{stack.base_url}/console/")
    agent.goto(f"{stack.base_url}/console/c/{conversation['id']}/")
    expect(agent.locator("#connection")).to_have_text("Live")

    def pick(name: str) -> None:
        agent.click("#rich-button")
        agent.locator(".rich-option", has_text=name).click()
        expect(agent.locator("#rich-preview")).to_be_visible()
        agent.locator("#rich-picker").get_by_role("button", name="Send").click()
        expect(agent.locator("#rich-picker")).to_be_hidden()

    pick(demo.SIGNIN_OBJECT)
    card = customer.locator(".card", has_text=f"Sign in to {demo.OAUTH_TITLE}")
    card.get_by_role("button", name="Sign in").click()
    sheet = customer.locator(".sheet")
    sheet.locator("input").fill("erin")
    sheet.get_by_role("button", name="Sign in").click()
    expect(
        agent.locator(".kind-system", has_text="Signed in as Erin (erin)")
    ).to_be_visible(timeout=20000)

    pick(demo.PAYMENT_OBJECT)
    customer.locator(".card", has_text="Your order").get_by_role(
        "button", name="Pay"
    ).click()
    customer.locator(".sheet").get_by_role("button", name="Pay with Face ID").click()
    expect(
        agent.locator(
            ".kind-system", has_text="Payment of 28.50 USD succeeded with Visa 1234"
        )
    ).to_be_visible(timeout=20000)
    agent.screenshot(path="build/sandbox-provider-library.png", full_page=True)
    agent.context.close()
    customer.close()

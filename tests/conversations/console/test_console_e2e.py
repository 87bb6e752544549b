"""The console in Debian's Chromium against real Daphne, Celery, PostgreSQL and Redis.

Apple is the local gateway stand-in; the customer's side is played by signed
webhooks, exactly as Apple would post them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conversations.e2e.test_delivery_e2e import apple_post, wait_for
from tests.gateway_stand_in import GatewayStandIn
from tests.helpers import inbound_body
from tests.live import BUILD, MSP_ID, MSP_SECRET, LiveStack, live_stack

pytestmark = pytest.mark.e2e

SCREENSHOTS = BUILD / "screenshots"


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayStandIn]:
    stand_in = GatewayStandIn(msp_id=MSP_ID, secret_b64=MSP_SECRET).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def stack(gateway: GatewayStandIn) -> Iterator[LiveStack]:
    with live_stack(gateway_url=gateway.url, name="console") as running:
        yield running


class ConsolePage:
    """A signed-in agent's tab, collecting console errors as it goes."""

    def __init__(self, context: BrowserContext, stack: LiveStack) -> None:
        self.stack = stack
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def login(self, username: str = "", password: str = "") -> Page:
        page = self.page
        page.goto(f"{self.stack.base_url}/accounts/login/")
        page.get_by_label("Username").fill(username or self.stack.agent_username)
        page.get_by_label("Password").fill(password or self.stack.agent_password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.stack.base_url}/console/")
        expect(page.locator("#connection")).to_have_text("Live")
        return page


def customer_says(stack: LiveStack, customer: str, type_: str = "text", **kw) -> None:
    body = inbound_body(
        business_id=stack.business_apple_id, customer_id=customer, type_=type_, **kw
    )
    assert apple_post(stack, body).status_code == 200


def conversation_state(stack: LiveStack, conversation_id: int) -> dict:
    response = httpx.get(
        f"{stack.base_url}/api/v1/conversations/{conversation_id}/",
        headers={"Authorization": f"Token {stack.agent_token}"},
        timeout=10,
    )
    return response.json()


def test_agent_works_a_conversation_live(
    stack: LiveStack, gateway: GatewayStandIn, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = ConsolePage(context, stack)
    page = tab.login()
    customer = f"urn:mbid:AQAAY-{uuid.uuid4().hex}"

    # A new customer writes: the inbox shows it without a reload.
    customer_says(stack, customer, body="Hi! Is my bike ready? 🚲")
    row = page.locator("#inbox-list .row", has_text="Is my bike ready")
    expect(row).to_be_visible()
    expect(row.locator(".unread-badge")).to_have_text("1")
    row.locator("a").click()
    page.wait_for_url("**/console/c/*/")
    conversation_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    expect(page.locator("#timeline")).to_contain_text("Is my bike ready")
    expect(page.locator("#connection")).to_have_text("Live")

    # The next message arrives live in the open conversation.
    customer_says(stack, customer, body="It's the blue one 💙")
    expect(page.locator("#timeline .msg-in").last).to_contain_text("blue one 💙")

    # The agent types (one typing_start reaches Apple), then sends with Ctrl+Enter.
    reply = f"Yes, it's ready ✅ ({uuid.uuid4().hex[:6]})"
    composer = page.get_by_label("Message to the customer")
    composer.press_sequentially(reply[:10], delay=20)
    wait_for(
        lambda: [
            r
            for r in gateway.messages("typing_start")
            if r.body["destinationId"] == customer
        ]
    )
    composer.fill(reply)
    composer.press("Control+Enter")
    mine = page.locator("#timeline .msg-out", has_text=reply)
    expect(mine).to_be_visible()
    expect(mine.locator(".state")).to_have_text("Sent to Apple", timeout=15000)
    assert [r for r in gateway.messages() if r.body.get("body") == reply]
    wait_for(
        lambda: [
            r
            for r in gateway.messages("typing_end")
            if r.body["destinationId"] == customer
        ]
    )
    assert (
        len(
            [
                r
                for r in gateway.messages("typing_start")
                if r.body["destinationId"] == customer
            ]
        )
        == 1
    ), "one typing_start per burst, not one per keystroke"

    # The customer types, then loves the reply: a reaction on the reply itself.
    customer_says(stack, customer, type_="typing_start")
    expect(page.locator("#typing-indicator")).to_have_text("The customer is typing…")
    customer_says(stack, customer, body=f"Loved “{reply}”")
    expect(mine.locator(".reaction")).to_have_text("❤️")
    expect(page.locator("#typing-indicator")).to_be_hidden()
    expect(page.locator("#timeline")).not_to_contain_text("Loved “")
    # The open conversation is read as messages arrive, so the inbox shows no badge.
    expect(
        page.locator(
            f'#inbox-list [data-conversation="{conversation_id}"] .unread-badge'
        )
    ).to_have_count(0)

    # A private note shows for the team and never reaches Apple.
    page.get_by_label("Private note").check()
    page.get_by_label("Private note for your team").fill("VIP customer, be nice")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline .kind-note")).to_contain_text("VIP customer")
    page.get_by_label("Reply", exact=True).check()

    # Assign to self with the keyboard, then resolve.
    page.locator("#timeline").click()
    page.keyboard.press("a")
    expect(page.get_by_label("Assigned to")).to_have_value(
        str(page.evaluate("consoleView.me.id"))
    )
    page.get_by_label("Set status").select_option("resolved")
    wait_for(lambda: conversation_state(stack, conversation_id)["status"] == "resolved")
    state = conversation_state(stack, conversation_id)
    assert state["assigned_agent"]["username"] == stack.agent_username
    # The default view holds open conversations: a resolved one leaves it.
    expect(
        page.locator(f'#inbox-list [data-conversation="{conversation_id}"]')
    ).to_have_count(0)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console.png"), full_page=False)

    # The customer closes: banner, composer off; writing again reopens it.
    customer_says(stack, customer, type_="close")
    expect(page.locator("#closed-banner")).to_be_visible()
    expect(composer).to_be_disabled()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    page.screenshot(path=str(SCREENSHOTS / "console-closed.png"))
    customer_says(stack, customer, body="One more question")
    expect(page.locator("#closed-banner")).to_be_hidden()
    expect(composer).to_be_enabled()

    assert not [r for r in gateway.messages() if "VIP" in r.body.get("body", "")]
    assert tab.errors == []
    context.close()


def test_missed_messages_are_fetched_after_a_reconnect(
    stack: LiveStack, browser: Browser
) -> None:
    context = browser.new_context()
    tab = ConsolePage(context, stack)
    page = tab.login()
    customer = f"urn:mbid:AQAAY-{uuid.uuid4().hex}"
    customer_says(stack, customer, body="first, while online")
    page.locator("#inbox-list .row", has_text="first, while online").locator(
        "a"
    ).click()
    expect(page.locator("#connection")).to_have_text("Live")
    page.evaluate("consoleSocket.stop()")
    expect(page.locator("#connection")).not_to_have_text("Live")
    customer_says(stack, customer, body="second, while offline")
    page.wait_for_timeout(500)
    expect(page.locator("#timeline")).not_to_contain_text("second, while offline")
    page.evaluate("consoleSocket.stopped = false; consoleSocket.kick()")
    expect(page.locator("#timeline")).to_contain_text("second, while offline")
    expect(page.locator("#connection")).to_have_text("Live")
    assert tab.errors == []
    context.close()


def test_narrow_screen_shows_a_usable_conversation(
    stack: LiveStack, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = ConsolePage(context, stack)
    page = tab.login()
    customer = f"urn:mbid:AQAAY-{uuid.uuid4().hex}"
    customer_says(stack, customer, body="Hello from a small screen")
    page.locator("#inbox-list .row", has_text="small screen").locator("a").click()
    expect(page.locator(".inbox")).to_be_hidden()
    expect(page.get_by_role("link", name="← Inbox")).to_be_visible()
    composer = page.get_by_label("Message to the customer")
    expect(composer).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > 391 && el.offsetParent)
        .map((el) => el.tagName + '#' + el.id + '.' + el.className)"""
    )
    assert wide == [], "nothing may scroll sideways"
    composer.fill("Replying from a phone 📱")
    page.get_by_role("button", name="Send").click()
    expect(
        page.locator("#timeline .msg-out", has_text="Replying from a phone")
    ).to_be_visible()
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-narrow.png"))
    assert tab.errors == []
    context.close()


def test_teammates_see_each_other_and_failed_sends_can_be_retried(
    stack: LiveStack, gateway: GatewayStandIn, browser: Browser
) -> None:
    stack.manage(
        "add_agent",
        "e2e-teammate",
        "--business",
        stack.business_apple_id,
        "--password",
        "teammate-password",
    )
    customer = f"urn:mbid:AQAAY-{uuid.uuid4().hex}"
    customer_says(stack, customer, body="Two agents, one customer")
    alice = ConsolePage(browser.new_context(), stack)
    bob = ConsolePage(browser.new_context(), stack)
    alice_page = alice.login()
    bob_page = bob.login("e2e-teammate", "teammate-password")
    for page in (alice_page, bob_page):
        page.locator("#inbox-list .row", has_text="Two agents").locator("a").click()
        expect(page.locator("#connection")).to_have_text("Live")

    # Presence both ways, whoever opened first.
    expect(alice_page.locator("#viewers")).to_have_text("Also viewing: e2e-teammate")
    expect(bob_page.locator("#viewers")).to_have_text(
        f"Also viewing: {stack.agent_username}"
    )
    # A teammate's typing shows as replying; it is not an event per keystroke.
    bob_page.get_by_label("Message to the customer").press_sequentially("hel")
    expect(alice_page.locator("#replying")).to_have_text("e2e-teammate is replying…")

    # Apple refuses a message: both tabs show why; a retry delivers it.
    # The stand-in fails whatever comes next, typing included: let Bob's typing
    # settle, and put Alice's text in without key events so none is sent.
    wait_for(
        lambda: [
            r
            for r in gateway.messages("typing_end")
            if r.body["destinationId"] == customer
        ]
    )
    gateway.fail_next(1, 400)
    alice_page.locator("#composer-text").evaluate(
        "(el) => { el.value = 'This one bounces first'; }"
    )
    alice_page.get_by_role("button", name="Send").click()
    for page in (alice_page, bob_page):
        bubble = page.locator("#timeline .msg-out", has_text="bounces first")
        expect(bubble.locator(".state")).to_contain_text("Failed: ", timeout=15000)
    alice_page.get_by_role("button", name="Retry sending this message").click()
    for page in (alice_page, bob_page):
        bubble = page.locator("#timeline .msg-out", has_text="bounces first")
        expect(bubble.locator(".state")).to_have_text("Sent to Apple", timeout=15000)

    # Leaving clears presence at once.
    bob_page.goto(f"{stack.base_url}/console/")
    expect(alice_page.locator("#viewers")).to_have_text("")
    assert alice.errors == []
    assert bob.errors == []

"""An agent in the console and a customer on the sandbox page, talking live.

Two browser contexts in Debian's Chromium against the real stack (Daphne,
Celery, PostgreSQL, Redis) with the sandbox as Apple: everything the agent
sends crosses the strict gateway before the customer page shows it, and
everything the customer does reaches the console as Apple would post it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

# No django_db: everything goes through the live stack, and Playwright holds an event loop.
pytestmark = pytest.mark.e2e

SCREENSHOTS = Path("build/screenshots")
GREETING = "Hi from the sandbox 👋🏽 is my bike ready? 🚲"
REPLY = "Yes, it's ready ✅ come by anytime"


def wait_for(
    predicate: Callable[[], Any], seconds: float = 20, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not met in {seconds}s")


def conversation_state(stack: Any, conversation_id: int) -> dict[str, Any]:
    return httpx.get(
        f"{stack.base_url}/api/v1/conversations/{conversation_id}/",
        headers={"Authorization": f"Token {stack.agent_token}"},
        timeout=10,
    ).json()


def open_console(browser: Browser, stack: Any, errors: list[str]) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack.base_url}/accounts/login/")
    page.get_by_label("Username").fill(stack.agent_username)
    page.get_by_label("Password").fill(stack.agent_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/console/")
    expect(page.locator("#connection")).to_have_text("Live")
    return page


def open_customer_page(browser: Browser, stack: Any) -> Page:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.sandbox_url}/sandbox/")
    page.select_option("#business", stack.business_apple_id)
    page.select_option("#device", "iphone")
    page.fill("#display_name", "Playwright")
    page.click("#start")
    expect(page.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    return page


def test_agent_and_customer_hold_a_conversation(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    console = open_console(browser, live_stack, errors)
    customer = open_customer_page(browser, live_stack)

    # The customer writes; the console inbox shows it live, and we open it.
    customer.fill("#message-input", GREETING)
    customer.click("#send-button")
    expect(customer.locator(".row.customer .status").last).to_have_text(
        "Delivered", timeout=15000
    )
    row = console.locator("#inbox-list .row", has_text="is my bike ready")
    expect(row).to_be_visible(timeout=15000)
    row.locator("a").click()
    console.wait_for_url("**/console/c/*/")
    conversation_id = int(console.url.rstrip("/").rsplit("/", 1)[1])
    expect(console.locator("#timeline")).to_contain_text(GREETING)
    expect(console.locator("#connection")).to_have_text("Live")

    # The customer's next message arrives live in the open conversation.
    customer.fill("#message-input", "It's the blue one 💙")
    customer.click("#send-button")
    expect(console.locator("#timeline .msg-in").last).to_contain_text(
        "blue one 💙", timeout=15000
    )

    # Customer typing shows in the console.
    customer.locator("#message-input").press_sequentially("One more", delay=20)
    expect(console.locator("#typing-indicator")).to_have_text(
        "The customer is typing…", timeout=15000
    )
    customer.fill("#message-input", "")
    expect(console.locator("#typing-indicator")).to_be_hidden(timeout=15000)

    # Agent typing shows on the customer page; the reply replaces it.
    composer = console.get_by_label("Message to the customer")
    composer.press_sequentially(REPLY[:10], delay=20)
    expect(customer.locator("#business-typing")).to_be_visible(timeout=15000)
    composer.fill(REPLY)
    composer.press("Control+Enter")
    mine = console.locator("#timeline .msg-out", has_text=REPLY)
    expect(mine).to_be_visible()
    expect(mine.locator(".state")).to_have_text("Sent to Apple", timeout=15000)
    expect(customer.locator(".row.business .bubble", has_text=REPLY)).to_be_visible(
        timeout=20000
    )
    expect(customer.locator("#business-typing")).to_be_hidden(timeout=15000)

    # A tapback on the customer page is a reaction on the reply in the console.
    bubble_row = customer.locator(".row.business", has_text=REPLY)
    bubble_row.hover()
    bubble_row.locator(".tapback-button").click()
    bubble_row.locator('[data-reaction="loved"]').click()
    expect(mine.locator(".reaction")).to_have_text("❤️", timeout=15000)
    expect(console.locator("#timeline")).not_to_contain_text("Loved “")

    # Assign to self with the keyboard, then resolve.
    console.locator("#timeline").click()
    console.keyboard.press("a")
    expect(console.get_by_label("Assigned to")).to_have_value(
        str(console.evaluate("consoleView.me.id"))
    )
    console.get_by_label("Set status").select_option("resolved")
    wait_for(
        lambda: conversation_state(live_stack, conversation_id)["status"] == "resolved",
        what="conversation resolved",
    )
    assert (
        conversation_state(live_stack, conversation_id)["assigned_agent"]["username"]
        == live_stack.agent_username
    )
    # The default view holds open conversations: a resolved one leaves it.
    expect(
        console.locator(f'#inbox-list [data-conversation="{conversation_id}"]')
    ).to_have_count(0)

    # The customer deletes the conversation: the console shows it closed.
    customer.click("#delete-conversation")
    customer.click("#confirm-delete")
    expect(customer.locator("#closed-banner")).to_be_visible(timeout=15000)
    expect(console.locator("#closed-banner")).to_be_visible(timeout=15000)
    expect(composer).to_be_disabled()
    expect(console.get_by_role("button", name="Send")).to_be_disabled()
    # Only replies lock: the status stays the team's to set.
    expect(console.get_by_label("Set status")).to_be_enabled()
    expect(
        console.locator(f'#inbox-list [data-conversation="{conversation_id}"]')
    ).to_have_count(0)
    wait_for(
        lambda: conversation_state(live_stack, conversation_id)["status"] == "closed",
        what="conversation closed",
    )

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOTS / "console-with-sandbox.png"))

    assert errors == []
    customer.context.close()
    console.context.close()

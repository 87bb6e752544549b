"""Resolve, survey, answer, see it: an agent in the console, a customer on the
sandbox page, the real stack (Daphne, Celery, PostgreSQL, Redis) in between."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.console.test_console_with_sandbox_e2e import (
    SCREENSHOTS,
    conversation_state,
    open_console,
    open_customer_page,
    wait_for,
)

pytestmark = pytest.mark.e2e

SETUP = """
from conversations.models import Business, Membership
from insights.models import CsatSettings
business = Business.objects.get(apple_id={apple_id!r})
CsatSettings.objects.update_or_create(
    business=business, defaults={{"enabled": True, "question": "How did we do today?"}}
)
Membership.objects.filter(business=business, user__username={agent!r}).update(role="admin")
"""


def test_a_resolved_conversation_is_rated_and_reported(
    live_stack: Any, browser: Browser
) -> None:
    live_stack.manage(
        "shell",
        "-c",
        SETUP.format(
            apple_id=live_stack.business_apple_id, agent=live_stack.agent_username
        ),
    )
    errors: list[str] = []
    console = open_console(browser, live_stack, errors)
    customer = open_customer_page(browser, live_stack)

    customer.fill("#message-input", "My brakes squeak, can you help?")
    customer.click("#send-button")
    row = console.locator("#inbox-list .row", has_text="brakes squeak")
    expect(row).to_be_visible(timeout=15000)
    row.locator("a").click()
    console.wait_for_url("**/console/c/*/")
    conversation_id = int(console.url.rstrip("/").rsplit("/", 1)[1])

    composer = console.get_by_label("Message to the customer")
    composer.fill("Sure, bring it by and we'll adjust them.")
    composer.press("Control+Enter")
    expect(
        customer.locator(".row.business .bubble", has_text="adjust them")
    ).to_be_visible(timeout=20000)
    console.get_by_label("Set status").select_option("resolved")
    wait_for(
        lambda: conversation_state(live_stack, conversation_id)["status"] == "resolved",
        what="conversation resolved",
    )

    # The survey arrives as Apple's quick reply (the sandbox iPhone has QUICK).
    excellent = customer.get_by_role("button", name="5 - Excellent")
    expect(excellent).to_be_visible(timeout=20000)
    expect(customer.locator("body")).to_contain_text("How did we do today?")
    excellent.click()

    # The score shows in the console live, and the conversation stays resolved.
    expect(console.locator("#csat .csat-score")).to_have_text("5/5", timeout=20000)
    assert conversation_state(live_stack, conversation_id)["status"] == "resolved"

    # The comment prompt, then the comment.
    expect(
        customer.locator(".row.business .bubble", has_text="Anything you'd like to add")
    ).to_be_visible(timeout=20000)
    customer.fill("#message-input", "Quick and friendly, thanks!")
    customer.click("#send-button")
    expect(console.locator("#csat")).to_contain_text(
        "Quick and friendly", timeout=20000
    )
    assert conversation_state(live_stack, conversation_id)["status"] == "resolved"

    # The report counts it: one opened, one resolved, CSAT 5.
    console.goto(f"{live_stack.base_url}/console/reports/")
    expect(console.locator("#fig-csat")).to_have_text("5.0/5")
    expect(console.locator("#fig-opened")).to_have_text("1")
    expect(console.locator("#fig-resolved")).to_have_text("1")
    expect(console.locator("#csat-distribution tbody tr").last).to_contain_text("1")
    expect(console.locator("figure.chart svg")).to_have_count(2)
    expect(console.locator("#by-agent")).to_contain_text(live_stack.agent_username)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOTS / "reports.png"), full_page=True)

    assert errors == []
    customer.context.close()
    console.context.close()

"""Triage on a team's first day, in Chromium against the live stack (Daphne,
Celery, PostgreSQL, Redis, the sandbox as Apple and as the customer's phone):
previews by kind arriving live, tabs with live counts, filters that apply as
they change, two agents on one conversation, a customer who closes, "Resolve
and next", and the sandbox page remembering its business.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conversations.attachments.test_console_e2e import conversation_for, png
from tests.conversations.console.test_workflow_e2e import (
    SCREENSHOTS,
    api,
    business_id,
    customer_writes,
    sign_in,
    teammate,
)

pytestmark = pytest.mark.e2e


def agent_id(stack: Any, username: str) -> int:
    agents = api(
        stack,
        stack.agent_token,
        "GET",
        f"/api/v1/businesses/{business_id(stack)}/agents/",
    ).json()
    rows = agents["results"] if isinstance(agents, dict) else agents
    return next(a["id"] for a in rows if a["username"] == username)


def conversation(stack: Any, conversation_id: int) -> dict:
    return api(
        stack, stack.agent_token, "GET", f"/api/v1/conversations/{conversation_id}/"
    ).json()


def tab_count(page: Page, assignee: str) -> int:
    count = page.locator(f'a.inbox-tab[data-assignee="{assignee}"] .tab-count')
    return int(count.get_attribute("data-count") or "0")


def test_triage_with_two_agents_and_a_customer_who_closes(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    marker = uuid.uuid4().hex[:6]
    stack = live_stack
    bob, bob_password, _ = teammate(stack)

    # 11. The sandbox page remembers the business the customer chose.
    customer = customer_writes(browser, stack, f"Where is order {marker}?")
    again = customer.context.new_page()
    again.goto(f"{stack.sandbox_url}/sandbox/")
    expect(again.locator("#business")).to_have_value(stack.business_apple_id)
    again.close()
    first = conversation_for(stack, customer)

    # 1 and 2. The default view (open, mine or unassigned) shows it with its text.
    alice = sign_in(browser, stack, stack.agent_username, stack.agent_password, errors)
    row = alice.locator(f'#inbox-list .row[data-conversation="{first}"]')
    expect(row.locator(".preview")).to_have_text(f"Where is order {marker}?")
    expect(alice.locator('a.inbox-tab[data-assignee="me_or_none"]')).to_have_attribute(
        "aria-current", "true"
    )
    # A photo arrives: the row reads "📷 Photo", never the U+FFFC placeholder.
    customer.set_input_files(
        "#attach-input",
        files=[
            {"name": "box.png", "mimeType": "image/png", "buffer": png((9, 90, 200))}
        ],
    )
    expect(row.locator(".preview")).to_have_text("📷 Photo", timeout=30000)
    assert "\ufffc" not in alice.locator("#inbox-list").inner_text()

    # Tab counts follow the socket: assigning elsewhere (the API) moves them.
    mine_before = tab_count(alice, "me")
    api(
        stack,
        stack.agent_token,
        "POST",
        f"/api/v1/conversations/{first}/assign/",
        json={"assigned_agent": agent_id(stack, stack.agent_username)},
    )
    expect(
        alice.locator('a.inbox-tab[data-assignee="me"] .tab-count')
    ).to_have_attribute("data-count", str(mine_before + 1))

    # Tabs and filters apply at once and live in the address (reload keeps them).
    assert alice.locator("form.filters [type=submit]").count() == 0
    alice.locator('a.inbox-tab[data-assignee="me"]').click()
    expect(alice).to_have_url(re.compile(r"[?&]assignee=me(&|$)"))
    expect(row).to_be_visible()
    alice.select_option("form.filters select[name=status]", "pending")
    expect(alice).to_have_url(re.compile(r"status=pending"))
    expect(row).to_have_count(0)
    alice.reload()
    expect(alice.locator("form.filters select[name=status]")).to_have_value("pending")
    expect(alice.locator('a.inbox-tab[data-assignee="me"]')).to_have_attribute(
        "aria-current", "true"
    )
    alice.select_option("form.filters select[name=status]", "open")
    expect(row.locator(".preview")).to_have_text("📷 Photo")
    expect(alice).not_to_have_url(re.compile(r"status="))
    alice.locator('a.inbox-tab[data-assignee="me_or_none"]').click()
    expect(alice.locator("a.inbox-tab .tab-count").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(SCREENSHOTS / "inbox-desktop.png"))

    # 3. Two agents on one conversation: Bob composing shows to Alice as replying.
    row.locator("a.row-link").click()
    expect(alice.locator("#conversation-title")).to_be_visible()
    second = sign_in(browser, stack, bob, bob_password, errors)
    second.goto(f"{stack.base_url}/console/c/{first}/")
    expect(second.locator("#connection")).to_have_text("Live")
    expect(alice.locator("#viewers")).to_have_text(f"Also viewing: {bob}")
    second.get_by_label("Message to the customer").press_sequentially("On it, ")
    expect(alice.locator("#replying")).to_have_text(f"{bob} is replying…")
    # Idle for a moment: the signal stops, and the line goes.
    expect(alice.locator("#replying")).to_be_hidden(timeout=10000)
    expect(second.locator("#replying")).to_be_hidden()

    # 4. The customer closes: replies lock, everything else still works.
    customer.click("#delete-conversation")
    customer.click("#confirm-delete")
    expect(alice.locator("#closed-banner")).to_be_visible(timeout=15000)
    composer = alice.locator("#composer-text")
    expect(composer).to_be_disabled()
    alice.get_by_label("Private note").check()
    expect(composer).to_be_enabled()
    composer.fill(f"Customer left, follow up by mail {marker}")
    alice.get_by_role("button", name="Add note").click()
    expect(
        alice.locator("#timeline", has_text=f"follow up by mail {marker}")
    ).to_be_visible()
    expect(alice.locator("#status-select")).to_be_enabled()
    alice.select_option("#status-select", "pending")
    alice.select_option("#assignee-select", str(agent_id(stack, bob)))
    expect(second.locator("#assignee-select")).to_have_value(str(agent_id(stack, bob)))
    state = conversation(stack, first)
    assert state["status"] == "pending"
    assert state["is_closed"] is True
    assert state["assigned_agent"]["username"] == bob
    alice.get_by_label("Reply", exact=True).check()
    expect(composer).to_be_disabled()
    expect(alice.locator("#closed-banner")).to_contain_text("Private notes")

    # 2. Resolve and next: another customer's conversation, resolved from the page.
    other = customer_writes(browser, stack, f"Second question {marker}")
    later = conversation_for(stack, other)
    alice.goto(f"{stack.base_url}/console/c/{later}/")
    expect(alice.locator("#connection")).to_have_text("Live")
    alice.get_by_role("button", name="Resolve and next").click()
    expect(alice).not_to_have_url(re.compile(rf"/console/c/{later}/"))
    assert conversation(stack, later)["status"] == "resolved"
    expect(
        alice.locator(f'#inbox-list .row[data-conversation="{later}"]')
    ).to_have_count(0)
    assert errors == []

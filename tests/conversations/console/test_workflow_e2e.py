"""The agents' daily workflow in a real browser: profiles, labels, canned replies.

Two agents' contexts and a sandbox customer's, against the live stack (Daphne,
Celery, PostgreSQL, Redis, the sandbox as Apple).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.live import LiveStack
from tests.live import live_stack as start_live_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_stack() -> Iterator[LiveStack]:
    """A stack of this module's own: the many conversations, teams and rules made
    here must not show in other modules' counts (insights' reports)."""
    with start_live_stack(name="workflow") as stack:
        yield stack


SCREENSHOTS = Path("build/screenshots")


def sign_in(
    browser: Browser, stack: Any, username: str, password: str, errors: list[str]
) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack.base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/console/")
    expect(page.locator("#connection")).to_have_text("Live")
    return page


def customer_writes(browser: Browser, stack: Any, text: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{stack.sandbox_url}/sandbox/")
    page.select_option("#business", stack.business_apple_id)
    page.select_option("#device", "iphone")
    page.click("#start")
    expect(page.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    page.fill("#message-input", text)
    page.click("#send-button")
    expect(page.locator(".row.customer .status").last).to_have_text(
        "Delivered", timeout=15000
    )
    return page


def teammate(stack: Any, role: str = "agent") -> tuple[str, str, str]:
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    token = stack.manage(
        "add_agent",
        username,
        "--business",
        stack.business_apple_id,
        "--role",
        role,
        "--password",
        "pw-" + username,
        "--token",
    ).strip()
    return username, "pw-" + username, token


def api(
    stack: Any, token: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    return httpx.request(
        method,
        f"{stack.base_url}{path}",
        headers={"Authorization": f"Token {token}"},
        timeout=10,
        **kwargs,
    )


def business_id(stack: Any) -> int:
    rows = api(stack, stack.agent_token, "GET", "/api/v1/businesses/").json()["results"]
    return next(b["id"] for b in rows if b["apple_id"] == stack.business_apple_id)


def test_naming_a_customer_and_labelling_live_across_consoles(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    marker = uuid.uuid4().hex[:6]
    _, _, admin_token = teammate(live_stack, "admin")
    vip = api(
        live_stack,
        admin_token,
        "POST",
        "/api/v1/labels/",
        json={
            "business": business_id(live_stack),
            "name": f"vip-{marker}",
            "color": "#d93025",
        },
    ).json()
    other = api(
        live_stack,
        admin_token,
        "POST",
        "/api/v1/labels/",
        json={
            "business": business_id(live_stack),
            "name": f"billing-{marker}",
            "color": "#188038",
        },
    ).json()
    bob, bob_password, _ = teammate(live_stack)
    alice = sign_in(
        browser,
        live_stack,
        live_stack.agent_username,
        live_stack.agent_password,
        errors,
    )
    second = sign_in(browser, live_stack, bob, bob_password, errors)
    customer = customer_writes(browser, live_stack, f"Hello, order {marker} please")

    row = alice.locator("#inbox-list .row", has_text=marker)
    expect(row).to_be_visible(timeout=15000)
    row.locator("a").click()
    alice.wait_for_url("**/console/c/*/")
    conversation_id = int(alice.url.rstrip("/").rsplit("/", 1)[1])

    # Alice names the customer on the profile; Bob's inbox shows the name live.
    alice.locator("#conversation-title a").click()
    alice.wait_for_url("**/console/customers/*/")
    alice.get_by_label("Name", exact=True).fill(f"Jane {marker}")
    alice.get_by_label("E-mail").fill("jane@example.com")
    alice.get_by_label("Phone").fill("+1 555 0100")
    alice.get_by_label("Notes").fill("Prefers mornings")
    alice.locator("#id_attributes").fill("plan: gold")
    alice.get_by_role("button", name="Save profile").click()
    expect(alice.get_by_role("heading", name=f"Jane {marker}")).to_be_visible()
    expect(alice.locator("#profile-conversations")).to_contain_text("Open")
    bob_row = second.locator(f'#inbox-list [data-conversation="{conversation_id}"]')
    expect(bob_row.locator(".customer")).to_have_text(f"Jane {marker}", timeout=15000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(SCREENSHOTS / "customer-profile.png"), full_page=True)

    # Alice labels the conversation; Bob sees the chip live, and filters by it.
    alice.goto(f"{live_stack.base_url}/console/c/{conversation_id}/")
    expect(alice.locator("#conversation-title")).to_have_text(f"Jane {marker}")
    alice.get_by_label("Add a label").select_option(label=f"vip-{marker}")
    expect(alice.locator("#conversation-labels")).to_contain_text(f"vip-{marker}")
    expect(bob_row.locator(".chip.label")).to_have_text(f"vip-{marker}", timeout=15000)
    # Its colour comes from the label (painted without inline styles in the HTML).
    assert (
        bob_row.locator(".chip.label").evaluate(
            "el => getComputedStyle(el).backgroundColor"
        )
        == "rgb(217, 48, 37)"
    )
    # Filters apply as they change, and the address keeps them.
    second.locator('.filters select[name="label"]').select_option(label=f"vip-{marker}")
    expect(second).to_have_url(re.compile(rf"label={vip['id']}"))
    expect(
        second.locator(f'#inbox-list [data-conversation="{conversation_id}"]')
    ).to_be_visible()
    second.locator('.filters select[name="label"]').select_option(
        label=f"billing-{marker}"
    )
    expect(second.locator("#inbox-list")).to_contain_text("No conversations match.")
    second.goto(f"{live_stack.base_url}/console/?label={vip['id']}")
    expect(second.locator("#connection")).to_have_text("Live")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    second.screenshot(path=str(SCREENSHOTS / "inbox-labels-and-names.png"))

    # Removing it from the conversation page takes it off everywhere.
    alice.get_by_role("button", name=f"Remove label vip-{marker}").click()
    expect(alice.locator("#conversation-labels")).not_to_contain_text(f"vip-{marker}")
    state = api(
        live_stack,
        live_stack.agent_token,
        "GET",
        f"/api/v1/conversations/{conversation_id}/",
    ).json()
    assert state["labels"] == [] or all(
        label["id"] != vip["id"] for label in state["labels"]
    )
    assert other["id"] != vip["id"]

    assert errors == []
    for page in (alice, second, customer):
        page.context.close()


def test_slash_code_expands_a_canned_reply_with_the_customers_name(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    marker = uuid.uuid4().hex[:6]
    token = live_stack.agent_token
    business = business_id(live_stack)
    created = api(
        live_stack,
        token,
        "POST",
        "/api/v1/canned-replies/",
        json={
            "business": business,
            "short_code": f"greet{marker}",
            "title": "Greeting",
            "body": "Hi {{customer.name}}, {{agent.name}} here. How can I help?",
        },
    )
    assert created.status_code == 201, created.text
    api(
        live_stack,
        token,
        "POST",
        "/api/v1/canned-replies/",
        json={
            "business": business,
            "short_code": f"bye{marker}",
            "body": "Bye {{customer.name}}!",
        },
    )
    customer = customer_writes(browser, live_stack, f"Question {marker}")
    agent = sign_in(
        browser,
        live_stack,
        live_stack.agent_username,
        live_stack.agent_password,
        errors,
    )
    row = agent.locator("#inbox-list .row", has_text=marker)
    expect(row).to_be_visible(timeout=15000)
    row.locator("a").click()
    agent.wait_for_url("**/console/c/*/")
    conversation_id = int(agent.url.rstrip("/").rsplit("/", 1)[1])
    state = api(
        live_stack, token, "GET", f"/api/v1/conversations/{conversation_id}/"
    ).json()
    renamed = api(
        live_stack,
        token,
        "PATCH",
        f"/api/v1/customers/{state['customer']['id']}/",
        json={"name": f"Robin {marker}"},
    )
    assert renamed.status_code == 200
    # The header follows the new name live.
    expect(agent.locator("#conversation-title")).to_have_text(
        f"Robin {marker}", timeout=15000
    )

    composer = agent.locator("#composer-text")
    composer.click()
    composer.press_sequentially(f"/greet{marker[:2]}", delay=30)
    menu = agent.locator("#canned-options")
    expect(menu.get_by_role("option", name=f"/greet{marker}")).to_be_visible()
    expect(menu.get_by_role("option", name=f"/bye{marker}")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    agent.screenshot(path=str(SCREENSHOTS / "canned-reply-picker.png"))
    composer.press("Enter")
    expected = f"Hi Robin {marker}, {live_stack.agent_username} here. How can I help?"
    expect(composer).to_have_value(expected)
    composer.press("Control+Enter")
    expect(
        customer.locator(".row.business .bubble", has_text=f"Hi Robin {marker}")
    ).to_be_visible(timeout=20000)

    # The picker button finds it by its text too.
    agent.get_by_role("button", name="Canned replies").click()
    agent.locator("#canned-search").fill("bye")
    agent.locator("#canned-options").get_by_role("option", name=f"/bye{marker}").click()
    expect(composer).to_have_value(f"Bye Robin {marker}!")

    assert errors == []
    agent.context.close()
    customer.context.close()


def customer_with_intent(browser: Browser, stack: Any, intent: str, text: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{stack.sandbox_url}/sandbox/")
    page.select_option("#business", stack.business_apple_id)
    page.select_option("#device", "iphone")
    page.fill("#intent", intent)
    page.click("#start")
    expect(page.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    page.fill("#message-input", text)
    page.click("#send-button")
    expect(page.locator(".row.customer .status").last).to_have_text(
        "Delivered", timeout=15000
    )
    return page


def test_online_agents_receive_new_conversations_in_turn_and_an_away_agent_none(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    marker = uuid.uuid4().hex[:6]
    intent = f"rr-{marker}"
    agents = [teammate(live_stack) for _ in range(3)]
    names = [name for name, _, _ in agents]
    live_stack.manage(
        "shell",
        "-c",
        "from conversations.models import Business, Membership;"
        "from businesses import services;"
        "from django.contrib.auth import get_user_model;"
        f"b = Business.objects.get(apple_id='{live_stack.business_apple_id}');"
        f"ids = list(get_user_model().objects.filter(username__in={names!r}).values_list('pk', flat=True));"
        f"team = services.team_save(business=b, name='RR {marker}', member_ids=ids, assign_cap=5);"
        f"services.routing_rule_create(business=b, name='RR {marker}', position=1,"
        f" match_intent='{intent}', team=team, auto_assign=True)",
    )
    pages = [
        sign_in(browser, live_stack, name, password, errors)
        for name, password, _ in agents
    ]
    # The first agent watches everyone's conversations, not only their own.
    pages[0].goto(f"{live_stack.base_url}/console/?assignee=all")
    # The third agent steps away: routing passes them over.
    pages[2].get_by_label("My availability").select_option("away")
    away_token = agents[2][2]
    wait_for_status = httpx.get(
        f"{live_stack.base_url}/api/v1/me/availability/",
        headers={"Authorization": f"Token {away_token}"},
        timeout=10,
    )
    deadline = 0
    while wait_for_status.json()["status"] != "away" and deadline < 50:
        deadline += 1
        pages[2].wait_for_timeout(200)
        wait_for_status = httpx.get(
            f"{live_stack.base_url}/api/v1/me/availability/",
            headers={"Authorization": f"Token {away_token}"},
            timeout=10,
        )
    assert wait_for_status.json()["status"] == "away"

    owners = []
    customers = []
    for n in range(4):
        text = f"Turn {n} {marker}"
        customers.append(customer_with_intent(browser, live_stack, intent, text))
        # Each lands with its owner before the next one starts.
        row = pages[0].locator("#inbox-list .row", has_text=text)
        expect(row).to_be_visible(timeout=15000)
        expect(row).not_to_contain_text("Unassigned", timeout=15000)
        owners.append(
            next(
                name for name in names if name in row.locator(".row-meta").inner_text()
            )
        )
    assert owners == [names[0], names[1], names[0], names[1]]
    # "My teams" shows them to a member; the away agent's inbox shows none of theirs.
    pages[1].goto(f"{live_stack.base_url}/console/?scope=my_teams&assignee=me")
    expect(pages[1].locator("#inbox-list .row", has_text=marker)).to_have_count(2)
    pages[2].goto(f"{live_stack.base_url}/console/?assignee=me")
    expect(pages[2].locator("#inbox-list")).to_contain_text("No conversations match.")

    # Closing every tab of an online agent makes them away: they get no more.
    pages[0].context.close()
    text = f"Turn 4 {marker}"
    customers.append(customer_with_intent(browser, live_stack, intent, text))
    row = pages[1].locator("#inbox-list .row", has_text=text)
    pages[1].goto(f"{live_stack.base_url}/console/")
    expect(row).to_be_visible(timeout=15000)
    expect(row.locator(".row-meta")).to_contain_text(names[1], timeout=15000)

    assert errors == []
    for page in [*pages[1:], *customers]:
        page.context.close()


def test_bulk_resolve_and_the_unread_count_in_the_tab_title(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    marker = uuid.uuid4().hex[:6]
    agent = sign_in(
        browser,
        live_stack,
        live_stack.agent_username,
        live_stack.agent_password,
        errors,
    )
    customers = [
        customer_writes(browser, live_stack, f"Bulk {n} {marker}") for n in range(2)
    ]
    rows = agent.locator("#inbox-list .row", has_text=marker)
    expect(rows).to_have_count(2, timeout=15000)
    # Unread messages count in the title (the page's rows), live.
    expect(agent).to_have_title(re.compile(r"^\(\d+\) Inbox"), timeout=15000)

    for n in range(2):
        rows.nth(n).locator(".row-select").check()
    expect(agent.locator("#bulk-count")).to_have_text("2 selected")
    ids = [int(rows.nth(n).get_attribute("data-conversation") or 0) for n in range(2)]
    agent.get_by_role("button", name="Resolve").click()
    # The default view holds open conversations: resolved ones leave it.
    expect(rows).to_have_count(0, timeout=15000)
    expect(agent.locator("#bulk-bar")).to_be_hidden()
    for conversation_id in ids:
        state = api(
            live_stack,
            live_stack.agent_token,
            "GET",
            f"/api/v1/conversations/{conversation_id}/",
        ).json()
        assert state["status"] == "resolved"

    agent.get_by_role("button", name="Mark all read").click()
    expect(agent).to_have_title("Inbox · MSP console", timeout=15000)
    expect(agent.locator("#inbox-list .unread-badge")).to_have_count(0)

    assert errors == []
    agent.context.close()
    for page in customers:
        page.context.close()


def test_spanish_console_and_dark_mode(live_stack: Any, browser: Browser) -> None:
    errors: list[str] = []
    # An admin: the library studio is theirs, and it is in Spanish too.
    name, password, _ = teammate(live_stack, "admin")
    page = sign_in(browser, live_stack, name, password, errors)
    customer = customer_writes(browser, live_stack, f"Hola {name}")

    # Spanish, chosen by the agent: the page and the JS strings switch.
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("link", name="Bandeja de entrada")).to_be_visible(
        timeout=15000
    )
    expect(page.locator("#connection")).to_have_text("En directo", timeout=15000)
    expect(page.get_by_role("button", name="Marcar todo como leído")).to_be_visible()
    page.locator("#inbox-list .row", has_text=f"Hola {name}").locator("a").click()
    page.wait_for_url("**/console/c/*/")
    expect(page.get_by_label("Mensaje para el cliente")).to_be_visible()
    expect(page.locator("#send-button")).to_have_text("Enviar")
    page.get_by_label("Nota privada", exact=True).check()
    expect(page.locator("#send-button")).to_have_text("Añadir nota")

    # Dark mode: the toggle, kept per browser.
    background = "el => getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_have_text("Tema: sistema")
    toggle.click()
    expect(toggle).to_have_text("Tema: claro")
    toggle.click()
    expect(toggle).to_have_text("Tema: oscuro")
    assert page.evaluate(background) == "rgb(17, 17, 19)" != light
    page.reload()
    assert page.evaluate(background) == "rgb(17, 17, 19)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dark-mode-spanish.png"))

    # A browser whose system setting is dark gets dark without a toggle.
    context = browser.new_context(color_scheme="dark")
    system = context.new_page()
    system.goto(f"{live_stack.base_url}/accounts/login/")
    system.get_by_label("Username").fill(live_stack.agent_username)
    system.get_by_label("Password").fill(live_stack.agent_password)
    system.get_by_role("button", name="Sign in").click()
    system.wait_for_url(f"{live_stack.base_url}/console/")
    assert system.evaluate(background) == "rgb(17, 17, 19)"
    # …and English stays the other agent's language.
    expect(system.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    system.screenshot(path=str(SCREENSHOTS / "dark-mode.png"))

    # Reports: the page, and the chart its script draws from the table.
    page.get_by_role("link", name="Informes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Informes")
    expect(
        page.get_by_role("heading", name="Abiertas y resueltas por día")
    ).to_be_visible()
    expect(page.locator("figure[data-chart-table=per-day] svg")).to_contain_text(
        "Resueltas"
    )
    expect(page.get_by_role("button", name="Mostrar")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "reports-spanish.png"), full_page=True)

    # The studio: the page, the form its scripts build and the preview.
    page.get_by_role("link", name="Biblioteca").first.click()
    page.get_by_role("link", name="Nuevo objeto").click()
    page.get_by_role("link", name="Selector de lista", exact=True).click()
    expect(page.locator("#studio-fields legend").first).to_have_text(
        "Burbuja que recibe el cliente"
    )
    expect(page.get_by_role("button", name="Añadir sección")).to_be_visible()
    expect(page.get_by_role("tab", name="Formulario")).to_be_visible()
    expect(page.locator("#rich-preview-meta")).to_contain_text("bytes")
    page.get_by_label("Mac, Watch o iPhone antiguo (texto)").check()
    expect(page.locator("#rich-preview .rp-caption")).to_have_text(
        "Este dispositivo recibe la alternativa en texto:"
    )
    expect(page.locator('[data-path="sections[0]"] .sf-item-title').first).to_have_text(
        "Sección 1"
    )
    page.screenshot(path=str(SCREENSHOTS / "studio-spanish.png"), full_page=True)

    assert errors == []
    for p in (page, customer, system):
        p.context.close()

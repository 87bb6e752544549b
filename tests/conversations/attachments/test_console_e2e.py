"""Attachments in the browser: an agent attaches files in the console and the
sandbox customer sees them; a customer's photo shows inline in the console.

Debian's Chromium against the live stack (Daphne, Celery, PostgreSQL, Redis)
with the sandbox as Apple, so every file crosses real MMCS crypto both ways.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

# No django_db: everything goes through the live stack, and Playwright holds an event loop.
pytestmark = pytest.mark.e2e

SCREENSHOTS = Path("build/screenshots")


def png(color: tuple[int, int, int], size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def wait_for(predicate: Callable[[], Any], seconds: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not in time: {what}")


def open_customer(browser: Browser, stack: Any) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{stack.base_url}/sandbox/")
    page.select_option("#business", stack.business_apple_id)
    page.select_option("#device", "iphone")
    page.fill("#display_name", "Files")
    page.click("#start")
    expect(page.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    return page


def conversation_for(stack: Any, customer: Page) -> int:
    opaque_id = customer.locator(".identity").inner_text().strip()
    headers = {"Authorization": f"Token {stack.agent_token}"}

    def find() -> int | None:
        answer = httpx.get(
            f"{stack.base_url}/api/v1/conversations/",
            params={"limit": 200},
            headers=headers,
            timeout=10,
        ).json()
        return next(
            (
                c["id"]
                for c in answer["results"]
                if c["customer"]["apple_id"] == opaque_id
            ),
            None,
        )

    return wait_for(find, 20, "conversation")


def open_console(
    browser: Browser, stack: Any, conversation: int, errors: list[str]
) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack.base_url}/accounts/login/")
    page.get_by_label("Username").fill(stack.agent_username)
    page.get_by_label("Password").fill(stack.agent_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/console/")
    page.goto(f"{stack.base_url}/console/c/{conversation}/")
    expect(page.locator("#connection")).to_have_text("Live", timeout=15000)
    return page


def image_loaded(page: Page, selector: str) -> bool:
    return page.eval_on_selector(
        selector, "img => img.complete && img.naturalWidth > 0"
    )


def test_agent_attaches_files_and_the_customer_sees_them(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    customer = open_customer(browser, live_stack)
    customer.fill("#message-input", "Can you send me the receipt?")
    customer.click("#send-button")
    expect(customer.locator(".row.customer .status").last).to_have_text(
        "Delivered", timeout=15000
    )
    console = open_console(
        browser, live_stack, conversation_for(live_stack, customer), errors
    )

    # One file by the picker, one dropped onto the conversation.
    console.set_input_files(
        "#attach-input",
        files=[
            {"name": "bike.png", "mimeType": "image/png", "buffer": png((20, 120, 220))}
        ],
    )
    pdf = base64.b64encode(b"%PDF-1.4\n% receipt\n" + b"0" * 4096).decode()
    console.evaluate(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "receipt.pdf", { type: "application/pdf" }));
            const pane = document.querySelector(".conversation");
            pane.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        pdf,
    )
    expect(console.locator(".attachment-chip")).to_have_count(2)
    expect(console.locator("#send-button")).to_have_text("Send 2 files")
    console.fill("#composer-text", "Here you go 🧾")
    console.click("#send-button")

    sent = console.locator("#timeline .msg-out").last
    expect(sent.locator(".bubble")).to_have_text("Here you go 🧾", timeout=15000)
    expect(sent.locator(".attachment")).to_have_count(2)
    expect(sent.locator(".state")).to_have_text("Sent to Apple", timeout=30000)
    expect(sent.locator(".attachment-image")).to_be_visible()
    wait_for(
        lambda: image_loaded(console, "#timeline .msg-out .attachment-image"),
        15,
        "thumbnail",
    )
    expect(sent.locator(".attachment-link", has_text="receipt.pdf")).to_be_visible()
    expect(console.locator("#attachment-tray")).to_be_hidden()

    # The customer's phone shows the photo (decrypted from MMCS) and the PDF.
    bubble = customer.locator(".row.business").last
    expect(bubble).to_contain_text("Here you go 🧾", timeout=15000)
    expect(bubble.locator("img.attachment-img")).to_be_visible()
    wait_for(
        lambda: image_loaded(customer, ".row.business img.attachment-img"),
        15,
        "photo on the phone",
    )
    expect(bubble.locator("a", has_text="receipt.pdf")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOTS / "attachments-console.png"))
    customer.screenshot(path=str(SCREENSHOTS / "attachments-customer.png"))
    assert not errors, errors


def test_customer_photo_shows_inline_in_the_console(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    customer = open_customer(browser, live_stack)
    customer.fill("#message-input", "Here is the scratch")
    customer.click("#send-button")
    expect(customer.locator(".row.customer .status").last).to_have_text(
        "Delivered", timeout=15000
    )
    console = open_console(
        browser, live_stack, conversation_for(live_stack, customer), errors
    )

    customer.set_input_files(
        "#attach-input",
        files=[
            {
                "name": "scratch.png",
                "mimeType": "image/png",
                "buffer": png((200, 40, 40), (3000, 2000)),
            }
        ],
    )
    received = console.locator("#timeline .msg-in").last
    image = received.locator(".attachment-image")
    expect(image).to_be_visible(timeout=30000)
    wait_for(
        lambda: image_loaded(console, "#timeline .msg-in .attachment-image"),
        15,
        "thumbnail",
    )
    # The thumbnail, not the 3000 px original, is what the timeline loads.
    assert "/thumbnail/" in image.get_attribute("src")
    size = console.eval_on_selector(
        "#timeline .msg-in .attachment-image", "img => img.naturalWidth"
    )
    assert size <= 480
    expect(received.locator(".attachment-link")).to_have_text("📎 scratch.png")
    expect(received.locator(".attachment-meta")).to_contain_text("image/png")
    assert not errors, errors


def test_refused_file_shows_the_servers_reason(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    customer = open_customer(browser, live_stack)
    customer.fill("#message-input", "hello")
    customer.click("#send-button")
    expect(customer.locator(".row.customer .status").last).to_have_text(
        "Delivered", timeout=15000
    )
    console = open_console(
        browser, live_stack, conversation_for(live_stack, customer), errors
    )
    console.set_input_files(
        "#attach-input",
        files=[
            {
                "name": "setup.pdf",
                "mimeType": "application/pdf",
                "buffer": b"MZ" + bytes(300),
            }
        ],
    )
    console.click("#send-button")
    expect(console.locator("#toast")).to_contain_text("does not send", timeout=10000)
    assert not errors, errors

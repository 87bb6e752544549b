"""Issue 18 in Chromium against Daphne, a Celery worker, PostgreSQL and Redis:
TOTP enrolment and sign-in, a business requiring it, the audit log, erasing and
exporting a customer (checked on the storage and in the database), and an
invitation accepted from the server's e-mail outbox."""

from __future__ import annotations

import base64
import email
import hashlib
import json
import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, Page, expect

from tests.live import LiveStack
from tests.live import live_stack as start_live_stack

pytestmark = pytest.mark.e2e

PASSWORD = "trust-e2e-password"
SCREENSHOTS = Path("build/screenshots")
# The seed script builds the same bytes in the server's process.
PHOTO = bytes(range(256)) * 257 + b"the end"

SEED = """
from django.core.files.base import ContentFile
from conversations.models import Attachment, Business, Conversation, Customer, Message
import json, uuid
business = Business.objects.get(apple_id={apple_id!r})
customer = Customer.objects.create(business=business, apple_id="urn:mbid:" + uuid.uuid4().hex, display_name={name!r})
conversation = Conversation.objects.create(business=business, customer=customer)
Message.objects.create(conversation=conversation, direction="in", body="hello from " + {name!r}, status="received")
message = Message.objects.create(conversation=conversation, direction="in", kind="attachment", status="received")
attachment = Attachment(message=message, name="receipt.bin", mime_type="application/octet-stream", size=65799, status="stored")
attachment.file.save("x", ContentFile(bytes(range(256)) * 257 + b"the end"), save=False)
attachment.thumbnail.save("y", ContentFile(b"thumbnail"), save=False)
attachment.save()
print(json.dumps({{"customer": customer.pk, "conversation": conversation.pk, "files": [attachment.file.name, attachment.thumbnail.name]}}))
"""


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trust-media")


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server's e-mail goes: Django's file backend, one file per send."""
    return tmp_path_factory.mktemp("trust-outbox")


@pytest.fixture(scope="module")
def stack(media: Path, outbox: Path) -> Iterator[LiveStack]:
    with start_live_stack(
        name="trust",
        worker_concurrency=2,
        extra_env={
            "MEDIA_ROOT": str(media),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
        },
    ) as live:
        for username, role in (("boss", "admin"), ("tina", "agent"), ("mike", "agent")):
            live.manage(
                "add_agent",
                username,
                "--business",
                live.business_apple_id,
                "--role",
                role,
                "--password",
                PASSWORD,
            )
        yield live


def sql(stack: LiveStack, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        return conn.execute(query, args).fetchall()


def seed_customer(stack: LiveStack, name: str) -> dict[str, Any]:
    out = stack.manage(
        "shell",
        "-c",
        SEED.format(
            apple_id=stack.business_apple_id,
            name=name,
        ),
    )
    return json.loads(out.splitlines()[-1])


def business_id(stack: LiveStack) -> int:
    return sql(
        stack,
        "select id from conversations_business where apple_id = %s",
        stack.business_apple_id,
    )[0][0]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    yield context.new_page()
    context.close()


def sign_in(page: Page, stack: LiveStack, username: str) -> None:
    page.goto(f"{stack.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def code_for(secret: str, steps_ahead: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    generator = TOTP(key, step=30, t0=0, digits=6)
    generator.time = time.time() + 30 * steps_ahead
    return f"{generator.token():06d}"


def test_enrol_totp_then_sign_in_with_it(
    stack: LiveStack, page: Page, browser: Browser
) -> None:
    sign_in(page, stack, "tina")
    page.goto(f"{stack.base_url}/accounts/2fa/setup/")
    expect(page.locator("#totp-qr")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_token", code_for(secret))
    page.click("text=Turn on")
    expect(page.locator("#recovery-codes li")).to_have_count(10)

    other = browser.new_context().new_page()
    sign_in(other, stack, "tina")
    expect(other).to_have_url(f"{stack.base_url}/accounts/2fa/verify/?next=/console/")
    other.goto(f"{stack.base_url}/console/")
    expect(other).to_have_url(f"{stack.base_url}/accounts/login/?next=/console/")
    sign_in(other, stack, "tina")
    other.fill("#id_token", code_for(secret, 1))
    other.click("text=Verify")
    expect(other).to_have_url(f"{stack.base_url}/console/")
    expect(other.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    other.context.close()


def test_audit_log_shows_an_assignment_and_a_settings_change(
    stack: LiveStack, page: Page
) -> None:
    seeded = seed_customer(stack, "Audit Ann")
    mike = sql(stack, "select id from auth_user where username = 'mike'")[0][0]
    response = httpx.post(
        f"{stack.base_url}/api/v1/conversations/{seeded['conversation']}/assign/",
        json={"assigned_agent": mike},
        headers={"Authorization": f"Token {stack.agent_token}"},
    )
    assert response.status_code == 200
    bid = business_id(stack)
    sign_in(page, stack, "boss")
    page.goto(f"{stack.base_url}/console/businesses/{bid}/settings/")
    page.fill("#id_display_name", "Audited Bikes")
    page.click("#save-settings")
    page.goto(f"{stack.base_url}/console/businesses/{bid}/audit/")
    assigned = page.locator('tr[data-action="conversation.assigned"]').first
    expect(assigned).to_contain_text("e2e-agent")
    expect(assigned).to_contain_text("mike")
    settings_row = page.locator('tr[data-action^="channelsettings."]').first
    expect(settings_row).to_contain_text("boss")
    expect(settings_row).to_contain_text("Audited Bikes")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert "conversation.assigned" in Path(download.value.path()).read_text()


def test_export_zip_holds_the_attachments_byte_exact(
    stack: LiveStack, page: Page
) -> None:
    seeded = seed_customer(stack, "Export Eve")
    sign_in(page, stack, "boss")
    page.goto(f"{stack.base_url}/console/businesses/{business_id(stack)}/customers/")
    page.locator(f'tr[data-customer="{seeded["customer"]}"]').locator(
        "text=Export ZIP"
    ).click()
    link = page.locator("#data-requests a", has_text="Download ZIP").first
    expect(link).to_be_visible(timeout=30000)
    with page.expect_download() as download:
        link.click()
    archive = zipfile.ZipFile(download.value.path())
    files = [n for n in archive.namelist() if n.startswith("attachments/")]
    assert len(files) == 1
    assert (
        hashlib.sha256(archive.read(files[0])).digest()
        == hashlib.sha256(PHOTO).digest()
    )
    assert "hello from Export Eve" in archive.read("messages.json").decode()


def test_erasing_a_customer_leaves_no_row_and_no_file(
    stack: LiveStack, page: Page, media: Path
) -> None:
    seeded = seed_customer(stack, "Erase Ed")
    assert all((media / name).exists() for name in seeded["files"])
    sign_in(page, stack, "boss")
    page.goto(f"{stack.base_url}/console/businesses/{business_id(stack)}/customers/")
    row = page.locator(f'tr[data-customer="{seeded["customer"]}"]')
    row.locator("input[name=confirm]").check()
    row.get_by_role("button", name="Erase").click()
    expect(
        page.locator('#data-requests tr[data-status="done"]', has_text="Erase Ed")
    ).to_be_visible(timeout=30000)
    assert not any((media / name).exists() for name in seeded["files"])
    assert sql(
        stack,
        "select count(*) from conversations_customer where id = %s",
        seeded["customer"],
    ) == [(0,)]
    assert sql(
        stack,
        "select count(*) from conversations_conversation where id = %s",
        seeded["conversation"],
    ) == [(0,)]
    assert sql(
        stack,
        "select count(*) from conversations_message where body like %s",
        "%Erase Ed%",
    ) == [(0,)]
    assert sql(
        stack,
        "select count(*) from trust_auditentry where action = 'customer.erased' and target_id = %s",
        str(seeded["customer"]),
    ) == [(1,)]
    expect(page.locator(f'tr[data-customer="{seeded["customer"]}"]')).to_have_count(0)


def mail_to(outbox: Path, address: str, seconds: float = 15) -> email.message.Message:
    """The one message the server sent to ``address`` (it sends after commit)."""
    deadline = time.monotonic() + seconds
    while True:
        found = []
        for path in sorted(outbox.glob("*.log")):
            # The file backend separates messages with a line of 79 dashes.
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if raw.strip():
                    message = email.message_from_bytes(raw.lstrip())
                    if message["To"] == address:
                        found.append(message)
        if found or time.monotonic() > deadline:
            assert len(found) == 1, f"{len(found)} messages to {address}"
            return found[0]
        time.sleep(0.2)


def test_an_invitation_accepted_from_the_e_mail_outbox(
    stack: LiveStack, page: Page, browser: Browser, outbox: Path
) -> None:
    # Before the business requires a second factor (the last test turns it on).
    bid = business_id(stack)
    seeded = seed_customer(stack, "Invited Ivy")
    address = f"nina-{uuid.uuid4().hex[:8]}@example.com"
    sign_in(page, stack, "boss")
    page.goto(f"{stack.base_url}/console/businesses/{bid}/agents/")
    page.fill("#id_invitee", address)
    page.select_option("#id_role", "agent")
    page.locator("form.add-agent button[type=submit]").click()
    on_screen = page.locator("#invite-url")
    expect(on_screen).to_be_visible()
    expect(page.locator("table.invitations")).to_contain_text(address)

    message = mail_to(outbox, address)
    assert "Join " in message["Subject"]
    body = message.get_payload(decode=True).decode()
    [link] = re.findall(r"https?://\S+/console/invitations/\S+/", body)
    assert link == on_screen.input_value()

    # The invitee, with no account and nobody signed in, in a browser of their own.
    invitee = browser.new_context().new_page()
    invitee.goto(link)
    expect(invitee.locator("h1")).to_contain_text("Join")
    invitee.click("text=create an account")
    invitee.fill("#id_username", "nina")
    invitee.fill("#id_password1", PASSWORD)
    invitee.fill("#id_password2", PASSWORD)
    invitee.click("#signup-button")
    expect(invitee.locator("form")).to_contain_text("signed in as nina")
    invitee.click("text=Accept and join")
    expect(invitee).to_have_url(f"{stack.base_url}/console/?business={bid}")
    expect(invitee.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    assert sql(
        stack,
        "select m.role from conversations_membership m join auth_user u"
        " on u.id = m.user_id where u.username = 'nina' and m.business_id = %s",
        bid,
    ) == [("agent",)]
    # The link worked once.
    invitee.goto(link)
    expect(invitee.locator("p.errors")).to_contain_text("not valid any more")
    invitee.context.close()

    # Signing in afresh with the password set through the link opens the console.
    again = browser.new_context().new_page()
    again.goto(f"{stack.base_url}/accounts/login/")
    again.fill("#id_username", "nina")
    again.fill("#id_password", PASSWORD)
    again.click("button[type=submit]")
    expect(again).to_have_url(f"{stack.base_url}/console/")
    expect(again.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    # With the business's conversations in it.
    expect(
        again.locator(f'[data-conversation="{seeded["conversation"]}"]')
    ).to_contain_text("Invited Ivy")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    again.screenshot(path=str(SCREENSHOTS / "trust-invited-agent-console.png"))
    again.context.close()
    # The admin's team page now lists her, and no invitation is pending for her.
    page.goto(f"{stack.base_url}/console/businesses/{bid}/agents/")
    expect(page.locator("table.team").first).to_contain_text("nina")
    expect(page.locator("section.page")).not_to_contain_text(address)


def test_a_requiring_business_sends_a_member_to_enrolment(
    stack: LiveStack, page: Page, browser: Browser
) -> None:
    sign_in(page, stack, "boss")
    page.goto(f"{stack.base_url}/console/businesses/{business_id(stack)}/security/")
    page.check("#require_second_factor")
    page.click("text=Save")
    expect(page.locator("#require_second_factor")).to_be_checked()
    member = browser.new_context().new_page()
    sign_in(member, stack, "mike")
    expect(member).to_have_url(f"{stack.base_url}/accounts/2fa/setup/")
    expect(member.locator("p.errors")).to_contain_text("requires a second factor")
    member.goto(f"{stack.base_url}/console/reports/")
    expect(member).to_have_url(f"{stack.base_url}/accounts/2fa/setup/")
    member.context.close()

"""The admin's live bubble preview in a real browser against the live stack."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

BOSS = ("boss", "boss-password")

# add_agent makes admins staff, not superusers: the library's model permissions
# are what a business admin is given to curate it.
GRANT = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
user = get_user_model().objects.get(username={username!r})
user.user_permissions.add(*Permission.objects.filter(content_type__app_label="richobjects"))
"""

SEED = """
from conversations.models import Business
from richobjects import services
from richobjects.models import RichObject
business = Business.objects.get(apple_id={business!r})
found = RichObject.objects.filter(business=business, name="Admin preview").first()
if found is None:
    found = services.rich_object_create(
        business=business, name="Admin preview", kind="quick_reply",
        spec={{"summary": "Which size?", "items": ["Small", "Large"]}},
    )
print(found.id)
"""


@pytest.fixture(scope="module")
def boss(live_stack: Any) -> tuple[str, str]:
    live_stack.manage(
        "add_agent",
        BOSS[0],
        "--business",
        live_stack.business_apple_id,
        "--role",
        "admin",
        "--password",
        BOSS[1],
    )
    live_stack.manage("shell", "-c", GRANT.format(username=BOSS[0]))
    return BOSS


def admin_login(browser: Browser, stack: Any, username: str, password: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{stack.base_url}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()
    return page


def test_admin_sees_the_bubble_update_and_the_rule_it_breaks(
    live_stack: Any,
    browser: Browser,
    boss: tuple[str, str],
) -> None:
    object_id = int(
        live_stack.manage(
            "shell", "-c", SEED.format(business=live_stack.business_apple_id)
        )
        .strip()
        .splitlines()[-1]
    )
    page = admin_login(browser, live_stack, *boss)
    page.goto(f"{live_stack.base_url}/admin/richobjects/richobject/{object_id}/change/")

    preview = page.locator("#rich-preview")
    expect(preview.locator(".rp-received .rp-title")).to_have_text("Which size?")
    expect(preview.locator(".rp-chip")).to_have_text(["Small", "Large"])

    # Editing the title in the spec redraws the bubble without saving.
    page.fill(
        "#id_spec",
        json.dumps(
            {
                "summary": "Which size?",
                "items": ["Small", "Large"],
                "received": {"title": "Pick your size", "subtitle": "Tap one"},
            },
            indent=2,
        ),
    )
    expect(preview.locator(".rp-received .rp-title")).to_have_text("Pick your size")
    expect(preview.locator(".rp-received .rp-subtitle")).to_have_text("Tap one")
    expect(page.locator("#rich-preview-errors")).to_be_hidden()

    # One item breaks Apple's rule: the error names the field and the rule.
    page.fill("#id_spec", json.dumps({"summary": "Which size?", "items": ["Small"]}))
    errors = page.locator("#rich-preview-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("items: a quick reply needs 2 to 5 items (got 1)")
    expect(errors.locator(".rp-field")).to_have_text(["items"])
    expect(preview).to_have_attribute("data-state", "invalid")

    # Broken JSON is named too, not a blank panel.
    page.fill("#id_spec", '{"summary": ')
    expect(errors).to_contain_text("spec: is not valid JSON")

    # Fixed again, the preview comes back; saving keeps it as a new version.
    page.fill(
        "#id_spec",
        json.dumps({"summary": "Which size?", "items": ["Small", "Medium", "Large"]}),
    )
    expect(preview.locator(".rp-chip")).to_have_text(["Small", "Medium", "Large"])
    expect(errors).to_be_hidden()
    page.screenshot(path="build/rich-admin-preview.png", full_page=True)
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#rich-preview .rp-chip")).to_have_count(3)
    page.context.close()


def test_starter_templates_fill_the_add_form(
    live_stack: Any,
    browser: Browser,
    boss: tuple[str, str],
) -> None:
    page = admin_login(browser, live_stack, *boss)
    page.goto(f"{live_stack.base_url}/admin/richobjects/richobject/")
    page.get_by_role("link", name="New list picker").click()

    expect(page.locator("#id_kind")).to_have_value("list_picker")
    preview = page.locator("#rich-preview")
    expect(preview.locator(".rp-received .rp-title")).to_have_text("Pick a product")
    expect(preview.locator(".rp-item").first).to_contain_text("First product")

    # The buttons in the panel swap in another kind's starter.
    page.locator(".rp-starter", has_text="New time picker").click()
    expect(page.locator("#id_kind")).to_have_value("time_picker")
    expect(preview.locator(".rp-received .rp-title")).to_have_text(
        "Book an appointment"
    )
    # The starter's slots are relative: the next weekday's 10:00 (UTC here).
    expect(preview.locator(".rp-item").first).to_contain_text(
        re.compile(r"(Mon|Tue|Wed|Thu|Fri) \d+ \w+ \d{4}, \d\d:00-\d\d:00 UTC")
    )
    page.context.close()

"""Content-Security-Policy on every HTML page, and every page still working under
it in Chromium: console, team invitations, API tokens, API docs, Django admin
with the rich-object preview, the sandbox customer page (issue 13, items 8, 11, 13)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.richobjects.test_admin_preview_e2e import GRANT, SEED

pytestmark = pytest.mark.e2e

BOSS = ("csp-boss", "csp-boss-password")

# Every securitypolicyviolation the page sees, kept where the test can read it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


class Watched:
    """A browser context whose pages report CSP violations and console errors."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.console: list[str] = []
        self.pages: list[Page] = []
        context.add_init_script(RECORD_VIOLATIONS)

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on(
            "console",
            lambda m: (
                self.console.append(m.text)
                if "Content Security Policy" in m.text or m.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: self.console.append(str(exc)))
        self.pages.append(page)
        return page

    def violations(self, page: Page) -> list[str]:
        return page.evaluate("() => window.__cspViolations || []")

    def assert_clean(self, page: Page) -> None:
        assert self.violations(page) == []
        assert [m for m in self.console if "Content Security Policy" in m] == []


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    yield Watched(context)
    context.close()


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


def sign_in(watched: Watched, stack: Any, username: str, password: str) -> Page:
    page = watched.new_page()
    page.goto(f"{stack.base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/console/")
    return page


def test_every_html_page_carries_the_policy(live_stack: Any) -> None:
    with httpx.Client(base_url=live_stack.base_url, timeout=15) as client:
        for path in ["/accounts/login/", "/landing/signup/", "/api/docs/", "/sandbox/"]:
            response = client.get(path)
            assert response.status_code == 200, path
            policy = response.headers["content-security-policy"]
            directives = {
                name: value
                for name, _, value in (
                    part.strip().partition(" ") for part in policy.split(";")
                )
            }
            assert directives["script-src"] == "'self'", path
            assert "'unsafe-inline'" not in policy
            assert "'unsafe-eval'" not in policy
            assert directives["img-src"] == "'self' data: blob:"
            assert directives["connect-src"].startswith("'self' ws://")


def test_the_policy_is_enforced_and_the_watch_sees_it(
    live_stack: Any, watched: Watched
) -> None:
    """The check below can fail: an inline script is refused and reported."""
    page = watched.new_page()
    page.goto(f"{live_stack.base_url}/accounts/login/")
    watched.assert_clean(page)
    page.evaluate(
        """() => { const s = document.createElement("script");
        s.textContent = "window.__inlineRan = true"; document.body.append(s); }"""
    )
    assert page.evaluate("() => window.__inlineRan === true") is False
    expect_violation = watched.violations(page)
    assert any(v.startswith("script-src") for v in expect_violation)


def test_console_team_invitation_and_tokens_work_under_the_policy(
    live_stack: Any, browser: Browser, watched: Watched, boss: tuple[str, str]
) -> None:
    page = sign_in(watched, live_stack, *boss)
    expect(page.locator("#connection")).to_have_text("Live")
    watched.assert_clean(page)

    # The team page: invite by address; nobody joins yet.
    page.get_by_role("link", name="Team").click()
    page.get_by_label("Username or e-mail address").fill("csp-newbie@example.com")
    page.get_by_role("button", name="Invite").click()
    link = page.locator("#invite-url").input_value()
    assert "/console/invitations/" in link
    expect(page.locator("table.invitations")).to_contain_text("csp-newbie@example.com")
    watched.assert_clean(page)

    # The invitee signs up through the link, then accepts.
    newcomer = Watched(browser.new_context())
    try:
        visit = newcomer.new_page()
        visit.goto(link)
        visit.get_by_role("link", name="create an account").click()
        visit.get_by_label("Username").fill("csp-newbie")
        visit.locator("#id_password1").fill("a-Long-pass-9876")
        visit.locator("#id_password2").fill("a-Long-pass-9876")
        visit.locator("form button[type=submit]").click()
        expect(visit.get_by_role("button", name="Accept and join")).to_be_visible()
        visit.get_by_role("button", name="Accept and join").click()
        expect(visit.locator("#connection")).to_have_text("Live")
        newcomer.assert_clean(visit)
    finally:
        newcomer.context.close()
    page.goto(f"{live_stack.base_url}/console/")
    page.get_by_role("link", name="Team").click()
    expect(page.locator("table.team").first).to_contain_text("csp-newbie")
    expect(page.locator("table.invitations")).to_have_count(0)

    # API tokens: made in the console, shown once, usable at once.
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("CSP check")
    page.get_by_role("button", name="Create").click()
    key = page.locator("#new-token-key").input_value()
    answer = httpx.get(
        f"{live_stack.base_url}/api/v1/businesses/",
        headers={"Authorization": f"Token {key}"},
        timeout=10,
    )
    assert answer.status_code == 200
    expect(page.locator("table.tokens")).to_contain_text("CSP check")
    watched.assert_clean(page)

    # The other console pages: reports and the library studio.
    for link in ("Reports", "Library"):
        page.goto(f"{live_stack.base_url}/console/")
        page.get_by_role("link", name=link).first.click()
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").count() >= 1
        watched.assert_clean(page)
    page.get_by_role("link", name="New", exact=False).first.click()
    page.wait_for_load_state("networkidle")
    watched.assert_clean(page)

    # The API docs: Swagger UI renders with its setup script from a URL.
    page.goto(f"{live_stack.base_url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "MSP console API", timeout=15000
    )
    expect(page.locator(".opblock").first).to_be_visible()
    watched.assert_clean(page)


def test_admin_and_rich_object_preview_work_under_the_policy(
    live_stack: Any, watched: Watched, boss: tuple[str, str]
) -> None:
    object_id = int(
        live_stack.manage(
            "shell", "-c", SEED.format(business=live_stack.business_apple_id)
        )
        .strip()
        .splitlines()[-1]
    )
    page = watched.new_page()
    page.goto(f"{live_stack.base_url}/admin/")
    page.fill("#id_username", boss[0])
    page.fill("#id_password", boss[1])
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()
    watched.assert_clean(page)
    page.goto(f"{live_stack.base_url}/admin/richobjects/richobject/{object_id}/change/")
    preview = page.locator("#rich-preview")
    expect(preview.locator(".rp-chip")).to_have_text(["Small", "Large"])
    watched.assert_clean(page)


def test_sandbox_customer_page_works_under_the_policy(
    live_stack: Any, watched: Watched
) -> None:
    page = watched.new_page()
    page.goto(f"{live_stack.base_url}/sandbox/")
    page.select_option("#business", live_stack.business_apple_id)
    page.select_option("#device", "iphone")
    page.fill("#display_name", "CSP")
    page.click("#start")
    expect(page.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    watched.assert_clean(page)

"""Spanish covers the agent UI: every string people read is marked, every marked
string has its translation, and pages rendered in Spanish show no English the
catalogue knows how to say otherwise.

The static checks read the sources (i18n_scan.py); the rendered check signs an
admin in with Spanish and walks the console's pages.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from django.test import Client
from django.urls import reverse

from conversations.models import Business, Membership
from richobjects import services as library
from tests.factories import ConversationFactory, MembershipFactory, UserFactory

from .i18n_scan import (
    ROOT,
    python_messages,
    script_leftovers,
    script_messages,
    template_leftovers,
    template_messages,
)

LOCALE = ROOT / "locale" / "es" / "LC_MESSAGES"

# The agent UI this catalogue covers. templates/businesses and
# templates/integrations (settings pages) and the sandbox are not in it yet.
TEMPLATE_DIRS = ["console", "insights", "richobjects/library", "trust", "registration"]
TEMPLATES = sorted(
    [
        path
        for folder in TEMPLATE_DIRS
        for path in (ROOT / "templates" / folder).rglob("*.html")
    ]
    + [
        ROOT / "templates" / "base.html",
        ROOT / "templates/richobjects/canned_replies.html",
    ]
)
SCRIPTS = sorted(
    path
    for folder in ["console/js", "insights/js", "richobjects/studio"]
    for path in (ROOT / "static" / folder).glob("*.js")
)
PYTHON_APPS = [
    "conversations",
    "richobjects",
    "insights",
    "trust",
    "businesses",
    "integrations",
]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _catalogue(domain: str) -> dict[tuple[str | None, str], Any]:
    with (LOCALE / f"{domain}.po").open("rb") as source:
        catalogue = read_po(source)
    return {
        (
            message.context,
            message.id[0] if isinstance(message.id, tuple) else message.id,
        ): message
        for message in catalogue
        if message.id
    }


def _translated(message: Any) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings) and not message.fuzzy


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_templates_mark_every_string_people_read(path: Path) -> None:
    assert template_leftovers(path) == []


@pytest.mark.parametrize("path", SCRIPTS, ids=_name)
def test_scripts_mark_every_string_people_read(path: Path) -> None:
    assert script_leftovers(path) == []


def _missing(messages: list, catalogue: dict) -> list[str]:
    missing = []
    for context, msgid, _plural in messages:
        entry = catalogue.get((context, msgid))
        if entry is None or not _translated(entry):
            missing.append(msgid if context is None else f"{context}|{msgid}")
    return missing


def test_every_marked_template_and_python_string_has_its_spanish() -> None:
    catalogue = _catalogue("django")
    # The password-reset e-mail goes out in the language of whoever asked.
    mails = sorted((ROOT / "templates" / "registration").glob("*.txt"))
    messages = [m for path in TEMPLATES + mails for m in template_messages(path)]
    messages += [
        m
        for app in PYTHON_APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for m in python_messages(path)
    ]
    assert len(messages) > 400
    assert _missing(messages, catalogue) == []


def test_every_marked_script_string_has_its_spanish() -> None:
    catalogue = _catalogue("djangojs")
    messages = [m for path in SCRIPTS for m in script_messages(path)]
    assert len(messages) > 200
    assert _missing(messages, catalogue) == []


def test_the_scanner_sees_what_it_should(tmp_path: Path) -> None:
    """The checks above can fail: unmarked English in each kind of place is found."""
    html = tmp_path / "page.html"
    html.write_text(
        '{% load i18n %}<h1>{% translate "Fine" %}</h1><p>Left in English</p>'
        '<button aria-label="Close it">{% translate "Close" %}</button>'
        "<code>Authorization: Token</code>{{ name }}"
    )
    assert template_leftovers(html) == ["Left in English", "aria-label='Close it'"]
    script = tmp_path / "page.js"
    script.write_text(
        'node.textContent = gettext("Fine");\n'
        'toast("Something went wrong");\n'
        'headers["Content-Type"] = "application/json";\n'
        "el.title = `Fill in ${x} first`;\n"
    )
    assert [line.split(": ", 1)[1] for line in script_leftovers(script)] == [
        '"Something went wrong"',
        "`Fill in ${x} first`",
    ]


# --- pages rendered in Spanish ---------------------------------------------------------


class _Readable(HTMLParser):
    """The text nodes and read attributes of a page, scripts and code left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strings: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "code", "kbd"}:
            self.skip += 1
        for name, value in attrs:
            if value and (
                name in {"title", "aria-label", "placeholder", "alt"}
                or name.startswith("data-label")
            ):
                self.strings.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "code", "kbd"} and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.strings.append(" ".join(data.split()))


@pytest.fixture
def spanish_admin(business: Business) -> Client:
    admin = UserFactory(username="ada")
    MembershipFactory(user=admin, business=business, role=Membership.Role.ADMIN)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    # The agent's own choice, as the language menu makes it.
    assert client.put(
        "/api/v1/me/preferences/", {"language": "es"}, content_type="application/json"
    ).json() == {"language": "es"}
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_the_console_pages_show_no_english_the_catalogue_translates(
    spanish_admin: Client, business: Business
) -> None:
    conversation = ConversationFactory(customer__business=business)
    rich = library.rich_object_create(
        business=business,
        name="Greeting",
        kind="quick_reply",
        spec={"summary": "Hi", "items": ["Yes", "No"]},
    )
    english = {
        msgid: message
        for (context, msgid), message in _catalogue("django").items()
        if isinstance(message.string, str)
        and message.string
        and message.string != msgid
    }
    pages = [
        reverse("console-inbox"),
        reverse("console-conversation", args=[conversation.id]),
        reverse("console-search") + "?q=hello",
        reverse("console-tokens"),
        reverse("console-agents", args=[business.id]),
        reverse("console-labels", args=[business.id]),
        reverse("console-canned-replies"),
        reverse("insights:reports"),
        reverse("library-list", args=[business.id]),
        reverse("library-new", args=[business.id]),
        reverse("library-new", args=[business.id]) + "?kind=list_picker",
        reverse("library-edit", args=[business.id, rich.id]),
        reverse("library-history", args=[business.id, rich.id]),
        reverse("library-import", args=[business.id]),
        reverse("trust:sessions"),
        reverse("trust:second-factor-setup"),
        reverse("trust:security", args=[business.id]),
        reverse("trust:audit", args=[business.id]),
        reverse("trust:customer-data", args=[business.id]),
    ]
    leaks = {}
    for url in pages:
        response = spanish_admin.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="es">' in page, url
        reader = _Readable()
        reader.feed(page)
        found = sorted({s for s in reader.strings if s in english})
        if found:
            leaks[url] = found
    assert leaks == {}

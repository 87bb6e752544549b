"""Finds user-visible English left unmarked in templates and ES modules.

Templates: text between tags and the attributes people read (title,
aria-label, placeholder, alt, a button's value, data-label-*) once Django's
own tags, variables and translated blocks are taken out. ES modules: string
literals that read as words (a capitalised word, or three words in a row)
outside gettext()/ngettext(); `// i18n: not shown` on the line says a literal
is not for people (a header name, a key).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Words that stay as they are in Spanish too (brand, protocol, units).
VERBATIM = {
    "MSP console",
    "CSV",
    "CSAT",
    "SLA",
    "JSON",
    "API",
    "URL",
    "UTC",
    "p90",
    "Apple Pay",
    "OAuth",
    "Ctrl",
    "Enter",
    "iPhone",
    "iPad",
    "Mac",
}

_DJANGO_BLOCKS = re.compile(
    # Blocks that fill class names and attributes, not text.
    r"{%\s*block\s+(?:page|layout_class|body_attrs)\s*%}.*?{%\s*endblock\s*%}"
    r"|{%\s*(?:blocktrans|blocktranslate)\b.*?{%\s*(?:endblocktrans|endblocktranslate)\s*%}"
    r"|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|{#.*?#}"
    r"|{{.*?}}"
    r"|{%.*?%}",
    re.S,
)
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S | re.I)
_READ_ATTRS = {"title", "aria-label", "placeholder", "alt", "aria-description"}
_CODE = {"code", "kbd", "pre", "samp"}
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")


def _wordy(text: str) -> bool:
    for verbatim in sorted(VERBATIM, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(verbatim)}(?!\w)", " ", text)
    return bool(_WORD.search(text))


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.code = 0  # inside <code>, <kbd>…: shown as typed, never translated

    def handle_endtag(self, tag: str) -> None:
        if tag in _CODE and self.code:
            self.code -= 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CODE:
            self.code += 1
        kinds = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            readable = (
                name in _READ_ATTRS
                or name.startswith("data-label")
                or (
                    name == "value"
                    and tag == "input"
                    and kinds.get("type") in {"submit", "button"}
                )
            )
            if readable and _wordy(value):
                self.found.append(f"{name}={value!r}")

    def handle_data(self, data: str) -> None:
        if not self.code and _wordy(data):
            self.found.append(" ".join(data.split()))


def template_leftovers(path: Path) -> list[str]:
    """English a template shows without a translation tag."""
    source = path.read_text()
    source = _SCRIPT.sub("", source)
    # A tag becomes a space: `{% trans "x" %}` inside an attribute leaves it blank.
    source = _DJANGO_BLOCKS.sub(" ", source)
    collector = _Collector()
    collector.feed(source)
    return collector.found


_LITERAL = re.compile(
    r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`", re.S
)
_TRANSLATED = re.compile(r"\b(?:gettext|ngettext|pgettext)\(\s*$")
_NGETTEXT_PLURAL = re.compile(
    r"\bngettext\(\s*(?:\"(?:[^\"\\]|\\.)*\"|`[^`]*`)\s*,\s*$"
)
_PROSE = re.compile(r"\b[A-Z][a-z]+\b|\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")
_IGNORE = "i18n: not shown"
_LOGGED = re.compile(r"\bconsole\.\w+\(\s*$")
# Names the browser or the server reads, not people.
NOT_SHOWN = {
    "Content-Type",
    "Accept",
    "X-CSRFToken",
    "Idempotency-Key",
    "Tab",
    "Escape",
    "Enter",
    "Backspace",
    "ArrowUp",
    "ArrowDown",
    "ArrowLeft",
    "ArrowRight",
    "Notification",
    "Files",
}


_TOKENS = re.compile(
    r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|/\*.*?\*/|//[^\n]*",
    re.S,
)


def _comment_free(source: str) -> str:
    # Block comments and line comments go (keeping line breaks); URLs in
    # strings keep their "//" because a literal is matched before a comment.
    def blank(match: re.Match[str]) -> str:
        text = match.group()
        if not text.startswith(("/*", "//")):
            return text
        # The opt-out marker survives on its line; line numbers stay right.
        return (_IGNORE if _IGNORE in text else "") + "\n" * text.count("\n")

    return _TOKENS.sub(blank, source)


def script_leftovers(path: Path) -> list[str]:
    """Literals in an ES module that read as English prose and are not translated."""
    found = []
    source = _comment_free(path.read_text())
    lines = source.split("\n")
    for match in _LITERAL.finditer(source):
        literal = match.group()
        body = literal[1:-1]
        if literal.startswith("`"):
            body = re.sub(r"\$\{[^}]*\}", " ", body)
        if not _PROSE.search(body) or body.strip() in VERBATIM | NOT_SHOWN:
            continue
        before = source[: match.start()]
        if (
            _TRANSLATED.search(before[-40:])
            or _NGETTEXT_PLURAL.search(before[-400:])
            or _LOGGED.search(before[-40:])
        ):
            continue
        line_no = before.count("\n")
        if _IGNORE in lines[line_no]:
            continue
        found.append(f"{path.name}:{line_no + 1}: {literal[:80]}")
    return found


# --- what the sources mark, to check the catalogue has each -------------------------

_TRANS_TAG = re.compile(
    r"{%\s*(?:trans|translate)\s+(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"(?:\s+context\s+(\"[^\"]*\"|'[^']*'))?[^%]*%}"
)
_BLOCK_TAG = re.compile(
    r"{%\s*(?:blocktrans|blocktranslate)\b([^%]*)%}(.*?)"
    r"(?:{%\s*plural\s*%}(.*?))?{%\s*(?:endblocktrans|endblocktranslate)\s*%}",
    re.S,
)
_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
_JS_CALL = re.compile(
    r"\b(gettext|ngettext)\(\s*(\"(?:[^\"\\]|\\.)*\")(?:\s*,\s*(\"(?:[^\"\\]|\\.)*\"))?"
)

Message = tuple[str | None, str, str | None]  # context, msgid, plural


def _block_msgid(body: str, trimmed: bool) -> str:
    if trimmed:
        body = " ".join(line.strip() for line in body.strip().splitlines())
    return _VARIABLE.sub(r"%(\1)s", body.replace("%", "%%"))


def template_messages(path: Path) -> list[Message]:
    source = path.read_text()
    found: list[Message] = []
    for match in _TRANS_TAG.finditer(source):
        context = match.group(2)[1:-1] if match.group(2) else None
        found.append((context, match.group(1)[1:-1], None))
    for match in _BLOCK_TAG.finditer(source):
        options, body, plural = match.groups()
        context_match = re.search(r"context\s+[\"']([^\"']*)[\"']", options)
        trimmed = "trimmed" in options.split()
        found.append(
            (
                context_match.group(1) if context_match else None,
                _block_msgid(body, trimmed),
                _block_msgid(plural, trimmed) if plural is not None else None,
            )
        )
    return found


def _js_string(literal: str) -> str:
    import json

    return json.loads(literal)


def script_messages(path: Path) -> list[Message]:
    found: list[Message] = []
    for match in _JS_CALL.finditer(path.read_text()):
        plural = _js_string(match.group(3)) if match.group(3) else None
        found.append((None, _js_string(match.group(2)), plural))
    return found


_PY_FUNCTIONS = {"gettext", "gettext_lazy", "_", "ngettext", "ngettext_lazy"}


def python_messages(path: Path) -> list[Message]:
    import ast

    found: list[Message] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in _PY_FUNCTIONS or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        plural = None
        if name.startswith("ngettext") and len(node.args) > 1:
            second = node.args[1]
            if isinstance(second, ast.Constant) and isinstance(second.value, str):
                plural = second.value
        found.append((None, first.value, plural))
    return found

"""axe-core in the browser tests: inject the vendored engine, report what it finds.

The engine is evaluated through Playwright (never a <script> tag), so the pages'
Content-Security-Policy stays as production sends it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page: Page, *, impacts: tuple[str, ...] = BLOCKING) -> list[Any]:
    """The page's violations of ``impacts`` as it stands now (dialogs open included)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in found if v["impact"] in impacts]


def describe(violations: list[Any]) -> str:
    """One line per rule and offending element, for an assertion message."""
    return "\n".join(
        f"[{v['impact']}] {v['id']}: {v['help']} at {node['target']}"
        for v in violations
        for node in v["nodes"][:5]
    )


def assert_accessible(page: Page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{what}: axe found\n{describe(violations)}"

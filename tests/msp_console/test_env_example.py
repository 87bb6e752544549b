"""`.env.example` and README "Deploying" name every variable the code reads."""

from __future__ import annotations

import re

from tests.live import ROOT

SOURCES = [
    "msp_console/settings.py",
    "msp_console/env.py",
    "msp_console/metrics.py",
    "msp_console/gunicorn.conf.py",
]


def variables_read() -> set[str]:
    names: set[str] = set()
    for source in SOURCES:
        text = (ROOT / source).read_text()
        names |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', text))
        names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z0-9_]+)"', text))
    return names


def test_every_variable_is_documented():
    names = variables_read()
    assert "DATABASE_URL" in names
    assert "WEB_CONCURRENCY" in names
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    assert {n for n in names if not re.search(rf"\b{n}=", example)} == set()
    assert {n for n in names if f"`{n}`" not in readme} == set()

"""The one reader of `.env`, used by every entry point (manage.py, ASGI, Celery).

The real environment always wins (``override=False``): a platform that sets
``DJANGO_DEBUG=False`` is never overridden by a development file left behind by
``make install``. Production needs no `.env` at all. ``DOTENV_PATH`` names
another file; ``DOTENV_PATH=`` (empty) reads none.
"""

from __future__ import annotations

import os
from pathlib import Path

import dotenv

DEFAULT_PATH = Path(__file__).resolve().parent.parent / ".env"


def load_dotenv(path: Path | None = None) -> None:
    if path is None:
        configured = os.environ.get("DOTENV_PATH")
        if configured == "":
            return
        path = Path(configured) if configured else DEFAULT_PATH
    if path.is_file():
        dotenv.load_dotenv(path, override=False)


def print_values(names: list[str]) -> None:
    """For shell scripts: the values the Python entry points would see, one a line."""
    load_dotenv()
    for name in names:
        print(os.environ.get(name, ""))  # noqa: T201

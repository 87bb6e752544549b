"""The one reader of `.env`, used by every entry point (manage.py, ASGI, Celery).

The real environment always wins (``override=False``): a platform that sets
``DJANGO_DEBUG=False`` is never overridden by a development file left behind by
``make install``. Production needs no `.env` at all. ``DOTENV_PATH`` names
another file; ``DOTENV_PATH=`` (empty) reads none.
"""

from __future__ import annotations

import os
import sys
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


if __name__ == "__main__":
    # For shell scripts: print the values the Python entry points would see,
    # one per line, e.g. `python -m msp_console.env REDIS_URL`.
    load_dotenv()
    for name in sys.argv[1:]:
        print(os.environ.get(name, ""))  # noqa: T201

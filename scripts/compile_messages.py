"""Build the .mo catalogues from the committed .po files, with Babel.

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine may
not have; Babel is a Python package the project installs, so `make install`
needs nothing else. Rebuilds only what is older than its .po file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def compile_catalogues(locale: Path = LOCALE) -> list[Path]:
    built = []
    for po in sorted(locale.rglob("*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source)
        with mo.open("wb") as target:
            write_mo(target, catalogue)
        built.append(mo)
    return built


if __name__ == "__main__":
    for path in compile_catalogues():
        sys.stderr.write(f"compiled {path.relative_to(LOCALE.parent)}\n")

"""Extension points of the library studio, filled by apps above it.

The sandbox (a higher layer) offers "Send to a sandbox customer" on the editor
without the library importing it: it registers a ``TryItTarget`` in its
``AppConfig.ready()``, and the editor shows whatever is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conversations.models import Business


@dataclass(frozen=True)
class TryItTarget:
    """Somewhere an admin can send the object being edited to see it for real."""

    label: str
    # (business) → [(value, label)] to choose from, e.g. sandbox customers.
    choices: Callable[[Business], list[tuple[str, str]]]
    # Named URL taking (business_id, object_id); receives POST "choice".
    url_name: str


_try_it: dict[str, TryItTarget] = {}


def try_it_register(key: str, target: TryItTarget) -> None:
    _try_it[key] = target


def try_it_targets() -> list[TryItTarget]:
    return list(_try_it.values())

"""Extension points of the library, filled by apps above it.

The sandbox (a higher layer) offers "Send to a sandbox customer" on the editor
without the library importing it: it registers a ``TryItTarget`` in its
``AppConfig.ready()``, and the editor shows whatever is registered. The
businesses app registers a ``BusinessDirectory`` the same way: the business's
time zone (time-picker slots) and its iMessage apps (the editor's app picker).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Protocol

from conversations.models import Business

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class TryItTarget:
    """Somewhere an admin can send the object being edited to see it for real."""

    label: StrOrPromise  # shown in the agent's language
    # (business) → [(value, label)] to choose from, e.g. sandbox customers.
    choices: Callable[[Business], list[tuple[str, str]]]
    # Named URL taking (business_id, object_id); receives POST "choice".
    url_name: str


_try_it: dict[str, TryItTarget] = {}


def try_it_register(key: str, target: TryItTarget) -> None:
    _try_it[key] = target


def try_it_targets() -> list[TryItTarget]:
    return list(_try_it.values())


# --- what the businesses app knows of a business -------------------------------------------


@dataclass(frozen=True)
class IMessageAppChoice:
    """One of the business's iMessage apps, in the words the builder uses."""

    name: str
    app_id: str
    team_id: str
    extension_bundle_id: str
    url: str


class BusinessDirectory(Protocol):
    """What the library reads from the business's channel settings.

    ``businesses`` registers one in its ``AppConfig.ready()``: the library sits
    under it and never imports it.
    """

    def time_zone(self, business: Business) -> tzinfo: ...

    def imessage_apps(self, business: Business) -> list[IMessageAppChoice]: ...

    def settings_url(self, business: Business) -> str: ...


_directory: list[BusinessDirectory] = []


def business_directory_register(directory: BusinessDirectory) -> None:
    _directory[:] = [directory]


def business_time_zone(business: Business) -> tzinfo:
    """The zone the business works in (UTC when nobody has said)."""
    return _directory[0].time_zone(business) if _directory else UTC


def business_imessage_apps(business: Business) -> list[IMessageAppChoice]:
    return _directory[0].imessage_apps(business) if _directory else []


def business_settings_url(business: Business) -> str:
    """The page where the business's iMessage apps and time zone are set."""
    return _directory[0].settings_url(business) if _directory else ""

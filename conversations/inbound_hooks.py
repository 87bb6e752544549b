"""Extension point: a feature may say an inbound message does not reopen a
resolved conversation.

A customer answering what a feature asked after resolution (a satisfaction
survey, its comment) is not asking for help again; left to the core, every
inbound message would reopen the conversation and skew the very figures the
survey measures. Checks run inside the receiving transaction, so they must be
one small read. The core works the same with none registered.
"""

from __future__ import annotations

from collections.abc import Callable

# (conversation id, the message's text, its interactive request identifier)
StatusKeeper = Callable[[int, str, str], bool]

_keepers: list[StatusKeeper] = []


def status_keeper_register(keeper: StatusKeeper) -> None:
    if keeper not in _keepers:
        _keepers.append(keeper)


def inbound_keeps_resolved(
    *, conversation_id: int, text: str, request_identifier: str
) -> bool:
    return any(
        keeper(conversation_id, text, request_identifier) for keeper in list(_keepers)
    )

"""Errors raised at the Apple boundary."""

from __future__ import annotations


class AppleError(Exception):
    """Apple's gateway refused or failed a request.

    ``permanent`` tells the caller whether repeating the same request can help:
    4xx answers (other than 429) are permanent, 5xx, 429, timeouts and network
    errors are not.
    """

    def __init__(
        self, detail: str, *, permanent: bool, status: int | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.status = status


class AppleTransientError(AppleError):
    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail, permanent=False, status=status)


class ApplePermanentError(AppleError):
    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail, permanent=True, status=status)


class MissingToken(Exception):
    """No ``Authorization: Bearer`` header: answered with 401."""


class InvalidToken(Exception):
    """A token that fails verification for any reason: answered with 403."""


class MalformedPayload(Exception):
    """The body cannot be decoded or lacks what its type requires: answered with 400."""


class UnsupportedPayload(Exception):
    """A well-formed message of a type this platform does not handle: acknowledged."""

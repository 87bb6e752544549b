"""Types are sniffed from the bytes; the name helps only where bytes can't tell."""

from __future__ import annotations

import pytest

from conversations.attachments import (
    DEFAULT_ALLOWED_TYPES,
    mime_type_allowed,
    mime_type_sniff,
    shows_inline,
)
from tests.conversations.attachments.conftest import png_bytes

ZIP = b"PK\x03\x04" + bytes(40)


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (png_bytes(), "photo.jpg", "image/png"),
        (b"%PDF-1.7\n", "report.pdf", "application/pdf"),
        (b"MZ\x90\x00" + bytes(60), "invoice.pdf", "application/x-msdownload"),
        (b"caff\x00\x01\x00\x00desc", "memo.caf", "audio/x-caf"),
        (ZIP, "boarding.pkpass", "application/vnd.apple.pkpass"),
        (ZIP, "chair.usdz", "model/vnd.usdz+zip"),
        (ZIP, "archive.zip", "application/zip"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "invite.ics", "text/calendar"),
        (b"BEGIN:VCARD\r\nVERSION:3.0\r\n", "me.vcf", "text/vcard"),
        (b"<html><script>x</script>", "invite.ics", "application/octet-stream"),
        (b"\x00\x01\x02", "notes.txt", "application/octet-stream"),
        (b"", "empty.pdf", "application/octet-stream"),
    ],
)
def test_sniffing(head: bytes, name: str, expected: str) -> None:
    assert mime_type_sniff(head=head, name=name) == expected


@pytest.mark.parametrize(
    "mime",
    [
        "image/jpeg",
        "image/heic",
        "video/quicktime",
        "audio/x-caf",
        "audio/mpeg",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.apple.pkpass",
        "model/vnd.usdz+zip",
        "text/calendar",
        "text/vcard",
    ],
)
def test_default_list_allows_what_messages_shows(mime: str) -> None:
    assert mime_type_allowed(mime_type=mime, allowed=DEFAULT_ALLOWED_TYPES)


@pytest.mark.parametrize(
    "mime",
    [
        "application/x-msdownload",
        "application/octet-stream",
        "image/svg+xml",
        "text/html",
    ],
)
def test_default_list_refuses_the_rest(mime: str) -> None:
    assert not mime_type_allowed(mime_type=mime, allowed=DEFAULT_ALLOWED_TYPES)


def test_wildcards_and_case() -> None:
    assert mime_type_allowed(mime_type="Video/MP4", allowed=["video/*"])
    assert not mime_type_allowed(mime_type="audio/mp4", allowed=["video/*"])


def test_only_media_and_pdf_show_inline() -> None:
    assert shows_inline("image/png")
    assert shows_inline("application/pdf")
    assert not shows_inline("image/svg+xml")
    assert not shows_inline("text/vcard")

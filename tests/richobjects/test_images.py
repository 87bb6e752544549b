from __future__ import annotations

import struct

import pytest

from richobjects.images import ImageInfo, UnreadableImage, image_info
from tests.richobjects.conftest import png_bytes


def jpeg_header(width: int, height: int) -> bytes:
    app0 = (
        b"\xff\xe0"
        + struct.pack(">H", 16)
        + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    )
    sof0 = (
        b"\xff\xc0"
        + struct.pack(">HBHHB", 17, 8, height, width, 3)
        + b"\x01\x22\x00" * 3
    )
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def test_reads_png_size() -> None:
    assert image_info(png_bytes(789, 450)) == ImageInfo("image/png", 789, 450)


def test_reads_jpeg_size_past_other_segments() -> None:
    assert image_info(jpeg_header(640, 480)) == ImageInfo("image/jpeg", 640, 480)


def test_reads_gif_size() -> None:
    assert image_info(
        b"GIF89a" + struct.pack("<HH", 120, 90) + b"\x00" * 8
    ) == ImageInfo("image/gif", 120, 90)


@pytest.mark.parametrize(
    "data",
    [b"", b"<svg/>", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\x00\x10", b"GIF89a"],
)
def test_refuses_what_it_cannot_read(data: bytes) -> None:
    with pytest.raises(UnreadableImage):
        image_info(data)


@pytest.mark.parametrize(
    ("size", "fits"),
    [
        ((120, 120), ["icon"]),
        ((180, 180), ["icon", "small"]),
        ((800, 450), ["icon", "small", "large"]),
        ((789, 100), []),
    ],
)
def test_fits_bubble_styles(size: tuple[int, int], fits: list[str]) -> None:
    info = ImageInfo("image/png", *size)

    assert [s for s in ("icon", "small", "large") if info.fits(s)] == fits

"""Read an image's type and pixel size from its header bytes (PNG, JPEG, GIF).

Standard library only: enough to check uploads against Apple's bubble sizes
without an imaging library. Resizing is not done here (it needs Pillow).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .builders import BUBBLE_IMAGE_SIZES


class UnreadableImage(ValueError):
    pass


@dataclass(frozen=True)
class ImageInfo:
    mime_type: str
    width: int
    height: int

    def fits(self, style: str) -> bool:
        """At least as large as the bubble style needs, so the device never upscales."""
        width, height = BUBBLE_IMAGE_SIZES[style]
        return self.width >= width and self.height >= height


def image_info(data: bytes) -> ImageInfo:
    """Type and size of a PNG, JPEG or GIF; ``UnreadableImage`` for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        # The IHDR chunk always comes first: width and height are its first 8 bytes.
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise UnreadableImage("PNG without an IHDR chunk")
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("image/png", width, height)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        if len(data) < 10:
            raise UnreadableImage("truncated GIF")
        width, height = struct.unpack("<HH", data[6:10])
        return ImageInfo("image/gif", width, height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_info(data)
    raise UnreadableImage("not a PNG, JPEG or GIF image")


# Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_info(data: bytes) -> ImageInfo:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise UnreadableImage("corrupt JPEG marker")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _JPEG_SOF:
            if position + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return ImageInfo("image/jpeg", width, height)
        position += 2 + length
    raise UnreadableImage("JPEG without a frame header")

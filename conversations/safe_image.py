"""Open untrusted image bytes with Pillow only after their header says how big
they decode.

A few hundred kilobytes of PNG can claim 12,000 x 12,000 pixels and take
gigabytes once decoded; Pillow's own guard (``Image.MAX_IMAGE_PIXELS``) only
warns below 179 megapixels. ``open_image`` reads the header (``Image.open`` is
lazy) and refuses before anything is decoded.
"""

from __future__ import annotations

import warnings
from typing import IO

from PIL import Image

# Larger than any photo a phone takes today (48 MP) would need for a bubble or
# a preview; callers with tighter needs pass their own cap.
MAX_PIXELS = 25_000_000


class ImageTooLarge(ValueError):
    """The header declares more pixels than the caller accepts."""


def open_image(source: IO[bytes], *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """``Image.open`` that refuses more than ``max_pixels`` (all frames counted)
    before decoding; raises ``ImageTooLarge`` or Pillow's own errors."""
    with warnings.catch_warnings():
        # Pillow warns above its limit; the check below is the one that counts.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(source)
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(str(exc)) from exc
    frames = max(1, int(getattr(image, "n_frames", 1) or 1))
    if image.width * image.height * frames > max_pixels:
        image.close()
        raise ImageTooLarge(
            f"{image.width} x {image.height} px x {frames} frames is more than "
            f"{max_pixels} pixels"
        )
    return image

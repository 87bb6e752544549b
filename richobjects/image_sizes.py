"""Library images cut to Apple's bubble sizes (spec §7: icon 120x120, small 180x180,
large 789x450), made once per image and style with Pillow."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from PIL import ImageOps

from conversations.safe_image import open_image

from .builders import BUBBLE_IMAGE_SIZES
from .models import RichImage, RichImageVariant

# Item and splash images sit in small slots; an unreferenced image takes the
# middle size so it is never sent larger than a bubble can show.
DEFAULT_STYLE = "small"
ORDER = ["icon", "small", "large"]


def _uses(spec: Any, inherited: str | None = None) -> Iterator[tuple[str, str]]:
    """(image name, style) for every place the spec shows an image."""
    if isinstance(spec, Mapping):
        style = spec.get("style") if isinstance(spec.get("style"), str) else inherited
        image = spec.get("image")
        if isinstance(image, str):
            yield image, style if style in BUBBLE_IMAGE_SIZES else "icon"
        for key, value in spec.items():
            if key != "images":
                yield from _uses(value, style if key in ("received", "reply") else None)
    elif isinstance(spec, list):
        for value in spec:
            yield from _uses(value)


def styles_for_images(
    spec: Mapping[str, Any], *, root_style: str | None = None
) -> dict[str, str]:
    """The largest style each named image is shown at (``root_style`` for the
    spec's own top-level ``image``)."""
    styles: dict[str, str] = {}
    for name, style in _uses(spec, root_style):
        if ORDER.index(style) > ORDER.index(styles.get(name, "icon")):
            styles[name] = style
        else:
            styles.setdefault(name, style)
    return styles


def _render(data: bytes, style: str) -> tuple[bytes, str, int, int]:
    width, height = BUBBLE_IMAGE_SIZES[style]
    # Checked at upload too; the stored file is re-read here, so check again.
    with open_image(io.BytesIO(data)) as source:
        source.load()
        # Cover the slot and crop the overflow, as Messages does with a bubble image.
        picture = ImageOps.fit(ImageOps.exif_transpose(source), (width, height))
        # Photos stay JPEG; drawings (PNG, GIF, anything with alpha) stay lossless.
        lossless = source.format != "JPEG" or picture.mode in ("RGBA", "LA", "P")
        output = io.BytesIO()
        if lossless:
            picture.convert("RGBA").save(output, "PNG", optimize=True)
            mime = "image/png"
        else:
            picture.convert("RGB").save(output, "JPEG", quality=85, optimize=True)
            mime = "image/jpeg"
    return output.getvalue(), mime, width, height


def rich_image_variant(*, image: RichImage, style: str) -> RichImageVariant:
    """The image at ``style``'s size, made on first use. Safe to call concurrently."""
    variant = RichImageVariant.objects.filter(image=image, style=style).first()
    if variant is not None:
        return variant
    with image.file.open("rb") as handle:
        data, mime, width, height = _render(handle.read(), style)
    try:
        with transaction.atomic():
            return RichImageVariant.objects.create(
                image=image,
                style=style,
                data=data,
                mime_type=mime,
                width=width,
                height=height,
            )
    except IntegrityError:
        return RichImageVariant.objects.get(image=image, style=style)

"""The holder's photo: checked before drawing, embedded without re-encoding.

A JPEG goes into the PDF byte for byte (``DCTDecode``): no generation loss and
no pixel work. A PNG is decoded and deflated by reportlab, which costs more but
keeps it lossless.
"""

from __future__ import annotations

import io
import warnings
from typing import Final

from PIL import Image
from reportlab.lib.utils import ImageReader

from carnet.domain.errors import ValidationError

__all__ = ["MAX_PHOTO_PIXELS", "photo_reader"]

MAX_PHOTO_PIXELS: Final = 16_000_000
"""Largest photo accepted, in pixels; a 600 dpi scan of a 35 x 45 mm photo is ~1 Mpx."""

_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_DRAFT_SCALE: Final = 8
# Errors Pillow and reportlab raise on malformed image files.
_IMAGE_FAILURES: Final = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


class _JpegReader(ImageReader):
    """A reportlab image reader named by its JPEG bytes instead of its pixels.

    ``Canvas.drawImage`` names every image by a digest of ``getRGBData()`` so
    that a picture drawn twice is stored once, which for a JPEG means decoding
    the whole photo only to hash it, the costliest step of a card. A JPEG is
    embedded from its own bytes (``jpeg_fh``), never from ``getRGBData()``, so
    the file bytes name it just as uniquely, for the cost of a digest.
    """

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self._jpeg = data
        self._dataA = None  # a JPEG has no alpha channel (set by getRGBData upstream)

    def getRGBData(self) -> bytes:  # noqa: N802 - reportlab's method name
        """Return the JPEG file bytes: the image's identity for the PDF's image cache."""
        return self._jpeg


def photo_reader(data: bytes | None) -> ImageReader | None:
    """Return a reportlab reader for the photo after checking it decodes, or ``None``.

    A JPEG is decoded at 1/8 scale (its DCT draft mode): that still reads the
    whole entropy-coded stream, for a fraction of the cost of a full decode.

    Raises:
        ValidationError: not a JPEG or PNG, unreadable, or larger than
            :data:`MAX_PHOTO_PIXELS` (``field="photo"``).
    """
    if data is None:
        return None
    is_jpeg = data.startswith(_JPEG_MAGIC)
    if not (is_jpeg or data.startswith(_PNG_MAGIC)):
        raise ValidationError("the photo must be a JPEG or PNG image", field="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise ValidationError("the photo has too many pixels", field="photo")
                if is_jpeg:
                    image.draft("L", (width // _DRAFT_SCALE, height // _DRAFT_SCALE))
                image.load()
            return _JpegReader(data) if is_jpeg else ImageReader(io.BytesIO(data))
    except _IMAGE_FAILURES as exc:
        raise ValidationError("the photo is not a readable image", field="photo") from exc

"""QR symbols: render credential text with segno, read it back with zxing-cpp.

Base45 text uses only the 45 characters of the QR alphanumeric mode
(RFC 9285 §1, ISO/IEC 18004 §7.4.4), which packs two characters into 11 bits,
so :func:`render_qr` always encodes in that mode, at error correction level M,
in the smallest version that holds the text. The level is not boosted even when
the version has room for more: sizes stay predictable.

:func:`read_qr` accepts a Pillow image, encoded image bytes (PNG, JPEG, ...) or
a path, and refuses images above ``max_pixels`` before decoding them, so a
decompression bomb costs nothing.
"""

from __future__ import annotations

import io
import os
import warnings
import zlib
from pathlib import Path
from typing import Final, TypeAlias

import segno
import zxingcpp
from PIL import Image

from carnet.domain.errors import DecodeError, InfrastructureError, ValidationError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "ImageSource",
    "qr_png",
    "read_qr",
    "render_qr",
]

#: Largest image :func:`read_qr` decodes: a 300 dpi A3 scan fits with room to spare.
DEFAULT_MAX_PIXELS: Final = 40_000_000

#: What :func:`read_qr` reads from.
ImageSource: TypeAlias = Image.Image | bytes | str | os.PathLike[str]

_QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

# Errors Pillow raises on malformed or hostile image files.
_IMAGE_FAILURES: Final = (
    OSError,
    ValueError,
    SyntaxError,
    zlib.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


def render_qr(text: str) -> segno.QRCode:
    """Return the QR code of ``text`` in alphanumeric mode at level M, smallest version.

    Raises:
        ValidationError: ``text`` has characters outside the QR alphanumeric
            set, or is too long for any QR version at level M.
    """
    try:
        return segno.make_qr(text, error="m", mode="alphanumeric", boost_error=False)
    except ValueError as exc:  # segno.DataOverflowError is a ValueError too
        raise ValidationError("text does not fit an alphanumeric QR code at level M") from exc


def qr_png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    """Return a PNG of the QR code of ``text`` (see :func:`render_qr`).

    ``scale`` is the size of a module in pixels and ``border`` the quiet zone in
    modules (ISO/IEC 18004 asks for at least 4).

    Raises:
        ValidationError: as :func:`render_qr`.
    """
    buffer = io.BytesIO()
    render_qr(text).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def _open(image: ImageSource, max_pixels: int) -> Image.Image:
    if isinstance(image, Image.Image):
        opened = image
    else:
        if isinstance(image, bytes):
            data = image
        else:
            try:
                data = Path(image).read_bytes()
            except OSError as exc:
                raise InfrastructureError("QR image file could not be read") from exc
        try:
            with warnings.catch_warnings():
                # A bomb warning becomes an error: never decode such an image.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                opened = Image.open(io.BytesIO(data))
        except _IMAGE_FAILURES as exc:
            raise DecodeError("QR image is not a readable image") from exc
    width, height = opened.size
    if width * height > max_pixels:
        raise DecodeError(f"QR image exceeds {max_pixels} pixels")
    try:
        return opened.convert("L")
    except _IMAGE_FAILURES as exc:
        raise DecodeError("QR image is not a readable image") from exc


def read_qr(image: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> str:
    """Return the text of the one QR code in ``image``.

    Raises:
        DecodeError: the image cannot be decoded, is larger than ``max_pixels``,
            or holds no QR code or more than one.
        InfrastructureError: ``image`` is a path that cannot be read.
    """
    grey = _open(image, max_pixels)
    barcodes = zxingcpp.read_barcodes(grey, formats=_QR_ONLY, text_mode=zxingcpp.TextMode.Plain)
    if not barcodes:
        raise DecodeError("no QR code found in the image")
    if len(barcodes) > 1:
        raise DecodeError("more than one QR code in the image")
    text: str = barcodes[0].text
    return text

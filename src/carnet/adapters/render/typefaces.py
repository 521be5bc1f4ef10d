"""The fonts print items are set in: registered once per process, always embedded.

Three TrueType files ship in ``fonts/`` next to this module (their origin and
licences are in ``fonts/README.md``):

- NanumSquare Regular and Bold (SIL OFL 1.1) for the visual inspection zone: the
  11,172 precomposed Hangul syllables, ASCII Latin and some punctuation;
- OCR-B (public domain) for the machine-readable zone, as Doc 9303 Part 3
  requires.

reportlab embeds a TrueType font as subsets of the glyphs a document uses
(``FontFile2``), so every PDF is print-ready without the fonts installed on the
printing station. Parsing a font file is the expensive part (tens of
milliseconds for the Hangul faces), so :func:`font_set` does it once per process
and registers the fonts under names no other code uses.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Final

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["FontSet", "font_set"]

_PACKAGE: Final = "carnet.adapters.render"
_TEXT: Final = ("CarnetNanumSquare", "NanumSquareR.ttf")
_BOLD: Final = ("CarnetNanumSquareBold", "NanumSquareB.ttf")
_MRZ: Final = ("CarnetOcrB", "OCRB-Regular.ttf")
_EM: Final = 1000.0
_FIRST_PRINTABLE: Final = 0x20
_DELETE: Final = 0x7F
_FIRST_LATIN1: Final = 0xA0


@dataclass(frozen=True, slots=True)
class FontSet:
    """The registered font names, and what the text faces can draw.

    ``coverage`` holds the code points that both the regular and the bold face
    map to a real glyph; anything else would print as an empty box.
    ``mrz_advance`` and ``mrz_cap_height`` are OCR-B's (fixed) advance width and
    capital height as fractions of the font size.
    """

    text: str
    bold: str
    mrz: str
    coverage: frozenset[int]
    mrz_advance: float
    mrz_cap_height: float

    def can_draw(self, text: str) -> bool:
        """Return whether every character of ``text`` has a glyph in the text faces."""
        return all(ord(char) in self.coverage for char in text)


@functools.cache
def font_set() -> FontSet:
    """Parse and register the embedded fonts, once per process.

    The files ship inside the package; a missing one is an installation fault
    and surfaces as ``FileNotFoundError``.
    """
    text, bold, mrz = (_register(name, filename) for name, filename in (_TEXT, _BOLD, _MRZ))
    coverage = frozenset(
        code
        for code, glyph in text.face.charToGlyph.items()
        if glyph and bold.face.charToGlyph.get(code) and not _is_control(code)
    )
    return FontSet(
        text=text.fontName,
        bold=bold.fontName,
        mrz=mrz.fontName,
        coverage=coverage,
        mrz_advance=mrz.stringWidth("0", _EM) / _EM,
        mrz_cap_height=mrz.face.capHeight / _EM,
    )


def _is_control(code: int) -> bool:
    """Whether ``code`` is a C0 or C1 control character (some fonts map them to glyphs)."""
    return code < _FIRST_PRINTABLE or _DELETE <= code < _FIRST_LATIN1


def _register(name: str, filename: str) -> TTFont:
    """Parse one shipped TrueType file and register it with reportlab under ``name``."""
    data = resources.files(_PACKAGE).joinpath("fonts", filename).read_bytes()
    font = TTFont(name, io.BytesIO(data))
    pdfmetrics.registerFont(font)
    return font

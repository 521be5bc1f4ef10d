"""What a printer needs to know about one document: the print item.

A print run renders many :class:`PrintItem` s into one PDF through the
:class:`~carnet.services.ports.Renderer` port. The item carries only what is
printed on the document, already formatted: the renderer lays it out and never
looks anything up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Layout", "PrintItem"]


class Layout(StrEnum):
    """The physical form of a document."""

    ID1_CARD = "id1_card"
    """ISO/IEC 7810 ID-1 card, 85.60 x 53.98 mm, front and back (ICAO TD1)."""
    PASSPORT_DATA_PAGE = "passport_data_page"
    """ICAO 9303 TD3 data page, 125 x 88 mm."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintItem:
    """One document to print. Personal fields are kept out of ``repr``.

    ``title_native`` / ``title_latin`` name the document type ("주민등록증" /
    "National identity card"). ``fields`` are the further human-readable lines
    as ``(label, value)`` pairs in print order (for instance the permit zone and
    dates); labels are bilingual text such as "구역 / Zone". ``mrz`` holds the
    lines of the machine-readable zone (3 for TD1, 2 for TD3) and ``qr_text``
    the signed QR payload (base45 text). ``photo`` is a JPEG or PNG, or ``None``
    for an empty photo area.
    """

    layout: Layout
    document_number: str
    title_native: str
    title_latin: str
    authority: str
    family_name_native: str = field(repr=False)
    given_name_native: str = field(repr=False)
    family_name_latin: str = field(repr=False)
    given_name_latin: str = field(repr=False)
    date_of_birth: str = field(repr=False)
    sex: str = field(repr=False)
    nationality: str = field(repr=False)
    date_of_issue: str
    date_of_expiry: str
    mrz: tuple[str, ...] = field(repr=False)
    qr_text: str = field(repr=False)
    fields: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    photo: bytes | None = field(default=None, repr=False)

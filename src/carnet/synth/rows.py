"""The row of ``residents.csv``: the column contract of the resident import.

The columns and their order are the import contract; change them only together
with the importer. ``uin`` is always empty in valid rows because the registry
allocates UINs. The ground truth (which rows are the same person) is never in
this file; it goes to ``truth.csv``.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["RESIDENT_COLUMNS", "ResidentRow"]


class ResidentRow(NamedTuple):
    """One row of ``residents.csv``; every field is text, empty when unknown.

    The data is synthetic, so the default tuple ``repr`` shows it in full.
    """

    external_ref: str
    uin: str
    family_name_native: str
    given_name_native: str
    family_name_latin: str
    given_name_latin: str
    date_of_birth: str
    sex: str
    place_of_birth: str
    address: str
    region_code: str
    household_ref: str
    phone: str
    email: str


RESIDENT_COLUMNS: tuple[str, ...] = ResidentRow._fields

"""Export files on disk: private (mode 0600), written atomically."""

from __future__ import annotations

import csv
import os
import re
from typing import TYPE_CHECKING, BinaryIO

from carnet.domain.errors import InfrastructureError, NotFoundError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["FileExportStore"]

_ID = re.compile(r"^[0-9a-f-]{36}$")


class FileExportStore:
    """Implements ``ExportStore`` in a directory: one CSV per export id."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def _path(self, export_id: str) -> Path:
        if not _ID.match(export_id):
            raise NotFoundError("no such export", field="export_id")
        return self._dir / f"{export_id}.csv"

    def write(self, export_id: str, header: tuple[str, ...], rows: Iterable[list[str]]) -> int:
        """Write the export to a temporary file, then rename it into place.

        Raises:
            InfrastructureError: the directory cannot be written.
        """
        target = self._path(export_id)
        temp = target.with_suffix(".part")
        count = 0
        try:
            self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(header)
                for row in rows:
                    writer.writerow(row)
                    count += 1
            temp.replace(target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise InfrastructureError("the export file cannot be written") from exc
        return count

    def open(self, export_id: str) -> BinaryIO:
        """Open a finished export.

        Raises:
            NotFoundError: no such file.
        """
        try:
            return self._path(export_id).open("rb")
        except FileNotFoundError as exc:
            raise NotFoundError("no such export", field="export_id") from exc

"""Bulk import of residents from CSV: streaming, validated, idempotent, resumable.

The file is read as bytes and decoded record by record, so one row of invalid
UTF-8 is rejected alone. Every row is validated; rejected rows go to a side
file with their line number and reasons. Each row carries an ``external_ref``:
a row whose reference is already in the registry is skipped, so re-running a
file after a crash or a kill neither loses nor duplicates a record. Rows are
written in batches, one transaction each.

Memory stays flat: one batch of rows is held at a time, plus a set of 8-byte
digests of the references seen in this file (to report duplicates within it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from carnet.domain.errors import ConflictError, ValidationError
from carnet.domain.identifiers import generate_uin, validate_uin
from carnet.domain.persons import Resident, validate_fields

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator
    from datetime import date, datetime
    from typing import BinaryIO, TextIO

    from carnet.services.ports import Clock, ResidentBulkWriter

__all__ = [
    "COLUMNS",
    "ImportReport",
    "ParsedBatch",
    "import_residents",
    "parse_batches",
    "parse_file",
    "write_batches",
]

COLUMNS: tuple[str, ...] = (
    "external_ref",
    "uin",
    "family_name_native",
    "given_name_native",
    "family_name_latin",
    "given_name_latin",
    "date_of_birth",
    "sex",
    "place_of_birth",
    "address",
    "region_code",
    "household_ref",
    "phone",
    "email",
)
_REF_MAX = 64
_RECORD_MAX_BYTES = 64 * 1024
_RETRIES = 5


@dataclass
class ImportReport:
    """What an import did. ``already_present`` rows were imported by an earlier run."""

    rows: int = 0
    imported: int = 0
    already_present: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class _Rejects:
    """Writes rejected rows to the side file: line, reasons, then the raw columns."""

    def __init__(self, out: TextIO, report: ImportReport) -> None:
        self._w = csv.writer(out)
        self._w.writerow(["line", "reasons", *COLUMNS])
        self._report = report

    def add(self, line: int, reasons: list[str], raw: list[str]) -> None:
        self._report.rejected += 1
        for reason in reasons:
            key = reason.split(":", 1)[0]
            self._report.reasons[key] = self._report.reasons.get(key, 0) + 1
        safe = [v.encode("utf-8", "replace").decode("utf-8") for v in raw]
        self._w.writerow([line, "; ".join(reasons), *safe])


def _records(source: BinaryIO) -> Generator[tuple[int, list[str]], None, None]:
    """Yield (line number, fields) per CSV record, decoding bytes with surrogateescape.

    Invalid UTF-8 survives as lone surrogates, so the record is still split into
    fields and can be rejected alone.
    """
    text = io.TextIOWrapper(source, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=True)
    try:
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield reader.line_num, ["\udcff<malformed CSV>"]
                continue
            yield reader.line_num, record
    finally:
        # Hand the caller's file back open: closing the wrapper would close it.
        text.detach()


# Bytes that were not UTF-8 survive decoding as lone surrogates U+DC80..U+DCFF.
_BAD_BYTES = re.compile("[\udc80-\udcff]")


def _ref_digest(ref: str) -> bytes:
    return hashlib.blake2b(ref.encode(), digest_size=8).digest()


def _precheck(raw: list[str]) -> str | None:
    """Return why a record cannot even be parsed as a row, or ``None``."""
    if len(raw) != len(COLUMNS):
        return f"columns: expected {len(COLUMNS)}, found {len(raw)}"
    joined = "\x1f".join(raw)
    if _BAD_BYTES.search(joined):
        return "encoding: not valid UTF-8"
    if len(joined) > _RECORD_MAX_BYTES:
        return "size: record too large"
    ref = raw[0].strip()
    if not ref or len(ref) > _REF_MAX:
        return "external_ref: required, at most 64 characters"
    return None


def _validate(
    raw: list[str], *, today: date, regions: set[str]
) -> tuple[dict[str, Any], str] | list[str]:
    """Return the resident's fields and the given UIN (maybe empty), or the reasons to reject."""
    row = dict(zip(COLUMNS, raw, strict=True))
    reasons: list[str] = []
    fields: dict[str, Any] | None = None
    try:
        fields = validate_fields(row, today=today)
    except ValidationError as exc:
        reasons.append(f"{exc.field or 'row'}: {exc.message}")
    uin = row["uin"].strip()
    if uin:
        try:
            uin = validate_uin(uin)
        except ValidationError as exc:
            reasons.append(f"uin: {exc.message}")
    if fields is not None and fields["region_code"] not in regions:
        reasons.append("region_code: unknown region code")
    if reasons or fields is None:
        return reasons
    return fields, uin


@dataclass
class _Pending:
    """A valid row waiting to be written.

    ``raw`` is kept only when the row gave its own UIN: that row is rejected (and
    written to the side file) if the UIN turns out to be taken.
    """

    line: int
    raw: list[str] | None
    resident: Resident


@dataclass
class ParsedBatch:
    """Validated rows ready to write, the rows rejected on the way, and progress."""

    pending: list[_Pending] = field(default_factory=list)
    rejected: list[tuple[int, list[str], list[str]]] = field(default_factory=list)
    rows: int = 0
    position: int = 0


def parse_batches(
    source: BinaryIO,
    *,
    regions: set[str],
    now: datetime,
    random_bytes: Callable[[int], bytes],
    batch_size: int = 5000,
) -> Iterator[ParsedBatch]:
    """Parse and validate the CSV in ``source``, yielding batches of rows to write.

    This half of the import touches no database, so it can run in another
    process while the previous batch is being written.

    Raises:
        ValidationError: the header is missing or not the expected columns
            (raised before the first batch, so nothing has been written).
    """
    today = now.date()
    seen: set[bytes] = set()
    records = _records(source)
    header = next(records, None)
    if header is None or [h.strip().lstrip("\ufeff") for h in header[1]] != list(COLUMNS):
        records.close()  # detach the reader now, not whenever it is collected
        raise ValidationError(
            "the first line must be the header: " + ",".join(COLUMNS), field="header"
        )
    batch = ParsedBatch()
    for line, raw in records:
        batch.rows += 1
        problem = _precheck(raw)
        if problem is None:
            digest = _ref_digest(raw[0].strip())
            if digest in seen:
                problem = "external_ref: duplicate within the file"
            seen.add(digest)
        if problem is not None:
            batch.rejected.append((line, [problem], raw))
            continue
        outcome = _validate(raw, today=today, regions=regions)
        if isinstance(outcome, list):
            batch.rejected.append((line, outcome, raw))
            continue
        fields, uin = outcome
        resident = Resident(
            **fields,
            id=str(uuid.uuid4()),
            uin=uin or generate_uin(random_bytes),
            external_ref=raw[0].strip(),
            created_at=now,
            updated_at=now,
        )
        batch.pending.append(_Pending(line, raw if uin else None, resident))
        if len(batch.pending) >= batch_size:
            batch.position = source.tell() if source.seekable() else 0
            yield batch
            batch = ParsedBatch()
    batch.position = source.tell() if source.seekable() else 0
    yield batch


def parse_file(
    path: str, regions: set[str], now: datetime, batch_size: int
) -> Iterator[ParsedBatch]:
    """:func:`parse_batches` over a file path, with system randomness (for a child process)."""
    with open(path, "rb") as source:  # noqa: PTH123 - a plain path string crosses processes
        yield from parse_batches(
            source,
            regions=regions,
            now=now,
            random_bytes=secrets.token_bytes,
            batch_size=batch_size,
        )


def write_batches(
    writer: ResidentBulkWriter,
    batches: Iterable[ParsedBatch],
    rejects: TextIO,
    *,
    random_bytes: Callable[[int], bytes],
    created_by: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Write parsed batches, one transaction each, and the rejected rows to ``rejects``.

    Args:
        writer: the bulk writer of the target database.
        batches: from :func:`parse_batches` (here or in a child process).
        rejects: where rejected rows go (a CSV with line and reasons).
        random_bytes: for fresh UINs when an allocated one collides.
        created_by: the official (or ``None`` for the operator) recorded on rows.
        on_progress: called with the bytes read so far after each batch.
    """
    report = ImportReport()
    side = _Rejects(rejects, report)
    for batch in batches:
        report.rows += batch.rows
        for line, reasons, raw in batch.rejected:
            side.add(line, reasons, raw)
        _flush(writer, batch.pending, side, report, created_by, random_bytes)
        if on_progress is not None:
            on_progress(batch.position)
    return report


def import_residents(
    writer: ResidentBulkWriter,
    source: BinaryIO,
    rejects: TextIO,
    *,
    clock: Clock,
    random_bytes: Callable[[int], bytes],
    created_by: str | None = None,
    batch_size: int = 5000,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the resident CSV in ``source`` in one process; rejected rows go to ``rejects``.

    Raises:
        ValidationError: the header is missing or not the expected columns.
    """
    batches = parse_batches(
        source,
        regions=writer.region_codes(),
        now=clock.now(),
        random_bytes=random_bytes,
        batch_size=batch_size,
    )
    return write_batches(
        writer,
        batches,
        rejects,
        random_bytes=random_bytes,
        created_by=created_by,
        on_progress=on_progress,
    )


def _flush(  # noqa: PLR0917 - private helper of import_residents
    writer: ResidentBulkWriter,
    batch: list[_Pending],
    side: _Rejects,
    report: ImportReport,
    created_by: str | None,
    random_bytes: Callable[[int], bytes],
) -> None:
    """Write one batch: skip references already stored, then insert the rest atomically.

    A conflict means someone else took a UIN or reference meanwhile; the batch is
    rolled back, re-checked and retried.
    """
    for _ in range(_RETRIES):
        if not batch:
            return
        present = writer.refs_taken([p.resident.external_ref or "" for p in batch])
        if present:
            report.already_present += sum(1 for p in batch if p.resident.external_ref in present)
            batch[:] = [p for p in batch if p.resident.external_ref not in present]
        _reallocate_taken_uins(writer, batch, side, random_bytes)
        try:
            writer.write([p.resident for p in batch], created_by)
        except ConflictError:
            continue
        report.imported += len(batch)
        return
    raise ConflictError("a batch kept conflicting with concurrent writes; re-run the import")


def _reallocate_taken_uins(
    writer: ResidentBulkWriter,
    batch: list[_Pending],
    side: _Rejects,
    random_bytes: Callable[[int], bytes],
) -> None:
    """Give fresh UINs to allocated rows that collided; reject rows whose given UIN is taken.

    Rows that gave their own UIN are placed first, so a UIN drawn at random for
    another row of the batch never wins over one a row asked for.
    """
    taken = writer.uins_taken([p.resident.uin for p in batch])
    claimed: set[str] = set()
    given: list[_Pending] = []
    for p in batch:
        if p.raw is None:
            continue
        if p.resident.uin in taken or p.resident.uin in claimed:
            side.add(p.line, ["uin: already allocated"], p.raw)
            continue
        claimed.add(p.resident.uin)
        given.append(p)
    drawn: list[_Pending] = []
    for p in batch:
        if p.raw is not None:
            continue
        uin = p.resident.uin
        while uin in taken or uin in claimed:
            uin = generate_uin(random_bytes)
        if uin != p.resident.uin:
            p.resident = replace(p.resident, uin=uin)
        claimed.add(uin)
        drawn.append(p)
    batch[:] = given + drawn

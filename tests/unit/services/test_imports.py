"""Bulk import of residents from CSV, against an in-memory bulk writer."""

from __future__ import annotations

import csv
import gc
import io
import sys
from typing import TYPE_CHECKING

import pytest

from carnet.domain.errors import ConflictError, ValidationError
from carnet.domain.identifiers import generate_uin, is_valid_uin
from carnet.domain.persons import ResidentStatus
from carnet.services.imports import COLUMNS, ImportReport, import_residents, parse_file
from tests.factories import COUNTY_A, TOWN_A, TOWN_B, seeded_bytes

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from carnet.domain.persons import Resident
    from tests.fakes import FakeClock

pytestmark = pytest.mark.unit

GIVEN_UIN = "370473083690"
OTHER_UIN = "215429306126"


class InMemoryBulkWriter:
    """A ResidentBulkWriter over dicts: all-or-nothing writes, unique UINs and references."""

    def __init__(
        self, regions: Sequence[str] = (COUNTY_A, TOWN_A, TOWN_B), conflicts: int = 0
    ) -> None:
        self.regions = set(regions)
        self.by_ref: dict[str, Resident] = {}
        self.taken_uins: set[str] = set()
        self.conflicts = conflicts  # how many writes fail before one succeeds
        self.writes: list[tuple[int, str | None]] = []  # (batch size, created_by) per success
        self.attempts = 0

    def region_codes(self) -> set[str]:
        return set(self.regions)

    def refs_taken(self, refs: Sequence[str]) -> set[str]:
        return {ref for ref in refs if ref in self.by_ref}

    def uins_taken(self, uins: Sequence[str]) -> set[str]:
        return {uin for uin in uins if uin in self.taken_uins}

    def write(self, residents: Sequence[Resident], created_by: str | None) -> None:
        self.attempts += 1
        if self.conflicts > 0:
            self.conflicts -= 1
            raise ConflictError("someone else wrote first")
        refs = [r.external_ref for r in residents]
        uins = [r.uin for r in residents]
        if (
            len(set(refs)) != len(refs)
            or len(set(uins)) != len(uins)
            or set(uins) & self.taken_uins
            or any(ref is None or ref in self.by_ref for ref in refs)
        ):
            raise ConflictError("unique constraint")
        for r in residents:
            assert r.external_ref is not None
            self.by_ref[r.external_ref] = r
            self.taken_uins.add(r.uin)
        self.writes.append((len(residents), created_by))


def _row(ref: str, **overrides: str) -> list[str]:
    values = {
        "external_ref": ref,
        "uin": "",
        "family_name_native": "홍",
        "given_name_native": "길동",
        "family_name_latin": "Hong",
        "given_name_latin": "Gil-dong",
        "date_of_birth": "1968-04-21",
        "sex": "M",
        "place_of_birth": "가상시",
        "address": "가상로 12길 3",
        "region_code": TOWN_A,
        "household_ref": "",
        "phone": "",
        "email": "",
    }
    values.update(overrides)
    return [values[c] for c in COLUMNS]


def _line(fields: Sequence[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue().encode("utf-8")


def _file(*lines: bytes, header: Sequence[str] = COLUMNS) -> bytes:
    return _line(header) + b"".join(lines)


def _run(
    writer: InMemoryBulkWriter,
    data: bytes,
    clock: FakeClock,
    *,
    random_bytes: Callable[[int], bytes] | None = None,
    **kwargs: object,
) -> tuple[ImportReport, list[list[str]]]:
    rejects = io.StringIO()
    report = import_residents(
        writer,
        io.BytesIO(data),
        rejects,
        clock=clock,
        random_bytes=random_bytes or seeded_bytes(3),
        **kwargs,  # type: ignore[arg-type]
    )
    rows = list(csv.reader(io.StringIO(rejects.getvalue())))
    assert rows[0] == ["line", "reasons", *COLUMNS]
    return report, rows[1:]


def _reason_keys(reject: list[str]) -> list[str]:
    return [reason.split(":", 1)[0] for reason in reject[1].split("; ")]


# --------------------------------------------------------------------------- happy path


def test_good_rows_are_imported(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    data = _file(
        _line(_row("R-1")),
        _line(_row("R-2", uin=GIVEN_UIN, region_code=TOWN_B, sex="f")),
        _line(_row("R-3", date_of_birth="1970", email="r3@example.org")),
    )
    report, rejects = _run(writer, data, clock, created_by="official-1")
    assert report == ImportReport(rows=3, imported=3, already_present=0, rejected=0, reasons={})
    assert rejects == []
    assert set(writer.by_ref) == {"R-1", "R-2", "R-3"}
    r1, r2, r3 = (writer.by_ref[ref] for ref in ("R-1", "R-2", "R-3"))
    assert is_valid_uin(r1.uin)
    assert r2.uin == GIVEN_UIN
    assert r2.region_code == TOWN_B
    assert str(r3.date_of_birth) == "1970"
    assert r3.email == "r3@example.org"
    assert r1.created_at == r1.updated_at == clock.now()
    assert r1.status is ResidentStatus.ACTIVE
    assert r1.family_name_native == "홍"
    assert len({r1.uin, r2.uin, r3.uin}) == 3
    assert len({r1.id, r2.id, r3.id}) == 3
    assert writer.writes == [(3, "official-1")]


def test_quoting_crlf_and_a_byte_order_mark_are_understood(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    w.writerow(_row("R-1", address='가상로 1, "별관"\n2층'))
    data = b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
    report, rejects = _run(writer, data, clock)
    assert (report.imported, rejects) == (1, [])
    assert writer.by_ref["R-1"].address == '가상로 1, "별관" 2층'


def test_an_empty_file_after_the_header_imports_nothing(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    report, rejects = _run(writer, _file(), clock)
    assert report == ImportReport()
    assert rejects == []
    assert writer.attempts == 0


def test_rows_are_written_in_batches_with_progress(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    data = _file(*(_line(_row(f"R-{n}")) for n in range(5)))
    progress: list[int] = []
    report, _ = _run(writer, data, clock, batch_size=2, on_progress=progress.append)
    assert report.imported == 5
    assert [size for size, _ in writer.writes] == [2, 2, 1]
    assert len(progress) == 3
    assert progress == sorted(progress)
    assert progress[-1] == len(data)


def test_the_source_file_is_left_open(clock: FakeClock) -> None:
    source = io.BytesIO(_file(_line(_row("R-1"))))
    import_residents(
        InMemoryBulkWriter(), source, io.StringIO(), clock=clock, random_bytes=seeded_bytes(1)
    )
    assert not source.closed


def test_a_file_can_be_parsed_by_path_for_a_worker_process(
    clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "residents.csv"
    path.write_bytes(_file(*(_line(_row(f"R-{n}")) for n in range(3)), _line(_row("BAD", sex="Q"))))
    batches = list(parse_file(str(path), {TOWN_A}, clock.now(), 2))
    pending = [p.resident for b in batches for p in b.pending]
    assert [r.external_ref for r in pending] == ["R-0", "R-1", "R-2"]
    assert all(is_valid_uin(r.uin) for r in pending)
    assert len({r.uin for r in pending}) == 3
    assert [line for b in batches for line, _, _ in b.rejected] == [5]
    assert sum(b.rows for b in batches) == 4
    assert batches[-1].position == path.stat().st_size


# --------------------------------------------------------------------------- header


@pytest.mark.parametrize(
    "data",
    [
        b"",
        _line(COLUMNS[:-1]),
        _line([*COLUMNS, "extra"]),
        _line([COLUMNS[1], COLUMNS[0], *COLUMNS[2:]]),
        _line([c.upper() for c in COLUMNS]),
        _line(_row("R-1")),  # data, no header
    ],
    ids=["empty", "missing-column", "extra-column", "reordered", "upper-case", "no-header"],
)
def test_a_missing_or_wrong_header_is_refused(clock: FakeClock, data: bytes) -> None:
    writer = InMemoryBulkWriter()
    payload = data + _line(_row("R-2")) if data else b""
    with pytest.raises(ValidationError) as info:
        _run(writer, payload, clock)
    field = info.value.field
    assert field == "header"
    assert writer.by_ref == {}


def test_a_bad_header_leaves_no_reader_to_clean_up(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def fail() -> str | None:
        with pytest.raises(ValidationError) as info:  # info <-> this frame: a cycle
            import_residents(
                InMemoryBulkWriter(),
                io.BytesIO(_file(_line(_row("R-1")), header=COLUMNS[:-1])),
                io.StringIO(),
                clock=clock,
                random_bytes=seeded_bytes(1),
            )
        return info.value.field

    assert fail() == "header"
    gc.collect()
    assert unraisable == []


# --------------------------------------------------------------------------- rejected rows


def test_each_bad_row_is_rejected_with_its_reason_and_the_rest_imported(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    good_a, good_b = _row("A"), _row("B")
    bad_utf8 = _line(_row("BAD-UTF8", family_name_latin="Hong")).replace(b"Hong", b"H\xffng")
    data = _file(
        _line(good_a),  # line 2
        _line(_row("SHORT")[:-1]),  # 3: a column missing
        bad_utf8,  # 4
        _line(_row("HUGE", address="x" * 70_000)),  # 5: a record over 64 KiB
        _line(_row("")),  # 6: no reference
        _line(_row("R" * 65)),  # 7: reference too long
        _line(_row("A", given_name_latin="Other")),  # 8: duplicate of line 2
        _line(_row("BAD-UIN", uin="123456789012")),  # 9
        _line(_row("FEB-30", date_of_birth="2023-02-30")),  # 10
        _line(_row("TOMORROW", date_of_birth="2026-03-03")),  # 11 (today is 2026-03-02)
        _line(_row("NOWHERE", region_code="99999")),  # 12
        _line(_row("TWO-FAULTS", uin="370473083691", region_code="99999")),  # 13
        _line(_row("LONG-NAME", family_name_native="김" * 201)),  # 14
        _line(good_b),  # 15
    )
    report, rejects = _run(writer, data, clock)
    assert set(writer.by_ref) == {"A", "B"}
    assert writer.by_ref["A"].given_name_latin == "Gil-dong"  # the first "A" won
    assert report.rows == 14
    assert report.imported == 2
    assert report.rejected == 12
    assert report.already_present == 0
    by_line = {int(r[0]): r for r in rejects}
    assert {line: set(_reason_keys(r)) for line, r in by_line.items()} == {
        3: {"columns"},
        4: {"encoding"},
        5: {"size"},
        6: {"external_ref"},
        7: {"external_ref"},
        8: {"external_ref"},
        9: {"uin"},
        10: {"date_of_birth"},
        11: {"date_of_birth"},
        12: {"region_code"},
        13: {"uin", "region_code"},
        14: {"family_name_native"},
    }
    assert report.reasons == {
        "columns": 1,
        "encoding": 1,
        "size": 1,
        "external_ref": 3,
        "uin": 2,
        "date_of_birth": 2,
        "region_code": 2,
        "family_name_native": 1,
    }
    assert by_line[9][2:] == _row("BAD-UIN", uin="123456789012")  # the raw columns follow
    assert by_line[4][2] == "BAD-UTF8"
    mangled = by_line[4][2 + COLUMNS.index("family_name_latin")]
    assert (mangled[0], len(mangled), mangled[2:]) == ("H", 4, "ng")  # one replacement character


def test_a_malformed_csv_record_is_rejected_alone(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    data = _file(_line(_row("A")), b'"broken"quote,x\n', _line(_row("B")))
    report, rejects = _run(writer, data, clock)
    assert set(writer.by_ref) == {"A", "B"}
    assert report.rejected == 1
    assert [r[0] for r in rejects] == ["3"]


def test_the_rejects_file_is_valid_utf8(clock: FakeClock) -> None:
    bad = _line(_row("X", address="AAAA")).replace(b"AAAA", b"\xc3\x28\xa0\xa1")
    rejects = io.StringIO()
    import_residents(
        InMemoryBulkWriter(),
        io.BytesIO(_file(bad)),
        rejects,
        clock=clock,
        random_bytes=seeded_bytes(1),
    )
    rejects.getvalue().encode("utf-8")  # no lone surrogates leak into the side file
    assert rejects.getvalue().count("\n") == 2  # the header and the one rejected row


# --------------------------------------------------------------------------- idempotence


def test_running_the_same_file_again_imports_nothing_new(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    data = _file(_line(_row("A")), _line(_row("B", uin=GIVEN_UIN)), _line(_row("BAD", sex="Q")))
    first, _ = _run(writer, data, clock)
    stored = dict(writer.by_ref)
    second, rejects = _run(writer, data, clock, random_bytes=seeded_bytes(4))
    assert (first.imported, first.rejected) == (2, 1)
    assert second.imported == 0
    assert second.already_present == 2
    assert second.rejected == 1
    assert [r[0] for r in rejects] == ["4"]
    assert writer.by_ref == stored


def test_a_partly_imported_file_completes(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    _run(writer, _file(_line(_row("A")), _line(_row("B"))), clock)
    report, _ = _run(writer, _file(*(_line(_row(ref)) for ref in "ABCD")), clock, batch_size=3)
    assert (report.imported, report.already_present) == (2, 2)
    assert set(writer.by_ref) == set("ABCD")


# --------------------------------------------------------------------------- conflicts


def test_a_conflicting_batch_is_retried(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter(conflicts=1)
    report, rejects = _run(writer, _file(_line(_row("A")), _line(_row("B"))), clock)
    assert report.imported == 2
    assert rejects == []
    assert writer.attempts == 2
    assert writer.writes == [(2, None)]


def test_a_batch_that_keeps_conflicting_stops_the_import(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter(conflicts=100)
    with pytest.raises(ConflictError):
        _run(writer, _file(_line(_row("A"))), clock)
    assert writer.by_ref == {}
    assert 1 < writer.attempts < 100


def test_a_given_uin_that_is_taken_rejects_its_row(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    writer.taken_uins.add(GIVEN_UIN)
    data = _file(_line(_row("A", uin=GIVEN_UIN)), _line(_row("B")))
    report, rejects = _run(writer, data, clock)
    assert set(writer.by_ref) == {"B"}
    assert report.rejected == 1
    assert [(r[0], _reason_keys(r)) for r in rejects] == [("2", ["uin"])]


def test_the_same_given_uin_twice_in_a_file_rejects_the_second(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    data = _file(
        _line(_row("A", uin=GIVEN_UIN)),
        _line(_row("B", uin=GIVEN_UIN)),
        _line(_row("C", uin=OTHER_UIN)),
    )
    report, rejects = _run(writer, data, clock)
    assert writer.by_ref["A"].uin == GIVEN_UIN
    assert writer.by_ref["C"].uin == OTHER_UIN
    assert "B" not in writer.by_ref
    assert [(r[0], _reason_keys(r)) for r in rejects] == [("3", ["uin"])]
    assert report.imported == 2


def test_an_allocated_uin_that_collides_is_drawn_again(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    first_draw = generate_uin(seeded_bytes(8))
    writer.taken_uins.add(first_draw)
    report, rejects = _run(writer, _file(_line(_row("A"))), clock, random_bytes=seeded_bytes(8))
    assert (report.imported, rejects) == (1, [])
    assert writer.by_ref["A"].uin != first_draw
    assert is_valid_uin(writer.by_ref["A"].uin)


def test_a_given_uin_later_in_the_batch_makes_an_allocated_one_be_drawn_again(
    clock: FakeClock,
) -> None:
    writer = InMemoryBulkWriter()
    first_draw = generate_uin(seeded_bytes(9))
    data = _file(_line(_row("B", uin=first_draw)), _line(_row("A")))
    report, rejects = _run(writer, data, clock, random_bytes=seeded_bytes(9))
    assert (report.imported, rejects) == (2, [])
    assert writer.by_ref["B"].uin == first_draw
    assert writer.by_ref["A"].uin != first_draw


def test_a_given_uin_wins_over_one_drawn_earlier_in_the_same_batch(clock: FakeClock) -> None:
    writer = InMemoryBulkWriter()
    first_draw = generate_uin(seeded_bytes(9))
    data = _file(_line(_row("A")), _line(_row("B", uin=first_draw)))
    report, rejects = _run(writer, data, clock, random_bytes=seeded_bytes(9))
    assert (report.imported, rejects) == (2, [])
    assert writer.by_ref["B"].uin == first_draw
    assert writer.by_ref["A"].uin != first_draw

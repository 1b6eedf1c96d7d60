"""The records as the store keeps them (schema 11: the checked columns, the rest in the record's CSV line):
every value read back from the store is the value the typed reader gives, whatever the file's column order,
quoting, spacing or number spelling, on the serial path and on the worker processes' path."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from test_intake_records import HEADER, ROW, swap, write

from workstation.errors import InputError
from workstation.intake import RECORD_COLUMNS, read_records
from workstation.intake.records_csv import parse_lines, read_packed
from workstation.service import Workstation
from workstation.store.records import line_values

PW = "admin-passphrase-1"
_READ = ("SELECT r.tin, r.tin_type, r.tax_year, r.name, r.name_control, r.addr_key, r.hold, l.line "
         "FROM taxpayer_records AS r JOIN taxpayer_record_lines AS l ON l.id = r.rowid")


def tricky_rows() -> list[str]:
    """Rows that take every path of the packer: quotes, a backslash, non-ASCII text, spaces around values (Unicode
    spaces too), leading zeros and a negative zero, empty values, an EIN. (A control character, or a record over
    two lines — a line end in a field —, is refused: tests/test_hostile_names.py.)"""
    rows = [swap("tax_year", str(year)) for year in range(1990, 2012)]
    rows[1] = swap("name", '"Example, ""Maria"""', rows[1])
    rows[2] = swap("employer", '"Smith, Jones & Co"', rows[2])
    rows[3] = swap("employer", "C:\\ Widgets \\n", rows[3])
    rows[4] = swap("street", "  12 Ñandú Calle #4  ", swap("city", " São Paulo\u00a0", rows[4]))
    rows[5] = swap("agi", "-0", swap("refund", "007", swap("dependents", "  02 ", rows[5])))
    rows[6] = swap("street", "", swap("city", "", swap("address_as_of", "", swap("hold", "", rows[6]))))
    rows[7] = swap("tin", "12-3456789", swap("tin_type", "EIN", swap("name", "Acme\u00a0LLC \u2019s", rows[7])))
    rows[8] = swap("phone", "\u3000555", swap("bank_account", "\u2003", rows[8]))
    rows[9] = swap("filing_status", '"mfj"', swap("wages", "", swap("interest", "0", rows[9])))
    rows[10] = swap("name", "  Jo   Example ", swap("hold", "1", rows[10]))
    return rows


def stored(path: Path) -> list[tuple[Any, ...]]:
    """The store's rows after importing `path` into a new store, as typed rows (RECORD_COLUMNS), in key order."""
    with Workstation(path.parent / "store").init("admin", PW, bind_device=False)[0] as session:
        session.import_records(path)
        rows = session.conn.execute(_READ).fetchall()
    return sorted(map(_typed, rows), key=_key)


def _typed(row: tuple[Any, ...]) -> tuple[Any, ...]:
    tin, tin_type, year, name, control, key, hold, line = row
    values = {"tin": tin, "tin_type": tin_type, "tax_year": year, "name": name, "name_control": control,
              "addr_key": key, "hold": hold, **_values(line)}
    return tuple(values[c] for c in RECORD_COLUMNS)


def typed(path: Path) -> list[tuple[Any, ...]]:
    return sorted((row for batch in read_records(path) for row in batch), key=_key)


def _key(row: tuple[Any, ...]) -> tuple[str, int, str]:
    return row[0], row[8], row[1]


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("reverse", [False, True])
def test_every_value_read_back_from_the_store_is_the_typed_readers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  workers: str, reverse: bool) -> None:
    monkeypatch.setenv("DWS_IMPORT_WORKERS", workers)
    monkeypatch.setenv("DWS_IMPORT_PARALLEL_MIN_BYTES", "0")
    rows = tricky_rows()
    columns = HEADER.split(",")
    if reverse:                                  # the file's columns in another order: the line is rebuilt
        rows = [_csv(reversed(next(csv.reader([row])))) for row in rows]
        path = write(tmp_path, *rows, header=",".join(reversed(columns)))
    else:
        path = write(tmp_path, *rows)
    expected = typed(path)
    assert len(expected) == 22 and (0, 0, 7, 2) in [r[10:14] for r in expected]
    assert stored(path) == expected


def _csv(fields: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(list(fields))
    return out.getvalue()


def test_a_correction_replaces_the_rows_with_their_new_values(tmp_path: Path) -> None:
    first = write(tmp_path, *tricky_rows()[:6], name="first.csv")
    second = write(tmp_path, *[swap("employer", "New Employer", row) for row in tricky_rows()[3:9]],
                   name="second.csv")
    with Workstation(tmp_path / "store").init("admin", PW, bind_device=False)[0] as session:
        session.import_records(first)
        summary = session.import_records(second)
        assert (summary.inserted, summary.replaced) == (3, 3)
        rows = sorted(map(_typed, session.conn.execute(_READ).fetchall()), key=_key)
    replaced = {_key(row) for row in typed(second)}
    assert rows == sorted([r for r in typed(first) if _key(r) not in replaced] + typed(second), key=_key)


def test_a_packed_batch_is_json_of_the_checked_columns_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, ROW, swap("name", '"Example, ""Maria"""', swap("tax_year", "2023")))
    (batch,) = read_packed(path)
    earlier, row = json.loads(batch.rows)                  # in key order: 2023 first
    earlier_line, line = json.loads(batch.lines)
    assert batch.count == 2
    assert row == ["212701234", "SSN", 2024, "Maria Example", "EXAM", "1200 CONGRESS AVE APT 4|AUSTIN|TX|78701", 0]
    assert line == ROW
    assert earlier[2:4] == [2023, 'Example, "Maria"'] and _values(earlier_line)["agi"] == -1500
    lines = path.read_text().splitlines(keepends=True)[1:]
    assert parse_lines(lines, list(range(20)), 2, path, packed=True) == batch


ODD_VALUES = [
    ("agi", v) for v in ("-", "--1", "1-2", "5-", "-0", " 12 ", "12 3", "+5", "1_000", "\u0661\u0662", "-123456789012",
                         "-1234567890123", "0" * 13, "")
] + [
    ("wages", v) for v in ("-1", "-", "007", "1" * 12, "1" * 13, " ")
] + [
    ("dependents", v) for v in ("999", "1000", "-1", "0003")
] + [
    ("tin", v) for v in ("123 45 6789", " 212-70-1234 ", "212-70-12345", "21270123", "", "2127O1234")
] + [
    ("tax_year", v) for v in (" 2024", "２０２４", "1899", "2101")
] + [
    ("address_as_of", v) for v in ("2024-02-29", "2023-02-29", " 2024-01-01 ", "2024-1-01")
] + [("hold", v) for v in (" 1", "2", "")] + [("name", v) for v in (" ", "\u00a0")]


def outcome(read: Any, path: Path) -> tuple[str, str | None, str] | list[Any]:
    try:
        return [row for batch in read(path) for row in batch]
    except InputError as err:
        return ("error", err.where, err.message)


@pytest.mark.parametrize(("column", "value"), ODD_VALUES)
def test_the_packed_reader_refuses_exactly_what_the_typed_reader_refuses(tmp_path: Path, column: str,
                                                                        value: str) -> None:
    rows = [swap("tax_year", str(year)) for year in range(2015, 2020)]
    rows.insert(2, swap(column, value, swap("tax_year", "2024") if column != "tax_year" else ROW))
    path = write(tmp_path, *rows)
    typed_outcome = outcome(read_records, path)
    packed_outcome = outcome(lambda p: [json.loads(b.rows) for b in read_packed(p)], path)
    if isinstance(typed_outcome, tuple):
        assert packed_outcome == typed_outcome
    else:
        assert isinstance(packed_outcome, list) and len(packed_outcome) == len(typed_outcome) == 6


def _values(line: str) -> dict[str, Any]:
    return line_values([line])[0]


def test_a_read_only_copy_checks_the_unique_key_without_building_it(tmp_path: Path) -> None:
    """An office evaluation's working copy builds the two indexes the checks read and finds a key two rows give
    by one pass over the match index (store/records.create_read_indexes): None for distinct keys, the key for a
    repeated one (the fill then refuses: "the office gave two records for one TIN, type and year")."""
    import os

    from workstation.store import db
    from workstation.store import records as records_sql

    def copy(rows: list[list[Any]]) -> db.Connection:
        folder = tmp_path / f"copy{len(rows)}"
        folder.mkdir()
        conn = db.connect(folder / db.DB_NAME, os.urandom(32), create=True)
        db.migrate(conn)
        records_sql.drop_indexes(conn)
        records_sql.insert_packed(conn, 1, json.dumps(rows), None)
        return conn

    one = ["123456789", "SSN", 2023, "ANA DIAZ", "DIAZ", "1|MAIN ST|AUSTIN|TX|78701", 0]
    other = ["123456789", "SSN", 2024, "ANA DIAZ", "DIAZ", "1|MAIN ST|AUSTIN|TX|78701", 0]
    conn = copy([one, other])
    assert records_sql.create_read_indexes(conn) is None
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'taxpayer_records' "
                                        "AND type = 'index' AND sql IS NOT NULL")}
    assert names == {"taxpayer_records_match", "taxpayer_records_addr"}
    assert conn.execute("SELECT count(*) FROM taxpayer_record_lines").fetchone()[0] == 0      # no lines stored
    assert records_sql.create_read_indexes(copy([one, other, [*one[:3], "ANA D DIAZ", *one[4:]]])) == (
        "123456789", 2023, "SSN")

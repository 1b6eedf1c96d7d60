"""Taxpayer records CSV: typed rows in RECORD_COLUMNS order, and one clear error per bad file naming the
file, the line and the column — never the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workstation.errors import InputError
from workstation.intake import RECORD_COLUMNS, read_records
from workstation.normalize import address_key, name_control

DATA = Path(__file__).parent / "data" / "intake"
HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,"
          "refund,dependents,phone,bank_account,wages,employer,interest,hold")
TIN, NAME, STREET = "212-70-1234", "Maria Example", "1200 Congress Ave Apt 4"
ROW = f"{TIN},SSN,{NAME},{STREET},Austin,TX,78701,2024-03-01,2024,single,-1500,0,250,2,,,41000,,12,0"
SECRETS = (TIN, "212701234", NAME, STREET, "41000")


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "records.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode("utf-8"))
    return path


def rows_of(path: Path, batch_size: int = 20_000) -> list[tuple[Any, ...]]:
    return [row for batch in read_records(path, batch_size) for row in batch]


def failure(path: Path, batch_size: int = 20_000) -> InputError:
    with pytest.raises(InputError) as info:
        rows_of(path, batch_size)
    return info.value


def check(err: InputError, path: Path, where: str | None, *words: str) -> None:
    text = str(err)
    assert err.source == str(path) and text.startswith(str(path)), text
    if where is not None:
        assert err.where == where, text
    for word in words:
        assert word in text, text
    for secret in SECRETS:
        assert secret not in text, text


# -- good files ---------------------------------------------------------------------------------------------

def test_columns_are_the_interchange_columns_then_the_keys() -> None:
    assert (*HEADER.split(","), "name_control", "addr_key") == RECORD_COLUMNS


def test_a_row_is_converted_to_typed_values(tmp_path: Path) -> None:
    (row,) = rows_of(write(tmp_path, ROW))
    assert dict(zip(RECORD_COLUMNS, row, strict=True)) == {
        "tin": "212701234", "tin_type": "SSN", "name": NAME, "street": STREET, "city": "Austin",
        "state": "TX", "zip": "78701", "address_as_of": "2024-03-01", "tax_year": 2024,
        "filing_status": "single", "agi": -1500, "total_tax": 0, "refund": 250, "dependents": 2,
        "phone": None, "bank_account": None, "wages": 41000, "employer": None, "interest": 12, "hold": 0,
        "name_control": name_control(NAME), "addr_key": address_key(STREET, "Austin", "TX", "78701"),
    }


def test_column_order_quotes_crlf_bom_and_blank_lines(tmp_path: Path) -> None:
    columns = HEADER.split(",")
    header = ",".join(reversed(columns))
    values = dict(zip(columns, ROW.split(","), strict=True))
    values.update(name='"Example, Maria"', employer='"Smith, Jones & Co"', hold="1", tin="212701234")
    second = {**values, "tax_year": "2023", "street": "", "city": "", "address_as_of": "", "hold": "",
              "agi": "", "name": " Jo  Example "}
    ein = {**values, "tin": "12-3456789", "tin_type": "EIN", "name": "Acme LLC"}
    lines = [",".join(v[c] for c in reversed(columns)) for v in (values, second, ein)]
    path = tmp_path / "records.csv"
    path.write_bytes(("\ufeff" + header + "\r\n" + lines[0] + "\r\n\r\n" + lines[1] + "\r\n" + lines[2])
                     .encode("utf-8"))
    first, again, company = rows_of(path)
    assert first[2] == "Example, Maria" and first[17] == "Smith, Jones & Co" and first[19] == 1
    assert first[20] == name_control("Example, Maria")
    assert again[2] == "Jo  Example" and again[3] is None and again[7] is None and again[10] is None
    assert again[19] == 0 and again[21] is None            # no street: no address key
    assert company[:2] == ("123456789", "EIN")


def test_batches_are_bounded_and_lines_counted_across_them(tmp_path: Path) -> None:
    rows = [ROW.replace("2024,single", f"{year},single") for year in range(1990, 2010)]
    rows[5] = rows[5].replace(",,,41000,,", ',,,41000,"two, parts",')
    rows.append(ROW.replace("2024,single", "1800,single"))
    path = write(tmp_path, *rows)
    batches = []
    with pytest.raises(InputError) as info:
        for batch in read_records(path, batch_size=3):
            batches.append(batch)
    assert [len(b) for b in batches] == [3] * 6      # the 7th batch holds the bad row
    assert batches[1][2][17] == "two, parts"
    check(info.value, path, "line 22, column tax_year", "before 1900")


# -- bad files -----------------------------------------------------------------------------------------------

def swap(column: str, value: str, row: str = ROW) -> str:
    fields = row.split(",")
    fields[HEADER.split(",").index(column)] = value
    return ",".join(fields)


@pytest.mark.parametrize(("column", "value", "words"), [
    ("tin", "000-70-1234", ["not a valid SSN"]),
    ("tin", "912701234", ["not a valid SSN"]),
    ("tin", "2127012345", ["not 9 digits"]),
    ("tin", "21270123x", ["not 9 digits"]),
    ("tin", "", ["tin is empty"]),
    ("tin_type", "SIN", ["SSN, ITIN or EIN"]),
    ("name", "  ", ["name is empty"]),
    ("agi", "12.50", ["not a whole number"]),
    ("total_tax", "1,200", None),                   # an unquoted comma: one field too many
    ("refund", "abc", ["not a whole number"]),
    ("wages", "-41000", ["must not be negative"]),
    ("interest", "4-1", ["not a whole number"]),
    ("agi", "1" * 13, ["at most 12 digits"]),
    ("refund", "9" * 5000, ["at most 12 digits"]),
    ("dependents", "1000", ["at most 3 digits"]),
    ("tax_year", "24", ["not a 4-digit year"]),
    ("tax_year", "1899", ["before 1900"]),
    ("tax_year", "", ["not a 4-digit year"]),
    ("address_as_of", "03/01/2024", ["not a date"]),
    ("address_as_of", "2024-02-30", ["not a date"]),
    ("hold", "yes", ["hold must be 1, 0 or empty"]),
])
def test_bad_value_names_line_and_column(tmp_path: Path, column: str, value: str,
                                         words: list[str] | None) -> None:
    good = ROW.replace("2024,single", "2023,single")
    path = write(tmp_path, good, good.replace("2023,single", "2022,single"), swap(column, value))
    if words is None:
        check(failure(path), path, "line 4", "has 21 field(s)", "20")
    else:
        check(failure(path), path, f"line 4, column {column}", *words)


def test_bad_value_in_a_later_batch(tmp_path: Path) -> None:
    rows = [swap("tax_year", str(year)) for year in range(1950, 2000)]
    rows[42] = swap("agi", "lots", rows[42])
    path = write(tmp_path, *rows)
    check(failure(path, batch_size=7), path, "line 44, column agi", "whole number")


@pytest.mark.parametrize(("header", "where", "words"), [
    (HEADER.replace(",hold", ""), "line 1", ["missing column", "hold"]),
    (HEADER.replace("agi,", ""), "line 1", ["missing column", "agi"]),
    (HEADER + ",notes", "line 1", ["unknown column 'notes'"]),
    (HEADER.replace("agi", "tin"), "line 1", ["'tin' appears twice"]),
    (ROW, "line 1", ["not the header"]),
])
def test_bad_header(tmp_path: Path, header: str, where: str, words: list[str]) -> None:
    path = write(tmp_path, ROW, header=header)
    check(failure(path), path, where, *words)


def test_headerless_file_with_a_name_column_shows_no_value(tmp_path: Path) -> None:
    path = write(tmp_path, header=f"tin,{NAME},{TIN}")
    check(failure(path), path, "line 1", "unknown column <unrecognised column of 13 characters> (column 2)")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_bytes(b"")
    check(failure(path), path, None, "empty")


def test_too_many_and_too_few_fields(tmp_path: Path) -> None:
    path = write(tmp_path, ROW, ROW.replace("2024,single", "2023,single") + ",extra")
    check(failure(path), path, "line 3", "has 21 field(s); the header has 20")
    path = write(tmp_path, ROW.rsplit(",", 3)[0])
    check(failure(path), path, "line 2", "has 17 field(s)")


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    good = [ROW.replace("2024,single", f"{y},single") for y in range(2000, 2020)]
    text = "\n".join([HEADER, *good, swap("name", "Mar\xeda Example")]) + "\n"
    path.write_bytes(text.encode("latin-1"))
    check(failure(path, batch_size=5), path, "line 22", "not UTF-8")


def test_nul_byte_and_huge_line(tmp_path: Path) -> None:
    path = write(tmp_path, ROW, swap("employer", "Acme\x00"))
    check(failure(path), path, "line 3", "NUL")
    path = write(tmp_path, swap("employer", "x" * 100_000))
    check(failure(path), path, "line 2", "longer than")


def test_unterminated_quote(tmp_path: Path) -> None:
    path = write(tmp_path, ROW, swap("employer", '"Acme').replace("2024,single", "2023,single"))
    check(failure(path), path, "line 3", "not valid CSV")


def test_same_tin_and_year_twice_names_both_lines(tmp_path: Path) -> None:
    other = swap("tax_year", "2023")
    path = write(tmp_path, ROW, other, swap("name", "Maria Q Example", ROW))
    check(failure(path), path, "line 4", "same tin, tin_type and tax_year as line 2")
    # across batches, and written with and without dashes
    rows = [swap("tax_year", str(y)) for y in range(1990, 2000)] + [swap("tin", "212701234", ROW)]
    rows.insert(3, ROW)
    path = write(tmp_path, *rows)
    check(failure(path, batch_size=4), path, "line 13", "same tin, tin_type and tax_year as line 5")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    check(failure(tmp_path / "none.csv"), tmp_path / "none.csv", None, "not found")
    check(failure(tmp_path), tmp_path, None, "folder")


def test_kept_bad_fixture() -> None:
    path = DATA / "records_bad_amount.csv"
    err = failure(path)
    assert err.where == "line 3, column refund"
    assert "912" not in str(err) and "12.5" not in str(err)


def test_an_ssn_and_an_ein_may_share_digits(tmp_path: Path) -> None:
    ssn = swap("tin", "123-45-6789")
    ein = swap("tin_type", "EIN", swap("tin", "12-3456789"))
    rows = rows_of(write(tmp_path, ssn, ein))
    assert [row[:2] for row in rows] == [("123456789", "SSN"), ("123456789", "EIN")]


def test_chunks_inside_a_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workstation.intake import records_csv

    monkeypatch.setattr(records_csv, "CHUNK", 2)
    rows = [swap("tax_year", str(year)) for year in range(2000, 2009)]
    rows[4] = swap("employer", '"multi, line"', rows[4])
    path = write(tmp_path, *rows, "", rows[1])
    batches = []
    with pytest.raises(InputError) as info:
        for batch in read_records(path, batch_size=5):
            batches.append(batch)
    assert [len(b) for b in batches] == [5]
    assert [row[8] for row in batches[0]] == [2000, 2001, 2002, 2003, 2004]
    assert batches[0][4][17] == "multi, line"
    check(info.value, path, "line 12", "same tin, tin_type and tax_year as line 3")

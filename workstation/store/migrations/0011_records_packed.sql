-- Schema version 11 (issue 15): the taxpayer records table narrowed to what the checks and the indexes read —
-- tin, tin_type, tax_year, name, name_control, addr_key, hold — and each record's other values kept beside it
-- in `taxpayer_record_lines` (same rowid): the record as one CSV line in the column order of INTERCHANGE.md
-- ("Taxpayer records": tin, tin_type, name, street, city, state, zip, address_as_of, tax_year, filing_status,
-- agi, total_tax, refund, dependents, phone, bank_account, wages, employer, interest, hold), from which they are
-- read back (`store.records.line_values`: trimmed, empty as None, numbers as int). An import binds one
-- JSON text a batch instead of 22 values a row, and the index builds after a bulk load read a table a third
-- the size. The three indexes keep their names and columns; the rows keep their rowids and no key changes, so
-- no stored evaluation becomes stale.

CREATE TABLE taxpayer_records_v11 (
    tin           TEXT NOT NULL,        -- nine digits, no dashes
    tin_type      TEXT NOT NULL,
    tax_year      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    name_control  TEXT,
    addr_key      TEXT,
    hold          INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE taxpayer_record_lines (
    id            INTEGER PRIMARY KEY,  -- the record's rowid in taxpayer_records
    line          TEXT NOT NULL         -- the record's CSV line, INTERCHANGE column order
);
INSERT INTO taxpayer_records_v11 (rowid, tin, tin_type, tax_year, name, name_control, addr_key, hold)
SELECT rowid, tin, tin_type, tax_year, name, name_control, addr_key, hold FROM taxpayer_records ORDER BY rowid;
-- Each text value quoted (a quote doubled), a number as its digits, an empty value as nothing.
INSERT INTO taxpayer_record_lines (id, line)
SELECT rowid,
       ifnull('"' || replace(tin, '"', '""') || '"', '') || ',' ||
       ifnull('"' || replace(tin_type, '"', '""') || '"', '') || ',' ||
       ifnull('"' || replace(name, '"', '""') || '"', '') || ',' ||
       ifnull('"' || replace(street, '"', '""') || '"', '') || ',' ||
       ifnull('"' || replace(city, '"', '""') || '"', '') || ',' ||
       ifnull('"' || replace(state, '"', '""') || '"', '') || ',' ||
       ifnull('"' || replace(zip, '"', '""') || '"', '') || ',' ||
       ifnull('"' || replace(address_as_of, '"', '""') || '"', '') || ',' ||
       ifnull(tax_year, '') || ',' ||
       ifnull('"' || replace(filing_status, '"', '""') || '"', '') || ',' ||
       ifnull(agi, '') || ',' ||
       ifnull(total_tax, '') || ',' ||
       ifnull(refund, '') || ',' ||
       ifnull(dependents, '') || ',' ||
       ifnull('"' || replace(phone, '"', '""') || '"', '') || ',' ||
       ifnull('"' || replace(bank_account, '"', '""') || '"', '') || ',' ||
       ifnull(wages, '') || ',' ||
       ifnull('"' || replace(employer, '"', '""') || '"', '') || ',' ||
       ifnull(interest, '') || ',' ||
       ifnull(hold, '')
  FROM taxpayer_records ORDER BY rowid;
DROP TABLE taxpayer_records;
ALTER TABLE taxpayer_records_v11 RENAME TO taxpayer_records;
CREATE UNIQUE INDEX taxpayer_records_tin ON taxpayer_records(tin, tax_year, tin_type);
CREATE INDEX taxpayer_records_addr ON taxpayer_records(addr_key, tin, tin_type, name);
CREATE INDEX taxpayer_records_match ON taxpayer_records(tin, tax_year, tin_type, name_control, addr_key, hold);

-- Schema version 11 (issue 15): the taxpayer records table narrowed to what the checks and the indexes read;
-- the other values of a record travel together in one column, `data`, a JSON array in the order of
-- `model.RECORD_DATA_COLUMNS`: street, city, state, zip, address_as_of, filing_status, agi, total_tax,
-- refund, dependents, phone, bank_account, wages, employer, interest (JSON null for an empty value). An
-- import then binds 8 values a row instead of 22, or a whole batch as one JSON text. `store.records` reads
-- the packed values back by name (`data->>N`). The three indexes keep their names and columns; the rows keep
-- their rowids, and no key changes, so no stored evaluation becomes stale.

CREATE TABLE taxpayer_records_v11 (
    tin           TEXT NOT NULL,        -- nine digits, no dashes
    tin_type      TEXT NOT NULL,
    tax_year      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    name_control  TEXT,
    addr_key      TEXT,
    hold          INTEGER NOT NULL DEFAULT 0,
    data          TEXT NOT NULL         -- JSON array, model.RECORD_DATA_COLUMNS
);
INSERT INTO taxpayer_records_v11 (rowid, tin, tin_type, tax_year, name, name_control, addr_key, hold, data)
SELECT rowid, tin, tin_type, tax_year, name, name_control, addr_key, hold,
       json_array(street, city, state, zip, address_as_of, filing_status, agi, total_tax, refund, dependents,
                  phone, bank_account, wages, employer, interest)
  FROM taxpayer_records ORDER BY rowid;
DROP TABLE taxpayer_records;
ALTER TABLE taxpayer_records_v11 RENAME TO taxpayer_records;
CREATE UNIQUE INDEX taxpayer_records_tin ON taxpayer_records(tin, tax_year, tin_type);
CREATE INDEX taxpayer_records_addr ON taxpayer_records(addr_key, tin, tin_type, name);
CREATE INDEX taxpayer_records_match ON taxpayer_records(tin, tax_year, tin_type, name_control, addr_key, hold);

-- Schema version 6: a covering index for matching. Evaluation joins every subject's TIN with the records of
-- that TIN and needs only these columns: read from this index, a range of TINs is a range of pages, each
-- decrypted once, instead of rows scattered over the whole (encrypted) table.

CREATE INDEX taxpayer_records_match ON taxpayer_records(tin, tax_year, tin_type, name_control, addr_key, hold);

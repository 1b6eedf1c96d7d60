-- Schema version 7: the address index covers the name-and-address match. MATCH now looks up the address of
-- every subject (issue 21: both ways, always), and needs the TIN, its type and the name of every record at
-- that address: read from this index, an address is one seek and its records lie side by side, instead of
-- one row of the (encrypted) table read per record found.

DROP INDEX taxpayer_records_addr;
CREATE INDEX taxpayer_records_addr ON taxpayer_records(addr_key, tin, tin_type, name);

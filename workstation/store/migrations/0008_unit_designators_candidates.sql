-- Schema version 8 (issue 21). A unit designator written differently is a different address: "# 5" is no
-- longer read as "APT 5" (RULES.md is silent; the reading that releases less). The address key stored with
-- each record is recomputed for the streets that hold a "#" (`dws_address_key` is `normalize.address_key`,
-- given to this connection by `db.migrate`); no other key changes.
--
-- A subject MATCH finds more than one taxpayer for keeps them in `candidates` ('tin:type;tin:type', NULL for
-- every other subject): the officer reviewing it is shown whom, never a letter. `matched` stays NULL for it.
--
-- Every stored evaluation is stale (keys changed, and its needs-review subjects have no candidates stored).

UPDATE taxpayer_records SET addr_key = dws_address_key(street, city, state, zip)
 WHERE street IS NOT NULL AND instr(street, '#') > 0;
ALTER TABLE subject_results ADD COLUMN candidates TEXT;
INSERT INTO meta (key, value) VALUES ('data_version', '1')
 ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;

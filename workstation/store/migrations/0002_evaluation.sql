-- Schema version 2: stored evaluations (findings and release plan per subject), reviewer overrides,
-- the matching columns and indexes, and the data version that tells when an evaluation is stale.

ALTER TABLE subjects ADD COLUMN tin9 TEXT;          -- the subject's TIN as nine digits, when it is one
UPDATE subjects SET tin9 = replace(replace(tin, '-', ''), ' ', '')
 WHERE replace(replace(tin, '-', ''), ' ', '') GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]';
CREATE INDEX subjects_tin9 ON subjects(rid, tin9);
CREATE INDEX taxpayer_records_addr ON taxpayer_records(addr_key);

INSERT INTO meta (key, value) SELECT 'data_version', '1' WHERE EXISTS (SELECT 1 FROM meta);

CREATE TABLE evaluations (
    rid             INTEGER PRIMARY KEY REFERENCES requests(rid),
    evaluated_at    TEXT NOT NULL,
    evaluated_by    TEXT,
    as_of           TEXT NOT NULL,
    data_version    INTEGER NOT NULL,
    overrides_rev   INTEGER NOT NULL,
    recommendation  TEXT NOT NULL,
    needs_review    INTEGER NOT NULL,
    counts          TEXT NOT NULL,      -- JSON {subjects, releasable, withheld, no_record}
    request_findings TEXT NOT NULL,     -- JSON list of findings (passes included)
    code_counts     TEXT NOT NULL,      -- JSON {code: {outcome: n}} over every finding
    plan_hash       TEXT NOT NULL       -- SHA-256 over the release plan, subject by subject in order
);

CREATE TABLE subject_results (
    rid       INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    ref       TEXT NOT NULL,
    status    TEXT NOT NULL,            -- releasable | withheld | no-record | review
    matched   TEXT,                     -- matched TIN (nine digits) and type, 'tin:type'
    findings  TEXT NOT NULL,            -- JSON [[code, outcome, message], ...] (non-pass only)
    released  TEXT NOT NULL,            -- comma-separated elements
    withheld  TEXT NOT NULL,            -- comma-separated element:code
    PRIMARY KEY (rid, seq)
) WITHOUT ROWID;
CREATE INDEX subject_results_status ON subject_results(rid, status);

CREATE TABLE overrides (
    id          INTEGER PRIMARY KEY,
    rid         INTEGER NOT NULL REFERENCES requests(rid),
    seq         INTEGER,                -- NULL: every subject
    item        TEXT NOT NULL,
    action      TEXT NOT NULL,          -- release | withhold
    reason      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    undone_at   TEXT,
    undone_by   TEXT
);
CREATE INDEX overrides_rid ON overrides(rid);

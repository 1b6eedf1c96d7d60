-- Schema version 4: issued letters (the PDF bytes, one per final decision) and the accounting of
-- disclosures (26 U.S.C. 6103(p)(3)): one row per taxpayer disclosed to a recipient by a letter.

CREATE TABLE letters (
    letter_id        TEXT PRIMARY KEY,
    decision_id      TEXT NOT NULL UNIQUE REFERENCES decisions(decision_id),
    rid              INTEGER NOT NULL REFERENCES requests(rid),
    kind             TEXT NOT NULL,           -- transmittal | declination | foia-response
    template_version TEXT NOT NULL,
    pdf              BLOB NOT NULL,           -- exactly the bytes issued
    sha256           TEXT NOT NULL,           -- SHA-256 of pdf
    pages            INTEGER NOT NULL,
    issued_at        TEXT NOT NULL,
    issued_by        TEXT NOT NULL
);
CREATE INDEX letters_rid ON letters(rid);
CREATE INDEX letters_sha256 ON letters(sha256);

CREATE TABLE disclosures (
    id           INTEGER PRIMARY KEY,
    rid          INTEGER NOT NULL REFERENCES requests(rid),
    request_id   TEXT NOT NULL,
    letter_id    TEXT NOT NULL REFERENCES letters(letter_id),
    decision_id  TEXT NOT NULL,
    agency_code  TEXT,                        -- NULL for a recipient outside the agency register
    agency       TEXT NOT NULL,               -- recipient name (agency, component)
    tin          TEXT NOT NULL,               -- the matched taxpayer: nine digits
    tin_type     TEXT NOT NULL,
    ref          TEXT NOT NULL,               -- the requester's subject reference
    items        TEXT NOT NULL,               -- ';'-separated elements disclosed
    authority    TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    disclosed_at TEXT NOT NULL                -- UTC timestamp of issue
);
CREATE INDEX disclosures_date ON disclosures(disclosed_at);
CREATE INDEX disclosures_tin ON disclosures(tin, tin_type);

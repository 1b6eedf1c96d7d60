-- Schema version 3: signed decisions (preparer and approver signatures over the same canonical bytes).

CREATE TABLE decisions (
    id            INTEGER PRIMARY KEY,
    decision_id   TEXT NOT NULL UNIQUE,
    rid           INTEGER NOT NULL REFERENCES requests(rid),
    document      BLOB NOT NULL,          -- canonical JSON, exactly the signed bytes
    doc_hash      TEXT NOT NULL,          -- SHA-256 of document
    outcome       TEXT NOT NULL,
    status        TEXT NOT NULL,          -- signed | approved | superseded
    preparer      TEXT NOT NULL,
    preparer_key  BLOB NOT NULL,          -- Ed25519 public key, raw
    preparer_sig  BLOB NOT NULL,
    prepared_at   TEXT NOT NULL,
    approver      TEXT,
    approver_key  BLOB,
    approver_sig  BLOB,
    approved_at   TEXT
);
CREATE INDEX decisions_rid ON decisions(rid, status);

-- Schema version 1: users, settings, audit log, requests and subjects, taxpayer records, court orders,
-- agency register. Portable SQL where it costs nothing (a later PostgreSQL port keeps the same shapes).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    name         TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    public_key   BLOB NOT NULL,          -- Ed25519, raw 32 bytes
    sk_nonce     BLOB NOT NULL,
    sk_wrapped   BLOB NOT NULL,          -- private key, AES-GCM under a key from the user's passphrase
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    created_by   TEXT
);

-- Every public key a user has ever had, so old signatures verify after a key is replaced.
CREATE TABLE user_keys (
    user        TEXT NOT NULL REFERENCES users(name),
    public_key  BLOB NOT NULL,
    valid_from  TEXT NOT NULL,
    PRIMARY KEY (user, public_key)
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,           -- JSON
    changed_at TEXT NOT NULL,
    changed_by TEXT
);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    ts        TEXT NOT NULL,
    user      TEXT,
    event     TEXT NOT NULL,
    object    TEXT,
    detail    TEXT NOT NULL,            -- canonical JSON: ids, counts and codes, never taxpayer values
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE TABLE requests (
    rid           INTEGER PRIMARY KEY,
    request_id    TEXT NOT NULL UNIQUE,
    received_on   TEXT NOT NULL,
    authority     TEXT NOT NULL,
    agency        TEXT NOT NULL,
    agency_code   TEXT,
    due_on        TEXT,
    subject_count INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'new',
    package       TEXT NOT NULL,        -- canonical JSON of the package without its subjects
    package_hash  TEXT NOT NULL,        -- SHA-256 over the package and every subject, in order
    source        TEXT NOT NULL,
    imported_at   TEXT NOT NULL,
    imported_by   TEXT NOT NULL
);
CREATE INDEX requests_status ON requests(status, due_on);

CREATE TABLE subjects (
    rid      INTEGER NOT NULL REFERENCES requests(rid),
    seq      INTEGER NOT NULL,          -- order in the package
    ref      TEXT NOT NULL,
    name     TEXT,
    tin      TEXT,
    street   TEXT,
    city     TEXT,
    state    TEXT,
    zip      TEXT,
    periods  TEXT,                      -- ';'-separated, as given
    case_no  TEXT,
    reason   TEXT,
    PRIMARY KEY (rid, seq)
) WITHOUT ROWID;

CREATE TABLE taxpayer_records (
    tin           TEXT NOT NULL,        -- nine digits, no dashes
    tin_type      TEXT NOT NULL,
    tax_year      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    street        TEXT,
    city          TEXT,
    state         TEXT,
    zip           TEXT,
    address_as_of TEXT,
    filing_status TEXT,
    agi           INTEGER,
    total_tax     INTEGER,
    refund        INTEGER,
    dependents    INTEGER,
    phone         TEXT,
    bank_account  TEXT,
    wages         INTEGER,
    employer      TEXT,
    interest      INTEGER,
    hold          INTEGER NOT NULL DEFAULT 0,
    name_control  TEXT,
    addr_key      TEXT
);
CREATE UNIQUE INDEX taxpayer_records_tin ON taxpayer_records(tin, tax_year, tin_type);

CREATE TABLE court_orders (
    id                  INTEGER PRIMARY KEY,
    case_no             TEXT NOT NULL UNIQUE,
    court               TEXT NOT NULL,
    caption             TEXT NOT NULL,
    signed_on           TEXT NOT NULL,
    effective_from      TEXT NOT NULL,
    effective_to        TEXT,
    status              TEXT NOT NULL,
    enjoined_recipients TEXT NOT NULL,  -- JSON list
    enjoined_purposes   TEXT NOT NULL,  -- JSON list, may be ["*"]
    enjoined_items      TEXT NOT NULL,  -- JSON list, may be ["*"]
    note                TEXT,
    changed_at          TEXT NOT NULL,
    changed_by          TEXT NOT NULL
);

CREATE TABLE agencies (
    agency_code        TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    safeguards_current INTEGER NOT NULL,
    open_findings      INTEGER NOT NULL,
    corrective_plan    INTEGER NOT NULL,
    last_review        TEXT,
    changed_at         TEXT NOT NULL,
    changed_by         TEXT NOT NULL
);

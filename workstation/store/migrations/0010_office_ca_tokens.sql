-- Schema version 10: the office certificate authority, users' X.509 certificates (letters carry PAdES
-- signatures that any PDF reader verifies) and signing keys kept on a PKCS#11 token (a PIV card).

-- One CA per store, ECDSA P-256, made at `dws init` (or at the first unlock of an older store). Its private
-- key is wrapped (AES-256-GCM) under a key derived from the store's data key: any unlocked session may issue
-- a certificate for its own user's key, and every certificate issued is announced in the audit log, which
-- `dws verify` checks.
CREATE TABLE office_ca (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    certificate  BLOB NOT NULL,          -- DER, self-signed
    key_nonce    BLOB NOT NULL,
    key_wrapped  BLOB NOT NULL,          -- PKCS#8 DER
    created_at   TEXT NOT NULL
);

-- Every certificate the CA issued; a user's newest one for their current key signs their letters.
CREATE TABLE user_certificates (
    serial       TEXT PRIMARY KEY,       -- hex
    user         TEXT NOT NULL REFERENCES users(name),
    public_key   BLOB NOT NULL,          -- the key it certifies: SubjectPublicKeyInfo DER
    certificate  BLOB NOT NULL,          -- DER
    not_before   TEXT NOT NULL,
    not_after    TEXT NOT NULL,
    issued_at    TEXT NOT NULL
);
CREATE INDEX user_certificates_by_user ON user_certificates (user, issued_at);

-- A user whose signing key lives on a PKCS#11 token: JSON {"module", "token_label", "key_label"}. NULL when
-- the key is in the user's keyslot (sk_nonce / sk_wrapped). The PIN is never stored.
ALTER TABLE users ADD COLUMN token TEXT;

-- Schema version 9: the audit log as a Merkle tree (RFC 9162 §2.1), its signed checkpoints and the
-- users' checkpoint keys. (0007 is the address-match index of the branch merged alongside this one.)

-- The tree's complete nodes of level 4 and above: node (level, idx) is the root of the perfect subtree over
-- leaves [idx * 2^level, (idx + 1) * 2^level); leaf i is audit-log entry seq = i + 1. Nodes below level 4
-- (at most 16 entries) are recomputed from the entries when a proof needs them, so 15 appends in 16 store
-- nothing and the 16th stores its tile's root and the nodes it completes (O(log n)). The root of any past
-- size and every proof read a few dozen rows. The tree over the entries already in the log is built by a
-- Python step (workstation/store/migrations/step_0009.py) in the same transaction.
CREATE TABLE log_tree (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,                -- SHA-256, 32 bytes
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- Checkpoints this store has signed (the newest one is what `dws log prove` proves against by default).
CREATE TABLE log_checkpoints (
    id        INTEGER PRIMARY KEY,
    size      INTEGER NOT NULL,
    root      BLOB NOT NULL,
    note      TEXT NOT NULL,            -- the signed note, exactly as written out
    made_at   TEXT NOT NULL,
    made_by   TEXT NOT NULL
);

-- Each user's checkpoint key (Ed25519): the private half wrapped under a key from the user's passphrase,
-- unwrapped once at unlock and held for the session, so a checkpoint is signed without a prompt. Old keys
-- stay (active = 0) so the checkpoints they signed still verify.
CREATE TABLE checkpoint_keys (
    user        TEXT NOT NULL REFERENCES users(name),
    public_key  BLOB NOT NULL,
    sk_nonce    BLOB NOT NULL,
    sk_wrapped  BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (user, public_key)
);

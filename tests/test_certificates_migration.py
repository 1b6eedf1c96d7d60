"""Migration 0010 from the schema-4 fixture store (tests/make_fixture_v4.py), whose users have Ed25519 signing
keys and whose letter was issued unsigned: the first unlock makes the office CA, gives the user an ECDSA P-256
key (announced, the Ed25519 key kept so that what it signed still verifies) and a certificate for it; the old
letter still verifies, with a note that it predates PDF signatures; a new letter is signed with the new key."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import needs_argon2
from letterdata import ADMIN_PW, passphrase

from workstation.keys import primitives as p
from workstation.service import Workstation
from workstation.store import auditlog, certificates
from workstation.store import users as users_sql

FIXTURE = Path(__file__).parent / "data" / "stores" / "v4"


@needs_argon2
def test_users_get_an_ecdsa_key_and_a_certificate_at_their_next_unlock(tmp_path: Path) -> None:
    store = tmp_path / "v4"
    shutil.copytree(FIXTURE, store)
    with Workstation(store).unlock("rita", passphrase("rita")) as s:
        entries = list(auditlog.entries(s.conn))
        added = next(e for e in entries if e.event == "user-added" and e.object == "rita")
        assert [e.event for e in entries[-4:]] == ["checkpoint-key-enrolled", "office-ca-created",
                                                    "signing-key-replaced", "certificate-issued"]
        replaced, issued = entries[-2], entries[-1]
        new_key = users_sql.public_key(s.conn, "rita")
        assert p.key_algorithm(new_key) == p.ECDSA_P256
        assert replaced.detail == {"fingerprint": p.fingerprint(new_key), "algorithm": p.ECDSA_P256,
                                   "replaces": added.detail["fingerprint"]}
        keys = s.conn.execute("SELECT public_key FROM user_keys WHERE user = 'rita'").fetchall()
        assert sorted(len(k[0]) for k in keys) == [32, 91]                 # the Ed25519 key stays on record
        assert issued.object == "rita" and issued.detail["fingerprint"] == p.fingerprint(new_key)
        assert p.key_algorithm(users_sql.public_key(s.conn, "alex")) == p.ED25519   # until alex unlocks

        old = s.letter("LTR-PARTIAL", passphrase("rita"))          # issued under schema 4: the stored bytes
        check = s.verify_letter(old.pdf)
        assert check.ok and check.pdf_signature is None and not old.new
        assert any("before letters carried a PDF signature" in note for note in check.notes)
        assert [(x.name, x.ok) for x in check.signatures] == [("rita", True), ("alex", True)]   # Ed25519

        new = s.letter("LTR-DENY-SUBJECTS", passphrase("rita"))
        check = s.verify_letter(new.pdf)
        assert new.new and check.ok and check.notes == [], check.problems
        assert check.pdf_signature is not None and check.pdf_signature.valid and check.pdf_signature.signer == "rita"
        assert check.pdf_signature.certificate_serial == issued.detail["serial"]

    with Workstation(store).unlock("rita", passphrase("rita")) as s:       # nothing more to bring forward
        assert [e.event for e in auditlog.entries(s.conn)][-1] == "unlock"
    with Workstation(store).unlock("alex", passphrase("alex")) as s:
        assert p.key_algorithm(users_sql.public_key(s.conn, "alex")) == p.ECDSA_P256
        assert [r.user for r in certificates.all_certificates(s.conn)] == ["rita", "alex"]
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        report = s.verify()
        assert report.ok and report.certificates == 3, report.problems
        assert len([e for e in auditlog.entries(s.conn) if e.event == "office-ca-created"]) == 1

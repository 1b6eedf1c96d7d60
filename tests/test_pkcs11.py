"""Keys on a smart card, for real: SoftHSM2 tokens (tests/tokens.py), a demo store, `dws` in-process (and as a
process where the token must look removed). A user whose signing key lives only on the token is enrolled,
decides, makes checkpoints and issues a letter with the card's PIN; a wrong PIN and a missing token change
nothing; the PIN (a canary) never shows in any output, log entry or crash report."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from cardhelp import card_cli_fixture, card_demo_template_fixture  # noqa: F401
from clihelp import Cli, run_dws
from conftest import CARD_PIN
from pyhanko.pdf_utils.reader import PdfFileReader

from workstation import checkpoint as cp
from workstation.demo_store import demo_passphrase
from workstation.errors import AuthError, LockedOutError
from workstation.keys import primitives as p
from workstation.keys.pkcs11 import Card, TokenRef, TokenSigner
from workstation.service import Workstation
from workstation.store import auditlog, logtree

TARA_PW = "tara-passphrase-long"


def admin() -> dict[str, str]:
    return {"user": "admin", "passphrase": demo_passphrase("admin")}


def tara(pin: str = CARD_PIN) -> dict:
    return {"user": "tara", "passphrase": TARA_PW, "env": {"DWS_PIN": pin}}


def enrol(cli: Cli, softhsm, *extra: str, token: str = "dws-card", key: str = "sign", name: str = "tara",
          pin: str = CARD_PIN, role: str = "reviewer"):
    return cli("user", "add", name, "--role", role, "--pkcs11-module", softhsm.module, "--token-label", token,
               "--key-label", key, *extra, **admin() | {"env": {"DWS_NEW_PASSPHRASE": TARA_PW, "DWS_PIN": pin}})


def entries(store: Path) -> list[auditlog.LogEntry]:
    with Workstation(store).unlock("otto", demo_passphrase("otto")) as s:
        return list(auditlog.entries(s.conn))


def token_public(softhsm, token: str = "dws-card", key: str = "sign") -> bytes:
    with TokenSigner.open(TokenRef(softhsm.module, token, key), CARD_PIN) as signer:
        return signer.public_key


def test_a_user_whose_key_is_only_on_the_card_decides_checkpoints_and_issues_a_letter(cli: Cli, softhsm,
                                                                                        tmp_path: Path) -> None:
    r = enrol(cli, softhsm, "--json")
    assert r.code == 0, r.err
    added = json.loads(r.out)
    public = token_public(softhsm)
    assert added["fingerprint"] == p.fingerprint(public) and added["checkpoint_key_on_token"]
    r = cli("user", "list", **admin())
    assert "tara" in r.out and "key in card (token 'dws-card')" in r.out and "rita" in r.out
    with Workstation(cli.store).unlock("tara", TARA_PW) as s:
        assert s.conn.execute("SELECT sk_wrapped FROM users WHERE name = 'tara'").fetchone()[0] == b""
        assert json.loads(s.conn.execute("SELECT token FROM users WHERE name = 'tara'").fetchone()[0]) == {
            "module": softhsm.module, "token_label": "dws-card", "key_label": "sign",
            "checkpoint_key_label": "sign-checkpoint"}
    # Decide with the card's PIN (the passphrase only unlocks the store); an approver approves with theirs.
    r = cli("decide", "DEMO-I2-VALID", "--outcome", "grant", "--json", **tara())
    assert r.code == 0, r.err
    assert json.loads(r.out)["preparer_fingerprint"] == p.fingerprint(public)
    assert cli("approve", "DEMO-I2-VALID", user="alex", passphrase=demo_passphrase("alex")).code == 0
    out = tmp_path / "export"
    assert cli("export", "decision", "DEMO-I2-VALID", "-o", str(out), user="otto",
               passphrase=demo_passphrase("otto")).code == 0
    document = (out / "decision.json").read_bytes()
    assert p.verify(public, (out / "preparer.sig").read_bytes(), document)       # the token's own public key
    for line in (out / "README.txt").read_text().splitlines():
        if line.strip().startswith("openssl "):
            proc = subprocess.run(line.split(), cwd=out, capture_output=True, text=True)
            assert proc.returncode == 0 and "Signature Verified Successfully" in proc.stdout
    # The decide command wrote a checkpoint to the witness folder, signed on the card (the card was open).
    witness = sorted((cli.store.parent / "store-witness").glob("*-tara.checkpoint"))
    assert witness
    with Card(TokenRef(softhsm.module, "dws-card", "sign"), CARD_PIN) as card:
        checkpoint_key = card.ed25519("sign-checkpoint")
        assert checkpoint_key is not None
        ed_public = checkpoint_key.public_key
    store_id = json.loads((cli.store / "keyslots.json").read_text())["store_id"]
    name = cp.key_name("tara", store_id)
    assert cp.parse(witness[-1].read_text()).verify(name, ed_public)
    # dws log checkpoint asks for the PIN and signs on the card, in the format any signed-note verifier reads.
    r = cli("log", "checkpoint", "--json", **tara())
    assert r.code == 0, r.err
    made = json.loads(r.out)
    assert cp.parse(made["checkpoint"]).verify(name, ed_public)
    key = cli("log", "key", "tara", user="otto", passphrase=demo_passphrase("otto")).out.strip()
    assert key == made["verifier_key"] == cp.verifier_key(name, ed_public)
    # The letter: its PDF signature (PAdES) is made on the card, under the certificate the office CA issued
    # for the card's key at enrolment; its checkpoint is signed on the card too.
    letter = tmp_path / "letter.pdf"
    r = cli("letter", "DEMO-I2-VALID", "-o", str(letter), **tara())
    assert r.code == 0, r.err
    [signature] = PdfFileReader(io.BytesIO(letter.read_bytes())).embedded_signatures
    assert signature.signer_cert.public_key.dump() == public
    r = cli("verify-letter", str(letter), "--json", user="otto", passphrase=demo_passphrase("otto"))
    assert r.code == 0 and json.loads(r.out)["pdf_signature"]["valid"], r.out + r.err
    certified = next(e for e in entries(cli.store) if e.event == "certificate-issued" and e.object == "tara")
    assert certified.detail["fingerprint"] == p.fingerprint(public)
    issued = next(e for e in entries(cli.store) if e.event == "letter-issued")
    kept = [c for c in (cp.parse(n[0]) for n in _checkpoints(cli.store))
            if c.size == issued.detail["checkpoint_size"]]
    assert kept and kept[0].verify(name, ed_public)
    r = cli("verify", "--against", str(cli.store.parent / "store-witness"), str(letter), user="otto",
            passphrase=demo_passphrase("otto"))
    assert r.code == 0, r.err + r.out
    events = entries(cli.store)
    added_entry = next(e for e in events if e.event == "user-added" and e.object == "tara")
    assert added_entry.detail["key"] == "pkcs11" and added_entry.detail["token_label"] == "dws-card"
    enrolled = next(e for e in events if e.event == "checkpoint-key-enrolled" and e.object == "tara")
    assert enrolled.detail["on_token"] is True
    assert CARD_PIN not in json.dumps([e.detail for e in events])


def _checkpoints(store: Path) -> list[tuple[str]]:
    with Workstation(store).unlock("otto", demo_passphrase("otto")) as s:
        return s.conn.execute("SELECT note FROM log_checkpoints ORDER BY id").fetchall()


def test_a_wrong_pin_is_refused_counted_and_logged_and_signs_nothing(cli: Cli, softhsm) -> None:
    assert enrol(cli, softhsm).code == 0
    before = entries(cli.store)
    r = cli("decide", "DEMO-I2-VALID", "--outcome", "grant", **tara("not-the-pin-000"))
    assert r.code == 1 and "wrong card PIN for token 'dws-card'" in r.err, r.err
    lockout = json.loads((cli.store / "lockout.json").read_text())
    assert [f["event"] for f in lockout["pending"]] == ["pin-failed"] and len(lockout["failures"]["tara"]) == 1
    # The next unlock logs the failure, as for a wrong passphrase; nothing was signed.
    after = entries(cli.store)[len(before):]
    assert [e.user for e in after if e.event == "pin-failed"] == ["tara"]
    assert not [e for e in after if e.event.startswith("decision")]
    with Workstation(cli.store).unlock("otto", demo_passphrase("otto")) as s:
        assert s.decision("DEMO-I2-VALID") is None
    assert cli("decide", "DEMO-I2-VALID", "--outcome", "grant", **tara()).code == 0
    # Three wrong PINs in one session lock the user out, like three wrong passphrases there.
    with Workstation(cli.store).unlock("tara", TARA_PW) as s:
        for _ in range(3):
            with pytest.raises(AuthError, match="wrong card PIN"):
                s.open_card("not-the-pin-000")
        with pytest.raises(LockedOutError):
            s.open_card(CARD_PIN)


def test_no_pin_on_a_pipe_asks_for_one(cli: Cli, softhsm) -> None:
    assert enrol(cli, softhsm).code == 0
    r = cli("decide", "DEMO-I2-VALID", "--outcome", "grant", user="tara", passphrase=TARA_PW)
    assert r.code == 2 and "no card PIN" in r.err and "--pin-file" in r.err and "DWS_PIN" in r.err
    pin_file = cli.store.parent / "pin.txt"
    pin_file.write_text(CARD_PIN + "\n")
    r = cli("decide", "DEMO-I2-VALID", "--outcome", "grant", "--pin-file", str(pin_file), user="tara",
            passphrase=TARA_PW)
    assert r.code == 0, r.err


def test_a_removed_token_gives_a_clear_message_and_changes_nothing(cli: Cli, softhsm, tmp_path: Path) -> None:
    assert enrol(cli, softhsm).code == 0
    before = [e for e in entries(cli.store) if e.event != "unlock"]
    gone = {"DWS_USER": "tara", "DWS_PASSPHRASE": TARA_PW, "DWS_PIN": CARD_PIN,
            "SOFTHSM2_CONF": str(softhsm.empty_conf(tmp_path))}
    for args in (("decide", "DEMO-I2-VALID", "--outcome", "grant"), ("log", "checkpoint")):
        r = run_dws(cli.store, *args, env=gone)
        assert r.code == 1 and "token 'dws-card' is not present: insert the card" in r.err, r.err
        assert "Traceback" not in r.err and CARD_PIN not in r.err + r.out
    after = [e for e in entries(cli.store) if e.event != "unlock"]
    assert after == before                                   # no decision, no checkpoint, no failure entry
    with Workstation(cli.store).unlock("otto", demo_passphrase("otto")) as s:
        assert s.decision("DEMO-I2-VALID") is None
    assert not (cli.store / "lockout.json").exists() or "pin-failed" not in (cli.store / "lockout.json").read_text()


@pytest.mark.parametrize(("options", "message"), [
    (("--token-label", "no-such-token"), "token 'no-such-token' is not present: insert the card"),
    (("--key-label", "nope"), "token 'dws-card' holds no private key labelled 'nope'"),
    (("--key-label", "other"), "the key 'other' on token 'dws-card' is not an ECDSA P-256 key"),
    (("--checkpoint-key-label", "missing"), "token 'dws-card' holds no Ed25519 key labelled 'missing'"),
    (("--pkcs11-module", "/etc/hostname"), "the PKCS#11 module cannot be loaded"),
    (("--pin", "000000-wrong"), "wrong card PIN for token 'dws-card'"),
])
def test_enrolment_refusals_are_clear_and_add_no_user(cli: Cli, softhsm, options: tuple[str, str],
                                                      message: str) -> None:
    flags = {"--token-label": "dws-card", "--key-label": "sign", "--pkcs11-module": softhsm.module}
    pin = CARD_PIN
    extra: list[str] = []
    if options[0] == "--pin":
        pin = options[1]
    elif options[0] in flags:
        flags[options[0]] = options[1]
    else:
        extra = list(options)
    r = cli("user", "add", "tara", "--role", "reviewer", *[x for kv in flags.items() for x in kv], *extra,
            **admin() | {"env": {"DWS_NEW_PASSPHRASE": TARA_PW, "DWS_PIN": pin}})
    assert r.code == 1 and message in r.err, r.err
    assert "tara" not in cli("user", "list", **admin()).out
    assert CARD_PIN not in r.err


def test_a_token_without_an_ed25519_key_keeps_checkpoints_in_software(cli: Cli, softhsm) -> None:
    r = enrol(cli, softhsm, token="dws-plain", name="pat")
    assert r.code == 0 and "a software key wrapped under the passphrase" in r.out, r.err
    pat = {"user": "pat", "passphrase": TARA_PW}
    assert cli("decide", "DEMO-I2-VALID", "--outcome", "grant", **pat, env={"DWS_PIN": CARD_PIN}).code == 0
    r = cli("log", "checkpoint", "--json", **pat)                    # no PIN needed: the key is in software
    assert r.code == 0, r.err
    with Workstation(cli.store).unlock("pat", TARA_PW) as s:
        active = logtree.active_checkpoint_key(s.conn, "pat")
        assert active is not None and not active[1]
        assert s.key_on_card() and not s.checkpoint_on_card()


def test_a_key_that_asks_for_the_pin_at_every_signature_signs(cli: Cli, softhsm) -> None:
    """PIV's digital-signature key (slot 9C) is CKA_ALWAYS_AUTHENTICATE: a context-specific login each time."""
    assert enrol(cli, softhsm, "--checkpoint-key-label", "sign-checkpoint", key="sign-always").code == 0
    r = cli("decide", "DEMO-I2-VALID", "--outcome", "grant", "--json", **tara())
    assert r.code == 0, r.err
    assert json.loads(r.out)["preparer_fingerprint"] == p.fingerprint(token_public(softhsm, key="sign-always"))

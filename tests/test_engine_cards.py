"""Signing keys on a smart card (PIV, PKCS#11; SoftHSM2 here: tests/tokens.py) on both engines (issue 19 item 1,
i19card): a user enrolled with the card's key (a local store's `add_token_user`; an office's `dws office enrol
--user NAME --pkcs11-module ...`, which registers the card's public key and keeps no private key on the server)
decides, has it approved and issues a letter with the card's PIN; the signatures verify with OpenSSL alone as the
local store's do; a wrong PIN, or the user's passphrase in its place, signs and writes nothing, in one message. On an
office, the server refuses anyone changing or removing the registered key, and `dws` does it all end to end (a card
not in its reader: one message, nothing written).

Built once per engine (tests/enginebuilt.py): carla, a preparer whose key is on the token 'dws-plain' (a P-256 key
and no Ed25519 one: her checkpoints are her software key locally, the office's on an office, so the two engines
sign alike), cleo, a preparer whose signing key and checkpoint key are both on the token 'dws-both' (the P-256 key
'sign' and the Ed25519 key 'sign-checkpoint': locally `add_token_user`, on an office `--checkpoint-key-label`, schema
step 10), and the demo's files, imported and evaluated by the admin (on an office, no request is claimed)."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from clihelp import run_dws
from conftest import CARD_PIN, SPARE_PIN
from enginebuilt import EngineTemplate, demo_on, engine_from
from engines import ENGINES, Engine, OfficeEngine, passphrase
from pyhanko.pdf_utils.reader import PdfFileReader

from workstation import checkpoint as cp
from workstation import clock as clocks
from workstation.cli.commands_decide import verify_readme
from workstation.crashlog import log_dir
from workstation.errors import AuthError
from workstation.keys import pkcs11 as card_keys
from workstation.keys import primitives as p
from workstation.keys.pkcs11 import Card, TokenRef, TokenSigner
from workstation.service.tokens import CARD_CLOSED

DEMO = {"taxpayers": 1000, "bulk_subjects": 150, "seed": 3}
CARD_USER = "carla"
CHECKPOINT_USER = "cleo"            # her checkpoint key is on her card too
REQUEST = "DEMO-I2-PARTIAL"


def enrol_card_user(engine: Engine, module: str, name: str, token: str, checkpoint_label: str | None = None,
                    pin: str = CARD_PIN) -> None:
    """`name`, a preparer whose signing key is the key 'sign' on `token` (and with `checkpoint_label`, their
    checkpoint key that Ed25519 key on it), enrolled by the admin ada."""
    ref = TokenRef(module, token, "sign", checkpoint_label)
    engine.made()
    if engine.kind == "local":
        from workstation.service import Workstation

        with Workstation(engine.store).unlock("ada", passphrase("ada")) as ada:
            ada.add_token_user(name, "reviewer", passphrase(name), ref, pin)
    else:
        from workstation.service import office_enrol

        office_enrol.enrol_user(engine.store, "ada", passphrase("ada"), name, "preparer", passphrase(name),
                                token=ref, pin=pin)


@pytest.fixture(scope="module", params=ENGINES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> EngineTemplate:
    softhsm = request.getfixturevalue("softhsm")
    root = tmp_path_factory.mktemp(f"cards-{request.param}")

    def fill(engine: Engine) -> None:
        enrol_card_user(engine, softhsm.module, CARD_USER, "dws-plain")
        enrol_card_user(engine, softhsm.module, CHECKPOINT_USER, "dws-both", "sign-checkpoint", SPARE_PIN)
        # imported and evaluated by the admin: on an office, nobody claims a request then (carla decides; so does
        # dora, whom one test enrols)
        demo_on(engine, root / "files", clocks.today(), preparer="ada", **DEMO)
    return EngineTemplate.build(request.param, request, root, fill)


@pytest.fixture
def engine(built: EngineTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    yield from engine_from(built, tmp_path, monkeypatch)


def card_public(module: str, token: str) -> bytes:
    with TokenSigner.open(TokenRef(module, token, "sign"), CARD_PIN) as signer:
        return signer.public_key


def card_checkpoint_public(module: str, token: str, pin: str) -> bytes:
    with Card(TokenRef(module, token, "sign"), pin) as card:
        key = card.ed25519("sign-checkpoint")
        assert key is not None
        return key.public_key


def openssl_verifies(files: dict[str, bytes], out: Path) -> list[str]:
    """Write the export as `dws export decision` does and run its README's OpenSSL commands: each one's output."""
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    commands = [line.split() for line in verify_readme(files).splitlines() if line.strip().startswith("openssl ")]
    return [subprocess.run(c, cwd=out, capture_output=True, text=True).stdout.strip() for c in commands]


def test_a_card_user_signs_on_the_card_and_openssl_verifies_it_as_locally(engine: Engine, softhsm,
                                                                         tmp_path: Path) -> None:
    public = card_public(softhsm.module, "dws-plain")
    with engine.open(CARD_USER) as carla, engine.open("alex") as alex:
        assert carla.key_on_card() and not alex.key_on_card()
        carla.open_card(CARD_PIN)           # nothing to open for her checkpoints (not on this card): no error
        users = {u.name: u for u in alex.users()}
        assert users[CARD_USER].token == "dws-plain" and users[CARD_USER].fingerprint == p.fingerprint(public)
        assert users["alex"].token is None
        decided = carla.decide(REQUEST, "partial", None, CARD_PIN)
        assert decided.preparer == CARD_USER and decided.preparer_fingerprint == p.fingerprint(public)
        approved = alex.approve(REQUEST, passphrase("alex"))
        assert approved.status == "approved"
        exported = carla.export_decision(REQUEST)
        assert exported.files["preparer.pem"] == p.public_pem(public)
        assert openssl_verifies(exported.files, tmp_path / "export") == ["Signature Verified Successfully"] * 2
        letter = carla.letter(REQUEST, CARD_PIN)
        check = alex.verify_letter(letter.pdf)
        assert check.ok and [s.ok for s in check.signatures] == [True, True], check.problems
        assert check.pdf_signature is not None and check.pdf_signature.valid
        [signature] = PdfFileReader(io.BytesIO(letter.pdf)).embedded_signatures
        assert signature.signer_cert.public_key.dump() == public         # the PDF signed on the card too
        carla.close_card()
    events = [e for e, _o, _d in engine.events()]
    assert {"decision-signed", "decision-approved", "letter-issued"} <= set(events)
    assert CARD_PIN not in json.dumps(engine.events())


@pytest.mark.parametrize("secret", ["not-the-card-pin", passphrase(CARD_USER)])
def test_a_wrong_pin_or_the_passphrase_signs_nothing_in_one_message(engine: Engine, secret: str) -> None:
    before = engine.events()
    with engine.open(CARD_USER) as carla:
        with pytest.raises(AuthError) as caught:
            carla.decide(REQUEST, "partial", None, secret)
        assert str(caught.value) == "wrong card PIN for token 'dws-plain'"
        assert carla.decision(REQUEST) is None
    after = engine.events()
    # the local store logs the failure (at the next success, as a wrong passphrase: its lockout), nothing else
    assert [e for e in after[len(before):] if e[0] != "pin-failed"] == []
    assert secret not in json.dumps(after)


def test_another_card_with_the_same_labels_signs_nothing(engine: Engine, softhsm) -> None:
    """(From tests/test_pkcs11_card.py, now on both engines.) The card in the reader answers to the registered
    labels but holds another key (here: the record re-pointed at another token, as the store's or the server's
    administrator could): nothing is signed, in one message."""
    swapped = TokenRef(softhsm.module, "dws-card", "sign").to_json()
    if isinstance(engine, OfficeEngine):
        with engine.superuser() as conn, conn.transaction():
            conn.execute("ALTER TABLE dws.office_signing_keys DISABLE TRIGGER office_signing_keys_keep")
            conn.execute("UPDATE dws.office_signing_keys SET token = %s WHERE login = %s", (swapped, CARD_USER))
            conn.execute("ALTER TABLE dws.office_signing_keys ENABLE TRIGGER office_signing_keys_keep")
    else:
        with engine.open("ada") as ada:
            ada.conn.execute("UPDATE users SET token = ? WHERE name = ?", (swapped, CARD_USER))  # type: ignore[attr-defined]
    before = engine.events()
    with engine.open(CARD_USER) as carla:
        with pytest.raises(AuthError, match=f"is not the key enrolled for {CARD_USER}"):
            carla.decide(REQUEST, "partial", None, CARD_PIN)
        assert carla.decision(REQUEST) is None
    assert [e for e in engine.events()[len(before):]] == []


def test_a_crash_while_signing_on_the_card_leaves_no_pin_anywhere(engine: Engine, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """(From tests/test_pkcs11_card.py, now on both engines.) A bug while the card signs: the crash report holds no
    PIN, nor does the output or the log, and nothing is signed."""
    cli = engine.cli(capsys, monkeypatch)

    def broken(*_args: object) -> bytes:
        raise ValueError(f"a bug that quotes {CARD_PIN}")

    monkeypatch.setattr(card_keys, "encode_dss_signature", broken)
    r = cli("decide", REQUEST, "--outcome", "partial", user=CARD_USER, env={"DWS_PIN": CARD_PIN})
    assert r.code == 1 and "internal error (ValueError)" in r.err
    report = Path(r.err.rsplit("written to ", 1)[1].strip())
    assert report.parent == log_dir() and "frames:" in report.read_text()
    for path in log_dir().iterdir():
        assert CARD_PIN not in path.read_text(errors="replace")
    assert CARD_PIN not in r.out + r.err
    assert CARD_PIN not in json.dumps(engine.events())
    with engine.open("otto") as otto:
        assert otto.decision(REQUEST) is None


def test_a_checkpoint_key_on_the_card_signs_while_the_card_is_open(engine: Engine, softhsm, tmp_path: Path) -> None:
    """cleo's checkpoints are signed on her card: with it closed the witness folder gets only the notice (the work
    stands) and a checkpoint asks for the PIN; opened (by open_card, or by the PIN of a signature) it signs, `log key`
    is the card key's, and `verify --against` accepts what it signed, for an auditor too."""
    public = card_checkpoint_public(softhsm.module, "dws-both", SPARE_PIN)
    with engine.open(CHECKPOINT_USER) as cleo:
        assert cleo.checkpoint_on_card()
        closed = cleo.append_witness()
        assert (closed.path, closed.notice, closed.warning) == (None, CARD_CLOSED, None)
        with pytest.raises(AuthError, match="your checkpoint key is on your card: give the card's PIN"):
            cleo.checkpoint()
        name, key = cp.parse_verifier_key(cleo.checkpoint_verifier_key())
        assert key == public and name.startswith(f"{CHECKPOINT_USER}@")
        cleo.open_card(SPARE_PIN)
        first = cleo.checkpoint()
        assert first.verifier_key == cleo.checkpoint_verifier_key()
        cleo.close_card()
        assert cleo.append_witness().notice == CARD_CLOSED
        decided = cleo.decide(REQUEST, "partial", None, SPARE_PIN)      # the signature's PIN opens it too
        assert decided.preparer == CHECKPOINT_USER
        written = cleo.append_witness()
        assert written.path is not None and written.warning is None, written
        cleo.close_card()
        with engine.open("alex") as alex:
            alex.approve(REQUEST, passphrase("alex"))
        letter = cleo.letter(REQUEST, SPARE_PIN)            # its checkpoint signed on the card the PIN opened
        cleo.close_card()
    (tmp_path / "first.checkpoint").write_text(first.note)
    with engine.open("otto") as otto:
        check = otto.verify_letter(letter.pdf)
        assert check.ok, check.problems
        assert not otto.checkpoint_on_card()
        assert otto.checkpoint_verifier_key(CHECKPOINT_USER) == first.verifier_key
        report = otto.verify([tmp_path / "first.checkpoint", Path(written.path)])
    assert [(w.ok, w.problem) for w in report.witnesses] == [(True, None), (True, None)]
    assert SPARE_PIN not in json.dumps(engine.events())


def test_a_crash_while_the_card_signs_a_checkpoint_leaves_no_pin_anywhere(
        engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cli = engine.cli(capsys, monkeypatch)

    def broken(*_args: object) -> bytes:
        raise ValueError(f"a bug that quotes {SPARE_PIN}")

    monkeypatch.setattr(card_keys.Card, "sign_raw", broken)
    r = cli("log", "checkpoint", user=CHECKPOINT_USER, env={"DWS_PIN": SPARE_PIN})
    assert r.code == 1 and "internal error (ValueError)" in r.err
    for path in log_dir().iterdir():
        assert SPARE_PIN not in path.read_text(errors="replace")
    assert SPARE_PIN not in r.out + r.err
    assert SPARE_PIN not in json.dumps(engine.events())


def test_the_office_keeps_a_card_key_as_registered(engine: Engine, softhsm) -> None:
    if not isinstance(engine, OfficeEngine):
        pytest.skip("the office server's own rule")
    with engine.superuser() as conn:
        row = conn.execute("SELECT public_key, nonce, wrapped, token FROM dws.office_signing_keys WHERE login = %s",
                           (CARD_USER,)).fetchone()
        assert row is not None and bytes(row[0]) == card_public(softhsm.module, "dws-plain")
        assert row[1] is None and row[2] is None            # no private key on the server, wrapped or not
        assert json.loads(row[3])["token_label"] == "dws-plain"
        for statement in ("UPDATE dws.office_signing_keys SET token = NULL, nonce = 'x', wrapped = 'y'",
                          "DELETE FROM dws.office_signing_keys WHERE token IS NOT NULL"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="a signing key is kept as stored"), \
                    conn.transaction():
                conn.execute(statement)
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():      # both kinds in one row
            conn.execute("INSERT INTO dws.office_signing_keys (login, public_key, nonce, wrapped, token) "
                         "VALUES ('x', %s, %s, %s, '{}')", (b"k" * 64, b"n" * 12, b"w" * 32))
        # the checkpoint key on cleo's card (schema step 10): its public key only, kept as registered
        row = conn.execute("SELECT public_key, nonce, wrapped FROM dws.office_checkpoint_keys WHERE login = %s",
                           (CHECKPOINT_USER,)).fetchone()
        assert row == (card_checkpoint_public(softhsm.module, "dws-both", SPARE_PIN), None, None)
        for statement in ("UPDATE dws.office_checkpoint_keys SET public_key = '\\x00' WHERE wrapped IS NULL",
                          "UPDATE dws.office_checkpoint_keys SET nonce = 'n', wrapped = 'w'",
                          "DELETE FROM dws.office_checkpoint_keys WHERE wrapped IS NULL"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="a checkpoint key is kept as stored"), \
                    conn.transaction():
                conn.execute(statement)
        for nonce, wrapped in ((b"n" * 12, None), (None, b"w" * 32)):                # a wrapped and a card form mixed
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute("INSERT INTO dws.office_checkpoint_keys (login, public_key, nonce, wrapped) "
                             "VALUES ('x', %s, %s, %s)", (b"k" * 32, nonce, wrapped))


def test_the_office_cli_enrols_a_card_user_who_decides_on_the_card(engine: Engine, softhsm, tmp_path: Path) -> None:
    """`dws office enrol --user NAME --pkcs11-module ... --checkpoint-key-label C`, then `dws decide` with the card's
    PIN (the witness folder's checkpoint after it signed on the card), `dws approve` by another user, `dws export
    decision` and OpenSSL, `dws log checkpoint` and `dws log key` (the card's key), `dws verify --against`; a wrong
    PIN and a card not in its reader write nothing."""
    if engine.kind != "office":
        pytest.skip("`dws office enrol` is an office's (a local store's card users: tests/test_pkcs11.py)")
    profile = engine.store
    dora = {"DWS_USER": "dora", "DWS_PASSPHRASE": passphrase("dora")}
    enrolled = run_dws(profile, "--user", "ada", "office", "enrol", "--profile", str(profile), "--user", "dora",
                       "--role", "preparer", "--pkcs11-module", softhsm.module, "--token-label", "dws-card",
                       "--key-label", "sign", "--checkpoint-key-label", "sign-checkpoint",
                       env={"DWS_PASSPHRASE": passphrase("ada"), "DWS_NEW_PASSPHRASE": passphrase("dora"),
                            "DWS_PIN": CARD_PIN})
    assert enrolled.code == 0, enrolled.err
    assert enrolled.out == ("Enrolled 'dora' as preparer of the office\n  the signing key is on token 'dws-card' "
                            "('sign'): dora signs with the card's PIN; the office holds its public key only\n"
                            "  the checkpoint key is on the token too ('sign-checkpoint'): dora's checkpoints are "
                            "signed on the card while it is open\n")
    announced = [d for e, o, d in engine.events() if e == "checkpoint-key-enrolled" and o == "dora"]
    checkpoint_public = card_checkpoint_public(softhsm.module, "dws-card", CARD_PIN)
    assert [cp.parse_verifier_key(d["verifier_key"])[1] for d in announced] == [checkpoint_public]
    enrolled_entry = [d for e, o, d in engine.events() if e == "office-user-enrolled" and o == "dora"]
    assert enrolled_entry == [{"role": "preparer", "key": "pkcs11", "module": softhsm.module,
                               "token_label": "dws-card", "key_label": "sign",
                               "fingerprint": p.fingerprint(card_public(softhsm.module, "dws-card"))}]

    before = engine.events()
    wrong = run_dws(profile, "decide", REQUEST, "--outcome", "partial", env=dora | {"DWS_PIN": "not-the-pin"})
    assert (wrong.code, wrong.err) == (1, "dws: wrong card PIN for token 'dws-card'\n"), wrong.err
    absent = run_dws(profile, "decide", REQUEST, "--outcome", "partial",
                     env=dora | {"DWS_PIN": CARD_PIN, "SOFTHSM2_CONF": str(softhsm.empty_conf(tmp_path))})
    assert absent.code != 0 and "token 'dws-card' is not present: insert the card" in absent.err, absent.err
    assert len(absent.err.strip().splitlines()) == 1
    assert engine.events() == before

    decided = run_dws(profile, "decide", REQUEST, "--outcome", "partial", "--json", env=dora | {"DWS_PIN": CARD_PIN})
    assert decided.code == 0, decided.err
    assert json.loads(decided.out)["preparer"] == "dora"
    assert CARD_CLOSED not in decided.err                   # the decision's PIN opened the card for its checkpoint
    [witnessed] = (profile.parent / (profile.stem + "-witness")).glob("*-dora.checkpoint")
    key = run_dws(profile, "log", "key", env=dora)
    assert key.code == 0 and cp.parse_verifier_key(key.out.strip())[1] == checkpoint_public, key.err
    signed = run_dws(profile, "log", "checkpoint", "-o", str(tmp_path / "dora.checkpoint"),
                     env=dora | {"DWS_PIN": CARD_PIN})
    assert signed.code == 0, signed.err
    checked = run_dws(profile, "verify", "--against", str(witnessed), str(tmp_path / "dora.checkpoint"),
                      env={"DWS_USER": "otto", "DWS_PASSPHRASE": passphrase("otto")})
    assert checked.code == 0, checked.out + checked.err
    approved = run_dws(profile, "approve", REQUEST, env={"DWS_USER": "alex", "DWS_PASSPHRASE": passphrase("alex")})
    assert approved.code == 0, approved.err
    out = tmp_path / "export"
    exported = run_dws(profile, "export", "decision", REQUEST, "-o", str(out),
                       env={"DWS_USER": "otto", "DWS_PASSPHRASE": passphrase("otto")})
    assert exported.code == 0, exported.err
    assert (out / "preparer.pem").read_bytes() == p.public_pem(card_public(softhsm.module, "dws-card"))
    commands = [line.split() for line in (out / "README.txt").read_text().splitlines()
                if line.strip().startswith("openssl ")]
    assert len(commands) == 2
    for command in commands:
        proc = subprocess.run(command, cwd=out, capture_output=True, text=True)
        assert proc.returncode == 0 and "Signature Verified Successfully" in proc.stdout
    for result in (enrolled, wrong, absent, decided, key, signed, checked, approved, exported):
        assert CARD_PIN not in result.out + result.err

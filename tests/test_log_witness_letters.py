"""Witnesses that leave the office: every letter carries the checkpoint of the moment it was issued (printed,
in a QR code that zbarimg reads back, and in its XMP metadata), and every `dws` command that wrote to the log
appends one to the witness folder. Real store, real letters, real PDFs, `dws` in-process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from clihelp import Cli
from letterdata import ADMIN_PW, decided_store, passphrase

from workstation import checkpoint as cp
from workstation import letter_checkpoint, policy
from workstation.service import Workstation
from workstation.service.witness_folder import default_folder
from workstation.store import auditlog, logtree

pytestmark = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                                reason="poppler-utils (pdftoppm) and zbar-tools (zbarimg) are needed")
RITA, OTTO = ("rita", passphrase("rita")), ("otto", passphrase("otto"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("letter-witness")
    decided_store(root / "store", root / "work")
    return root / "store"


@pytest.fixture
def cli(template: Path, tmp_path: Path, capsys, monkeypatch) -> Cli:
    shutil.copytree(template, tmp_path / "store")
    return Cli(tmp_path / "store", capsys, monkeypatch)


def entries(store: Path) -> list[auditlog.LogEntry]:
    with Workstation(store).unlock(*OTTO) as s:
        return list(auditlog.entries(s.conn))


def cut_after(store: Path, seq: int) -> None:
    """An insider's cut: every entry after `seq` deleted, the chain and the tree recomputed."""
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        s.conn.execute("DELETE FROM audit_log WHERE seq > ?", (seq,))
        logtree.rebuild(s.conn)


def qr_codes(pdf: Path, tmp_path: Path) -> str:
    """Every QR code on the letter's last page, as zbarimg reads it from a 150 dpi scan."""
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", str(pages), "-l", str(pages), str(pdf),
                    str(tmp_path / "scan")], check=True)
    scan = next(tmp_path.glob("scan*.png"))
    return subprocess.run(["zbarimg", "--raw", "-q", str(scan)], capture_output=True, check=True).stdout.decode()


# A letter carries the checkpoint of its issue (printed, in a QR code, in its metadata): tests/test_letters_cli.py,
# on both engines.


def test_a_letter_catches_a_cut_of_the_log_made_after_it(cli: Cli, tmp_path: Path) -> None:
    letter = tmp_path / "letter.pdf"
    assert cli("letter", "LTR-DENY-STATUTE", "-o", str(letter), user=RITA[0], passphrase=RITA[1]).code == 0
    size = cp.parse(letter_checkpoint.find(letter.read_bytes())[0]).size
    r = cli("verify", "--json", "--against", str(letter), user=OTTO[0], passphrase=OTTO[1])
    assert r.code == 0, r.out
    assert json.loads(r.out)["witnesses"][0]["ok"]

    cut_after(cli.store, size - 4)             # the insider removes the last entries the letter saw, and more
    r = cli("verify", "--against", str(letter), user=OTTO[0], passphrase=OTTO[1])
    assert r.code == 3
    assert str(letter) in r.out and f"size {size:,}" in r.out
    # the auditor's own unlock is entry size - 3 of the cut log: the letter names what went missing after it
    assert f"the log has only {size - 3} entries, so entries {size - 2}..{size} were removed" in r.out, r.out


def test_a_command_that_wrote_to_the_log_appends_a_checkpoint_to_the_witness_folder(cli: Cli,
                                                                                   tmp_path: Path) -> None:
    folder = default_folder(cli.store)
    assert folder == tmp_path / "store-witness" and not folder.exists()
    r = cli("letter", "LTR-PARTIAL", "-o", str(tmp_path / "a.pdf"), user=RITA[0], passphrase=RITA[1])
    assert r.code == 0
    assert "dws: note: checkpoints of the audit log now go to" in r.err and "move them off" in r.err
    files = sorted(folder.glob("*.checkpoint"))
    assert len(files) == 1
    head = entries(cli.store)[-2].seq                 # the last entry before otto's own unlock just now
    assert cp.parse(files[0].read_text("utf-8")).size == head

    r = cli("log", "key", "rita", user=OTTO[0], passphrase=OTTO[1])       # reads only: nothing to witness
    assert r.code == 0 and r.err == "" and len(list(folder.glob("*.checkpoint"))) == 1
    r = cli("letter", "LTR-PARTIAL", "-o", str(tmp_path / "b.pdf"), user=RITA[0], passphrase=RITA[1])
    assert r.code == 0 and "note:" not in r.err                           # said once, when the folder was made
    assert len(list(folder.glob("*.checkpoint"))) == 2
    r = cli("verify", "--against", str(folder), user=OTTO[0], passphrase=OTTO[1])
    assert r.code == 0 and "The log extends all 2 checkpoints given." in r.out


def test_a_missing_witness_folder_warns_loses_nothing_and_the_next_write_catches_up(cli: Cli,
                                                                                   tmp_path: Path) -> None:
    usb = tmp_path / "usb" / "dws-witness"
    with Workstation(cli.store).unlock("admin", ADMIN_PW) as admin:
        admin.change_setting("witness_folder", str(usb))
    letter = tmp_path / "letter.pdf"
    r = cli("letter", "LTR-PARTIAL", "-o", str(letter), user=RITA[0], passphrase=RITA[1])
    assert r.code == 0 and letter.exists()                                      # the work stands
    assert f"dws: warning: the witness folder {usb} is unavailable" in r.err
    assert "the next lock, exit or command catches up" in r.err
    assert not usb.exists() and not default_folder(cli.store).exists()         # nothing made in its place
    assert [e.event for e in entries(cli.store)].count("letter-issued") == 1

    usb.mkdir(parents=True)                                                     # the drive is back
    r = cli("letter", "LTR-DENY-STATUTE", "-o", str(tmp_path / "second.pdf"), user=RITA[0], passphrase=RITA[1])
    assert r.code == 0 and "warning" not in r.err
    (written,) = usb.glob("*.checkpoint")
    log = entries(cli.store)
    first_letter = next(e.seq for e in log if e.event == "letter-issued")
    assert cp.parse(written.read_text("utf-8")).size > first_letter             # it covers the missed one too
    assert cli("verify", "--against", str(usb), user=OTTO[0], passphrase=OTTO[1]).code == 0


def test_the_office_policy_can_fix_the_witness_folder(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"witness_folder": "/media/witness"}), "utf-8")
    assert policy.load(path).values == {"witness_folder": "/media/witness"}
    path.write_text(json.dumps({"witness_folder": 3}), "utf-8")
    with pytest.raises(policy.PolicyError, match="witness_folder"):
        policy.load(path)

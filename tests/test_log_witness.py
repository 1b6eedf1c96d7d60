"""`dws verify --against`: checkpoints made before an insider's change catch a cut, a rewrite with every hash
recomputed, a reordering, a forged checkpoint and one from another store; each passes when nothing changed.
Real stores, real keys: the tampering is done the way a key holder would, with the data key."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from clihelp import Cli
from conftest import ADMIN_PW, REVIEWER_PW

from workstation import checkpoint as cp
from workstation.keys import primitives as p
from workstation.service import Workstation
from workstation.store import auditlog, db, logtree

OTTO_PW = "auditor-passphrase-1"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["DWS_NO_KEYRING"] = "1"
    path = tmp_path_factory.mktemp("witness") / "store"
    s, _code, _notice = Workstation(path).init("admin", ADMIN_PW)
    s.add_user("rita", "reviewer", REVIEWER_PW)
    s.add_user("otto", "auditor", OTTO_PW)
    s.close()
    add_entries(path, 30)
    return path


@pytest.fixture
def cli(template: Path, tmp_path: Path, capsys, monkeypatch) -> Cli:
    store = tmp_path / "store"
    shutil.copytree(template, store)
    return Cli(store, capsys, monkeypatch)


def add_entries(store: Path, n: int) -> None:
    with Workstation(store).unlock("rita", REVIEWER_PW) as s:
        for i in range(n):
            with db.transaction(s.conn):
                s.log("preview-viewed", "REQ-1", {"ref": str(i + 1), "released": ["name"]})


def tamper(store: Path, change: Callable[[db.Connection], None]) -> None:
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        change(s.conn)


def rechain(conn: db.Connection, start: int = 1) -> None:
    """What an insider does after changing entries: recompute every later chain hash, and the tree."""
    prev = auditlog.GENESIS if start == 1 else conn.execute("SELECT hash FROM audit_log WHERE seq = ?",
                                                            (start - 1,)).fetchone()[0]
    for seq, ts, user, event, obj, detail in conn.execute(
            "SELECT seq, ts, user, event, object, detail FROM audit_log WHERE seq >= ? ORDER BY seq",
            (start,)).fetchall():
        h = auditlog.entry_hash(prev, seq, ts, user, event, obj, detail)
        conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, seq))
        prev = h
    logtree.rebuild(conn)


def checkpoint(cli: Cli, target: Path, user: str = "rita", pw: str = REVIEWER_PW) -> int:
    r = cli("log", "checkpoint", "-o", str(target), user=user, passphrase=pw)
    assert r.code == 0, r.err
    return cp.parse(target.read_text(encoding="utf-8")).size


def verify(cli: Cli, *against: Path) -> tuple[int, dict]:
    r = cli("verify", "--json", "--against", *map(str, against), user="otto", passphrase=OTTO_PW)
    return r.code, json.loads(r.out) if r.out else {}


def rewrite(seq: int) -> Callable[[db.Connection], None]:
    def change(conn: db.Connection) -> None:
        conn.execute("UPDATE audit_log SET detail = '{\"ref\":\"999\",\"released\":[]}' WHERE seq = ?", (seq,))
        rechain(conn, seq)
    return change


def swap(a: int, b: int) -> Callable[[db.Connection], None]:
    def change(conn: db.Connection) -> None:
        cols = "ts, user, event, object, detail"
        ra = conn.execute(f"SELECT {cols} FROM audit_log WHERE seq = ?", (a,)).fetchone()
        rb = conn.execute(f"SELECT {cols} FROM audit_log WHERE seq = ?", (b,)).fetchone()
        sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
        conn.execute(f"UPDATE audit_log SET {sets} WHERE seq = ?", (*rb, a))
        conn.execute(f"UPDATE audit_log SET {sets} WHERE seq = ?", (*ra, b))
        rechain(conn, a)
    return change


def cut_after(seq: int) -> Callable[[db.Connection], None]:
    def change(conn: db.Connection) -> None:
        conn.execute("DELETE FROM audit_log WHERE seq > ?", (seq,))
        rechain(conn, 1)
    return change


# An unchanged log extends every checkpoint: tests/test_engine_log.py, on both engines.


CASES = {
    "tail cut": (cut_after(20), "were removed; entries 1..22 are vouched for by no checkpoint", 1),
    "an entry rewritten, every later hash recomputed": (rewrite(12), "among 1..", 1),
    "two entries reordered, every later hash recomputed": (swap(15, 16), "among 1..", 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_change_before_a_checkpoint_is_exit_3_naming_it(cli: Cli, tmp_path: Path, case: str) -> None:
    change, message, first_bad = CASES[case]
    target = tmp_path / "before.checkpoint"
    checkpoint(cli, target)
    tamper(cli.store, change)
    plain = cli("verify", "--json", user="otto", passphrase=OTTO_PW)
    assert plain.code == 0, "the chain alone cannot see it: the insider recomputed every hash"
    code, report = verify(cli, target)
    assert code == 3 and not report["ok"]
    [w] = report["witnesses"]
    assert not w["ok"] and str(target) in w["problem"] and message in w["problem"], w["problem"]
    assert w["first_bad_entry"] == first_bad and report["first_bad_entry"] == first_bad
    r = cli("verify", "--against", str(target), user="otto", passphrase=OTTO_PW)
    assert r.code == 3 and "TAMPERING: checkpoint" in r.out and str(target) in r.out


def test_a_witness_folder_narrows_the_change_to_the_first_entry(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "witness"
    folder.mkdir()
    sizes = []
    for _ in range(4):                      # a checkpoint on every lock, as the GUI will write them
        with Workstation(cli.store).unlock("rita", REVIEWER_PW) as s:
            sizes.append(s.write_witness(folder).size)
            with db.transaction(s.conn):
                s.log("preview-viewed", "REQ-1", {"ref": "1", "released": []})
    assert len(list(folder.glob("*.checkpoint"))) == 4
    assert verify(cli, folder)[0] == 0
    target = sizes[1] + 1                   # the first entry after the second checkpoint
    tamper(cli.store, rewrite(target))
    code, report = verify(cli, folder)
    assert code == 3 and [w["ok"] for w in report["witnesses"]] == [True, True, False, False]
    bad = report["witnesses"][2]
    assert bad["first_bad_entry"] == target and bad["last_bad_entry"] == sizes[2]
    assert f"among {target}..{sizes[2]}" in bad["problem"]


def test_entries_changed_without_their_tree_are_named_exactly(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "before.checkpoint"
    checkpoint(cli, target)

    def change(conn: db.Connection) -> None:       # the chain recomputed, the tree left as it was
        conn.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 9")
        prev = conn.execute("SELECT hash FROM audit_log WHERE seq = 8").fetchone()[0]
        for seq, ts, user, event, obj, detail in conn.execute("SELECT seq, ts, user, event, object, detail "
                                                               "FROM audit_log WHERE seq >= 9 ORDER BY seq").fetchall():
            h = auditlog.entry_hash(prev, seq, ts, user, event, obj, detail)
            conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, seq))
            prev = h

    tamper(cli.store, change)
    code, report = verify(cli, target)
    assert code == 3 and report["first_bad_entry"] == 1          # the tile of entries 1..16 holds entry 9
    assert "the stored Merkle tree does not match the entries (from the tile of entries 1..16)" in \
        " ".join(report["problems"])
    assert "an entry among 1..16 was changed" in report["witnesses"][0]["problem"]


def test_a_checkpoint_signed_by_a_key_not_enrolled_is_exit_3(cli: Cli, tmp_path: Path) -> None:
    real = tmp_path / "real.checkpoint"
    checkpoint(cli, real)
    c = cp.parse(real.read_text(encoding="utf-8"))
    forger, forger_pub = p.new_signing_key()
    name = c.signatures[0].name                                  # the same name, another key
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(cp.make(c.origin, c.size, c.root, name, forger).note, encoding="utf-8")
    code, report = verify(cli, forged)
    assert code == 3 and "not signed by a checkpoint key enrolled in this store" in report["witnesses"][0]["problem"]

    def enrol_quietly(conn: db.Connection) -> None:               # a key put in the table, never in the log
        conn.execute("INSERT INTO checkpoint_keys VALUES ('rita', ?, x'00', x'00', '2026-01-01', 0)", (forger_pub,))

    tamper(cli.store, enrol_quietly)
    assert verify(cli, forged)[0] == 3
    altered = tmp_path / "altered.checkpoint"
    altered.write_text(real.read_text(encoding="utf-8").replace(f"\n{c.size}\n", f"\n{c.size - 1}\n"),
                       encoding="utf-8")
    assert verify(cli, altered)[0] == 3


# A checkpoint from another store is exit 3: tests/test_engine_log.py, on both engines.


def test_a_letter_pdf_carries_its_checkpoint_in_its_xmp_metadata(cli: Cli, tmp_path: Path) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    from workstation import letter_checkpoint

    note = (tmp_path / "c.checkpoint")
    checkpoint(cli, note)
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    xmp = StreamObject()
    xmp.set_data(('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
                  '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                  + letter_checkpoint.XMP_EXTENSION_SCHEMA + letter_checkpoint.xmp_property(note.read_text("utf-8"))
                  + '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8"))
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp.flate_encode())
    letter = tmp_path / "letter.pdf"
    with letter.open("wb") as fh:
        writer.write(fh)
    assert b"dws:Checkpoint" not in letter.read_bytes()              # compressed: found by inflating
    assert verify(cli, letter)[0] == 0
    tamper(cli.store, cut_after(10))
    code, report = verify(cli, letter)
    assert code == 3 and str(letter) in report["witnesses"][0]["problem"]


# A file that is no checkpoint: tests/test_engine_decisions.py, on both engines.


# A missing witness folder is a clear error and changes nothing: tests/test_engine_witness.py, on both engines.


def test_checkpoint_keys_are_announced_exported_and_signed_without_a_prompt(cli: Cli) -> None:
    r = cli("log", "key", "rita", user="otto", passphrase=OTTO_PW)
    name, public = cp.parse_verifier_key(r.out.strip())
    assert name.startswith("rita@")
    with Workstation(cli.store).unlock("rita", REVIEWER_PW) as s:
        info = s.checkpoint()                                   # no passphrase asked
        assert cp.parse(info.note).verify(name, public) and info.verifier_key == r.out.strip()
        events = [(e.event, e.object, e.detail.get("verifier_key")) for e in auditlog.entries(s.conn)]
        assert ("checkpoint-key-enrolled", "rita", r.out.strip()) in events
        digest = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
        assert r.out.strip().split("+")[1] == digest.hex()
    assert cli("log", "key", "nobody", user="otto", passphrase=OTTO_PW).code == 1

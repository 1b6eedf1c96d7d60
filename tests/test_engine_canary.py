"""No taxpayer value at rest on either engine after a whole review (issue 19 items 1 and 2; tests/engines.py):
records, a court order and a request imported, evaluated, its subjects listed, searched by name, a subject's
findings, preview and original shown, the decision shown then signed, approved, the letter issued and printed.
Then no canary, in any spelling, is in what the store keeps: for a local store every file of its folder (the
SQLCipher database and whatever lies beside it); for an office the server's `pg_dump` (the values inside every
bytea decoded too; the subjects' matches among them) and, on the desktop, the evaluations' working-copy folder
(removed with each session)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from engines import Engine, OfficeEngine, passphrase
from letterdata import AS_OF, TAXPAYERS, UNKNOWN_TIN, canaries, request, subject
from test_engine_decisions import load

from workstation import clock as clocks

RID = "LTR-PARTIAL"
UNNAMED = "LTR-UNNAMED"
REASON = "Quenbyrthwaite disputes the AGI: checking it against the filing"


def spellings() -> list[str]:
    """Every taxpayer value of the flow as it could be kept: TINs with and without hyphens, names and streets as
    on file and as the request writes them, the withheld return information raw and as money, the subjects' case
    numbers, the reason given to see an original."""
    found = {UNKNOWN_TIN, UNKNOWN_TIN.replace("-", ""), "Quenbyrthwaite", "CR-26-4001", "CR-26-4002", "CR-26-4006"}
    for tp in TAXPAYERS:
        parts = tp.name_on_file.split()
        found |= {tp.tin, tp.tin.replace("-", ""), tp.name_on_file, f"{parts[0]} {parts[-1]}", tp.street_on_file}
        for value in canaries(tp).values():
            found |= {value, f"{int(value):,}"} if value.isdigit() else {value}
    return sorted(found)


def leaks(haystacks: list[str]) -> list[str]:
    return [s for s in spellings() for hay in haystacks if s.lower() in hay.lower()]


def unnamed() -> dict[str, Any]:
    """A request whose subjects name no TIN: each matched by name and address (the office records the match)."""
    subjects = [subject(ref, key) for ref, key in (("1", "released-1"), ("2", "on-hold"))]
    return request(UNNAMED, subjects=[{**s, "tin": None} for s in subjects])


def review_sign_and_issue(engine: Engine, folder: Path) -> None:
    load(engine, folder / "in", RID)
    (folder / "in" / "unnamed.json").write_text(json.dumps(unnamed()), encoding="utf-8")
    with engine.open("rita") as rita:
        rita.import_request(folder / "in" / "unnamed.json")
        rita.evaluate(UNNAMED, AS_OF)
        rita.evaluate(RID, AS_OF)
        rows = rita.subject_rows(RID, 0, 50)
        assert [r.ref for r in rows] == ["1", "2", "3", "4", "5", "6"]
        [found] = rita.find_subjects(RID, "Maria Example")
        rita.subject_findings(RID, found.seq)
        assert any(f.released for f in rita.preview(RID, found.seq))
        assert dict(rita.show_original(RID, found.seq, REASON))["agi"]
        signed = rita.sign_decision(rita.prepare_decision(RID, "partial", None, AS_OF), passphrase("rita"))
    with engine.open("alex") as alex:
        shown = alex.approval_summary(RID, AS_OF)
        alex.approve(RID, passphrase("alex"), AS_OF, expected_hash=shown.doc_hash)
        assert shown.doc_hash == signed.doc_hash
    out = folder / "out"                               # what the user chose to write: not the store's
    out.mkdir()
    with engine.open("rita") as rita:
        (out / "letter.pdf").write_bytes(rita.issue_letter(RID, passphrase("rita")))
        rita.record_letter_output(RID, "printed", "Office printer")
        rita.export_accounting(clocks.today().year, out / "accounting.csv")   # the letter's day: its year
    engine.close()


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_no_canary_at_rest_after_review_preview_and_signing(engine: Engine, tmp_path: Path) -> None:
    review_sign_and_issue(engine, tmp_path)
    assert leaks([(tmp_path / "out" / "accounting.csv").read_text(encoding="utf-8")])   # the check can find them
    kept = files_under(tmp_path / "cache")              # office working copies: gone with their sessions
    assert kept == []
    if isinstance(engine, OfficeEngine):
        server = engine.host.server
        dump = subprocess.run([str(server.bin / "pg_dump"), "-h", str(server.socket_dir), "-p", str(server.port),
                               "-U", "postgres", "--no-owner", engine.dbname],
                              capture_output=True, text=True, check=True, timeout=120).stdout
        assert "COPY dws.taxpayer_records" in dump and "COPY dws.letters" in dump and RID in dump
        # the subjects' matches (schema step 7) are dumped too: their rows, each a blind index, searched with the rest
        matches = dump.split("COPY dws.subject_matches (evaluation, seq, tin_index) FROM stdin;\n")[1]
        assert len(matches.split("\n\\.\n")[0].splitlines()) == 1          # Maria Example's, matched by address
        # a bytea's hex is searched decoded (a canary of digits would turn up in random hex), the rest as text
        decoded = b"".join(bytes.fromhex(h) for h in re.findall(r"\\\\x([0-9a-f]+)", dump)).decode("latin-1")
        assert leaks([re.sub(r"\\\\x[0-9a-f]+", "", dump), decoded]) == []
    else:
        kept = files_under(engine.store)
        assert any(p.stat().st_size > 100_000 for p in kept)          # the database is among them
        assert leaks([p.read_bytes().decode("latin-1") for p in kept]) == []

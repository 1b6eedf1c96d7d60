"""The witness folder on both engines (issue 12's, for an office too; tests/engines.py): a checkpoint of the log
goes to the folder outside the store, named by the log's id; a folder that is missing is a warning and nothing
else, and the next write catches up; the status says when the folder last received one; `wrote_to_log` says
whether the log grew since the unlock. Through `dws`: a command that wrote to the log leaves a checkpoint in the
default folder beside the store (a local store's folder, an office's profile file) with a notice said once, a
command that only read leaves none, and `dws verify --against FOLDER` or `FILE` checks them. Moved here from
tests/test_log_witness.py (the missing folder) and extended to the office (service/office_witness_folder.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from engines import Engine, EngineCli
from letterdata import COURT_ORDER

from workstation import checkpoint as cp
from workstation.errors import InputError


def fix_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """An office policy file that sets the witness folder (the one way to set it on an office desktop)."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"witness_folder": str(folder)}), "utf-8")
    monkeypatch.setenv("DWS_POLICY_FILE", str(path))


def test_a_checkpoint_goes_to_the_folder_a_missing_one_is_a_warning_and_the_next_catches_up(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usb = tmp_path / "usb" / "dws-witness"
    fix_folder(tmp_path, monkeypatch, usb)
    with engine.open("ada") as ada:
        assert not ada.wrote_to_log()
        missing = ada.witness_status()
        assert missing.folder == str(usb) and missing.path is None
        assert missing.warning is not None and f"the witness folder {usb} is unavailable (missing)" in missing.warning
        before = engine.events()
        with pytest.raises(InputError, match="witness folder is missing"):
            ada.write_witness(usb)
        outcome = ada.append_witness()                                  # the lock's: a warning, no error
        assert outcome.path is None and outcome.warning is not None
        assert "the work is safe, and the next lock, exit or command catches up" in outcome.warning
        assert engine.events() == before and not usb.exists()           # nothing made in its place

        ada.change_setting("office_name", "Austin Disclosure Office")   # work done while the drive is away
        assert ada.wrote_to_log()
        usb.mkdir(parents=True)                                         # the drive is back
        written = ada.append_witness()
        assert written.warning is None and written.path is not None and written.size is not None
        file = Path(written.path)
        assert file.parent == usb and file.name.startswith("dws-") and file.name.endswith(
            f"-{written.size:010d}-ada.checkpoint")
        note = cp.parse(file.read_text("utf-8"))
        assert note.size == written.size and note.store_id.startswith(file.name.split("-")[1])
        status = ada.witness_status()
        assert (status.path, status.size, status.warning, status.beside_store) == (str(file), written.size, None,
                                                                                   False)
        with engine.open("otto") as otto:                               # the checkpoint covers the missed change
            report = otto.verify([usb])
            assert report.ok and [w.ok for w in report.witnesses] == [True]
            assert ("setting-changed", "office_name") in [(e, o) for e, o, _d in engine.events()][:written.size]


def test_a_command_that_wrote_to_the_log_leaves_a_checkpoint_that_verify_checks(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    engine.made()
    if engine.kind == "office":         # this test's own copy of the desktop's folder: its default witness folder
        store = tmp_path / "desk" / engine.store.name
        shutil.copytree(engine.store.parent, store.parent, ignore=shutil.ignore_patterns("*-witness"))
        folder = store.parent / (store.stem + "-witness")
    else:
        store, folder = engine.store, tmp_path / "store-witness"
    cli = EngineCli(store, capsys, monkeypatch)
    order = tmp_path / "order.json"
    order.write_text(json.dumps(COURT_ORDER), "utf-8")

    r = cli("settings", "set", "office_name", "Austin Disclosure Office", user="ada")
    assert r.code == 0, r.err
    assert f"dws: note: checkpoints of the audit log now go to {folder}" in r.err and "move them off" in r.err
    assert len(list(folder.glob("*.checkpoint"))) == 1
    r = cli("list", user="otto")                                        # reads only: nothing to witness
    assert r.code == 0 and r.err == "" and len(list(folder.glob("*.checkpoint"))) == 1
    r = cli("import", "order", str(order), user="cora")
    assert r.code == 0 and r.err == ""                                  # the notice is said once
    files = sorted(folder.glob("*.checkpoint"))
    assert len(files) == 2
    sizes = sorted(cp.parse(f.read_text("utf-8")).size for f in files)
    assert sizes[1] > sizes[0]
    for against in (folder, files[0]):
        r = cli("verify", "--json", "--against", str(against), user="otto")
        assert r.code == 0, r.out
        assert all(w["ok"] for w in json.loads(r.out)["witnesses"])

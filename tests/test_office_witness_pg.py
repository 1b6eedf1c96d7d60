"""The office log's checkpoints (issue 19 item 3; issue 12's witness, for the office), through the real `dws`:
`dws --store PROFILE log checkpoint` gives a C2SP signed-note checkpoint any signed-note verifier checks with
`dws log key`'s verifier key, and `verify --against FILE` proves the office log extends it. A superuser on the
server (psql as the cluster's superuser, triggers disabled) who rewrites an old entry with every later hash
recomputed, or who cuts the log's tail, leaves a chain that `dws verify` alone finds whole: the checkpoint a
witness kept catches both, exit 3 naming it, and so do those `dws` wrote to the witness folder. This office is made
as one before schema step 8 (no users' checkpoint keys): its checkpoints are the office key's, as every office's
were before; users' own keys: tests/test_engine_interface.py, test_engine_log.py, test_office_signed_pg.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelp import Result, run_dws
from officehelp import ADMIN, ADMIN_PASSPHRASE, Office

from workstation import checkpoint as cp
from workstation.store.auditlog import entry_hash
from workstation.store.office import log
from workstation.store.office import records as records_sql

RECORDS = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
           "dependents,phone,bank_account,wages,employer,interest,hold\n")


def records(path: Path, first: int, n: int = 2) -> Path:
    path.write_text(RECORDS + "".join(f"{587_561_000 + first + i},SSN,Pat Example,1 Main St,Springfield,IL,62704,,"
                                      "2023,single,50000,1000,0,0,,,,,,0\n" for i in range(n)))
    return path


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Office, Path]]:
    started = Office.start()
    started.create(records_sql)                                 # what office init makes beside the log
    started.enrol("pat", "preparer", "pat's passphrase")
    started.enrol("aud", "auditor", "aud's passphrase")
    profile = started.desktop(tmp_path / "desk").path
    yield started, profile
    started.server.stop()


def dws(profile: Path, user: str, *args: str) -> Result:
    secret = {"pat": "pat's passphrase", "aud": "aud's passphrase", ADMIN: ADMIN_PASSPHRASE}[user]
    return run_dws(profile, *args, env={"DWS_USER": user, "DWS_PASSPHRASE": secret})


def import_some(profile: Path, tmp_path: Path, start: int, files: int) -> None:
    for i in range(start, start + files):
        done = dws(profile, "pat", "import", "records", str(records(tmp_path / f"r{i}.csv", 10 * i)))
        assert done.code == 0, done.err


def as_superuser(office: Office, statements: list[str]) -> None:
    """psql as the cluster's superuser, the log's triggers off: what an insider with the server's keys can do."""
    script = ["BEGIN", "ALTER TABLE dws.office_log DISABLE TRIGGER USER", *statements,
              "ALTER TABLE dws.office_log ENABLE TRIGGER USER", "COMMIT"]
    office.server.psql(";\n".join(script), dbname="dws", check=True)


def rewrite(office: Office, seq: int, detail: str) -> None:
    """Change entry `seq`'s detail and recompute its hash and every later entry's prev_hash and hash."""
    with office.superuser() as conn:
        rows = log.entries(conn)
    statements, prev = [], rows[seq - 2][7] if seq > 1 else log.GENESIS
    for s, ts, user, event, obj, old_detail, _prev, _hash, _by in rows[seq - 1:]:
        text = detail if s == seq else old_detail
        h = entry_hash(str(prev), int(str(s)), str(ts), user and str(user), str(event), obj and str(obj), str(text))
        statements.append(f"UPDATE dws.office_log SET detail = '{text}', prev_hash = '{prev}', hash = '{h}' "
                          f"WHERE seq = {s}")
        prev = h
    as_superuser(office, statements)


def checkpoint(profile: Path, user: str, target: Path) -> dict[str, object]:
    done = dws(profile, user, "log", "checkpoint", "-o", str(target), "--json")
    assert done.code == 0, done.err
    made: dict[str, object] = json.loads(done.out)
    assert target.read_text() == made["checkpoint"]
    return made


def test_a_checkpoint_is_a_signed_note_and_the_log_extends_it(office: tuple[Office, Path], tmp_path: Path) -> None:
    server, profile = office
    import_some(profile, tmp_path, 0, 2)
    made = checkpoint(profile, "aud", tmp_path / "early.checkpoint")        # an auditor may make one
    note = cp.parse((tmp_path / "early.checkpoint").read_text())
    key = dws(profile, "pat", "log", "key")
    assert key.code == 0 and key.out.strip() == made["verifier_key"]         # the office key, whoever unlocks
    assert dws(profile, "pat", "log", "key", "aud").err == (     # an office made before per-user keys (step 8)
        "dws: this office's log has one checkpoint key, the office's (its schema is older than per-user checkpoint "
        "keys; the server's administrator upgrades it with 'dws office init'): name no user\n")
    name, public = cp.parse_verifier_key(key.out)
    assert note.verify(name, public) and name == f"office@{note.store_id}"
    with server.superuser() as conn:
        assert note.size == made["size"] == len(log.entries(conn))
    printed = dws(profile, "pat", "log", "checkpoint")
    assert printed.code == 0 and cp.parse(printed.out).root == note.root     # nothing appended meanwhile
    import_some(profile, tmp_path, 2, 2)
    later = checkpoint(profile, "pat", tmp_path / "later.checkpoint")
    assert isinstance(later["size"], int) and isinstance(made["size"], int) and later["size"] == made["size"] + 2
    done = dws(profile, "aud", "verify", "--against", str(tmp_path / "early.checkpoint"),
               str(tmp_path / "later.checkpoint"))
    assert done.code == 0, done.err
    assert f"witness {tmp_path / 'early.checkpoint'}: {made['size']} entries: the office log extends it" in done.out
    assert done.out.endswith("OK: the office log's chain is whole and extends every checkpoint given.\n")
    folder = dws(profile, "aud", "verify", "--against", str(tmp_path), "--json")     # a witness folder
    assert folder.code == 0 and [w["ok"] for w in json.loads(folder.out)["witnesses"]] == [True, True]


def test_a_superuser_who_rewrites_an_old_entry_is_caught(office: tuple[Office, Path], tmp_path: Path) -> None:
    server, profile = office
    import_some(profile, tmp_path, 0, 3)
    target = tmp_path / "witness.checkpoint"
    made = checkpoint(profile, "pat", target)
    import_some(profile, tmp_path, 3, 1)
    with server.superuser() as conn:
        entry = log.entries(conn)[1]                     # an import pat did before the checkpoint: entry 2
    assert entry[3] == "records-imported"
    rewrite(server, 2, str(entry[5]).replace('"rows":2', '"rows":1'))
    assert dws(profile, "aud", "verify").code == 0       # the chain alone is whole again: recomputed
    done = dws(profile, "aud", "verify", "--against", str(target))
    assert done.code == 3
    assert done.err == f"dws: the office log no longer extends checkpoint {target} (see above)\n"
    assert (f"TAMPERING: checkpoint {target} (size {made['size']}), signed with the office's checkpoint key: the "
            f"office log no longer extends it; an entry among 1..{made['size']} was changed, removed or "
            "reordered") in done.out
    assert "58756" not in done.out + done.err            # no value, ever (the entry carried none either)
    # the witness folder beside the profile got one after each import (dws after a command that wrote): it
    # catches the same rewrite in every checkpoint that covers entry 2 (the first import's covers entry 1 alone)
    folder = profile.parent / (profile.stem + "-witness")
    kept = sorted(folder.glob("*.checkpoint"))
    assert len(kept) == 4
    done = dws(profile, "aud", "verify", "--against", str(folder), "--json")
    assert done.code == 3
    checks = json.loads(done.out)["witnesses"]
    assert [w["ok"] for w in checks] == [True, False, False, False] and checks[1]["source"] == str(kept[1])
    assert checks[1]["first_bad_entry"] == 2


def test_a_superuser_who_cuts_the_tail_is_caught(office: tuple[Office, Path], tmp_path: Path) -> None:
    server, profile = office
    import_some(profile, tmp_path, 0, 3)
    target = tmp_path / "witness.checkpoint"
    made = checkpoint(profile, "pat", target)
    size = made["size"]
    assert isinstance(size, int)
    as_superuser(server, [f"DELETE FROM dws.office_log WHERE seq > {size - 2}"])
    assert dws(profile, "aud", "verify").code == 0
    done = dws(profile, "aud", "verify", "--against", str(target), "--json")
    assert done.code == 3
    (check,) = json.loads(done.out)["witnesses"]
    assert check["problem"] == (f"checkpoint {target} (size {size}), signed with the office's checkpoint key: the "
                                f"office log has only {size - 2} entries, so entries {size - 1}..{size} were removed")
    # the server cannot make the checkpoint fit: one it signs itself is not the office's
    forged = cp.make(cp.parse(target.read_text()).origin, size - 2, b"\0" * 32, f"office@{'0' * 32}", b"\1" * 32)
    (tmp_path / "forged.checkpoint").write_text(forged.note)
    done = dws(profile, "aud", "verify", "--against", str(tmp_path / "forged.checkpoint"))
    assert done.code == 3 and "is not signed by a checkpoint key of this office" in done.out


def test_no_checkpoint_over_a_broken_chain_and_a_foreign_checkpoint_is_named(office: tuple[Office, Path],
                                                                             tmp_path: Path) -> None:
    server, profile = office
    import_some(profile, tmp_path, 0, 1)
    local = cp.make(cp.origin("ab" * 16), 1, b"\0" * 32, f"ada@{'ab' * 16}", b"\2" * 32)
    (tmp_path / "local.checkpoint").write_text(local.note)
    done = dws(profile, "pat", "verify", "--against", str(tmp_path / "local.checkpoint"))
    assert done.code == 3 and "is from another store or office" in done.out
    as_superuser(server, ["UPDATE dws.office_log SET detail = '{}' WHERE seq = 1"])
    refused = dws(profile, "pat", "log", "checkpoint", "-o", str(tmp_path / "never.checkpoint"))
    assert (refused.code, refused.err) == (3, "dws: office log: entry 1 was altered (its hash does not match its "
                                              "content); no checkpoint was signed (run 'dws verify')\n")
    assert not (tmp_path / "never.checkpoint").exists()


def test_a_checkpoint_extends_the_desktops_verified_state_or_recomputes_the_whole_log(
        office: tuple[Office, Path], tmp_path: Path) -> None:
    """The desktop's cache of the office log it verified (service/office_log_cache.py): a checkpoint after new
    entries reads only those and is the one the whole log gives; a log rewritten or cut at or before the cached
    size, or a cache that is damaged, foreign or from nowhere, makes the next checkpoint recompute the whole log
    (refused as ever over a broken chain) and rewrites the cache."""
    from workstation.errors import TamperError
    from workstation.service import office_log_cache, office_session, office_witness
    from workstation.service.office_records import OfficeCtx

    server, profile = office
    import_some(profile, tmp_path, 0, 2)                        # `dws` kept a checkpoint: the cache is there

    def full(o: OfficeCtx) -> tuple[int, str, str]:
        info = office_witness.signed(o, office_session.log_rows(o))[0]
        return info.size, info.root_hex, info.note

    def head(o: OfficeCtx) -> tuple[int, str, str, bool]:
        size, root, incremental = office_witness.tree_head(o)
        info = office_witness.sign_checkpoint(o)
        assert (info.size, info.root_hex) == (size, root.hex())
        return size, root.hex(), info.note, incremental

    def grow(o: OfficeCtx, n: int) -> None:
        with o.conn.transaction():
            for i in range(n):
                o.log("settings-changed", "office_name", {"n": i})

    with office_session.opened(profile, "pat", "pat's passphrase") as o:
        cache = office_log_cache.path(office_witness.log_id(o))
        assert cache.stat().st_mode & 0o777 == 0o600 and cache.parent.stat().st_mode & 0o777 == 0o700
        grow(o, 10)
        size, root, note, incremental = head(o)
        assert incremental and (size, root, note) == full(o)    # same root, same signed note body
        first = cp.parse(note)
        with server.superuser() as conn:                        # read a page at a time: the same entries
            assert log.entries_from(conn, 2, page=3) == log.entries(conn)[1:]
        text = cache.read_text()
        assert "58756" not in text and "Example" not in text and json.loads(text)["size"] == size

        rewrite(server, 2, '{"rows":1}')                        # before N, every later hash recomputed
        grow(o, 1)
        size, root, note, incremental = head(o)
        assert not incremental and (size, root, note) == full(o)
        before = cp.parse(note)
        assert [w.ok for w in office_witness.check(o, [("earlier", first)])[1]] == [False]   # caught as ever

        as_superuser(server, [f"DELETE FROM dws.office_log WHERE seq > {size - 3}"])     # the tail cut below N
        size, root, note, incremental = head(o)
        assert not incremental and size == before.size - 3 and (size, root, note) == full(o)
        assert json.loads(cache.read_text())["size"] == size

        for damage in ("{not json", json.dumps({**json.loads(cache.read_text()), "size": -1}),
                       cache.read_text().replace(office_witness.log_id(o), "ab" * 16)):
            cache.write_text(damage)
            grow(o, 1)
            size, root, note, incremental = head(o)
            assert not incremental and (size, root, note) == full(o)
            assert office_log_cache.load(office_witness.log_id(o), b"\0" * 32) is None     # another office's key
            assert json.loads(cache.read_text())["size"] == size                           # rewritten
        mine = office_log_cache.load(office_witness.log_id(o), o.checkpoint_key or b"")
        assert mine is not None
        office_log_cache.save(office_witness.log_id(o), b"\1" * 32, mine.size, mine.head, mine.frontier())
        assert not office_witness.tree_head(o).incremental      # written under another office's key: not used
        assert office_witness.tree_head(o).incremental          # rewritten by the full path

        # an old entry's content changed, its hashes left: not this checkpoint's to see. It still commits to the
        # history this desktop verified (`dws verify` and every witness's earlier checkpoint see the change)
        grow(o, 1)
        verified = office_session.log_rows(o)
        head(o)
        as_superuser(server, ["UPDATE dws.office_log SET detail = '{}' WHERE seq = 3"])
        grow(o, 1)
        size, root, note, incremental = head(o)
        assert incremental and size == len(verified) + 1
        assert note == office_witness.signed(o, [*verified, *office_session.log_rows(o)[-1:]])[0].note
        # a broken chain after N: the whole log is read, and the checkpoint refused at its first break, as ever
        kept = cache.read_text()
        grow(o, 2)
        as_superuser(server, [f"UPDATE dws.office_log SET detail = '{{}}' WHERE seq = {size + 1}"])
        with pytest.raises(TamperError, match=r"^office log: entry 3 was altered \(its hash does not match its "
                                              r"content\); no checkpoint was signed \(run 'dws verify'\)$"):
            office_witness.sign_checkpoint(o)
        assert cache.read_text() == kept
    done = dws(profile, "aud", "verify")
    assert done.code == 3 and "entry 3 was altered" in done.out + done.err

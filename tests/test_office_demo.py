"""`dws office demo DIR` / `dws office stop DIR` (issue 19, INTERCHANGE.md) through the real `dws` command: a
cluster from Debian's postgresql package, the office schema in it, a profile that connects with TLS and this
desktop's certificate (and only with it), stopped, started again on the same folder, stopped."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from clihelp import run_dws
from conftest import pg_unavailable

from workstation import clock as clocks
from workstation.demo.generator import STORY_AGE
from workstation.demo.taxpayers import TaxpayerFactory, write_records
from workstation.demo_store import DEFAULT_SEED, DEFAULT_TAXPAYERS
from workstation.office.cluster import Cluster, bindir
from workstation.office.profile import load


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    if bindir() is None:
        pg_unavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    folder = tmp_path / "office"
    yield folder
    state = folder / "cluster.json"
    if state.is_file():                     # whatever the test did: the server stopped, its folder removed
        root = Path(json.loads(state.read_text())["cluster"])
        Cluster.at(root).stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def refusal(params: dict[str, str], **change: str) -> str:
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(**{**params, **change}, password="not-the-password", connect_timeout=10)
    return str(refused.value)


def test_demo_then_stop_then_demo_again(demo_dir: Path, tmp_path: Path) -> None:
    made = run_dws(tmp_path / "unused", "office", "demo", str(demo_dir))
    assert made.code == 0, made.err
    assert "Made a new office on 127.0.0.1:" in made.out
    profile = load(demo_dir / "office.json")            # a dws.office/1 profile whose files are all there
    assert (profile.office, profile.host, profile.dbname) == ("Demo Office", "127.0.0.1", "office")
    assert (demo_dir / "desktop.key").stat().st_mode & 0o077 == 0
    params = profile.connection_params("postgres")
    # TLS verify-full against the office CA and this desktop's certificate get as far as the password ...
    assert "password authentication failed" in refusal(params)
    # ... and without the certificate the server refuses at once
    assert "requires a valid client certificate" in refusal(params, sslcert="", sslkey="")
    root = Path(json.loads((demo_dir / "cluster.json").read_text())["cluster"])
    cluster = Cluster.at(root)
    with psycopg.connect(cluster.conninfo(profile.port, "office")) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'dws'")}
    assert tables == {"office_ca", "office_keyslots", "office_log", "office_recovery", "office_recovery_proof",
                      "taxpayer_records", "requests",
                      "request_subjects", "request_reasons", "taxpayer_records_loads", "evaluations",
                      "office_signing_keys", "office_checkpoint_keys", "office_letter_ca", "office_user_certificates",
                      "court_orders",
                      "agencies", "decisions", "approvals", "letters", "overrides", "settings",
                      "user_preferences", "schema_steps", "subject_matches", "subject_matches_since"}

    stopped = run_dws(tmp_path / "unused", "office", "stop", str(demo_dir))
    assert (stopped.code, stopped.out.strip()) == (0, "Stopped the office server.")
    assert not cluster.running()
    assert "Connection refused" in refusal(params) or "connection failed" in refusal(params)

    again = run_dws(tmp_path / "unused", "office", "demo", str(demo_dir), "--json")
    assert again.code == 0, again.err
    reused = json.loads(again.out)
    assert {k: reused[k] for k in ("profile", "port", "created", "started", "records", "recovery_code")} == {
        "profile": str(demo_dir / "office.json"), "port": load(demo_dir / "office.json").port, "created": False,
        "started": True, "records": None, "recovery_code": None}      # nothing made or imported twice
    assert "password authentication failed" in refusal(load(demo_dir / "office.json").connection_params("postgres"))
    assert run_dws(tmp_path / "unused", "office", "stop", str(demo_dir)).code == 0


def test_stop_on_a_folder_without_a_demo_says_so(tmp_path: Path) -> None:
    done = run_dws(tmp_path / "unused", "office", "stop", str(tmp_path))
    assert done.code == 1
    assert done.err.strip() == (f"dws: {tmp_path}: holds no office demo (no cluster.json; 'dws office demo DIR' "
                                "makes one)")


def test_demo_refuses_a_folder_that_holds_something_else(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    done = run_dws(tmp_path / "unused", "office", "demo", str(tmp_path))
    assert done.code == 1 and "is not empty and holds no office demo" in done.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


RECORDS = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
           "dependents,phone,bank_account,wages,employer,interest,hold\n"
           "587550001,SSN,Pat Example,1 Main St,Springfield,IL,62704,,2023,single,50000,1000,0,0,,,,,,0\n"
           "587550002,SSN,Lee Example,2 Main St,Springfield,IL,62704,,2023,single,60000,1000,0,0,,,,,,0\n")


def test_the_demo_office_has_the_demo_users_and_records_and_works_from_the_cli(demo_dir: Path,
                                                                                tmp_path: Path) -> None:
    made = run_dws(tmp_path / "unused", "office", "demo", str(demo_dir), "--json")
    assert made.code == 0, made.err
    found = json.loads(made.out)
    assert found["users"] == [{"name": "admin", "role": "admin"}, {"name": "rita", "role": "preparer"},
                              {"name": "alex", "role": "approver"}, {"name": "cora", "role": "counsel"},
                              {"name": "otto", "role": "auditor"}]
    expected = write_records(tmp_path / "local-demo.csv", TaxpayerFactory(DEFAULT_SEED, clocks.today() - STORY_AGE),
                             DEFAULT_TAXPAYERS)                 # what `dws demo` imports into a local store
    assert found["records"] == expected
    requests = found["requests"]            # the local demo's request packages, imported by its preparer
    assert requests == 28
    assert (demo_dir / "DEMO-PASSPHRASES.txt").read_text().splitlines()[1:] == [
        "admin\tadmin\tdemo-admin-passphrase", "rita\tpreparer\tdemo-rita-passphrase",
        "alex\tapprover\tdemo-alex-passphrase", "cora\tcounsel\tdemo-cora-passphrase",
        "otto\tauditor\tdemo-otto-passphrase"]
    profile = str(demo_dir / "office.json")

    def as_user(name: str, *args: str, passphrase: str | None = None) -> tuple[int, str, str]:
        done = run_dws(demo_dir / "office.json", *args,
                       env={"DWS_USER": name, "DWS_PASSPHRASE": passphrase or f"demo-{name}-passphrase"})
        return done.code, done.out, done.err

    (tmp_path / "more.csv").write_text(RECORDS)
    code, out, err = as_user("rita", "import", "records", str(tmp_path / "more.csv"))
    assert (code, out) == (0, "Imported 2 taxpayer record rows from more.csv into the office (2 new, 0 replaced).\n")
    # a command that wrote to the office log: its checkpoint in the witness folder beside the profile, said once
    assert err.startswith(f"dws: note: checkpoints of the audit log now go to {demo_dir / 'office-witness'}, beside "
                          "the office profile") and len(list((demo_dir / "office-witness").glob("*.checkpoint"))) == 1
    assert as_user("otto", "import", "records", str(tmp_path / "more.csv")) == (
        1, "", "dws: the office server refuses it: your office role may not import taxpayer records; nothing was "
               "changed\n")
    assert as_user("otto", "import", "records", str(tmp_path / "more.csv"), passphrase="not otto's") == (
        1, "", "dws: unknown user or wrong passphrase for 'otto'\n")
    code, out, err = as_user("otto", "verify")
    # made, its CA and first admin; four more users; each user's checkpoint key announced; its desktop; the demo's
    # records and requests; rita's import
    assert (code, out, err) == (0, f"Office log: {14 + requests} entries\nOK: the office log's chain is whole.\n", "")
    assert as_user("cora", "evaluate", "ICE-2026-00017") == (
        1, "", "dws: no request 'ICE-2026-00017' in the store (see 'dws list')\n")
    assert as_user("cora", "override", "ICE-2026-00017", "--list") == (
        1, "", "dws: no request 'ICE-2026-00017' in the store\n")                  # overrides are kept (i19o)
    code, out, err = as_user("cora", "export", "ca", "-o", str(tmp_path / "ca.pem"))
    assert (code, out) == (1, "") and err.startswith(
        "dws: 'dws export ca' is not yet available for an office store (office.json); an office store has "
        "'dws import records', ") and err.endswith("so far; nothing was changed\n")
    code, out, err = as_user("cora", "log", "prove", "--entry", "1")          # i19proof: office_proofs.py
    assert (code, err) == (0, "") and json.loads(out)["leaf_index"] == 0
    (tmp_path / "tin.txt").write_text("900-00-0001\n", encoding="utf-8")
    code, out, err = as_user("cora", "log", "prove", "--tin-file", str(tmp_path / "tin.txt"))   # (its export logged)
    assert (code, out, err) == (0, "[]\n", "")                                 # nobody viewed that taxpayer
    assert as_user("cora", "--store", profile, "import", "order", str(tmp_path / "more.csv"))[0] == 1
    enrolled = run_dws(tmp_path / "unused", "--user", "admin", "office", "enrol", "--profile", profile, "--user",
                       "nell", "--role", "preparer",
                       env={"DWS_PASSPHRASE": "demo-admin-passphrase", "DWS_NEW_PASSPHRASE": "nell's passphrase"})
    assert (enrolled.code, enrolled.out) == (0, "Enrolled 'nell' as preparer of the office\n"), enrolled.err
    verified = as_user("nell", "verify", passphrase="nell's passphrase")[1]
    assert verified.startswith(f"Office log: {17 + requests} entries\n")       # cora's proofs, nell, nell's key

    # a request imported by the preparer, refused to the auditor, in the queue for everyone
    request = shutil.copy(Path(__file__).parent / "data" / "intake" / "request_example.json", tmp_path / "req.json")
    assert as_user("otto", "import", "request", request) == (
        1, "", "dws: the office server refuses it: your office role may not import requests; nothing was changed\n")
    assert as_user("rita", "import", "request", request) == (
        0, "Imported request ICE-2026-00017 with 1 subject from req.json into the office.\n", "")
    code, out, err = as_user("rita", "import", "request", request)
    assert (code, out) == (1, "") and "ICE-2026-00017 is already in the store" in err and len(err.splitlines()) == 1
    code, out, err = as_user("otto", "list")
    assert (code, err) == (0, "") and out.split()[:9] == [
        "REQUEST", "AGENCY", "AUTHORITY", "RECEIVED", "DUE", "LEFT", "SUBJECTS", "STATUS", "RECOMMENDATION"]
    assert len(out.splitlines()) == 1 + requests + 1
    ours = next(line for line in out.splitlines() if line.startswith("ICE-2026-00017"))
    assert ours.split()[:5] == ["ICE-2026-00017", "DHS-ICE", "6103(i)(2)", "2026-11-02", "2026-12-02"]
    code, out, _err = as_user("cora", "list", "--json")
    (row,) = [r for r in json.loads(out) if r["request_id"] == "ICE-2026-00017"]
    assert (code, row["request_id"], row["subjects"], row["status"], row["recommendation"]) == (
        0, "ICE-2026-00017", 1, "new", None)
    code, out, _err = as_user("cora", "list", "--status", "approved")
    assert (code, len(out.splitlines()), out.split()[0]) == (0, 1, "REQUEST")      # the header alone
    # an entry altered on the server (a superuser who disables the trigger) is found: rita's import (2 rows)
    root = Path(json.loads((demo_dir / "cluster.json").read_text())["cluster"])
    with psycopg.connect(Cluster.at(root).conninfo(load(demo_dir / "office.json").port, "office"),
                         autocommit=True) as conn:
        conn.execute("ALTER TABLE dws.office_log DISABLE TRIGGER office_log_append_only")
        conn.execute("UPDATE dws.office_log SET detail = replace(detail, '2', '3') WHERE seq = %s", (9 + requests,))
    code, out, err = as_user("otto", "verify")
    assert (code, err) == (3, "dws: verification found tampering (see above)\n")
    assert f"TAMPERING: office log: entry {9 + requests} was altered (its hash does not match its content)" in out
    assert run_dws(tmp_path / "unused", "office", "stop", str(demo_dir)).code == 0
    code, out, err = as_user("otto", "verify")
    assert (code, out) == (1, "") and err.startswith("dws: office server unreachable: 127.0.0.1:") and \
        len(err.splitlines()) == 1

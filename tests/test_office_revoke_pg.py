"""Revoking a desktop (`dws office revoke`, an admin) through the real `dws` command against a real TLS PostgreSQL
server: the office log records the revocation, the office CA's revocation list names the desktop's certificate,
and once the server has read the list the revoked desktop is refused in one line while another desktop still
connects. On the demo office of this machine the server reads the list at once (no restart)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from clihelp import Result, run_dws
from conftest import pg_unavailable
from cryptography import x509
from officefull import full_office
from officehelp import ADMIN, ADMIN_PASSPHRASE, DBNAME, Office

from workstation.errors import PermissionDenied
from workstation.office.cluster import Cluster, bindir
from workstation.office.profile import load
from workstation.office.unlock import open_office

PAT, PAT_PASSPHRASE = "pat", "pat's office passphrase"
ENROL_AGAIN = "ask the office administrator to enrol this desktop again (dws office enrol --desktop NAME)"


@pytest.fixture(scope="module")
def office() -> Iterator[Office]:
    started = full_office()
    started.enrol(PAT, "preparer", PAT_PASSPHRASE)
    yield started
    started.server.stop()


def admin(profile: Path, *args: str, user: str = ADMIN, passphrase: str = ADMIN_PASSPHRASE) -> Result:
    return run_dws(profile.parent / "unused", "--user", user, "office", *args, env={"DWS_PASSPHRASE": passphrase})


def enrol_desktop(profile: Path, name: str, out: Path) -> Path:
    done = admin(profile, "enrol", "--profile", str(profile), "--desktop", name, "-o", str(out))
    assert done.code == 0, done.err
    return out / "office.json"


def serial(profile: Path) -> str:
    return format(x509.load_pem_x509_certificate(load(profile).cert.read_bytes()).serial_number, "x")


def verify_as(profile: Path, user: str, passphrase: str) -> Result:
    return run_dws(profile, "verify", env={"DWS_USER": user, "DWS_PASSPHRASE": passphrase})


def test_a_revoked_desktop_is_refused_once_the_server_reads_the_list(office: Office, tmp_path: Path) -> None:
    mine = office.desktop(tmp_path / "admin-desk").path
    kept = enrol_desktop(mine, "front-desk", tmp_path / "front")
    lost = enrol_desktop(mine, "laptop-7", tmp_path / "laptop")
    assert verify_as(lost, PAT, PAT_PASSPHRASE).code == 0
    crl_file = tmp_path / "out" / "office.crl"
    crl_file.parent.mkdir()
    open_before = open_office(load(lost), PAT, PAT_PASSPHRASE)      # a session the revoked desktop has open
    other_open = open_office(load(kept), PAT, PAT_PASSPHRASE)

    done = admin(mine, "revoke", "--profile", str(mine), "--desktop", "laptop-7", "--crl-out", str(crl_file))
    assert done.code == 0, done.err
    assert done.out.splitlines() == [
        f"Revoked desktop 'laptop-7': certificate {serial(lost)} (logged in the office log).",
        f"The office CA's revocation list (1 certificate) is in {crl_file}.",
        "The server refuses the desktop once it reads the list: copy office.crl to the server's data directory as "
        "root.crl (postgresql.conf: ssl_crl_file = 'root.crl'), then, as the server's superuser, SELECT "
        "pg_reload_conf(); (or pg_ctl reload). Until then the desktop can connect again.",
        "Ended 1 open session of the desktop."]
    with pytest.raises(psycopg.OperationalError):                   # ended by the server
        open_before.conn.execute("SELECT 1")
    open_before.close()
    assert other_open.conn.execute("SELECT session_user").fetchone() == (PAT,)     # another desktop's goes on
    other_open.close()
    crl = x509.load_pem_x509_crl(crl_file.read_bytes())
    ca_cert = x509.load_der_x509_certificate(office.ca_cert)
    assert crl.is_signature_valid(ca_cert.public_key())         # type: ignore[arg-type]
    assert [format(r.serial_number, "x") for r in crl] == [serial(lost)]
    assert crl.next_update_utc is not None and crl.next_update_utc.year >= ca_cert.not_valid_after_utc.year - 1
    # not in force until the server reads it: the desktop still connects
    assert verify_as(lost, PAT, PAT_PASSPHRASE).code == 0

    office.server.revoke(crl_file.read_bytes())             # as the server's administrator: copy, reload
    refused = verify_as(lost, PAT, PAT_PASSPHRASE)
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == (f"dws: this desktop's certificate {tmp_path / 'laptop' / 'desktop.pem'} was revoked by the "
                           f"office (dws office revoke): the office server at 127.0.0.1:{office.server.port} refuses "
                           f"it; {ENROL_AGAIN}\n")
    assert verify_as(kept, PAT, PAT_PASSPHRASE).code == 0       # another desktop, the same user
    checked = verify_as(mine, ADMIN, ADMIN_PASSPHRASE)
    assert checked.code == 0, checked.err
    entries = office.server.psql("SELECT event || ' ' || object || ' ' || user_name FROM dws.office_log "
                                 "WHERE event LIKE 'office-desktop-%' ORDER BY seq", dbname=DBNAME).stdout.split("\n")
    assert entries[:3] == ["office-desktop-enrolled front-desk ada", "office-desktop-enrolled laptop-7 ada",
                           "office-desktop-revoked laptop-7 ada"]

    again = admin(mine, "revoke", "--profile", str(mine), "--desktop", "laptop-7", "--json")
    assert again.code == 0, again.err
    said = json.loads(again.out)
    assert (said["revoked"], said["revoked_before"], said["listed"], said["in_force"], said["sessions_ended"]) == (
        [], [serial(lost)], 1, False, 0)
    assert Path(said["crl_file"]) == mine.parent / "office-crl.pem"
    count = "SELECT count(*) FROM dws.office_log WHERE event = 'office-desktop-revoked'"
    assert office.server.psql(count, dbname=DBNAME).stdout.strip() == "1"      # nothing new logged


def test_revoke_is_an_admins_and_names_an_enrolled_desktop(office: Office, tmp_path: Path) -> None:
    mine = office.desktop(tmp_path / "desk").path
    before = office.server.psql("SELECT count(*) FROM dws.office_log", dbname=DBNAME).stdout
    by_preparer = admin(mine, "revoke", "--profile", str(mine), "--desktop", "desk-1", user=PAT,
                        passphrase=PAT_PASSPHRASE)
    assert (by_preparer.code, by_preparer.out, by_preparer.err) == (
        PermissionDenied.exit_code, "", "dws: only an office admin may revoke a desktop; nothing was changed\n")
    unknown = admin(mine, "revoke", "--profile", str(mine), "--desktop", "no-such-desk")
    assert (unknown.code, unknown.err) == (1, "dws: --desktop: the office log records no desktop named "
                                              "'no-such-desk' (a desktop is named at 'dws office enrol --desktop "
                                              "NAME'); nothing was changed\n")
    assert office.server.psql("SELECT count(*) FROM dws.office_log", dbname=DBNAME).stdout == before
    assert not (mine.parent / "office-crl.pem").exists()


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    if bindir() is None:
        pg_unavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    folder = tmp_path / "office"
    yield folder
    state = folder / "cluster.json"
    if state.is_file():
        root = Path(json.loads(state.read_text())["cluster"])
        Cluster.at(root).stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def test_on_the_demo_office_the_server_reads_the_list_at_once(demo_dir: Path, tmp_path: Path) -> None:
    made = run_dws(tmp_path / "unused", "office", "demo", str(demo_dir))
    assert made.code == 0, made.err
    profile = demo_dir / "office.json"
    root = Path(json.loads((demo_dir / "cluster.json").read_text())["cluster"])
    assert "ssl_crl_file = 'root.crl'" in (root / "data" / "postgresql.conf").read_text()     # from the start
    assert len(x509.load_pem_x509_crl((root / "data" / "root.crl").read_bytes())) == 0
    pw = "demo-admin-passphrase"
    done = run_dws(tmp_path / "unused", "--user", "admin", "office", "enrol", "--profile", str(profile), "--desktop",
                   "desk-2", "-o", str(tmp_path / "desk-2"), env={"DWS_PASSPHRASE": pw})
    assert done.code == 0, done.err
    other = tmp_path / "desk-2" / "office.json"
    assert verify_as(other, "rita", "demo-rita-passphrase").code == 0
    revoked = run_dws(tmp_path / "unused", "--user", "admin", "office", "revoke", "--profile", str(profile),
                      "--desktop", "demo-desktop", env={"DWS_PASSPHRASE": pw})
    assert revoked.code == 0, revoked.err
    assert revoked.out.splitlines()[-1] == ("The demo office server on this machine has read it: the desktop is "
                                            "refused from now on.")
    refused = verify_as(profile, "admin", pw)          # the demo's own desktop, revoked: no restart needed
    assert refused.code == 1 and "was revoked by the office" in refused.err, refused.err
    assert verify_as(other, "admin", pw).code == 0     # desk-2 still connects, as every user

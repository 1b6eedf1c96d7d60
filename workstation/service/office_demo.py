"""`dws office demo DIR` / `dws office stop DIR` (INTERCHANGE.md): an office on this machine for a new user.

`demo` makes a PostgreSQL cluster (initdb), an office TLS CA, the server's certificate (127.0.0.1) and the
`hostssl` rules `dws office init` prints (admitting only client certificates from that CA), starts the server
on a free local port, creates the office database and the office as `init` does (office_setup.furnish: the CA,
the recovery keyslot, the first admin), enrols the local demo's users with their office roles and published
passphrases, imports the local demo's taxpayer records (the same generator, seed and day) sealed through
office_records.import_records as the demo admin, and its request packages through office_requests.import_request
as its preparer (once: an office that has requests gets none), and writes into DIR this desktop's certificate and key,
`office.json`, a `dws.office/1` profile, and DEMO-PASSPHRASES.txt. Run on a DIR that has one, it starts that
cluster again (on its port when that is still free; the profile is rewritten when the port changes). `stop`
shuts it down.

DIR/cluster.json says where the cluster is: DIR/cluster, or, when this process is root and the `postgres`
system user cannot reach DIR (a folder in root's home), a new folder under the system's temporary folder.
The office CA's private key is kept in DIR (0600; it is also sealed in the office, for `dws office enrol`):
this is a demo office.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography import x509
from cryptography.x509.oid import NameOID

from .. import clock as clocks
from ..demo.generator import STORY_AGE
from ..demo.taxpayers import TaxpayerFactory, write_records
from ..demo_store import DEFAULT_SEED, DEFAULT_TAXPAYERS, DEMO_USERS, PASSPHRASE_FILE, demo_passphrase
from ..errors import InputError
from ..fsutil import atomic_write
from ..keys import ca
from ..office import enrol, revoke, tls
from ..office.cluster import Cluster, ClusterError
from ..office.profile import FORMAT, OfficeProfile, load
from ..office.unlock import open_office
from ..store.office import desktops, schema
from ..store.office.roles import OfficeRole, OfficeRoles
from . import office_records, office_requests, office_setup

PROFILE = "office.json"
STATE = "cluster.json"
OFFICE = "Demo Office"
DBNAME = "office"
ROLE_PREFIX = "office"
HOST = "127.0.0.1"
SETTINGS = {"shared_buffers": "'64MB'", "max_connections": "50", "log_min_messages": "warning"}
_FILES = {"ca": "office-ca.pem", "cert": "desktop.pem", "key": "desktop.key", "ca_key": "office-ca.key"}
ROLES = OfficeRoles(ROLE_PREFIX)
# The local demo's users (demo_store.DEMO_USERS) with their office roles: its reviewer prepares.
OFFICE_ROLE: dict[str, OfficeRole] = {"admin": "admin", "reviewer": "preparer", "approver": "approver",
                                      "counsel": "counsel", "auditor": "auditor"}
USERS: tuple[tuple[str, OfficeRole], ...] = tuple((name, OFFICE_ROLE[role]) for name, role in DEMO_USERS)
ADMIN = USERS[0][0]


@dataclass(frozen=True)
class DemoOffice:
    profile: Path
    port: int
    created: bool           # a new cluster was made (else an existing one was reused)
    started: bool           # the server was started (else it was running already)
    passphrase_file: Path   # the demo users' names, office roles and passphrases
    records: int | None     # taxpayer record rows imported now (None: the office had them already)
    recovery_code: str | None   # the office's, when it was made now
    requests: int | None = None     # demo requests imported now (None: the office had requests already)


def demo(folder: Path, desktop: str = "demo-desktop") -> DemoOffice:
    folder = folder.absolute()
    state = _state(folder)
    if state is not None:
        cluster = Cluster.at(Path(state["cluster"]))
        if cluster.exists():
            return _reuse(folder, cluster, int(state["port"]))
    if folder.exists() and any(p.name not in (STATE,) for p in folder.iterdir()):
        raise InputError("is not empty and holds no office demo: name a new or empty folder", source=str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    cluster = Cluster.at(_cluster_root(folder))
    cluster.init(secrets.token_urlsafe(24), SETTINGS)
    now = datetime.now(UTC)
    ca_key, ca_cert = tls.new_ca(OFFICE, now)          # the office's TLS CA, no letter-signing CA (tls.py)
    server_key, server_cert = tls.issue_server(ca_key, ca_cert, HOST, now)
    _conf, hba, ident = office_setup.settings(DBNAME, ROLES, f"{HOST}/32")
    cluster.use_tls(ca.pem(ca_cert), server_cert, server_key,
                    hba="local all all trust\n" + hba + "host all all all reject\n", ident=ident)
    cluster.install_crl(revoke.empty_list(ca_key, ca_cert, now))     # a revocation is then a reload
    desk_key, desk_cert = tls.issue_desktop(ca_key, ca_cert, desktop, now)
    _secret(folder / _FILES["ca_key"], tls.private_pem(ca_key))     # PEM: what `office init --ca-key` takes
    _secret(folder / _FILES["key"], desk_key)
    (folder / _FILES["cert"]).write_bytes(desk_cert)
    (folder / _FILES["ca"]).write_bytes(ca.pem(ca_cert))
    port = cluster.start()
    _write_state(folder, cluster, port)
    _write_profile(folder, port)
    code, records = _ensure_office(folder, cluster, port)
    requests = _ensure_requests(folder, cluster, port)
    return DemoOffice(folder / PROFILE, port, True, True, folder / PASSPHRASE_FILE, records, code, requests)


def stop(folder: Path) -> bool:
    """Shut down the demo's server; False when it was not running."""
    state = _state(folder.absolute())
    if state is None:
        raise InputError(f"holds no office demo (no {STATE}; 'dws office demo DIR' makes one)", source=str(folder))
    cluster = Cluster.at(Path(state["cluster"]))
    if not cluster.exists():
        raise InputError("its office cluster is gone (was the temporary folder cleared?); 'dws office demo' on a "
                         "new folder makes another", source=str(folder))
    return cluster.stop()


def install_crl(folder: Path, crl_pem: bytes) -> bool:
    """Put the office CA's revocation list `crl_pem` in force on the demo cluster whose office folder is `folder`
    (the server's ssl_crl_file, read again at once; this process owns the cluster or is root, as `demo` did);
    False when `folder` is no demo's (the server is elsewhere: its administrator installs the list)."""
    state = _state(folder.absolute())
    if state is None:
        return False
    cluster = Cluster.at(Path(state["cluster"]))
    if not cluster.exists():
        return False
    if not cluster.running():
        cluster.install_crl(crl_pem)        # read when the server starts
        return True
    conninfo = cluster.conninfo(int(state["port"]))
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            loaded = desktops.conf_load_time(conn)
            cluster.install_crl(crl_pem)
            for _ in range(200):            # the postmaster reads its files again soon after the signal
                if desktops.conf_load_time(conn) != loaded:
                    return True
                time.sleep(0.05)
    except psycopg.Error as exc:
        raise ClusterError(f"the demo server could not be asked to read the revocation list: {type(exc).__name__}") \
            from None
    raise ClusterError("the demo server did not read its configuration again within 10 seconds; run "
                       f"'pg_ctl -D {cluster.data} reload' as its system user")


def _common_name(path: Path) -> str:
    names = x509.load_pem_x509_certificate(path.read_bytes()).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else "demo-desktop"


def _reuse(folder: Path, cluster: Cluster, port: int) -> DemoOffice:
    started = not cluster.running()
    if started:
        port = cluster.start(port)
        _write_state(folder, cluster, port)
    _write_profile(folder, port)
    code, records = _ensure_office(folder, cluster, port)
    requests = _ensure_requests(folder, cluster, port)
    return DemoOffice(folder / PROFILE, port, False, started, folder / PASSPHRASE_FILE, records, code, requests)


def _ensure_office(folder: Path, cluster: Cluster, port: int) -> tuple[str | None, int | None]:
    """The office database, the office and its users (made once, in one transaction), and the demo's taxpayer
    records (imported when the office has none). (The recovery code when the office was made now, the rows
    imported now.)"""
    profile = load(folder / PROFILE)
    code = None
    try:
        with psycopg.connect(cluster.conninfo(port), autocommit=True, connect_timeout=10) as conn:
            if not schema.database_exists(conn, DBNAME):
                schema.create_database(conn, DBNAME)
        with psycopg.connect(cluster.conninfo(port, DBNAME), autocommit=True, connect_timeout=10) as conn:
            if not schema.has_office(conn):
                code = _make_office(conn, profile, folder)
            empty = schema.table_counts(conn)["taxpayer_records"] == 0
    except psycopg.Error as exc:
        raise ClusterError(f"the office database could not be set up: {type(exc).__name__}") from None
    _write_passphrases(folder)
    return code, _import_records(profile, folder) if empty else None


def _make_office(conn: psycopg.Connection[tuple[object, ...]], profile: OfficeProfile, folder: Path) -> str:
    ca_key, ca_cert = tls.load_ca(profile.ca.read_bytes(), (folder / _FILES["ca_key"]).read_bytes())
    with conn.transaction():
        schema.create_office(conn, ROLES)
        code, office_key = office_setup.furnish(conn, profile, ADMIN, demo_passphrase(ADMIN), ca_key, ca_cert)
        enrol.log_event(conn, ADMIN, "office-desktop-enrolled", _common_name(profile.cert),   # `office revoke`
                        enrol.certificate_detail(profile.cert))
        for name, role in USERS[1:]:
            enrol.enrol_user(conn, profile, office_key, name, role, demo_passphrase(name), by=ADMIN)
    return code


def _import_records(profile: OfficeProfile, folder: Path) -> int:
    """The local demo's taxpayer records (its generator, seed, size and day), sealed into the office by its
    admin; the generated file is removed at once."""
    with tempfile.TemporaryDirectory(prefix=".records-", dir=folder) as scratch:
        path = Path(scratch) / "demo-records.csv"
        write_records(path, TaxpayerFactory(DEFAULT_SEED, clocks.today() - STORY_AGE), DEFAULT_TAXPAYERS)
        with open_office(profile, ADMIN, demo_passphrase(ADMIN), roles=ROLES) as session:
            o = office_records.OfficeCtx(session.conn, session.keys, ADMIN)
            return office_records.import_records(o, path).rows


def _ensure_requests(folder: Path, cluster: Cluster, port: int) -> int | None:
    """The local demo's requests (its generator, seed, sizes and day: the same request packages `dws demo`
    imports), imported by its preparer into an office that has none, so the queue a new user opens is not
    empty; how many (None: the office had requests already)."""
    try:
        with psycopg.connect(cluster.conninfo(port, DBNAME), autocommit=True, connect_timeout=10) as conn:
            counts = schema.table_counts(conn)
            if counts.get("requests", 1):       # has some, or was made before offices held requests
                return None
    except psycopg.Error as exc:
        raise ClusterError(f"the office database could not be read: {type(exc).__name__}") from None
    from ..demo import generate

    preparer = next(name for name, role in USERS if role == "preparer")
    with tempfile.TemporaryDirectory(prefix=".requests-", dir=folder) as scratch:
        manifest = generate(Path(scratch), taxpayers=DEFAULT_TAXPAYERS, seed=DEFAULT_SEED, today=clocks.today())
        with open_office(load(folder / PROFILE), preparer, demo_passphrase(preparer), roles=ROLES) as session:
            o = office_records.OfficeCtx(session.conn, session.keys, preparer)
            for request in manifest.requests:
                office_requests.import_request(o, request.path)
    return len(manifest.requests)


def _write_passphrases(folder: Path) -> None:
    lines = ["# Demo office only: synthetic data, well-known passphrases. Never use for real taxpayer data."]
    lines += [f"{name}\t{role}\t{demo_passphrase(name)}" for name, role in USERS]
    atomic_write(folder / PASSPHRASE_FILE, ("\n".join(lines) + "\n").encode("utf-8"))


def _cluster_root(folder: Path) -> Path:
    inside = folder / "cluster"
    user = Cluster.at(inside).run_as
    if user is None or subprocess.run(["test", "-x", str(folder)], user=user, check=False).returncode == 0:
        return inside
    return Path(tempfile.mkdtemp(prefix="dws-office-"))


def _state(folder: Path) -> dict[str, str] | None:
    path = folder / STATE
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(f"{STATE} cannot be read; remove the folder and make a new demo", source=str(folder)) \
            from None
    if not isinstance(found, dict) or not {"cluster", "port"} <= set(found):
        raise InputError(f"{STATE} is not a demo's; remove the folder and make a new demo", source=str(folder))
    return found


def _write_state(folder: Path, cluster: Cluster, port: int) -> None:
    (folder / STATE).write_text(json.dumps({"cluster": str(cluster.root), "port": port}, indent=1) + "\n",
                                encoding="utf-8")


def _write_profile(folder: Path, port: int) -> None:
    profile = {"format": FORMAT, "office": OFFICE, "host": HOST, "port": port, "dbname": DBNAME,
               "ca": _FILES["ca"], "cert": _FILES["cert"], "key": _FILES["key"]}
    (folder / PROFILE).write_text(json.dumps(profile, indent=1) + "\n", encoding="utf-8")


def _secret(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)

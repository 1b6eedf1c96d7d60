"""`dws office demo DIR` / `dws office stop DIR` (INTERCHANGE.md): an office on this machine for a new user.

`demo` makes a PostgreSQL cluster (initdb), an office CA, the server's certificate (127.0.0.1) and `hostssl`
rules admitting only client certificates from that CA, starts the server on a free local port, creates the
office database and schema (roles, log, records), and writes into DIR this desktop's certificate and key and
`office.json`, a `dws.office/1` profile. Run on a DIR that has one, it starts that cluster again (on its
port when that is still free; the profile is rewritten when the port changes). `stop` shuts it down.

DIR/cluster.json says where the cluster is: DIR/cluster, or, when this process is root and the `postgres`
system user cannot reach DIR (a folder in root's home), a new folder under the system's temporary folder.
The office CA's private key is kept in DIR (0600) for enrolling more desktops: this is a demo office.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from ..errors import InputError
from ..keys import ca
from ..office import tls
from ..office.cluster import Cluster, ClusterError
from ..office.profile import FORMAT
from ..store.office import schema
from ..store.office.roles import OfficeRoles

PROFILE = "office.json"
STATE = "cluster.json"
OFFICE = "Demo Office"
DBNAME = "office"
ROLE_PREFIX = "office"
HOST = "127.0.0.1"
SETTINGS = {"shared_buffers": "'64MB'", "max_connections": "50", "log_min_messages": "warning"}
_FILES = {"ca": "office-ca.pem", "cert": "desktop.pem", "key": "desktop.key", "ca_key": "office-ca.key"}


@dataclass(frozen=True)
class DemoOffice:
    profile: Path
    port: int
    created: bool           # a new cluster was made (else an existing one was reused)
    started: bool           # the server was started (else it was running already)


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
    ca_key, issued = ca.new_ca(OFFICE, "office-demo", now)
    server_key, server_cert = tls.issue_server(ca_key, issued.certificate, HOST, now)
    cluster.use_tls(ca.pem(issued.certificate), server_cert, server_key)
    desk_key, desk_cert = tls.issue_desktop(ca_key, issued.certificate, desktop, now)
    _secret(folder / _FILES["ca_key"], ca_key)
    _secret(folder / _FILES["key"], desk_key)
    (folder / _FILES["cert"]).write_bytes(desk_cert)
    (folder / _FILES["ca"]).write_bytes(ca.pem(issued.certificate))
    port = cluster.start()
    _write_state(folder, cluster, port)
    _ensure_office(cluster, port)
    _write_profile(folder, port)
    return DemoOffice(folder / PROFILE, port, created=True, started=True)


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


def _reuse(folder: Path, cluster: Cluster, port: int) -> DemoOffice:
    started = not cluster.running()
    if started:
        port = cluster.start(port)
        _write_state(folder, cluster, port)
    _ensure_office(cluster, port)
    _write_profile(folder, port)
    return DemoOffice(folder / PROFILE, port, created=False, started=started)


def _ensure_office(cluster: Cluster, port: int) -> None:
    """The office database and its schema (each made once)."""
    try:
        with psycopg.connect(cluster.conninfo(port), autocommit=True, connect_timeout=10) as conn:
            if not schema.database_exists(conn, DBNAME):
                schema.create_database(conn, DBNAME)
        with psycopg.connect(cluster.conninfo(port, DBNAME), autocommit=True, connect_timeout=10) as conn:
            if not schema.has_office(conn):
                schema.create_office(conn, OfficeRoles(ROLE_PREFIX))
    except psycopg.Error as exc:
        raise ClusterError(f"the office database could not be set up: {type(exc).__name__}") from None


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

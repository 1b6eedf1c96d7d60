"""An office on a real TLS PostgreSQL server for the tests (tests/pgserver.py): the office CA, the server's
certificate, the rules `office.unlock.server_rules` gives, the office's roles, log and keyslots, its CA, and a
first admin enrolled with a passphrase.

    office = Office.start()         # pytest.fail / skip as tests/conftest.py's pg_unavailable says
    profile = office.desktop(tmp_path / "desk")     # an enrolled desktop's folder, its profile loaded
    office.enrol("pat", "preparer", "pat passphrase")
    office.create(records, requests)                # store/office modules: what office init makes beside the log

The server's start with the office's rules, and a user's and a desktop's enrolment, are also tests/engines.py's
(`start_server`, `enrol_user`, `write_desktop` here).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import psycopg
from conftest import pg_unavailable
from pgserver import PgServer, PgUnavailable, Tls, start

from workstation.keys import ca
from workstation.office import enrol, tls
from workstation.office.profile import OfficeProfile, load
from workstation.office.sealing import OfficeKeys
from workstation.office.unlock import server_rules
from workstation.store.office import keyslots, log
from workstation.store.office.roles import OfficeRoles, create_roles, roles_for

NOW = datetime.now(UTC)
DBNAME = "dws"                  # its roles are dws_* (store/office/roles.roles_for)
OFFICE = "Test Office"
ADMIN, ADMIN_PASSPHRASE = "ada", "ada's office passphrase"


def new_ca(office: str) -> tuple[bytes, bytes]:
    return tls.new_ca(office, NOW)         # an office TLS CA, as office init and demo use


def reload(server: PgServer) -> None:
    """pg_reload_conf(), and wait until the server has read its files again."""
    loaded = server.psql("SELECT pg_conf_load_time()", check=True).stdout
    server.psql("SELECT pg_reload_conf()", check=True)
    for _ in range(200):
        if server.psql("SELECT pg_conf_load_time()", check=True).stdout != loaded:
            return
        time.sleep(0.05)
    raise AssertionError("the server did not reload its configuration")


def start_server(office: str, dbname: str, *, log_connections: bool = False) -> tuple[PgServer, bytes, bytes]:
    """A TLS server (tests/pgserver.py) with the rules `office.unlock.server_rules` gives for `dbname`'s office
    roles (its local socket trusted, for the tests' superuser), and its office CA's key and certificate;
    pytest.fail / skip as tests/conftest.py's pg_unavailable says."""
    ca_key, ca_cert = new_ca(office)
    key, cert = tls.issue_server(ca_key, ca_cert, "127.0.0.1", NOW)
    try:
        server = start(Tls(ca.pem(ca_cert), cert, key))
    except PgUnavailable as exc:
        pg_unavailable(str(exc))
        raise
    try:
        hba, ident = server_rules(dbname, roles_for(dbname), "127.0.0.1/32")
        (server.data / "pg_hba.conf").write_text(
            "local all all trust\n" + hba + "host all all all reject\n", encoding="utf-8")
        (server.data / "pg_ident.conf").write_text(ident, encoding="utf-8")
        if log_connections:
            with (server.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
                conf.write("log_connections = on\n")
        for name in ("pg_hba.conf", "pg_ident.conf"):
            if server.run_as is not None:
                shutil.chown(server.data / name, server.run_as, server.run_as)
        reload(server)
    except BaseException:
        server.stop()
        raise
    return server, ca_key, ca_cert


def template(folder: Path, office: str, port: int, dbname: str) -> OfficeProfile:
    """A profile naming the office's server on this machine (for write_desktop; its files are not read)."""
    return OfficeProfile(folder / "office.json", office, "127.0.0.1", port, dbname, folder / "office-ca.pem",
                         folder / "desktop.pem", folder / "desktop.key", None)


def enrol_user(conn: psycopg.Connection[tuple[object, ...]], office_key: bytes, login: str, role: str,
               passphrase: str) -> None:
    """Enrol a user as the superuser does at init, on `conn` (the office's database; the profile the product names
    in a message is this server's)."""
    named = template(Path("/nonexistent"), "office", conn.info.port, conn.info.dbname)
    enrol.enrol_user(conn, named, office_key, login, role, passphrase)


def write_desktop(folder: Path, office: str, server: PgServer, dbname: str, authority: tuple[bytes, bytes],
                  name: str = "desk-1", at: datetime = NOW) -> Path:
    """An enrolled desktop's folder (its certificate from `authority`: a CA's key and certificate); its profile."""
    key, cert = authority
    return enrol.write_desktop(folder, template(folder, office, server.port, dbname), key, cert, name, at)


@dataclass
class Office:
    server: PgServer
    ca_key: bytes
    ca_cert: bytes
    roles: OfficeRoles
    office_key: bytes

    @classmethod
    def start(cls) -> Office:
        server, ca_key, ca_cert = start_server(OFFICE, DBNAME, log_connections=True)
        server.create_database(DBNAME)
        office = cls(server, ca_key, ca_cert, roles_for(DBNAME), bytes(range(32)))
        with office.superuser() as conn, conn.transaction():
            create_roles(conn, office.roles)
            log.create(conn, office.roles)
            keyslots.create(conn, office.roles)
            enrol.store_ca(conn, OfficeKeys.derive(office.office_key), ca_key, ca_cert)
        office.enrol(ADMIN, "admin", ADMIN_PASSPHRASE)
        return office

    def superuser(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.server.conninfo(DBNAME))

    def create(self, *pieces: ModuleType) -> None:
        """Make these pieces of an office (store/office modules, each with `create(conn, roles)`: records,
        requests, queue_notify...) in one transaction, as the superuser."""
        with self.superuser() as conn, conn.transaction():
            for piece in pieces:
                piece.create(conn, self.roles)

    def template(self, folder: Path) -> OfficeProfile:
        """A profile naming this server (for write_desktop; its files are not read)."""
        return template(folder, OFFICE, self.server.port, DBNAME)

    def desktop(self, folder: Path, name: str = "desk-1", authority: tuple[bytes, bytes] | None = None,
                at: datetime = NOW) -> OfficeProfile:
        """An enrolled desktop's folder (by `authority`'s CA, the office's by default), its profile loaded."""
        return load(write_desktop(folder, OFFICE, self.server, DBNAME, authority or (self.ca_key, self.ca_cert), name,
                                  at))

    def enrol(self, login: str, role: str, passphrase: str) -> None:
        """Enrol a user as the superuser does at init (an admin's enrolment is tested through the service)."""
        with self.superuser() as conn:
            enrol_user(conn, self.office_key, login, role, passphrase)

    def log_text(self) -> str:
        return self.server.log.read_text(errors="replace")

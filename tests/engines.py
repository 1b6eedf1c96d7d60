"""One store interface, two engines (issue 19 item 1): the `engine` fixture runs a test on a local SQLCipher store
and on an office on a real TLS PostgreSQL server, through the product's own interface,
`workstation.service.engine.StoreEngine` (Session, and OfficeSession as `dws gui --store PROFILE` opens it).

    def test_x(engine: Engine, tmp_path: Path) -> None:
        with engine.open("rita") as s:              # a StoreEngine, unlocked as rita (the preparer)
            s.import_records(path)

Both engines have the same users, each with the same passphrase (`passphrase(user)`): ada (admin), rita (the
preparer: `reviewer` in a local store), alex (approver), cora (counsel), otto (auditor), pia (a second
preparer). `engine.role(user)` is the role each engine gives. A local store is made in the test's folder; an
office is a fresh copy (CREATE DATABASE ... TEMPLATE) of an office made once on the one TLS server of this test
process (pytest-xdist: one per worker), with its roles, rules, CA and users; one desktop's profile serves every
test. Registered by tests/conftest.py (pytest_plugins).

What only the local engine has is LOCAL_ONLY below, each with its reason: the gap in one place. A store built once
for a module's tests, on each engine: tests/enginebuilt.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psycopg
import pytest
from clihelp import Cli, Result
from pgserver import PgServer

from workstation.service.engine import StoreEngine

Kind = Literal["local", "office"]
ENGINES: tuple[Kind, ...] = ("local", "office")

# login -> (local role, office role)
USERS: dict[str, tuple[str, str]] = {"ada": ("admin", "admin"), "rita": ("reviewer", "preparer"),
                                     "alex": ("approver", "approver"), "cora": ("counsel", "counsel"),
                                     "otto": ("auditor", "auditor"),
                                     "pia": ("reviewer", "preparer")}      # a second preparer (an office's claims)

# What a local store does that an office does not yet (Session's public methods beyond StoreEngine), each group
# with its reason: tests of these stay on the local engine. tests/test_engine_interface.py checks that every
# Session method is in StoreEngine, here, or in PLUMBING. Keep it in step with office_session.OFFICE_COMMANDS and
# README.md ("An office on one server").
LOCAL_ONLY: dict[str, tuple[tuple[str, ...], str]] = {
    "users": (("add_user", "add_token_user", "reset_user", "rebind", "token_of"),
              "an office enrols users and desktops with 'dws office enrol' (keyslots and database logins on the "
              "server: tests/test_office_enrol.py, test_office_init_pg.py) and gives a user a new passphrase with "
              "'dws office recover' (the recovery code); an admin's reset (a new signing key) has no office "
              "equivalent: the server keeps each registered signing key as stored; a user whose key is on a "
              "card is enrolled with 'dws office enrol --user NAME --pkcs11-module ...' (the token options of "
              "add_token_user; token_of: an office's users list names the token); no re-binding"),
    "smart cards": (("signer",),
                    "`signer` hands out the local user's card signer itself, kept open for the session; an office "
                    "opens the user's key inside each signing call (decide, approve, letter: its PIN given there), "
                    "and checkpoint_on_card, open_card, close_card and key_on_card are on both "
                    "(tests/test_engine_cards.py: an office user's checkpoint key on their card, schema step 10)"),
    "backup and CA": (("backup", "export_ca"),
                      "an office is backed up with pg_dump (tests/test_office_backup_pg.py); its CA is the "
                      "office's TLS CA, exported by 'dws office enrol'"),
}
# Session's plumbing, not a store behaviour: the local connection, transaction helpers, the move into an office.
PLUMBING = ("conn", "log", "require", "path", "database_file", "data_key_for_workers", "before_close",
            "migrate_to_office", "migrate_orders_to_office", "migrate_overrides_to_office")


def passphrase(user: str) -> str:
    return f"{user}-engine-passphrase"


_secret = passphrase


class Engine:
    """One engine's store for one test: open it as any of USERS."""

    kind: Kind

    def open(self, user: str) -> StoreEngine:
        raise NotImplementedError

    @property
    def store(self) -> Path:
        """What `dws --store` names: the store folder, or the office profile."""
        raise NotImplementedError

    def role(self, user: str) -> str:
        return USERS[user][0 if self.kind == "local" else 1]

    def cli(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> EngineCli:
        """`dws --store STORE` in this process, as any of USERS (`cli("list", user="rita")`)."""
        self.made()
        return EngineCli(self.store, capsys, monkeypatch)

    def made(self) -> None:
        """The store exists (a local one is made at its first use)."""

    def events(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        """(event, object, detail) of every log entry, oldest first: the local audit log or the office log (the
        local store's "unlock" entries left out: an office logs no unlock, and `events` unlocks the store)."""
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        """How many requests, subjects, taxpayer record rows, court orders and agency entries the store holds."""
        raise NotImplementedError

    def close(self) -> None:
        """Close every session the test left open."""


class EngineCli(Cli):
    def __call__(self, *args: str, user: str | None = None, passphrase: str | None = None,
                 env: dict[str, str] | None = None) -> Result:
        """As `user` with their passphrase (passphrase() unless given)."""
        given = passphrase or (_secret(user) if user else None)
        return super().__call__(*args, user=user, passphrase=given, env=env)


LOCAL_TABLES = {"requests": "requests", "subjects": "subjects", "records": "taxpayer_records",
                "orders": "court_orders", "agencies": "agencies"}
OFFICE_TABLES = {"requests": "dws.requests", "subjects": "dws.request_subjects", "records": "dws.taxpayer_records",
                 "orders": "dws.court_orders", "agencies": "dws.agencies"}


@dataclass
class LocalEngine(Engine):
    folder: Path
    kind: Kind = "local"
    _made: bool = False
    _open: list[StoreEngine] = field(default_factory=list)

    @property
    def store(self) -> Path:
        return self.folder

    def made(self) -> None:
        from workstation.service import Workstation

        if not self._made:
            admin, _code, _notice = Workstation(self.folder).init("ada", passphrase("ada"))
            with admin:
                for name, (role, _office) in USERS.items():
                    if name != "ada":
                        admin.add_user(name, role, passphrase(name))
            self._made = True

    def open(self, user: str) -> StoreEngine:
        from workstation.service import Workstation

        self.made()
        session = Workstation(self.folder).unlock(user, passphrase(user))
        self._open.append(session)
        return session

    def events(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        from workstation.service import Workstation
        from workstation.store import auditlog

        with Workstation(self.folder).unlock("ada", passphrase("ada")) as s:
            return [(e.event, e.object, e.detail) for e in auditlog.entries(s.conn) if e.event != "unlock"]

    def counts(self) -> dict[str, int]:
        from workstation.service import Workstation

        with Workstation(self.folder).unlock("ada", passphrase("ada")) as s:
            return {k: s.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for k, t in LOCAL_TABLES.items()}

    def close(self) -> None:
        for s in self._open:
            s.close()


DBNAME = "engine"                   # every test's office database (its roles: engine_*)
TEMPLATE = "engine_template"        # the office made once, copied for each test
OFFICE = "Engine Test Office"


@dataclass
class OfficeServer:
    """The TLS server of this test process, its office CA, and an office made once in TEMPLATE (schema, roles,
    rules, CA, USERS enrolled); `fresh_office` copies it into DBNAME for each test (CREATE DATABASE ... TEMPLATE:
    the roles and logins are the server's, shared by every copy)."""

    server: PgServer
    ca_key: bytes
    ca_cert: bytes
    profile: Path                   # a desktop enrolled once (its folder kept for the session)

    @classmethod
    def start(cls, folder: Path) -> OfficeServer:
        from officehelp import enrol_user, start_server, write_desktop

        from workstation.office import enrol
        from workstation.office.sealing import OfficeKeys
        from workstation.store.office.roles import roles_for
        from workstation.store.office.schema import create_office

        server, ca_key, ca_cert = start_server(OFFICE, DBNAME)
        try:
            server.create_database(TEMPLATE)
            office_key = os.urandom(32)
            with psycopg.connect(server.conninfo(TEMPLATE)) as conn:
                create_office(conn, roles_for(DBNAME))
                with conn.transaction():
                    enrol.store_ca(conn, OfficeKeys.derive(office_key), ca_key, ca_cert)
                for login, (_local, role) in USERS.items():
                    enrol_user(conn, office_key, login, role, passphrase(login))
            profile = write_desktop(folder, OFFICE, server, DBNAME, (ca_key, ca_cert))
        except BaseException:
            server.stop()
            raise
        return cls(server, ca_key, ca_cert, profile)

    def fresh_office(self, template: str = TEMPLATE) -> OfficeEngine:
        """DBNAME as `template` is (TEMPLATE: a new office; or one an EngineTemplate kept), the last test's
        dropped."""
        self.server.drop_database(DBNAME)
        self.server.psql(f'CREATE DATABASE "{DBNAME}" TEMPLATE "{template}"', check=True)
        return OfficeEngine(self, DBNAME, self.profile)

    def keep(self, name: str) -> None:
        """DBNAME as it is now, kept as database `name` for fresh_office(name) (DBNAME's sessions closed)."""
        self.server.drop_database(name)
        self.server.psql(f'CREATE DATABASE "{name}" TEMPLATE "{DBNAME}"', check=True)

    def stop(self) -> None:
        self.server.stop()


@dataclass
class OfficeEngine(Engine):
    host: OfficeServer
    dbname: str
    profile: Path
    kind: Kind = "office"
    _open: list[StoreEngine] = field(default_factory=list)

    def open(self, user: str) -> StoreEngine:
        from workstation.service.office_desktop import OfficeWorkstation

        session = OfficeWorkstation(self.profile).unlock(user, passphrase(user))
        self._open.append(session)
        return session

    def close(self) -> None:
        for s in self._open:
            s.close()

    @property
    def store(self) -> Path:
        return self.profile

    def events(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        with self.superuser() as conn:
            rows = conn.execute("SELECT event, object, detail FROM dws.office_log ORDER BY seq").fetchall()
        return [(str(e), None if o is None else str(o), json.loads(str(d))) for e, o, d in rows]

    def counts(self) -> dict[str, int]:
        with self.superuser() as conn:
            return {k: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                    for k, t in OFFICE_TABLES.items()}

    def superuser(self) -> psycopg.Connection[tuple[object, ...]]:
        """The server's superuser on this office's database (what the server holds)."""
        return psycopg.connect(self.host.server.conninfo(self.dbname))


@pytest.fixture(scope="session")
def engine_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficeServer]:
    """The TLS server of this test process for the office engine (started at its first use)."""
    server = OfficeServer.start(tmp_path_factory.mktemp("engine-desk"))
    yield server
    server.stop()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A new store on each engine: a local store, or an office on this process's TLS server (its evaluations'
    working copies in the test's folder)."""
    from workstation.service.office_evaluation import SCRATCH_ENV

    monkeypatch.setenv(SCRATCH_ENV, str(tmp_path / "cache"))
    made = new_engine(request.param, request, tmp_path)
    try:
        yield made
    finally:
        made.close()


def new_engine(kind: Kind, request: pytest.FixtureRequest, folder: Path) -> Engine:
    """A new store on one engine: a local store in folder/store, or a new office on this process's TLS server."""
    if kind == "local":
        return LocalEngine(folder / "store")
    host: OfficeServer = request.getfixturevalue("engine_server")
    return host.fresh_office()


@pytest.fixture
def both_engines(engine_server: OfficeServer, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalEngine, OfficeEngine]]:
    """A new local store and a new office in one test (i19o): the same steps on each, the results compared."""
    from workstation.service.office_evaluation import SCRATCH_ENV

    monkeypatch.setenv(SCRATCH_ENV, str(tmp_path / "cache"))
    local, office = LocalEngine(tmp_path / "store"), engine_server.fresh_office()
    try:
        yield local, office
    finally:
        local.close()
        office.close()

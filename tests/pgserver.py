"""A real PostgreSQL server for the tests (issue 19): Debian's `postgresql` package, one cluster in a new
temporary folder, started with initdb and pg_ctl from /usr/lib/postgresql/*/bin: a workstation/office/cluster.py
Cluster, as `dws office demo`'s (initdb, settings, TLS, the revocation list, start and stop), with what only the
tests need (a superuser's TCP password, psql, halt and resume on the same port, a watchdog).

    server = start()            # PgUnavailable(reason) when it cannot: no package, initdb or start failed
    server.psql("SELECT 1", user="postgres")
    server.stop()               # shut down (fast), folder removed

The cluster listens on a free port of 127.0.0.1 (password login, SCRAM; the superuser's password is
`server.password`) and on a unix socket in its own folder (trust: only whoever can enter the folder reaches it,
its owner and root). Run as root, every server program runs as the `postgres` system user (initdb refuses
root) and the folder is that user's. Durability is off (fsync, full-page writes): a test cluster is thrown
away, never recovered.

The pytest fixtures (`pg_server`, `pg_database`) are in tests/conftest.py: one server per test process, so
one per pytest-xdist worker, started by the first test that asks for it and stopped when the session ends.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Run as a script (the watchdog below) or imported with only tests/ on the path: this checkout's workstation.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workstation.office.cluster import Cluster, ClusterError, bindir, tail
from workstation.office.cluster import free_port as free_port  # (the tests take it from here)

SUPERUSER = "postgres"
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",                 # a test cluster is never recovered after a crash
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "shared_buffers": "'32MB'",     # two workers, each with its own server, on a 2-core machine
    "max_connections": "50",
    "log_min_messages": "warning",
}


@dataclass(frozen=True)
class Tls:
    """A TLS server (`start(tls=...)`): its certificate and key, and the CA whose client certificates it admits.
    TCP connections are then `hostssl` only: SCRAM password and a client certificate that CA issued
    (clientcert=verify-ca); no plain TCP. The socket stays trust."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes


class PgUnavailable(RuntimeError):
    """No server could be started here; the message says why, in one line."""


@dataclass
class PgServer:
    """A throw-away server: a workstation.office.cluster.Cluster (its folders, programs, TLS and revocation list
    as `dws office demo` has them) on a port, with the superuser's TCP password and a watchdog."""

    cluster: Cluster
    port: int
    password: str                   # the superuser's, for TCP logins
    _stopped: bool = field(default=False, repr=False)
    _watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _lifeline: int | None = field(default=None, repr=False)

    @property
    def bin(self) -> Path:
        return self.cluster.bin

    @property
    def root(self) -> Path:
        """The temporary folder: data/, socket/, server.log."""
        return self.cluster.root

    @property
    def run_as(self) -> str | None:
        """The system user the server programs run as (None: this process's user)."""
        return self.cluster.run_as

    @property
    def data(self) -> Path:
        return self.cluster.data

    @property
    def socket_dir(self) -> Path:
        return self.cluster.socket_dir

    @property
    def log(self) -> Path:
        return self.cluster.log

    def conninfo(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        """A libpq connection string over the unix socket (trust)."""
        return self.cluster.conninfo(self.port, dbname, user)

    def psql(self, sql: str, *, user: str = SUPERUSER, dbname: str = "postgres",
             check: bool = False) -> subprocess.CompletedProcess[str]:
        """`psql -c SQL` as `user` (unix socket), stopping at the first error; output unaligned, tuples only."""
        args = [str(self.bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
                "-p", str(self.port), "-U", user, "-d", dbname, "-c", sql]
        return subprocess.run(args, capture_output=True, text=True, check=check, timeout=60,
                              env={**os.environ, "PGCONNECT_TIMEOUT": "10"})

    def create_database(self, name: str) -> None:
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'', check=True)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', check=True)

    def revoke(self, crl_pem: bytes) -> None:
        """Load a certificate revocation list (a TLS server's: ssl_crl_file), and wait until it is in force."""
        loaded = self.psql("SELECT pg_conf_load_time()", check=True).stdout
        try:
            self.cluster.install_crl(crl_pem)        # as `dws office revoke` on the demo cluster: a reload
        except ClusterError as exc:
            raise PgUnavailable(str(exc)) from None
        for _ in range(200):            # the postmaster reads its files again on SIGHUP, soon after
            if self.psql("SELECT pg_conf_load_time()", check=True).stdout != loaded:
                return
            time.sleep(0.05)
        raise PgUnavailable("the server did not take its new revocation list")

    def halt(self, mode: str = "fast") -> None:
        """Stop the server and keep its folder (fast: open sessions are ended, their transactions rolled back;
        immediate: no shutdown checkpoint, recovery at the next start), for `resume`."""
        try:
            if not self.cluster.stop(mode):
                raise PgUnavailable("the server was not running")
        except ClusterError as exc:
            raise PgUnavailable(str(exc)) from None

    def resume(self) -> None:
        """Start the server `halt` stopped, on the same port (the desktops' profiles name it)."""
        done = _run(self, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                           "-o", f"-p {self.port}", "start"])
        if done.returncode != 0:
            raise PgUnavailable(f"pg_ctl start failed: {tail(self.log.read_text(errors='replace'))}")

    def stop(self) -> None:
        """Shut the server down (fast: open sessions are ended) and remove its folder. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(OSError, subprocess.SubprocessError, ClusterError):
            self.cluster.stop("fast")
        shutil.rmtree(self.root, ignore_errors=True)
        if self._lifeline is not None:
            os.close(self._lifeline)
            self._lifeline = None
        if self._watchdog is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(30)

    def watch(self) -> None:
        """A watchdog process that stops the server and removes its folder when this process ends, however
        it ends (killed by a timeout, by xdist): it waits for the end of a pipe only this process holds."""
        read, self._lifeline = os.pipe()        # not inherited by other children (PEP 446)
        try:
            self._watchdog = subprocess.Popen(
                [sys.executable, __file__, str(self.bin), str(self.root), self.run_as or ""], stdin=read,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        finally:
            os.close(read)


def _run(server: PgServer, args: list[str]) -> subprocess.CompletedProcess[str]:
    """A server program (its path first in `args`) run as the cluster's system user (tests restart a halted
    server with it, to time the restart themselves)."""
    return server.cluster.run(*args)           # (an absolute program path stays as it is)


def start(tls: Tls | None = None) -> PgServer:
    """Make a cluster in a new temporary folder and start it (as the `postgres` system user when this process is
    root); PgUnavailable (one line, why) when it cannot."""
    if bindir() is None:
        raise PgUnavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                            "apt-get install postgresql (.ci/run installs it)")
    server = PgServer(Cluster.at(Path(tempfile.mkdtemp(prefix="dws-pg-"))), 0, secrets.token_urlsafe(24))
    try:
        server.cluster.init(server.password, _SETTINGS)     # initdb and the settings, as `dws office demo` does
        if tls is not None:         # hostssl only: a password and a client certificate of the CA
            server.cluster.use_tls(tls.ca_pem, tls.cert_pem, tls.key_pem)
        server.port = server.cluster.start()
        server.watch()
        atexit.register(server.stop)
        return server
    except ClusterError as exc:
        server.stop()
        raise PgUnavailable(str(exc)) from None
    except BaseException:
        server.stop()
        raise


def _watchdog(bindir_: str, root: str, run_as: str) -> None:
    """`python pgserver.py BIN ROOT RUN_AS`, stdin the test process's lifeline: when it closes, stop the
    server (immediate: the tests are over or gone) and remove its folder."""
    sys.stdin.buffer.read()
    cluster = Cluster(Path(bindir_), Path(root), run_as or None)
    if (cluster.data / "postmaster.pid").exists():
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            cluster.run("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    _watchdog(*sys.argv[1:4])

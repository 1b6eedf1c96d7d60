"""A real PostgreSQL server for the tests (issue 19): Debian's `postgresql` package, one cluster in a new
temporary folder, started with initdb and pg_ctl from /usr/lib/postgresql/*/bin, made (initdb, settings, TLS) by
the same code as `dws office demo`'s cluster (workstation/office/cluster.py).

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
from workstation.office.cluster import CONF_MARK, Cluster, ClusterError, bindir, free_port

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
    bin: Path
    root: Path                      # the temporary folder: data/, socket/, server.log
    port: int
    password: str                   # the superuser's, for TCP logins
    run_as: str | None              # the system user the server programs run as (None: this process's user)
    _stopped: bool = field(default=False, repr=False)
    _watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _lifeline: int | None = field(default=None, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def conninfo(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        """A libpq connection string over the unix socket (trust)."""
        return f"host={self.socket_dir} port={self.port} dbname={dbname} user={user}"

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
        path = self.data / "root.crl"
        path.write_bytes(crl_pem)
        if self.run_as is not None:
            shutil.chown(path, self.run_as, self.run_as)
        conf = self.data / "postgresql.conf"
        if "ssl_crl_file" not in conf.read_text(encoding="utf-8").split(CONF_MARK)[-1]:
            with conf.open("a", encoding="utf-8") as f:
                f.write("ssl_crl_file = 'root.crl'\n")
        loaded = self.psql("SELECT pg_conf_load_time()", check=True).stdout
        _run(self, [str(self.bin / "pg_ctl"), "-D", str(self.data), "reload"]).check_returncode()
        for _ in range(200):            # the postmaster reads its files again on SIGHUP, soon after
            if self.psql("SELECT pg_conf_load_time()", check=True).stdout != loaded:
                return
            time.sleep(0.05)
        raise PgUnavailable("the server did not take its new revocation list")

    def halt(self, mode: str = "fast") -> None:
        """Stop the server and keep its folder (fast: open sessions are ended, their transactions rolled back;
        immediate: no shutdown checkpoint, recovery at the next start), for `resume`."""
        _run(self, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                    "stop"]).check_returncode()

    def resume(self) -> None:
        """Start the server `halt` stopped, on the same port (the desktops' profiles name it)."""
        done = _run(self, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                           "-o", f"-p {self.port}", "start"])
        if done.returncode != 0:
            raise PgUnavailable(f"pg_ctl start failed: {_tail(self.log.read_text(errors='replace'))}")

    def stop(self) -> None:
        """Shut the server down (fast: open sessions are ended) and remove its folder. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            _run(self, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop"])
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
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=server.root,
                          user=server.run_as, group=server.run_as, env={**os.environ, "LC_ALL": "C"})


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "no output"


def start(tls: Tls | None = None) -> PgServer:
    """Make a cluster in a new temporary folder and start it; PgUnavailable (one line, why) when it cannot."""
    found = bindir()
    if found is None:
        raise PgUnavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                            "apt-get install postgresql (.ci/run installs it)")
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="dws-pg-"))
    server = PgServer(found, root, 0, secrets.token_urlsafe(24), run_as)
    try:
        _init(server)
        if tls is not None:
            _tls(server, tls)
        for _attempt in range(3):       # another process may take the free port before the server binds it
            server.port = free_port()
            done = _run(server, [str(found / "pg_ctl"), "-D", str(server.data), "-l", str(server.log), "-w",
                                 "-t", "60", "-o", f"-p {server.port}", "start"])
            if done.returncode == 0:
                server.watch()
                atexit.register(server.stop)
                return server
            log = server.log.read_text(errors="replace") if server.log.exists() else done.stderr
            if "already in use" not in log:
                raise PgUnavailable(f"pg_ctl start failed: {_tail(log)}")
        raise PgUnavailable("pg_ctl start failed: no free port after 3 tries")
    except BaseException:
        server.stop()
        raise


def _cluster(server: PgServer) -> Cluster:
    return Cluster(server.bin, server.root, server.run_as)


def _init(server: PgServer) -> None:
    """initdb and the settings, as `dws office demo` makes its cluster (workstation/office/cluster.py)."""
    try:
        _cluster(server).init(server.password, _SETTINGS)
    except ClusterError as exc:
        raise PgUnavailable(str(exc)) from None


def _tls(server: PgServer, tls: Tls) -> None:
    """TLS as `dws office demo` sets it up: hostssl only, a password and a client certificate of the CA."""
    _cluster(server).use_tls(tls.ca_pem, tls.cert_pem, tls.key_pem)


def _watchdog(bindir_: str, root: str, run_as: str) -> None:
    """`python pgserver.py BIN ROOT RUN_AS`, stdin the test process's lifeline: when it closes, stop the
    server (immediate: the tests are over or gone) and remove its folder."""
    sys.stdin.buffer.read()
    data = Path(root) / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run([str(Path(bindir_) / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"],
                       capture_output=True, timeout=60, cwd=root, user=run_as or None, group=run_as or None)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    _watchdog(*sys.argv[1:4])

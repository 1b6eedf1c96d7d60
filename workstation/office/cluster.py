"""A PostgreSQL cluster on this machine, from the distribution's `postgresql` package (Debian's layout:
/usr/lib/postgresql/N/bin): what `dws office demo DIR` runs an office on, what the office benchmark measures
against, and what tests/pgserver.py builds its throw-away servers from.

Run as root, every server program runs as the `postgres` system user (initdb refuses root) and the cluster's
folders are that user's. A cluster here listens on 127.0.0.1 and on a unix socket in its own folder (0700: only
its owner and root reach it, so the socket admits them without a password, `local ... trust`); TCP is `hostssl`
only, with a client certificate the office CA issued. No SQL here (workstation/store/office/ holds it).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import DwsError

SUPERUSER = "postgres"
CONF_MARK = "# dws office cluster"
HBA_TLS = ("# dws: the socket for the cluster's owner; TCP only with TLS, a client certificate from the office CA\n"
           "# and the user's password; nothing in plain text\n"
           "local     all all                 trust\n"
           "hostssl   all all 127.0.0.1/32    scram-sha-256 clientcert=verify-ca\n"
           "host      all all all             reject\n")


class ClusterError(DwsError):
    """A cluster that cannot be made, started or stopped here; the message says why, in one line."""


def bindir() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin that has initdb, pg_ctl and psql (Debian's layout), or None."""
    found = []
    for path in Path("/usr/lib/postgresql").glob("*/bin"):
        if path.parent.name.isdigit() and all((path / p).is_file() for p in ("initdb", "pg_ctl", "psql")):
            found.append((int(path.parent.name), path))
    return max(found)[1] if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def system_user() -> str | None:
    """The system user the server programs run as: `postgres` when this process is root, else None (this one)."""
    return SUPERUSER if os.geteuid() == 0 else None


def tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "no output"


@dataclass
class Cluster:
    """The cluster in `root` (root/data, root/socket, root/server.log)."""

    bin: Path
    root: Path
    run_as: str | None

    @classmethod
    def at(cls, root: Path) -> Cluster:
        found = bindir()
        if found is None:
            raise ClusterError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                               "apt-get install postgresql")
        return cls(found, root, system_user())

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def exists(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    def conninfo(self, port: int, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        """A libpq connection string over the unix socket (the cluster's owner and root only)."""
        return f"host={self.socket_dir} port={port} dbname={dbname} user={user}"

    def run(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        """A server program (initdb, pg_ctl, pg_dump...) run as the cluster's system user."""
        return subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=timeout, cwd=self.root, user=self.run_as, group=self.run_as,
                              env={**os.environ, "LC_ALL": "C"})

    def own(self, path: Path) -> None:
        if self.run_as is not None:
            try:
                shutil.chown(path, self.run_as, self.run_as)
            except (LookupError, OSError) as exc:
                raise ClusterError(f"cannot hand {path.name} to the system user {self.run_as!r}: "
                                   f"{exc.strerror if isinstance(exc, OSError) else exc}") from None

    def init(self, password: str, settings: dict[str, str]) -> None:
        """initdb into root/data (the superuser's TCP password `password`), then `settings` into postgresql.conf."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.own(self.root)
        self.root.chmod(0o700)
        pwfile = self.root / "pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self.own(pwfile)
        try:
            done = self.run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8", "--no-locale",
                            "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
                            *([] if settings.get("fsync") != "off" else ["--no-sync"]))
        finally:
            pwfile.unlink()
        if done.returncode != 0:
            raise ClusterError(f"initdb (as {self.run_as or getpass.getuser()}) failed: "
                               f"{tail(done.stderr or done.stdout)}")
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        self.own(self.socket_dir)
        merged = {"listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.socket_dir}'",
                  **settings}
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\n{CONF_MARK}\n" + "".join(f"{k} = {v}\n" for k, v in merged.items()))

    def use_tls(self, ca_pem: bytes, cert_pem: bytes, key_pem: bytes, hba: str = HBA_TLS, ident: str = "") -> None:
        """The server's certificate and key, the CA whose client certificates it admits (TLS 1.3 only), and
        the `hostssl` rules `hba` (and the user name maps `ident`, when given) in place of initdb's."""
        for name, data in (("root.crt", ca_pem), ("server.crt", cert_pem), ("server.key", key_pem)):
            path = self.data / name
            path.write_bytes(data)
            path.chmod(0o600)
            self.own(path)
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                       "ssl_ca_file = 'root.crt'\nssl_min_protocol_version = 'TLSv1.3'\n")
        (self.data / "pg_hba.conf").write_text(hba, encoding="utf-8")
        if ident:
            (self.data / "pg_ident.conf").write_text(ident, encoding="utf-8")

    def install_crl(self, crl_pem: bytes) -> None:
        """The office CA's revocation list as the server's `ssl_crl_file` (data/root.crl, the setting added when
        missing); a running server is told to read its files again (`pg_ctl reload`: no restart, no session
        ended; it takes a moment: the caller waits for pg_conf_load_time to change)."""
        path = self.data / "root.crl"
        tmp = path.with_name("root.crl.new")
        tmp.write_bytes(crl_pem)
        tmp.chmod(0o644)
        self.own(tmp)
        tmp.replace(path)                   # the server never reads half a list
        conf = self.data / "postgresql.conf"
        if "ssl_crl_file" not in conf.read_text(encoding="utf-8").split(CONF_MARK)[-1]:
            with conf.open("a", encoding="utf-8") as f:
                f.write("ssl_crl_file = 'root.crl'          # the office CA's revocation list (dws office revoke)\n")
        if self.running():
            done = self.run("pg_ctl", "-D", str(self.data), "reload")
            if done.returncode != 0:
                raise ClusterError(f"the server did not reload (pg_ctl reload): {tail(done.stderr or done.stdout)}")

    def running(self) -> bool:
        return self.exists() and self.run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def start(self, port: int | None = None) -> int:
        """Start the server on `port` (a free one when None or taken); the port it listens on."""
        for attempt in range(3):        # another process may take the free port before the server binds it
            chosen = port if port is not None and attempt == 0 and _free(port) else free_port()
            done = self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                            f"-p {chosen}", "start")
            if done.returncode == 0:
                return chosen
            log = self.log.read_text(errors="replace") if self.log.exists() else done.stderr
            if "already in use" not in log:
                raise ClusterError(f"the server did not start (pg_ctl start): {tail(log)}")
        raise ClusterError("the server did not start: no free port after 3 tries")

    def stop(self, mode: str = "fast") -> bool:
        """Shut the server down (fast: open sessions are ended); False when it was not running."""
        if not self.running():
            return False
        done = self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        if done.returncode != 0:
            raise ClusterError(f"the server did not stop (pg_ctl stop): {tail(done.stderr or done.stdout)}")
        return True


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True

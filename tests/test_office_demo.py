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
    assert tables == {"office_log", "taxpayer_records"}

    stopped = run_dws(tmp_path / "unused", "office", "stop", str(demo_dir))
    assert (stopped.code, stopped.out.strip()) == (0, "Stopped the office server.")
    assert not cluster.running()
    assert "Connection refused" in refusal(params) or "connection failed" in refusal(params)

    again = run_dws(tmp_path / "unused", "office", "demo", str(demo_dir), "--json")
    assert again.code == 0, again.err
    assert json.loads(again.out) == {"profile": str(demo_dir / "office.json"), "port": load(
        demo_dir / "office.json").port, "created": False, "started": True}
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

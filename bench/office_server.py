"""The office benchmarks' PostgreSQL server (bench/office.py, office_checkpoint.py, office_matches.py): a cluster
made for the run from Debian's postgresql package (workstation/office/cluster.py), on this machine, with an office
in one database."""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from workstation.office.cluster import Cluster
from workstation.store.office import schema
from workstation.store.office.roles import OfficeRoles

OFFICE_SETTINGS = {"shared_buffers": "'128MB'", "max_wal_size": "'2GB'", "log_min_messages": "warning"}


@contextmanager
def office_server(prefix: str, dbname: str, roles: OfficeRoles) -> Iterator[tuple[Cluster, int]]:
    """A PostgreSQL cluster made for the run (workstation/office/cluster.py, in a new folder named `prefix`...),
    an office in its database `dbname`: (the cluster, its port); at the end it is stopped and removed."""
    cluster = Cluster.at(Path(tempfile.mkdtemp(prefix=prefix)))
    cluster.init(secrets.token_urlsafe(24), OFFICE_SETTINGS)
    port = cluster.start()
    try:
        with psycopg.connect(cluster.conninfo(port), autocommit=True) as conn:
            schema.create_database(conn, dbname)
        with psycopg.connect(cluster.conninfo(port, dbname), autocommit=True) as conn:
            schema.create_office(conn, roles)
        yield cluster, port
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)

"""Migration 0009, Python step: build the Merkle tree over every entry already in the log."""

from __future__ import annotations

from ..db import Connection
from ..logtree import extend


def run(conn: Connection) -> None:
    extend(conn)

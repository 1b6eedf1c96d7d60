"""Canonical JSON (RFC 8785 style for the values we use: sorted keys, no whitespace, UTF-8, no floats)."""

from __future__ import annotations

import json
from typing import Any

from . import clock
from .crypto import digest


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return digest.sha256_hex(data)


def utc_now() -> str:
    """UTC timestamp with milliseconds, e.g. 2026-11-25T13:45:01.123Z, from the clock in force."""
    return clock.utc_stamp()

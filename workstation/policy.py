"""Office policy: settings an administrator fixes for every user of this desktop.

The policy is one JSON object in the file named by ``DWS_POLICY_FILE``, else in the platform's site
configuration folder: ``/etc/xdg/disclosure-workstation/policy.json`` on Linux (the first folder of
``$XDG_CONFIG_DIRS`` that has one, and ``/etc/xdg`` in any case), ``/Library/Application Support/
disclosure-workstation/policy.json`` on macOS, ``C:\\ProgramData\\disclosure-workstation\\policy.json`` on
Windows. No file there means no policy.

    {"idle_lock_minutes": 5, "office_name": "Disclosure Office, Ogden", "bulk_threshold": 50,
     "witness_folder": "/media/dws-witness"}

Each key is a setting name from ``workstation.settings.DEFAULTS`` and its value is checked like any other
setting change (``settings.coerce``); keys starting with ``_`` are comments. One key is the policy's alone,
not a setting (it must be known before a store opens): ``"crypto"``, the cryptography mode
(``workstation/crypto/__init__.py``): ``"approved"`` (the default: approved algorithms only, keyslots by
PBKDF2-HMAC-SHA-512), ``"fips"`` (the same, and the workstation refuses to start unless OpenSSL's FIPS provider
is active) or ``"standard"`` (keyslots by Argon2id, for offices outside FIPS scope). A value set here wins over
the store's own value and cannot be changed in the application (``change_setting`` refuses it, naming
this file). Users must not be able to change the file: an administrator keeps it root-owned, mode 0644, and
a file the user owns or could write is refused (root itself, the administrator, may use any). A missing,
unreadable or invalid policy file stops the workstation with one message naming the file and the key.

Each session compares the policy in force with the one the store saw last; a change is written to the
audit log (``policy-changed``, with the file and the values) and makes stored evaluations stale, exactly
like a setting change made in the application.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .crypto import DEFAULT_MODE, MODES, Mode
from .errors import DwsError, InputError, shown_name
from .inputfiles import read_input_file
from .paths import APP
from .settings import SettingValue, coerce

POLICY_ENV = "DWS_POLICY_FILE"
POLICY_NAME = "policy.json"
CRYPTO_KEY = "crypto"
MAX_POLICY_BYTES = 1024 * 1024


class PolicyError(DwsError):
    """The office policy file is unreadable, writable by the user, or has a bad key or value."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"office policy {path}: {problem} (ask the administrator to correct it)")


@dataclass(frozen=True)
class Policy:
    """The settings the office policy fixes (empty when there is no policy file)."""

    path: Path | None = None
    values: dict[str, SettingValue] = field(default_factory=dict)
    crypto: Mode | None = None          # the file's "crypto" (None: not given, the default mode)

    def fixes(self, key: str) -> bool:
        return key in self.values

    @property
    def crypto_mode(self) -> Mode:
        return self.crypto or DEFAULT_MODE

    def record(self) -> dict[str, Any]:
        """What the audit log and the store keep about this policy (settings only, never taxpayer data)."""
        record: dict[str, Any] = {"file": str(self.path) if self.path else None, "values": self.values}
        if self.crypto is not None:
            record[CRYPTO_KEY] = self.crypto
        return record


# Where an administrator's file is looked for even when $XDG_CONFIG_DIRS (which the user controls) omits it.
SYSTEM_DIRS: tuple[Path, ...] = (Path("/etc/xdg"),) if sys.platform.startswith("linux") else ()
# Who may own a policy file, for a user other than root: root only (an administrator's file).
TRUSTED_OWNERS: frozenset[int] = frozenset({0})


def site_paths() -> list[Path]:
    """Every site location, in order: each folder of ``$XDG_CONFIG_DIRS`` (``/etc/xdg`` by default) on Linux, the
    platform's site config folder elsewhere, then ``/etc/xdg`` on Linux whatever ``$XDG_CONFIG_DIRS`` says."""
    from platformdirs import site_config_dir

    dirs = [Path(d) for d in site_config_dir(APP, appauthor=False, multipath=True).split(os.pathsep) if d]
    dirs += [d / APP for d in SYSTEM_DIRS if d / APP not in dirs]
    return [d / POLICY_NAME for d in dirs]


def default_path() -> Path:
    """``<site config dir>/disclosure-workstation/policy.json``: ``/etc/xdg/...`` on Linux."""
    return site_paths()[0]


def policy_path() -> tuple[Path, bool]:
    """(the policy file, whether it must exist): ``$DWS_POLICY_FILE`` must; else the first site file that exists
    (none may)."""
    env = os.environ.get(POLICY_ENV)
    if env:
        return Path(env).expanduser(), True
    paths = site_paths()
    return next((p for p in paths if os.path.lexists(p)), paths[0]), False


_cache: dict[tuple[object, ...], Policy] = {}


def current() -> Policy:
    """The policy in force, re-read when the file changes (cheap: one ``stat`` per call)."""
    path, required = policy_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        if required:
            raise PolicyError(path, f"the file does not exist (named by {POLICY_ENV})") from None
        return Policy()
    except OSError as exc:
        raise PolicyError(path, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not _is_root():
        if st.st_uid not in TRUSTED_OWNERS:
            raise PolicyError(path, "is not owned by root, so it cannot fix anything; an administrator must own it "
                                    "and make it read-only for users (chown root:root, chmod 644)")
        if os.access(path, os.W_OK):
            raise PolicyError(path, "is writable by this user, so it cannot fix anything; an administrator must own "
                                    "it and make it read-only for users (chown root:root, chmod 644)")
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode, st.st_uid)
    policy = _cache.get(key)
    if policy is None:
        policy = load(path)
        _cache.clear()
        _cache[key] = policy
    return policy


def load(path: Path) -> Policy:
    """Read and check one policy file's contents (``current`` checks who may change it); the first problem
    raises PolicyError naming the file and key."""
    try:
        raw = read_input_file(path, MAX_POLICY_BYTES, what="a JSON file")
    except InputError as exc:
        raise PolicyError(path, exc.message) from None
    try:
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(path, f"cannot be read ({getattr(exc, 'strerror', None) or type(exc).__name__})") from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_repeats)
    except json.JSONDecodeError as exc:
        raise PolicyError(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise PolicyError(path, "is not valid JSON (nested too deeply)") from None
    except _Repeated as exc:
        raise PolicyError(path, f"setting {_shown(exc.key)} is given twice") from None
    except ValueError:                              # an integer of more than 4300 digits
        raise PolicyError(path, "is not valid JSON (a number too long)") from None
    if not isinstance(doc, dict):
        raise PolicyError(path, "must be a JSON object of setting names and values")
    values: dict[str, SettingValue] = {}
    crypto: Mode | None = None
    for key, value in doc.items():
        if key.startswith("_"):
            continue
        if key == CRYPTO_KEY:
            crypto = _crypto_mode(path, value)
            continue
        try:
            values[key] = coerce(key, value)
        except KeyError:
            raise PolicyError(path, f"unknown setting {_shown(key)} (see workstation/settings.py)") from None
        except ValueError as exc:
            raise PolicyError(path, f"setting {key!r}: {exc}") from None
    return Policy(path=path, values=values, crypto=crypto)


def _crypto_mode(path: Path, value: object) -> Mode:
    for mode in MODES:
        if value == mode:
            return mode
    raise PolicyError(path, f"{CRYPTO_KEY!r}: expected one of {', '.join(repr(m) for m in MODES)}")


class _Repeated(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise _Repeated(key)
        doc[key] = value
    return doc


def _shown(key: str) -> str:
    """A key as a message shows it: only when it is a plain name (a file may hold anything, a TIN too)."""
    return shown_name(key, "key")


def _is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)     # POSIX; on Windows the folder's ACL decides
    return geteuid is not None and geteuid() == 0


def note_in_store(conn: Any, user: str | None) -> bool:
    """Compare the policy in force with the one this store saw last; on a change, record the new one, log
    ``policy-changed`` and make stored evaluations stale, in one transaction. True when it changed."""
    from .canonical import canonical_json
    from .store import auditlog, db
    from .store import settings as settings_sql
    from .store.evaluation import bump_data_version

    policy = current()
    now = canonical_json(policy.record()).decode("utf-8")
    before = settings_sql.policy_seen(conn) or canonical_json(Policy().record()).decode("utf-8")
    if before == now:
        return False
    with db.transaction(conn):
        settings_sql.note_policy(conn, now)
        bump_data_version(conn)
        auditlog.append(conn, "policy-changed", user=user, obj=policy.record()["file"],
                        detail={"from": json.loads(before), "to": policy.record()})
    return True

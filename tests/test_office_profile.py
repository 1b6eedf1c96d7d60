"""The office profile, "dws.office/1" (workstation/office/profile.py; INTERCHANGE.md): read as the spec says,
always verify-full, and every wrong profile refused with one message naming the file and the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workstation.errors import InputError
from workstation.office.profile import is_profile, load


def write_profile(folder: Path, **changes: Any) -> Path:
    for name in ("office-ca.pem", "desktop.pem", "desktop.key"):
        (folder / name).write_text("-----BEGIN PLACEHOLDER-----\n")
    (folder / "desktop.key").chmod(0o600)
    doc = {"format": "dws.office/1", "office": "Disclosure Office", "host": "dws-db.office.example",
           "port": 5432, "dbname": "office", "ca": "office-ca.pem", "cert": "desktop.pem", "key": "desktop.key",
           "witness": "witness"}
    doc.update(changes)
    path = folder / "office.json"
    path.write_text(json.dumps({k: v for k, v in doc.items() if v is not None}))
    return path


def test_a_profile_reads_as_the_spec_says(tmp_path: Path) -> None:
    profile = load(write_profile(tmp_path))
    assert (profile.office, profile.host, profile.port, profile.dbname) == (
        "Disclosure Office", "dws-db.office.example", 5432, "office")
    assert profile.ca == tmp_path / "office-ca.pem" and profile.key == tmp_path / "desktop.key"
    assert profile.witness == tmp_path / "witness" and not profile.key_on_card
    assert profile.connection_params("pat") == {
        "host": "dws-db.office.example", "port": "5432", "dbname": "office", "user": "pat",
        "sslmode": "verify-full", "sslrootcert": str(tmp_path / "office-ca.pem"),
        "sslcert": str(tmp_path / "desktop.pem"), "sslkey": str(tmp_path / "desktop.key")}
    assert is_profile(tmp_path / "office.json") and not is_profile(tmp_path)


def test_paths_may_be_absolute_and_the_witness_is_optional(tmp_path: Path) -> None:
    other = tmp_path / "certs"
    other.mkdir()
    (other / "ca.pem").write_text("x")
    profile = load(write_profile(tmp_path, ca=str(other / "ca.pem"), witness=None))
    assert profile.ca == other / "ca.pem" and profile.witness is None


def test_a_key_on_a_card_is_named_by_its_uri(tmp_path: Path) -> None:
    uri = "pkcs11:token=PIV%20Card;object=desktop"
    profile = load(write_profile(tmp_path, key=uri))
    assert profile.key == uri and profile.key_on_card
    with pytest.raises(InputError, match=r"office.json: a desktop key on a PIV card \(pkcs11:\) cannot yet"):
        profile.connection_params("pat")


@pytest.mark.parametrize(("changes", "message"), [
    ({"format": "dws.office/2"}, 'office.json: not an office profile (it needs "format": "dws.office/1")'),
    ({"sslmode": "disable"}, "office.json, 'sslmode': unknown key in an office profile"),
    ({"host": None}, "office.json, 'host': missing"),
    ({"dbname": "  "}, "office.json, 'dbname': must be a non-empty text"),
    ({"port": "5432"}, "office.json, 'port': must be a port number, 1 to 65535"),
    ({"port": 70000}, "office.json, 'port': must be a port number, 1 to 65535"),
    ({"port": True}, "office.json, 'port': must be a port number, 1 to 65535"),
    ({"cert": "elsewhere.pem"}, "office.json, 'cert': names no file (relative paths are relative to the profile)"),
    ({"witness": 7}, "office.json, 'witness': must be a folder's path"),
])
def test_a_wrong_profile_is_refused_with_one_clear_message(tmp_path: Path, changes: dict[str, Any],
                                                           message: str) -> None:
    with pytest.raises(InputError) as caught:
        load(write_profile(tmp_path, **changes))
    assert str(caught.value) == message


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = write_profile(tmp_path)
    (tmp_path / "desktop.key").chmod(0o644)
    with pytest.raises(InputError, match=r"'key': the key file may be readable by its owner only \(chmod 600; "
                                         r"it is 644\)"):
        load(path)


def test_not_json_or_not_there(tmp_path: Path) -> None:
    (tmp_path / "office.json").write_bytes(b"\xff{")
    with pytest.raises(InputError, match=r"office\.json: not a JSON document"):
        load(tmp_path / "office.json")
    with pytest.raises(InputError, match="cannot read the office profile: No such file or directory"):
        load(tmp_path / "missing.json")

"""SHA256SUMS signed with the release key (packaging/release.py) and checked by packaging/verify.sh with
openssl alone, as a reviewer or an administrator runs it on a desktop with no network (issue 23 item 5)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parents[1]
VERIFY = ROOT / "packaging" / "verify.sh"
sys.path.insert(0, str(ROOT / "packaging"))
import release  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl (.ci/run installs it)")


def key_file(path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def public_file(private: Path, path: Path) -> Path:
    key = serialization.load_pem_private_key(private.read_bytes(), None)
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


def verify(folder: Path, *key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(VERIFY), str(folder), *map(str, key)], capture_output=True, text=True,
                          check=False, timeout=60)


@pytest.fixture
def signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    folder = tmp_path / "release"
    (folder / "_internal/lib").mkdir(parents=True)
    (folder / "dws").write_bytes(b"\x7fELF program")
    (folder / "_internal/lib/libfoo.so.1").write_bytes(b"\x7fELF library")
    (folder / "_internal/libfoo.so.1").symlink_to("lib/libfoo.so.1")
    (folder / "THIRD-PARTY-NOTICES").write_text("notices\n")
    private = key_file(tmp_path / "office-release-key.pem")
    monkeypatch.setenv("RELEASE_KEY", str(private))
    release.seal(folder)
    return folder, public_file(private, tmp_path / "office-release-key.pub.pem")


def test_a_signed_folder_verifies_with_the_office_key(signed: tuple[Path, Path]) -> None:
    folder, public = signed
    assert (folder / "SHA256SUMS").read_text().splitlines() == [
        f"{release.sha256_file(folder / name)}  {name}" for name in
        ("THIRD-PARTY-NOTICES", "_internal/lib/libfoo.so.1", "_internal/libfoo.so.1", "dws")]
    done = verify(folder, public)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {folder}: 4 files match SHA256SUMS, signed by the key {public}")
    key = serialization.load_pem_public_key(public.read_bytes())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert f"sha256:{release.fingerprint(key)}" in done.stdout
    assert verify(folder).returncode == 0                      # with the key it carries: whole, signer unknown


def test_signing_again_gives_the_same_signature(signed: tuple[Path, Path]) -> None:
    folder, _ = signed
    first = (folder / "SHA256SUMS.sig").read_bytes()
    release.seal(folder)                                       # deterministic ECDSA (RFC 6979)
    assert (folder / "SHA256SUMS.sig").read_bytes() == first


@pytest.mark.parametrize("change", ["a file changed", "a file added", "sums edited", "another key"])
def test_verify_refuses_a_changed_folder(signed: tuple[Path, Path], tmp_path: Path, change: str) -> None:
    folder, public = signed
    if change == "a file changed":
        (folder / "_internal/lib/libfoo.so.1").write_bytes(b"\x7fELF library, patched")
        expected = "does not match SHA256SUMS"
    elif change == "a file added":
        (folder / "_internal/libevil.so").write_bytes(b"\x7fELF")
        expected = "files in .* that SHA256SUMS does not list: _internal/libevil.so"
    elif change == "sums edited":
        sums = folder / "SHA256SUMS"
        sums.write_text(sums.read_text().replace("THIRD-PARTY-NOTICES", "THIRD-PARTY-NOTICES.old"))
        expected = "signature of .* does not verify"
    else:
        public = public_file(key_file(tmp_path / "other.pem"), tmp_path / "other.pub.pem")
        expected = "signature of .* does not verify with the key"
    done = verify(folder, public)
    assert done.returncode == 1 and done.stdout == ""
    assert re.search(expected, done.stderr), done.stderr


def test_without_a_release_key_a_throwaway_key_signs_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("RELEASE_KEY", raising=False)
    monkeypatch.setattr(release, "THROWAWAY", tmp_path / "build/throwaway-release-key.pem")
    (tmp_path / "r").mkdir()
    (tmp_path / "r/file").write_text("x")
    release.seal(tmp_path / "r")
    assert "THROWAWAY test key" in capsys.readouterr().out
    assert verify(tmp_path / "r").returncode == 0
    assert (tmp_path / "build/throwaway-release-key.pem").stat().st_mode & 0o077 == 0


def test_a_key_of_another_kind_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "ed.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    monkeypatch.setenv("RELEASE_KEY", str(tmp_path / "ed.pem"))
    (tmp_path / "r").mkdir()
    with pytest.raises(SystemExit, match="is not an ECDSA P-256 private key"):
        release.seal(tmp_path / "r")

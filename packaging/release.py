"""SHA256SUMS of a release folder (the wheelhouse, the bundle), signed with the office's release key.

    SHA256SUMS            every file of the folder but these three, by path, as `sha256sum --check` reads it
    SHA256SUMS.sig        ECDSA P-256 with SHA-256 (FIPS 186-5) over SHA256SUMS, DER: what
                          `openssl dgst -sha256 -verify KEY.pem -signature SHA256SUMS.sig SHA256SUMS` checks
    release-key.pub.pem   the public key that signed (for information: trust the copy the office published)

The key: RELEASE_KEY=PATH, a PEM private key of the P-256 curve (its passphrase, if any, in
RELEASE_KEY_PASSPHRASE). Without one, a throwaway key (build/packaging/throwaway-release-key.pem, made once and
reused, so the builds of one checkout agree) signs, and the build says so: good for tests, not for a release.
Signatures are deterministic (RFC 6979), so two builds of one commit with one key give the same bytes.
`packaging/verify.sh FOLDER KEY.pem` checks the signature, every sum, and that no file was added.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parents[1]
THROWAWAY = ROOT / "build" / "packaging" / "throwaway-release-key.pem"
SUMS, SIG, PUB = "SHA256SUMS", "SHA256SUMS.sig", "release-key.pub.pem"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def listed_files(folder: Path) -> list[str]:
    """Every file of FOLDER (symbolic links to files too: sha256sum follows them), by path, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).as_posix() not in (SUMS, SIG, PUB))


def load_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    path = os.environ.get("RELEASE_KEY", "")
    if path:
        passphrase = os.environ.get("RELEASE_KEY_PASSPHRASE")
        key = serialization.load_pem_private_key(Path(path).read_bytes(),
                                                 passphrase.encode() if passphrase else None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            sys.exit(f"release: {path} is not an ECDSA P-256 private key")
        return key, f"the release key {path}"
    if not THROWAWAY.is_file():
        THROWAWAY.parent.mkdir(parents=True, exist_ok=True)
        fresh = ec.generate_private_key(ec.SECP256R1())
        THROWAWAY.write_bytes(fresh.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
        THROWAWAY.chmod(0o600)
    key = serialization.load_pem_private_key(THROWAWAY.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key, f"a THROWAWAY test key ({THROWAWAY}; RELEASE_KEY is not set): not for a release"


def fingerprint(public: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: `openssl pkey -pubin -in KEY.pem -outform DER | sha256sum`."""
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def seal(folder: Path) -> str:
    """Write SHA256SUMS, sign it, put the public key beside; return SHA256SUMS's own sha256."""
    sums = "".join(f"{sha256_file(folder / rel)}  {rel}\n" for rel in listed_files(folder))
    (folder / SUMS).write_text(sums, "utf-8")
    key, which = load_key()
    signature = key.sign(sums.encode("utf-8"), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    (folder / SIG).write_bytes(signature)
    (folder / PUB).write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    digest = hashlib.sha256(sums.encode("utf-8")).hexdigest()
    print(f"release: {folder / SUMS} ({len(sums.splitlines())} files, sha256 {digest}) signed with {which}, "
          f"key fingerprint sha256:{fingerprint(key.public_key())}", flush=True)
    return digest


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        seal(Path(arg).resolve())

"""Build the frozen application: ``make bundle`` -> ``dist/disclosure-workstation/``.

1. Install the application into the packaging venv from the wheelhouse only (``--no-index``, hashes from
   requirements.lock), so the bundle holds exactly what the offline installer ships.
2. Run PyInstaller on packaging/dws.spec (one folder, one executable ``dws``).
3. Add the desktop entry, the icon, an ``install`` script and the example office policy; report the size.

    dist/disclosure-workstation/
      dws                       the command line; `dws gui` starts the desktop application
      _internal/                Python, Qt and the application's modules and data (no Python needed on the desktop)
      install                   copies the folder to /opt (or the user's data folder), adds `dws` and a menu entry
      disclosure-workstation.desktop, disclosure-workstation.svg, policy.example.json, BUILD-INFO.txt
      sbom.cdx.json, THIRD-PARTY-NOTICES   CycloneDX 1.6 SBOM, every component's licence text (packaging/sbom.py)
      verify.sh, SHA256SUMS, SHA256SUMS.sig, release-key.pub.pem   every file, signed (packaging/release.py)
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))
import release  # noqa: E402  (packaging/release.py: SHA256SUMS, signed)
import sbom  # noqa: E402  (packaging/sbom.py: the SBOM and THIRD-PARTY-NOTICES)

WORK = ROOT / "build" / "packaging" / "pyinstaller"
EXTRAS = ("disclosure-workstation.desktop", "disclosure-workstation.svg", "policy.example.json")


def run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=cwd, check=True, env=env)


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def build(wheelhouse: Path, out: Path) -> None:
    wheels = sorted(wheelhouse.glob("disclosure_workstation-*.whl"))
    if not (wheelhouse / "requirements.lock").is_file() or len(wheels) != 1:
        sys.exit(f"no complete wheelhouse in {wheelhouse}: run make wheelhouse first")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheelhouse)]
    run(*pip, "--require-hashes", "--only-binary=:all:", "-r", wheelhouse / "requirements.lock")
    run(*pip, "--no-deps", "--force-reinstall", wheels[0])

    if out.exists():
        shutil.rmtree(out)
    started = time.monotonic()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    # Run outside the checkout (`python -m` puts the working folder first on sys.path): the application is
    # taken from the venv, where the wheelhouse's wheel is installed (its evaluation compiled), not from the source.
    WORK.mkdir(parents=True, exist_ok=True)
    run(sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", out.parent, "--workpath", WORK, PACKAGING / "dws.spec", env=env, cwd=WORK.parent)
    built = out.parent / "disclosure-workstation"
    if built != out:
        shutil.move(built, out)

    script = (PACKAGING / "install-bundle.sh").read_text("utf-8")
    (out / "install").write_text(script, "utf-8")
    (out / "install").chmod(0o755)
    for name in EXTRAS:
        shutil.copy2(PACKAGING / name, out / name)
    version = subprocess.run([out / "dws", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    libc = " ".join(platform.libc_ver())
    mb = size_mb(out)
    (out / "BUILD-INFO.txt").write_text(
        f"{version}, frozen with PyInstaller from Python {platform.python_version()} on "
        f"{platform.system()} {platform.machine()} ({libc}): runs on this platform with this C library or a "
        f"newer one; no Python needed.\n{mb:.1f} MB unpacked.\n\n"
        "Install:  ./install          for this user\n"
        "          sudo ./install --system   for every user of this computer (in /opt)\n"
        "Or run it in place: ./dws --help, ./dws gui\n", "utf-8")
    shutil.copy2(PACKAGING / "verify.sh", out / "verify.sh")
    # The SBOM (Python packages, native libraries traced to their Debian packages, CPython) and every licence
    # text, then SHA256SUMS of the whole folder, signed.
    sbom.for_bundle(out, wheelhouse, toc=WORK / "dws" / "COLLECT-00.toc")
    release.seal(out)
    print(f"bundle: {out} ({mb:.1f} MB, built in {time.monotonic() - started:.0f} s); {version}")


if __name__ == "__main__":
    args = sys.argv[1:] or ["dist/wheelhouse", "dist/disclosure-workstation"]
    build((ROOT / args[0]).resolve(), (ROOT / args[1]).resolve())

"""Build the offline installer: ``make wheelhouse`` -> ``dist/wheelhouse/``.

    dist/wheelhouse/
      *.whl                     every wheel the application needs on this platform and Python, each checked
                                against its hash in requirements.lock while downloading
      disclosure_workstation-VERSION-py3-none-any.whl   the application (built here: not in the lock)
      requirements.lock         the lock, as committed
      install                   creates a virtual environment and installs with no network at all
      disclosure-workstation.desktop, disclosure-workstation.svg, policy.example.json
      SHA256SUMS                every file above; `install` checks it first
      BUILD-INFO.txt            Python, platform, versions and size

Run it with the packaging venv's Python (the Makefile does), with pip reading no configuration file.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
EXTRAS = ("disclosure-workstation.desktop", "disclosure-workstation.svg", "policy.example.json")


def run(*args: str | Path, cwd: Path = ROOT) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=cwd, check=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def project_version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def build(out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip"]
    # Every dependency, wheels only, each file checked against the lock's hashes as it arrives.
    run(*pip, "download", "--quiet", "--only-binary=:all:", "--no-deps", "--require-hashes",
        "-r", ROOT / "requirements.lock", "-d", out)
    # The application's own wheel, from a clean copy of the sources (a stale build/lib never leaks into it),
    # with the pinned setuptools of this venv (no build isolation: nothing unpinned is fetched).
    src = ROOT / "build" / "packaging" / "src"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "tests", "bench", "docs", "*.egg-info", "__pycache__", "*.pyc",
        ".pytest_cache", ".ruff_cache"))
    run(*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, src)
    shutil.rmtree(src)
    wheels = sorted(out.glob("disclosure_workstation-*.whl"))
    if len(wheels) != 1 or project_version() not in wheels[0].name:
        sys.exit(f"expected one disclosure_workstation {project_version()} wheel in {out}, found {wheels}")

    shutil.copy2(ROOT / "requirements.lock", out / "requirements.lock")
    script = (PACKAGING / "install.sh").read_text("utf-8")
    script = script.replace("@PYTHON_VERSION@", f"{sys.version_info[0]}.{sys.version_info[1]}")
    (out / "install").write_text(script, "utf-8")
    (out / "install").chmod(0o755)
    for name in EXTRAS:
        shutil.copy2(PACKAGING / name, out / name)
    files = sorted(p for p in out.iterdir() if p.is_file())
    (out / "SHA256SUMS").write_text("".join(f"{sha256(p)}  {p.name}\n" for p in files), "utf-8")
    info = [f"Disclosure Workstation {project_version()} wheelhouse",
            f"Python {platform.python_version()} ({sysconfig.get_platform()}, {platform.libc_ver()[0]} "
            f"{platform.libc_ver()[1]}): install with the same Python minor version on the same platform",
            f"{len(list(out.glob('*.whl')))} wheels, {size_mb(out):.1f} MB", "",
            "Install (no network needed):  ./install          for this user",
            "                               sudo ./install --system   for every user of this computer", ""]
    (out / "BUILD-INFO.txt").write_text("\n".join(info), "utf-8")
    print(f"wheelhouse: {out} ({len(list(out.glob('*.whl')))} wheels, {size_mb(out):.1f} MB)")
    return out


if __name__ == "__main__":
    build((ROOT / (sys.argv[1] if len(sys.argv) > 1 else "dist/wheelhouse")).resolve())

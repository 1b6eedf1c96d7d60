"""Build the offline installer: ``make wheelhouse`` -> ``dist/wheelhouse/``.

    dist/wheelhouse/
      *.whl                     every wheel the application needs on this platform and Python, each checked
                                against its hash in requirements.lock while downloading
      disclosure_workstation-VERSION-cp311-cp311-PLATFORM.whl   the application (built here: not in the lock),
                                its evaluation's hot modules compiled by mypyc (setup.py, DWS_MYPYC=1)
      requirements.lock         the lock, as committed
      install                   creates a virtual environment and installs with no network at all
      disclosure-workstation.desktop, disclosure-workstation.svg, policy.example.json
      source/                   the source distribution of each LGPL Python part PyPI has one of (python-stdnum)
      sbom.cdx.json, THIRD-PARTY-NOTICES   CycloneDX 1.6 SBOM, every component's licence text (packaging/sbom.py)
      BUILD-INFO.txt            Python, platform, versions and size
      verify.sh                 checks the signature and every sum (packaging/verify.sh)
      SHA256SUMS, SHA256SUMS.sig, release-key.pub.pem   every file above, signed (packaging/release.py);
                                `install` checks the sums first

Run it with the packaging venv's Python (the Makefile does), with pip reading no configuration file.
``--wheel-only DIR`` builds just the application's wheel into DIR (``make wheel``).

Compiled (issue 15): the wheel's evaluation modules (workstation/compiled.py) are built as C extensions by mypyc
(the packaging venv has mypy from packaging/build.lock), so the wheel is one for this Python and platform;
``DWS_MYPYC=0`` builds the pure-Python wheel (``py3-none-any``) instead, as `make test` runs the source.

Reproducible: the wheel is built with ``SOURCE_DATE_EPOCH`` (every file's time in the zip; the Makefile sets it
to the last commit's time, ``git log -1 --format=%ct``, and so does this script when it is unset) and
``PYTHONHASHSEED=0``, from a clean copy of the sources, so two builds of one commit give the same bytes
(tests/test_reproducible.py).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))
import release  # noqa: E402  (packaging/release.py: SHA256SUMS, signed)
import sbom  # noqa: E402  (packaging/sbom.py: the SBOM, the licences of the wheels)
import sbom_native  # noqa: E402  (the native libraries inside the wheels)

EXTRAS = ("disclosure-workstation.desktop", "disclosure-workstation.svg", "policy.example.json")


def run(*args: str | Path, cwd: Path = ROOT) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=cwd, check=True)


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def project_version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def reproducible_env() -> dict[str, str]:
    """This process's environment with SOURCE_DATE_EPOCH (the last commit's time unless set) and a fixed hash
    seed: what every packaging step runs under."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if not env.get("SOURCE_DATE_EPOCH", "").isdigit():
        git = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True,
                             text=True, check=False)
        if git.returncode != 0 or not git.stdout.strip().isdigit():
            sys.exit(f"SOURCE_DATE_EPOCH is not set and {ROOT} is no git checkout: set it to the release's time "
                     "(seconds since 1970) so that the wheel's file times are the same in every build")
        env["SOURCE_DATE_EPOCH"] = git.stdout.strip()
    return env


def compiled_build() -> bool:
    """Whether the wheel's evaluation modules are compiled by mypyc: unless DWS_MYPYC=0."""
    return os.environ.get("DWS_MYPYC", "1") != "0"


def build_app_wheel(out: Path, work: Path) -> Path:
    """The application's own wheel into OUT, built in WORK from a clean copy of the sources (a stale build/lib
    never leaks into it), with the setuptools of this venv (no build isolation: nothing unpinned is fetched);
    compiled by mypyc unless DWS_MYPYC=0 (setup.py)."""
    env = reproducible_env()
    env["DWS_MYPYC"] = "1" if compiled_build() else "0"
    src = work / "src"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "tests", "bench", "docs", "*.egg-info", "__pycache__", "*.pyc",
        ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"))
    for old in out.glob(f"disclosure_workstation-{project_version()}-*.whl"):
        old.unlink()
    print(f"SOURCE_DATE_EPOCH={env['SOURCE_DATE_EPOCH']} PYTHONHASHSEED={env['PYTHONHASHSEED']} "
          f"DWS_MYPYC={env['DWS_MYPYC']}", flush=True)
    print(f"+ pip wheel {src} -> {out}", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "-w", str(out), str(src)], cwd=work, check=True, env=env)
    shutil.rmtree(src)
    tag = "cp*-cp*-*" if env["DWS_MYPYC"] == "1" else "py3-none-any"
    wheels = sorted(out.glob(f"disclosure_workstation-{project_version()}-{tag}.whl"))
    if len(wheels) != 1:
        sys.exit(f"pip wheel made no disclosure_workstation-{project_version()}-{tag}.whl in {out}")
    wheel = wheels[0]
    print(f"{wheel}  sha256 {release.sha256_file(wheel)}")
    return wheel


def lock_entry(lock: Path, name: str) -> str:
    """The lines of LOCK pinning NAME, with their hashes."""
    lines, keep = [], False
    for line in lock.read_text("utf-8").splitlines():
        if line and not line[0].isspace():
            keep = sbom.norm(line.split("==")[0]) == name
        if keep and not line.lstrip().startswith("#"):
            lines.append(line)
    return "\n".join(lines) + "\n"


def lgpl_sources(out: Path) -> None:
    """The source distribution of every LGPL Python part, and of every wheel that links an LGPL library into its
    own extension modules (sbom_native.RELINK_SOURCES: lxml, libiconv), into OUT/source/, each checked against the
    lock's hashes; a part PyPI has no source distribution of (PySide6, shiboken6: wheels only) must be named in
    sbom.SOURCE_ELSEWHERE, whose upstream tag the notices give instead."""
    source = out / "source"
    source.mkdir(exist_ok=True)
    for path in sorted(out.glob("*.whl")):
        wheel = sbom.read_wheel(path)
        relink = wheel.name in sbom_native.RELINK_SOURCES
        if wheel.name == "disclosure-workstation" or not (relink or sbom.is_lgpl(sbom.wheel_licence(wheel))):
            continue
        if wheel.name in sbom.SOURCE_ELSEWHERE:
            print(f"{wheel.name} {wheel.version}: LGPL, no source distribution on PyPI; the notices name its "
                  "upstream tag", flush=True)
            continue
        req = out.parent / f".{wheel.name}-source.txt"
        req.write_text(lock_entry(ROOT / "requirements.lock", wheel.name), "utf-8")
        try:
            run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary=:all:",
                "--no-build-isolation", "--require-hashes", "-r", req, "-d", source)
        finally:
            req.unlink()


def build(out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip"]
    # Every dependency, wheels only, each file checked against the lock's hashes as it arrives.
    run(*pip, "download", "--quiet", "--only-binary=:all:", "--no-deps", "--require-hashes",
        "-r", ROOT / "requirements.lock", "-d", out)
    build_app_wheel(out, ROOT / "build" / "packaging")
    wheels = sorted(out.glob("disclosure_workstation-*.whl"))
    if len(wheels) != 1 or project_version() not in wheels[0].name:
        sys.exit(f"expected one disclosure_workstation {project_version()} wheel in {out}, found {wheels}")

    lgpl_sources(out)
    shutil.copy2(ROOT / "requirements.lock", out / "requirements.lock")
    script = (PACKAGING / "install.sh").read_text("utf-8")
    script = script.replace("@PYTHON_VERSION@", f"{sys.version_info[0]}.{sys.version_info[1]}")
    (out / "install").write_text(script, "utf-8")
    (out / "install").chmod(0o755)
    for name in EXTRAS:
        shutil.copy2(PACKAGING / name, out / name)
    shutil.copy2(PACKAGING / "verify.sh", out / "verify.sh")
    info = [f"Disclosure Workstation {project_version()} wheelhouse",
            f"Python {platform.python_version()} ({sysconfig.get_platform()}, {platform.libc_ver()[0]} "
            f"{platform.libc_ver()[1]}): install with the same Python minor version on the same platform",
            f"{len(list(out.glob('*.whl')))} wheels, {size_mb(out):.1f} MB", "",
            "Install (no network needed):  ./install          for this user",
            "                               sudo ./install --system   for every user of this computer", ""]
    (out / "BUILD-INFO.txt").write_text("\n".join(info), "utf-8")
    # The SBOM and every licence text, then SHA256SUMS of it all, signed (RELEASE_KEY, or a throwaway key).
    sbom.for_wheelhouse(out)
    release.seal(out)
    print(f"wheelhouse: {out} ({len(list(out.glob('*.whl')))} wheels, {size_mb(out):.1f} MB)")
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="make wheelhouse / make wheel")
    parser.add_argument("--wheel-only", action="store_true", help="build the application's wheel alone")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "packaging",
                        help="where the sources are copied to be built (default build/packaging)")
    parser.add_argument("out", nargs="?", type=Path)
    args = parser.parse_args()
    if args.wheel_only:
        target = (ROOT / (args.out or "dist")).resolve()
        target.mkdir(parents=True, exist_ok=True)
        build_app_wheel(target, args.work.resolve())
    else:
        build((ROOT / (args.out or "dist/wheelhouse")).resolve())

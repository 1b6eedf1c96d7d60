"""Two builds of one commit give the same wheel, byte for byte (issue 23, EO 14028: a build that can be
reproduced). Built as `make wheel` and `make wheelhouse` build it (packaging/build_wheelhouse.py: a clean copy
of the sources, no build isolation, SOURCE_DATE_EPOCH the last commit's time, PYTHONHASHSEED=0), with the test
venv's setuptools and wheel, which tests/test_packaging.py holds to packaging/build.lock's pins. The two builds
start from two source trees: this checkout, and a copy of it made now (every file with a new time, directories
listed in another order: a second checkout of the commit on another day), and build in different folders, so
neither the files' times nor a path of the build machine can reach the wheel. The pure-Python wheel
(DWS_MYPYC=0) here; the compiled one (its evaluation modules built by mypyc, as the wheelhouse ships it) with
DWS_PACKAGING_TESTS=1, as `make package-test` runs this file."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def commit_time() -> str:
    git = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True,
                         check=False)
    if git.returncode != 0:
        pytest.skip("not a git checkout: the wheel's time comes from the last commit")
    return git.stdout.strip()


def fresh_copy(dest: Path) -> Path:
    """The sources the wheel is built from, copied with new times (shutil.copy, not copy2)."""
    shutil.copytree(ROOT, dest, copy_function=shutil.copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "tests", "bench", "docs", "*.egg-info", "__pycache__", "*.pyc",
        ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"))
    return dest


COMPILED = pytest.param("1", marks=pytest.mark.skipif(os.environ.get("DWS_PACKAGING_TESTS") != "1",
                                                       reason="the compiled wheel: make package-test"))


def build_wheel(tree: Path, work: Path, epoch: str, mypyc: str) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", SOURCE_DATE_EPOCH=epoch,
               PYTHONHASHSEED="0", DWS_MYPYC=mypyc)
    r = subprocess.run([sys.executable, tree / "packaging" / "build_wheelhouse.py", "--wheel-only",
                        "--work", work / "work", work / "out"], capture_output=True, text=True, cwd=tree, env=env,
                       timeout=600, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = (work / "out").glob("disclosure_workstation-*-py3-none-any.whl" if mypyc == "0" else
                                   "disclosure_workstation-*-cp3*-cp3*-*.whl")
    assert re.search(rf"{re.escape(str(wheel))}  sha256 [0-9a-f]{{64}}", r.stdout)
    assert not (work / "work" / "src").exists()           # the copy of the sources is gone
    return wheel


@pytest.mark.slow
@pytest.mark.parametrize("mypyc", ["0", COMPILED], ids=["pure", "compiled"])
def test_two_builds_of_one_commit_give_the_same_wheel(tmp_path: Path, mypyc: str) -> None:
    epoch = commit_time()
    one = build_wheel(ROOT, tmp_path / "one", epoch, mypyc)
    two = build_wheel(fresh_copy(tmp_path / "checkout"), tmp_path / "two", epoch, mypyc)
    digests = [hashlib.sha256(w.read_bytes()).hexdigest() for w in (one, two)]
    assert digests[0] == digests[1], f"two builds of one commit differ: {one.name} {digests}"

    with zipfile.ZipFile(one) as wheel:
        names = wheel.namelist()
        assert "workstation/cli/main.py" in names and "workstation/store/migrations/0001_initial.sql" in names
        assert not [n for n in names if n.startswith("tests/") or n.endswith(".pyc")]
        extensions = sorted(n for n in names if n.endswith(".so"))
        if mypyc == "0":
            assert extensions == []
        else:                       # each module compiled beside its source, and the library they share
            from workstation.compiled import MODULES
            assert {n.split(".")[0] for n in extensions} == {m.replace(".", "/") for m in MODULES} | {
                "workstation/_compiled__mypyc"}
            assert all(m.replace(".", "/") + ".py" in names for m in MODULES)
        stamp = time.gmtime(int(epoch))[:6]
        for info in wheel.infolist():           # every file dated at the commit (zip keeps even seconds)
            assert info.date_time[:5] == stamp[:5] and info.date_time[5] == stamp[5] - stamp[5] % 2, info.filename


def test_every_packaging_step_runs_with_the_commit_time_and_a_fixed_hash_seed() -> None:
    epoch = commit_time()
    for target in ("wheel", "wheelhouse", "bundle"):
        plan = subprocess.run(["make", "-n", target], capture_output=True, text=True, cwd=ROOT, check=True,
                              timeout=60).stdout
        steps = [line for line in plan.splitlines() if "packaging/build_" in line]
        assert steps, plan
        for step in steps:
            assert f"SOURCE_DATE_EPOCH={epoch} PYTHONHASHSEED=0 " in step, step

"""Packaging files checked without building anything (fast; part of `make test`): the lock files, the
desktop entry and icon, the install scripts, the PyInstaller spec against what ui/ imports, the example
policy. The builds themselves are smoke-tested in test_packaging_smoke.py (`make package-test`)."""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a pip-compile --generate-hashes file."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in path.read_text("utf-8").splitlines():
        m = PIN.match(line)
        if m:
            current = norm(m.group(1))
            pins[current] = (m.group(2), [])
        elif current and (h := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            pins[current][1].append(h.group(1))
        elif line.strip() and not line.lstrip().startswith(("#", "--hash")):
            raise AssertionError(f"{path.name}: unexpected line {line!r}")
    return pins


def assert_pinned_by_hash(path: Path, wanted: list[str]) -> dict[str, tuple[str, list[str]]]:
    """Every requirement of `wanted` pinned in the lock at PATH within its range, and every pin with hashes."""
    from packaging.requirements import Requirement

    lock = read_lock(path)
    for dep in map(Requirement, wanted):
        assert norm(dep.name) in lock, f"{dep.name} is not in {path.name}: run make lock"
        version = lock[norm(dep.name)][0]
        assert dep.specifier.contains(version, prereleases=True), \
            f"{path.name} pins {dep.name}=={version}, outside {dep.specifier}: run make lock"
    for name, (version, hashes) in lock.items():
        assert hashes, f"{path.name}: {name}=={version} has no hash"
    return lock


def test_the_lock_pins_every_dependency_by_hash() -> None:

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    lock = assert_pinned_by_hash(ROOT / "requirements.lock", deps)
    assert "pip" in lock, "the installer bootstraps pip from the wheelhouse (packaging/installer.in)"
    assert "disclosure-workstation" not in lock     # its wheel is built, not downloaded: installed in a second step
    text = (ROOT / "requirements.lock").read_text("utf-8")
    assert "--index-url" not in text and "--find-links" not in text and "-e " not in text


def test_the_build_tools_are_pinned_and_agree_with_the_application_lock() -> None:
    app = read_lock(ROOT / "requirements.lock")
    build = read_lock(PACKAGING / "build.lock")
    for tool in ("pyinstaller", "pyinstaller-hooks-contrib", "pip-tools", "setuptools", "wheel"):
        assert tool in build and build[tool][1], f"{tool} is not pinned by hash in packaging/build.lock"
    for name in app.keys() & build.keys():
        assert app[name][0] == build[name][0], f"{name}: {app[name][0]} in requirements.lock, {build[name][0]} " \
                                               "in packaging/build.lock (run make lock)"


def test_the_test_lock_pins_the_application_its_test_extra_and_the_build_backend() -> None:
    """`make test`, `make run` and CI install from requirements-test.lock with --require-hashes: it must hold
    every dependency and every test tool of pyproject.toml within its range, each pin with hashes, pip and the
    build backend the editable install uses (--no-build-isolation), at the versions of the other two locks."""

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    wanted = [*project["project"]["dependencies"], *project["project"]["optional-dependencies"]["test"],
              *project["build-system"]["requires"]]
    lock = assert_pinned_by_hash(ROOT / "requirements-test.lock", wanted)
    assert "pip" in lock and "disclosure-workstation" not in lock
    for other in (ROOT / "requirements.lock", PACKAGING / "build.lock"):
        pins = read_lock(other)
        for name in pins.keys() & lock.keys():
            assert pins[name][0] == lock[name][0], \
                f"{name}: {pins[name][0]} in {other.name}, {lock[name][0]} in requirements-test.lock (run make lock)"
    text = (ROOT / "requirements-test.lock").read_text("utf-8")
    assert "--index-url" not in text and "--find-links" not in text and "-e " not in text


def test_the_test_venv_installs_from_the_lock_with_hashes() -> None:
    """The $(STAMP) rule (make test, make run, CI): every package from the lock, checked by hash; the project
    itself editable with no dependency resolved, nothing fetched to build it; `make audit` reads the lock too."""
    makefile = (ROOT / "Makefile").read_text("utf-8").replace("\\\n", " ")
    assert re.search(r"^TEST_LOCK\s*:=\s*requirements-test\.lock$", makefile, re.M)
    rule = re.search(r"^\$\(STAMP\):([^\n]*)\n((?:\t[^\n]*\n)+)", makefile, re.M)
    assert rule, "no $(STAMP) rule in the Makefile"
    assert "$(TEST_LOCK)" in rule.group(1).split()
    installs = [line for line in rule.group(2).splitlines() if "pip install" in line]
    assert len(installs) == 2, installs
    assert all(line.lstrip().startswith("$(PIP_CLEAN) ") for line in installs)   # no pip.conf, no find-links
    assert "--require-hashes -r $(TEST_LOCK)" in installs[0]
    assert all(opt in installs[1].split() for opt in ("--no-deps", "--no-build-isolation", "--no-index", "-e"))
    audit = re.search(r"^AUDIT_LOCKS\s*\?=(.*)$", makefile, re.M)
    assert audit and "$(TEST_LOCK)" in audit.group(1).split()
    lock_rule = makefile[makefile.index("\nlock:"):]
    assert "--extra test -o $(TEST_LOCK)" in lock_rule.split("\n\n")[0]


def test_the_suite_builds_the_wheel_with_the_build_backend_of_the_wheelhouse() -> None:
    """tests/test_reproducible.py builds the wheel in the test venv, without isolation: the same setuptools and
    wheel as packaging/build.lock, so what it proves holds for the wheel `make wheelhouse` ships."""
    from packaging.requirements import Requirement

    build = read_lock(PACKAGING / "build.lock")
    test_extra = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    pinned = {norm(r.name): str(r.specifier) for r in map(Requirement, test_extra["test"])}
    for tool in ("setuptools", "wheel"):
        assert pinned.get(tool) == f"=={build[tool][0]}", \
            f"pyproject.toml's test extra pins {tool}{pinned.get(tool)}, packaging/build.lock {build[tool][0]}"


def test_the_makefile_has_the_packaging_targets() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    for target in ("lock", "wheel", "wheelhouse", "bundle", "package-test", "audit", "sbom"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_the_desktop_entry() -> None:
    path = PACKAGING / "disclosure-workstation.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(path, encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Terminal"] == "false"
    assert d["Name"] == "Disclosure Workstation"
    assert d["Icon"] == "disclosure-workstation" and (PACKAGING / f"{d['Icon']}.svg").is_file()
    assert d["Exec"] == d["TryExec"] == "disclosure-workstation"   # the installers put the absolute path here
    assert d["Categories"].endswith(";") and "Office" in d["Categories"].split(";")
    validate = shutil.which("desktop-file-validate")
    if validate:
        done = subprocess.run([validate, str(path)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_icon_is_a_square_svg() -> None:
    root = ET.parse(PACKAGING / "disclosure-workstation.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 128 128" and root.get("width") == root.get("height") == "128"
    assert not any(el.tag.endswith("image") for el in root.iter())     # vector only, nothing embedded


@pytest.mark.parametrize("script", ["install.sh", "install-bundle.sh"])
def test_the_install_scripts_are_valid_posix_sh(script: str) -> None:
    path = PACKAGING / script
    done = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    text = path.read_text("utf-8")
    assert text.startswith("#!/bin/sh\n") and "set -eu" in text
    if script == "install.sh":
        assert "--no-index" in text and "--require-hashes" in text and "PIP_CONFIG_FILE=/dev/null" in text
    shellcheck = shutil.which("shellcheck")
    if shellcheck:
        done = subprocess.run([shellcheck, "-s", "sh", str(path)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout


def _spec_set(name: str) -> set[str]:
    tree = ast.parse((PACKAGING / "dws.spec").read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"{name} not found in packaging/dws.spec")


def test_the_bundle_keeps_every_qt_module_ui_imports() -> None:
    used: set[str] = set()
    for path in (ROOT / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("PySide6."):
                used.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                used.update(a.name.split(".")[1] for a in node.names if a.name.startswith("PySide6."))
    kept = _spec_set("QT_USED")
    assert used <= kept, f"ui/ imports {sorted(used - kept)}: add them to QT_USED in packaging/dws.spec"
    assert {"QtCore", "QtGui", "QtWidgets"} <= used


def test_the_example_policy_is_a_valid_policy() -> None:
    from workstation import policy

    example = policy.load(PACKAGING / "policy.example.json")
    assert example.crypto == "approved" and example.values["idle_lock_minutes"] == 10

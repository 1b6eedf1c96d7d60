"""Smoke tests of the offline installer and the frozen application, as built by `make wheelhouse` and
`make bundle`. They run with DWS_PACKAGING_TESTS=1 only (`make package-test` builds both, then runs these);
the normal suite skips them. Figures (sizes, start-up times) go to dist/package-test-figures.json.

Network: pip runs in a new network namespace where the machine allows one (`unshare -n`: no interface but
loopback), and always with every proxy variable pointing at a closed local port."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = ROOT / "dist" / "wheelhouse"
BUNDLE = ROOT / "dist" / "disclosure-workstation"
FIGURES = ROOT / "dist" / "package-test-figures.json"
DEAD = "http://127.0.0.1:9"          # the discard port: nothing listens, every connection is refused
# What `dws --version` says of the builds: their evaluation modules compiled by mypyc (workstation/compiled.py),
# unless built with DWS_MYPYC=0.
if os.environ.get("DWS_MYPYC") == "0":
    VERSION = "dws 0.1.0"
else:
    from workstation.compiled import MODULES
    VERSION = f"dws 0.1.0 (compiled with mypyc: {len(MODULES)} modules)"

if os.environ.get("DWS_PACKAGING_TESTS") != "1":
    pytest.skip("packaging smoke tests run with DWS_PACKAGING_TESTS=1 (make package-test)", allow_module_level=True)
pytestmark = pytest.mark.slow

# stderr lines the GUI may print on a headless run that are not errors
HARMLESS = re.compile(r"^(dws-startup-probe: |This plugin does not support propagateSizeHints\(\))")
BAD = re.compile(r"Traceback|Error|error|Could not|could not|Cannot|cannot|Failed|failed|QThread|QObject::|"
                 r"Segmentation|core dumped|internal error")


def record(**values: object) -> None:
    figures = json.loads(FIGURES.read_text("utf-8")) if FIGURES.exists() else {}
    figures.update(values)
    FIGURES.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", "utf-8")


def size_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6, 1)


def no_network() -> list[str]:
    """A command prefix that runs its program with no network, where this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    for prefix in ([unshare, "-n"], [unshare, "-rn"]):
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    return []


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The caller's environment less anything of ours or pip's, with private folders and dead proxies."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DWS_", "PIP_", "XDG_")) and k.lower() not in ("http_proxy", "https_proxy",
                                                                               "all_proxy", "no_proxy")}
    home = tmp / "home"
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"), XDG_STATE_HOME=str(home / ".local/state"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_CONFIG_DIRS=str(tmp / "etc-xdg"),
               DWS_NO_KEYRING="1", QT_QPA_PLATFORM="offscreen",
               PIP_PROXY=DEAD, PIP_INDEX_URL=f"{DEAD}/simple", PIP_RETRIES="0", PIP_TIMEOUT="2",
               http_proxy=DEAD, https_proxy=DEAD, all_proxy=DEAD, HTTP_PROXY=DEAD, HTTPS_PROXY=DEAD)
    env.update(extra)
    return env


def run(args: list[str | Path], env: dict[str, str], timeout: float = 300, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False, **kw)  # type: ignore[call-overload]


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"{done.args}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text("utf-8").splitlines():
        if m := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line):
            pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return pins


# --- the offline installer -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wheelhouse_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheelhouse as it arrives on a desktop: a copy somewhere else."""
    if not (WHEELHOUSE / "install").is_file():
        pytest.fail("no dist/wheelhouse: run make wheelhouse (or make package-test)")
    record(wheelhouse_mb=size_mb(WHEELHOUSE), wheelhouse_wheels=len(list(WHEELHOUSE.glob("*.whl"))))
    copy = tmp_path_factory.mktemp("usb") / "wheelhouse"
    shutil.copytree(WHEELHOUSE, copy)
    return copy


def test_the_wheelhouse_installs_and_runs_with_no_network(wheelhouse_copy: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    nonet = no_network()
    prefix, bindir = tmp_path / "app", tmp_path / "bin"
    started = time.perf_counter()
    done = ok(run([*nonet, "sh", wheelhouse_copy / "install", "--prefix", prefix, "--bin-dir", bindir], env))
    record(wheelhouse_install_seconds=round(time.perf_counter() - started, 1),
           wheelhouse_network_blocked_by="network namespace (unshare) and dead proxies" if nonet
           else "dead proxies only (no unshare here)")
    assert f"the command line is {bindir / 'dws'}" in done.stdout
    assert (bindir / "dws").resolve() == (prefix / "bin" / "dws").resolve()

    # exactly the locked versions, and the application
    listed = json.loads(ok(run([prefix / "bin" / "python", "-m", "pip", "list", "--format=json"], env)).stdout)
    installed = {re.sub(r"[-_.]+", "-", p["name"]).lower(): p["version"] for p in listed}
    assert installed.pop("disclosure-workstation") == "0.1.0"
    assert installed == lock_pins()

    # the menu entry points at the installed program, the icon is there
    apps = tmp_path / "home/.local/share/applications/disclosure-workstation.desktop"
    exec_line = next(line for line in apps.read_text("utf-8").splitlines() if line.startswith("Exec="))
    assert exec_line == f'Exec="{prefix}/bin/disclosure-workstation"'
    assert (prefix / "bin/disclosure-workstation").exists()
    assert (tmp_path / "home/.local/share/icons/hicolor/scalable/apps/disclosure-workstation.svg").is_file()

    assert ok(run([*nonet, bindir / "dws", "--version"], env)).stdout.strip() == VERSION
    store = tmp_path / "store"
    done = ok(run([*nonet, bindir / "dws", "--store", store, "demo", "--taxpayers", "1000", "--bulk-subjects", "101"],
                  env))
    assert f"Demo store created at {store}" in done.stdout
    rows = json.loads(ok(run([bindir / "dws", "--store", store, "list", "--json"], env | {
        "DWS_USER": "rita", "DWS_PASSPHRASE": "demo-rita-passphrase"})).stdout)
    assert len(rows) > 10
    # the desktop application's modules import in the installed environment
    ok(run([prefix / "bin/python", "-c", "import ui.app, ui.main_window, PySide6.QtPrintSupport"], env))


@pytest.mark.skipif(os.environ.get("DWS_MYPYC") == "0", reason="built with DWS_MYPYC=0: nothing compiled")
def test_the_wheelhouse_evaluates_compiled_with_the_golden_results(wheelhouse_copy: Path, tmp_path: Path) -> None:
    """tests/test_compiled.py, test_evaluate_golden.py and the checks' property tests against the independent
    evaluator (test_reference_evaluator.py) run with the application imported from the installed wheelhouse (its
    evaluation modules compiled by mypyc; the test tools from this venv, at the same pins): both paths of issue 15,
    the pure one in `make test`, the compiled one here."""
    env = clean_env(tmp_path)
    prefix = tmp_path / "app"
    ok(run([*no_network(), "sh", wheelhouse_copy / "install", "--prefix", prefix, "--bin-dir", tmp_path / "bin"],
           env))
    (site,) = (prefix / "lib").glob("python3*/site-packages")
    assert list((site / "workstation").rglob("*.so"))
    started = time.perf_counter()
    done = ok(run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--rootdir", ROOT,
                   "-c", ROOT / "pyproject.toml", ROOT / "tests/test_compiled.py",
                   ROOT / "tests/test_evaluate_golden.py", ROOT / "tests/test_reference_evaluator.py"],
                  env | {"PYTHONPATH": str(site)}, timeout=900,
                  cwd=tmp_path))
    record(wheelhouse_compiled_golden_seconds=round(time.perf_counter() - started, 1))
    for test in ("test_every_evaluation_module_runs_compiled", "test_the_compiled_evaluation_gives_the_golden_"
                 "digests[1]", "test_the_compiled_evaluation_gives_the_golden_digests[2]"):
        assert f"test_compiled.py::{test} PASSED" in done.stdout, done.stdout[-3000:]
    assert " failed" not in done.stdout and "test_every_request_evaluates_exactly_as_before" in done.stdout
    assert re.search(r"test_reference_evaluator\.py::\w+ PASSED", done.stdout), done.stdout[-3000:]


def test_the_installer_refuses_a_changed_wheelhouse(wheelhouse_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "wheelhouse"
    shutil.copytree(wheelhouse_copy, bad)
    victim = next(bad.glob("platformdirs-*.whl"))
    victim.write_bytes(victim.read_bytes() + b"\0")
    done = run(["sh", bad / "install", "--prefix", tmp_path / "app", "--bin-dir", tmp_path / "bin"],
               clean_env(tmp_path))
    assert done.returncode != 0
    assert "does not match SHA256SUMS" in done.stderr
    assert not (tmp_path / "app").exists()


@pytest.mark.parametrize("folder", [WHEELHOUSE, BUNDLE], ids=["wheelhouse", "bundle"])
def test_the_release_folder_is_signed_and_verifies(folder: Path, tmp_path: Path) -> None:
    """packaging/verify.sh, as a reviewer runs it: the signature over SHA256SUMS, every sum, no file added;
    the copy the folder carries is the same script."""
    done = run(["sh", ROOT / "packaging/verify.sh", folder, folder / "release-key.pub.pem"], clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {folder}: ") and " files match SHA256SUMS, signed by the key " in done.stdout
    assert (folder / "verify.sh").read_bytes() == (ROOT / "packaging/verify.sh").read_bytes()
    listed = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text("utf-8").splitlines()}
    assert {"sbom.cdx.json", "THIRD-PARTY-NOTICES", "verify.sh", "BUILD-INFO.txt"} <= listed


# --- the frozen application ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dws() -> Path:
    exe = BUNDLE / "dws"
    if not exe.is_file():
        pytest.fail("no dist/disclosure-workstation: run make bundle (or make package-test)")
    return exe


def test_the_bundle_holds_only_what_the_application_uses(dws: Path) -> None:
    internal = BUNDLE / "_internal"
    qt_modules = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.abi3.so")}
    assert qt_modules == {"QtCore", "QtGui", "QtWidgets", "QtPrintSupport", "QtPdf", "QtPdfWidgets"}
    libs = {p.name for p in internal.rglob("libQt6*.so*")}
    for unused in ("Quick", "Qml", "WebEngine", "3D", "Multimedia", "Sql", "Test", "Designer", "Help"):
        assert not any(name.startswith(f"libQt6{unused}") for name in libs), unused
    assert not (internal / "PySide6/Qt/translations").exists()
    assert not list(internal.rglob("libgtk-3*")), "the GTK platform theme (and GTK) must stay out"
    for name in ("tests", "pytest", "_pytest", "pytestqt", "pip", "setuptools", "tkinter"):
        assert not (internal / name).exists(), name
    toc = (ROOT / "build/packaging/pyinstaller/dws/PYZ-00.toc")
    if toc.exists():
        modules = set(re.findall(r"\('([\w.]+)',\s*\n?\s*'", toc.read_text("utf-8")))
        assert not {m for m in modules if m.split(".")[0] in ("tests", "pytest", "_pytest", "pip", "setuptools",
                                                                 "unittest", "tkinter")}
    for data in ("resources/rules/citations.json", "resources/letters/manifest.json",
                 "workstation/store/migrations/0001_initial.sql"):
        assert (internal / data).is_file(), data
    record(bundle_mb=size_mb(BUNDLE), bundle_qt_modules=sorted(qt_modules))
    assert size_mb(BUNDLE) < 250


def test_the_frozen_command_line(dws: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    times = []
    for _ in range(6):
        started = time.perf_counter()
        assert ok(run([dws, "--version"], env)).stdout.strip() == VERSION
        times.append(time.perf_counter() - started)
    record(frozen_version_seconds_first=round(times[0], 3), frozen_version_seconds_median=round(
        statistics.median(times[1:]), 3))

    (tmp_path / "pw").write_text("admin-passphrase-1\n", "utf-8")
    done = ok(run([dws, "--store", tmp_path / "new", "init", "--admin", "admin", "--passphrase-file",
                   tmp_path / "pw"], env))
    assert "Recovery code" in done.stdout                        # the migrations loaded from the bundle

    store = tmp_path / "demo"
    started = time.perf_counter()
    ok(run([dws, "--store", store, "demo", "--taxpayers", "1000", "--bulk-subjects", "101"], env))
    record(frozen_demo_seconds=round(time.perf_counter() - started, 1))
    rita = env | {"DWS_STORE": str(store), "DWS_USER": "rita", "DWS_PASSPHRASE": "demo-rita-passphrase"}
    result = json.loads(ok(run([dws, "evaluate", "DEMO-I2-PARTIAL", "--json"], rita)).stdout)
    assert result["recommendation"] in ("grant", "partial", "deny")
    assert result["findings"] and all(f["citation"].startswith("26 U.S.C.") for f in result["findings"]
                                      if f["scope"] == "request")   # resources/rules/citations.json loaded
    # evaluation workers are multiprocessing "spawn" processes of this very program: same results as one process
    results = []
    for workers, as_of in (("1", "2026-11-18"), ("2", "2026-11-19")):
        done = ok(run([dws, "evaluate", "DEMO-I2-BULK", "--json", "--as-of", as_of],
                      rita | {"DWS_EVAL_WORKERS": workers, "DWS_EVAL_PARALLEL_MIN": "1"}))
        results.append({k: v for k, v in json.loads(done.stdout).items() if k != "as_of"})
    assert results[0] == results[1] and results[0]["counts"]["subjects"] == 101

    if run([dws, "letter", "--help"], env).returncode != 0:
        record(frozen_letter="skipped: this build has no `dws letter` command yet")
        print("SKIPPED the letter step: `dws letter --help` fails in this build (the command is not there yet)")
    else:
        queue = json.loads(ok(run([dws, "list", "--json"], rita)).stdout)
        request = next(r["request_id"] for r in queue if r["recommendation"] == "deny")
        ok(run([dws, "decide", request, "--outcome", "deny"], rita))
        pdf = tmp_path / "letter.pdf"
        started = time.perf_counter()
        ok(run([dws, "letter", request, "-o", pdf], rita))
        record(frozen_letter=f"declination letter for {request} in {time.perf_counter() - started:.2f} s "
                             "(process start included)")
        assert pdf.read_bytes().startswith(b"%PDF-")
        ok(run([dws, "verify-letter", pdf], rita))                   # letter texts and QR code from the bundle
    assert not (tmp_path / "home/.local/state/disclosure-workstation/log").exists(), "a crash report was written"


def test_the_frozen_demo_worker_gives_the_same_bytes(dws: Path, tmp_path: Path) -> None:
    """Demo workers start as `sys.executable -m workstation.demo.worker` (workstation/demo/parallel.py)."""
    spec = json.dumps({"kind": "records", "config": {"seed": 7, "today": "2026-11-25", "taxpayers": 40},
                       "worker": 0, "workers": 1, "tasks": 1})
    env = clean_env(tmp_path)
    frozen = subprocess.run([str(dws), "-m", "workstation.demo.worker", spec], env=env, capture_output=True,
                            timeout=60, check=False)
    source = subprocess.run([sys.executable, "-m", "workstation.demo.worker", spec], capture_output=True,
                            env=env | {"PYTHONPATH": str(ROOT)}, timeout=60, check=False, cwd=ROOT)
    assert frozen.returncode == source.returncode == 0, frozen.stderr + source.stderr
    assert frozen.stdout == source.stdout and len(frozen.stdout) > 1000
    refused = run([dws, "-m", "os"], env)
    assert refused.returncode == 2 and "runs only workstation.demo.worker" in refused.stderr


def test_the_frozen_desktop_application_starts_offscreen(dws: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path, DWS_STARTUP_PROBE="3")
    ok(run([dws, "--store", tmp_path / "demo", "demo", "--taxpayers", "1000", "--bulk-subjects", "101"], env))
    started = time.perf_counter()
    lines: list[str] = []
    first_window = None
    with subprocess.Popen([str(dws), "--store", str(tmp_path / "demo"), "gui"], env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                lines.append(line.rstrip("\n"))
                if first_window is None and "first window" in line:
                    first_window = time.perf_counter() - started
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    err = "\n".join(lines)
    assert proc.returncode == 0, err
    assert first_window is not None, f"no window was shown:\n{err}"
    assert "first window UnlockDialog shown" in err and re.search(r"imported \d+ ui modules", err), err
    bad = [line for line in lines if not HARMLESS.match(line) and BAD.search(line)]
    assert not bad, err
    record(frozen_gui_first_window_seconds=round(first_window, 3),
           frozen_gui_stderr_other_lines=[line for line in lines if not HARMLESS.match(line)])


@pytest.mark.skipif(not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
                    reason="needs dbus-run-session and gnome-keyring-daemon (a private Secret Service)")
def test_the_frozen_application_binds_the_store_to_the_os_keyring(dws: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env.pop("DWS_NO_KEYRING")
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(run_dir)
    (tmp_path / "pw").write_text("admin-passphrase-1\n", "utf-8")
    script = ('printf %s keyring-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && '
              f'"{dws}" --store "{tmp_path / "store"}" --json init --admin admin --passphrase-file "{tmp_path / "pw"}"')
    done = ok(run(["dbus-run-session", "--", "sh", "-c", script], env, timeout=120))
    assert json.loads(done.stdout[done.stdout.index("{"):])["device_binding"] is True
    record(frozen_keyring="Secret Service (gnome-keyring): the store is device-bound")


def test_the_bundle_installs(dws: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    prefix, bindir = tmp_path / "opt", tmp_path / "bin"
    done = ok(run(["sh", BUNDLE / "install", "--prefix", prefix, "--bin-dir", bindir], env))
    assert f"Installed {VERSION}" in done.stdout
    assert ok(run([bindir / "dws", "--version"], env)).stdout.strip() == VERSION      # through the link
    entry = (tmp_path / "home/.local/share/applications/disclosure-workstation.desktop").read_text("utf-8")
    assert f'Exec="{prefix}/dws" gui' in entry

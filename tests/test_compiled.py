"""The evaluation's hot modules run compiled by mypyc in the wheelhouse and the bundle (setup.py, DWS_MYPYC=1;
workstation/compiled.py names them) and as plain Python everywhere else. `make test` runs the pure-Python
source: the first test holds it to that. The others run where the compiled build is installed — `make
package-test` runs this file and test_evaluate_golden.py against the installed wheelhouse
(test_packaging_smoke.py) — and are skipped elsewhere: every module loads compiled, `dws --version` says so, and
the compiled evaluation gives the golden digests of the pure one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workstation.compiled import MODULES, compiled, is_compiled

COMPILED = bool(compiled())
needs_compiled = pytest.mark.skipif(not COMPILED, reason="the compiled build (make package-test, the wheelhouse)")


@pytest.mark.skipif(COMPILED, reason="the compiled build is installed here")
def test_the_suite_runs_the_pure_python_source() -> None:
    """No stale extension of an in-place mypyc build shadows the source the suite means to test."""
    root = Path(__file__).resolve().parents[1]
    assert [m for m in MODULES if is_compiled(m)] == []
    assert not list((root / "workstation").rglob("*.so")), "remove the compiled modules from the source tree"


@needs_compiled
def test_every_evaluation_module_runs_compiled(capsys: pytest.CaptureFixture[str]) -> None:
    from workstation.cli.main import build_parser

    assert compiled() == list(MODULES)
    import workstation.rules.subjects as subjects
    import workstation.service.subject_pass as subject_pass

    assert not subjects.__file__.endswith(".py") and not subject_pass.__file__.endswith(".py")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--version"])
    assert capsys.readouterr().out.strip() == f"dws 0.1.0 (compiled with mypyc: {len(MODULES)} modules)"


@needs_compiled
@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_compiled_evaluation_gives_the_golden_digests(tmp_path: Path, workers: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request of the golden demo store, a first evaluation, in one process and on two workers (which
    import the compiled modules too)."""
    import test_evaluate_golden as golden

    monkeypatch.setenv("DWS_NO_KEYRING", "1")
    monkeypatch.setenv("DWS_EVAL_WORKERS", workers)
    monkeypatch.setenv("DWS_EVAL_PARALLEL_MIN", "200")
    expected = json.loads(golden.GOLDEN.read_text(encoding="utf-8"))["demo"]
    golden.create_demo_store(tmp_path / "demo", **golden.DEMO_ARGS)
    with golden.Workstation(tmp_path / "demo").unlock("rita", golden.demo_passphrase("rita")) as s:
        got = {rid: golden.digest(s, rid, golden.DEMO_AS_OF, "none") for rid in golden.request_ids(s)}
    assert got == expected

"""Stores built once for a module's tests, on each engine (tests/engines.py): `module_engine` for a module whose
tests only read what it made (one store per engine, the tests parametrized by the fixture's params), and
`EngineTemplate` for one whose tests change it (built once per engine, copied for each test: the local store's
folder, or the office database the engine server keeps as a template). `demo_on` fills a store on either engine
with the demo's files (workstation.demo) through StoreEngine.

    @pytest.fixture(scope="module", params=ENGINES)
    def built(request, tmp_path_factory) -> EngineTemplate:
        root = tmp_path_factory.mktemp(f"x-{request.param}")
        return EngineTemplate.build(request.param, request, root, lambda engine: fill(engine, root))

    @pytest.fixture
    def engine(built, tmp_path, monkeypatch) -> Iterator[Engine]:
        yield from engine_from(built, tmp_path, monkeypatch)
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from engines import DBNAME, Engine, Kind, LocalEngine, OfficeServer, new_engine


@contextmanager
def module_engine(kind: Kind, request: pytest.FixtureRequest, folder: Path) -> Iterator[Engine]:
    """A new store on one engine for a module-scoped fixture (one store built once for a module's tests that only
    read what it made: `@pytest.fixture(scope="module", params=ENGINES)`). An office is this process's one office
    database: close it (leave the block) before any test takes `engine`, which makes it again."""
    from workstation.service.office_evaluation import SCRATCH_ENV

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SCRATCH_ENV, str(folder / "cache"))
        made = new_engine(kind, request, folder)
        try:
            yield made
        finally:
            made.close()


@dataclass
class EngineTemplate:
    """A store built once on one engine (a module's data), copied for each test that changes it: the local store's
    folder, or the office database the engine's server keeps (OfficeServer.keep)."""

    kind: Kind
    folder: Path                    # the local store, or the folder its office was built in
    dbname: str | None = None
    host: OfficeServer | None = None

    @classmethod
    def build(cls, kind: Kind, request: pytest.FixtureRequest, folder: Path,
              fill: Callable[[Engine], None]) -> EngineTemplate:
        """A store on `kind` filled by `fill(engine)` (in a module-scoped fixture)."""
        with module_engine(kind, request, folder) as made:
            fill(made)
        if kind == "local":
            return cls(kind, folder / "store")
        name = re.sub(r"\W", "_", f"{DBNAME}_{request.node.name}".lower())[:60]
        host: OfficeServer = request.getfixturevalue("engine_server")
        host.keep(name)
        return cls(kind, folder, name, host)

    def fresh(self, folder: Path) -> Engine:
        """A copy of the built store for one test (in `folder`, the test's)."""
        if self.kind == "local":
            shutil.copytree(self.folder, folder / "store")
            return LocalEngine(folder / "store", _made=True)
        assert self.host is not None and self.dbname is not None
        return self.host.fresh_office(self.dbname)


def engine_from(template: EngineTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The `engine` fixture of a module whose tests start from a built store (the module's docstring)."""
    from workstation.service.office_evaluation import SCRATCH_ENV

    monkeypatch.setenv(SCRATCH_ENV, str(tmp_path / "cache"))
    made = template.fresh(tmp_path)
    try:
        yield made
    finally:
        made.close()


def demo_on(engine: Engine, folder: Path, today: date, as_of: date | None = None, preparer: str = "rita",
            **sizes: int) -> list[str]:
    """The demo's files (workstation.demo.generator, dated from `today`, of `sizes`) imported into `engine` as the
    demo store imports them (agencies by the admin, court orders by counsel, records and requests by the
    preparer) and every request evaluated as of `as_of` (default `today`) by the preparer (on an office, the
    claimant of every request): the request ids."""
    from workstation.demo.generator import generate

    files = generate(folder, today=today, **sizes)   # type: ignore[arg-type]
    with engine.open("ada") as ada:
        for agency in files.agencies:
            ada.import_agency(agency)
    with engine.open("cora") as cora:
        for order in files.orders:
            cora.import_order(order)
    with engine.open(preparer) as rita:
        rita.import_records(files.records_csv)
        for r in files.requests:
            rita.import_request(r.path)
        for r in files.requests:
            rita.evaluate(r.request_id, as_of or today)
    return [r.request_id for r in files.requests]

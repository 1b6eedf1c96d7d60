"""The layers (DESIGN.md): the core never imports Qt, the service modules import one way, and all SQL is in
workstation/store/."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "workstation"


def test_no_core_module_loads_pyside6() -> None:
    modules = sorted(
        "workstation." + ".".join(p.relative_to(CORE).with_suffix("").parts).removesuffix(".__init__")
        for p in CORE.rglob("*.py")
    )
    modules = [m.removesuffix(".__init__") for m in modules]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'ui')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt or ui loaded by the core: {out.stdout.strip()}"
    assert len(modules) > 10


def test_no_core_source_mentions_qt() -> None:
    """Only `dws gui` reaches into `ui`, lazily, to start the application."""
    offenders = [p.name for p in CORE.rglob("*.py") if "PySide6" in p.read_text(encoding="utf-8")]
    launchers = [p.name for p in CORE.rglob("*.py") if "from ui" in p.read_text(encoding="utf-8")]
    assert offenders == []
    assert launchers == ["commands_admin.py"]


# --- the import graph, read from the source (ast), not by importing (issue 18 item 21) ----------------------

SERVICE = CORE / "service"
FACADE = {"__init__", "session", "session_users", "session_log", "session_letters"}   # the Session facade, its mixins


def _module_name(path: Path) -> str:
    return ".".join(("workstation", *path.relative_to(CORE).with_suffix("").parts)).removesuffix(".__init__")


def _is_module(dotted: str) -> bool:
    parts = dotted.split(".")[1:]
    base = CORE.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """The workstation modules `path` imports anywhere in it (function bodies and TYPE_CHECKING blocks too)."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("workstation"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and node.module.startswith("workstation"):
                target = node.module
            else:
                continue
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}"))
    return {m for m in found if _is_module(m)}


def _service_graph() -> dict[str, set[str]]:
    names = {p.stem for p in SERVICE.glob("*.py")}
    graph = {}
    for p in SERVICE.glob("*.py"):
        imported = {m.rsplit(".", 1)[1] for m in _imports(p) if m.startswith("workstation.service.")}
        graph[p.stem] = (imported & names) - {p.stem}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_service_modules_import_each_other_one_way() -> None:
    """Services take a Ctx (service/context.py); Session only composes them: no module imports the facade, and
    no two modules import each other, however indirectly."""
    graph = _service_graph()
    assert {"session", "evaluation", "decisions", "letters"} <= set(graph)
    assert _cycles(graph) == []
    upward = sorted(f"{m} -> {', '.join(sorted(deps & FACADE))}" for m, deps in graph.items()
                    if m not in FACADE and deps & FACADE)
    assert upward == []


def test_the_graph_reader_sees_a_cycle_and_every_kind_of_import() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    seen = _imports(SERVICE / "session.py")          # lazy imports inside methods count too
    assert {"workstation.service.settings_view", "workstation.service.context", "workstation.store.opening"} <= seen


def test_the_store_and_normalize_import_nothing_above_them() -> None:
    """store/ holds the SQL and takes the office policy's settings from its caller; normalize.py reads the USPS
    tables from workstation/usps.py, below both it and the rules."""
    store = {p.name: sorted(m for m in _imports(p) if m.startswith(("workstation.policy", "workstation.service",
                                                                      "workstation.cli")))
             for p in (CORE / "store").rglob("*.py")}
    assert {name: found for name, found in store.items() if found} == {}
    normalize = sorted(m for m in _imports(CORE / "normalize.py") if m.startswith("workstation.rules"))
    assert normalize == []


# --- SQL lives in workstation/store/ only (DESIGN.md: the store holds all SQL) ------------------------------

STORE = CORE / "store"
# A string that starts a statement: the keyword in capitals, then more of the statement (messages and labels
# that begin "Update" or "Select" are not statements, nor is a lone word such as the character name "DELETE").
_KEYWORDS = ("SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|CREATE|DROP|ALTER|PRAGMA|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|"
             "COMMIT|VACUUM|ATTACH|DETACH")
_STATEMENT = re.compile(rf"\s*({_KEYWORDS})\s+\S")
_STATEMENT_HEAD = re.compile(rf"\s*({_KEYWORDS})\s")       # an f-string's first part: more follows it
_CURSOR_CALLS = {"execute", "executemany", "executescript"}


def _sql_in(source: str) -> list[str]:
    """Where `source` runs SQL or spells a statement: calls of .execute/.executemany/.executescript, and
    strings (f-strings too) that begin with an SQL statement's keyword. In line order."""
    found: list[tuple[int, str]] = []
    tree = ast.parse(source)
    in_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _CURSOR_CALLS:
            found.append((node.lineno, f".{node.func.attr}("))
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            head = node.values[0].value
            more = len(node.values) > 1
            if isinstance(head, str) and (_STATEMENT.match(head) or (more and _STATEMENT_HEAD.match(head))):
                found.append((node.lineno, repr(head.strip()[:40])))
        elif (isinstance(node, ast.Constant) and id(node) not in in_fstrings and isinstance(node.value, str)
              and _STATEMENT.match(node.value)):
            found.append((node.lineno, repr(node.value.strip()[:40])))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_no_sql_outside_the_store() -> None:
    """workstation/service/ (and the rest of workstation/ but store/, and ui/) calls the store's functions; it
    never runs a query or spells one."""
    sources = [p for p in CORE.rglob("*.py") if STORE not in p.parents] + list((CORE.parent / "ui").rglob("*.py"))
    offenders = {str(p.relative_to(CORE.parent)): found for p in sorted(sources)
                 if (found := _sql_in(p.read_text(encoding="utf-8")))}
    assert len(sources) > 100 and offenders == {}


def test_the_sql_finder_sees_queries_and_passes_messages() -> None:
    source = 'conn.execute(q)\nx = "SELECT a FROM b"\ny = f"DELETE FROM {t} WHERE 1"\nz = f"UPDATE {t} SET a"'
    assert _sql_in(source) == [
        "line 1: .execute(", "line 2: 'SELECT a FROM b'", "line 3: 'DELETE FROM'", "line 4: 'UPDATE'"]
    assert _sql_in('m = "Update the records first"\nn = f"Select {x} first"\no = "SELECTED"\np = "DELETE"') == []
    assert _sql_in((STORE / "decisions.py").read_text(encoding="utf-8")) != []       # the store's own SQL is seen

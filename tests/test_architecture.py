"""The layers of docs/architecture.md, held by reading every module's imports (``ast``: nothing
is imported to check them)."""

from __future__ import annotations

import ast
import glob
import os
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "actopt"

# a package may import only packages of a lower layer (and its own modules); "_registry",
# "_numbers", "_resources", "_json", "_processes" and the package root ("actopt": __version__) are
# shared utilities below everything
LAYERS = {
    "_registry": 0,
    "_numbers": 0,
    "_resources": 0,
    "_json": 0,
    "_processes": 0,
    "activations": 1,
    "optim": 1,
    "data": 1,
    "models": 2,
    "landscapes": 2,
    "audit": 2,
    "train": 3,
    "bench": 4,
    "report": 5,
    "claims": 5,  # runs through the bench; reads landscapes and the auditor
    "playground": 5,  # saves to a bench store, trains with train
    "search": 5,  # screens with audit, trains through bench's store
    "cli": 6,
}
UTILITIES = {"actopt", "actopt._registry", "actopt._numbers", "actopt._resources",
             "actopt._json", "actopt._processes", "actopt.__init__"}  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _imports(path: Path) -> set[str]:
    """The actopt modules ``path`` imports at run time (lazy imports in functions included,
    ``if TYPE_CHECKING:`` ones not)."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("actopt")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if not base.startswith("actopt"):
                continue
            for a in node.names:  # "from . import _fused" imports a module, not a name
                sub = f"{base}.{a.name}"
                is_module = (SRC.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                found.add(
                    sub if is_module or (SRC.parent / sub.replace(".", "/")).is_dir() else base
                )
    return found


MODULES = {_module_name(p): _imports(p) for p in sorted(SRC.rglob("*.py"))}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "actopt"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    mine = _package(module)
    if mine in ("__main__",):
        return
    for target in MODULES[module]:
        theirs = _package(target)
        if target in UTILITIES or theirs == mine or module in UTILITIES:
            continue
        assert LAYERS[theirs] < LAYERS[mine], (
            f"{module} imports {target}: {mine} is not above {theirs}"
        )


def test_nothing_imports_the_cli_and_activations_and_optim_ignore_each_other():
    for module, targets in MODULES.items():
        if _package(module) not in ("cli", "__main__"):
            assert not any(_package(t) == "cli" for t in targets), module
        for a, b in (("activations", "optim"), ("optim", "activations")):
            if _package(module) == a:
                assert not any(_package(t) == b for t in targets), module


def test_no_module_imports_itself_back():
    """No cycle between modules, lazy imports included (spec → module, never module → spec)."""
    graph = {m: {t for t in ts if t in MODULES and t != m} for m, ts in MODULES.items()}
    # a package's __init__ re-exports its modules: only cycles through real modules count
    inits = {m for m in MODULES if (SRC.parent / m.replace(".", "/") / "__init__.py").exists()}
    graph = {m: ts - inits for m, ts in graph.items() if m not in inits}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in graph.get(m, ()):
            assert state.get(t) != 1, " → ".join([*path, m, t])
            if t not in state:
                visit(t, [*path, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


def test_report_reads_only_the_stores_side_of_the_bench():
    """(tests/report checks the same at run time: no torch in sys.modules.)"""
    allowed = {"actopt.bench", "actopt.bench._store", "actopt.bench._stats", "actopt._json",
               "actopt._numbers"}  # fmt: skip
    for module, targets in MODULES.items():
        if _package(module) == "report":
            assert {t for t in targets if _package(t) != "report"} <= allowed, module


def _python_310() -> str | None:
    home = os.path.expanduser("~/.pyenv/versions/3.10*/bin/python")
    for candidate in ["python3.10", *sorted(glob.glob(home))]:
        try:
            done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=30)  # fmt: skip
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == "(3, 10)":
            return candidate
    return None


def test_every_module_imports_under_python_3_10():
    """The lowest Python pyproject allows (the dependencies stubbed: .ci/py310_imports.py)."""
    python = _python_310()
    if python is None:
        pytest.skip("no Python 3.10 on this machine")
    script = SRC.parents[1] / ".ci" / "py310_imports.py"
    done = subprocess.run([python, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

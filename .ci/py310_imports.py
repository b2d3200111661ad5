"""Import every actopt module under the lowest Python pyproject allows (3.10).

No wheels are needed: every package pyproject.toml declares is replaced by a permissive stub,
so what this checks is actopt's own code: its syntax and the standard library it uses
(``tomllib`` is 3.11+, so it needs its ``tomli`` fallback; ``typing.Self``, ``enum.StrEnum``,
``except*`` … fail here too), and that it imports no package pyproject does not declare. Run it
as ``python3.10 .ci/py310_imports.py`` from the repository root.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import pkgutil
import re
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "src"
_IMPORT_NAMES = {"pillow": "PIL"}  # distributions imported under another name


def declared() -> set[str]:
    """Import names of the dependencies (and extras) pyproject.toml declares, read without a
    TOML parser (Python 3.10 has none)."""
    text = (REPO / "pyproject.toml").read_text()
    project = text.split("[project]", 1)[1].split("\n[tool.", 1)[0]
    dists = re.findall(r'^\s*"([A-Za-z0-9][A-Za-z0-9._-]*)', project, flags=re.M)
    dists += re.findall(r'=\s*\[\s*"([A-Za-z0-9][A-Za-z0-9._-]*)', project)
    dists += re.findall(r',\s*"([A-Za-z0-9][A-Za-z0-9._-]*)', project)
    return {_IMPORT_NAMES.get(d.lower(), d.lower().replace("-", "_")) for d in dists}


class _Meta(type):
    def __getattr__(cls, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Stub


class _Stub(metaclass=_Meta):
    """Anything a module does with a third-party name at import time: call it, subclass it,
    index it, do arithmetic with it, read attributes from it."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Stub()

    def __call__(self, *args, **kwargs):
        return _Stub()

    def __getitem__(self, key):
        return _Stub()

    def __iter__(self):
        return iter(())

    def _op(self, *other):
        return _Stub()

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _op
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __or__ = __ror__ = _op


class _StubModule(types.ModuleType):
    __path__: list[str] = []  # a package: its submodules are stubs too

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Stub


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, packages: set[str]) -> None:
        self.packages = packages

    def find_spec(self, fullname, path, target=None):
        if fullname.partition(".")[0] not in self.packages:
            return None  # the standard library, actopt, or an undeclared package: real imports
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        return _StubModule(spec.name)

    def exec_module(self, module) -> None:
        pass


def main() -> int:
    if sys.version_info[:2] != (3, 10):
        print(f"py310_imports: run under Python 3.10, not {sys.version.split()[0]}")
        return 2
    sys.path.insert(0, str(ROOT))
    sys.meta_path.insert(0, _StubFinder(declared()))
    import actopt

    names = ["actopt"] + [
        m.name for m in pkgutil.walk_packages(actopt.__path__, "actopt.") if m.name != "actopt.__main__"
    ]
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as e:  # report every module, not only the first
            failed.append(f"{name}: {type(e).__name__}: {e}")
    for line in failed:
        print(line)
    print(f"Python {sys.version.split()[0]}: {len(names) - len(failed)}/{len(names)} actopt modules import")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

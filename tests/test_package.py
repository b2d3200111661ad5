"""The package surface: lazy subpackages, no torch at ``import actopt``, py.typed, --version."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import actopt
from actopt.cli import main

ROOT = Path(__file__).resolve().parents[1]
ON_DISK = sorted(m.name for m in pkgutil.iter_modules(actopt.__path__) if m.ispkg)
PUBLIC = [n for n in ON_DISK if not n.startswith("_") and n != "cli"]


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_actopt_does_not_import_torch_until_a_subpackage_is_used():
    out = _python(
        "import sys, actopt\n"
        "print('torch' in sys.modules, actopt.__version__)\n"
        "print(actopt.optim.names()[0], actopt.activations.get('relu'), 'torch' in sys.modules)\n"
        "import actopt.models\n"
        "print(actopt.models is sys.modules['actopt.models'])\n"
    )
    assert out.split("\n")[:3] == [
        "False " + actopt.__version__,
        "sgd Activation(relu) True",
        "True",
    ]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_subpackage_on_disk_is_reachable_and_listed(name):
    assert name in actopt.__all__ and name in dir(actopt)
    module = getattr(actopt, name)
    assert isinstance(module, ModuleType) and module.__name__ == f"actopt.{name}"


def test_unknown_attributes_raise_attribute_error():
    with pytest.raises(AttributeError, match="module 'actopt' has no attribute 'nope'"):
        actopt.nope  # noqa: B018
    assert not hasattr(actopt, "cli_")


def test_the_package_ships_py_typed():
    assert (Path(actopt.__file__).parent / "py.typed").is_file()
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["actopt"]


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"actopt {actopt.__version__}\n"
    out = subprocess.run(
        [sys.executable, "-m", "actopt", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout == f"actopt {actopt.__version__}\n"

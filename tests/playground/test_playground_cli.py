"""``actopt playground`` from the command line, and the page shipped inside the package."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import actopt
from actopt.cli import main
from actopt.playground import STATIC

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["playground", "--help"])
    text = capsys.readouterr().out
    for flag in ("--port", "--host", "--no-browser", "--store"):
        assert flag in text


def test_a_taken_port_is_a_usage_error(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["playground", "--port", str(port), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and f"127.0.0.1:{port}" in err and "--port" in err


def test_bad_port_is_a_usage_error(capsys):
    assert main(["playground", "--port", "70000"]) == 2
    assert "--port must be in 0..65535" in capsys.readouterr().err


def test_the_command_serves_the_page(tmp_path):
    """The real command in its own process: it prints its address and serves until stopped."""
    src = str(Path(actopt.__file__).resolve().parents[1])  # this checkout's actopt
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "actopt", "playground", "--port", "0", "--no-browser",
         "--store", str(tmp_path)],
        stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    try:
        line = proc.stderr.readline()
        assert line.startswith("actopt playground: http://localhost:")
        url = line.split()[2]
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    page = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "actopt playground" in page
    finally:
        proc.terminate()
        proc.wait(20)


def test_the_wheel_ships_the_page(tmp_path):
    """The static files are package data: a built wheel holds every one of them."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0 and "No module named" in done.stderr:
        pytest.skip(f"cannot build a wheel here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("actopt-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in STATIC.rglob("*.*"):
        assert f"actopt/playground/static/{path.relative_to(STATIC).as_posix()}" in names

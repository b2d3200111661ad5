"""Playground throughput: training steps/s and frames/s delivered to a page, end to end.

A real server (``actopt playground`` in its own process, as a student runs it) and a WebSocket
client in this process standing in for the page: it sends the configuration, presses play,
reads every frame for a few seconds, and counts the steps the frames report and the frames it
received. The model is the issue's: 4 hidden layers × 8 tanh units on spirals, with every
neuron's heatmap sent in each frame; the variants (heatmaps off, two models compared) are
measured interleaved with it, ``--repeat`` times, and the medians printed.

    python benchmarks/playground.py [--seconds 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from websockets.sync.client import connect

from actopt.playground import unpack

NET = {"layers": [{"units": 8, "act": "tanh"}] * 4, "opt": "sgd", "hyper": {"lr": 0.03}}
VARIANTS = {  # name → (config, heatmaps of every neuron on)
    "4×8 tanh, spirals, heatmaps on": ({"data": {"name": "spirals"}, "a": NET}, True),
    "same, heatmaps off": ({"data": {"name": "spirals"}, "a": NET}, False),
    "two models compared, heatmaps on": ({"data": {"name": "spirals"}, "a": NET, "b": NET}, True),
}


def start_server() -> tuple[subprocess.Popen, str]:
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "actopt", "playground", "--port", "0", "--no-browser"],
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    line = proc.stderr.readline()  # "actopt playground: http://localhost:PORT  (Ctrl-C …)"
    url = line.split()[2].replace("http://localhost", "ws://127.0.0.1") + "/ws"
    return proc, url


def receive(ws) -> dict:
    m = ws.recv()
    if isinstance(m, str):
        return json.loads(m)
    header, _ = unpack(m)
    return {**header, "bytes": len(m)}


def until(ws, kind: str) -> dict:
    while (m := receive(ws))["type"] != kind:
        pass
    return m


def measure(url: str, config: dict, neurons: bool, seconds: float) -> dict[str, float]:
    with connect(url, max_size=None) as ws:
        until(ws, "frame")  # hello, structure, first frame
        ws.send(json.dumps({"type": "config", "config": config}))
        until(ws, "config")
        ws.send(json.dumps({"type": "view", "neurons": neurons}))
        ws.send(json.dumps({"type": "play"}))
        first = until(ws, "frame")
        t0, frames, size = time.perf_counter(), 0, 0
        while (elapsed := time.perf_counter() - t0) < seconds:
            last = until(ws, "frame")
            frames += 1
            size += last["bytes"]
        ws.send(json.dumps({"type": "pause"}))
    steps = last["runs"]["a"]["step"] - first["runs"]["a"]["step"]
    return {
        "steps/s": steps / elapsed,
        "frames/s": frames / elapsed,
        "kB/frame": size / frames / 1e3,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=5.0, help="play time per measurement")
    p.add_argument("--repeat", type=int, default=3, help="rounds over all variants")
    args = p.parse_args()
    err = Console(stderr=True)
    proc, url = start_server()
    load0 = os.getloadavg()
    results: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    try:
        for r in range(args.repeat):
            for name, (config, neurons) in VARIANTS.items():  # interleaved: noise hits all
                err.print(f"[dim]round {r + 1}/{args.repeat}: {name}…[/]")
                results[name].append(measure(url, config, neurons, args.seconds))
    finally:
        proc.terminate()
        proc.wait(20)
    load1 = os.getloadavg()
    table = Table(title=f"playground end to end: medians of {args.repeat} × {args.seconds:g} s "
                  f"(goals: ≥ 200 steps/s, ≥ 10 frames/s)")  # fmt: skip
    for col in ("variant", "steps/s", "frames/s", "kB/frame", "steps/s per round"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    for name, rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        per = ", ".join(f"{r['steps/s']:.0f}" for r in rows)
        table.add_row(name, f"{med['steps/s']:.0f}", f"{med['frames/s']:.1f}",
                      f"{med['kB/frame']:.1f}", per)  # fmt: skip
    Console().print(table)
    print(
        f"load average (1 min) before {load0[0]:.2f}, after {load1[0]:.2f}; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()

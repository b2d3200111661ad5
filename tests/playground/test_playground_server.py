"""The server through an ASGI test client: every control message, every bad one, the limits."""

from __future__ import annotations

import json
import math
import sqlite3
import time

import pytest
import torch
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from actopt import activations as A
from actopt import optim as O
from actopt.playground import MAX_MESSAGE_BYTES, STATIC, create_app
from conftest import LOCAL, WS, opened, receive, until

NET = {"layers": [{"units": 8, "act": "tanh"}] * 4, "opt": "adam", "hyper": {"lr": 0.01}}
SPIRALS = {"data": {"name": "spirals"}, "a": NET}


def send(ws, **message) -> None:
    ws.send_text(json.dumps(message))


def test_page_and_static_files(client):
    page = client.get("/")
    assert (
        page.status_code == 200 and '<script type="module" src="/static/js/main.js">' in page.text
    )
    for path in sorted(STATIC.rglob("*.*")):
        rel = path.relative_to(STATIC).as_posix()
        r = client.get(f"/static/{rel}")
        assert r.status_code == 200 and r.content == path.read_bytes(), rel
    assert client.get("/api/status").json() == {"sessions": 0, "max_sessions": 8}


def test_no_cdn_and_no_build_step():
    for path in STATIC.rglob("*.*"):
        text = path.read_text()
        assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text, (
            path
        )
    assert not (STATIC / "package.json").exists()


def test_foreign_host_names_are_refused(client):
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_cross_origin_websocket_is_refused(client):
    """Any web page may open a WebSocket to localhost: only the playground's own page is let in."""
    with (
        pytest.raises(WebSocketDisconnect) as e,
        client.websocket_connect(WS, headers={"origin": "http://evil.example"}),
    ):
        pass
    assert e.value.code == 1008  # refused before the handshake (a real server answers 403)
    with client.websocket_connect(WS, headers={"origin": LOCAL}) as ws:
        opened(ws)


def test_hello_offers_every_optimizer_and_activation(client):
    with client.websocket_connect(WS) as ws:
        hello = opened(ws)
    assert [o["name"] for o in hello["optimizers"]] == O.names()
    elementwise = [n for n in A.names() if not A.spec(n).vector]
    assert [a["name"] for a in hello["activations"]] == elementwise
    assert hello["limits"]["layers"] == 8 and hello["limits"]["units"] == 16
    assert {d["name"] for d in hello["datasets"]} >= {"moons", "circles", "xor", "spirals", "blobs"}


def test_play_streams_frames_and_pause_stops_them(client):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        send(ws, type="config", id=1, config=SPIRALS)
        assert until(ws, "config")["reset"] is True
        first = until(ws, "frame")["runs"]["a"]
        send(ws, type="play", id=2)
        assert until(ws, "status")["playing"] is True
        steps = [until(ws, "frame")["runs"]["a"]["step"] for _ in range(5)]
        assert steps == sorted(steps) and steps[-1] > steps[0] > first["step"] == 0
        send(ws, type="pause", id=3)
        assert until(ws, "status")["playing"] is False


def test_step_config_reset_speed_view(client):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        send(ws, type="step", n=7)
        assert until(ws, "frame")["runs"]["a"]["step"] == 7
        # optimizer settings are taken live: no reset, the step count goes on
        live = {"a": {"hyper": {"lr": 0.1}}}
        send(ws, type="config", config=live)
        reply = until(ws, "config")
        assert reply["reset"] is False and reply["config"]["a"]["hyper"]["lr"] == 0.1
        assert until(ws, "frame")["runs"]["a"]["step"] == 7
        send(ws, type="reset")
        structure = until(ws, "structure")
        assert structure["version"] == 2 and until(ws, "frame")["runs"]["a"]["step"] == 0
        send(ws, type="view", neurons=False)
        send(ws, type="step", n=1)
        stepped = until(ws, "frame")
        assert "a.neurons" not in stepped["arrays"]
        start = stepped["runs"]["a"]["step"]
        send(ws, type="speed", steps_per_s=10)
        t0 = time.perf_counter()
        send(ws, type="play")
        until(ws, "status")
        steps = [until(ws, "frame")["runs"]["a"]["step"] for _ in range(3)]
        elapsed = time.perf_counter() - t0
        send(ws, type="pause")
        # a throttle can only make it slower: at most 10 steps/s (+1 for the first frame)
        assert start < steps[0] and steps[-1] - start <= 10 * elapsed + 1


def test_plot_command_ping(client):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        send(ws, type="plot", id="p", act="x*tanh(softplus(x))")
        plot = until(ws, "plot")
        assert plot["id"] == "p" and len(plot["x"]) == len(plot["f"]) == len(plot["df"]) == 201
        x = torch.tensor(plot["x"], dtype=torch.float64)
        assert plot["f"] == pytest.approx(A.spec("mish").forward(x).tolist(), abs=1e-9)
        assert plot["df"] == pytest.approx(A.spec("mish").derivative(x).tolist(), abs=1e-9)
        send(ws, type="ping")
        send(ws, type="command", id=9)
        cmd = until(ws, "command")
        assert cmd["id"] == 9 and cmd["commands"]["a"]["text"].startswith("actopt train")
        send(ws, type="config", config={"a": {"layers": [{"units": 4}, {"units": 2}]}})
        send(ws, type="command")
        cmd = until(ws, "command")["commands"]["a"]
        assert cmd["text"] is None and "different widths" in cmd["notes"][0]


def test_json_is_strict_where_a_formula_is_undefined(client):
    """log(x) is NaN for x < 0: the page gets null (JSON.parse refuses NaN)."""
    with client.websocket_connect(WS) as ws:
        opened(ws)
        send(ws, type="plot", act="log(x)")
        message = ws.receive()
    text = message["text"]
    plot = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert plot["f"][0] is None and plot["f"][-1] == pytest.approx(math.log(5))


def test_save_trains_with_the_engine_into_the_store(client, tmp_path):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        send(ws, type="config", config=SPIRALS)
        send(ws, type="step", n=20)
        until(ws, "frame")
        send(ws, type="save", id=5, which="a")
        saving = until(ws, "saving")
        saved = until(ws, "saved")
    assert saved["run_id"] == saving["run_id"] and saved["status"] == "ok"
    rows = (
        sqlite3.connect(saved["path"]).execute("SELECT run_id, status, role FROM runs").fetchall()
    )
    assert rows == [(saved["run_id"], "ok", "run")]


def test_landscape(client):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        runs = [{"opt": "sgd", "lr": 0.001}, {"opt": "adam", "lr": 0.05, "momentum": 0.8}]
        send(ws, type="landscape", id=4, function="rosenbrock", steps=50, runs=runs)
        m = until(ws, "landscape")
    assert m["id"] == 4 and m["arrays"]["height"].shape == (240, 240)
    assert m["arrays"]["path0"].shape == (51, 2) and m["runs"][1]["hyper"]["betas"] == [0.8, 0.999]
    from actopt import landscapes as L

    t = L.run_optimizer(L.function("rosenbrock"), "adam", steps=50, lr=0.05, betas=(0.8, 0.999))
    assert m["arrays"]["path1"][-1].tolist() == pytest.approx(t.points[-1], rel=1e-5)
    with client.websocket_connect(WS) as ws:
        opened(ws)
        send(ws, type="landscape", function="ravine", steps=100, runs=[{"opt": "nag"}], tune=True)
        tuned = until(ws, "landscape")
    best = L.tune(L.function("ravine"), "nag", steps=100)
    assert tuned["tuned"] and tuned["runs"][0]["lr"] == best.lr


BAD = [
    ("{oops", None, "not valid JSON"),
    (json.dumps({"type": "step", "n": 0}), "n", "[1, 1000]"),
    (json.dumps({"type": "step", "n": 3, "force": True}), "force", "unknown field"),
    (json.dumps({"type": "warp"}), "type", "must be one of"),
    (
        json.dumps({"type": "config", "id": 3, "config": {"a": {"layers": [{"units": 99}]}}}),
        "a.layers.0.units",
        "[1, 16]",
    ),
    (
        json.dumps({"type": "config", "config": {"a": {"layers": [{"act": "x*foo(x)"}]}}}),
        "a.layers.0.act",
        "unknown function",
    ),
    (json.dumps({"type": "ping", "pad": "x" * MAX_MESSAGE_BYTES}), None, "too large"),
]


@pytest.mark.parametrize(("raw", "field", "text"), BAD)
def test_bad_message_gets_an_error_and_changes_nothing(client, raw, field, text):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        send(ws, type="step", n=3)
        until(ws, "frame")
        ws.send_text(raw)
        err = until(ws, "error")
        assert err["field"] == field and text in err["message"]
        send(ws, type="step", n=2)  # the session goes on, with its model untouched
        assert until(ws, "frame")["runs"]["a"]["step"] == 5


def test_binary_messages_are_refused(client):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        ws.send_bytes(b"\x00\x01")
        assert "binary" in until(ws, "error")["message"]


def test_playing_a_diverged_model_is_refused(client):
    boom = {"a": {"layers": [{"act": "exp(x)"}] * 3, "hyper": {"lr": 10}}}
    with client.websocket_connect(WS) as ws:
        opened(ws)
        send(ws, type="config", config=boom)
        send(ws, type="step", n=300)
        assert until(ws, "status")["reason"] == "diverged"
        send(ws, type="play")
        assert "diverged" in until(ws, "error")["message"]


def test_session_cap(tmp_path):
    app = create_app(max_sessions=1, store_dir=str(tmp_path))
    with TestClient(app, base_url=LOCAL) as c, c.websocket_connect(WS) as first:
        opened(first)
        assert c.get("/api/status").json()["sessions"] == 1
        with c.websocket_connect(WS) as second:
            closing = receive(second)
            assert closing["type"] == "closing" and "limit" in closing["reason"]
            assert receive(second) == {"type": "websocket.close", "code": 1013}
        send(first, type="step", n=1)  # the first session is unharmed
        assert until(first, "frame")["runs"]["a"]["step"] == 1


def test_idle_sessions_are_dropped(tmp_path):
    app = create_app(idle_s=0.5, store_dir=str(tmp_path))
    with TestClient(app, base_url=LOCAL) as c:
        with c.websocket_connect(WS) as ws:
            opened(ws)
            send(ws, type="ping")  # activity keeps it open …
            time.sleep(0.3)
            send(ws, type="ping")
            closing = receive(ws)  # … silence closes it
            assert closing["type"] == "closing" and "without a message" in closing["reason"]
            assert receive(ws) == {"type": "websocket.close", "code": 4000}
        for _ in range(50):
            if c.get("/api/status").json()["sessions"] == 0:
                break
            time.sleep(0.05)
        assert c.get("/api/status").json()["sessions"] == 0

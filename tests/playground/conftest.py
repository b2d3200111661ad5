"""Helpers for the playground's tests: a WebSocket client that reads JSON and binary frames."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from actopt.playground import create_app, unpack

LOCAL = "http://127.0.0.1"  # the app only answers to local host names
WS = "ws://127.0.0.1/ws"  # websocket_connect does not use base_url


def receive(ws) -> dict[str, Any]:
    """The next message as a dict; a binary one gets its arrays under ``arrays``."""
    message = ws.receive()
    if message["type"] == "websocket.close":
        return {"type": "websocket.close", "code": message.get("code")}
    if message.get("text") is not None:
        import json

        return json.loads(message["text"])
    header, arrays = unpack(message["bytes"])
    return {**header, "arrays": arrays}


def until(ws, kind: str, limit: int = 200) -> dict[str, Any]:
    """Read until a message of type ``kind`` (frames and others in between are skipped)."""
    for _ in range(limit):
        m = receive(ws)
        if m["type"] == kind:
            return m
        assert m["type"] != "websocket.close", f"closed while waiting for {kind}: {m}"
    raise AssertionError(f"no {kind} message in {limit}")


def opened(ws) -> dict[str, Any]:
    """Read what a new session sends first: hello, structure, frame."""
    hello = receive(ws)
    assert hello["type"] == "hello"
    assert receive(ws)["type"] == "structure"
    assert receive(ws)["type"] == "frame"
    return hello


@pytest.fixture
def client(tmp_path):
    app = create_app(store_dir=str(tmp_path / "store"))
    with TestClient(app, base_url=LOCAL) as c:
        yield c


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Train tiny nets on one thread, as the server's worker does (OpenMP's spinning threads
    make each step many times slower on a busy 2-core machine)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

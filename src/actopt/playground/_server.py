"""The ASGI app: the page, its static files, and one WebSocket per open page (a session).

Training never runs on the event loop: every torch call goes to one worker thread (so sessions
take turns in short slices and their random streams stay their own), while the loop keeps
reading messages and sending frames. A session streams frames while playing, at most ``fps`` a
second, each after a slice of training that fills most of the frame's time. Sessions are
capped; one whose page sent nothing (the page pings while it is visible) for ``idle_s`` seconds
is closed. A bad message is answered with an error and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import torch
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .._json import dumps
from ._catalog import act_plot, hello
from ._config import config_to_json
from ._export import NotExpressible, command, save_run, to_runspec
from ._landscape import landscape_message
from ._protocol import Message, parse_message
from ._schema import ProtocolError
from ._session import Session

__all__ = ["LOCAL_HOSTS", "STATIC", "create_app"]

STATIC = Path(__file__).parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_log = logging.getLogger("actopt.playground")
_TRAIN_SHARE = 0.8  # of each frame's time spent training (the rest draws and sends the frame)


def _single_threaded(name: str) -> ThreadPoolExecutor:
    """One thread whose torch ops run on one core: tiny tensors gain nothing from OpenMP, and on
    a busy machine its spinning threads made each step up to 20× slower (measured on 2 cores)."""
    return ThreadPoolExecutor(1, thread_name_prefix=name, initializer=torch.set_num_threads,
                              initargs=(1,))  # fmt: skip


class _Hub:
    """What all sessions share: the limits, the worker threads, the open sessions."""

    def __init__(self, max_sessions: int, idle_s: float, fps: float, store_dir: str) -> None:
        self.max_sessions, self.idle_s, self.fps = max_sessions, idle_s, fps
        self.store_dir = store_dir
        self.sessions: set[_Live] = set()
        self._worker: ThreadPoolExecutor | None = None
        self._saver: ThreadPoolExecutor | None = None

    @property
    def worker(self) -> ThreadPoolExecutor:  # live training and pictures, one slice at a time
        if self._worker is None:
            self._worker = _single_threaded("playground-train")
        return self._worker

    @property
    def saver(self) -> ThreadPoolExecutor:  # saves retrain a whole run: off the live worker
        if self._saver is None:
            self._saver = _single_threaded("playground-save")
        return self._saver

    def shutdown(self) -> None:
        for pool in (self._worker, self._saver):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._worker = self._saver = None


class _Live:
    """One WebSocket and its session."""

    def __init__(self, ws: WebSocket, hub: _Hub) -> None:
        self.ws, self.hub = ws, hub
        self.session: Session | None = None
        self.playing = False
        self.steps_per_s = 0.0  # 0: as fast as the machine goes
        self._player: asyncio.Task | None = None
        self._send_lock = asyncio.Lock()

    async def work(self, fn: Callable, *args: Any, pool: ThreadPoolExecutor | None = None) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool or self.hub.worker, functools.partial(fn, *args))

    async def send(self, message: dict[str, Any] | bytes) -> None:
        async with self._send_lock:
            if isinstance(message, bytes):
                await self.ws.send_bytes(message)
            else:  # strict JSON: a NaN (log(x) at x < 0) becomes null, which JSON.parse reads
                await self.ws.send_text(dumps(message))

    async def run(self) -> None:
        self.session = await self.work(Session)
        await self.send(hello(self.hub.store_dir))
        await self._send_pictures(structure=True)
        while True:
            try:
                msg = await asyncio.wait_for(self.ws.receive(), timeout=self.hub.idle_s)
            except asyncio.TimeoutError:
                reason = f"closed after {self.hub.idle_s:g} s without a message from the page"
                await self.send({"type": "closing", "reason": reason})
                await self.ws.close(code=4000, reason="idle")
                return
            if msg["type"] == "websocket.disconnect":
                return
            raw = msg.get("text")
            if raw is None:
                await self.send({"type": "error", "message": "binary messages are not accepted; "
                                 "send JSON text", "field": None, "id": None})  # fmt: skip
                continue
            await self.handle(raw)

    def stop(self) -> None:
        self.playing = False
        if self._player is not None:
            self._player.cancel()

    async def handle(self, raw: str) -> None:
        try:
            m = parse_message(raw)
            await self.dispatch(m)
        except ProtocolError as e:
            await self.send({"type": "error", "message": e.message, "field": e.field,
                             "id": e.request})  # fmt: skip
        except NotExpressible as e:
            await self.send({"type": "error", "message": str(e), "field": "command", "id": None})
        except (WebSocketDisconnect, asyncio.CancelledError):
            raise
        except Exception as e:  # a bug answers one message with an error, never ends the session
            _log.exception("playground: %s failed", raw[:200])
            await self.send({"type": "error", "message": f"internal error: {type(e).__name__}: "
                             f"{e}", "field": None, "id": None})  # fmt: skip

    async def _send_pictures(self, structure: bool = False) -> None:
        assert self.session is not None
        if structure:
            await self.send(await self.work(self.session.structure))
        await self.send(await self.work(self.session.frame))

    async def _status(self, reason: str | None = None, request: Any = None) -> None:
        await self.send({"type": "status", "playing": self.playing, "reason": reason,
                         "id": request})  # fmt: skip

    async def dispatch(self, m: Message) -> None:
        s = self.session
        assert s is not None
        kind, body = m.type, m.body
        if kind == "config":
            reset = await self.work(s.set_config, body["config"])
            await self.send({"type": "config", "id": m.id, "reset": reset,
                             "config": config_to_json(s.config)})  # fmt: skip
            if reset or not self.playing:
                await self._send_pictures(structure=reset)
        elif kind == "play":
            if s.status != "ok":
                raise ProtocolError(f"the model {s.status}: change the settings or reset it")
            self.playing = True
            if self._player is None or self._player.done():
                self._player = asyncio.create_task(self._play())
            await self._status(request=m.id)
        elif kind == "pause":
            self.playing = False
            await self._status(request=m.id)
        elif kind == "step":
            self.playing = False
            await self.work(s.advance, body["n"])
            await self._send_pictures()
            await self._status(s.status if s.status != "ok" else None, m.id)
        elif kind == "reset":
            await self.work(s.reset)
            await self._send_pictures(structure=True)
        elif kind == "speed":
            self.steps_per_s = body["steps_per_s"]
        elif kind == "view":
            s.neurons = body["neurons"]
        elif kind == "plot":
            plot = await self.work(act_plot, body["spec"])
            await self.send({"type": "plot", "id": m.id, "act": body["act"], **plot})
        elif kind == "command":
            await self.send({"type": "command", "id": m.id, "commands": self._commands()})
        elif kind == "save":
            spec = to_runspec(s.config, body["which"], s.trainers[body["which"]].step)
            await self.send({"type": "saving", "id": m.id, "run_id": spec.run_id})
            saved = await self.work(save_run, spec, self.hub.store_dir, pool=self.hub.saver)
            note = None
            if s.trainers[body["which"]].live_edits:
                note = "the optimizer settings changed during this run: the saved run uses the "
                note += "current ones from step 0"
            await self.send({"type": "saved", "id": m.id, "note": note, **saved})
        elif kind == "landscape":
            await self.send(await self.work(landscape_message, body, m.id))
        # "ping" only keeps the session alive

    def _commands(self) -> dict[str, Any]:
        s = self.session
        assert s is not None
        out: dict[str, Any] = {}
        for k, t in s.trainers.items():
            try:
                text, notes = command(to_runspec(s.config, k, t.step))
                out[k] = {"text": text, "notes": notes}
            except NotExpressible as e:
                out[k] = {"text": None, "notes": e.reasons}
        return out

    async def _play(self) -> None:
        try:
            await self._stream()
        except WebSocketDisconnect:  # the page went away; the endpoint cleans up
            self.playing = False
        except Exception as e:  # a failing step stops the play, not the session
            _log.exception("playground: training failed")
            self.playing = False
            text = f"training stopped: {type(e).__name__}: {e}"
            with contextlib.suppress(Exception):
                await self.send({"type": "error", "message": text, "field": None, "id": None})
                await self._status("failed")

    async def _stream(self) -> None:
        s = self.session
        assert s is not None
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.hub.fps
        tokens, last = 0.0, loop.time()
        while self.playing:
            t0 = loop.time()
            if self.steps_per_s:
                tokens = min(tokens + (t0 - last) * self.steps_per_s, max(1.0, self.steps_per_s))
                last = t0
                n = math.floor(tokens)
                tokens -= n
                if not n:  # slower than one step a frame: wait, send nothing new
                    await asyncio.sleep(interval)
                    continue
                await self.work(s.advance, n)
            else:
                await self.work(s.advance, 10**9, interval * _TRAIN_SHARE)
            await self.send(await self.work(s.frame))
            if s.status != "ok":
                self.playing = False
                await self._status(s.status)
                return
            await asyncio.sleep(max(0.0, interval - (loop.time() - t0)))


async def _ws_endpoint(ws: WebSocket) -> None:
    hub: _Hub = ws.app.state.hub
    origin = ws.headers.get("origin")
    if origin and urlsplit(origin).netloc != ws.headers.get("host"):
        await ws.close(code=1008, reason="cross-origin connection refused")
        return
    await ws.accept()
    if len(hub.sessions) >= hub.max_sessions:
        reason = f"the playground already has {hub.max_sessions} open pages, its limit: "
        await ws.send_json({"type": "closing", "reason": reason + "close one and reload"})
        await ws.close(code=1013, reason="too many sessions")
        return
    live = _Live(ws, hub)
    hub.sessions.add(live)
    try:
        await live.run()
    except WebSocketDisconnect:
        pass
    finally:
        live.stop()
        hub.sessions.discard(live)


async def _index(request: Request) -> FileResponse:
    return FileResponse(STATIC / "index.html")


async def _status(request: Request) -> JSONResponse:
    hub: _Hub = request.app.state.hub
    return JSONResponse({"sessions": len(hub.sessions), "max_sessions": hub.max_sessions})


def create_app(
    *,
    max_sessions: int = 8,
    idle_s: float = 600.0,
    fps: float = 20.0,
    store_dir: str = "playground-runs",
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS,
) -> Starlette:
    """The playground as an ASGI app (serve it with uvicorn, or see :func:`serve`).

    ``allowed_hosts`` guards against DNS rebinding (``("*",)`` when serving a network);
    WebSocket connections from another origin are refused either way.
    """
    hub = _Hub(max_sessions, idle_s, fps, store_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        for live in list(hub.sessions):
            live.stop()
        hub.shutdown()

    app = Starlette(
        routes=[
            Route("/", _index),
            Route("/api/status", _status),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            WebSocketRoute("/ws", _ws_endpoint),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))],
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app

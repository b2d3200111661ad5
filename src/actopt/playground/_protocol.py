"""The messages the page sends, each checked in full before anything acts on it.

A message is one JSON object of at most :data:`MAX_MESSAGE_BYTES` with a ``type`` and an optional
``id`` (echoed in the answer, so the page can put an error next to the control that caused it):

============  ===========================================================================
type          fields
============  ===========================================================================
config        ``config``: the whole configuration (see :mod:`._config`)
play, pause   —  (start / stop streaming training frames)
step          ``n``: train n steps (1–1000) and send one frame
reset         —  (the same configuration from step 0)
speed         ``steps_per_s``: 0 for as fast as possible, else at most this many
view          ``neurons``: send every neuron's picture (true) or only the output
plot          ``act`` (name or formula), ``params``: f and f′ of one activation
command       —  (``actopt train …`` for each model)
save          ``which``: ``a`` or ``b``; train it with the engine into the bench store
landscape     ``function``, ``params``, ``start``, ``steps``, ``noise``, ``runs``, ``tune``
ping          —  (the page is still open)
============  ===========================================================================

>>> parse_message('{"type": "step", "n": 5}').body
{'n': 5}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .. import landscapes, optim
from ._config import parse_config
from ._schema import ProtocolError, check_keys, choice, flag, number, obj, text

__all__ = ["MAX_MESSAGE_BYTES", "MESSAGE_TYPES", "Message", "parse_message"]

MAX_MESSAGE_BYTES = 16_384
MAX_LANDSCAPE_RUNS = 6
_EMPTY: tuple[str, ...] = ()
MESSAGE_TYPES: dict[str, tuple[str, ...]] = {  # type → its fields (besides type and id)
    "config": ("config",),
    "play": _EMPTY,
    "pause": _EMPTY,
    "step": ("n",),
    "reset": _EMPTY,
    "speed": ("steps_per_s",),
    "view": ("neurons",),
    "plot": ("act", "params"),
    "command": _EMPTY,
    "save": ("which",),
    "landscape": ("function", "params", "start", "steps", "noise", "runs", "tune"),
    "ping": _EMPTY,
}


@dataclass(frozen=True)
class Message:
    type: str
    id: str | int | None = None
    body: dict[str, Any] = field(default_factory=dict)


def parse_message(raw: str | bytes) -> Message:
    """One message from the page, checked; :class:`ProtocolError` says what is wrong."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message too large ({len(raw)} bytes, limit {MAX_MESSAGE_BYTES})")
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ProtocolError(f"not valid JSON: {e}") from None
    msg = obj(value, "")
    kind = choice(msg.get("type"), "type", list(MESSAGE_TYPES))
    check_keys(msg, "", ("type", "id", *MESSAGE_TYPES[kind]))
    mid = msg.get("id")
    if isinstance(mid, bool) or (mid is not None and not isinstance(mid, int | str)):
        raise ProtocolError("id must be a number or a string", "id")
    if isinstance(mid, str):
        text(mid, "id", 64)
    try:
        body = _BODIES[kind](msg) if kind in _BODIES else {}
    except ProtocolError as e:
        e.request = mid
        raise
    return Message(kind, mid, body)


def _config(m: dict) -> dict[str, Any]:
    check_keys(m, "", ("type", "id", "config"), required=("config",))
    return {"config": parse_config(m["config"])}


def _step(m: dict) -> dict[str, Any]:
    return {"n": number(m.get("n", 1), "n", 1, 1000, integer=True)}


def _speed(m: dict) -> dict[str, Any]:
    check_keys(m, "", ("type", "id", "steps_per_s"), required=("steps_per_s",))
    return {"steps_per_s": number(m["steps_per_s"], "steps_per_s", 0, 100_000)}


def _view(m: dict) -> dict[str, Any]:
    return {"neurons": flag(m.get("neurons", True), "neurons")}


def _plot(m: dict) -> dict[str, Any]:
    from ._config import LIMITS, activation_spec

    act = text(m.get("act"), "act", LIMITS["formula_chars"]).strip()
    params = dict(obj(m.get("params", {}), "params"))
    return {"spec": activation_spec(act, params, "act"), "act": act}


def _save(m: dict) -> dict[str, Any]:
    return {"which": choice(m.get("which", "a"), "which", ("a", "b"))}


def _landscape(m: dict) -> dict[str, Any]:
    name = text(m.get("function", "rosenbrock"), "function", 40)
    try:
        fn = landscapes.function(name)
    except KeyError as e:
        raise ProtocolError(str(e.args[0]), "function") from None
    params = obj(m.get("params", {}), "params")
    for k, v in params.items():  # a known parameter's value names its own field
        if k in fn.params:
            number(v, f"params.{k}", -1e6, 1e6)
    try:
        fn = fn.bind(**params)
    except ValueError as e:  # unknown names, or a value out of the function's range
        raise ProtocolError(str(e), "params") from None
    start = m.get("start")
    if start is not None:
        if not isinstance(start, list) or len(start) != 2:
            raise ProtocolError("start must be [x, y]", "start")
        start = (number(start[0], "start.0", -1e3, 1e3), number(start[1], "start.1", -1e3, 1e3))
        if not fn.contains(start):
            raise ProtocolError(f"start {start} is outside {fn.name}'s window {fn.window}", "start")
    runs = m.get("runs", [])
    if not isinstance(runs, list) or not 1 <= len(runs) <= MAX_LANDSCAPE_RUNS:
        raise ProtocolError(f"runs must list 1 to {MAX_LANDSCAPE_RUNS} optimizers", "runs")
    return {
        "fn": fn,
        "start": start,
        "steps": number(m.get("steps", 300), "steps", 1, 2000, integer=True),
        "noise": number(m.get("noise", 0.0), "noise", 0, 10),
        "runs": [_landscape_run(r, f"runs.{i}") for i, r in enumerate(runs)],
        "tune": flag(m.get("tune", False), "tune"),  # pick each lr from a grid, for this function
    }


def _landscape_run(value: Any, field_: str) -> dict[str, Any]:
    """One optimizer on the landscape: its lr, and its momentum (β₁ for the Adam family)."""
    raw = obj(value, field_)
    check_keys(raw, field_, ("opt", "lr", "momentum"), required=("opt",))
    try:
        s = optim.spec(text(raw["opt"], f"{field_}.opt", 40))
    except KeyError as e:
        raise ProtocolError(str(e.args[0]), f"{field_}.opt") from None
    hyper: dict[str, Any] = {
        "lr": number(raw.get("lr", s.defaults["lr"]), f"{field_}.lr", 0, 100, low_open=True)
    }
    if "momentum" in raw:
        beta = number(raw["momentum"], f"{field_}.momentum", 0, 0.999)
        if "momentum" in s.defaults:
            hyper["momentum"] = beta
        elif "betas" in s.defaults:
            hyper["betas"] = (beta, s.defaults["betas"][1])
        else:
            raise ProtocolError(f"{s.name} has no momentum", f"{field_}.momentum")
    return {"opt": s.name, "hyper": hyper}


_BODIES = {
    "config": _config,
    "step": _step,
    "speed": _speed,
    "view": _view,
    "plot": _plot,
    "save": _save,
    "landscape": _landscape,
}

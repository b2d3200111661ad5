"""What Ctrl-C does while a command runs: it raises ``Interrupted``, which ``main`` turns into one
line and exit status 130, except while a module is being imported, where it is held until the
import ends (a module is never left half made).

Both work around faults measured on Ctrl-C during start-up (SIGINT 0.5–1.0 s in, ~60 tries):
- A bare ``KeyboardInterrupt`` that passed through ``exec`` of a string (dataclasses builds its
  methods so while torch loads) is marked unhandled by CPython 3.11 under ``python -m``, though
  ``main`` catches it: the process then ends by SIGINT at exit (status -2, not 130). It checks for
  exactly that class, so a subclass is left alone.
- Raised inside an import, the exception can come out as something else, or not at all: torch's
  import runs C++ that calls back into Python, which cannot pass it back up and aborts the
  process ("terminate called after throwing pybind11::error_already_set", SIGABRT), and a class
  statement turns it into "RuntimeError: Error calling __set_name__" (exit status 1).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Interrupted", "ctrl_c_raises_interrupted"]

_RETRY_S = 0.05  # how often a held Ctrl-C looks whether the import has ended
_CAN_HOLD = hasattr(signal, "SIGALRM")  # not on Windows: Ctrl-C is raised at once there


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, as the command line raises it."""


def _importing(frame: FrameType | None) -> bool:
    """Whether the main thread runs a module's body: an import (``__main__`` is the program)."""
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") != "__main__":
            return True
        frame = frame.f_back
    return False


def _deaf(signum: int) -> bool:
    """Whether a Ctrl-C sent now would be lost: workers are being started, with Ctrl-C blocked,
    then ignored (``actopt._processes``; ignoring it drops one that is pending)."""
    return signum != signal.SIGINT and (
        signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        or signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    )


def _on_ctrl_c(signum: int, frame: FrameType | None) -> None:
    if _CAN_HOLD and (_importing(frame) or _deaf(signum)):  # look again shortly
        signal.signal(signal.SIGALRM, _on_ctrl_c)
        signal.setitimer(signal.ITIMER_REAL, _RETRY_S)
    elif signum != signal.SIGINT:  # the held one, once the import has ended: sent again, to
        signal.raise_signal(signal.SIGINT)  # whoever handles Ctrl-C now (the bench's runner)
    else:
        raise Interrupted


@contextmanager
def ctrl_c_raises_interrupted() -> Iterator[None]:
    """Ctrl-C raises ``Interrupted`` inside the block; where something else chose what Ctrl-C
    does (ignored in a background job, a caller's own handler), that choice stands."""
    mine = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if not mine:
        yield
        return
    alarm = signal.getsignal(signal.SIGALRM) if _CAN_HOLD else None
    signal.signal(signal.SIGINT, _on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if _CAN_HOLD and signal.getsignal(signal.SIGALRM) is _on_ctrl_c:  # held, not raised
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, alarm)

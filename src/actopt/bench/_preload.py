"""What the local pool's fork server imports before it forks any worker (and nothing else
imports): Ctrl-C is ignored first, as the server ignores it once it is up and as the workers do
(the driver decides what Ctrl-C means; a Ctrl-C to the whole terminal during this import printed
the server's traceback), then the training stack, so each forked worker starts ready to train."""

import signal
import threading

if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, signal.SIG_IGN)

from .. import train  # noqa: F401
from . import _worker  # noqa: F401

__all__: list[str] = []

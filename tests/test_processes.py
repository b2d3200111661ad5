"""Worker processes start deaf to Ctrl-C, and the driver's own Ctrl-C meanwhile is not lost."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys

from actopt._processes import children_ignore_ctrl_c


def _ctrl_c_disposition(queue) -> None:
    queue.put(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)


def test_a_process_started_inside_ignores_ctrl_c_from_its_start():
    """Spawned (a new interpreter, as the claims' pool starts them): the fork server, which the
    bench's pool forks from, ignores Ctrl-C itself once it is up."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    with children_ignore_ctrl_c():
        child = ctx.Process(target=_ctrl_c_disposition, args=(queue,))
        child.start()
    assert queue.get(timeout=120) is True
    child.join(timeout=120)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # ours is back


def test_a_ctrl_c_inside_is_delivered_after():
    """In a process of one thread, as the CLI is when its workers start (with other threads, the
    kernel may hand the signal to one that does not block it, while it is ignored: lost)."""
    code = (
        "import os, signal\n"
        "from actopt._processes import children_ignore_ctrl_c\n"
        "try:\n"
        "    with children_ignore_ctrl_c():\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        print('not raised inside', flush=True)\n"
        "except KeyboardInterrupt:\n"
        "    print('raised after')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.stdout == "not raised inside\nraised after\n", done.stderr

"""Run the playground on uvicorn and open it in the browser."""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable

import uvicorn

from ._server import LOCAL_HOSTS, create_app

__all__ = ["NotThisMachine", "PortInUse", "serve"]

_MAX_WS_BYTES = 1 << 20  # uvicorn drops a connection sending more; the app answers > 16 KiB


class PortInUse(OSError):
    """The port is taken (another playground, or another program)."""


class NotThisMachine(OSError):
    """The host is not one of this machine's addresses (or names no address at all)."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        if isinstance(e, socket.gaierror) or e.errno == errno.EADDRNOTAVAIL:
            raise NotThisMachine(f"cannot listen on {host}: it is not an address of this "
                                 f"machine ({e.strerror})") from None  # fmt: skip
        raise PortInUse(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(128)  # from now on connections wait in the backlog until uvicorn serves them
    sock.set_inheritable(True)
    return sock


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    open_browser: bool = True,
    store_dir: str = "playground-runs",
    announce: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
) -> None:
    """Serve the playground until Ctrl-C; ``port=0`` takes any free port.

    >>> serve(port=0, open_browser=False)      # doctest: +SKIP
    actopt playground: http://127.0.0.1:40211  (Ctrl-C stops it)
    """
    sock = _bind(host, port)
    port = sock.getsockname()[1]
    url = f"http://{'localhost' if host == '127.0.0.1' else host}:{port}"
    hosts = LOCAL_HOSTS if _is_loopback(host) else ("*",)
    app = create_app(store_dir=store_dir, allowed_hosts=hosts)
    config = uvicorn.Config(app, log_level="warning", ws_max_size=_MAX_WS_BYTES, lifespan="on")
    server = uvicorn.Server(config)
    announce(f"actopt playground: {url}  (Ctrl-C stops it)")
    if not _is_loopback(host):
        announce(f"warning: serving on {host}: anyone who can reach it can use this machine")
    if open_browser:

        def _open() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                webbrowser.open(url)

        threading.Thread(target=_open, daemon=True).start()
    server.run(sockets=[sock])

"""``actopt playground``: the local web page for training small networks live."""

from __future__ import annotations

import argparse

from ._common import UsageError, add_command, output_dir

__all__ = ["add_parsers"]


def cmd_playground(args: argparse.Namespace) -> int:
    from actopt.playground import NotThisMachine, PortInUse, serve

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be in 0..65535, got {args.port}")
    try:
        serve(args.host, args.port, open_browser=not args.no_browser, store_dir=args.store)
    except PortInUse as e:
        raise UsageError(f"{e}; try another --port (0 takes any free one)") from None
    except NotThisMachine as e:
        raise UsageError(f"{e}; --host 127.0.0.1 (the default) serves this machine only, "
                         "0.0.0.0 every network it is on") from None  # fmt: skip
    except KeyboardInterrupt:
        pass
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "playground",
        help="a local web page: train small networks live, race optimizers on landscapes",
        description="Start a local web server and open the playground in the browser: pick a "
        "2-D data set, build a network layer by layer with any activation (or a formula), any "
        "of the 12 optimizers, and watch it learn (decision boundary, every neuron, weights, "
        "dead units, gradient norms); compare two settings side by side; race optimizers on "
        "2-D test functions.",
        examples=["actopt playground", "actopt playground --port 0 --no-browser"],
    )  # fmt: skip
    a = p.add_argument
    a("--port", type=int, default=8765, help="port to listen on (default 8765; 0: any free port)")
    a("--host", default="127.0.0.1",
      help="address to listen on (default 127.0.0.1: this machine only)")  # fmt: skip
    a("--no-browser", action="store_true", help="do not open a browser tab")
    a("--store", default="playground-runs", metavar="DIR", type=output_dir,
      help="bench store that 'save' writes to (actopt report DIR shows it)")  # fmt: skip
    p.set_defaults(func=cmd_playground)

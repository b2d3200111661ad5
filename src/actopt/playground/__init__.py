"""The playground: a local web page to train small networks live with any activation and any
optimizer, and to race optimizers on 2-D landscapes.

``actopt playground`` starts it. In Python:

>>> from actopt.playground import create_app, serve
>>> app = create_app()            # an ASGI app (Starlette); serve(port=0) runs it on uvicorn
>>> cfg = parse_config({"data": {"name": "spirals"},
...                     "a": {"layers": [{"units": 8, "act": "x*tanh(softplus(x))"}] * 4}})
>>> session = Session(cfg)
>>> session.advance(100)          # a hundred steps of actopt's own training
100
"""

from ._config import LIMITS, Config, DataConfig, LayerConfig, ModelConfig, parse_config
from ._data import DATASETS, FEATURES
from ._export import NotExpressible, command, save_run, to_runspec
from ._protocol import MAX_MESSAGE_BYTES, MESSAGE_TYPES, Message, parse_message
from ._schema import ProtocolError
from ._serve import NotThisMachine, PortInUse, serve
from ._server import STATIC, create_app
from ._session import Session, default_config
from ._trainer import Trainer
from ._wire import pack, unpack

__all__ = [
    "DATASETS",
    "FEATURES",
    "LIMITS",
    "MAX_MESSAGE_BYTES",
    "MESSAGE_TYPES",
    "STATIC",
    "Config",
    "DataConfig",
    "LayerConfig",
    "Message",
    "ModelConfig",
    "NotExpressible",
    "NotThisMachine",
    "PortInUse",
    "ProtocolError",
    "Session",
    "Trainer",
    "command",
    "create_app",
    "default_config",
    "pack",
    "parse_config",
    "parse_message",
    "save_run",
    "serve",
    "to_runspec",
    "unpack",
]

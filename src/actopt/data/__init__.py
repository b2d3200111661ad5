"""Datasets as whole tensors in memory: MNIST, Fashion-MNIST, MNIST-1D and 2-D toys.

>>> import actopt.data as D
>>> D.names()
['mnist', 'fashion-mnist', 'mnist1d', 'moons', 'circles', 'xor', 'spirals', 'blobs']
>>> ds = D.load("mnist1d")                      # generated locally, no download
>>> ds.x_train.shape, ds.num_classes
(torch.Size([3600, 1, 40]), 10)

Image sets are read from ``--data-dir``, ``$ACTOPT_DATA`` or ``~/.cache/actopt`` (``mnist/`` and
``fashion-mnist/`` holding the original IDX files) and downloaded there when missing.
"""

from ._dataset import Dataset
from ._download import ChecksumError, DownloadError
from ._idx import IDXError, parse_idx
from ._registry import FILE_OPTIONS, DatasetSpec, load, names, spec
from ._toys import TOYS
from ._vision import MIRRORS, SHA256, check_n_train, data_dir

__all__ = [
    "FILE_OPTIONS",
    "MIRRORS",
    "SHA256",
    "TOYS",
    "ChecksumError",
    "Dataset",
    "DatasetSpec",
    "DownloadError",
    "IDXError",
    "check_n_train",
    "data_dir",
    "load",
    "names",
    "parse_idx",
    "spec",
]

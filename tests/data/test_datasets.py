"""Datasets: the IDX parser, checksums, the real download code against a local server, splits."""

from __future__ import annotations

import functools
import gzip
import http.server
import random
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import actopt.data as D
from actopt.data._idx import IDXError, parse_idx

FILES = list(D.SHA256["mnist"])


def idx_bytes(a: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}[a.dtype.type]
    header = bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, ">u4").tobytes()
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


# -- the IDX format ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
def test_idx_round_trip(dtype):
    a = (np.arange(24).reshape(2, 3, 4) * 3).astype(dtype)
    back = parse_idx(idx_bytes(a))
    assert back.dtype == a.dtype and np.array_equal(back, a)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "bad magic"),
        (b"\x01\x00\x08\x01" + b"\x00" * 8, "bad magic"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated header"),
        (idx_bytes(np.zeros((2, 3), np.uint8))[:-1], "expected 18"),
        (idx_bytes(np.zeros((2, 3), np.uint8)) + b"\x00", "expected 18"),
    ],
)
def test_malformed_idx_is_refused(data, message):
    with pytest.raises(IDXError, match=message):
        parse_idx(data, "file.idx")


# -- real files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_real_files_load_and_verify(shared_data, name):
    ds = D.load(name, data_dir=shared_data, download=False)
    assert ds.input_shape == (1, 28, 28) and ds.num_classes == 10
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (54000, 6000, 10000)
    assert set(ds.y_test.unique().tolist()) == set(range(10))
    # standardised with train statistics only
    assert abs(float(ds.x_train.mean())) < 1e-4 and abs(float(ds.x_train.std()) - 1) < 1e-4
    assert abs(float(ds.x_test.mean())) < 0.05


def test_validation_split_is_seeded_and_disjoint(shared_data):
    a = D.load("mnist", data_dir=shared_data, download=False, standardize="none")
    b = D.load("mnist", data_dir=shared_data, download=False, standardize="none")
    c = D.load("mnist", data_dir=shared_data, download=False, standardize="none", split_seed=1)
    assert torch.equal(a.x_val, b.x_val) and not torch.equal(a.x_val, c.x_val)
    seen = torch.cat([a.x_train, a.x_val]).flatten(1)
    assert len(torch.unique(seen, dim=0)) > 59000  # the split shares no example (bar duplicates)


def test_n_train_is_a_seeded_subset_of_the_training_images(shared_data):
    a = D.load("mnist", data_dir=shared_data, download=False, n_train=1000, standardize="none")
    b = D.load("mnist", data_dir=shared_data, download=False, n_train=1000, standardize="none")
    full = D.load("mnist", data_dir=shared_data, download=False, standardize="none")
    assert (len(a.y_train), len(a.y_val), len(a.y_test)) == (900, 100, 10000)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.x_test, full.x_test)
    every = {bytes(x.numpy()) for x in torch.cat([full.x_train, full.x_val])[:, 0, 0:28:4]}
    assert all(bytes(x.numpy()) in every for x in a.x_train[:50, 0, 0:28:4])  # real images
    assert len(set(a.y_train.tolist())) == 10  # a draw over the whole set, not its first rows
    assert "n_train" in D.spec("fashion-mnist").run_options
    for bad in (5, 60_001, 1.5, True):
        with pytest.raises(ValueError, match="n_train must be"):
            D.load("mnist", data_dir=shared_data, download=False, n_train=bad)


def test_a_verified_file_is_not_hashed_again_until_it_changes(shared_data, tmp_path, monkeypatch):
    from actopt.data import _download

    folder = tmp_path / "mnist"
    shutil.copytree(shared_data / "mnist", folder)
    D.load("mnist", data_dir=tmp_path, download=False)
    calls = []
    real = _download.sha256_of
    monkeypatch.setattr(_download, "sha256_of", lambda p: calls.append(p) or real(p))
    D.load("mnist", data_dir=tmp_path, download=False)
    assert calls == []
    target = folder / "t10k-labels-idx1-ubyte.gz"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-100])
    with pytest.raises(D.ChecksumError):
        D.load("mnist", data_dir=tmp_path, download=False)
    assert calls == [target]


def test_corrupt_and_truncated_files_fail_with_checksum_error(shared_data, tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(shared_data / "mnist", folder)
    target = folder / "t10k-labels-idx1-ubyte.gz"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-100])  # truncated gzip stream
    with pytest.raises(D.ChecksumError, match="t10k-labels-idx1-ubyte"):
        D.load("mnist", data_dir=tmp_path, download=False)
    labels = bytearray(gzip.decompress((shared_data / "mnist" / target.name).read_bytes()))
    labels[-1] = (labels[-1] + 1) % 10  # one wrong label, a well-formed file
    target.write_bytes(gzip.compress(bytes(labels)))
    with pytest.raises(D.ChecksumError, match="checksum mismatch"):
        D.load("mnist", data_dir=tmp_path, download=False)


def test_uncompressed_files_are_read_too(shared_data, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for f in FILES:
        (folder / f).write_bytes(gzip.decompress((shared_data / "mnist" / f"{f}.gz").read_bytes()))
    ds = D.load("mnist", data_dir=tmp_path, download=False)
    ref = D.load("mnist", data_dir=shared_data, download=False)
    assert torch.equal(ds.x_test, ref.x_test)


def test_data_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ACTOPT_DATA", str(tmp_path))
    assert D.data_dir() == tmp_path
    assert D.data_dir("/elsewhere") == Path("/elsewhere")
    monkeypatch.delenv("ACTOPT_DATA")
    assert D.data_dir() == Path.home() / ".cache" / "actopt"


# -- downloading, against a local HTTP server ------------------------------------------------


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", root
    httpd.shutdown()
    httpd.server_close()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


def test_download_tries_mirrors_in_turn_and_verifies(shared_data, server, tmp_path):
    url, root = server
    (root / "good").mkdir()
    (root / "bad").mkdir()
    for f in FILES:
        shutil.copy(shared_data / "mnist" / f"{f}.gz", root / "good")
        (root / "bad" / f"{f}.gz").write_bytes(gzip.compress(b"not the data"))
    cache = tmp_path / "cache"
    mirrors = [_closed_port_url(), url + "missing/", url + "bad/", url + "good/"]
    ds = D.load("mnist", data_dir=cache, mirrors=mirrors, quiet=True)
    assert len(ds.y_test) == 10000
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(f"{f}.gz" for f in FILES)
    # a second load finds the verified files and touches no mirror
    D.load("mnist", data_dir=cache, mirrors=[_closed_port_url()], quiet=True)


def test_all_mirrors_failing_names_files_and_folder(server, tmp_path):
    url, _ = server
    cache = tmp_path / "cache"
    with pytest.raises(D.DownloadError) as info:
        D.load("fashion-mnist", data_dir=cache, mirrors=[url + "nothing/", _closed_port_url()])
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and str(cache / "fashion-mnist") in message
    assert not any((cache / "fashion-mnist").glob("*"))  # nothing half-written is left behind


def test_no_download_means_a_clear_error(tmp_path):
    with pytest.raises(D.DownloadError, match="downloading is off"):
        D.load("mnist", data_dir=tmp_path, download=False)


# -- generated datasets ----------------------------------------------------------------------


def test_mnist1d_is_the_published_split_and_leaves_global_rng_alone():
    np.random.seed(123)
    random.seed(123)
    expect_np, expect_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    ds = D.load("mnist1d", val_fraction=0.0)
    assert (np.random.random(), random.random()) == (expect_np, expect_py)
    assert ds.x_train.shape == (4000, 1, 40) and ds.x_test.shape == (1000, 1, 40)
    assert torch.equal(ds.x_train, D.load("mnist1d", val_fraction=0.0).x_train)
    assert torch.bincount(ds.y_train).min() > 300  # all ten classes, roughly balanced


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spirals", "blobs"])
def test_toys_are_seeded_two_class_point_sets(name):
    a = D.load(name, n=300, seed=1)
    assert a.input_shape == (2,) and a.num_classes == 2
    assert len(a.y_train) + len(a.y_val) == 300 and len(a.y_test) == 300
    assert set(a.y_test.tolist()) == {0, 1}
    assert torch.equal(a.x_test, D.load(name, n=300, seed=1).x_test)
    assert not torch.equal(a.x_test, D.load(name, n=300, seed=2).x_test)
    noisy = D.load(name, n=300, seed=1, noise=0.5, standardize="none")
    quiet = D.load(name, n=300, seed=1, noise=0.0, standardize="none")
    assert noisy.x_test.std() > quiet.x_test.std()


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match=r"unknown option.*colour"):
        D.load("moons", colour="red")
    with pytest.raises(ValueError, match="val_fraction"):
        D.load("moons", val_fraction=1.5)
    with pytest.raises(KeyError, match="did you mean"):
        D.load("mnistt")


def test_batches_cover_every_example_once():
    ds = D.load("moons", n=1000)
    ys = [y for _, y in ds.batches(64, torch.Generator().manual_seed(0))]
    assert [len(y) for y in ys][:-1] == [64] * (len(ys) - 1)
    idx_sorted = torch.cat(ys).sort().values
    assert torch.equal(idx_sorted, ds.y_train.sort().values)
    firsts = [next(ds.batches(64, torch.Generator().manual_seed(s)))[0] for s in (0, 0, 1)]
    assert torch.equal(firsts[0], firsts[1]) and not torch.equal(firsts[0], firsts[2])


@pytest.mark.parametrize("name", D.names())
def test_a_dataset_says_whether_it_needs_files(name):
    """Generated datasets load with no folder at all; file-backed ones say so and refuse a
    folder without their files (download off) instead of inventing data."""
    s = D.spec(name)
    assert set(s.run_options) <= set(s.options) and not set(s.run_options) & set(D.FILE_OPTIONS)
    if not s.needs_files:
        assert not set(s.options) & set(D.FILE_OPTIONS)
        return
    assert {"data_dir", "download"} <= set(s.options)
    with pytest.raises(D.DownloadError, match="downloading is off"):
        D.load(name, data_dir="/nonexistent-actopt-data", download=False)


def test_mnist1d_disk_cache_returns_what_generation_makes(tmp_path, monkeypatch):
    from actopt.data import _mnist1d as M

    monkeypatch.setenv("ACTOPT_CACHE", str(tmp_path / "cache"))
    made = M._make(100, 40, 7)
    first = M._generate.__wrapped__(100, 40, 7)  # generated, then written
    assert [p.suffix for p in (tmp_path / "cache").glob("*.npz")] == [".npz"]
    again = M._generate.__wrapped__(100, 40, 7)  # read back
    for a, b, c in zip(made, first, again, strict=True):
        assert np.array_equal(a, b) and np.array_equal(b, c) and b.dtype == c.dtype
    monkeypatch.setenv("ACTOPT_CACHE", "/proc/actopt-unwritable")  # no cache: still the data
    assert all(np.array_equal(a, b) for a, b in zip(made, M._generate.__wrapped__(100, 40, 7),
                                                     strict=True))  # fmt: skip

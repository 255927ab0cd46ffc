"""The binding contract: the type stub covers the extension, arrays cross without Python
objects per element, exceptions are typed, and long computations release the GIL."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import numpy as np

import jangkau
from jangkau import _core

STUB = Path(jangkau.__file__).with_name("_core.pyi")


def test_stub_lists_every_public_name():
    tree = ast.parse(STUB.read_text())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
              for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    public = {n for n in dir(_core) if not n.startswith("_")}
    missing = public - names
    assert not missing, f"regenerate bindings/python/jangkau/_core.pyi (pybind11-stubgen): {sorted(missing)}"
    assert (STUB.parent / "py.typed").is_file()


def test_numpy_in_and_out():
    tx, ty = np.arange(5.0), np.zeros(5)
    idx, dist = _core.nearest_points(tx, ty, np.array([1.2, 3.9]), np.array([0.0, 0.0]))
    assert idx.dtype == np.int64 and dist.dtype == np.float64
    np.testing.assert_array_equal(idx, [1, 4])
    # non-contiguous and int input are converted (forcecast), not rejected
    idx2, _ = _core.nearest_points(np.arange(10)[::2], np.zeros(5, dtype=np.int32), np.array([2.9]), np.array([0.0]))
    assert idx2[0] == 1


def test_gil_released_during_long_calls():
    """Another Python thread keeps running while the engine computes."""
    rng = np.random.default_rng(0)
    tx, ty = rng.uniform(0, 1e5, 200_000), rng.uniform(0, 1e5, 200_000)
    qx, qy = rng.uniform(0, 1e5, 400_000), rng.uniform(0, 1e5, 400_000)
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=count)
    t.start()
    before = ticks
    _core.nearest_points(tx, ty, qx, qy, threads=1)
    during = ticks - before
    stop.set()
    t.join()
    assert during > 1000  # the counter thread ran while the engine worked


def test_engine_errors_are_typed():
    try:
        _core.read_vector("/nonexistent/file.gpkg")
    except jangkau.DataFileError as exc:
        assert isinstance(exc, OSError) and exc.file == "/nonexistent/file.gpkg"
    else:  # pragma: no cover
        raise AssertionError("no DataFileError")

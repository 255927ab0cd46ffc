"""The binding contract: the type stub covers the extension, arrays cross without Python
objects per element, exceptions are typed, and long computations release the GIL."""

from __future__ import annotations

import ast
import gc
import threading
import time
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


# --------------------------------------------------------------------------- the array contract

def _squares(n: int, size: float = 1.0) -> _core.GeometryArray:
    """n x n unit squares (one polygon each) as a GeometryArray built from numpy arrays."""
    i, j = np.meshgrid(np.arange(n, dtype=float), np.arange(n, dtype=float), indexing="ij")
    x0, y0 = (i.ravel() * size), (j.ravel() * size)
    xs = np.stack([x0, x0 + size, x0 + size, x0, x0], axis=1).ravel()
    ys = np.stack([y0, y0, y0 + size, y0 + size, y0], axis=1).ravel()
    k = n * n
    ring = np.arange(0, 5 * k + 1, 5, dtype=np.int64)
    part = np.arange(k + 1, dtype=np.int64)
    return _core.GeometryArray(_core.GeometryKind.Polygon, xs, ys, ring, part, part.copy())


def test_geometry_array_properties_are_read_only_views_that_keep_it_alive():
    ga = _squares(3)
    x1, x2 = ga.x, ga.x
    assert np.shares_memory(x1, x2)  # both views of the engine's vector: no copy per access
    for a, dtype in ((ga.x, np.float64), (ga.y, np.float64), (ga.ring_offsets, np.int64),
                     (ga.part_offsets, np.int64), (ga.geom_offsets, np.int64)):
        assert a.dtype == dtype and not a.flags.writeable and a.base is ga
    try:
        x1[0] = 99.0
    except ValueError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a GeometryArray view is writeable")
    want = x1.copy()
    del ga, x2
    gc.collect()
    np.testing.assert_array_equal(x1, want)  # the view keeps the GeometryArray alive
    np.testing.assert_array_equal(polygon_areas_of(_squares(3)), np.ones(9))


def polygon_areas_of(ga: _core.GeometryArray) -> np.ndarray:
    return _core.polygon_area(ga)


def test_geometry_array_input_accepts_strided_and_other_dtypes():
    ga = _squares(2)
    coords = np.column_stack([ga.x, ga.y])  # x = coords[:, 0] is strided
    ring32 = ga.ring_offsets.astype(np.int32)
    gb = _core.GeometryArray(ga.kind, coords[:, 0], coords[:, 1], ring32, ga.part_offsets, ga.geom_offsets)
    np.testing.assert_array_equal(gb.x, ga.x)
    np.testing.assert_array_equal(gb.y, ga.y)
    np.testing.assert_array_equal(gb.ring_offsets, ga.ring_offsets)
    assert not np.shares_memory(gb.x, coords)  # the engine owns its copy
    try:
        _core.GeometryArray(ga.kind, ga.x, ga.y[:-1], ga.ring_offsets, ga.part_offsets, ga.geom_offsets)
    except jangkau.InvalidInputError:
        pass
    else:  # pragma: no cover
        raise AssertionError("no InvalidInputError")


def test_results_own_their_memory_without_copies():
    """Arrays computed by the engine are moved out: writeable, owned by a capsule, right dtypes."""
    facility, distance, weight, mean, q = _core.allocate_nearest(
        np.array([0.0, 1.0, 5.0]), np.zeros(3), np.array([1.0, 0.0, 2.0]), np.array([0.0, 4.0]), np.zeros(2))
    for a, dtype in ((facility, np.int64), (distance, np.float64), (weight, np.float64), (mean, np.float64),
                     (q, np.float64)):
        assert a.dtype == dtype and a.flags.writeable and a.flags.c_contiguous
        assert type(a.base).__name__ == "PyCapsule"
    np.testing.assert_array_equal(facility, [0, -1, 1])
    np.testing.assert_array_equal(distance, [0.0, np.inf, 1.0])
    np.testing.assert_array_equal(weight, [1.0, 2.0])
    assert q.shape == (2, 2)
    _w, m, qs = _core.weighted_group_stats(np.array([1.0, 2.0, 3.0]), np.ones(3), np.array([0, 0, 1]), 2,
                                          np.array([0.5]))
    assert qs.shape == (1, 2) and qs.dtype == np.float64
    np.testing.assert_array_equal(m, [1.5, 3.0])


def test_array_arguments_are_checked():
    try:
        _core.nearest_points(np.zeros((2, 2)), np.zeros(2), np.zeros(1), np.zeros(1))
    except ValueError as exc:
        assert "1-D" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a 2-D array was accepted")
    try:
        _core.weighted_group_stats(np.ones(3), np.ones(2), np.zeros(3, dtype=np.int64), 1, np.array([0.5]))
    except jangkau.InvalidInputError as exc:
        assert "differ in length" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no InvalidInputError")


def test_vector_layer_arrays_are_read_only_views(tmp_path):
    path = tmp_path / "points.gpkg"
    ga = _core.GeometryArray(_core.GeometryKind.Point, np.array([106.1, 106.2]), np.array([-6.1, -6.2]),
                             np.arange(3, dtype=np.int64), np.arange(3, dtype=np.int64), np.arange(3, dtype=np.int64))
    _core.write_vector(str(path), ga, "EPSG:4326", ["n", "v", "s"],
                       [np.array([7, 8]), np.array([0.5, np.nan]), ["a", None]])
    layer = _core.read_vector(str(path))
    fid = layer.fid
    assert fid.dtype == np.int64 and not fid.flags.writeable and fid.base is layer
    cols = {name: (typ, values, valid) for name, typ, values, valid in layer.columns()}
    assert cols["n"][0] == "int" and not cols["n"][1].flags.writeable and cols["n"][1].base is layer
    np.testing.assert_array_equal(cols["n"][1], [7, 8])
    assert cols["v"][0] == "float" and cols["v"][1].dtype == np.float64 and cols["v"][1][0] == 0.5
    assert cols["s"][1] == ["a", ""] and list(cols["s"][2]) == [1, 0]
    assert np.shares_memory(layer.geometry.x, layer.geometry.x)


# --------------------------------------------------------------------------- GIL

def _runs_alongside(call) -> int:
    """Ticks of a Python counter thread stamped inside the middle half of `call()`: zero when the
    call holds the GIL (the thread cannot run then), many when it releases it."""
    stamps: list[float] = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            stamps.append(time.perf_counter())

    t = threading.Thread(target=count)
    t.start()
    t0 = time.perf_counter()
    call()
    t1 = time.perf_counter()
    stop.set()
    t.join()
    lo, hi = t0 + 0.25 * (t1 - t0), t1 - 0.25 * (t1 - t0)
    return sum(lo < s < hi for s in stamps)


def test_gil_released_during_coverage_and_index_calls():
    rng = np.random.default_rng(1)
    zones = _squares(40, 250.0)  # 1600 zones over 10 km
    px, py = rng.uniform(0, 1e4, 3000), rng.uniform(0, 1e4, 3000)
    assert _runs_alongside(lambda: _core.disc_union_areas(zones, px, py, np.array([300.0, 600.0]), threads=1)) > 100
    cx, cy = rng.uniform(0, 1e5, 1_000_000), rng.uniform(0, 1e5, 1_000_000)
    pop = rng.uniform(0, 10, 1_000_000)
    assert _runs_alongside(lambda: _core.allocate_nearest(cx, cy, pop, px * 10, py * 10, threads=1)) > 100
    groups = rng.integers(0, 1000, 1_000_000)
    assert _runs_alongside(lambda: _core.weighted_group_stats(cx, pop, groups, 1000, np.array([0.5, 0.9]))) > 100
    # locate_points with one point: the polygon index build is the whole call
    big = _squares(700, 10.0)  # 490k polygons: the GIL-holding build of main ran ~1 s without a tick
    assert _runs_alongside(lambda: _core.locate_points(big, np.array([5.0]), np.array([5.0]), threads=1)) > 100


# --------------------------------------------------------------------------- option classes

def test_option_classes_take_keywords_and_repr():
    spec = _core.CatchmentSpec(decay=_core.Decay.Zones, zone_breaks=[5.0, 10.0], zone_weights=[1.0, 0.5],
                               hansen=False)
    assert spec.decay == _core.Decay.Zones and spec.zone_breaks == [5.0, 10.0] and spec.max_cost == np.inf
    assert spec.beta == 1.0 and spec.min_cost == 1.0 and spec.hansen is False
    again = eval(repr(spec), {"CatchmentSpec": _core.CatchmentSpec, "Decay": _core.Decay, "inf": np.inf})
    assert repr(again) == repr(spec)
    default = _core.CatchmentSpec()
    assert default.decay == _core.Decay.Step and default.zone_breaks == [10.0, 20.0, 30.0]
    try:
        _core.CatchmentSpec(_core.Decay.Step)
    except TypeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("CatchmentSpec accepted a positional argument")
    grid = _core.Grid(origin_x=0.0, origin_y=10.0, cell_width=1.0, cell_height=2.0, rows=5, cols=3)
    assert repr(grid) == "Grid(origin_x=0.0, origin_y=10.0, cell_width=1.0, cell_height=2.0, rows=5, cols=3)"
    assert repr(eval(repr(grid), {"Grid": _core.Grid})) == repr(grid)

"""Tests of the shared helpers (issue 11, one home per concept): atomic writes, the sha256 of
a file, largest-remainder apportionment (jangkau.util), contiguity (jangkau.data.contiguity),
the population split (Population.zone_shares / shares_within / pieces) and the cached
reversed road graph."""

from __future__ import annotations

import hashlib
import itertools
import os
import stat
import tempfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from jangkau import _core
from jangkau.data.contiguity import components, grow_regions, is_connected
from jangkau.data.io import to_geometry_array
from jangkau.data.population import PopulationModel, from_zone_counts
from jangkau.data.raster import Raster, grid_for_bounds
from jangkau.errors import InvalidInputError
from jangkau.util import (
    apportion,
    atomic_output,
    atomic_write_bytes,
    atomic_write_text,
    largest_remainder,
    sha256_file,
)

# ------------------------------------------------------------------------------ atomic writes


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_atomic_write_replaces_with_usual_permissions(tmp_path):
    p = tmp_path / "sub" / "out.txt"  # the folder is created
    atomic_write_text(p, "a\nb\r\nc ü")
    assert p.read_bytes() == "a\nb\r\nc ü".encode()  # no newline translation
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask
    atomic_write_bytes(p, b"\x00\x01")
    assert p.read_bytes() == b"\x00\x01"
    with atomic_output(p, "w") as f:
        pd.DataFrame({"x": [1, 2]}).to_csv(f, index=False, lineterminator="\n")
    assert p.read_bytes() == b"x\n1\n2\n"
    assert _leftovers(p.parent, {"out.txt"}) == []


def test_atomic_write_keeps_the_old_file_when_the_writer_fails_midway(tmp_path):
    p = tmp_path / "out.bin"
    p.write_bytes(b"old content")

    class Boom(RuntimeError):
        pass

    with pytest.raises(Boom), atomic_output(p) as f:
        f.write(b"new content, first half")
        f.flush()  # the temporary file really holds data
        assert len(list(tmp_path.iterdir())) == 2
        raise Boom("writer failed")
    assert p.read_bytes() == b"old content"
    assert _leftovers(tmp_path, {"out.bin"}) == []


def test_atomic_write_keeps_the_old_file_when_fsync_fails(tmp_path, monkeypatch):
    p = tmp_path / "out.bin"
    p.write_bytes(b"old content")

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(p, b"new content")
    monkeypatch.undo()
    assert p.read_bytes() == b"old content"
    assert _leftovers(tmp_path, {"out.bin"}) == []


def test_atomic_write_into_a_read_only_folder_fails_and_keeps_the_old_file():
    # As root, permissions do not stop writes: the write then runs in a child process that
    # dropped to an unprivileged user (nobody).
    folder = Path(tempfile.mkdtemp(prefix="jangkau-ro-"))
    p = folder / "out.txt"
    p.write_bytes(b"old content")
    p.chmod(0o644)
    folder.chmod(0o555)
    try:
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                try:
                    atomic_write_bytes(p, b"new content")
                    code = 2  # the write went through: wrong
                except PermissionError:
                    code = 0 if p.read_bytes() == b"old content" else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert p.read_bytes() == b"old content"
        assert sorted(x.name for x in folder.iterdir()) == ["out.txt"]
    finally:
        folder.chmod(0o755)
        p.unlink()
        folder.rmdir()


def test_atomic_output_rejects_other_modes(tmp_path):
    with pytest.raises(InvalidInputError, match="mode"), atomic_output(tmp_path / "x", "a"):
        pass


# ------------------------------------------------------------------------------ sha256


def test_sha256_file_equals_hashlib_on_a_big_file(tmp_path):
    data = np.random.default_rng(5).integers(0, 256, 5 * (1 << 20) + 12345, dtype=np.uint8).tobytes()
    p = tmp_path / "big.bin"
    p.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_file(p) == expected
    assert sha256_file(str(p), chunk_size=4096 + 7) == expected  # chunk boundaries do not matter
    e = tmp_path / "empty"
    e.write_bytes(b"")
    assert sha256_file(e) == hashlib.sha256(b"").hexdigest()


# ------------------------------------------------------------------------------ largest remainder


def _brute_force(quotas, total, caps, ties):
    """The integer vector 0 ≤ x ≤ cap with Σx = total closest to the quotas in Σ(x - q)²,
    ties to the entry with the smaller tie key (lexicographically largest x in key order)."""
    n = len(quotas)
    key_order = np.lexsort((np.arange(n), np.asarray(ties)))
    best = None
    for x in itertools.product(range(total + 1), repeat=n):
        if sum(x) != total or any(x[i] > caps[i] for i in range(n)):
            continue
        cost = round(sum((x[i] - quotas[i]) ** 2 for i in range(n)), 9)
        rank = (cost, tuple(-x[i] for i in key_order))
        if best is None or rank < best[0]:
            best = (rank, x)
    return None if best is None else list(best[1])


def test_largest_remainder_hand_cases():
    # plain Hamilton: quotas 2.5, 1.5, 1.0 -> tie between the two halves goes to the lower index
    assert apportion([5, 3, 2], 5).tolist() == [3, 1, 1]
    # ties by key: the smallest label wins
    assert apportion([1, 1, 1], 2, ties=["c", "b", "a"]).tolist() == [0, 1, 1]
    assert apportion([1, 1, 1], 2).tolist() == [1, 1, 0]
    # caps: the capped surplus goes round the others, in passes
    assert apportion([10, 1, 1], 6, caps=[2, np.inf, np.inf]).tolist() == [2, 2, 2]
    assert apportion([10, 1, 1], 7, caps=[2, 4, 5]).tolist() == [2, 3, 2]
    # quotas a hair off an integer (rounding noise) keep that integer
    assert largest_remainder([1 - 1e-11, 1 + 1e-11, 1.0], 3).tolist() == [1, 1, 1]
    assert largest_remainder([2.5, 0.5, 1 - 1e-11], 4).tolist() == [3, 0, 1]
    assert apportion([1, 2], 0).tolist() == [0, 0]
    with pytest.raises(InvalidInputError, match="add up to"):
        largest_remainder([2.0, 2.0], 3)  # floors above the total
    with pytest.raises(InvalidInputError, match="add up to"):
        largest_remainder([0.5, 0.5], 4)  # too few units in the quotas
    with pytest.raises(InvalidInputError, match="positive sum"):
        apportion([0, 0], 3)
    with pytest.raises(InvalidInputError, match="negative"):
        apportion([1, 2], -1)
    with pytest.raises(InvalidInputError, match="caps allow only 3"):
        apportion([1, 2], 4, caps=[1, 2])


def test_largest_remainder_against_brute_force_with_ties_and_caps():
    rng = np.random.default_rng(11)
    checked = 0
    for trial in range(400):
        n = int(rng.integers(1, 5))
        # small integer weights make exact ties common
        w = rng.integers(0, 4, n).astype(float)
        if w.sum() == 0:
            w[0] = 1.0
        total = int(rng.integers(0, 8))
        caps = rng.integers(0, 6, n) if trial % 2 else np.full(n, 99)
        ties = rng.permutation(n).astype(str) if trial % 3 == 0 else np.arange(n)
        quotas = total * w / w.sum()
        expected = _brute_force(quotas, total, caps, ties)
        if expected is None:
            with pytest.raises(InvalidInputError):
                apportion(w, total, caps=caps, ties=ties)
            continue
        got = apportion(w, total, caps=caps, ties=ties)
        assert got.tolist() == expected, (w, total, caps, ties)
        assert got.sum() == total and (got <= caps).all()
        checked += 1
    assert checked > 250


def test_pilots_and_seats_use_the_shared_apportionment():
    from jangkau.selection.dapil import allocate_dapil_seats
    from jangkau.selection.ranking import allocate_largest_remainder

    sizes = pd.Series({"D2": 3.0, "D1": 3.0, "D3": 2.0})
    got = allocate_largest_remainder(sizes, 4)
    # quotas 1.5, 1.5, 1: the tie goes to the label that sorts first (D1)
    assert got.to_dict() == {"D2": 1, "D1": 2, "D3": 1}
    capped = allocate_largest_remainder(sizes, 7, caps=pd.Series({"D2": 1}))
    # quotas 2.625, 2.625, 1.75; D2 is held at 1, the surplus goes round by remainder
    assert capped.to_dict() == {"D2": 1, "D1": 3, "D3": 3}
    seats = allocate_dapil_seats(pd.Series({"A": 100.0, "B": 100.0, "C": 50.0}), 7)
    assert seats["seats"].tolist() == [3, 3, 1]


# ------------------------------------------------------------------------------ contiguity


def _random_graph(rng, n, p):
    g = nx.gnp_random_graph(n, p, seed=int(rng.integers(1 << 30)))
    return g, [sorted(g.neighbors(v)) for v in range(n)]


def test_components_and_is_connected_against_networkx():
    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(1, 30))
        g, nb = _random_graph(rng, n, float(rng.uniform(0.02, 0.3)))
        sub = sorted(int(v) for v in rng.choice(n, int(rng.integers(1, n + 1)), replace=False))
        h = g.subgraph(sub)
        expected = sorted(sorted(c) for c in nx.connected_components(h))
        assert components(sub, nb) == expected
        assert is_connected(sub, nb) == nx.is_connected(h)
        # the same graph by labels, as a mapping; nodes missing from it have no neighbours
        iso = {v for v in range(n) if v % 7 == 0}
        lab = {f"k{v:02d}": [f"k{w:02d}" for w in nb[v] if w not in iso] for v in range(n) if v not in iso}
        h2 = g.copy()
        h2.remove_edges_from([e for e in g.edges if e[0] in iso or e[1] in iso])
        exp_l = sorted(sorted(f"k{v:02d}" for v in c) for c in nx.connected_components(h2.subgraph(sub)))
        assert components([f"k{v:02d}" for v in sub], lab) == exp_l
    assert not is_connected([], [])


def test_grow_regions_gives_contiguous_balanced_regions():
    rng = np.random.default_rng(8)
    g = nx.grid_2d_graph(8, 9)
    idx = {v: i for i, v in enumerate(sorted(g))}
    nb = [sorted(idx[w] for w in g.neighbors(v)) for v in sorted(g)]
    weight = rng.uniform(1, 3, len(nb))
    start = {0: "a", 71: "b", 8: "c", 63: "d"}
    seen_candidates = []

    def choose(region, cand):
        seen_candidates.append(cand)
        return cand[int(rng.integers(len(cand)))]

    label = grow_regions(nb, weight, start, choose)
    assert len(label) == len(nb) and all(label[v] == r for v, r in start.items())
    assert all(c == sorted(c) and c for c in seen_candidates)
    gi = nx.relabel_nodes(g, idx)
    sizes = []
    for r in "abcd":
        members = [v for v, x in label.items() if x == r]
        assert nx.is_connected(gi.subgraph(members))
        sizes.append(weight[members].sum())
    assert max(sizes) < 2 * min(sizes)  # balanced: the lightest region always grows next
    # a closed region does not grow; nodes only it could reach stay unassigned
    path = [[1], [0, 2], [1, 3], [2]]
    got = grow_regions(path, [1, 1, 1, 1], {0: "x", 1: "y"}, lambda r, c: c[0], closed={"y"})
    assert got == {0: "x", 1: "y"}
    # the lightest region grows first (ties: the smaller label)
    order = []
    grow_regions(path, [5, 1, 1, 1], {0: "x", 3: "y"}, lambda r, c: (order.append(r), c[0])[1])
    assert order == ["y", "y"]


# ------------------------------------------------------------------------------ population split


def _old_source_shares(population, pieces):
    """Population.source_shares as it was before the split had one home (reference)."""
    zone_area = _core.polygon_area(population.source_geometry())
    area_share = np.divide(_core.polygon_area(pieces), zone_area, out=np.zeros(len(zone_area)), where=zone_area > 0)
    if population.raster is None:
        return area_share
    w = np.nan_to_num(population.raster.values, nan=0.0)
    s, _, _ = _core.zonal_sums(population.raster.grid, w, pieces)
    tot, _, _ = _core.zonal_sums(population.raster.grid, w, population.source_geometry())
    return np.where(tot > 0, np.divide(s, tot, out=np.zeros_like(s), where=tot > 0), area_share)


def _old_demand_split(population, cell_size):
    """The split travel.demand made before it reused Population.pieces (reference)."""
    src = population.zones
    grid = population.surface(cell_size).grid
    offsets, cells, frac = _core.cell_coverage(grid, to_geometry_array(src.geometry), 0.0, 0)
    owner = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    weight = frac
    if population.raster is not None:
        w = np.nan_to_num(population.raster.values, nan=0.0).ravel()
        weight = frac * w[cells]
        tot = np.bincount(owner, weights=weight, minlength=len(offsets) - 1)
        weight = np.where(tot[owner] <= 0, frac, weight)
    tot = np.bincount(owner, weights=weight, minlength=len(offsets) - 1)
    pop_s = src["population"].to_numpy(dtype=np.float64)
    return owner, cells, pop_s[owner] * np.divide(weight, tot[owner], out=np.zeros_like(weight), where=tot[owner] > 0)


@pytest.fixture(scope="module")
def cilegon_models(data_dir):
    desa = gpd.read_file(data_dir / "boundaries" / "hdx_bps2020_desa_3672_kota_cilegon.geojson")
    desa = desa.to_crs(desa.estimate_utm_crs())
    desa["code"] = desa["village_code"].astype(str)
    desa["population"] = np.round(np.sqrt(desa.geometry.area.to_numpy()) * 3.0)
    grid = grid_for_bounds(desa.total_bounds, 250.0)
    w = np.random.default_rng(7).random((grid.rows, grid.cols))
    w[:, : grid.cols // 3] = 0.0  # the western desa have no weight: areal fallback
    w[0, 0] = np.nan
    weighted = from_zone_counts(desa, weights=Raster(values=w, grid=grid, crs=desa.crs.to_wkt(), nodata=None))
    return desa, from_zone_counts(desa), weighted


def test_population_split_equals_the_old_rule_on_real_desa(cilegon_models):
    desa, areal, weighted = cilegon_models
    assert len(desa) > 30
    fac = shapely.points(desa.geometry.representative_point().x.to_numpy()[::5],
                         desa.geometry.representative_point().y.to_numpy()[::5])
    cover = shapely.union_all(shapely.buffer(fac, 1500.0))
    for pop in (areal, weighted):
        assert pop.model is PopulationModel.ZONES
        src = pop.source_geometry()
        ga = to_geometry_array(gpd.GeoSeries([cover], crs=pop.crs_object))
        pieces = _core.intersect_zones(src, ga, 0)
        old = _old_source_shares(pop, pieces)
        np.testing.assert_array_equal(pop.source_shares(pieces), old)
        np.testing.assert_allclose(pop.shares_within(ga), np.minimum(old, 1.0), rtol=1e-12, atol=1e-12)
        # zone_shares on (radii, zones) arrays, as the coverage fast path gives them
        areas = np.vstack([_core.polygon_area(pieces), _core.polygon_area(pieces) / 2])
        sums = None
        if pop.raster is not None:
            wv = np.nan_to_num(pop.raster.values, nan=0.0)
            s, _, _ = _core.zonal_sums(pop.raster.grid, wv, pieces)
            sums = np.vstack([s, s / 2])
        both = pop.zone_shares(areas, sums)
        np.testing.assert_array_equal(both[0], old)
        # the demand split is Population.pieces, bit for bit
        owner, cells, mass = _old_demand_split(pop, 200.0)
        z, c, m, _ = pop.pieces(200.0)
        np.testing.assert_array_equal(z, owner)
        np.testing.assert_array_equal(c, cells)
        np.testing.assert_array_equal(m, mass)
        np.testing.assert_allclose(np.bincount(z, weights=m, minlength=len(desa)), pop.zones["population"], rtol=1e-9)
    # the weights matter where they exist, and the fallback is the areal share
    w_sh = weighted.source_shares(pieces)
    a_sh = areal.source_shares(pieces)
    assert not np.allclose(w_sh, a_sh)
    tot = weighted.weight_totals()
    assert (tot <= 0).any() and np.array_equal(w_sh[tot <= 0], a_sh[tot <= 0])
    with pytest.raises(InvalidInputError, match="weight sums"):
        weighted.zone_shares(_core.polygon_area(pieces))


# ------------------------------------------------------------------------------ reversed graph


def test_reversed_graph_is_built_once_and_reverses_every_edge(tmp_path):
    from jangkau.network.roads import RoadNetwork

    crs = "EPSG:32748"
    x0, y0 = 500000.0, 9300000.0
    lines = [shapely.affinity.translate(g, x0, y0) for g in (
        shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(1000, 0), (1000, 800)]),
        shapely.LineString([(1000, 800), (0, 0)]), shapely.LineString([(1000, 0), (2500, 300)]))]
    path = tmp_path / "roads.geojson"
    gpd.GeoDataFrame({"kelas": ["lokal"] * 4, "oneway": ["yes", "no", "yes", "no"]}, geometry=lines,
                     crs=crs).to_file(path)
    roads = RoadNetwork.from_layers({path: "lokal"})
    rev = roads.reversed_graph()
    assert roads.reversed_graph() is rev
    assert rev.weight_names == ("time_s", "length_m")
    fwd = nx.DiGraph()
    for f, t, s in zip(roads.edge_from, roads.edge_to, roads.edge_time_s):
        fwd.add_edge(int(f), int(t), w=float(s))
    for target in range(roads.node_count):
        to_target = nx.single_source_dijkstra_path_length(fwd.reverse(), target, weight="w")
        got = rev.nearest([target])["cost"].to_numpy()
        for v in range(roads.node_count):
            assert got[v] == pytest.approx(to_target.get(v, np.inf))


# ------------------------------------------------------------------------------ zones plus population


def test_zone_population_on_real_desa_against_shapely(cilegon_models):
    from jangkau.data.population import from_raster
    from jangkau.data.zones import ZonePopulation, zone_codes

    desa, areal, weighted = cilegon_models
    desa = desa.copy()
    desa["kecamatan_code"] = desa["district_code"].astype(str)
    desa.loc[desa.index[0], "kecamatan_code"] = None  # a desa without kecamatan: group "unknown"
    areal = from_zone_counts(desa)
    zp = ZonePopulation.resolve(desa, areal, "kecamatan_code")
    assert zp.model is PopulationModel.ZONES and zp.key == "kecamatan_code" and zp.targets is None
    codes, pop = zp.zone_population()
    expected = desa.assign(k=zone_codes(desa["kecamatan_code"])).groupby("k")["population"].sum()
    assert codes.tolist() == expected.index.tolist() and "unknown" in codes
    np.testing.assert_allclose(pop, expected.to_numpy(), rtol=1e-12)
    # covered population: shapely overlay, uniform density within each desa
    pts = desa.geometry.representative_point()
    cover = shapely.union_all(shapely.buffer(pts.values[::4], 1200.0))
    got = zp.covered(to_geometry_array(gpd.GeoSeries([cover], crs=areal.crs_object)))
    inter = shapely.area(shapely.intersection(desa.geometry.values, cover)) / shapely.area(desa.geometry.values)
    brute = (desa.assign(k=zone_codes(desa["kecamatan_code"]), c=desa["population"] * np.minimum(inter, 1.0))
             .groupby("k")["c"].sum())
    np.testing.assert_allclose(got, brute.reindex(codes).to_numpy(), rtol=1e-9, atol=1e-6)
    # the source zones as zones of their own level (unique codes): sorted, no dissolve
    zc = ZonePopulation.resolve(desa, areal, "code")
    tz, tcodes = zc.target_zones()
    assert tcodes.tolist() == sorted(desa["code"].astype(str)) and len(tz) == len(desa)
    assert zc.names() == {} and zp.names() == {}

    # RASTER model: exact partial cells against shapely boxes
    surface = weighted.surface(250.0)
    raster_pop = from_raster(surface)
    zr = ZonePopulation.resolve(desa, raster_pop, "kecamatan_code")
    tz, rcodes = zr.target_zones()
    assert len(tz) == desa["kecamatan_code"].nunique()  # dissolved (the missing code is left out)
    rcodes2, rpop = zr.zone_population()
    assert rcodes2.tolist() == rcodes.tolist() == sorted(desa["kecamatan_code"].dropna().unique())
    cx, cy = surface.cell_centers()
    vals = np.nan_to_num(surface.values.ravel(), nan=0.0)
    keep = vals > 0
    cs = 250.0
    boxes = shapely.box(cx[keep] - cs / 2, cy[keep] - cs / 2, cx[keep] + cs / 2, cy[keep] + cs / 2)
    tzm = raster_pop.to_crs_of_model(tz)
    for k, zone in enumerate(tzm.geometry.values):
        frac = shapely.area(shapely.intersection(boxes, zone)) / (cs * cs)
        assert rpop[k] == pytest.approx(float(np.sum(vals[keep] * frac)), rel=1e-9, abs=1e-6)
    cov = zr.covered(to_geometry_array(gpd.GeoSeries([cover], crs=raster_pop.crs_object)))
    for k, zone in enumerate(tzm.geometry.values):
        frac = shapely.area(shapely.intersection(boxes, shapely.intersection(zone, cover))) / (cs * cs)
        assert cov[k] == pytest.approx(float(np.sum(vals[keep] * frac)), rel=1e-9, abs=1e-6)

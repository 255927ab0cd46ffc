"""Nearest-facility distance of Kab. Serang (the figures of nearest_distance.csv and the
``nearest_distance_m_*`` indicators) checked against an independent computation in the same
CRS (the region's working CRS, UTM 48S):

* per demand point (the centre of every populated 100 m cell): jangkau's distance against
  scipy's cKDTree and geopandas' ``sjoin_nearest``;
* the population-weighted means per desa, kecamatan and kabupaten: the cells cut by the desa
  with shapely (``sjoin`` + ``intersection`` areas), each piece weighing
  population_desa · area(piece) / area(desa), as jangkau's ZONES model states.

Facility families: Serang's REAL facilities (the Kemdikbud and BPJS registers after the
facility QA and its default policies, as the run uses them), and a clustered synthetic family
(a few tight clusters, seeded) on the same desa, where the nearest facility is often far.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from jangkau.coverage.analysis import distance_by_zone, distance_to_nearest
from jangkau.data.population import from_zone_counts

CELL = 100.0  # the run's default distance_cell
TYPES = ("puskesmas", "sd", "smp", "sma")
#: Per point: both sides compute one Euclidean distance in doubles.
POINT_ATOL_M = 1e-6
#: Means: the piece areas come from two exact polygon clippers (the engine's and GEOS).
MEAN_RTOL = 1e-7


@pytest.fixture(scope="module")
def serang(serang_checked):
    return serang_checked[0]


@pytest.fixture(scope="module")
def facilities(serang_checked):
    return serang_checked[1].to_crs(serang_checked[0].working_crs)


@pytest.fixture(scope="module")
def desa(serang):
    return serang.zones("desa", crs=serang.working_crs)


@pytest.fixture(scope="module")
def pieces(desa):
    """The reference surface: every (desa, 100 m cell) piece with its persons, by geopandas."""
    xmin, ymin, xmax, ymax = desa.total_bounds
    x0, y1 = np.floor(xmin / CELL) * CELL, np.ceil(ymax / CELL) * CELL
    cols, rows = int(np.ceil((xmax - x0) / CELL)), int(np.ceil((y1 - ymin) / CELL))
    r, c = np.divmod(np.arange(rows * cols), cols)
    left, top = x0 + c * CELL, y1 - r * CELL
    cells = gpd.GeoDataFrame({"row": r, "col": c}, geometry=shapely.box(left, top - CELL, left + CELL, top),
                             crs=desa.crs)
    zones = desa[["code", "kecamatan_code", "population", "geometry"]].reset_index(drop=True)
    pairs = gpd.sjoin(cells, zones, how="inner", predicate="intersects")
    area = shapely.area(shapely.intersection(pairs.geometry.values,
                                             zones.geometry.values[pairs["index_right"].to_numpy()]))
    out = pd.DataFrame({"row": pairs["row"].to_numpy(), "col": pairs["col"].to_numpy(),
                        "code": pairs["code"].astype(str).to_numpy(),
                        "kecamatan_code": pairs["kecamatan_code"].astype(str).to_numpy(),
                        "persons": pairs["population"].to_numpy(dtype=float) * area
                        / zones.geometry.area.to_numpy()[pairs["index_right"].to_numpy()],
                        "cx": x0 + (pairs["col"].to_numpy() + 0.5) * CELL,
                        "cy": y1 - (pairs["row"].to_numpy() + 0.5) * CELL})
    out = out[out["persons"] > 0].reset_index(drop=True)
    # Every person of every desa is on the reference surface.
    np.testing.assert_allclose(out.groupby("code")["persons"].sum().loc[zones["code"].astype(str)].to_numpy(),
                               zones["population"].to_numpy(dtype=float), rtol=1e-9)
    return out


def _clustered(desa: gpd.GeoDataFrame, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = desa.total_bounds
    centres = rng.uniform((xmin, ymin), (xmax, ymax), size=(4, 2))
    pts = np.repeat(centres, 15, axis=0) + rng.normal(0.0, 600.0, size=(60, 2))
    return gpd.GeoDataFrame({"facility_type": np.full(len(pts), "cluster")}, geometry=shapely.points(pts),
                            crs=desa.crs)


def _weighted(frame: pd.DataFrame, key: str) -> pd.Series:
    w = frame["persons"]
    return (frame["d"] * w).groupby(frame[key]).sum() / w.groupby(frame[key]).sum()


def _check(serang, desa, pieces, fac: gpd.GeoDataFrame) -> None:
    population = from_zone_counts(desa)
    fxy = shapely.get_coordinates(fac.geometry.values)
    assert len(fxy) > 0
    # 1. Per demand point: the distance raster at every reference cell centre.
    raster = distance_to_nearest(population, fac, cell_size=CELL)
    g = raster.grid
    assert g.cell_width == CELL and g.origin_x % CELL == 0 and g.origin_y % CELL == 0
    centres = pieces.drop_duplicates(["row", "col"])
    col = np.round((centres["cx"].to_numpy() - g.origin_x) / CELL - 0.5).astype(np.int64)
    row = np.round((g.origin_y - centres["cy"].to_numpy()) / CELL - 0.5).astype(np.int64)
    ours = raster.values[row, col]
    kd, _ = cKDTree(fxy).query(centres[["cx", "cy"]].to_numpy())
    np.testing.assert_allclose(ours, kd, rtol=0, atol=POINT_ATOL_M)
    pts = gpd.GeoDataFrame(geometry=shapely.points(centres[["cx", "cy"]].to_numpy()), crs=desa.crs)
    near = gpd.sjoin_nearest(pts, fac[["geometry"]], how="left", distance_col="d")
    near = near[~near.index.duplicated()]  # ties: one row per point
    np.testing.assert_allclose(ours, near["d"].to_numpy(), rtol=0, atol=POINT_ATOL_M)
    # Every populated cell of jangkau's surface is a reference cell and vice versa.
    assert np.isfinite(raster.values).sum() >= len(centres)
    # 2. Population-weighted means per desa, kecamatan and kabupaten.
    d = pd.Series(kd, index=pd.MultiIndex.from_arrays([centres["row"], centres["col"]]))
    frame = pieces.assign(d=d.loc[list(zip(pieces["row"], pieces["col"]))].to_numpy(), kab="all")
    for level, key in (("desa", "code"), ("kecamatan", "kecamatan_code"), ("kabupaten", "kab")):
        zones = serang.zones(level, crs=serang.working_crs)
        got = distance_by_zone(population, fac, zones, cell_size=CELL).set_index("code")
        ref = _weighted(frame, key)
        if level == "kabupaten":
            ref.index = got.index
        np.testing.assert_allclose(got["mean_distance_m"].loc[ref.index].to_numpy(), ref.to_numpy(),
                                   rtol=MEAN_RTOL)
        pop = frame.groupby(key)["persons"].sum()
        np.testing.assert_allclose(got["population"].to_numpy().sum(), pop.sum(), rtol=1e-9)


@pytest.mark.parametrize("ftype", TYPES)
def test_serang_nearest_distance_equals_ckdtree_and_sjoin_nearest(serang, desa, pieces, facilities, ftype):
    _check(serang, desa, pieces, facilities[facilities["facility_type"] == ftype].reset_index(drop=True))


def test_nearest_distance_clustered_facilities(serang, desa, pieces):
    _check(serang, desa, pieces, _clustered(desa))

"""Population surfaces: areal weighting, dasymetric reweighting, raster counts; totals are
conserved at any cell size. Population counts here are SYNTHETIC (seeded): no real
desa/kelurahan table exists in the data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from jangkau import _core
from jangkau.data.io import to_geometry_array
from jangkau.data.population import PopulationModel, from_raster, from_zone_counts, join_counts
from jangkau.data.raster import Raster, grid_for_bounds, write_raster
from jangkau.errors import CrsError, InvalidInputError, UnknownColumnError

UTM48S = "EPSG:32748"


@pytest.fixture(scope="module")
def cilegon(data_dir):
    desa = gpd.read_file(data_dir / "boundaries" / "hdx_bps2020_desa_3672_kota_cilegon.geojson").to_crs(
        UTM48S
    )
    desa["code"] = desa["village_code"].str.removeprefix("id")
    rng = np.random.default_rng(3672)
    desa["population"] = rng.integers(1500, 30000, len(desa)).astype(float)  # SYNTHETIC
    return desa


@pytest.mark.parametrize("cell", [2000.0, 500.0, 137.0, 30.0])
def test_areal_weighting_conserves_totals_at_any_cell_size(cilegon, cell):
    pop = from_zone_counts(cilegon)
    assert pop.model is PopulationModel.ZONES
    surface = pop.surface(cell)
    assert surface.values.sum() == pytest.approx(cilegon["population"].sum(), rel=1e-9)
    # Each zone's own cells (exact partial cells of the zone, weighted by the zone's share of
    # each cell) give back exactly the zone's count: the per-zone masses sum to P_s.
    offsets, _, frac = _core.cell_coverage(surface.grid, to_geometry_array(pop.zones.geometry))
    zone_area = pop.zones.area.to_numpy()
    for k in range(0, len(cilegon), 7):
        f = frac[offsets[k] : offsets[k + 1]]
        mass = cilegon["population"].iloc[k] * f * surface.grid.cell_area / zone_area[k]
        assert mass.sum() == pytest.approx(cilegon["population"].iloc[k], rel=1e-9)


def test_polygon_model_shares_are_exact_overlay(cilegon):
    pop = from_zone_counts(cilegon)
    disc = shapely.Point(cilegon.union_all().centroid).buffer(3000.0)
    pieces = [g.intersection(disc) for g in pop.zones.geometry]
    share = pop.source_shares(to_geometry_array(pieces))
    expected = np.array([p.area for p in pieces]) / pop.zones.area.to_numpy()
    np.testing.assert_allclose(share, expected, rtol=1e-12, atol=1e-15)


def test_dasymetric_reweighting(cilegon, tmp_path):
    grid = grid_for_bounds(cilegon.total_bounds, 200.0)
    rng = np.random.default_rng(9)
    w = rng.random((grid.rows, grid.cols))  # SYNTHETIC weights (e.g. built-up share)
    w[:, : grid.cols // 3] = 0.0  # western third uninhabited
    path = tmp_path / "w.tif"
    write_raster(path, Raster(w, grid, UTM48S))
    pop = from_zone_counts(cilegon, weights=path)
    surface = pop.surface()
    assert surface.grid.geotransform == grid.geotransform
    assert surface.values.sum() == pytest.approx(cilegon["population"].sum(), rel=1e-9)
    # Nobody is placed where the weight is zero, unless the whole zone has zero weight.
    zero_zone = pop.weight_totals() <= 0
    if not zero_zone.any():
        assert surface.values[:, : grid.cols // 3].sum() == 0.0
    # Zone shares with weights: the whole zone → 1.
    share = pop.source_shares(to_geometry_array(pop.zones.geometry))
    np.testing.assert_allclose(share, 1.0, rtol=1e-12)


def test_raster_model_counts(tmp_path, cilegon):
    grid = grid_for_bounds(cilegon.total_bounds, 100.0)
    rng = np.random.default_rng(1)
    counts = rng.poisson(3.0, (grid.rows, grid.cols)).astype(float)  # SYNTHETIC counts
    path = tmp_path / "counts.tif"
    write_raster(path, Raster(counts, grid, UTM48S))
    pop = from_raster(path)
    assert pop.model is PopulationModel.RASTER
    assert pop.total == pytest.approx(counts.sum())
    inside = pop.population_in(cilegon.geometry)
    assert inside.shape == (len(cilegon),) and inside.dtype == np.float64
    # Zones in another CRS are reprojected to the raster's CRS: same answer from WGS84 zones.
    inside84 = pop.population_in(cilegon.to_crs("EPSG:4326").geometry)
    np.testing.assert_allclose(inside84, inside, rtol=1e-6)
    # A cell is shared between zones by area: the zones partition the union.
    assert inside.sum() <= counts.sum()


def test_bad_population_input(tmp_path, cilegon):
    grid = _core.Grid(0.0, 0.0, 1.0, 1.0, 2, 2)
    p = tmp_path / "neg.tif"
    write_raster(p, Raster(np.array([[1.0, -2.0], [0.0, 1.0]]), grid, UTM48S))
    with pytest.raises(InvalidInputError):
        from_raster(p)
    q = tmp_path / "nocrs.tif"
    write_raster(q, Raster(np.ones((2, 2)), grid, ""))
    with pytest.raises(CrsError):
        from_raster(q)
    with pytest.raises(UnknownColumnError):
        from_zone_counts(cilegon, count_column="jiwa")
    bad = cilegon.copy()
    bad.loc[0, "population"] = -1
    with pytest.raises(InvalidInputError):
        from_zone_counts(bad)


def test_join_counts(cilegon):
    zones = cilegon.drop(columns="population")
    table = pd.DataFrame({"kode": cilegon["code"], "jiwa": cilegon["population"]}).iloc[:-1]
    joined = join_counts(zones, table, table_code="kode", count_column="jiwa")
    assert joined["population"].iloc[:-1].tolist() == cilegon["population"].iloc[:-1].tolist()
    assert np.isnan(joined["population"].iloc[-1])
    with pytest.raises(InvalidInputError):
        join_counts(zones, pd.DataFrame({"code": ["9999999999"], "population": [1.0]}))
    with pytest.raises(InvalidInputError):
        join_counts(zones, pd.DataFrame({"code": [zones["code"].iloc[0]] * 2, "population": [1.0, 2.0]}))
    with pytest.raises(UnknownColumnError):
        join_counts(zones, table, table_code="nope")

"""Isochrones: hand-made roads with known areas, and Kota Cilegon puskesmas (valid, nested,
population monotone)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import jangkau
from jangkau.data.facilities import read_facilities
from jangkau.data.io import write
from jangkau.data.population import from_zone_counts
from jangkau.network.build import build_roads
from jangkau.network.isochrones import IsochroneBuffer, isochrones, population_in
from jangkau.network.roads import RoadNetwork

CRS = "EPSG:32748"
X0, Y0 = 500000.0, 9300000.0  # a metric origin (UTM 48S); the geometry is synthetic


def straight_road(tmp_path: Path) -> RoadNetwork:
    """One straight 10 km two-way road (class lokal, 20 km/h → 1800 s) along y = Y0."""
    path = tmp_path / "road.geojson"
    gpd.GeoDataFrame({"kelas": ["lokal"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 10000, Y0)])],
                     crs=CRS).to_file(path)
    return RoadNetwork.from_layers({path: "lokal"})


def point(x, y) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"facility_type": ["puskesmas"]}, geometry=[shapely.Point(x, y)], crs=CRS)


def test_fixed_buffer_on_straight_road(tmp_path):
    roads = straight_road(tmp_path)
    assert roads.edge_time_s[0] == pytest.approx(1800.0)
    fac = point(X0 + 5000, Y0)  # on the road, in the middle
    b = 100.0
    g = isochrones(roads, fac, (5, 10), buffer=IsochroneBuffer.FIXED, buffer_m=b, cumulative=True, crs=CRS)
    # 5 min at 20 km/h = 1666.67 m each way; 10 min = 3333.33 m: a stadium of known area
    for row, minutes in zip(g.itertuples(), (5, 10)):
        half = 20000 / 60 * minutes
        poly = shapely.buffer(shapely.LineString([(X0 + 5000 - half, Y0), (X0 + 5000 + half, Y0)]), b)
        assert row.geometry.is_valid
        assert shapely.symmetric_difference(row.geometry, poly).area < 1e-3 * poly.area
        assert row.area_km2 == pytest.approx(row.geometry.area / 1e6, rel=1e-12)


def test_walk_buffer_on_straight_road(tmp_path):
    roads = straight_road(tmp_path)
    fac = point(X0 + 5000, Y0 + 100)  # 100 m off the road: 72 s walk at 5 km/h
    walk = 5 / 3.6
    g = isochrones(roads, fac, (5, 10), cumulative=True, crs=CRS, max_walk_m=400)
    for row, minutes in zip(g.itertuples(), (5, 10)):
        t = minutes * 60 - 100 / walk  # road time left after the walk from the facility
        half = 20000 / 3600 * t
        # the reach along the road is exact; the width is min(400, remaining walk)
        xs = shapely.get_coordinates(row.geometry)[:, 0]
        assert xs.min() < X0 + 5000 - half + 1e-6 and xs.max() > X0 + 5000 + half - 1e-6
        assert xs.min() > X0 + 5000 - half - 400 - 1e-6
        ys = shapely.get_coordinates(row.geometry)[:, 1]
        assert ys.max() == pytest.approx(Y0 + min(400.0, t * walk), abs=1e-6)  # widest at the facility's snap
        # the tapered ends: a point on the road at 'half' is reached with 0 walk left
        assert row.geometry.covers(shapely.Point(X0 + 5000 + half - 1, Y0))
        assert not row.geometry.covers(shapely.Point(X0 + 5000 + half - 1, Y0 + 50))
    assert g.geometry.iat[1].covers(g.geometry.iat[0])


def test_cilegon_bands_valid_nested_population(data_dir, tmp_path):
    files = sorted((data_dir / "roads").glob("cilegon3672_rtrw_*_LN.geojson"))
    roads = build_roads([",".join(map(str, files))])
    region = jangkau.Region.load("cilegon", data_dir=data_dir)
    pop = from_zone_counts(region.zones("desa"))
    fac = read_facilities([data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"])
    fac = fac[fac["facility_type"] == "puskesmas"].reset_index(drop=True)
    cum = isochrones(roads, fac, (5, 10, 15), group_by="facility_type", population=pop, cumulative=True,
                     crs=roads.crs)
    assert cum.geometry.is_valid.all()
    assert list(cum["band_min"]) == [5.0, 10.0, 15.0]
    geoms = cum.geometry.to_numpy()
    for a, b in itertools.pairwise(geoms):
        assert shapely.difference(a, b).area <= 1e-6 * a.area  # nested
    assert np.all(np.diff(cum["area_km2"]) > 0)
    assert np.all(np.diff(cum["population"]) >= 0)  # population within 15 ≥ within 10 ≥ within 5
    assert cum["population"].iat[-1] <= pop.total * (1 + 1e-9)
    rings = isochrones(roads, fac, (5, 10, 15), group_by="facility_type", population=pop, crs=roads.crs)
    assert rings.geometry.is_valid.all()
    # rings partition the cumulative reach
    assert rings["area_km2"].sum() == pytest.approx(cum["area_km2"].iat[-1], rel=1e-6)
    assert rings["population"].sum() == pytest.approx(cum["population"].iat[-1], rel=1e-6)
    # population inside matches an independent overlay with geopandas (uniform density per desa)
    desa = region.zones("desa", crs=roads.crs)
    inter = shapely.area(shapely.intersection(desa.geometry.values, geoms[1]))
    ref = np.sum(desa["population"].to_numpy() * inter / desa.geometry.area.to_numpy())
    assert cum["population"].iat[1] == pytest.approx(ref, rel=1e-6)
    # per facility: every facility's own band sits inside the type's reach
    per = isochrones(roads, fac.iloc[:2], (10,), population=pop, crs=roads.crs)
    assert list(per["facility"]) == [0, 1] and per.geometry.is_valid.all()
    for gm in per.geometry:
        assert shapely.difference(gm, geoms[1]).area <= 1e-6 * max(gm.area, 1.0)
    # lon/lat output stays valid through reprojection and the writer's 7-decimal rounding
    ll = isochrones(roads, fac.iloc[:4], (10, 20))
    assert ll.crs.to_epsg() == 4326 and ll.geometry.is_valid.all()
    write(ll, tmp_path / "bands.geojson")
    assert gpd.read_file(tmp_path / "bands.geojson").geometry.is_valid.all()


def test_far_facility_gives_empty_band(tmp_path):
    roads = straight_road(tmp_path)
    fac = gpd.GeoDataFrame({"facility_type": ["a", "b"]},
                           geometry=[shapely.Point(X0 + 5000, Y0), shapely.Point(X0 + 5000, Y0 + 50000)], crs=CRS)
    g = isochrones(roads, fac, (5,), crs=CRS)
    assert g["not_snapped"].tolist() == [0, 1]
    assert g.geometry.iat[1].is_empty and not g.geometry.iat[0].is_empty
    with pytest.raises(jangkau.InvalidInputError):
        isochrones(roads, fac, (0,))
    with pytest.raises(jangkau.UnknownColumnError):
        isochrones(roads, fac, (5,), group_by="nope")
    with pytest.raises(jangkau.InvalidInputError):
        isochrones(roads, fac, (5,), buffer="walk")


def test_population_in_zones_model():
    zones = gpd.GeoDataFrame({"code": ["a", "b"], "population": [100.0, 50.0]},
                             geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
                                       shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)], crs=CRS)
    pop = from_zone_counts(zones)
    q = gpd.GeoSeries([shapely.box(X0 + 500, Y0, X0 + 1500, Y0 + 500), shapely.Polygon()], crs=CRS)
    got = population_in(pop, q)
    assert got[0] == pytest.approx(100 * 0.25 + 50 * 0.25, rel=1e-12) and got[1] == 0.0
    assert math.isfinite(got.sum())

"""Straight-line coverage of Kab. Serang's REAL facilities (Kemdikbud schools, BPJS puskesmas,
after the facility QA and its default policies) equals an independent geopandas/shapely
computation: buffers with 8 segments per quarter circle, their union, and the exact
intersection areas with the desa (uniform density per desa)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from jangkau.coverage.analysis import coverage, gaps
from jangkau.data.facilities import FacilityCatalogue

TYPES = ("puskesmas", "sd", "smp", "sma")


@pytest.fixture(scope="module")
def serang(serang_checked):
    return serang_checked[0]


@pytest.fixture(scope="module")
def facilities(serang_checked):
    return serang_checked[1]


def test_the_untrusted_puskesmas_points_do_not_count(facilities):
    pk = facilities[facilities["facility_type"] == "puskesmas"]
    assert len(pk) == 28 and not {"Bandung", "Jawilan", "Ciruas"} & set(pk["name"])


@pytest.mark.parametrize("ftype", TYPES)
def test_serang_coverage_equals_geopandas(serang, facilities, ftype):
    radius = FacilityCatalogue.default().radius_m(ftype)
    ours = coverage(serang, facilities, None, level="kecamatan", types=ftype)
    assert (ours["radius_m"] == radius).all() and len(ours) == 29
    # Independent: geopandas buffers, shapely union and intersection, per desa, summed per kecamatan.
    desa = serang.zones("desa", crs=serang.working_crs)
    pts = facilities[facilities["facility_type"] == ftype].to_crs(serang.working_crs)

    def reference(quad_segs: int) -> pd.Series:
        disc_union = pts.buffer(radius, quad_segs=quad_segs).union_all()
        inter = shapely.area(shapely.intersection(desa.geometry.values, disc_union))
        covered = desa["population"].to_numpy() * inter / desa.geometry.area.to_numpy()
        return pd.Series(covered).groupby(desa["kecamatan_code"].astype(str).to_numpy()).sum()

    # Like for like: jangkau's 32-gon mode against shapely's 32-gon buffers (quad_segs=8).
    ref = reference(8)
    same = coverage(serang, facilities, None, level="kecamatan", types=ftype, quadrant_segments=8)
    got8 = same.set_index(same["code"].astype(str))["covered"]
    np.testing.assert_allclose(got8.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=1e-6, atol=1e-3)
    # The default true circles against 1024-gon buffers (their deficit, ~1.6e-6 of a disc, can be
    # a larger share of a thin covered sliver; 1e-4 is still 60x finer than the 32-gon defect).
    fine = reference(256)
    got = ours.set_index(ours["code"].astype(str))["covered"]
    np.testing.assert_allclose(got.loc[fine.index].to_numpy(), fine.to_numpy(), rtol=1e-4, atol=1e-2)
    assert (got.loc[ref.index].to_numpy() >= ref.to_numpy() - 1e-3).all()  # a circle holds its 32-gon
    union = pts.buffer(radius, quad_segs=8).union_all()
    pop = desa.groupby(desa["kecamatan_code"].astype(str))["population"].sum()
    np.testing.assert_allclose(ours.set_index("code")["population"].loc[pop.index], pop, rtol=1e-9)
    # The gap layer holds exactly the people not covered.
    g = gaps(serang, pts.to_crs("EPSG:4326"), radius, level="desa")
    # Gap polygons densify the circles to a 1 cm sagitta (area low by at most 4/3 · 1 cm / r per
    # disc: 1.3e-5 at 1 km), the coverage figures use exact arcs: equal within that bound.
    assert g["population"].sum() == pytest.approx(ours["not_covered"].sum(), rel=5e-5)
    assert shapely.intersects(g.to_crs(serang.working_crs).geometry.values, union.buffer(-1.0)).sum() == 0


def test_serang_coverage_shares_are_real_figures(serang, facilities):
    kab = coverage(serang, facilities, None, level="kabupaten", types=list(TYPES)).set_index("facility_type")
    # Shares of the 2017 population within each type's threshold (this data, these thresholds).
    assert 0.3 < kab.loc["puskesmas", "share"] < 0.6
    assert 0.6 < kab.loc["sd", "share"] < 0.95
    assert kab.loc["smp", "share"] < kab.loc["sd", "share"]  # fewer SMP at the same 1 km threshold
    np.testing.assert_allclose(kab["population"], 1_493_591, rtol=1e-9)


def test_cli_reads_a_csv_point_table_without_a_type_column(serang, facilities, data_dir, tmp_path):
    from jangkau.cli import main

    pk = facilities[facilities["facility_type"] == "puskesmas"]
    table = tmp_path / "points.csv"  # no type in the name either
    table.write_text("nama;bujur;lintang\n" + "".join(f"{n};{g.x!r};{g.y!r}\n" for n, g in zip(pk["name"], pk.geometry)))
    out = tmp_path / "cov.csv"
    assert main(["--data", str(data_dir), "-q", "coverage", "serang", "--facilities", str(table), "--type", "puskesmas",
                 "--level", "kecamatan", "-o", str(out)]) == 0
    got = pd.read_csv(out, dtype={"code": str}).set_index("code")["covered"]
    ref = coverage(serang, facilities, None, level="kecamatan", types="puskesmas").set_index("code")["covered"]
    np.testing.assert_allclose(got.loc[ref.index], ref, rtol=1e-9)
    # Without --type the table's type cannot be told: a clear error, exit code 2 or 1, no output.
    out2 = tmp_path / "none.csv"
    assert main(["--data", str(data_dir), "-q", "coverage", "serang", "--facilities", str(table), "-o", str(out2)]) != 0
    assert not out2.exists()


def test_hospital_beds_serve_as_2sfca_capacity(serang, facilities):
    """The beds joined from the hospital register are the supply of a 2SFCA (straight-line
    catchment of 10 km from desa representative points), checked against the formula
    written out with numpy."""
    from jangkau.network.access import two_sfca

    rs = facilities[facilities["facility_type"] == "rumah_sakit"].to_crs(serang.working_crs)
    beds = rs["capacity"].to_numpy(dtype=float)
    assert np.isfinite(beds).all() and beds.sum() == 280 + 103 + 464
    desa = serang.zones("desa", crs=serang.working_crs)
    pts = desa.geometry.representative_point()
    pop = desa["population"].to_numpy(dtype=float)
    d = np.hypot(pts.x.to_numpy()[:, None] - rs.geometry.x.to_numpy()[None, :],
                 pts.y.to_numpy()[:, None] - rs.geometry.y.to_numpy()[None, :])
    i, j = np.nonzero(np.isfinite(d))
    res = two_sfca(i, j, d[i, j], pop, beds, max_cost=10_000.0)
    within = d <= 10_000.0
    ratio = beds / (within * pop[:, None]).sum(axis=0)
    access = (within * ratio[None, :]).sum(axis=1)
    np.testing.assert_allclose(res.ratio, ratio, rtol=1e-12)
    np.testing.assert_allclose(res.access, access, rtol=1e-12)
    assert (pop * res.access).sum() == pytest.approx(beds.sum())  # every hospital has people within 10 km

"""`jangkau sites --existing` reads CSV point tables like every other facility input: lon/lat
columns guessed, named ones with --x-column/--y-column, x/y in a projected CRS with
--points-crs; the same point rules (coordinates in range) and typed errors naming the file.
The crafted four-desa region of the hardening corpus; expectations by brute force."""

from __future__ import annotations

import itertools
from pathlib import Path

import hardening_corpus as hc
import numpy as np
import pandas as pd
import pyproj
import pytest

from jangkau.cli import main
from jangkau.data.io import read_points
from jangkau.errors import CrsError, UnknownColumnError

#: Two existing puskesmas at the centres of desa 1 and 4 (population 1,000 and 4,000).
EXISTING = [(106.11, -6.11), (106.13, -6.09)]


def _sites(region: Path, out: Path, *extra) -> pd.DataFrame:
    code = main([str(a) for a in ["sites", region, "--candidates", "desa", "--model", "mclp", "--p", "1",
                                  "--radius", "1km", "--solver", "greedy", "-o", out, *extra]])
    assert code == 0
    return pd.read_csv(out)


def _brute_force_best(existing: list[tuple[float, float]]) -> str:
    """The desa whose centre, added to the existing points, covers the most people within 1 km
    (straight line, UTM 48S), by trying every desa."""
    to_utm = pyproj.Transformer.from_crs(4326, 32748, always_xy=True)
    feats = hc.desa_features()
    centres = np.array([to_utm.transform(*np.mean(f["geometry"]["coordinates"][0][:4], axis=0)) for f in feats])
    pop = np.array([1000.0 * (i + 1) for i in range(len(feats))])
    ex = np.array([to_utm.transform(*p) for p in existing]).reshape(-1, 2)
    best, best_cov = "", -1.0
    for j in range(len(feats)):
        sites = np.vstack([ex, centres[j:j + 1]])
        d = np.hypot(*(centres[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)).min(axis=1)
        cov = pop[d <= 1000.0].sum()
        if cov > best_cov:
            best, best_cov = feats[j]["properties"]["desa_code"], cov
    return best


def test_existing_sites_from_csv_tables_equal_the_vector_layer(tmp_path):
    region = hc.tiny_region(tmp_path / "tiny")
    geo = hc.points(tmp_path / "existing.geojson", EXISTING)
    lonlat = tmp_path / "existing.csv"
    lonlat.write_text("nama;bujur;lintang\n" + "".join(f"P{i};{x};{y}\n" for i, (x, y) in enumerate(EXISTING)))
    named = tmp_path / "named.csv"
    named.write_text("id,E,N\n" + "".join(f"{i},{x},{y}\n" for i, (x, y) in enumerate(EXISTING)))
    to_utm = pyproj.Transformer.from_crs(4326, 32748, always_xy=True)
    xy = tmp_path / "utm.csv"
    xy.write_text("name,x,y\n" + "".join("P{},{:.3f},{:.3f}\n".format(i, *to_utm.transform(x, y))
                                         for i, (x, y) in enumerate(EXISTING)))

    none = _sites(region, tmp_path / "none.csv")
    ref = _sites(region, tmp_path / "ref.csv", "--existing", geo)
    # The existing points change the answer, and to what brute force says.
    assert str(none["code"].iloc[0]) == _brute_force_best([])
    assert str(ref["code"].iloc[0]) == _brute_force_best(EXISTING) != str(none["code"].iloc[0])
    for table, extra in ((lonlat, []), (named, ["--x-column", "E", "--y-column", "N"]),
                         (xy, ["--points-crs", "EPSG:32748"])):
        got = _sites(region, tmp_path / f"got_{table.stem}.csv", "--existing", table, *extra)
        pd.testing.assert_frame_equal(got, ref)
    # The reader itself: the same points as the vector layer (pyproj's inverse for x/y).
    a = read_points(geo).geometry
    b = read_points(xy, points_crs="EPSG:32748").to_crs(4326).geometry
    for p, q in itertools.zip_longest(a, b):
        assert p.distance(q) < 1e-7


def _error(argv: list, capsys) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("jangkau: error:")][-1]


def test_existing_site_tables_bad_input_typed_errors(tmp_path, capsys):
    region = hc.tiny_region(tmp_path / "tiny")
    base = ["sites", region, "--candidates", "desa", "--model", "mclp", "--p", "1", "--radius", "1km",
            "-o", tmp_path / "s.csv"]
    xy = tmp_path / "xy.csv"
    xy.write_text("name,x,y\nA,627000,9323000\n")
    line = _error(base + ["--existing", xy], capsys)
    assert "need their CRS" in line and "xy.csv" in line
    with pytest.raises(CrsError):
        read_points(xy)
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("a,b\n1,2\n")
    line = _error(base + ["--existing", nocol], capsys)
    assert "coordinate columns" in line and "nocol.csv" in line
    line = _error(base + ["--existing", xy, "--x-column", "E", "--points-crs", "EPSG:32748"], capsys)
    assert "no column 'E'" in line and "xy.csv" in line
    with pytest.raises(UnknownColumnError):
        read_points(xy, x_column="E", points_crs="EPSG:32748")
    far = tmp_path / "far.csv"
    far.write_text("lon,lat\n106.1,-6.1\n206.1,-6.1\n")  # longitude out of range: the point rules
    line = _error(base + ["--existing", far], capsys)
    assert "far.csv" in line and "feature 1" in line
    with pytest.raises(CrsError, match="outside the range"):
        read_points(far)
    assert not (tmp_path / "s.csv").exists()

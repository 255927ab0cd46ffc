"""Whole-process times of the command line: start-up and a small real run.

Each command runs as its own process (``python -m jangkau.cli ...``, which is what the
``jangkau`` script runs), several times; the median counts. Measured:

* ``python -c pass`` — the interpreter alone, the floor of every command;
* ``jangkau --version``, ``jangkau --help``, ``jangkau coverage --help`` — start-up;
* ``jangkau coverage cilegon --facilities .../cilegon3672_rtrw_PUSKESMAS_PT.geojson --type puskesmas
  --radius 1km,2km,3km --level kecamatan -o coverage.csv`` (the README's example: Kota Cilegon,
  43 desa, 8 kecamatan) against the same analysis as a plain geopandas script (read the desa
  and the facility layer, puskesmas only, Dukcapil city total spread by area, dissolve to
  kecamatan, buffer → union → intersection per radius, CSV). The two outputs are compared:
  population and covered population per kecamatan and radius agree to 1e-6 relative.

    python benchmarks/bench_startup.py              # 7 runs each
    python benchmarks/bench_startup.py --runs 15

Needs the data directory (``JANGKAU_DATA`` or ``--data``) for the coverage run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The plain geopandas version of ``jangkau coverage cilegon ... --type puskesmas --radius
#: 1km,2km,3km --level kecamatan``: argv = data dir, datasets dir, output CSV.
PLAIN_GEOPANDAS = r'''
import sys
import geopandas as gpd
import pandas as pd
import shapely

data, datasets, out = sys.argv[1:4]
crs = "EPSG:32748"  # UTM 48S, the region's working CRS
desa = gpd.read_file(f"{data}/boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson").to_crs(crs)
desa["code"] = desa["district_code"].str.removeprefix("id")
kec = desa[["code", "geometry"]].dissolve("code", as_index=False)
total = pd.read_csv(f"{datasets}/cilegon/population_kabupaten.csv")["population"].sum()
density = total / desa.geometry.area.sum()  # one city total spread by area
fac = gpd.read_file(f"{data}/facilities/cilegon3672_rtrw_PUSKESMAS_PT.geojson")
fac = fac[fac["KETERANGAN"].str.strip().str.upper() == "PUSKESMAS"].to_crs(crs)
rows = []
for r in (1000, 2000, 3000):
    union = shapely.union_all(shapely.buffer(fac.geometry.values, r, quad_segs=8))
    pop = kec.geometry.area * density
    covered = kec.geometry.intersection(union).area * density
    rows.append(pd.DataFrame({"facility_type": "puskesmas", "radius_m": r, "code": kec["code"],
                              "population": pop, "covered": covered, "share": covered / pop}))
pd.concat(rows, ignore_index=True).to_csv(out, index=False)
'''


def median_time(argv: list[str], runs: int, env: dict) -> float:
    """Median wall time of ``runs`` runs of a process (after one unmeasured warm-up run)."""
    times = []
    for i in range(runs + 1):
        t = time.perf_counter()
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="measured runs per command (default 7)")
    ap.add_argument("--data", default=None, help="data directory (default: as jangkau finds it)")
    args = ap.parse_args()

    import jangkau
    from jangkau.data.paths import data_dir
    from jangkau.util import datasets_dir

    data = Path(args.data) if args.data else data_dir()
    env = dict(os.environ, JANGKAU_DATA=str(data))
    py = [sys.executable]
    cli = [*py, "-m", "jangkau.cli"]
    tmp = Path(tempfile.mkdtemp(prefix="jangkau_bench_startup_"))
    out_j, out_p = tmp / "coverage_jangkau.csv", tmp / "coverage_geopandas.csv"
    coverage = [*cli, "-q", "coverage", "cilegon", "--facilities",
                str(data / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"), "--type", "puskesmas",
                "--radius", "1km,2km,3km", "--level", "kecamatan", "-o", str(out_j)]
    plain = [*py, "-c", PLAIN_GEOPANDAS, str(data), str(datasets_dir()), str(out_p)]

    rows = [
        ("python -c pass", median_time([*py, "-c", "pass"], args.runs, env)),
        ("jangkau --version", median_time([*cli, "--version"], args.runs, env)),
        ("jangkau --help", median_time([*cli, "--help"], args.runs, env)),
        ("jangkau coverage --help", median_time([*cli, "coverage", "--help"], args.runs, env)),
        ("python -c 'import geopandas'", median_time([*py, "-c", "import geopandas"], args.runs, env)),
    ]
    t_j = median_time(coverage, args.runs, env)
    t_p = median_time(plain, args.runs, env)

    import numpy as np
    import pandas as pd

    a = pd.read_csv(out_j, dtype={"code": str}).set_index(["radius_m", "code"]).sort_index()
    b = pd.read_csv(out_p, dtype={"code": str}).set_index(["radius_m", "code"]).sort_index()
    assert a.index.equals(b.index), "the two runs cover different kecamatan/radii"
    for col in ("population", "covered"):
        rel = np.abs(a[col] - b[col]) / np.maximum(np.abs(b[col]), 1.0)
        assert rel.max() < 1e-6, f"{col} differs by {rel.max():.2e} (relative)"
    print(f"jangkau {jangkau.__version__}, {sys.executable}, median of {args.runs} runs per command; "
          f"coverage outputs equal ({len(a)} rows, relative difference < 1e-6)")
    print(f"{'command':58s} {'seconds':>8s}")
    for name, t in rows:
        print(f"{name:58s} {t:8.3f}")
    print(f"{'jangkau coverage cilegon (puskesmas, 3 radii, kecamatan)':58s} {t_j:8.3f}")
    print(f"{'plain geopandas script, same output':58s} {t_p:8.3f}")
    print(f"ratio jangkau / geopandas: {t_j / t_p:.2f}")


if __name__ == "__main__":
    main()

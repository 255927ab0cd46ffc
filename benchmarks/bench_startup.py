"""Whole-process times of the command line: start-up and a small real run.

Each command runs as its own process (``python -m jangkau.cli ...``, which is what the
``jangkau`` script runs), several times; the median counts. Measured:

* ``python -c pass`` — the interpreter alone, the floor of every command;
* ``jangkau --version``, ``jangkau --help``, ``jangkau coverage --help`` — start-up;
* ``jangkau coverage cilegon --facilities .../cilegon3672_rtrw_PUSKESMAS_PT.geojson --type puskesmas
  --radius 1km,2km,3km --level kecamatan -o coverage.csv`` (the README's example: Kota Cilegon,
  43 desa, 8 kecamatan) against the same analysis as a plain geopandas script (read the desa
  and the facility layer, puskesmas only, the Dukcapil city total spread over the desa by
  ellipsoidal area as the region does, uniform density inside each desa, buffer → union →
  intersection per radius, sums per kecamatan, CSV), like for like, twice:

  1. ``--quadrant-segments 8`` (shapely's 32-gon discs) against the script with shapely's
     default ``quad_segs=8``: the same polygons, so population and covered population per
     kecamatan and radius must agree to 1e-6 relative;
  2. jangkau's default true circles against the script with buffers fine enough for the same
     accuracy: q = ⌈π / (4·arccos(1 − s/r))⌉ segments per quarter, chords of sagitta ≤ s = 1 cm
     (jangkau's ``DISC_TOLERANCE_M``). The union of those inscribed polygons lies inside the
     union of the circles and within s of its boundary, so per kecamatan k the covered
     population may differ by at most ρ_k · n · 2πr · s (ρ_k its largest desa density, n the
     facilities);
     the run checks that bound and prints the largest difference seen.

    python benchmarks/bench_startup.py              # 7 runs each
    python benchmarks/bench_startup.py --runs 15

Needs the data directory (``JANGKAU_DATA`` or ``--data``) for the coverage run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The sagitta (m) of the fine buffers of the plain script, as jangkau's DISC_TOLERANCE_M.
SAGITTA_M = 0.01

#: The plain geopandas version of ``jangkau coverage cilegon ... --type puskesmas --radius
#: 1km,2km,3km --level kecamatan``: argv = data dir, datasets dir, output CSV, and the buffers:
#: a number k (shapely's 4k-gons) or a sagitta "s=0.01" (q per radius as in the module text).
PLAIN_GEOPANDAS = r'''
import math
import sys
import geopandas as gpd
import pandas as pd
import pyproj
import shapely

data, datasets, out, segs = sys.argv[1:5]
crs = "EPSG:32748"  # UTM 48S, the region's working CRS
lonlat = gpd.read_file(f"{data}/boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson")
geod = pyproj.Geod(ellps="WGS84")  # the city total is spread by ellipsoidal desa area, as the region does
geo_area = lonlat.geometry.apply(lambda g: abs(geod.geometry_area_perimeter(g)[0]))
desa = lonlat.to_crs(crs)
desa["kec"] = desa["district_code"].str.removeprefix("id")
total = pd.read_csv(f"{datasets}/cilegon/population_kabupaten.csv")["population"].sum()
desa["pop"] = total * geo_area / geo_area.sum()
desa["planar"] = desa.geometry.area  # uniform density inside a desa, in the working CRS
fac = gpd.read_file(f"{data}/facilities/cilegon3672_rtrw_PUSKESMAS_PT.geojson")
fac = fac[fac["KETERANGAN"].str.strip().str.upper() == "PUSKESMAS"].to_crs(crs)
rows = []
for r in (1000, 2000, 3000):
    q = int(segs) if not segs.startswith("s=") else math.ceil(math.pi / (4 * math.acos(1 - float(segs[2:]) / r)))
    union = shapely.union_all(shapely.buffer(fac.geometry.values, r, quad_segs=q))
    d = desa.assign(covered=desa["pop"] * desa.geometry.intersection(union).area / desa["planar"],
                    rho=desa["pop"] / desa["planar"])
    k = d.groupby("kec").agg(population=("pop", "sum"), covered=("covered", "sum"), rho_max=("rho", "max"))
    rows.append(pd.DataFrame({"facility_type": "puskesmas", "radius_m": r, "code": k.index,
                              "population": k["population"].to_numpy(), "covered": k["covered"].to_numpy(),
                              "share": (k["covered"] / k["population"]).to_numpy(),
                              "rho_max": k["rho_max"].to_numpy(), "facilities": len(fac)}))
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
    load_before = os.getloadavg()[0]

    import jangkau
    from jangkau.data.paths import data_dir
    from jangkau.util import datasets_dir

    data = Path(args.data) if args.data else data_dir()
    env = dict(os.environ, JANGKAU_DATA=str(data))
    py = [sys.executable]
    cli = [*py, "-m", "jangkau.cli"]
    tmp = Path(tempfile.mkdtemp(prefix="jangkau_bench_startup_"))
    coverage = [*cli, "-q", "coverage", "cilegon", "--facilities",
                str(data / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"), "--type", "puskesmas",
                "--radius", "1km,2km,3km", "--level", "kecamatan"]
    plain = [*py, "-c", PLAIN_GEOPANDAS, str(data), str(datasets_dir())]
    # (label, jangkau command, plain script, output files)
    pairs = [
        ("32-gon discs", [*coverage, "--quadrant-segments", "8", "-o", str(tmp / "j_q8.csv")],
         [*plain, str(tmp / "p_q8.csv"), "8"], tmp / "j_q8.csv", tmp / "p_q8.csv"),
        ("true circles", [*coverage, "-o", str(tmp / "j_circle.csv")],
         [*plain, str(tmp / "p_fine.csv"), f"s={SAGITTA_M}"], tmp / "j_circle.csv", tmp / "p_fine.csv"),
    ]

    rows = [
        ("python -c pass", median_time([*py, "-c", "pass"], args.runs, env)),
        ("jangkau --version", median_time([*cli, "--version"], args.runs, env)),
        ("jangkau --help", median_time([*cli, "--help"], args.runs, env)),
        ("jangkau coverage --help", median_time([*cli, "coverage", "--help"], args.runs, env)),
        ("python -c 'import geopandas'", median_time([*py, "-c", "import geopandas"], args.runs, env)),
    ]
    import numpy as np
    import pandas as pd

    timed = []
    for label, cmd_j, cmd_p, out_j, out_p in pairs:
        t_j = median_time(cmd_j, args.runs, env)
        t_p = median_time(cmd_p, args.runs, env)
        a = pd.read_csv(out_j, dtype={"code": str}).set_index(["radius_m", "code"]).sort_index()
        b = pd.read_csv(out_p, dtype={"code": str}).set_index(["radius_m", "code"]).sort_index()
        assert a.index.equals(b.index), f"{label}: the two runs cover different kecamatan/radii"
        rel = np.abs(a["population"] - b["population"]) / np.maximum(np.abs(b["population"]), 1.0)
        assert rel.max() < 1e-6, f"{label}: population differs by {rel.max():.2e} (relative)"
        diff = np.abs(a["covered"] - b["covered"])
        if label == "32-gon discs":
            rel = diff / np.maximum(np.abs(b["covered"]), 1.0)
            assert rel.max() < 1e-6, f"{label}: covered differs by {rel.max():.2e} (relative)"
            check = f"covered equal, relative difference {rel.max():.1e} < 1e-6"
        else:
            radius = b.index.get_level_values("radius_m").to_numpy(dtype=float)
            bound = b["rho_max"] * b["facilities"] * 2 * np.pi * radius * SAGITTA_M
            assert (diff <= bound + 1e-6).all(), f"{label}: covered differs by more than ρ·n·2πr·s"
            check = (f"covered differs by at most {diff.max():.3f} persons "
                     f"(bound ρ·n·2πr·s ≥ {bound.min():.3f}; relative {(diff / b['covered']).max():.1e})")
        timed.append((label, t_j, t_p, check, len(a)))
    print(f"jangkau {jangkau.__version__}, {sys.executable}, median of {args.runs} runs per command; "
          f"load average before: {load_before:.2f}")
    print(f"{'command':58s} {'seconds':>8s}")
    for name, t in rows:
        print(f"{name:58s} {t:8.3f}")
    for label, t_j, t_p, check, n in timed:
        print(f"{'jangkau coverage cilegon, ' + label + ' (puskesmas, 3 radii)':58s} {t_j:8.3f}")
        print(f"{'plain geopandas script, ' + label:58s} {t_p:8.3f}")
        print(f"  ratio jangkau / geopandas ({label}): {t_j / t_p:.2f}; {n} rows, {check}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

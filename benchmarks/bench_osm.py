"""Benchmark: cutting one regency's road graph out of a Java-sized OpenStreetMap extract.

Generates (once) a valid, sorted .osm.pbf the size of a Java extract with
``benchmarks/gen_osm.cpp`` (real OSM road networks shifted and replicated over Java's box, more
copies inside the window, building-like noise elsewhere), then times, each in its own process
so that peak memory (ru_maxrss of that process) and CPU time are its own:

  jangkau          ``cut_osm`` (windowed libosmium reader, 2 passes) + road graph, cache empty
  jangkau cached   the same call again: the cut loaded from the cache
  osmium + GDAL    ``osmium extract --strategy complete_ways -b WINDOW`` then
                   ``RoadNetwork.from_osm`` (GDAL's OSM driver, the previous reader) on the cut
  GDAL whole file  ``RoadNetwork.from_osm`` on the whole file (only with --gdal-whole; on the
                   full-size file it is far too slow, see docs/benchmarks.md)
  pyrosm           ``pyrosm.OSM(file, bounding_box).get_network("driving")`` when pyrosm is importable

The window is Kabupaten Serang's desa layer (HDX/BPS 2020, from the data directory) grown by
10 km. The two graphs are checked to have the same node and edge counts. Large files go to
/tmp/jangkau-bench (never into the repository). The machine is shared: the load average is
printed with every timing.

    python benchmarks/bench_osm.py                       # 150 M nodes (~1.5 GB), generated once
    python benchmarks/bench_osm.py --nodes 15000000      # a tenth, for a quick run
    python benchmarks/bench_osm.py --nodes 15000000 --gdal-whole   # + GDAL over the whole file
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = Path(os.environ.get("JANGKAU_BENCH_DIR", "/tmp/jangkau-bench"))


def _data_dir() -> Path:
    from jangkau.data.paths import data_dir

    d = data_dir(None, required=False)
    if d is None:
        sys.exit("the data directory is missing (JANGKAU_DATA)")
    return Path(d)


def build_generator() -> Path:
    exe = BENCH / "gen_osm"
    src = HERE / "gen_osm.cpp"
    if not exe.is_file() or exe.stat().st_mtime < src.stat().st_mtime:
        BENCH.mkdir(parents=True, exist_ok=True)
        cmd = ["g++", "-O2", "-std=c++17", str(src), "-o", str(exe), "-lz", "-lbz2", "-lexpat", "-pthread"]
        print("compiling:", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    return exe


def generate(nodes: int, seed: int) -> Path:
    out = BENCH / f"java-like-{nodes}-{seed}.osm.pbf"
    if out.is_file():
        return out
    exe = build_generator()
    roads = _data_dir() / "roads"
    tmp = out.with_suffix(".tmp.pbf")
    cmd = [str(exe), str(tmp), str(nodes), str(seed), str(roads / "osm_liechtenstein_valhalla.osm.pbf"),
           str(roads / "osm_monaco_osrm-backend.osm.pbf")]
    print("generating:", " ".join(cmd), flush=True)
    r = measure(cmd)
    os.replace(tmp, out)
    print(f"  {r['wall_s']:.1f} s, {out.stat().st_size / 1e9:.2f} GB: {r['stdout'].strip()}", flush=True)
    _counts_file(out).write_text(r["stdout"])
    return out


def _counts_file(pbf: Path) -> Path:
    """The generator's printed counts, kept beside the extract."""
    return pbf.with_name(pbf.name.replace(".osm.pbf", ".counts.json"))


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Wall time, CPU time and peak RSS of one child process (os.wait4: that child only)."""
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        err = p.stderr.read() if p.stderr else ""
        out.seek(0)
        stdout = out.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{cmd[0]} failed ({code}):\n{err[-3000:]}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_gb": ru.ru_maxrss / 1e6,
            "load": (load0, os.getloadavg()[0]), "stdout": stdout, "stderr": err}


CHILD_JANGKAU = r"""
import json, sys, time
import geopandas as gpd
from jangkau.network.osm import cut_osm
t0 = time.perf_counter()
boundary = gpd.read_file(sys.argv[2])
t1 = time.perf_counter()
cut = cut_osm(sys.argv[1], boundary, margin_m=10000.0)
t2 = time.perf_counter()
print(json.dumps({"cut_s": t2 - t1, "boundary_s": t1 - t0, "cached": cut.cached, "nodes": cut.roads.node_count,
                  "edges": cut.roads.edge_count, "facilities": int(cut.facilities["facility_type"].notna().sum()),
                  "window": list(cut.window), "stats": cut.stats}))
"""

CHILD_GDAL = r"""
import json, sys, time
from jangkau.network.roads import RoadNetwork
t0 = time.perf_counter()
net = RoadNetwork.from_osm(sys.argv[1], sys.argv[2])
print(json.dumps({"read_s": time.perf_counter() - t0, "nodes": net.node_count, "edges": net.edge_count}))
"""

CHILD_PYROSM = r"""
import json, sys, time
import pyrosm
w = [float(v) for v in sys.argv[2].split(",")]
t0 = time.perf_counter()
osm = pyrosm.OSM(sys.argv[1], bounding_box=w)
nodes, edges = osm.get_network(network_type="driving", nodes=True)
print(json.dumps({"read_s": time.perf_counter() - t0, "nodes": len(nodes), "edges": len(edges)}))
"""


def small_extracts(data: Path) -> None:
    """Whole-file reads of the real extracts: GDAL's OSM driver (from_osm) against the windowed
    reader with no window, best of three, same process; the graphs must be equal."""
    import numpy as np

    from jangkau.network.osm import read_osm_window
    from jangkau.network.roads import RoadNetwork

    print("whole small real extracts (best of 3, one process):", flush=True)
    for name, crs in [("osm_bayfront_singapore_valhalla.osm.pbf", "EPSG:32648"),
                      ("osm_liechtenstein_valhalla.osm.pbf", "EPSG:32632"),
                      ("osm_monaco_osrm-backend.osm.pbf", "EPSG:32632")]:
        path = data / "roads" / name
        tg, tj = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            g = RoadNetwork.from_osm(path, crs)
            tg.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            j = read_osm_window(path, None, crs=crs).roads
            tj.append(time.perf_counter() - t0)
        assert np.array_equal(g.edge_feature, j.edge_feature) and np.array_equal(g.edge_to, j.edge_to)
        print(f"  {name:<42} GDAL {min(tg):6.3f} s  jangkau {min(tj):6.3f} s  ratio {min(tg) / min(tj):5.2f}x  "
              f"({j.edge_count} edges; load {os.getloadavg()[0]:.1f})", flush=True)


def line(name: str, r: dict, extra: str = "") -> None:
    print(f"  {name:<22} wall {r['wall_s']:8.1f} s  cpu {r['cpu_s']:8.1f} s  peak RSS {r['peak_rss_gb']:6.2f} GB  "
          f"load {r['load'][0]:.1f}->{r['load'][1]:.1f}  {extra}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=150_000_000, help="nodes of the generated extract (150 M)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gdal-whole", action="store_true", help="also time GDAL's OSM driver over the whole file")
    ap.add_argument("--no-peers", action="store_true", help="jangkau only")
    args = ap.parse_args()

    py = sys.executable
    data = _data_dir()
    small_extracts(data)
    boundary = data / "boundaries" / "hdx_bps2020_desa_3604_kab_serang.geojson"
    pbf = generate(args.nodes, args.seed)
    meta = json.loads(_counts_file(pbf).read_text()) if _counts_file(pbf).is_file() else {}
    print(f"extract {pbf} ({pbf.stat().st_size / 1e9:.2f} GB; {meta}); {os.cpu_count()} CPUs", flush=True)

    cache = Path(tempfile.mkdtemp(prefix="cuts-", dir=BENCH))
    env = dict(os.environ, JANGKAU_CACHE=str(cache))
    try:
        cold = measure([py, "-c", CHILD_JANGKAU, str(pbf), str(boundary)], env)
        jc = json.loads(cold["stdout"])
        line("jangkau (first cut)", cold, f"cut {jc['cut_s']:.1f} s, {jc['nodes']} nodes, {jc['edges']} edges, "
             f"{jc['facilities']} typed OSM facilities")
        s = jc["stats"]
        print(f"    reader: pass 1 {s['pass1_s']:.1f} s, pass 2 {s['pass2_s']:.1f} s; {s['nodes']} nodes, "
              f"{s['ways']} ways in the file; {s['window_nodes']} nodes in the window, {s['road_ways']} road ways, "
              f"{s['outside_nodes']} nodes fetched outside", flush=True)
        warm = measure([py, "-c", CHILD_JANGKAU, str(pbf), str(boundary)], env)
        jw = json.loads(warm["stdout"])
        assert jw["cached"] and jw["edges"] == jc["edges"]
        line("jangkau (cached)", warm, f"cut {jw['cut_s']:.2f} s (the process, with imports: {warm['wall_s']:.2f} s)")
        window = jc["window"]
        crs = "EPSG:32748"
        if not args.no_peers:
            ext = BENCH / "osmium-cut.osm.pbf"
            ox = measure(["osmium", "extract", "-s", "complete_ways", "-b", ",".join(f"{v:.7f}" for v in window),
                          "-o", str(ext), "--overwrite", str(pbf)])
            line("osmium extract", ox)
            gd = measure([py, "-c", CHILD_GDAL, str(ext), crs])
            g = json.loads(gd["stdout"])
            line("GDAL on the cut", gd, f"{g['nodes']} nodes, {g['edges']} edges")
            total = {"wall_s": ox["wall_s"] + gd["wall_s"], "cpu_s": ox["cpu_s"] + gd["cpu_s"],
                     "peak_rss_gb": max(ox["peak_rss_gb"], gd["peak_rss_gb"]), "load": (ox["load"][0], gd["load"][1])}
            line("osmium + GDAL", total, f"ratio {total['wall_s'] / cold['wall_s']:.2f}x jangkau's wall time")
            if (g["nodes"], g["edges"]) != (jc["nodes"], jc["edges"]):
                print("  !! the graphs differ", flush=True)
            ext.unlink(missing_ok=True)
            try:
                import pyrosm  # noqa: F401

                pr = measure([py, "-c", CHILD_PYROSM, str(pbf), ",".join(map(str, window))])
                line("pyrosm", pr, f"{json.loads(pr['stdout'])}")
            except ImportError:
                print("  pyrosm                 not installed (pip install pyrosm to compare)", flush=True)
            except RuntimeError as exc:
                print(f"  pyrosm                 failed: {str(exc)[-300:]}", flush=True)
        if args.gdal_whole:
            gw = measure([py, "-c", CHILD_GDAL, str(pbf), crs])
            g = json.loads(gw["stdout"])
            line("GDAL whole file", gw, f"{g['nodes']} nodes, {g['edges']} edges (all of the file's roads); "
                 f"ratio {gw['wall_s'] / cold['wall_s']:.2f}x")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

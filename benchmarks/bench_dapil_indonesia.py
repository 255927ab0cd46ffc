"""Dapil proposals for the nine regencies/cities of ``boundaries/indonesia_sample/`` (see the data
directory's SOURCES.md): which get a plan that the checker accepts, with how many split kecamatan
and sea links, in what time.

    python benchmarks/bench_dapil_indonesia.py [--time-limit 60] [--only 8171] [--node-limit 0] [--no-column-proof]

Per regency: the plan's status, its largest deviation, the certified bound on the objective
(extra parts of split kecamatan + largest deviation) and the gap to it in percentage points, what
the column proof did (connected sets enumerated / columns kept: proved the MILP plan optimal, or
improved it from the deviation shown; "-" when it did not run), the wall and CPU seconds of the proposal (CPU: this process, HiGHS threads included), and at the end
the load average (the machine is shared; compare CPU times).

Inputs per regency, nothing else: the HDX/BPS 2020 desa boundaries and the regency's 2025 total
(Dukcapil, Kepmendagri 300.2.2-2138/2025, ``population/cahyadsn_wilayah_penduduk_2025.sql``),
matched by name (Kota X ↔ "Kota X", otherwise "Kabupaten X"), because Kemendagri and BPS codes
differ for some regencies (BPS 9471 Kota Jayapura is Kemendagri 91.71). The total is spread over
the desa by AREAL WEIGHTING (an assumption: people are spread evenly over land), and pseudo-units
(kecamatan codes ending in 888 or 999: lakes, forest) get no population and are left out. Seats:
UU 7/2017 Pasal 191 brackets from the total. Outputs are ILLUSTRATIVE.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

import jangkau.data
from jangkau.selection.dapil import NoPlanError, ProposalOptions, check_plan, propose_plan, regency_seats


def regency_totals(sql: Path) -> pd.DataFrame:
    rows = re.findall(r"\('([\d.]+)','([^']+)','(\d+)','(\d+)','(\d+)'\)", sql.read_text(encoding="utf-8"))
    t = pd.DataFrame(rows, columns=["kode", "nama", "pria", "wanita", "total"])
    t = t[t["kode"].str.count(r"\.") == 1]  # regency level: "14.71"
    t["total"] = t["total"].astype(int)
    return t


def total_for(name: str, totals: pd.DataFrame) -> tuple[str, int]:
    want = name if name.lower().startswith("kota ") else f"Kabupaten {name}"
    hit = totals[totals["nama"].str.lower() == want.lower()]
    if len(hit) != 1:
        raise SystemExit(f"regency '{name}': {len(hit)} matches for '{want}' in the 2025 totals")
    return str(hit["kode"].iloc[0]), int(hit["total"].iloc[0])


def load(path: Path, totals: pd.DataFrame):
    d = gpd.read_file(path)
    d["code"] = d["village_code"].str.removeprefix("id")
    d["kecamatan_code"] = d["district_code"].str.removeprefix("id")
    pseudo = d["kecamatan_code"].str.endswith(("888", "999"))
    d = d[~pseudo].copy()
    name = str(d["regency"].iloc[0])
    kode, total = total_for(name, totals)
    m = d.to_crs(d.estimate_utm_crs())
    d["population"] = total * m.area / m.area.sum()  # AREAL WEIGHTING of the 2025 regency total
    desa = d[["code", "kecamatan_code", "village", "population", "geometry"]].rename(columns={"village": "name"})
    kec = d.dissolve("kecamatan_code", as_index=False, aggfunc={"district": "first", "population": "sum"})
    kec = kec.rename(columns={"kecamatan_code": "code", "district": "name"})[["code", "name", "population",
                                                                             "geometry"]]
    return name, kode, total, int(pseudo.sum()), kec, desa


def load_region(path: str):
    """A region file's kecamatan (with population) and desa, as the pipeline reads them."""
    region = jangkau.Region.load(path)
    kec = region.zones("kecamatan")
    kec = kec[kec["population"].notna()]
    desa = region.zones("desa")
    total = round(float(kec["population"].sum()))
    return region.name, "", total, 0, kec, desa


def _proof(text: str) -> str:
    """The column proof in a few words: connected sets / columns and what it did."""
    m = re.match(r"column enumeration: (\d+) connected sets, (\d+) columns; (.*)", text)
    if not m:
        return "-"
    what = m.group(3)
    done = ("improved from " + re.search(r"MILP plan's ([\d.]+)", what).group(1) if "improves" in what
            else "proved" if "proves" in what else "not proven")
    return f"{m.group(1)} sets/{m.group(2)} cols: {done}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time-limit", type=float, default=60.0,
                    help="HiGHS seconds per solve (default 60, the library default: the deterministic node limit "
                         "then ends the search, so reruns give the same plans)")
    ap.add_argument("--only", default="", help="BPS code substring to run one file")
    ap.add_argument("--region", action="append", default=[],
                    help="instead of the sample, a region file (repeatable), e.g. datasets/lebak/region.toml: its "
                         "kecamatan and desa with the population the region file defines, seats from its total")
    ap.add_argument("--node-limit", type=int, default=None,
                    help="ProposalOptions.node_limit: stage-1 branch-and-bound nodes (default: the library default, "
                         "200; -1: no limit)")
    ap.add_argument("--no-column-proof", action="store_true",
                    help="ProposalOptions.column_max_sets = None: no column proof (the flow MILP alone)")
    ap.add_argument("--compactness-nodes", type=int, default=None,
                    help="ProposalOptions.compactness_node_limit (default: the library default; -1: no limit)")
    a = ap.parse_args()
    opts: dict = {"time_limit_s": a.time_limit}
    if a.node_limit is not None:
        opts["node_limit"] = None if a.node_limit < 0 else a.node_limit
    if a.no_column_proof:
        opts["column_max_sets"] = None
    if a.compactness_nodes is not None:
        opts["compactness_node_limit"] = None if a.compactness_nodes < 0 else a.compactness_nodes
    data = jangkau.data.data_dir()
    totals = regency_totals(data / "population" / "cahyadsn_wilayah_penduduk_2025.sql")
    files = [] if a.region else sorted((data / "boundaries" / "indonesia_sample").glob("*.geojson"))
    inputs = [(f, lambda f=f: load(f, totals)) for f in files if not a.only or a.only in f.name]
    inputs += [(Path(r), lambda r=r: load_region(r)) for r in a.region]
    rows = []
    for _f, loader in inputs:
        name, kode, total, n_pseudo, kec, desa = loader()
        seats = regency_seats(total)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            plan = propose_plan(kec, total_seats=seats, desa=desa, options=ProposalOptions(**opts))
        except NoPlanError as exc:
            rows.append({"regency": name, "kemendagri": kode, "kec": len(kec), "desa": len(desa),
                         "pseudo_units_dropped": n_pseudo, "total_2025": total, "seats": seats, "plan": "NO PLAN", "seconds": round(time.perf_counter() - t0, 1),
                         "cpu_s": round(time.process_time() - c0, 1),
                         "reason": "; ".join(exc.reasons)})
            continue
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        v = check_plan(plan, kec, total_seats=seats, desa=desa)
        viol = v[v["severity"] == "violation"]
        rows.append({
            "regency": name, "kemendagri": kode, "kec": len(kec), "desa": len(desa), "pseudo_units_dropped": n_pseudo,
            "total_2025": total, "seats": seats, "plan": "ok" if viol.empty else f"{len(viol)} VIOLATIONS",
            "dapil": plan.attrs["n_dapil"], "split_kec": len(plan.attrs["split_kecamatan"]),
            "extra_parts": plan.attrs["split_parts"], "sea_links": len(plan.attrs["sea_links"]),
            "max_dev_%": round(100 * plan.attrs["max_deviation"], 2), "status": plan.attrs["status"],
            # objective = extra parts + deviation; gap = objective − certified bound, in percentage points
            "bound": round(max(plan.attrs["bound"], 0.0), 4),
            "gap_pt": round(100 * (plan.attrs["split_parts"] + plan.attrs["max_deviation"]
                                   - max(plan.attrs["bound"], 0.0)), 2),
            "proof": _proof(plan.attrs.get("proof", "")),
            "seconds": round(secs, 1), "cpu_s": round(cpu, 1),
            "reason": "; ".join(viol["detail"]) if not viol.empty else "",
        })
    out = pd.DataFrame(rows)
    loadavg = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 120):
        print(out.to_string(index=False))
    print(f"total CPU {out['cpu_s'].sum():.1f} s, wall {out['seconds'].sum():.1f} s; load average at the end: "
          f"{' '.join(loadavg) or 'unknown'}")


if __name__ == "__main__":
    main()

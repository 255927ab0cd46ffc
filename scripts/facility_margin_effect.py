"""What the facility margin changes: coverage share and population-weighted mean distance to
the nearest facility, per type, for the whole regency and for every (kecamatan, type) whose
figures change, between a run that reads only the region's own register rows (``[coverage]
facility_margin = "0m"``) and the default run (neighbouring regencies' facilities within the
largest coverage threshold serve demand too). See docs/facilities.md, "Facilities across the
border".

    python scripts/facility_margin_effect.py [--region serang] [--work DIR] [--reuse]

Runs ``jangkau run REGION`` twice (the region's own run file, once with facility_margin =
"0m") into DIR/before and DIR/after (``--reuse`` keeps existing outputs) and prints a
Markdown table. Needs JANGKAU_DATA (or ../shared/data).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def _runs(region: str, work: Path, reuse: bool) -> tuple[Path, Path]:
    from jangkau.workflow.config import RunConfig, default_config_for
    from jangkau.workflow.pipeline import run

    base = default_config_for(region)
    out = {}
    for label, margin in (("before", "0m"), ("after", None)):
        folder = work / label
        out[label] = folder
        if reuse and (folder / "coverage.csv").is_file():
            continue
        raw = _copy(base.raw)
        if margin is not None:
            raw.setdefault("coverage", {})["facility_margin"] = margin
        run(RunConfig(region=base.region, path=base.path, raw=raw), folder)
    return out["before"], out["after"]


def _copy(raw: dict) -> dict:
    return {k: (_copy(v) if isinstance(v, dict) else v) for k, v in raw.items()}


def table(before: Path, after: Path) -> pd.DataFrame:
    rows = []
    for name, folder in (("before", before), ("after", after)):
        cov = pd.read_csv(folder / "coverage.csv", dtype={"code": str})
        dist = pd.read_csv(folder / "nearest_distance.csv", dtype={"code": str})
        c = cov[cov["level"].isin(["kabupaten", "kecamatan"])][["facility_type", "level", "code", "name", "share"]]
        d = dist[dist["level"].isin(["kabupaten", "kecamatan"])][["facility_type", "level", "code",
                                                                  "mean_distance_m"]]
        rows.append(c.merge(d, on=["facility_type", "level", "code"]).assign(run=name))
    both = pd.concat(rows).pivot_table(index=["level", "code", "name", "facility_type"], columns="run",
                                       values=["share", "mean_distance_m"], aggfunc="first")
    both.columns = [f"{a}_{b}" for a, b in both.columns]
    both = both.reset_index()
    changed = ((both["share_after"] - both["share_before"]).abs() > 5e-4) | \
              ((both["mean_distance_m_after"] - both["mean_distance_m_before"]).abs() > 0.5)
    keep = (both["level"] == "kabupaten") | changed
    return both[keep].sort_values(["level", "name", "facility_type"], key=lambda s: s.map(
        {"kabupaten": 0, "kecamatan": 1}).fillna(s) if s.name == "level" else s).reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--region", default="serang")
    ap.add_argument("--work", type=Path, default=Path("out/facility_margin"))
    ap.add_argument("--reuse", action="store_true", help="reuse existing run outputs in --work")
    args = ap.parse_args()
    before, after = _runs(args.region, args.work, args.reuse)
    t = table(before, after)
    print("| level | name | type | covered before | after | mean nearest before (m) | after (m) |")
    print("|---|---|---|---|---|---|---|")
    for r in t.itertuples():
        print(f"| {r.level} | {r.name} | {r.facility_type} | {100 * r.share_before:.1f} % | "
              f"{100 * r.share_after:.1f} % | {r.mean_distance_m_before:,.0f} | {r.mean_distance_m_after:,.0f} |")


if __name__ == "__main__":
    main()

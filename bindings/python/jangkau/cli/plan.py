"""`jangkau plan`: pilots and new service points over the stages of a programme."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..errors import InvalidInputError

_log = logging.getLogger("jangkau.plan")


def _floats(text: str | None, what: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise InvalidInputError(f"{what}: '{text}' is not a comma-separated list of numbers", field=what) from exc


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..coverage.analysis import parse_radii
    from ..data.region import Region
    from ..selection import siting
    from ..selection.siting import demand_points
    from ..selection.staging import StageSchedule, plan_sites

    region = Region.load(args.region, data_dir=args.data)
    desa = region.zones("desa", crs=region.working_crs)
    if desa["population"].isna().all():
        raise InvalidInputError(f"{region.title} has no population: a staged plan needs one", field="population")
    (radius,) = parse_radii(args.radius)
    (spacing,) = parse_radii(args.demand_spacing)
    demand = demand_points(desa, float(spacing))
    cands = siting.candidate_points(region, args.candidates, desa.crs).reset_index(drop=True)
    if "kecamatan_code" not in cands.columns:
        raise InvalidInputError("candidates need a 'kecamatan_code' column (use desa or grid:SPACING)",
                                field="kecamatan_code")
    dmap: pd.Series | None = None
    if args.plan:
        from ..selection.dapil import load_plan

        plan = load_plan(args.plan)
        if "population" in plan.columns:
            plan = plan.sort_values("population", ascending=False, kind="stable")
        plan = plan.drop_duplicates("kecamatan_code")
        dmap = pd.Series(plan["dapil"].to_numpy(), index=plan["kecamatan_code"].astype(str))
    elif region.dapil is not None:
        t = region.dapil.dropna(subset=["dapil"])
        dmap = pd.Series(t["dapil"].to_numpy(), index=t["kecamatan_code"].astype(str))
        unknown = sorted(set(desa["kecamatan_code"].astype(str)) - set(dmap.index))
        if unknown:
            _log.warning("the dapil of %d kecamatan is unknown: their candidates belong to no dapil (give a "
                         "complete plan with --plan, e.g. from 'jangkau dapil propose')", len(unknown))
    if dmap is None or dmap.empty:
        _log.warning("no dapil plan: stage 1 opens at least one site in the regency, without dapil quotas")
    n_groups = len(set(dmap.dropna())) if dmap is not None and not dmap.empty else 1
    cfg: dict = {"stages": args.stages, "horizon_years": args.horizon, "discount_rate": args.discount_rate}
    if args.budgets:
        cfg["budgets"] = [int(b) for b in _floats(args.budgets, "budgets") or []]
    if args.per_stage is not None:
        cfg["per_stage"] = args.per_stage
    schedule = StageSchedule.from_config(cfg, default_per_stage=n_groups)
    floors = _floats(args.floor, "floor")
    out = plan_sites(demand, cands, dmap, schedule=schedule, radius_m=float(radius),
                     quotas=args.quota, floors=(floors[0] if floors and len(floors) == 1 else floors),
                     solver=args.solver, time_limit_s=args.time_limit)
    from .pilots import write_table

    write_table(out.sites, args.output)
    stem = Path(args.output).with_suffix("")
    write_table(out.stages, f"{stem}.stages.csv")
    write_table(out.summary, f"{stem}.summary.csv")
    s = out.summary.iloc[0]
    _log.info("%d stages, budgets %s: %s covered person-years (%s), certified bound %s (gap %.2f%%); myopic %s; "
              "wrote %s, %s.stages.csv, %s.summary.csv", int(s["stages"]), s["budgets"],
              f"{s['objective_person_years']:,.0f}", s["source"], f"{s['bound']:,.0f}", 100 * s["gap"],
              f"{s['myopic_person_years']:,.0f}", args.output, stem, stem)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan", help="pilots and new service points over the stages of a programme",
        description="Choose which candidate sites open in which stage (default 4 stages over 10 years, one site "
                    "per dapil and stage), maximising the newly covered person-years, with a site in every dapil in "
                    "stage 1, optional per-dapil quotas and coverage floors per stage; solved by the siting "
                    "engine (myopic and sequenced plans, certified bound) and the exact multi-period MILP (HiGHS). "
                    "Writes the sites with their stage (OUT), OUT.stages.csv and OUT.summary.csv. Formulation: "
                    "docs/programme.md.")
    p.add_argument("region", help="region name or region.toml")
    p.add_argument("--plan", metavar="CSV", help="dapil plan (kecamatan_code, dapil), e.g. from 'jangkau dapil "
                   "propose'; default: the region's dapil table")
    p.add_argument("--stages", type=int, default=4, help="number of stages (default 4)")
    p.add_argument("--horizon", type=float, default=10.0, help="programme length in years (default 10)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--per-stage", type=int, help="sites per stage (default: the number of dapil)")
    g.add_argument("--budgets", metavar="N,N,...", help="sites per stage, one number per stage")
    p.add_argument("--quota", type=int, help="at least this many sites per dapil in every stage")
    p.add_argument("--floor", metavar="F[,F...]", help="covered share per kecamatan by the end of each stage "
                   "(one value for all stages or one per stage)")
    p.add_argument("--discount-rate", type=float, default=0.0, help="continuous discount rate per year (default 0)")
    p.add_argument("--radius", default="2km", help="service radius (straight line; default 2km)")
    p.add_argument("--demand-spacing", default="500m", help="spacing of the demand grid (default 500m)")
    p.add_argument("--candidates", default="desa", help="candidate sites: desa (default), kecamatan or grid:SPACING")
    p.add_argument("--solver", choices=["greedy", "milp", "auto"], default="auto")
    p.add_argument("--time-limit", type=float, default=20.0, help="seconds for the whole solve (default 20)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output .geojson, .gpkg or .csv")
    p.set_defaults(func=run)

"""The programme steps (docs/programme.md): indicators of the six dimensions per facility type,\nthe spread of pilots through their dapil, the dimension status, and the staged plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import parse_distance_m
from ..context import NO_DAPIL_PLAN, RunContext, plan_groups
from .sites import covered_by_existing, site_candidates


def step_indicators(ctx: RunContext) -> None:
    """Indicators the facility layers support per type: distance to the nearest facility
    and facilities per 10,000 residents, per desa and kecamatan."""
    from ...selection.indicators import facility_indicators

    if ctx.facilities is None or len(ctx.facilities) == 0:
        ctx.notes.append("indicators: no facility layer, so no distance or count indicators per facility type")
        return
    region = ctx.region
    desa = region.zones("desa", crs=region.working_crs)
    got = facility_indicators(desa, ctx.facilities)
    for level, frame in got.items():
        new = frame[[c for c in frame.columns if c not in ctx.indicators[level].columns]]
        ctx.indicators[level] = ctx.indicators[level].join(new, how="left")
    types = sorted({c[len("nearest_"):-len("_km")] for c in got["kecamatan"].columns if c.startswith("nearest_")})
    ctx.notes.append(f"indicators: nearest-facility distance and facilities per 10,000 residents for "
                     f"{', '.join(types)}; per 1,000 children needs population by age, which the data lacks; "
                     "distance to the regency seat needs its location, which the data lacks")


def step_spread(ctx: RunContext) -> None:
    """The spread indicator of every kecamatan as a pilot of its dapil, and the 1-median /
    1-center kecamatan of each dapil."""
    from ...selection.spread import dapil_centres, graph_distances, road_times, spread

    cfg = ctx.config.section("plan")
    kec = ctx.region.zones("kecamatan", crs=ctx.region.working_crs)
    if kec["population"].isna().all():
        ctx.notes.append("spread: no population, so no spread indicator")
        return
    codes = sorted(kec["code"].astype(str))
    groups, has_plan = plan_groups(ctx, codes)
    pop = pd.Series(kec["population"].to_numpy(dtype=float), index=kec["code"].astype(str))
    if ctx.roads is not None:
        threshold = float(cfg.get("spread_threshold_min", 30.0))
        dist = road_times(ctx.roads, kec)
        table = spread(dist, pop, groups, threshold=threshold, unit="min")
        how = f"travel time over roads (share within {threshold:g} min)"
    else:
        threshold = float(cfg.get("spread_threshold_km", 10.0))
        dist = graph_distances(kec)
        table = spread(dist, pop, groups, threshold=threshold, unit="km", scale=1e-3)
        how = f"straight-line distance along the kecamatan adjacency graph (share within {threshold:g} km)"
    ctx.write("spread_kecamatan.csv", table)
    ctx.tables["spread"] = table
    centres = dapil_centres(table)
    ctx.write("spread_dapil_centres.csv", centres)
    ctx.tables["spread_centres"] = centres
    cols = [c for c in table.columns if c.startswith(("spread_mean_", "spread_share_within_"))]
    ctx.indicators["kecamatan"] = ctx.indicators["kecamatan"].join(table.set_index("code")[cols], how="left")
    ctx.notes.append(f"spread: {how}, per kecamatan to its "
                     + ("dapil" if has_plan else "regency (no dapil plan)") + "; see spread_kecamatan.csv")


def step_dimensions(ctx: RunContext) -> None:
    """Which indicators back each of the six dimensions, which stay empty."""
    from ...selection.indicators import IndicatorCatalogue, dimension_status, indicator_status

    table = ctx.tables.get("indicators_kecamatan")
    if table is None:
        table = ctx.indicators["kecamatan"]
    catalogue = IndicatorCatalogue.default()
    st = indicator_status(table, catalogue)
    dims = dimension_status(table, catalogue)
    ctx.tables["indicator_status"] = st
    ctx.tables["dimension_status"] = dims
    ctx.write("indicator_status.csv", st)
    ctx.write("dimension_status.csv", dims)
    empty = dims.loc[dims["status"] == "empty", "dimension"].tolist()
    if empty:
        ctx.warn(f"no indicator data for the dimension(s) {', '.join(empty)}: they stay empty (supply them with "
                 f"`jangkau indicators template {ctx.region.name}` and [pilots] indicators)")


def step_plan(ctx: RunContext) -> None:
    """Pilots and new service points over the programme's stages (default 4 over 10 years),
    stage 1 with a pilot in every dapil: the staged maximal covering plan, its certified
    bound and the myopic stage-by-stage plan for comparison."""
    from ...selection.siting import demand_points
    from ...selection.staging import StageSchedule, plan_sites

    cfg = ctx.config.section("plan")
    if cfg.get("enabled", True) is False:
        ctx.notes.append("plan: disabled in the run file")
        return
    region = ctx.region
    desa = region.zones("desa", crs=region.working_crs)
    if desa["population"].isna().all():
        ctx.warn("the staged plan needs population: step skipped")
        return
    scfg = ctx.config.section("sites")
    radius = parse_distance_m(cfg.get("radius", scfg.get("radius", "2km")), "radius")
    spacing = parse_distance_m(cfg.get("demand_spacing", scfg.get("demand_spacing", "500m")), "demand_spacing")
    demand = demand_points(desa, spacing)
    cands, _ = site_candidates(ctx, str(cfg.get("candidates", "desa")), desa)
    kcodes = sorted({str(k) for k in cands["kecamatan_code"] if not pd.isna(k)})
    gmap, has_plan = plan_groups(ctx, kcodes)
    n_groups = len({g for g in gmap if g is not None})
    schedule = StageSchedule.from_config(cfg, default_per_stage=max(n_groups, 1))
    dx, dy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    precovered = covered_by_existing(ctx, cfg.get("existing_type", scfg.get("existing_type")),
                                     np.column_stack([dx, dy]), radius, desa.crs)
    out = plan_sites(demand, cands, gmap if has_plan else None, schedule=schedule, radius_m=radius,
                     precovered=precovered, quotas=cfg.get("quotas"), floors=cfg.get("floors"),
                     # "greedy" by default: deterministic (byte-identical reruns); "auto" adds the
                     # HiGHS MILP within time_limit_s, whose result may depend on the machine's speed.
                     solver=str(cfg.get("solver", "greedy")), time_limit_s=float(cfg.get("time_limit_s", 20.0)),
                     no_plan_label=NO_DAPIL_PLAN)
    res = out.result
    ctx.tables["plan_stages"] = out.stages
    ctx.write("plan_stages.csv", out.stages)
    ctx.layers["plan"] = out.sites
    ctx.write("plan_sites.geojson", out.sites)
    ctx.tables["plan_summary"] = out.summary
    ctx.write("plan_summary.csv", out.summary)
    gain = (res.objective - res.myopic) / res.myopic if res.myopic and np.isfinite(res.myopic) else float("nan")
    ctx.notes.append(f"plan: {schedule.stages} stages over {schedule.horizon_years:g} years, budgets "
                     f"{list(schedule.budgets)}, stage 1 in each of {n_groups} "
                     + ("dapil" if has_plan else "group (no dapil plan)")
                     + f"; {res.objective:,.0f} covered person-years ({res.source}), certified bound "
                       f"{res.bound:,.0f} (gap {100 * res.gap:.2f}%); myopic plan {res.myopic:,.0f} "
                       f"({100 * gain:+.2f}% for the staged plan)")

"""Step ``sites``: new service points chosen with a facility-location model, per dapil."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ...errors import InvalidInputError
from ..config import parse_distance_m
from ..context import RunContext, plan_dapil_of_kecamatan

#: Default ``[sites] node_limit`` of a run: HiGHS branch-and-bound nodes of the exact phase.
SITES_NODE_LIMIT = 10_000


def step_sites(ctx: RunContext) -> None:
    from ...selection import siting

    cfg = ctx.config.section("sites")
    if not cfg:
        ctx.skip("sites", "not configured in the run file")
        return
    region = ctx.region
    model = str(cfg.get("model", "mclp")).lower()
    radius = parse_distance_m(cfg.get("radius", "2km"), "radius")
    desa = region.zones("desa", crs=region.working_crs)
    if desa["population"].isna().all():
        ctx.warn("site selection needs population: step skipped")
        ctx.skip("sites", "site selection needs population")
        return
    unknown = desa["population"].isna()
    if unknown.any():
        codes = desa.loc[unknown, "code"].astype(str).tolist()
        ctx.warn(f"sites: {len(codes)} desa have no population ({', '.join(codes[:5])}"
                 f"{', ...' if len(codes) > 5 else ''}); they carry no demand in site selection")
    # Demand: population on a regular grid of points (areal weighting inside each desa).
    spacing = parse_distance_m(cfg.get("demand_spacing", "500m"), "demand_spacing")
    demand = siting.demand_points(desa, spacing)
    # Candidates: desa centroids (points on surface) unless a layer is given.
    cands, cand_spec = site_candidates(ctx, str(cfg.get("candidates", "desa")), desa)
    ctx.notes.append(f"sites: {len(cands)} candidates ({cand_spec if len(cand_spec) < 40 else 'file'})")
    dmap = plan_dapil_of_kecamatan(ctx)
    groups = np.array([dmap.get(str(k)) for k in cands["kecamatan_code"]], dtype=object)
    per_dapil = cfg.get("per_dapil")
    dx, dy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    cx, cy = cands.geometry.x.to_numpy(), cands.geometry.y.to_numpy()
    # Existing facilities of the configured type count as covering already.
    precovered = covered_by_existing(ctx, cfg.get("existing_type"), np.column_stack([dx, dy]), radius, desa.crs)
    cost = siting.coverage_matrix(np.column_stack([dx, dy]), np.column_stack([cx, cy]), radius_m=radius)
    w = demand["population"].to_numpy()
    kw: dict[str, Any] = {"progress": ctx.detail} if ctx.detail is not None else {}
    quota = int(per_dapil) if per_dapil else 0
    if quota and any(g is not None for g in groups):
        kw.update(groups=groups, quotas=quota)
    p = int(cfg.get("p", 5))
    if "groups" in kw and model != "lscp":
        need = quota * len({g for g in groups if g is not None})
        if need > p:
            # the plan (often ILLUSTRATIVE) has more dapil than p allows with per_dapil each
            ctx.warn(f"sites: {len({g for g in groups if g is not None})} dapil × per_dapil {quota} = {need} "
                     f"sites > p = {p}: p is raised to {need}")
            p = need
    # Reproducible: the exact phase is bounded by branch-and-bound nodes, not by the clock (a
    # wall-clock budget gives different sites on a busier machine); time_limit_s adds a clock.
    kw["node_limit"] = int(cfg.get("node_limit", SITES_NODE_LIMIT))
    kw["time_limit_s"] = float(cfg.get("time_limit_s", math.inf))
    if model not in ("mclp", "pmedian", "p_median", "lscp"):
        raise InvalidInputError(f"unknown siting model '{model}' (mclp, lscp, pmedian)", field="model")
    with ctx.coverage_warnings("sites", cands, cand_spec):
        if model == "mclp":
            res = siting.mclp(w, cost, p, max_cost=radius, precovered=precovered, **kw)
        elif model == "lscp":
            res = siting.lscp(w, cost, max_cost=radius, precovered=precovered, **kw)
        else:
            res = siting.p_median(w, cost, p, **kw)
    chosen = cands.iloc[res.sites].copy()
    chosen.insert(0, "order", np.arange(1, len(chosen) + 1))
    chosen["marginal_gain"] = res.marginal_gain
    chosen["dapil"] = groups[res.sites]
    chosen["model"] = res.model
    chosen["radius_m"] = radius
    ctx.layers["sites"] = chosen.to_crs("EPSG:4326")
    ctx.write("sites.geojson", ctx.layers["sites"])
    summary = pd.DataFrame([{
        "model": res.model, "solver": res.solver, "status": res.status, "p": res.p, "objective": res.objective,
        "bound": res.bound, "gap": res.gap, "demand_points": len(dx), "candidates": len(cx), "radius_m": radius,
        "total_population": float(w.sum()),
        "covered_before": float(w[precovered].sum()) if precovered is not None else 0.0,
    }])
    ctx.tables["sites_summary"] = summary
    ctx.write("sites_summary.csv", summary)
    ctx.notes.append(f"sites: {res.model} ({res.solver}) chose {res.p} sites; objective {res.objective:,.0f}, "
                     f"certified bound {res.bound:,.0f} (gap {100 * res.gap:.2f}%)")
    if res.covered is not None:
        cov_after = pd.DataFrame({"kecamatan_code": demand["kecamatan_code"].to_numpy(), "population": w,
                                  "covered_after": np.where(res.covered, w, 0.0),
                                  "covered_before": np.where(precovered, w, 0.0) if precovered is not None else 0.0})
        per_kec = cov_after.groupby("kecamatan_code", sort=True).sum().reset_index()
        ctx.write("sites_coverage_kecamatan.csv", per_kec)


def site_candidates(ctx: RunContext, spec: str, desa: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str]:
    """The candidate points of ``spec`` ("desa", "kecamatan", "grid:SPACING" or a layer named in the
    run file) in the CRS of ``desa``, each with the ``kecamatan_code`` of the desa it lies in,
    without candidates inside pseudo-units (lakes, forests...: never sites). Returns the
    candidates and the spec with a file resolved to its path."""
    from ..._core import locate_points
    from ...data.io import to_geometry_array
    from ...selection import siting

    if spec not in ("desa", "kecamatan") and not spec.startswith("grid:"):
        spec = str(ctx.config.resolve(spec, ctx.data_dir))
    cands = siting.candidate_points(ctx.region, spec, desa.crs).reset_index(drop=True)
    idx = locate_points(to_geometry_array(desa.geometry), cands.geometry.x.to_numpy(), cands.geometry.y.to_numpy())
    if "kecamatan_code" not in cands.columns:
        cands["kecamatan_code"] = [desa["kecamatan_code"].iloc[i] if i >= 0 else None for i in idx]
    if "pseudo_unit" in desa.columns and desa["pseudo_unit"].fillna(False).astype(bool).any():
        pseudo = desa["pseudo_unit"].fillna(False).to_numpy(dtype=bool)
        drop = np.array([i >= 0 and pseudo[i] for i in idx], dtype=bool)
        if drop.any():
            ctx.notes.append(f"sites: {int(drop.sum())} candidates in pseudo-units dropped")
            cands = cands[~drop].reset_index(drop=True)
    return cands, spec


def covered_by_existing(ctx: RunContext, facility_type: str | None, demand_xy: np.ndarray, radius_m: float,
                        crs) -> np.ndarray | None:
    """Which demand points (x, y in ``crs``) an existing facility of ``facility_type`` already
    covers (straight-line distance ≤ ``radius_m``); None when there is no such type or facility."""
    from scipy.spatial import cKDTree

    if not facility_type or ctx.facilities is None:
        return None
    f = ctx.facilities[ctx.facilities["facility_type"] == facility_type].to_crs(crs)
    if not len(f):
        return None
    d, _ = cKDTree(np.column_stack([f.geometry.x, f.geometry.y])).query(demand_xy)
    return np.asarray(d <= radius_m, dtype=bool)

"""Step ``pilots``: kecamatan ranked on the indicators, the best per dapil, with sensitivity."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ..context import NO_DAPIL_PLAN, RunContext, plan_dapil_of_kecamatan, real_units


def step_pilots(ctx: RunContext) -> None:
    from ...selection.indicators import IndicatorCatalogue, assemble_indicators, criteria_matrix
    from ...selection.ranking import (
        WeightSpec,
        dimension_contributions,
        load_weights,
        rank_zones,
        sensitivity,
    )

    cfg = ctx.config.section("pilots")
    kec = real_units(ctx.layers["kecamatan"]).copy()
    kec["code"] = kec["code"].astype(str)
    extra = ctx.indicators["kecamatan"]
    extra = extra[extra.index.astype(str).isin(kec["code"])]  # pseudo-units are never pilots
    engine = [extra.reset_index()] if len(extra.columns) else []
    user_tables = [ctx.config.resolve(t, ctx.data_dir) for t in cfg.get("indicators", [])]
    table = assemble_indicators(kec, engine_results=engine, user_tables=user_tables,
                                allow_missing=cfg.get("imputation", "none") != "none")
    catalogue = IndicatorCatalogue.default()
    if "weights" in cfg and isinstance(cfg["weights"], str):
        wpath = ctx.config.resolve(cfg["weights"], ctx.data_dir)
        spec = load_weights(wpath, override=bool(cfg.get("ahp_override", False)))
    else:
        weights = cfg.get("weights") or {}
        if not weights:
            usable = [c for c in table.columns if catalogue.find(c) is not None and table[c].notna().all()]
            if not usable:
                reason = ("no indicator is known for every kecamatan (no population, facilities, roads or indicator "
                          "tables): nothing to rank on")
                ctx.warn(f"pilots: {reason}; supply a population or indicator tables to rank kecamatan")
                ctx.skip("pilots", reason)
                return
            weights = dict.fromkeys(usable, 1.0)
            ctx.notes.append("pilots: no weights given — equal weights over the available indicators "
                             f"({', '.join(usable)})")
        spec = WeightSpec(indicator_weights=pd.Series(weights, dtype=float), source="run file [pilots.weights]")
    cm = criteria_matrix(table, catalogue, indicators=spec.indicators, mode=cfg.get("mode", "need"),
                         normalisation=cfg.get("normalisation", "min_max"),
                         imputation=cfg.get("imputation", "none"))
    dmap = plan_dapil_of_kecamatan(ctx)
    if dmap.empty:
        # No dapil plan (none known, none proposed): one group, the whole regency, so pilots
        # are the best kecamatan without dapil quotas.
        dmap = pd.Series(NO_DAPIL_PLAN, index=kec["code"].astype(str))
        ctx.notes.append(f"pilots: no dapil plan — the {int(cfg.get('k', 1))} best kecamatan of the whole regency, "
                         "without dapil quotas")
    zd = pd.DataFrame({"code": kec["code"], "dapil": [dmap.get(c) for c in kec["code"]]})
    method = cfg.get("method", "weighted_sum")
    k = int(cfg.get("k", 1))
    res = rank_zones(cm, spec, zd, method=method, k=k)
    sens = sensitivity(cm, spec, zd, method=method, k=k, draws=int(cfg.get("draws", 2000)),
                       concentration=float(cfg.get("concentration", 100.0)), seed=int(cfg.get("seed", 0)), base=res)
    out = res.table.join(sens.table[["p_selected", "rank_low", "rank_median", "rank_high", "stability"]])
    out = out.join(dimension_contributions(cm, res.weights))
    out.insert(0, "code", out.index.astype(str))
    out.index.name = None
    names = dict(zip(kec["code"], kec["name"]))
    out.insert(1, "name", [names.get(c, "") for c in out["code"]])
    out["dapil_source"] = dapil_source(ctx.tables.get("dapil_plan"))
    out = out.sort_values(["rank", "code"], ignore_index=True)
    ctx.tables["pilots"] = out
    ctx.tables["indicators_kecamatan"] = table
    ctx.write("indicators_kecamatan.csv", table.reset_index().rename(columns={"index": "code"}))
    ctx.write("pilots.csv", out)
    geo = kec[["code", "geometry"]].merge(out, on="code", how="right")
    ctx.layers["pilots"] = gpd.GeoDataFrame(geo, geometry="geometry", crs=kec.crs)
    ctx.write("pilots.geojson", ctx.layers["pilots"])
    ctx.write("weights.csv", cm.criteria.join(res.weights).reset_index())


def dapil_source(plan: pd.DataFrame | None) -> str:
    """What the pilots' dapil come from, in words that match the plan: "no dapil plan (pilots over the whole regency)",
    "confirmed plan", or "ILLUSTRATIVE plan" with how many of its kecamatan are confirmed
    ("none confirmed" when nothing is)."""
    if plan is None or plan.empty:
        return "no dapil plan (pilots over the whole regency)"
    if "plan_status" not in plan.columns or (plan["plan_status"] == "CONFIRMED").all():
        return "confirmed plan"
    status = plan.groupby(plan["kecamatan_code"].astype(str))["plan_status"].agg(
        lambda s: bool((s == "CONFIRMED").all()))
    n_conf, n = int(status.sum()), len(status)
    if n_conf == 0:
        return "ILLUSTRATIVE plan (none confirmed)"
    return f"ILLUSTRATIVE plan ({n_conf} of {n} kecamatan confirmed)"

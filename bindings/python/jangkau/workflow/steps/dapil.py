"""Step ``dapil``: the confirmed plan checked, or an ILLUSTRATIVE plan proposed (never failing the\nrun for want of one)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from ...errors import InvalidInputError
from ..context import RunContext, real_units


def step_dapil(ctx: RunContext) -> None:
    from ...selection.dapil import NoPlanError, check_plan, propose_plan

    region = ctx.region
    desa = real_units(ctx.layers["desa"])
    kec = real_units(ctx.layers["kecamatan"])
    cfg = ctx.config.section("dapil")
    total = cfg.get("total_seats") or region.config.get("dapil", {}).get("total_seats")
    table = region.dapil
    known_all = table is not None and kec["dapil"].notna().all()
    if known_all:
        plan = table[["kecamatan_code", "dapil", "seats"]]
        check = check_plan(plan, kec, total_seats=total)
        ctx.write("dapil_check.csv", check)
        ctx.tables["dapil_plan"] = plan.assign(plan_status="CONFIRMED")
        return
    if kec["population"].isna().any():
        ctx.warn("dapil plan: the population of some kecamatan is unknown, so no plan can be balanced (seats by "
                 "population, UU 7/2017): pilots are chosen per kecamatan without dapil quotas")
        ctx.skip("dapil", "population unknown: no ILLUSTRATIVE plan can be proposed or checked")
        return
    if cfg.get("propose", True) is False:
        ctx.warn("dapil composition incomplete and proposal disabled: pilots per dapil are not chosen")
        ctx.skip("dapil", "composition incomplete and proposal disabled ([dapil] propose = false)")
        return
    fixed = None
    if table is not None:
        fixed = table.dropna(subset=["dapil"])[["kecamatan_code", "dapil", "seats"]]
    try:
        # desa as building blocks: a kecamatan is split (bagian kecamatan) only when whole
        # kecamatan cannot satisfy the rules.
        plan = propose_plan(kec, total_seats=total, fixed=fixed, seed=int(cfg.get("seed", 0)),
                            n_dapil=int(cfg["n_dapil"]) if cfg.get("n_dapil") else None,
                            desa=desa, options=_proposal_options(cfg))
    except NoPlanError as exc:
        # An ILLUSTRATIVE plan is optional: the run goes on with pilots per kecamatan and no
        # dapil quotas, and says why in every output.
        reasons = exc.reasons or [str(exc)]
        ctx.write("dapil_no_plan.csv", pd.DataFrame({"reason": reasons}))
        ctx.skip("dapil", "no ILLUSTRATIVE plan satisfies the rules (dapil_no_plan.csv)")
        ctx.warn("dapil plan: no ILLUSTRATIVE plan satisfies the rules (" + "; ".join(reasons) + "); pilots and "
                 "sites are chosen per kecamatan without dapil quotas")
        return
    ctx.tables["dapil_plan"] = plan
    ctx.write("dapil_plan_ILLUSTRATIVE.csv", plan)
    _write_proposal_status(ctx, plan, cfg)
    ctx.warn("dapil plan: the official composition is not (fully) known; an ILLUSTRATIVE plan satisfying the rules "
             "was proposed (confirmed parts kept fixed) and used for pilots and sites per dapil — it is not the KPU "
             "decision")
    confirmed = None
    if fixed is not None and fixed["seats"].notna().any():
        confirmed = fixed.dropna(subset=["seats"]).groupby("dapil")["seats"].first().astype(int)
    cols = [c for c in ("kecamatan_code", "dapil", "seats", "desa_codes") if c in plan.columns]
    check = check_plan(plan[cols], kec, total_seats=total, confirmed_seats=confirmed, desa=desa)
    ctx.write("dapil_plan_ILLUSTRATIVE_check.csv", check)
    _write_sea_links(ctx, plan, kec)


def _proposal_options(cfg: dict):
    """ProposalOptions from the run file's [dapil] node_limit / time_limit_s / mip_gap."""
    from ...selection.dapil import ProposalOptions

    # A run is reproducible: the proposer is bounded by nodes, not by the clock, unless the run
    # file asks for a time limit (which makes the plan depend on the machine's speed).
    kw: dict[str, Any] = {"time_limit_s": None}
    for key, conv in (("node_limit", int), ("time_limit_s", float), ("mip_gap", float)):
        if key in cfg:
            try:
                v = conv(cfg[key])
            except (TypeError, ValueError):
                raise InvalidInputError(f"[dapil] {key} = {cfg[key]!r} is not a number", field=key) from None
            if not (v >= 0) or (key != "mip_gap" and v == 0):
                raise InvalidInputError(f"[dapil] {key} = {cfg[key]!r} must be positive", field=key)
            kw[key] = v
    return ProposalOptions(**kw)


def _write_proposal_status(ctx: RunContext, plan: pd.DataFrame, cfg: dict) -> None:
    """How good the ILLUSTRATIVE plan is proven to be: ``dapil_proposal.csv`` (status
    'optimal' or 'stopped' by the node/time limit, objective = extra parts + largest
    deviation of population per seat, its certified lower bound and the gap), and a note."""
    opts = _proposal_options(cfg)
    a = plan.attrs
    obj = float(a.get("split_parts", 0)) + float(a.get("objective", float("nan")))
    bound = float(a.get("bound", float("nan")))
    row = {"status": a.get("status"), "objective": obj, "bound": bound, "gap": obj - max(bound, 0.0),
           "max_deviation": a.get("max_deviation"), "extra_parts": a.get("split_parts", 0),
           "n_dapil": a.get("n_dapil"), "split_kecamatan": ";".join(a.get("split_kecamatan", [])),
           "compactness_status": a.get("compactness_status"), "cut_boundary_km": a.get("cut_boundary_m", 0.0) / 1e3,
           "node_limit": opts.node_limit, "time_limit_s": opts.time_limit_s, "proof": a.get("proof", ""),
           "search_log": " | ".join(a.get("search_log", []))}
    ctx.tables["dapil_proposal"] = pd.DataFrame([row])
    ctx.write("dapil_proposal.csv", ctx.tables["dapil_proposal"])
    ctx.notes.append(f"dapil: ILLUSTRATIVE plan {row['status']} — objective {obj:.4f} (extra parts + largest "
                     f"deviation of population per seat), certified lower bound {max(bound, 0.0):.4f}, gap "
                     f"{row['gap']:.4f} (node limit {opts.node_limit}, time limit {opts.time_limit_s} s per solve)")


def _write_sea_links(ctx: RunContext, plan: pd.DataFrame, kec: gpd.GeoDataFrame) -> None:
    """The sea links of the proposed plan as lines (``dapil_sea_links.geojson``; an assumption)."""
    from ...selection.dapil import sea_link_layer

    layer = sea_link_layer(plan, kec)
    if layer is None:
        return
    ctx.layers["dapil_sea_links"] = layer
    ctx.write("dapil_sea_links.geojson", layer)
    ctx.notes.append(f"dapil: {len(layer)} sea links (an assumption, not a KPU rule) in dapil_sea_links.geojson, "
                     f"{int(layer['within_dapil'].sum())} of them inside a dapil of the plan")

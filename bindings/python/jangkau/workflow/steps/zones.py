"""Step ``zones``: the region, its zones per level, and what its inputs say about themselves."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..context import RunContext


def step_zones(ctx: RunContext) -> None:
    from ...data.region import Region

    region = Region.load(ctx.config.region, data_dir=ctx.data_dir)
    ctx.region = region
    if region.is_synthetic:
        ctx.warn("SYNTHETIC region: every number in this run comes from generated data, not from any real place")
    src = region.population_source
    if src is None:
        ctx.warn("no population table: population-based results are unavailable")
    else:
        weighting = region.population_weighting
        if src.level != "desa" and weighting["weighting"] == "dasymetric":
            ctx.notes.append(f"population: known per {src.level} ({src.year}); desa figures and the people on "
                             f"each cell are DASYMETRIC: each {src.level}'s figure is spread over its cells in "
                             f"proportion to the population raster {Path(weighting['raster']).name} (the figures "
                             "stay the totals)")
        elif src.level != "desa":
            ctx.warn(f"population is known per {src.level} ({src.year}); desa figures are spread by areal weighting "
                     "(uniform density within each source zone)")
    if region.dapil is None:
        ctx.warn("the dapil composition is unknown for this region: pilots per dapil use an ILLUSTRATIVE plan")
    else:
        unknown = region.zones("kecamatan")["dapil"].isna().sum()
        if unknown:
            ctx.warn(f"the dapil of {unknown} kecamatan is unknown (not guessed); results per dapil use an "
                     "ILLUSTRATIVE completion where noted")
    if len(region.repairs):
        ctx.warn(f"{len(region.repairs)} invalid desa geometries were repaired (see repairs.csv)")
        ctx.write("repairs.csv", region.repairs)
    _zones_inputs_report(ctx)
    for level in ("desa", "kecamatan", "dapil", "kabupaten"):
        z = region.zones(level)
        ctx.layers[level] = z
        ctx.indicators[level] = pd.DataFrame(index=pd.Index(z["code"].astype(str), name="code"))


def _zones_inputs_report(ctx: RunContext) -> None:
    """What the region's inputs say about themselves: the region's warnings (regency code,
    regency totals), the population check (population_check.csv) and the pseudo-units
    (pseudo_units.geojson)."""
    region = ctx.region
    for w in region.warnings:
        ctx.warn(w)
    src = region.population_source
    if src is not None and src.level == "kabupaten" and not region.config.get("population"):
        rt = region.regency_total
        if rt is not None:
            how = ("DASYMETRIC (spread by the population raster)"
                   if region.population_weighting["weighting"] == "dasymetric" else "AREAL WEIGHTING (uniform density)")
            ctx.warn(f"population: only the {rt['year'] or ''} regency total is known ({rt['population']:,.0f}, "
                     f"{rt['name']}, matched by {rt['match']}); desa and kecamatan figures are {how}, not counts")
    check = region.population_check
    if check is not None:
        ctx.tables["population_check"] = check
        ctx.write("population_check.csv", check)
    pseudo = region.pseudo_units
    if len(pseudo):
        ctx.layers["pseudo_units"] = pseudo.to_crs("EPSG:4326")
        ctx.tables["pseudo_units"] = pd.DataFrame(pseudo.drop(columns="geometry"))
        ctx.write("pseudo_units.geojson", ctx.layers["pseudo_units"])
        names = ", ".join(f"{n} ({c})" for n, c in zip(pseudo["name"], pseudo["code"]))
        ctx.warn(f"{len(pseudo)} pseudo-units (not places where people live) get no population and are never "
                 f"pilots or sites: {names}")

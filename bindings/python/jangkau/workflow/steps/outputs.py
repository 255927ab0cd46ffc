"""Steps ``layers`` and ``report``: the zones with every indicator, and report.html."""

from __future__ import annotations

from ..context import RunContext


def step_layers(ctx: RunContext) -> None:
    """Zones per level with every indicator as properties (GeoJSON) and as tables (CSV)."""
    for level in ("desa", "kecamatan", "dapil", "kabupaten"):
        z = ctx.layers[level].copy()
        if len(z) == 0:
            continue
        z["code"] = z["code"].astype(str)
        extra = ctx.indicators[level]
        z = z.drop(columns=[c for c in extra.columns if c in z.columns]).merge(
            extra, left_on="code", right_index=True, how="left")
        if level == "kecamatan" and "pilots" in ctx.tables:
            p = ctx.tables["pilots"].set_index("code")[["score", "rank", "selected", "p_selected", "stability"]]
            z = z.merge(p, left_on="code", right_index=True, how="left")
        ctx.layers[level] = z
        ctx.write(f"zones_{level}.geojson", z)
        ctx.write(f"zones_{level}.csv", z)


def step_report(ctx: RunContext) -> None:
    from ..report import write_report

    write_report(ctx.result, ctx.staging / "report.html")

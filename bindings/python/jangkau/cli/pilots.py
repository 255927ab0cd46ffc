"""`jangkau pilots`: rank kecamatan (or desa) on indicators and choose pilots per dapil."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..errors import DataFileError, InvalidInputError, UnknownColumnError
from . import options as opt

TYPE_CHECKING = False  # typing is not imported at start-up

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_log = logging.getLogger("jangkau.pilots")

#: Output extensions written with geometry (others: .csv, attributes only).
GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".parquet"}


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``df`` atomically through the engine writer: CSV (attributes only), or
    GeoJSON/GPKG for a GeoDataFrame."""
    import pandas as pd

    from ..data.io import write

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in GEO_SUFFIXES and suffix != ".csv":
        raise InvalidInputError(f"output '{p}' must end in .csv, .geojson or .gpkg", file=str(p))
    if suffix == ".csv":
        df = pd.DataFrame(df.drop(columns="geometry", errors="ignore"))
    write(df, p)


def load_zones(args, level: str):
    """Zones of ``level`` from ``--zones FILE`` or from the region (``jangkau.Region``).

    Returns (zones, dapil table or None, total seats or None). Codes become strings.
    """

    if getattr(args, "zones", None):
        p = Path(args.zones)
        if not p.is_file():
            raise DataFileError(f"zones file '{p}' does not exist", file=str(p))
        if p.suffix.lower() == ".csv":
            from ..data.io import read_csv
            zones = read_csv(p, what="zones file", dtype={"code": str, "dapil": str})
        else:
            import geopandas as gpd
            zones = gpd.read_file(p)
        if "code" not in zones.columns:
            raise UnknownColumnError(f"zones file '{p}' has no 'code' column", file=str(p), field="code")
        zones["code"] = zones["code"].astype(str)
        return zones, None, None
    try:
        from .. import Region
    except ImportError as exc:
        raise DataFileError("this build has no jangkau.Region yet; pass --zones FILE") from exc
    region = Region.load(args.region, data_dir=getattr(args, "data", None))
    zones = region.zones(level)
    zones["code"] = zones["code"].astype(str)
    dapil = getattr(region, "dapil", None)
    seats = getattr(region, "config", {}).get("dapil", {}).get("total_seats")
    return zones, dapil, (int(seats) if seats is not None else None)


def _zone_dapil(zones: pd.DataFrame, dapil: pd.DataFrame | None, level: str) -> tuple[pd.DataFrame, pd.Series | None]:
    """(code → dapil frame, seats per dapil) for kecamatan or desa zones."""
    import pandas as pd

    z = pd.DataFrame({"code": zones["code"].astype(str)})
    if dapil is not None:
        dmap = dict(zip(dapil["kecamatan_code"].astype(str), dapil["dapil"]))
        key = zones["code"] if level == "kecamatan" else zones.get("kecamatan_code")
        if key is None:
            raise UnknownColumnError("desa zones have no 'kecamatan_code' column", field="kecamatan_code")
        z["dapil"] = [dmap.get(str(k)) for k in key]
        seats = dapil.dropna(subset=["dapil"]).groupby(dapil["dapil"].astype(str))["seats"].first() \
            if "seats" in dapil.columns else None
        return z, seats
    if "dapil" in zones.columns:
        z["dapil"] = zones["dapil"].to_numpy()
    else:
        z["dapil"] = None
    return z, None


def run(args) -> int:
    import pandas as pd

    from ..selection.indicators import IndicatorCatalogue, assemble_indicators, criteria_matrix
    from ..selection.ranking import load_weights, rank_zones, sensitivity

    zones, dapil, _ = load_zones(args, args.level)
    plan_label = "region dapil table"
    if args.plan:
        from ..selection.dapil import ILLUSTRATIVE, load_plan
        dapil = load_plan(args.plan)
        plan_label = f"plan {args.plan}"
        if "plan_status" in pd.read_csv(args.plan, nrows=0).columns:
            plan_label = f"{ILLUSTRATIVE} plan {args.plan}"
            _log.warning("dapil from the %s (not the KPU decree)", plan_label)
    catalogue = IndicatorCatalogue.default()
    if args.catalogue:
        catalogue = catalogue.extended(IndicatorCatalogue.from_toml(args.catalogue))
    table = assemble_indicators(zones, user_tables=args.indicators or [],
                                allow_missing=args.imputation != "none")
    spec = load_weights(args.weights, override=args.ahp_override)
    cm = criteria_matrix(table, catalogue, indicators=spec.indicators, mode=args.mode,
                         normalisation=args.normalisation, imputation=args.imputation,
                         blend_need_share=args.blend_need_share)
    zd, seats = _zone_dapil(zones, dapil, args.level)
    if args.pilots_total is not None and seats is None and "seats" in zones.columns:
        seats = zones.dropna(subset=["dapil"]).groupby(zones["dapil"].astype(str))["seats"].first()
    res = rank_zones(cm, spec, zd, method=args.method, k=args.k, total=args.pilots_total, seats=seats)
    sens = sensitivity(cm, spec, zd, method=args.method, k=args.k, total=args.pilots_total, seats=seats,
                       draws=args.draws, concentration=args.concentration, seed=args.seed, base=res)
    out = res.table.join(sens.table[["p_selected", "rank_low", "rank_median", "rank_high", "stability"]])
    out.insert(0, "code", out.index.astype(str))
    out.index.name = None
    names = dict(zip(zones["code"].astype(str), zones["name"])) if "name" in zones.columns else {}
    out.insert(1, "name", [names.get(c, "") for c in out["code"]])
    out["note"] = ["dapil unknown: not considered for pilots" if pd.isna(d) else "" for d in out["dapil"]]
    out = out.join(table.add_prefix("ind_"))
    out["dapil_source"] = plan_label
    out["mode"] = cm.mode.value
    out["method"] = res.method.value
    out = out.sort_values(["rank", "code"], ignore_index=True)
    if Path(args.output).suffix.lower() in GEO_SUFFIXES and "geometry" in zones.columns:
        import geopandas as gpd
        geo = zones[["code", "geometry"]].copy()
        geo["code"] = geo["code"].astype(str)
        out = gpd.GeoDataFrame(out.merge(geo, on="code", how="left"), geometry="geometry", crs=zones.crs)
    write_table(out, args.output)
    w = cm.criteria.join(res.weights).reset_index()
    wpath = Path(args.output).with_name(Path(args.output).stem + ".weights.csv")
    write_table(w, wpath)
    n_sel = int(res.table["selected"].sum())
    fragile = sens.table.index[sens.table["stability"] == "fragile"].tolist()
    _log.info("%d pilots chosen in %d dapil; %d fragile (%s); %d zones without dapil; wrote %s and %s",
              n_sel, len(res.pilots), len(fragile), ", ".join(fragile) or "none", len(res.unassigned),
              args.output, wpath)
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "pilots", help="rank zones on indicators and choose pilots per dapil",
        description="Score kecamatan (or desa) on indicators (need, readiness or a blend), rank them by "
                    "weighted sum or TOPSIS with direct or AHP weights, pick the top k per dapil and test the "
                    "choice by Monte Carlo over the weights. Formulas: docs/pilots.md.")
    p.add_argument("region", help="region name or region.toml (ignored with --zones)")
    p.add_argument("--zones", metavar="FILE", help="zones file (code, name, population, dapil[, seats]) instead "
                   "of the region's")
    p.add_argument("--level", choices=["kecamatan", "desa"], default="kecamatan")
    p.add_argument("--plan", metavar="CSV", help="dapil plan (kecamatan_code, dapil, seats) instead of the "
                   "region's dapil table, e.g. from 'jangkau dapil propose'")
    p.add_argument("--indicators", metavar="CSV", action="append",
                   help="indicator table joined on 'code' (repeatable; e.g. outputs of coverage/access)")
    p.add_argument("--weights", metavar="FILE", required=True,
                   help="weights (TOML or CSV): direct weights or an AHP pairwise matrix")
    p.add_argument("--catalogue", metavar="TOML", help="extra indicator catalogue (dimension, direction, role)")
    p.add_argument("--mode", choices=["need", "readiness", "blend"], default="need")
    p.add_argument("--blend-need-share", type=opt.number(0, 1), default=0.5, help="need share of the weight in blend mode")
    p.add_argument("--method", choices=["weighted_sum", "topsis"], default="weighted_sum")
    p.add_argument("--normalisation", choices=["min_max", "z_score", "rank"], default="min_max")
    p.add_argument("--imputation", choices=["none", "median", "dimension_mean"], default="none")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--k", type=opt.integer(1, 100_000), default=1, help="pilots per dapil (default 1)")
    g.add_argument("--pilots-total", type=opt.integer(1, 100_000), help="total pilots split over dapil in proportion to seats")
    p.add_argument("--draws", type=opt.integer(0, 10_000_000), default=2000, help="Monte Carlo weight draws (default 2000)")
    p.add_argument("--concentration", type=opt.number(0, 1e9, lo_open=True), default=100.0, help="Dirichlet concentration (default 100)")
    p.add_argument("--seed", type=opt.integer(0, 2**32 - 1), default=0)
    p.add_argument("--ahp-override", action="store_true", help="accept an AHP matrix with CR > 0.10")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output .csv, .geojson or .gpkg")
    p.set_defaults(func=run)

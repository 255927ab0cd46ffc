"""``jangkau sites REGION --candidates FILE --model mclp|lscp|p_median --p N [--per-dapil K]
(--radius D | --max-time T) -o OUT``: where to put new service points.

Demand model (first version, documented in docs/siting.md): one demand point per desa at
the desa centroid (working CRS), weighted by the desa population of the region (NaN
population → weight 0, reported). Coverage is Euclidean distance within ``--radius`` metres;
travel-time coverage (``--max-time``) uses the road network given with ``--roads``
(jangkau.network.travel.TravelModel: demand and candidates snapped to the roads, one search per
candidate), and refuses to run without it.
"""

from __future__ import annotations

import argparse
import logging

from . import options as opt
from .coverage import add_point_table_options

log = logging.getLogger("jangkau")


def _distance_m(text: str) -> float:
    """A distance such as '2km', '500m' or '1500' (metres), for argparse."""
    from ..coverage.analysis import parse_radii

    try:
        (value,) = parse_radii(text)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"not a distance: {text!r}") from exc
    return float(value)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sites",
        help="choose service-point locations (MCLP, LSCP, p-median) with a certified bound",
        description="Choose new service points among candidates. Demand = desa population at the desa "
        "centroids. Writes the chosen sites (order, marginal gain, dapil) to -o; --zones-out writes "
        "coverage before/after per kecamatan. The bound/gap certify how far from optimal the answer can be.",
    )
    p.add_argument("region", help="built-in region name (serang, cilegon) or a region .toml file")
    p.add_argument(
        "--candidates",
        required=True,
        metavar="FILE|desa|kecamatan|grid:D",
        help="candidate sites: a vector file, 'desa'/'kecamatan' for the zone centres, or grid:1km for a "
        "regular grid inside the region",
    )
    p.add_argument(
        "--model",
        required=True,
        type=_model_name,
        choices=["mclp", "lscp", "p_median"],
        help="location model (pmedian is accepted as an alias of p_median)",
    )
    p.add_argument("--p", type=opt.integer(1, 1_000_000), default=None, help="number of new sites (mclp, p_median)")
    p.add_argument(
        "--per-dapil",
        type=opt.integer(1, 1_000_000),
        default=None,
        metavar="K",
        help="at least K sites in every dapil (candidates in an unknown dapil count for none)",
    )
    std = p.add_mutually_exclusive_group()
    std.add_argument(
        "--radius", type=_distance_m, metavar="D", help="coverage standard: straight-line distance (2km, 500m or metres)"
    )
    std.add_argument(
        "--max-time",
        type=opt.duration,
        metavar="DURATION",
        help="coverage standard: travel time over --roads, e.g. 15min, 1h, 900s (bare number = minutes)",
    )
    p.add_argument(
        "--roads",
        action="append",
        metavar="FILE[,FILE...]",
        help="road files for --max-time (as in 'jangkau access'): .osm.pbf, or line layers with FILE:CLASS "
        "or a class in the file name; repeatable",
    )
    p.add_argument(
        "--max-snap",
        type=opt.number(0, 1_000_000),
        default=1000.0,
        metavar="METRES",
        help="largest off-road distance to a road for --max-time (default 1000; farther = uncovered)",
    )
    p.add_argument("--existing", metavar="FILE",
                   help="existing facilities: they count as covering already (any OGR point layer, or a CSV table "
                   "with lon/lat or x/y columns: see --x-column/--y-column/--points-crs)")
    add_point_table_options(p)
    p.add_argument(
        "--floor",
        type=opt.number(0, 1),
        metavar="SHARE",
        help="mclp: minimum covered share of the population in every kecamatan (0-1)",
    )
    p.add_argument(
        "--solver",
        choices=["auto", "greedy", "milp"],
        default="auto",
        help="auto (default): greedy incumbent, then the MILP warm-started from it within --time-limit",
    )
    p.add_argument(
        "--time-limit",
        type=opt.number(0, 7 * 86_400, lo_open=True),
        default=None,
        metavar="SECONDS",
        help="total budget of the search and the MILP (auto default 5 s; milp default none; greedy: its search)",
    )
    p.add_argument(
        "--node-limit",
        type=opt.integer(0, 10**12),
        default=None,
        metavar="N",
        help="auto/milp: at most N branch-and-bound nodes of HiGHS; also turns the race off, so reruns "
        "on the same inputs give the same sites (as long as --time-limit is not reached)",
    )
    p.add_argument(
        "--threads",
        type=opt.integer(0, 4096),
        default=0,
        metavar="N",
        help="threads of the engine and HiGHS (default 0 = automatic; 1 = one core and no race)",
    )
    p.add_argument("--crs", default=None, type=opt.crs, help="working (metric) CRS (default: the region's)")
    p.add_argument("--zones-out", metavar="FILE", help="write coverage before/after per kecamatan (.csv)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="output file for the chosen sites")
    p.set_defaults(func=run)


def _model_name(name: str) -> str:
    """--model value with the alias pmedian read as p_median (the Python name)."""
    return "p_median" if name == "pmedian" else name


def _candidates(args, region, crs):
    from ..selection.siting import candidate_points

    return candidate_points(region, args.candidates, crs, missing_coordinates=args.missing_coordinates)


def _travel_time_inputs(args, demand, cand, crs):
    """SitingInputs whose matrix holds travel times in seconds (demand -> candidate) within
    --max-time over the road network; unreachable / unsnapped pairs are absent (uncovered)."""
    import geopandas as gpd
    import numpy as np
    import scipy.sparse as sp

    from ..network.build import build_roads
    from ..network.travel import TravelModel, parse_duration_s
    from ..selection import siting

    cutoff_s = parse_duration_s(args.max_time)
    roads = build_roads(args.roads, crs=crs)
    points = gpd.GeoDataFrame(
        {"population": demand["weight"].to_numpy()}, geometry=demand.geometry.values, crs=crs
    )
    model = TravelModel(roads, cand, points, max_snap_m=args.max_snap)
    table = model.matrix(cutoff_s)
    n, m = len(demand), len(cand)
    rows = table["point"].to_numpy(np.int64)
    cols = table["facility"].to_numpy(np.int64)
    secs = table["time_s"].to_numpy(np.float64)
    order = np.lexsort((rows, cols))
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=m), out=indptr[1:])
    matrix = sp.csc_matrix((secs[order], rows[order], indptr), shape=(n, m))
    log.info(
        "travel times within %s: %d demand-candidate pairs over the road network", args.max_time, matrix.nnz
    )
    return siting.SitingInputs(demand["weight"].to_numpy(np.float64), matrix, cutoff_s, demand, cand, crs)


def run(args: argparse.Namespace) -> int:
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from ..data.io import read_points, write
    from ..data.region import Region
    from ..errors import InvalidInputError
    from ..selection import siting

    if args.max_time is not None and not args.roads:
        raise InvalidInputError(
            "--max-time needs --roads (a road network); use --radius for straight-line distance",
            field="max_time",
        )
    if args.radius is None and args.max_time is None and args.model != "p_median":
        raise InvalidInputError(
            f"--model {args.model} needs --radius METRES (or --max-time with --roads)", field="radius"
        )
    if args.model in ("mclp", "p_median") and args.p is None:
        raise InvalidInputError(f"--model {args.model} needs --p N", field="p")
    if args.node_limit is not None and args.solver == "greedy":
        raise InvalidInputError("--node-limit applies to --solver auto or milp (HiGHS's nodes)", field="node_limit")
    if args.floor is not None and args.model != "mclp":
        raise InvalidInputError("--floor applies to --model mclp", field="floor")

    region = Region.load(args.region, data_dir=args.data, crs=args.crs)
    crs = region.working_crs
    desa = region.zones("desa", crs=crs)
    pop = desa["population"].to_numpy(dtype=np.float64)
    unknown = ~np.isfinite(pop)
    if unknown.any():
        log.warning(
            "%d desa have no population figure: weight 0 (not covered by the objective)", int(unknown.sum())
        )
    demand = gpd.GeoDataFrame(
        {
            "code": desa["code"],
            "kecamatan_code": desa["kecamatan_code"],
            "weight": np.where(unknown, 0.0, pop),
        },
        geometry=desa.geometry.centroid,
        crs=crs,
    )
    cand = _candidates(args, region, crs).reset_index(drop=True)
    n_new = len(cand)
    fixed = None
    if args.existing:
        ex = read_points(args.existing, what="existing site", x_column=args.x_column, y_column=args.y_column,
                         points_crs=args.points_crs,
                         missing_coordinates=args.missing_coordinates).explode(index_parts=False).to_crs(crs)
        ex = gpd.GeoDataFrame(
            {"existing": np.ones(len(ex), dtype=bool), "source": str(args.existing),
             "source_index": ex["source_index"].to_numpy()}, geometry=ex.geometry.values, crs=crs
        )
        cand["existing"] = False
        cand = pd.concat([cand, ex], ignore_index=True)
        cand = gpd.GeoDataFrame(cand, geometry=cand.geometry.name, crs=crs)
        fixed = np.arange(n_new, len(cand))
    # dapil of every candidate: the dapil of the desa it falls in (None when unknown or outside)
    joined = gpd.sjoin(
        cand[[cand.geometry.name]], desa[["dapil", desa.geometry.name]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    cand["dapil"] = joined["dapil"].reindex(cand.index).astype(object)
    cand["dapil"] = cand["dapil"].where(cand["dapil"].notna(), None)

    if args.max_time is not None:
        inputs = _travel_time_inputs(args, demand, cand, crs)
    else:
        inputs = siting.from_geodataframes(demand, "weight", cand, args.radius, crs=crs)
    kw = {
        "fixed": fixed,
        "zones": demand["kecamatan_code"],
        "solver": args.solver,
        "time_limit_s": args.time_limit,
        "node_limit": args.node_limit,
        "threads": args.threads,
    }
    if args.per_dapil is not None:
        groups = cand["dapil"].copy()
        if fixed is not None:
            groups.iloc[fixed] = None
        if groups.isna().all():
            raise InvalidInputError(
                f"region {region.name} has no known dapil for any candidate: --per-dapil cannot be applied",
                field="per_dapil",
            )
        outside = int(groups.iloc[:n_new].isna().sum())
        if outside:
            log.warning(
                "%d candidates lie in a kecamatan whose dapil is unknown: they count for no quota", outside
            )
        kw.update(groups=groups, quotas=int(args.per_dapil))
    import warnings

    from ..errors import CoverageWarning
    from ..selection.siting import candidate_label

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CoverageWarning)
        if args.model == "mclp":
            if args.floor is not None:
                kw["floors"] = float(args.floor)
            result = inputs.mclp(args.p, **kw)
        elif args.model == "lscp":
            result = inputs.lscp(**kw)
        else:
            result = inputs.p_median(args.p, **kw)
    for w in caught:
        if isinstance(w.message, CoverageWarning):
            labels = [candidate_label(cand, int(i), args.candidates) for i in w.message.candidates]
            log.warning("%d candidate(s) cover no demand within the reach and can only be chosen for nothing: %s",
                        len(labels), ", ".join(labels[:10]) + (f" … ({len(labels) - 10} more)" if len(labels) > 10
                                                               else ""))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    sites = inputs.sites_frame(result)
    sites["model"] = args.model
    sites["solver"] = result.solver
    sites["objective"] = result.objective
    sites["bound"] = result.bound
    sites["gap"] = result.gap
    if region.is_synthetic:
        sites["synthetic"] = True
    write(
        sites.to_crs("EPSG:4326")
        if not args.output.lower().endswith(".csv")
        else pd.DataFrame(sites.drop(columns=sites.geometry.name)),
        args.output,
    )
    if args.zones_out and result.zone_coverage is not None:
        write(result.zone_coverage.rename(columns={"zone": "kecamatan_code"}), args.zones_out)
    kind = "upper" if args.model == "mclp" else "lower"
    log.info(
        "%s (%s): %d sites, objective %.6g, %s bound %.6g, gap %.3f%%%s",
        args.model,
        result.solver,
        result.p,
        result.objective,
        kind,
        result.bound,
        100 * result.gap,
        "" if result.floors_met else " — the equity floor is NOT met in every kecamatan",
    )
    if args.model == "p_median" and result.assignment is not None:
        stranded = (result.assignment < 0) & ~result.unreachable & (inputs.weights > 0)
        if stranded.any():
            log.warning(
                "%d desa with population reach some candidate but none of the %d chosen sites within the "
                "standard: the objective is inf (raise --p or the standard)",
                int(stranded.sum()),
                result.p,
            )
    if args.model == "lscp" and result.unreachable.any():
        log.warning(
            "%d desa cannot be covered by any candidate within the standard", int(result.unreachable.sum())
        )
    return 0

"""`jangkau dapil check|propose`: check a DPRD dapil plan against the rules, or propose an
ILLUSTRATIVE one that keeps the confirmed part fixed."""

from __future__ import annotations

import logging
from pathlib import Path

from .pilots import GEO_SUFFIXES, load_zones, write_table

TYPE_CHECKING = False  # typing is not imported at start-up

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_log = logging.getLogger("jangkau.selection.dapil")

#: Exit status of `dapil check` when the plan breaks a rule.
EXIT_VIOLATIONS = 3


def _rules(args):
    from ..selection.dapil import Adjacency, DapilRules
    return DapilRules(adjacency=Adjacency(args.adjacency))


def _seats(args, total: int | None) -> int | None:
    from ..errors import InvalidInputError

    if args.seats is None:
        return total
    if args.seats <= 0:
        raise InvalidInputError(f"--seats {args.seats}: a DPRD has at least one seat", field="--seats")
    return int(args.seats)


def _desa(args, zones: pd.DataFrame):
    """The desa building blocks of split kecamatan: ``--desa FILE`` (code, kecamatan_code,
    population, geometry), else the region's desa (none with ``--zones``). Pseudo-units
    (lakes, forest) are left out, as are kecamatan made only of them."""
    import geopandas as gpd

    from ..errors import DataFileError, UnknownColumnError

    if getattr(args, "desa", None):
        p = Path(args.desa)
        if not p.is_file():
            raise DataFileError(f"desa file '{p}' does not exist", file=str(p))
        desa = gpd.read_file(p)
        for col in ("code", "kecamatan_code", "population"):
            if col not in desa.columns:
                raise UnknownColumnError(f"desa file '{p}' has no '{col}' column", file=str(p), field=col)
        desa["code"] = desa["code"].astype(str)
        desa["kecamatan_code"] = desa["kecamatan_code"].astype(str)
        return desa, zones
    if getattr(args, "zones", None):
        return None, zones
    from .. import Region

    region = Region.load(args.region, data_dir=getattr(args, "data", None))
    desa = region.zones("desa")
    real = desa[~desa["pseudo_unit"].astype(bool)]
    zones = zones[zones["code"].astype(str).isin(set(real["kecamatan_code"].astype(str)))]
    return real, zones


def _known_part(dapil: pd.DataFrame | None) -> pd.DataFrame | None:
    if dapil is None or not len(dapil):
        return None
    known = dapil.dropna(subset=["dapil"]).copy()
    keep = [c for c in ("kecamatan_code", "dapil", "seats", "composition") if c in known.columns]
    return known[keep]


def run_check(args) -> int:
    from ..selection.dapil import check_plan, load_plan

    zones, dapil, total = load_zones(args, "kecamatan")
    seats = _seats(args, total)
    desa, zones = _desa(args, zones)
    plan = load_plan(args.plan, zones=zones) if args.plan else _known_part(dapil)
    if plan is None:
        from ..errors import InvalidInputError

        raise InvalidInputError("no plan: pass --plan CSV (the region has no dapil table)", field="--plan")
    confirmed = None
    if dapil is not None and "seats" in dapil.columns:  # the region's confirmed seat counts
        known = dapil.dropna(subset=["dapil", "seats"])
        if len(known):
            confirmed = known.groupby(known["dapil"].astype(str))["seats"].first().astype(int)
    if args.confirmed:
        c = load_plan(args.confirmed)
        confirmed = c.dropna(subset=["seats"]).groupby("dapil")["seats"].first().astype(int)
    from ..errors import in_file

    # Errors about seats and rows name the file they come from (the plan, else the confirmed seats).
    with in_file(args.plan or args.confirmed):
        v = check_plan(plan, zones, total_seats=seats, rules=_rules(args), confirmed_seats=confirmed, desa=desa)
    write_table(v, args.output)
    n = int((v["severity"] == "violation").sum())
    _log.info("%d violation(s), %d note(s); wrote %s", n, len(v) - n, args.output)
    return EXIT_VIOLATIONS if n else 0


def run_propose(args) -> int:
    from ..selection.dapil import ILLUSTRATIVE, check_plan, load_plan, propose_plan, sea_link_layer

    zones, dapil, total = load_zones(args, "kecamatan")
    seats = _seats(args, total)
    desa, zones = _desa(args, zones)
    fixed = load_plan(args.plan, zones=zones) if args.plan else _known_part(dapil)
    from ..errors import in_file

    with in_file(args.plan):
        plan = propose_plan(zones, total_seats=seats, fixed=fixed, n_dapil=args.n_dapil, seed=args.seed,
                            restarts=args.restarts, rules=_rules(args), desa=desa)
    confirmed = plan.attrs.get("confirmed_seats") or None
    cols = [c for c in ("kecamatan_code", "dapil", "seats", "desa_codes") if c in plan.columns]
    v = check_plan(plan[cols], zones, total_seats=seats, rules=_rules(args), confirmed_seats=confirmed, desa=desa)
    out = plan
    if Path(args.output).suffix.lower() in GEO_SUFFIXES and "geometry" in zones.columns:
        import geopandas as gpd
        geo = zones[["code", "geometry"]].rename(columns={"code": "kecamatan_code"})
        geo["kecamatan_code"] = geo["kecamatan_code"].astype(str)
        out = gpd.GeoDataFrame(plan.merge(geo, on="kecamatan_code", how="left"), geometry="geometry",
                               crs=zones.crs)
    write_table(out, args.output)
    vpath = Path(args.output).with_name(Path(args.output).stem + ".check.csv")
    write_table(v, vpath)
    links = sea_link_layer(plan, zones)
    if links is not None:
        lpath = Path(args.output).with_name(Path(args.output).stem + ".sea_links.geojson")
        write_table(links, lpath)
        _log.warning("%d sea links (an assumption, not a KPU rule) written to %s", len(links), lpath)
    _log.warning("%s plan (not the KPU decree): %d dapil, objective %.4f; wrote %s and %s", ILLUSTRATIVE,
                 plan["dapil"].nunique(), plan.attrs["objective"], args.output, vpath)
    return 0


def register(sub) -> None:
    p = sub.add_parser("dapil", help="check or propose a DPRD electoral-district (dapil) plan",
                       description="Dapil rules: UU 7/2017 and PKPU 6/2022 (see docs/pilots.md).")
    cmd = p.add_subparsers(dest="dapil_command", metavar="ACTION")
    cmd.required = True
    for name, helptext in (("check", "list every rule violation of a plan (exit status 3 if any)"),
                           ("propose", "propose an ILLUSTRATIVE plan keeping the confirmed part fixed")):
        q = cmd.add_parser(name, help=helptext)
        q.add_argument("region", help="region name or region.toml (ignored with --zones)")
        q.add_argument("--zones", metavar="FILE", help="kecamatan polygons with code, name, population")
        q.add_argument("--plan", metavar="CSV",
                       help="plan CSV (kecamatan_code, dapil[, seats]); for propose: the confirmed part "
                            "(default: the region's dapil table)")
        q.add_argument("--seats", type=int, help="total DPRD seats (default: from the population, "
                                                  "UU 7/2017 Pasal 191)")
        q.add_argument("--adjacency", choices=["rook", "queen"], default="rook")
        q.add_argument("--desa", metavar="FILE",
                       help="desa polygons (code, kecamatan_code, population) as building blocks of split "
                            "kecamatan (default: the region's desa; none with --zones)")
        q.add_argument("-o", "--output", required=True, metavar="OUT", help="output .csv (.geojson/.gpkg "
                       "for propose)")
        if name == "check":
            q.add_argument("--confirmed", metavar="CSV", help="plan CSV (kecamatan_code, dapil, seats) whose seat counts are "
                           "official (default: the region's dapil table)")
            q.set_defaults(func=run_check)
        else:
            q.add_argument("--n-dapil", type=int, help="number of dapil (default: fewest with ≤ 12 seats each)")
            q.add_argument("--seed", type=int, default=0)
            q.add_argument("--restarts", type=int, default=24)
            q.set_defaults(func=run_propose)

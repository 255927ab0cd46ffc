"""Weights, scores, pilot choice per dapil and weight sensitivity.

* Weights are given directly (validated and normalised to sum 1) or derived by the
  Analytic Hierarchy Process from a pairwise comparison matrix (Saaty 1977, 1980): the
  principal eigenvector, λmax, CI = (λmax − n)/(n − 1) and CR = CI/RI with Saaty's random
  indices; CR > 0.10 is refused unless overridden.
* Scores by weighted sum of the normalised criteria, or by TOPSIS (Hwang & Yoon 1981) on
  the raw criteria. Ranks break ties by zone code (ascending), always.
* Pilots: the top k zones of every dapil, or a total number of pilots split over the dapil
  in proportion to their seats (largest remainder). Zones without a dapil are reported
  in a separate table and never selected.
* Sensitivity: Monte Carlo over weights drawn from a Dirichlet distribution centred on the
  chosen weights, giving each zone its probability of selection and its rank interval.

Formulas and references: docs/pilots.md.
"""

from __future__ import annotations

import enum
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError, InvalidInputError, UnknownColumnError
from ..util import apportion
from .indicators import CriteriaMatrix, Dimension, parse_enum, read_toml

_log = logging.getLogger("jangkau.selection.ranking")

__all__ = [
    "RANDOM_INDEX",
    "Method",
    "AhpResult",
    "ahp",
    "normalise_weights",
    "WeightSpec",
    "load_weights",
    "weighted_sum",
    "topsis",
    "rank_order",
    "allocate_largest_remainder",
    "pilots_per_dapil",
    "RankingResult",
    "rank_zones",
    "SensitivityResult",
    "sensitivity",
    "dimension_contributions",
]

#: Saaty's random consistency index RI(n) for n = 1..10 (Saaty 1980; Saaty 1990, EJOR 48).
RANDOM_INDEX: tuple[float, ...] = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)


class Method(enum.Enum):
    """How criteria and weights become one score per zone."""

    WEIGHTED_SUM = "weighted_sum"
    TOPSIS = "topsis"


# --------------------------------------------------------------------------------------
# AHP
# --------------------------------------------------------------------------------------

def _judgement(value: object, *, file: str | None, where: str) -> float:
    """A pairwise judgement: a positive number or a fraction string like '1/3'."""
    try:
        if isinstance(value, str):
            v = float(Fraction(value.strip()))
        else:
            v = float(value)  # type: ignore[arg-type]
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        raise InvalidInputError(f"AHP matrix{where}: '{value}' is not a number or fraction",
                                file=file) from exc
    if not math.isfinite(v) or v <= 0:
        raise InvalidInputError(f"AHP matrix{where}: judgement {value} must be positive", file=file)
    return v


@dataclass(frozen=True)
class AhpResult:
    """Priorities derived from one pairwise comparison matrix.

    ``weights``: principal right eigenvector normalised to sum 1, indexed by label;
    ``lambda_max``: principal eigenvalue; ``ci`` = (λmax − n)/(n − 1);
    ``random_index``: Saaty's RI(n); ``cr`` = CI/RI (0 when n ≤ 2);
    ``consistent``: CR ≤ the threshold used (0.10 by default).
    """

    weights: pd.Series
    lambda_max: float
    ci: float
    cr: float
    random_index: float
    consistent: bool
    matrix: np.ndarray = field(repr=False)


def ahp(matrix: object, labels: Sequence[str] | None = None, *, override: bool = False,
        max_cr: float = 0.10, file: str | None = None, name: str = "AHP matrix",
        reciprocity_tolerance: float = 0.02) -> AhpResult:
    """Weights from a pairwise comparison matrix by Saaty's eigenvector method.

    ``matrix[i][j]`` says how much more important criterion i is than j (Saaty's 1–9
    scale; entries may be fraction strings such as '1/3'). Checks: square, n ≤ 10 (the
    range of Saaty's RI table), diagonal 1, entries within [1/9, 9], reciprocal within
    ``reciprocity_tolerance`` (|a_ij·a_ji − 1|); the matrix is then made exactly reciprocal
    from its upper triangle. A consistency ratio above ``max_cr`` raises InvalidInputError
    naming CR and the most inconsistent judgement, unless ``override`` (then a warning).
    """
    where = f" '{file}'" if file else ""
    rows = matrix.tolist() if isinstance(matrix, np.ndarray) else matrix
    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, (list, tuple)) for r in rows):
        raise InvalidInputError(f"{name}{where} must be a non-empty list of rows", file=file)
    n = len(rows)
    if any(len(r) != n for r in rows):
        raise InvalidInputError(f"{name}{where} must be square: {n} rows but row lengths "
                                f"{sorted({len(r) for r in rows})}", file=file)
    if labels is None:
        labels = [f"c{i + 1}" for i in range(n)]
    labels = [str(x) for x in labels]
    if len(labels) != n:
        raise InvalidInputError(f"{name}{where}: {len(labels)} labels for a {n}×{n} matrix", file=file)
    if len(set(labels)) != n:
        raise InvalidInputError(f"{name}{where}: duplicate labels", file=file)
    if n > len(RANDOM_INDEX):
        raise InvalidInputError(
            f"{name}{where} has {n} criteria; Saaty's random-index table covers at most "
            f"{len(RANDOM_INDEX)}: group the criteria (e.g. by dimension) and weigh each group separately",
            file=file)
    a = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            a[i, j] = _judgement(rows[i][j], file=file, where=f"{where} row {i + 1} ({labels[i]}), "
                                                              f"column {j + 1} ({labels[j]})")
    for i in range(n):
        if abs(a[i, i] - 1.0) > 1e-9:
            raise InvalidInputError(f"{name}{where}: diagonal entry {i + 1} ({labels[i]}) is {a[i, i]}, must be 1",
                                    file=file)
        for j in range(i + 1, n):
            for v in (a[i, j], a[j, i]):
                if v > 9.0 + 1e-9 or v < 1.0 / 9.0 - 1e-9:
                    raise InvalidInputError(
                        f"{name}{where}: judgement {v:g} for ({labels[i]}, {labels[j]}) is outside Saaty's "
                        "scale [1/9, 9]", file=file)
            if abs(a[i, j] * a[j, i] - 1.0) > reciprocity_tolerance:
                raise InvalidInputError(
                    f"{name}{where}: not reciprocal at ({labels[i]}, {labels[j]}): {a[i, j]:g} × {a[j, i]:g} ≠ 1",
                    file=file)
            a[j, i] = 1.0 / a[i, j]

    if n == 1:
        w = np.ones(1)
        lam = 1.0
    else:
        vals, vecs = np.linalg.eig(a)
        k = int(np.argmax(vals.real))
        lam = float(vals[k].real)
        v = np.abs(vecs[:, k].real)
        w = v / v.sum()
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci
    ri = RANDOM_INDEX[n - 1]
    cr = ci / ri if ri > 0 else 0.0
    consistent = cr <= max_cr + 1e-12
    result = AhpResult(weights=pd.Series(w, index=pd.Index(labels, name="criterion"), name="weight"),
                       lambda_max=lam, ci=ci, cr=cr, random_index=ri, consistent=consistent, matrix=a)
    if not consistent:
        # The judgement furthest from the ratio the priorities imply: max |ln(a_ij w_j / w_i)|.
        dev = np.abs(np.log(a * w[None, :] / w[:, None]))
        i, j = map(int, np.unravel_index(int(np.argmax(dev)), dev.shape))
        if i > j:
            i, j = j, i
        msg = (f"{name}{where} is too inconsistent: CR = {cr:.3f} > {max_cr:.2f} (λmax = {lam:.3f}, "
               f"CI = {ci:.3f}, RI({n}) = {ri:.2f}); the judgement ({labels[i]}, {labels[j]}) = {a[i, j]:.3g} "
               f"departs most from the implied ratio {w[i] / w[j]:.3g}")
        if not override:
            raise InvalidInputError(msg + "; revise the judgements or pass override=True (--ahp-override)",
                                    file=file)
        _log.warning("%s (overridden)", msg)
    return result


# --------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------

def normalise_weights(weights: Mapping[str, object] | pd.Series, *, file: str | None = None,
                      name: str = "weights") -> pd.Series:
    """Validate direct weights (finite, ≥ 0, not all zero) and scale them to sum 1."""
    s = pd.Series(weights, dtype=object)
    if s.empty:
        raise InvalidInputError(f"{name}: no weights given", file=file)
    out = {}
    for k, v in s.items():
        try:
            x = float(Fraction(v.strip())) if isinstance(v, str) else float(v)
        except (ValueError, TypeError, ZeroDivisionError) as exc:
            raise InvalidInputError(f"{name}: weight of '{k}' is '{v}', not a number", file=file,
                                    field=str(k)) from exc
        if not math.isfinite(x) or x < 0:
            raise InvalidInputError(f"{name}: weight of '{k}' is {x}, must be finite and ≥ 0", file=file,
                                    field=str(k))
        out[str(k)] = x
    w = pd.Series(out, dtype=float, name="weight")
    if w.sum() <= 0:
        raise InvalidInputError(f"{name}: all weights are zero", file=file)
    return w / w.sum()


def _weights_block(block: object, *, file: str | None, name: str,
                   override: bool) -> tuple[pd.Series, AhpResult | None]:
    """A TOML table of weights: either {label: weight} or {ahp = {labels, matrix, override}}."""
    if not isinstance(block, Mapping):
        raise InvalidInputError(f"'{file}': [{name}] must be a table", file=file, field=name)
    if "ahp" in block:
        if len(block) > 1:
            raise InvalidInputError(f"'{file}': [{name}] has both direct weights and an AHP matrix", file=file,
                                    field=name)
        spec = block["ahp"]
        if not isinstance(spec, Mapping) or "matrix" not in spec or "labels" not in spec:
            raise InvalidInputError(f"'{file}': [{name}.ahp] needs 'labels' and 'matrix'", file=file,
                                    field=name)
        res = ahp(spec["matrix"], spec["labels"], override=bool(spec.get("override", False)) or override,
                  file=file, name=f"[{name}.ahp]")
        return res.weights, res
    return normalise_weights(dict(block), file=file, name=f"[{name}]"), None


@dataclass(frozen=True)
class WeightSpec:
    """Weights as the user gave them, resolved against a criteria matrix by
    :meth:`criterion_weights`.

    Either ``indicator_weights`` (direct per indicator), or ``dimension_weights`` with
    optional ``within`` splits per dimension (indicators of a dimension share its weight
    equally unless ``within`` gives weights). ``ahp_results`` keeps every AHP step
    (label → result) for reports.
    """

    indicator_weights: pd.Series | None = None
    dimension_weights: pd.Series | None = None
    within: Mapping[str, pd.Series] = field(default_factory=dict)
    ahp_results: Mapping[str, AhpResult] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        if (self.indicator_weights is None) == (self.dimension_weights is None):
            raise InvalidInputError("give either indicator weights or dimension weights (exactly one)",
                                    file=self.source)
        if self.dimension_weights is not None:
            for d in list(self.dimension_weights.index) + list(self.within):
                parse_enum(Dimension, d, field="dimension", file=self.source)

    @property
    def indicators(self) -> list[str] | None:
        """The indicators named by direct weights (None for dimension weights)."""
        if self.indicator_weights is None:
            return None
        return [str(i) for i in self.indicator_weights.index if self.indicator_weights[i] > 0]

    def criterion_weights(self, cm: CriteriaMatrix) -> pd.Series:
        """One weight per criterion of ``cm`` (sums to 1; each side sums to its share).

        Indicator weights are renormalised over the indicators present on each side; a
        dimension with weight but no indicator on a side loses its weight there (logged).
        """
        crit = cm.criteria
        out = pd.Series(0.0, index=crit.index, name="weight")
        for side, rows in crit.groupby("side", sort=False):
            share = float(rows["side_share"].iloc[0])
            if share == 0:
                continue
            inds = list(rows["indicator"])
            if self.indicator_weights is not None:
                unknown = [i for i in inds if i not in self.indicator_weights.index]
                if unknown:
                    _log.warning("indicators without a weight get 0: %s", ", ".join(unknown))
                u = np.array([float(self.indicator_weights.get(i, 0.0)) for i in inds])
            else:
                dims = list(rows["dimension"])
                present = sorted(set(dims))
                dw = self.dimension_weights
                assert dw is not None  # __post_init__: exactly one of the two kinds is given
                lost = [d for d in dw.index if d not in present and dw[d] > 0]
                if lost:
                    _log.info("%s side: no indicator for dimension(s) %s; their weight is redistributed",
                                 side, ", ".join(lost))
                u = np.zeros(len(inds))
                for d in present:
                    members = [k for k, dd in enumerate(dims) if dd == d]
                    if d in self.within:
                        wd = self.within[d]
                        raw = np.array([float(wd.get(inds[k], 0.0)) for k in members])
                        if raw.sum() <= 0:
                            raise InvalidInputError(
                                f"within-dimension weights for '{d}' give no weight to any of its indicators "
                                f"({', '.join(inds[k] for k in members)})", file=self.source, field=d)
                        raw = raw / raw.sum()
                    else:
                        raw = np.full(len(members), 1.0 / len(members))
                    u[members] = float(dw.get(d, 0.0)) * raw
            if u.sum() <= 0:
                raise InvalidInputError(f"the weights give no weight to any {side} indicator "
                                        f"({', '.join(inds)})", file=self.source)
            out[rows.index] = share * u / u.sum()
        total = out.sum()
        return out / total


def load_weights(path: str | os.PathLike[str], *, override: bool = False) -> WeightSpec:
    """Read a weights file.

    TOML: ``[indicators]`` (direct: name = weight) or ``[dimensions]`` (direct, or
    ``[dimensions.ahp]`` with ``labels`` and ``matrix``) with optional ``[within.<dimension>]``
    (direct or ``.ahp``). CSV: two columns ``indicator,weight`` or ``dimension,weight``, or
    a square AHP matrix whose header row repeats the labels of its first column (labels all
    dimension names → dimension weights, else indicator weights).
    """
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"weights file '{p}' does not exist", file=str(p))
    f = str(p)
    results: dict[str, AhpResult] = {}
    if p.suffix.lower() == ".toml":
        data = read_toml(p)
        known = {"indicators", "dimensions", "within"}
        extra = sorted(set(data) - known)
        if extra:
            raise InvalidInputError(f"'{f}': unknown section(s) {', '.join(extra)} "
                                    f"(expected {', '.join(sorted(known))})", file=f, field=extra[0])
        if ("indicators" in data) == ("dimensions" in data):
            raise InvalidInputError(f"'{f}' must have exactly one of [indicators] or [dimensions]", file=f)
        if "indicators" in data:
            if "within" in data:
                raise InvalidInputError(f"'{f}': [within] only goes with [dimensions]", file=f, field="within")
            w, r = _weights_block(data["indicators"], file=f, name="indicators", override=override)
            if r:
                results["indicators"] = r
            return WeightSpec(indicator_weights=w, ahp_results=results, source=f)
        dw, r = _weights_block(data["dimensions"], file=f, name="dimensions", override=override)
        if r:
            results["dimensions"] = r
        within: dict[str, pd.Series] = {}
        for d, block in dict(data.get("within", {})).items():
            ww, rr = _weights_block(block, file=f, name=f"within.{d}", override=override)
            within[str(d)] = ww
            if rr:
                results[f"within.{d}"] = rr
        return WeightSpec(dimension_weights=dw, within=within, ahp_results=results, source=f)

    if p.suffix.lower() != ".csv":
        raise InvalidInputError(f"weights file '{f}' must be .toml or .csv", file=f)
    try:
        from ..data.io import read_csv
        df = read_csv(p, what="weights file", dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read weights file '{f}': {exc}", file=f) from exc
    cols = [c.strip() for c in df.columns]
    dim_names = {d.value for d in Dimension}
    if len(cols) == 2 and cols[1].lower() == "weight" and cols[0].lower() in ("indicator", "dimension"):
        w = normalise_weights(dict(zip(df.iloc[:, 0].str.strip(), df.iloc[:, 1])), file=f, name=f"'{f}'")
        if cols[0].lower() == "dimension":
            return WeightSpec(dimension_weights=w, source=f)
        return WeightSpec(indicator_weights=w, source=f)
    labels = [str(x).strip() for x in df.iloc[:, 0]]
    if cols[1:] != labels:
        raise InvalidInputError(
            f"'{f}' is neither a weights table (indicator,weight / dimension,weight) nor an AHP matrix whose "
            "header repeats the row labels", file=f)
    res = ahp(df.iloc[:, 1:].to_numpy().tolist(), labels, override=override, file=f)
    if set(labels) <= dim_names:
        return WeightSpec(dimension_weights=res.weights, ahp_results={"dimensions": res}, source=f)
    return WeightSpec(indicator_weights=res.weights, ahp_results={"indicators": res}, source=f)


# --------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------

def _weight_matrix(weights: np.ndarray, m: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    w2 = w[None, :] if w.ndim == 1 else w
    if w2.shape[1] != m:
        raise InvalidInputError(f"{w2.shape[1]} weights for {m} criteria")
    if not np.isfinite(w2).all() or (w2 < 0).any():
        raise InvalidInputError("weights must be finite and ≥ 0")
    return w2


def weighted_sum(normalised: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_j w_j·x_ij for each zone i. ``weights`` of shape (m,) gives (n,); of shape
    (draws, m) gives (draws, n)."""
    x = np.asarray(normalised, dtype=float)
    w2 = _weight_matrix(weights, x.shape[1])
    s = w2 @ x.T
    return s[0] if np.asarray(weights).ndim == 1 else s


def topsis(raw: np.ndarray, weights: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """TOPSIS closeness coefficients (Hwang & Yoon 1981).

    r_ij = x_ij / sqrt(Σ_i x_ij²) (vector normalisation; an all-zero column stays 0);
    v_ij = w_j·r_ij; ideal A⁺_j = max_i v_ij for benefit criteria and min for cost criteria,
    anti-ideal A⁻ the reverse; S⁺_i, S⁻_i the Euclidean distances to A⁺, A⁻;
    C_i = S⁻_i/(S⁺_i + S⁻_i) (0 when both are 0). Vectorised over weight draws: weights of
    shape (draws, m) give (draws, n). Because w_j ≥ 0 does not change which zone is
    extreme, S⁺² = ((r − r⁺)²)·w² is one matrix product per batch of draws.
    """
    x = np.asarray(raw, dtype=float)
    if np.isnan(x).any():
        raise InvalidInputError("TOPSIS got missing values; impute them first")
    _n, m = x.shape
    w2 = _weight_matrix(weights, m)
    b = np.asarray(benefit, dtype=bool)
    norm = np.sqrt((x * x).sum(axis=0))
    r = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)
    hi, lo = r.max(axis=0), r.min(axis=0)
    ideal = np.where(b, hi, lo)
    anti = np.where(b, lo, hi)
    dp2 = (r - ideal) ** 2
    dm2 = (r - anti) ** 2
    wsq = (w2 * w2).T
    sp = np.sqrt(np.maximum(dp2 @ wsq, 0.0)).T
    sm = np.sqrt(np.maximum(dm2 @ wsq, 0.0)).T
    den = sp + sm
    c = np.divide(sm, den, out=np.zeros_like(sm), where=den > 0)
    return c[0] if np.asarray(weights).ndim == 1 else c


def _scores(cm: CriteriaMatrix, weights: np.ndarray, method: Method) -> np.ndarray:
    if method is Method.WEIGHTED_SUM:
        return weighted_sum(cm.normalised.to_numpy(), weights)
    return topsis(cm.raw.to_numpy(), weights, cm.criteria["benefit"].to_numpy())


def rank_order(scores: np.ndarray, codes: Sequence[str] | np.ndarray) -> np.ndarray:
    """Ranks (1 = best) by score descending, ties broken by code ascending.

    ``scores`` (n,) or (draws, n); ``codes`` (n,). Returns int ranks of the same shape.
    """
    s = np.asarray(scores, dtype=float)
    by_code = np.argsort(np.asarray(codes, dtype=str), kind="stable")
    one = s.ndim == 1
    s2 = s[None, :] if one else s
    # Sort zones by code first, then a stable sort on -score keeps code order among ties.
    order = by_code[np.argsort(-s2[:, by_code], axis=1, kind="stable")]
    ranks = np.empty_like(order)
    rows = np.arange(order.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, order.shape[1] + 1)[None, :]
    return ranks[0] if one else ranks


# --------------------------------------------------------------------------------------
# Pilots per dapil
# --------------------------------------------------------------------------------------

def allocate_largest_remainder(sizes: pd.Series, total: int, *, caps: pd.Series | None = None) -> pd.Series:
    """Split ``total`` integer units over the entries of ``sizes`` in proportion to them
    (Hamilton / largest-remainder method).

    quota_g = total·size_g/Σ size; every entry gets ⌊quota⌋, the remaining units go one each
    to the largest fractional parts; ties go to the label that sorts first. With ``caps``,
    no entry gets more than its cap (the surplus goes to the next-largest remainders).
    :func:`jangkau.util.apportion` on the values, with the labels as tie keys.
    """
    s = pd.Series(sizes, dtype=float)
    cap = None if caps is None else pd.Series(caps, dtype=float).reindex(s.index).fillna(np.inf).to_numpy()
    alloc = apportion(s.to_numpy(), total, caps=cap, ties=np.array([str(x) for x in s.index], dtype=str))
    return pd.Series(alloc.astype(int), index=s.index, name="allocated")


def pilots_per_dapil(dapil_of_zone: pd.Series, *, k: int = 1, total: int | None = None,
                     seats: pd.Series | None = None) -> pd.Series:
    """Number of pilots per dapil (index = dapil label, sorted).

    Default: ``k`` in every dapil (capped at the number of its zones). With ``total`` and
    ``seats`` (seats per dapil): ``total`` pilots split in proportion to seats by largest
    remainder, capped at each dapil's zone count.
    """
    groups = dapil_of_zone.dropna().astype(str)
    counts = groups.value_counts().sort_index()
    if counts.empty:
        raise InvalidInputError("no zone has a known dapil", field="dapil")
    if total is None:
        if int(k) < 1:
            raise InvalidInputError(f"k must be ≥ 1, got {k}", field="k")
        return counts.clip(upper=int(k)).rename("pilots")
    if seats is None:
        raise InvalidInputError("pilots in proportion to seats need the seats per dapil", field="seats")
    se = pd.Series(seats).copy()
    se.index = se.index.astype(str)
    missing = [d for d in counts.index if d not in se.index or pd.isna(se[d])]
    if missing:
        raise InvalidInputError(f"no seat count for dapil {', '.join(missing)}", field="seats")
    if int(total) > int(counts.sum()):
        raise InvalidInputError(f"{total} pilots requested but only {int(counts.sum())} zones have a dapil",
                                field="total")
    out = allocate_largest_remainder(se[counts.index].astype(float), int(total), caps=counts)
    return out.rename("pilots")


@dataclass(frozen=True)
class RankingResult:
    """Scores, ranks and the pilot choice.

    ``table`` (index = zone code): dapil, score, rank (over all zones), rank_in_dapil,
    selected. ``unassigned``: zones whose dapil is unknown (never selected). ``weights``:
    per criterion. ``pilots``: number of pilots per dapil.
    """

    table: pd.DataFrame
    unassigned: pd.DataFrame
    weights: pd.Series
    pilots: pd.Series
    method: Method

    def explore(self, zones, **kwargs):
        """An interactive map of the scores on ``zones`` (a GeoDataFrame with ``code``), the
        selected pilots outlined; displays in Jupyter."""
        import geopandas as gpd

        from ..workflow.report_html import explore

        t = self.table.drop(columns=[c for c in self.table.columns if c in zones.columns])
        z = zones.assign(code=zones["code"].astype(str))
        joined = gpd.GeoDataFrame(z.merge(t, left_on="code", right_index=True, how="inner"),
                                  geometry=zones.geometry.name, crs=zones.crs)
        kwargs.setdefault("column", "score")
        return explore(joined, joined, names=["zones_kecamatan", "pilots"], **kwargs)


def _dapil_series(zones: pd.DataFrame | pd.Series, index: pd.Index) -> pd.Series:
    if isinstance(zones, pd.Series):
        d = zones
    else:
        if "dapil" not in zones.columns:
            raise UnknownColumnError("zones have no 'dapil' column", field="dapil")
        code = zones["code"].astype(str) if "code" in zones.columns else zones.index.astype(str)
        d = pd.Series(zones["dapil"].to_numpy(), index=pd.Index(code))
    d = d.copy()
    d.index = d.index.astype(str)
    unknown = [c for c in d.index if c not in set(index)]
    if unknown:
        raise InvalidInputError(f"zone '{unknown[0]}' has a dapil but no indicators", field="code")
    d = d.reindex(index)
    return d.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))


def _select(scores: np.ndarray, codes: np.ndarray, groups: list[np.ndarray], ks: list[int]) -> np.ndarray:
    """Boolean (draws, n): the top k of each group per draw (ties by code)."""
    s2 = scores if scores.ndim == 2 else scores[None, :]
    sel = np.zeros(s2.shape, dtype=bool)
    for idx, k in zip(groups, ks):
        if k == 0:
            continue
        idx = idx[np.argsort(codes[idx], kind="stable")]
        order = np.argsort(-s2[:, idx], axis=1, kind="stable")[:, :k]
        rows = np.arange(s2.shape[0])[:, None]
        sel[rows, idx[order]] = True
    return sel


def _groups(dapil: pd.Series, pilots: pd.Series) -> tuple[list[np.ndarray], list[int]]:
    arr = dapil.to_numpy(dtype=object)
    groups, ks = [], []
    for d in pilots.index:
        groups.append(np.flatnonzero(arr == d))
        ks.append(int(pilots[d]))
    return groups, ks


def rank_zones(cm: CriteriaMatrix, weights: WeightSpec | pd.Series, zones: pd.DataFrame | pd.Series, *,
               method: Method | str = Method.WEIGHTED_SUM, k: int = 1, total: int | None = None,
               seats: pd.Series | None = None) -> RankingResult:
    """Score every zone, rank it and choose the pilots per dapil.

    ``zones``: a DataFrame with columns code and dapil (or a Series code → dapil); NaN
    dapil = unknown. ``weights``: a :class:`WeightSpec` or per-criterion weights. Zones of
    unknown dapil are listed in ``unassigned`` (and logged), never selected.
    """
    method = parse_enum(Method, method, field="method")
    w = weights.criterion_weights(cm) if isinstance(weights, WeightSpec) else \
        normalise_weights(pd.Series(weights).reindex(cm.criteria.index).fillna(0.0), name="weights")
    codes = np.asarray(cm.zones.astype(str))
    scores = _scores(cm, w.to_numpy(), method)
    ranks = rank_order(scores, codes)
    dapil = _dapil_series(zones, cm.zones)
    pilots = pilots_per_dapil(dapil, k=k, total=total, seats=seats)
    groups, ks = _groups(dapil, pilots)
    selected = _select(scores, codes, groups, ks)[0]
    in_dapil = np.zeros(len(codes), dtype=float)
    in_dapil[:] = np.nan
    for idx in groups:
        in_dapil[idx] = rank_order(scores[idx], codes[idx])
    table = pd.DataFrame({"dapil": dapil.to_numpy(), "score": scores, "rank": ranks,
                          "rank_in_dapil": pd.array([pd.NA if np.isnan(v) else int(v) for v in in_dapil],
                                                    dtype="Int64"),
                          "selected": selected}, index=cm.zones)
    unassigned = table[table["dapil"].isna()][["score", "rank"]].copy()
    if len(unassigned):
        _log.warning("%d zone(s) have no known dapil and were not considered for pilots: %s",
                     len(unassigned), ", ".join(map(str, unassigned.index)))
    return RankingResult(table=table, unassigned=unassigned, weights=w, pilots=pilots, method=method)


# --------------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SensitivityResult:
    """Monte Carlo over weights.

    ``table`` (index = zone code): dapil, base_selected, p_selected, rank_low / rank_median /
    rank_high (the interval's percentiles of the overall rank), stability ('stable',
    'fragile' for base choices; 'contender' for others selected in ≥ 1 − threshold of draws;
    '' otherwise).
    """

    table: pd.DataFrame
    draws: int
    concentration: float
    seed: int
    threshold: float
    interval: tuple[float, float]


def sensitivity(cm: CriteriaMatrix, weights: WeightSpec | pd.Series, zones: pd.DataFrame | pd.Series, *,
                method: Method | str = Method.WEIGHTED_SUM, k: int = 1, total: int | None = None,
                seats: pd.Series | None = None, draws: int = 2000, concentration: float = 100.0,
                seed: int = 0, threshold: float = 0.9, interval: tuple[float, float] = (5.0, 95.0),
                batch: int = 2048, base: RankingResult | None = None) -> SensitivityResult:
    """Draw weight vectors w ~ Dirichlet(c·w₀) (mean w₀, the chosen weights; larger
    concentration c = tighter), redo the ranking and the per-dapil choice for each, and
    summarise per zone. Criteria with zero weight stay at zero. Seeded with
    ``numpy.random.default_rng(seed)``: the same inputs and seed give the same result.
    ``base``: the :func:`rank_zones` result for the same arguments, if already computed.
    """
    method = parse_enum(Method, method, field="method")
    if int(draws) < 1:
        raise InvalidInputError(f"draws must be ≥ 1, got {draws}", field="draws")
    if not (concentration > 0 and math.isfinite(concentration)):
        raise InvalidInputError(f"concentration must be positive, got {concentration}", field="concentration")
    if not (0.5 <= threshold <= 1.0):
        raise InvalidInputError(f"threshold must be in [0.5, 1], got {threshold}", field="threshold")
    lo_p, hi_p = interval
    if not (0 <= lo_p <= hi_p <= 100):
        raise InvalidInputError(f"bad rank interval {interval}", field="interval")
    if base is None:
        base = rank_zones(cm, weights, zones, method=method, k=k, total=total, seats=seats)
    w0 = base.weights.to_numpy()
    pos = np.flatnonzero(w0 > 0)
    rng = np.random.default_rng(seed)
    codes = np.asarray(cm.zones.astype(str))
    dapil = base.table["dapil"]
    groups, ks = _groups(dapil, base.pilots)
    n = len(codes)
    count = np.zeros(n, dtype=np.int64)
    all_ranks = np.empty((int(draws), n), dtype=np.int32)
    done = 0
    while done < draws:
        b = min(batch, int(draws) - done)
        W = np.zeros((b, len(w0)))
        W[:, pos] = rng.dirichlet(concentration * w0[pos], size=b)
        s = _scores(cm, W, method)
        count += _select(s, codes, groups, ks).sum(axis=0)
        all_ranks[done:done + b] = rank_order(s, codes)
        done += b
    p = count / float(draws)
    q = np.quantile(all_ranks, [lo_p / 100.0, 0.5, hi_p / 100.0], axis=0, method="inverted_cdf")
    stability = np.where(base.table["selected"].to_numpy(),
                         np.where(p >= threshold, "stable", "fragile"),
                         np.where(p >= 1.0 - threshold, "contender", ""))
    table = pd.DataFrame({
        "dapil": dapil.to_numpy(),
        "base_rank": base.table["rank"].to_numpy(),
        "base_selected": base.table["selected"].to_numpy(),
        "p_selected": p,
        "rank_low": q[0].astype(int),
        "rank_median": q[1].astype(int),
        "rank_high": q[2].astype(int),
        "stability": stability,
    }, index=cm.zones)
    return SensitivityResult(table=table, draws=int(draws), concentration=float(concentration), seed=int(seed),
                             threshold=float(threshold), interval=(float(lo_p), float(hi_p)))


# --------------------------------------------------------------------------------------
# Contribution of each dimension
# --------------------------------------------------------------------------------------

def dimension_contributions(cm: CriteriaMatrix, weights: pd.Series) -> pd.DataFrame:
    """How much each of the six dimensions adds to every zone's weighted-sum score.

    ``contrib_<dimension>`` = Σ_{criteria c of the dimension} w_c · x_zc over the
    normalised criteria (their sum is the weighted-sum score); ``share_<dimension>`` is
    the dimension's share of the total weight. A dimension without criteria gets 0 and
    share 0. For TOPSIS scores this is the additive decomposition of the same weights,
    not of the TOPSIS closeness (which is not additive).
    """
    w = pd.Series(weights, dtype=float).reindex(cm.criteria.index).fillna(0.0)
    x = cm.normalised.to_numpy(dtype=float)
    out = pd.DataFrame(index=cm.zones)
    dims = cm.criteria["dimension"].to_numpy()
    total = float(w.sum())
    for d in Dimension:
        sel = dims == d.value
        out[f"contrib_{d.value}"] = x[:, sel] @ w.to_numpy()[sel] if sel.any() else 0.0
        out[f"share_{d.value}"] = float(w.to_numpy()[sel].sum()) / total if total > 0 else 0.0
    return out

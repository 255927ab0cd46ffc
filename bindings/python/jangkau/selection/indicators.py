"""Indicator tables for pilot selection.

An *indicator table* has one row per zone (kecamatan or desa), indexed by the zone code,
and one numeric column per indicator. It is assembled from the engine's own results
(population, density, coverage shares, travel times, 2SFCA, RAI, road density — whatever
columns the given DataFrames hold) and from user tables (CSV) joined on the zone code.

Every indicator is described in an :class:`IndicatorCatalogue` (default:
``datasets/indicators_catalogue.toml``): its smart-city *dimension*, its *direction*
(higher is better or worse) and its *role* (need, readiness or both).
:func:`criteria_matrix` turns a table into the oriented, normalised matrix the ranking
methods use, for one :class:`ScoringMode`:

* ``NEED`` — indicators with role need/both, oriented so that *worse* conditions score
  higher (where the gaps are);
* ``READINESS`` — indicators with role readiness/both, oriented so that *better*
  conditions score higher (where a pilot can succeed);
* ``BLEND`` — both sides at once: every need-side criterion carries the share
  ``blend_need_share`` of the weight and every readiness-side criterion the rest, so the
  weighted sum equals ``s·S_need + (1 − s)·S_readiness``. An indicator with role *both*
  appears on both sides with opposite orientation, so its contributions partly cancel;
  the blend is meaningful when the two sides use different indicators.

Formulas and references: docs/pilots.md.
"""

from __future__ import annotations

import enum
import fnmatch
import logging
import math
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from ..errors import DataFileError, InvalidInputError, UnknownColumnError

_log = logging.getLogger("jangkau.selection.indicators")

__all__ = [
    "Dimension",
    "Direction",
    "Role",
    "ScoringMode",
    "Normalisation",
    "Imputation",
    "IndicatorSpec",
    "IndicatorCatalogue",
    "CriteriaMatrix",
    "read_toml",
    "read_user_table",
    "assemble_indicators",
    "normalise",
    "impute",
    "criteria_matrix",
    "facility_indicators",
    "indicator_status",
    "dimension_status",
    "indicator_template",
    "METADATA_ROWS",
]


class Dimension(enum.Enum):
    """The six dimensions of the smart-city programme."""

    GOVERNANCE = "governance"
    BRANDING = "branding"
    ECONOMY = "economy"
    LIVING = "living"
    SOCIETY = "society"
    ENVIRONMENT = "environment"


class Direction(enum.Enum):
    """Whether a higher indicator value means better or worse conditions."""

    HIGHER_IS_BETTER = "higher_is_better"
    HIGHER_IS_WORSE = "higher_is_worse"


class Role(enum.Enum):
    """Which scoring side an indicator informs."""

    NEED = "need"
    READINESS = "readiness"
    BOTH = "both"


class ScoringMode(enum.Enum):
    """What a high score means: a large gap (NEED), good conditions (READINESS) or a blend."""

    NEED = "need"
    READINESS = "readiness"
    BLEND = "blend"


class Normalisation(enum.Enum):
    """Per-indicator rescaling across zones (applied after orientation).

    MIN_MAX: (x − min)/(max − min) in [0, 1]; Z_SCORE: (x − mean)/sd (population sd);
    RANK: average rank scaled to [0, 1]. A constant column becomes all zeros.
    """

    MIN_MAX = "min_max"
    Z_SCORE = "z_score"
    RANK = "rank"


class Imputation(enum.Enum):
    """What to do with missing indicator values.

    NONE: raise InvalidInputError naming the indicator and zone (the default);
    MEDIAN: the indicator's median over the zones that have it;
    DIMENSION_MEAN: the zone's mean over the other indicators of the same dimension,
    each first converted to a z-score across zones, then mapped back to the missing
    indicator's scale (mean + z·sd); falls back to MEDIAN when the zone has no other
    indicator in that dimension.
    """

    NONE = "none"
    MEDIAN = "median"
    DIMENSION_MEAN = "dimension_mean"


_E = TypeVar("_E", bound=enum.Enum)


def parse_enum(enum_type: type[_E], value: object, *, field: str | None = None,
               file: str | None = None) -> _E:
    """Convert ``value`` (an enum member or its string value, case-insensitive, '-' or '_')
    to a member of ``enum_type``; InvalidInputError listing the choices otherwise."""
    if isinstance(value, enum_type):
        return value
    text = str(value).strip().lower().replace("-", "_")
    for member in enum_type:
        if member.value == text or member.name.lower() == text:
            return member
    choices = ", ".join(m.value for m in enum_type)
    where = f" in '{file}'" if file else ""
    raise InvalidInputError(f"{field or enum_type.__name__}{where}: '{value}' is not one of: {choices}",
                            file=file, field=field)


def read_toml(path: str | os.PathLike[str]) -> dict:
    """Read a TOML file; DataFileError if it cannot be read, InvalidInputError if it is not TOML."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise DataFileError(f"file '{p}' does not exist", file=str(p)) from exc
    except OSError as exc:
        raise DataFileError(f"cannot read '{p}': {exc}", file=str(p)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"'{p}' is not valid TOML: {exc}", file=str(p)) from exc


@dataclass(frozen=True)
class IndicatorSpec:
    """How one indicator (or a family of columns, when ``name`` ends in '*') is read."""

    name: str
    dimension: Dimension
    direction: Direction
    role: Role = Role.BOTH
    unit: str = ""
    description: str = ""
    #: True for indicators only the region can supply (SPBE index, poverty share...):
    #: they are the columns of :func:`indicator_template`.
    template: bool = False

    @property
    def is_pattern(self) -> bool:
        return self.name.endswith("*")


def _default_catalogue_path() -> Path | None:
    from ..util import dataset_path

    path = dataset_path("indicators_catalogue.toml")
    return path if path.is_file() else None


class IndicatorCatalogue:
    """Dimension, direction and role of every known indicator.

    Look-ups (:meth:`spec`) match exact names first, then patterns ending in '*' (the
    longest prefix wins). Unknown names raise UnknownColumnError.
    """

    def __init__(self, specs: Iterable[IndicatorSpec] = ()) -> None:
        self._exact: dict[str, IndicatorSpec] = {}
        self._patterns: list[IndicatorSpec] = []
        for s in specs:
            self._add(s)

    def _add(self, spec: IndicatorSpec) -> None:
        if spec.is_pattern:
            self._patterns = [p for p in self._patterns if p.name != spec.name] + [spec]
            self._patterns.sort(key=lambda p: (-len(p.name), p.name))
        else:
            self._exact[spec.name] = spec

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> IndicatorCatalogue:
        """Read a catalogue file ([[indicator]] tables with name, dimension, direction,
        optional role, unit, description)."""
        data = read_toml(path)
        entries = data.get("indicator", [])
        if not isinstance(entries, list):
            raise InvalidInputError(f"'{path}': 'indicator' must be an array of tables", file=str(path),
                                    field="indicator")
        specs = []
        for i, e in enumerate(entries):
            if not isinstance(e, Mapping) or "name" not in e:
                raise InvalidInputError(f"'{path}': indicator #{i + 1} has no name", file=str(path),
                                        feature=i, field="name")
            for key in ("dimension", "direction"):
                if key not in e:
                    raise InvalidInputError(f"'{path}': indicator '{e['name']}' has no {key}",
                                            file=str(path), feature=i, field=key)
            specs.append(IndicatorSpec(
                name=str(e["name"]),
                dimension=parse_enum(Dimension, e["dimension"], field="dimension", file=str(path)),
                direction=parse_enum(Direction, e["direction"], field="direction", file=str(path)),
                role=parse_enum(Role, e.get("role", "both"), field="role", file=str(path)),
                unit=str(e.get("unit", "")),
                description=str(e.get("description", "")),
                template=bool(e.get("template", False)),
            ))
        return cls(specs)

    @classmethod
    def default(cls) -> IndicatorCatalogue:
        """The project's default catalogue (datasets/indicators_catalogue.toml)."""
        p = _default_catalogue_path()
        if p is None:
            raise DataFileError("the default indicator catalogue (datasets/indicators_catalogue.toml) "
                                "was not found; pass a catalogue file")
        return cls.from_toml(p)

    def extended(self, other: IndicatorCatalogue) -> IndicatorCatalogue:
        """A new catalogue with the entries of ``other`` added (they win on equal names)."""
        out = IndicatorCatalogue(list(self._exact.values()) + self._patterns)
        for s in list(other._exact.values()) + other._patterns:
            out._add(s)
        return out

    def find(self, name: str) -> IndicatorSpec | None:
        """The spec for column ``name`` (an exact entry, else the best pattern), or None."""
        if name in self._exact:
            return self._exact[name]
        for p in self._patterns:
            if fnmatch.fnmatchcase(name, p.name):
                s = p
                return IndicatorSpec(name, s.dimension, s.direction, s.role, s.unit, s.description, s.template)
        return None

    def spec(self, name: str) -> IndicatorSpec:
        """Like :meth:`find` but raises UnknownColumnError for an unknown indicator."""
        s = self.find(name)
        if s is None:
            raise UnknownColumnError(
                f"indicator '{name}' is not in the catalogue: add it with its dimension and direction "
                "(--catalogue FILE)", field=name)
        return s

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    def to_frame(self) -> pd.DataFrame:
        """The catalogue as a table (name, dimension, direction, role, unit, description, template)."""
        rows = [(s.name, s.dimension.value, s.direction.value, s.role.value, s.unit, s.description, s.template)
                for s in list(self._exact.values()) + self._patterns]
        return pd.DataFrame(rows, columns=["name", "dimension", "direction", "role", "unit", "description",
                                           "template"])

    def specs(self) -> list[IndicatorSpec]:
        """Every entry (exact names first, then patterns)."""
        return list(self._exact.values()) + list(self._patterns)


# --------------------------------------------------------------------------------------
# Assembling the table
# --------------------------------------------------------------------------------------

def _codes(series: pd.Series) -> pd.Series:
    """Zone codes as stripped strings (integers read as floats lose their '.0')."""
    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    return series.map(one)


#: Codes of the metadata rows a template carries under its header (dimension, direction,
#: unit of each column); :func:`read_user_table` skips them.
METADATA_ROWS = ("#dimension", "#direction", "#unit")


def read_user_table(path: str | os.PathLike[str], *, code_column: str = "code") -> pd.DataFrame:
    """Read a user indicator CSV: one row per zone, ``code_column`` plus numeric columns.

    Codes are read as text (leading zeros and dots kept). The metadata rows of a template
    (codes ``#dimension``, ``#direction``, ``#unit``) are skipped, and so are columns with
    no value at all (template columns not filled in). Non-numeric cells in an indicator
    column raise InvalidInputError naming the file, row and column; empty cells are NaN.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"indicator table '{p}' does not exist", file=str(p))
    try:
        from ..data.io import read_csv
        df = read_csv(p, what="indicator table", dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read indicator table '{p}': {exc}", file=str(p)) from exc
    if code_column not in df.columns:
        raise UnknownColumnError(f"indicator table '{p}' has no '{code_column}' column "
                                 f"(columns: {', '.join(df.columns)})", file=str(p), field=code_column)
    meta = df[code_column].astype(str).str.strip().isin(METADATA_ROWS).to_numpy()
    line = np.flatnonzero(~meta) + 2  # file line of each data row (header = line 1)
    if meta.any():
        df = df[~meta].reset_index(drop=True)
    out = pd.DataFrame({code_column: _codes(df[code_column])})
    for col in df.columns:
        if col == code_column:
            continue
        if df[col].isna().all():
            _log.info("indicator table '%s': column '%s' is empty (not filled in): ignored", p, col)
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            if col in ("name", "nama", "kecamatan", "desa") or bad.all():
                continue  # a label column, not an indicator
            raise InvalidInputError(
                f"indicator table '{p}', row {int(line[i])}, column '{col}': '{df[col].iloc[i]}' is not a number",
                file=str(p), feature=i, field=col)
        out[col] = values.astype(float)
    out.attrs["source"] = str(p)
    return out


def assemble_indicators(
    zones: pd.DataFrame,
    engine_results: Sequence[pd.DataFrame] = (),
    user_tables: Sequence[str | os.PathLike[str] | pd.DataFrame] = (),
    *,
    code_column: str = "code",
    include_zone_columns: Sequence[str] = ("population", "density_per_km2"),
    allow_missing: bool = False,
) -> pd.DataFrame:
    """Build the indicator table: one row per zone of ``zones`` (index = zone code, sorted),
    one float column per indicator.

    ``zones`` needs ``code_column``; of its own columns, those in ``include_zone_columns``
    that exist are taken as indicators. Each DataFrame of ``engine_results`` and each user
    table (CSV path or DataFrame) must carry ``code_column``; all their numeric columns
    become indicators (a column named twice is an error).

    Errors (InvalidInputError naming file, zone code and column): a code that is not a zone;
    a code given twice in one table; and — unless ``allow_missing`` — a zone absent from a
    table. Missing *values* inside a table are left as NaN for :func:`impute`/
    :func:`criteria_matrix` to handle. ``attrs['sources']`` maps each column to its origin.
    """
    if code_column not in zones.columns:
        raise UnknownColumnError(f"zones have no '{code_column}' column", field=code_column)
    zone_codes = _codes(zones[code_column])
    if zone_codes.isna().any():
        i = int(np.flatnonzero(zone_codes.isna().to_numpy())[0])
        raise InvalidInputError(f"zone #{i} has no code", feature=i, field=code_column)
    dup = zone_codes[zone_codes.duplicated()]
    if len(dup):
        raise InvalidInputError(f"zone code '{dup.iloc[0]}' occurs more than once", field=code_column)
    index = pd.Index(sorted(zone_codes), name="code")
    table = pd.DataFrame(index=index)
    sources: dict[str, str] = {}

    zone_frame = pd.DataFrame(zones.drop(columns="geometry", errors="ignore")).copy()
    zone_frame.index = pd.Index(zone_codes.to_numpy(), name="code")
    for col in include_zone_columns:
        if col in zone_frame.columns:
            table[col] = pd.to_numeric(zone_frame[col], errors="coerce").reindex(index).astype(float)
            sources[col] = "zones"

    tables: list[tuple[str, pd.DataFrame]] = []
    for i, df in enumerate(engine_results):
        tables.append((df.attrs.get("source", f"engine result #{i + 1}"), df))
    for t in user_tables:
        if isinstance(t, pd.DataFrame):
            tables.append((t.attrs.get("source", "user table"), t))
        else:
            tables.append((str(t), read_user_table(t, code_column=code_column)))

    zone_set = set(index)
    for source, df in tables:
        if code_column not in df.columns:
            raise UnknownColumnError(f"'{source}' has no '{code_column}' column", file=source,
                                     field=code_column)
        codes = _codes(df[code_column])
        for j, c in enumerate(codes):
            if c is None:
                raise InvalidInputError(f"'{source}', row {j + 1}: empty zone code", file=source,
                                        feature=j, field=code_column)
            if c not in zone_set:
                raise InvalidInputError(f"'{source}', row {j + 1}: zone code '{c}' is not a zone of the region",
                                        file=source, feature=j, field=code_column)
        dups = codes[codes.duplicated()]
        if len(dups):
            raise InvalidInputError(f"'{source}': zone code '{dups.iloc[0]}' occurs more than once",
                                    file=source, field=code_column)
        missing = sorted(zone_set - set(codes))
        if missing and not allow_missing:
            raise InvalidInputError(
                f"'{source}' has no row for zone '{missing[0]}'"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; choose an imputation to accept missing zones",
                file=source, field=code_column)
        frame = df.drop(columns=[code_column]).copy()
        frame.index = pd.Index(codes.to_numpy(), name="code")
        for col in frame.columns:
            if col in ("geometry", "name") or not pd.api.types.is_numeric_dtype(frame[col]):
                continue
            if col in table.columns:
                raise InvalidInputError(f"indicator '{col}' is given by both '{sources[col]}' and '{source}'",
                                        file=source, field=col)
            table[col] = frame[col].astype(float).reindex(index)
            sources[col] = source
    table.attrs["sources"] = sources
    return table


# --------------------------------------------------------------------------------------
# Normalisation and imputation
# --------------------------------------------------------------------------------------

def normalise(values: np.ndarray, method: Normalisation | str) -> np.ndarray:
    """Normalise each column of ``values`` (zones × indicators, no NaN) across zones.

    Higher stays higher. A constant column becomes all zeros (it carries no information).
    """
    method = parse_enum(Normalisation, method, field="normalisation")
    x = np.asarray(values, dtype=float)
    squeeze = x.ndim == 1
    if squeeze:
        x = x[:, None]
    if np.isnan(x).any():
        raise InvalidInputError("normalise() got missing values; impute them first")
    n = x.shape[0]
    out = np.zeros_like(x)
    if method is Normalisation.MIN_MAX:
        lo, hi = x.min(axis=0), x.max(axis=0)
        span = hi - lo
        ok = span > 0
        out[:, ok] = (x[:, ok] - lo[ok]) / span[ok]
    elif method is Normalisation.Z_SCORE:
        mu, sd = x.mean(axis=0), x.std(axis=0)
        ok = sd > 0
        out[:, ok] = (x[:, ok] - mu[ok]) / sd[ok]
    else:
        ranks = pd.DataFrame(x).rank(method="average", axis=0).to_numpy()
        if n > 1:
            out = (ranks - 1.0) / (n - 1.0)
    return out[:, 0] if squeeze else out


def impute(table: pd.DataFrame, catalogue: IndicatorCatalogue, method: Imputation | str,
           indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """Fill missing values of ``indicators`` (default: all columns) by ``method``.

    Imputation.NONE raises InvalidInputError naming the first missing (indicator, zone)
    and its source. An indicator missing for every zone is an error under every method.
    ``attrs['imputed']`` lists the (indicator, zone) pairs that were filled.
    """
    method = parse_enum(Imputation, method, field="imputation")
    cols = list(table.columns if indicators is None else indicators)
    sources = table.attrs.get("sources", {})
    out = table.copy()
    imputed: list[tuple[str, str]] = []
    for col in cols:
        if col not in table.columns:
            raise UnknownColumnError(f"indicator '{col}' is not in the indicator table "
                                     f"(columns: {', '.join(table.columns)})", field=col)
        miss = table[col].isna()
        if not miss.any():
            continue
        src = sources.get(col)
        if miss.all():
            raise InvalidInputError(f"indicator '{col}' has no value for any zone", file=src, field=col)
        if method is Imputation.NONE:
            zone = str(table.index[np.flatnonzero(miss.to_numpy())[0]])
            raise InvalidInputError(
                f"indicator '{col}' is missing for zone '{zone}'"
                + (f" ({int(miss.sum())} zones in all)" if miss.sum() > 1 else "")
                + (f" from '{src}'" if src else "")
                + "; fix the data or choose an imputation (median, dimension_mean)",
                file=src, field=col)
        imputed += [(col, str(z)) for z in table.index[miss]]
    if not imputed:
        out.attrs["imputed"] = []
        return out
    if method is Imputation.MEDIAN:
        for col in cols:
            out[col] = table[col].fillna(table[col].median())
    else:
        z = (table[cols] - table[cols].mean()) / table[cols].std(ddof=0).replace(0.0, np.nan)
        dims = {c: catalogue.spec(c).dimension for c in cols}
        for col in cols:
            miss = table[col].isna()
            if not miss.any():
                continue
            peers = [c for c in cols if c != col and dims[c] is dims[col]]
            zbar = z[peers].mean(axis=1) if peers else pd.Series(np.nan, index=table.index)
            mu, sd = table[col].mean(), table[col].std(ddof=0)
            filled = mu + zbar * (sd if sd > 0 else 0.0)
            filled = filled.fillna(table[col].median())
            out.loc[miss, col] = filled[miss]
    out.attrs["imputed"] = imputed
    for col, zone in imputed:
        _log.info("imputed %s for zone %s (%s)", col, zone, method.value)
    return out


# --------------------------------------------------------------------------------------
# Criteria matrix
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CriteriaMatrix:
    """The oriented criteria of one scoring run.

    ``normalised``: zones × criteria, normalised so that higher is always preferred;
    ``raw``: the same criteria as raw values (for TOPSIS, which normalises itself);
    ``criteria``: one row per criterion with columns indicator, side ('need'/'readiness'),
    benefit (True when a higher raw value is preferred), side_share (the share of the total
    weight given to that side), dimension.
    """

    normalised: pd.DataFrame
    raw: pd.DataFrame
    criteria: pd.DataFrame
    mode: ScoringMode
    normalisation: Normalisation

    @property
    def zones(self) -> pd.Index:
        return self.normalised.index

    @property
    def indicators(self) -> list[str]:
        """Distinct indicators used, in criterion order."""
        return list(dict.fromkeys(self.criteria["indicator"]))


def criteria_matrix(
    table: pd.DataFrame,
    catalogue: IndicatorCatalogue,
    *,
    indicators: Sequence[str] | None = None,
    mode: ScoringMode | str = ScoringMode.NEED,
    normalisation: Normalisation | str = Normalisation.MIN_MAX,
    imputation: Imputation | str = Imputation.NONE,
    blend_need_share: float = 0.5,
) -> CriteriaMatrix:
    """Select, impute, orient and normalise the indicators for one scoring mode.

    ``indicators`` defaults to every column of ``table`` found in the catalogue whose role
    fits the mode. Criterion names are the indicator names, suffixed ':need' /
    ':readiness' in BLEND mode. Raises UnknownColumnError for an indicator not in the
    table or the catalogue, InvalidInputError for missing values (see :func:`impute`),
    a bad ``blend_need_share`` (not in [0, 1]) or when no indicator is left.
    """
    mode = parse_enum(ScoringMode, mode, field="mode")
    normalisation = parse_enum(Normalisation, normalisation, field="normalisation")
    imputation = parse_enum(Imputation, imputation, field="imputation")
    if not (0.0 <= float(blend_need_share) <= 1.0) or math.isnan(float(blend_need_share)):
        raise InvalidInputError(f"blend_need_share must be in [0, 1], got {blend_need_share}",
                                field="blend_need_share")
    if indicators is None:
        names = [c for c in table.columns if c in catalogue]
    else:
        names = list(indicators)
        for n in names:
            if n not in table.columns:
                raise UnknownColumnError(f"indicator '{n}' is not in the indicator table "
                                         f"(columns: {', '.join(map(str, table.columns))})", field=n)
    specs = [catalogue.spec(n) for n in names]

    sides: list[tuple[str, float]] = []
    if mode is ScoringMode.NEED:
        sides = [("need", 1.0)]
    elif mode is ScoringMode.READINESS:
        sides = [("readiness", 1.0)]
    else:
        sides = [("need", float(blend_need_share)), ("readiness", 1.0 - float(blend_need_share))]

    rows = []
    for side, share in sides:
        wanted = Role.NEED if side == "need" else Role.READINESS
        for s in specs:
            if s.role is not Role.BOTH and s.role is not wanted:
                continue
            higher_better = s.direction is Direction.HIGHER_IS_BETTER
            benefit = higher_better if side == "readiness" else not higher_better
            crit = s.name if mode is not ScoringMode.BLEND else f"{s.name}:{side}"
            rows.append((crit, s.name, side, benefit, share, s.dimension.value))
    if not rows:
        raise InvalidInputError(f"no indicator fits scoring mode '{mode.value}' "
                                f"(indicators: {', '.join(names) or 'none'})", field="mode")
    criteria = pd.DataFrame(rows, columns=["criterion", "indicator", "side", "benefit", "side_share",
                                           "dimension"]).set_index("criterion")

    used = list(dict.fromkeys(criteria["indicator"]))
    filled = impute(table, catalogue, imputation, used)
    raw = pd.DataFrame({c: filled[ind].to_numpy(dtype=float) for c, ind in criteria["indicator"].items()},
                       index=table.index)
    oriented = raw.to_numpy() * np.where(criteria["benefit"].to_numpy(), 1.0, -1.0)
    normalised = pd.DataFrame(normalise(oriented, normalisation), index=table.index, columns=raw.columns)
    return CriteriaMatrix(normalised=normalised, raw=raw, criteria=criteria, mode=mode,
                          normalisation=normalisation)


# --------------------------------------------------------------------------------------
# Indicators derived from facility layers, status per dimension, the template
# --------------------------------------------------------------------------------------

def facility_indicators(desa, facilities, *, levels: Sequence[str] = ("desa", "kecamatan"),
                        type_column: str = "facility_type") -> dict[str, pd.DataFrame]:
    """Per facility type, what a facility layer supports on its own, per zone level.

    ``desa``: GeoDataFrame of desa polygons in a metric CRS with ``code``,
    ``kecamatan_code`` and ``population``; ``facilities``: points with ``type_column``
    (any CRS; rows flagged ``duplicate`` are ignored). For every type t:

    * ``nearest_<t>_km`` — straight-line distance from each desa's representative point
      to the nearest facility of type t; per kecamatan the population-weighted mean over
      its desa (the plain mean where no desa has a population);
    * ``facilities_per_10k_<t>`` — facilities of type t located in the zone per 10,000
      residents (NaN where the population is unknown or 0); facilities of a neighbouring
      regency read within the facility margin (``margin_facility`` True) count for the
      distance, never here — even where the point lies inside the region.

    Returns {level: DataFrame indexed by zone code}. Nothing is derived for a type without
    facilities; a level other than desa/kecamatan raises InvalidInputError.
    """
    from scipy.spatial import cKDTree

    for lv in levels:
        if lv not in ("desa", "kecamatan"):
            raise InvalidInputError(f"facility indicators are per desa or kecamatan, not '{lv}'", field="level")
    for col in ("code", "kecamatan_code", "population"):
        if col not in desa.columns:
            raise UnknownColumnError(f"desa have no '{col}' column", field=col)
    if type_column not in facilities.columns:
        raise UnknownColumnError(f"facilities have no '{type_column}' column", field=type_column)
    if desa.crs is None or desa.crs.is_geographic:
        raise InvalidInputError("desa must be in a metric CRS (e.g. the region's working CRS)", field="crs")
    fac = facilities
    if "duplicate" in fac.columns:
        fac = fac[~fac["duplicate"].fillna(False).astype(bool)]
    fac = fac[fac.geometry.notna() & ~fac.geometry.is_empty].to_crs(desa.crs)
    d = desa.reset_index(drop=True)
    pts = d.geometry.representative_point()
    dxy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    pop = pd.to_numeric(d["population"], errors="coerce").to_numpy(dtype=float)
    code = d["code"].astype(str).to_numpy()
    kec = d["kecamatan_code"].astype(str).to_numpy()
    # Which desa each facility lies in (for the counts).
    from .._core import locate_points
    from ..data.io import to_geometry_array

    fx, fy = fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy()
    where = locate_points(to_geometry_array(d.geometry), fx, fy) if len(fac) else np.zeros(0, np.int64)
    ftype = fac[type_column].astype(str).to_numpy()
    if "margin_facility" in fac.columns:  # a neighbouring regency's facility: not one of the zone's own
        where = np.where(fac["margin_facility"].fillna(False).to_numpy(dtype=bool), -1, where)
    desa_cols: dict[str, np.ndarray] = {}
    for t in sorted(set(ftype)):
        sel = ftype == t
        dist, _ = cKDTree(np.column_stack([fx[sel], fy[sel]])).query(dxy)
        desa_cols[f"nearest_{t}_km"] = np.asarray(dist, dtype=float) / 1000.0
        desa_cols[f"_count_{t}"] = np.bincount(where[sel & (where >= 0)], minlength=len(d)).astype(float)
    out: dict[str, pd.DataFrame] = {}
    frame = pd.DataFrame(desa_cols, index=pd.Index(code, name="code"))
    frame["_pop"] = pop
    frame["_kec"] = kec

    def per_10k(counts: pd.Series, people: pd.Series) -> pd.Series:
        return (counts / people.where(people > 0) * 1e4).astype(float)

    types = sorted(set(ftype))
    if "desa" in levels:
        o = pd.DataFrame(index=frame.index)
        for t in types:
            o[f"nearest_{t}_km"] = frame[f"nearest_{t}_km"]
            o[f"facilities_per_10k_{t}"] = per_10k(frame[f"_count_{t}"], frame["_pop"])
        out["desa"] = o.sort_index()
    if "kecamatan" in levels:
        rows = {}
        for k, sub in frame.groupby("_kec", sort=True):
            p = sub["_pop"].fillna(0.0)
            r: dict[str, float] = {}
            for t in types:
                v = sub[f"nearest_{t}_km"]
                r[f"nearest_{t}_km"] = float((v * p).sum() / p.sum()) if p.sum() > 0 else float(v.mean())
                people = float(sub["_pop"].sum(min_count=1)) if sub["_pop"].notna().all() else float("nan")
                cnt = float(sub[f"_count_{t}"].sum())
                r[f"facilities_per_10k_{t}"] = cnt / people * 1e4 if people and people > 0 else float("nan")
            rows[str(k)] = r
        out["kecamatan"] = pd.DataFrame.from_dict(rows, orient="index").rename_axis("code").sort_index()
    return out


def indicator_status(table: pd.DataFrame, catalogue: IndicatorCatalogue) -> pd.DataFrame:
    """One row per indicator of ``table`` in the catalogue and per template indicator of
    the catalogue missing from the table: indicator, dimension, direction, role, unit,
    zones_with_data, status ("data" when every zone has a value, "partial", "empty"),
    source (the ``attrs['sources']`` origin, or "template" for what only the region can
    supply)."""
    sources = table.attrs.get("sources", {})
    rows = []
    seen = set()
    for col in table.columns:
        s = catalogue.find(str(col))
        if s is None:
            continue
        n = int(table[col].notna().sum())
        status = "data" if n == len(table) and n > 0 else ("partial" if n > 0 else "empty")
        rows.append((s.name, s.dimension.value, s.direction.value, s.role.value, s.unit, n, status,
                     sources.get(col, "engine")))
        seen.add(s.name)
    for s in catalogue.specs():
        if s.template and not s.is_pattern and s.name not in seen:
            rows.append((s.name, s.dimension.value, s.direction.value, s.role.value, s.unit, 0, "empty",
                         "template"))
    return pd.DataFrame(rows, columns=["indicator", "dimension", "direction", "role", "unit", "zones_with_data",
                                       "status", "source"])


def dimension_status(table: pd.DataFrame, catalogue: IndicatorCatalogue) -> pd.DataFrame:
    """Per dimension (all six, in the catalogue's order): the indicators backed by data,
    those that are empty, and ``status`` "data" or "empty" (no indicator with data)."""
    st = indicator_status(table, catalogue)
    rows = []
    for d in Dimension:
        sub = st[st["dimension"] == d.value]
        backed = sub[sub["status"] != "empty"]["indicator"].tolist()
        empty = sub[sub["status"] == "empty"]["indicator"].tolist()
        rows.append((d.value, len(backed), ", ".join(backed), ", ".join(empty), "data" if backed else "empty"))
    return pd.DataFrame(rows, columns=["dimension", "n_indicators", "indicators", "empty_indicators", "status"])


def indicator_template(zones: pd.DataFrame, catalogue: IndicatorCatalogue, *, level: str = "kecamatan",
                       code_column: str = "code") -> pd.DataFrame:
    """The table a region fills in for what only it knows: one row per zone (``code``,
    ``name`` and, where the zones carry it, ``kode_kemendagri``), one empty column per
    template indicator of the catalogue, preceded by the metadata rows ``#dimension``,
    ``#direction`` and ``#unit`` (skipped by :func:`read_user_table`, so the filled-in
    file is read back as it is)."""
    if code_column not in zones.columns:
        raise UnknownColumnError(f"zones have no '{code_column}' column", field=code_column)
    specs = [s for s in catalogue.specs() if s.template and not s.is_pattern]
    if not specs:
        raise InvalidInputError("the catalogue has no template indicator (template = true)", field="template")
    z = pd.DataFrame(zones.drop(columns="geometry", errors="ignore"))
    z = z.assign(**{code_column: _codes(z[code_column])}).sort_values(code_column, kind="stable")
    head = {"code": z[code_column].to_numpy(), "name": z["name"].to_numpy() if "name" in z.columns else ""}
    if "kode_kemendagri" in z.columns:
        head["kode_kemendagri"] = z["kode_kemendagri"].to_numpy()
    body = pd.DataFrame(head)
    for s in specs:
        body[s.name] = ""
    meta = pd.DataFrame([
        {"code": "#dimension", **{s.name: s.dimension.value for s in specs}},
        {"code": "#direction", **{s.name: s.direction.value for s in specs}},
        {"code": "#unit", **{s.name: s.unit for s in specs}},
    ]).reindex(columns=body.columns, fill_value="")
    out = pd.concat([meta, body], ignore_index=True)
    out.attrs["level"] = level
    return out

"""Zones plus population: a population model together with the zones of one level it is
reported on (desa, kecamatan, dapil, kabupaten of a region, or a column of given zones).

:class:`ZonePopulation` owns the branching between the two population models once:

* ZONES model (counts per source zone): a zone of the level is a group of source zones
  (``key`` column; missing codes form the group ``"unknown"``) and its population is the sum
  of theirs; a polygon holds ``Σ_s P_s · share_s`` (:meth:`Population.zone_shares`);
* RASTER model (counts per cell): the zones of the level are polygons (the region's zones,
  else the source zones, dissolved by ``key`` unless already one row per zone) and their
  population is the raster's, exact partial cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from .. import _core
from ..errors import InvalidInputError, UnknownColumnError
from .crs import metric_crs_for
from .io import to_geometry_array
from .population import Population, PopulationModel, from_zone_counts

__all__ = ["LEVEL_KEYS", "ZonePopulation", "zone_codes"]

#: Column of the desa table that names the zone of each level.
LEVEL_KEYS = {"desa": "code", "kecamatan": "kecamatan_code", "dapil": "dapil", "kabupaten": "kabupaten_code"}


def zone_codes(values) -> np.ndarray:
    """Zone codes as strings; a missing code is ``"unknown"``."""
    raw = pd.Series(values).to_numpy(dtype=object)
    return np.where(pd.isna(raw), "unknown", raw).astype(str)


@dataclass(frozen=True)
class ZonePopulation:
    """A population model and the zones of one level it is reported on. Build it with
    :meth:`resolve`."""

    #: The population model.
    population: Population
    #: The source zones (the region's desa, or the zones given), in their own CRS.
    source: gpd.GeoDataFrame
    #: The region's zones of :attr:`level` (``code``, ``name``), or None for given zones.
    targets: gpd.GeoDataFrame | None
    #: Column of the source zones naming the zone of the level.
    key: str
    #: Metric CRS of the region (buffers, lengths).
    metric: pyproj.CRS
    #: The level, e.g. ``"kecamatan"``.
    level: str
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def resolve(cls, source, population: Population | None = None, level: str = "desa") -> ZonePopulation:
        """``source``: a :class:`~jangkau.data.region.Region` (``level`` one of
        :data:`LEVEL_KEYS`) or a GeoDataFrame of source zones with ``code`` and ``population``
        (``level`` is then a column to group them by, or ``code``). ``population`` overrides
        the zones' counts (default: their counts spread by areal weighting)."""
        from .region import Region

        if isinstance(source, Region):
            desa = source.zones("desa", crs=source.working_crs)
            metric = pyproj.CRS.from_user_input(source.working_crs)
            if level not in LEVEL_KEYS:
                raise InvalidInputError(
                    f"unknown level '{level}' (levels: {', '.join(LEVEL_KEYS)})", field="level"
                )
            targets = source.zones(level, crs=source.working_crs)
            key = LEVEL_KEYS[level]
        else:
            if not isinstance(source, gpd.GeoDataFrame):
                raise InvalidInputError("source must be a Region or a GeoDataFrame of zones")
            desa = source
            metric = metric_crs_for(source)
            key = level if level in source.columns else "code"
            if key not in source.columns:
                raise UnknownColumnError(f"zones have no column '{level}' or 'code'", field=level)
            targets = None
        if population is None:
            if "population" not in desa.columns or desa["population"].isna().all():
                raise InvalidInputError("the zones have no population: give a population table or raster")
            # a region's own model: its desa counts, spread over cells by its population raster if any
            population = source.population_model() if isinstance(source, Region) else from_zone_counts(desa)
        return cls(population=population, source=desa, targets=targets, key=key, metric=metric, level=level)

    @property
    def model(self) -> PopulationModel:
        """The population model's kind."""
        return self.population.model

    def names(self) -> dict:
        """Zone code → name, where names are known (else empty)."""
        if self.targets is not None and "name" in self.targets.columns:
            return dict(zip(self.targets["code"].astype(str), self.targets["name"]))
        if self.key == "code" and "name" in self.source.columns:
            return dict(zip(self.source["code"].astype(str), self.source["name"]))
        return {}

    # ----------------------------------------------------------------- ZONES model
    def groups(self) -> tuple[np.ndarray, np.ndarray]:
        """ZONES model: the zone codes of the level (sorted) and, for every source zone of the
        model, the index of its zone."""
        if "groups" not in self._cache:
            src = self.population.source_zones()
            if self.key not in src.columns:
                raise UnknownColumnError(f"source zones have no column '{self.key}'", field=self.key)
            self._cache["groups"] = np.unique(zone_codes(src[self.key]), return_inverse=True)
        return self._cache["groups"]

    # ----------------------------------------------------------------- RASTER model
    def target_zones(self) -> tuple[gpd.GeoDataFrame, np.ndarray]:
        """The zones of the level as polygons (in their own CRS) and their codes: the region's
        zones; else the source zones when already one row per zone (sorted by code), else
        the source zones dissolved by :attr:`key`."""
        if "targets" not in self._cache:
            if self.targets is not None:
                tz = self.targets
                codes = tz["code"].astype(str).to_numpy()
            else:
                d, key = self.source, self.key
                if d[key].notna().all() and d[key].is_unique:  # already one row per zone
                    tz = d.sort_values(key, kind="stable").reset_index(drop=True)
                else:
                    tz = d.dissolve(by=key, as_index=False)
                codes = tz[key].astype(str).to_numpy()
            self._cache["targets"] = (tz, codes)
        return self._cache["targets"]

    def target_geometry(self) -> _core.GeometryArray:
        """:meth:`target_zones` in the model's CRS, as an engine geometry array."""
        if "target_ga" not in self._cache:
            tz, _ = self.target_zones()
            self._cache["target_ga"] = to_geometry_array(self.population.to_crs_of_model(tz).geometry)
        return self._cache["target_ga"]

    # ----------------------------------------------------------------- both models
    def zone_population(self) -> tuple[np.ndarray, np.ndarray]:
        """The zone codes of the level and the population of each zone."""
        if "population" not in self._cache:
            if self.model is PopulationModel.RASTER:
                _, codes = self.target_zones()
                pop = self.population.population_in(self.target_geometry())
            else:
                codes, group_of = self.groups()
                pop_s = self.population.source_zones()["population"].to_numpy(dtype=np.float64)
                pop = np.bincount(group_of, weights=pop_s, minlength=len(codes))
            self._cache["population"] = (codes, pop)
        return self._cache["population"]

    def covered(self, cover: _core.GeometryArray, threads: int = 0) -> np.ndarray:
        """Population of each zone of the level (order of :meth:`zone_population`) inside
        ``cover`` (one polygon in the model's CRS)."""
        if self.model is PopulationModel.RASTER:
            return np.asarray(
                self.population.population_in(_core.intersect_zones(self.target_geometry(), cover, threads)),
                dtype=np.float64)
        share = self.population.source_shares(_core.intersect_zones(self.population.source_geometry(), cover,
                                                                     threads))
        return self.from_source_shares(share)

    def from_source_shares(self, share: np.ndarray) -> np.ndarray:
        """ZONES model: the population of each zone of the level given the share of every
        source zone's population (capped at 1)."""
        codes, group_of = self.groups()
        pop_s = self.population.source_zones()["population"].to_numpy(dtype=np.float64)
        return np.bincount(group_of, weights=pop_s * np.minimum(share, 1.0), minlength=len(codes))

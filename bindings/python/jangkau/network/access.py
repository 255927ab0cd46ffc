"""Spatial accessibility indices: 2SFCA, enhanced 2SFCA, Gaussian 2SFCA and gravity.

Every function works on a sparse cost table between demand locations ``i`` (e.g. desa,
population cells) and supply locations ``j`` (facilities), given as three aligned arrays
``demand`` (index into ``population``), ``supply`` (index into ``capacity``) and ``cost``.
Pairs missing from the table (or with cost ``inf``) are unreachable. The cost unit is
yours (minutes, seconds, metres): every threshold is in the same unit. The E2SFCA default
zones (10/20/30) are minutes, as in Luo & Qi (2009) — divide ``time_s`` by 60 first.

With per-pair weights ``W_ij = f(d_ij)`` of a decay function ``f``::

    R_j = S_j / sum_i P_i W_ij        (supply-to-demand ratio)
    A_i = sum_j R_j W_ij              (accessibility, e.g. doctors per resident)

Supply is conserved: ``sum_i P_i A_i`` equals the total capacity of the facilities whose
catchment holds any demand. Formulas, conventions and citations: ``docs/access.md``.

A cost table usually comes from :meth:`jangkau.network.Network.travel_time_matrix` with the
facilities as sources and the demand locations as targets::

    tt = net.travel_time_matrix(fac_nodes, dem_nodes, cutoff=1800)
    res = two_sfca(tt.target, tt.source, tt.cost / 60, population, capacity, max_cost=30)

or, in one engine call without the table (same numbers, bit for bit), :func:`on_network`::

    res = on_network(net, fac_nodes, dem_nodes, population, capacity,
                     {"2sfca": Catchment.two_sfca(30), "e2sfca": Catchment.e2sfca()},
                     cutoff=1800, cost_divisor=60)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from ..errors import InvalidInputError

__all__ = ["Decay", "AccessResult", "Catchment", "two_sfca", "e2sfca", "gaussian_2sfca", "gravity",
           "floating_catchment", "on_network"]


class Decay(enum.Enum):
    """Distance decay of the pair weights ``W = f(d)`` (threshold ``d0`` inclusive)."""

    STEP = "step"
    """``1`` if ``d <= d0`` else ``0`` (2SFCA)."""
    ZONES = "zones"
    """Piecewise constant over zones ``(b[k-1], b[k]]`` (E2SFCA)."""
    GAUSSIAN = "gaussian"
    """Dai (2010): ``(exp(-(d/d0)^2/2) - exp(-1/2)) / (1 - exp(-1/2))`` for ``d <= d0``."""
    POWER = "power"
    """``max(d, d_min)^-beta`` (gravity)."""
    EXPONENTIAL = "exponential"
    """``exp(-beta d)`` (gravity)."""

    @property
    def _engine(self) -> Any:
        return {
            Decay.STEP: _core.Decay.Step,
            Decay.ZONES: _core.Decay.Zones,
            Decay.GAUSSIAN: _core.Decay.Gaussian,
            Decay.POWER: _core.Decay.Power,
            Decay.EXPONENTIAL: _core.Decay.Exponential,
        }[self]


@dataclass(frozen=True)
class AccessResult:
    """Result of an accessibility computation (arrays are float64)."""

    access: np.ndarray
    """A_i per demand location (supply per person); 0 where no facility is in reach."""
    ratio: np.ndarray
    """R_j per facility (supply per weighted person in its catchment; 0 when the catchment
    holds no demand). For the Hansen potential: the capacity S_j."""
    catchment_demand: np.ndarray
    """Weighted demand ``sum_i P_i W_ij`` in each facility's catchment (persons)."""
    population: np.ndarray
    """P_i as given."""
    capacity: np.ndarray
    """S_j as given."""

    @property
    def demand(self) -> pd.DataFrame:
        """One row per demand location (index ``demand``): ``population``, ``access``."""
        return pd.DataFrame({"population": self.population, "access": self.access},
                            index=pd.RangeIndex(len(self.access), name="demand"))

    @property
    def supply(self) -> pd.DataFrame:
        """One row per facility (index ``supply``): ``capacity``, ``catchment_demand``, ``ratio``."""
        return pd.DataFrame({"capacity": self.capacity, "catchment_demand": self.catchment_demand,
                             "ratio": self.ratio}, index=pd.RangeIndex(len(self.ratio), name="supply"))


def _array(values: Any, name: str, dtype: Any) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional", field=name)
    if dtype is np.int64 and a.size and not np.issubdtype(a.dtype, np.integer):
        if not np.issubdtype(a.dtype, np.floating) or not np.all(np.equal(np.mod(a, 1), 0)):
            raise InvalidInputError(f"{name} must hold integer indices", field=name)
    return np.ascontiguousarray(a, dtype=dtype)


def _run(demand: Any, supply: Any, cost: Any, population: Any, capacity: Any, decay: Decay, *,
         max_cost: float = np.inf, breaks: Sequence[float] = (10.0, 20.0, 30.0),
         weights: Sequence[float] = (1.0, 0.68, 0.22), beta: float = 1.0, min_cost: float = 1.0,
         hansen: bool = False) -> AccessResult:
    if not isinstance(decay, Decay):
        raise InvalidInputError(f"decay must be a jangkau.network.access.Decay, got {decay!r}", field="decay")
    p = _array(population, "population", np.float64)
    s = _array(capacity, "capacity", np.float64)
    a, r, v = _core.access_index(
        _array(demand, "demand", np.int64), _array(supply, "supply", np.int64),
        _array(cost, "cost", np.float64),
        p, s, decay._engine, float(max_cost), [float(b) for b in breaks], [float(w) for w in weights],
        float(beta), float(min_cost), bool(hansen))
    return AccessResult(access=a, ratio=r, catchment_demand=v, population=p, capacity=s)


def two_sfca(demand: Any, supply: Any, cost: Any, population: Any, capacity: Any, *,
             max_cost: float) -> AccessResult:
    """Two-step floating catchment area (Luo & Wang 2003).

    ``R_j = S_j / sum_{d_ij <= d0} P_i`` and ``A_i = sum_{d_ij <= d0} R_j``.

    Parameters
    ----------
    demand, supply : array-like of int
        Cost-table columns: index of the demand location (into ``population``) and of the
        facility (into ``capacity``).
    cost : array-like of float
        Cost of each pair (any unit, ``>= 0``; ``inf`` = unreachable).
    population : array-like of float
        P_i per demand location (persons, ``>= 0``).
    capacity : array-like of float
        S_j per facility (e.g. doctors, beds, ``>= 0``).
    max_cost : float
        Catchment threshold d0, inclusive, in the cost unit.

    Returns
    -------
    AccessResult
        ``access`` (A_i), ``ratio`` (R_j), ``catchment_demand``, and DataFrames ``demand`` /
        ``supply``.

    Raises
    ------
    InvalidInputError
        An index out of range, a NaN or negative cost, a NaN/inf/negative population or
        capacity (``feature`` = entry index, ``field`` = column), or ``max_cost`` not a
        finite number > 0.
    """
    return _run(demand, supply, cost, population, capacity, Decay.STEP, max_cost=max_cost)


def e2sfca(demand: Any, supply: Any, cost: Any, population: Any, capacity: Any, *,
           breaks: Sequence[float] = (10.0, 20.0, 30.0),
           weights: Sequence[float] = (1.0, 0.68, 0.22)) -> AccessResult:
    """Enhanced 2SFCA (Luo & Qi 2009) with step-wise distance weights.

    Zones are ``[0, b0], (b0, b1], (b1, b2]`` with weights ``w0, w1, w2``; beyond the last
    break the weight is 0. ``R_j = S_j / sum_i P_i W_ij``, ``A_i = sum_j R_j W_ij``.

    Parameters
    ----------
    demand, supply, cost, population, capacity
        As in :func:`two_sfca`.
    breaks : sequence of float
        Strictly increasing upper bounds of the zones (inclusive), in the cost unit.
        Default ``(10, 20, 30)`` minutes.
    weights : sequence of float
        Weight of each zone in ``[0, 1]``; default ``(1.00, 0.68, 0.22)`` (Luo & Qi 2009).
    """
    return _run(demand, supply, cost, population, capacity, Decay.ZONES, breaks=breaks, weights=weights)


def gaussian_2sfca(demand: Any, supply: Any, cost: Any, population: Any, capacity: Any, *,
                   max_cost: float) -> AccessResult:
    """2SFCA with Dai's (2010) Gaussian decay inside the catchment ``d <= d0 = max_cost``.

    ``W = (exp(-(d/d0)^2 / 2) - exp(-1/2)) / (1 - exp(-1/2))``: 1 at the facility, 0 at d0.
    Other parameters as in :func:`two_sfca`.
    """
    return _run(demand, supply, cost, population, capacity, Decay.GAUSSIAN, max_cost=max_cost)


def gravity(demand: Any, supply: Any, cost: Any, population: Any, capacity: Any, *,
            decay: Decay = Decay.POWER, beta: float = 1.0, min_cost: float = 1.0,
            max_cost: float = np.inf, competition: bool = False) -> AccessResult:
    """Gravity accessibility.

    ``competition=False`` (default): Hansen's (1959) potential ``A_i = sum_j S_j f(d_ij)``.
    ``competition=True``: with demand competition (Joseph & Bantock 1982; Shen 1998),
    ``A_i = sum_j S_j f(d_ij) / sum_k P_k f(d_kj)``.

    Parameters
    ----------
    decay : Decay
        ``Decay.POWER``: ``f(d) = max(d, min_cost)^-beta``; ``Decay.EXPONENTIAL``:
        ``f(d) = exp(-beta d)`` (beta in 1/cost unit).
    beta : float
        Decay parameter, > 0.
    min_cost : float
        Power decay only: costs below it are raised to it (keeps ``f`` finite at 0), > 0.
    max_cost : float
        Optional inclusive cutoff; pairs beyond it get weight 0. Default none.
    competition : bool
        See above.
    """
    if decay not in (Decay.POWER, Decay.EXPONENTIAL):
        raise InvalidInputError("gravity needs Decay.POWER or Decay.EXPONENTIAL", field="decay")
    return _run(demand, supply, cost, population, capacity, decay, max_cost=max_cost, beta=beta,
                min_cost=min_cost, hansen=not competition)


def floating_catchment(demand: Any, supply: Any, cost: Any, population: Any, capacity: Any, *,
                       decay: Decay, max_cost: float = np.inf, breaks: Sequence[float] = (10.0, 20.0, 30.0),
                       weights: Sequence[float] = (1.0, 0.68, 0.22), beta: float = 1.0,
                       min_cost: float = 1.0) -> AccessResult:
    """Generic two-step floating catchment with any :class:`Decay` (the functions above are
    special cases). Parameters as in :func:`two_sfca`, :func:`e2sfca` and :func:`gravity`."""
    return _run(demand, supply, cost, population, capacity, decay, max_cost=max_cost, breaks=breaks,
                weights=weights, beta=beta, min_cost=min_cost)


@dataclass(frozen=True)
class Catchment:
    """One floating-catchment index for :func:`on_network`: a decay with its parameters (as
    in :func:`floating_catchment`) and whether it is the Hansen potential (no demand step).
    Build it with the class methods."""

    decay: Decay = Decay.STEP
    max_cost: float = np.inf
    breaks: tuple[float, ...] = (10.0, 20.0, 30.0)
    weights: tuple[float, ...] = (1.0, 0.68, 0.22)
    beta: float = 1.0
    min_cost: float = 1.0
    hansen: bool = False

    @classmethod
    def two_sfca(cls, max_cost: float) -> Catchment:
        """As :func:`two_sfca`."""
        return cls(Decay.STEP, max_cost=float(max_cost))

    @classmethod
    def e2sfca(cls, breaks: Sequence[float] = (10.0, 20.0, 30.0),
               weights: Sequence[float] = (1.0, 0.68, 0.22)) -> Catchment:
        """As :func:`e2sfca`."""
        return cls(Decay.ZONES, breaks=tuple(float(b) for b in breaks), weights=tuple(float(w) for w in weights))

    @classmethod
    def gaussian_2sfca(cls, max_cost: float) -> Catchment:
        """As :func:`gaussian_2sfca`."""
        return cls(Decay.GAUSSIAN, max_cost=float(max_cost))

    @classmethod
    def gravity(cls, *, decay: Decay = Decay.POWER, beta: float = 1.0, min_cost: float = 1.0,
                max_cost: float = np.inf, competition: bool = False) -> Catchment:
        """As :func:`gravity`."""
        if decay not in (Decay.POWER, Decay.EXPONENTIAL):
            raise InvalidInputError("gravity needs Decay.POWER or Decay.EXPONENTIAL", field="decay")
        return cls(decay, max_cost=float(max_cost), beta=float(beta), min_cost=float(min_cost), hansen=not competition)

    def spec(self) -> _core.CatchmentSpec:
        """The engine's form of this catchment (:class:`jangkau._core.CatchmentSpec`), as
        :func:`jangkau._core.network_access_many` takes it; InvalidInputError for a bad decay."""
        if not isinstance(self.decay, Decay):
            raise InvalidInputError(f"decay must be a jangkau.network.access.Decay, got {self.decay!r}", field="decay")
        return _core.CatchmentSpec(decay=self.decay._engine, max_cost=float(self.max_cost),
                                   zone_breaks=[float(b) for b in self.breaks], zone_weights=[float(w) for w in self.weights],
                                   beta=float(self.beta), min_cost=float(self.min_cost), hansen=bool(self.hansen))


def on_network(network: Any, supply_nodes: Any, demand_nodes: Any, population: Any, capacity: Any,
               indices: Mapping[str, Catchment], *, cutoff: float, cost_divisor: float = 1.0,
               weight: str | None = None, supply_offsets: Any = None, supply_groups: Any = None,
               demand_offsets: Any = None, demand_groups: Any = None, threads: int = 0,
               progress: Any = None) -> dict[str, AccessResult]:
    """Floating-catchment indices straight from a :class:`jangkau.network.Network`, in one
    engine call and without building the cost table.

    Facility ``j`` starts at ``supply_nodes`` (with ``supply_groups`` several seeds form one
    facility; ``supply_offsets`` add a start cost), demand location ``i`` at ``demand_nodes``
    (likewise). The pair cost is the shortest path from the facility to the demand location
    (along the edges' direction) within ``cutoff`` (inclusive, weight unit), divided by
    ``cost_divisor`` before the decay (60 turns seconds into minutes). One bounded search
    per facility (both cores) serves every index in ``indices``; each result equals
    :func:`floating_catchment` (or :func:`gravity`) on the table
    :meth:`Network.travel_time_matrix` would give, to the last bit (same summation order).

    Returns ``{name: AccessResult}`` in the order of ``indices``.
    """
    from .graph import Network

    if not isinstance(network, Network):
        raise InvalidInputError("network must be a jangkau.network.Network", field="network")
    if not indices:
        raise InvalidInputError("give at least one index", field="indices")
    specs = []
    for name, c in indices.items():
        if not isinstance(c, Catchment):
            raise InvalidInputError(f"index {name!r} must be a jangkau.network.access.Catchment", field="indices")
        specs.append(c.spec())
    p = _array(population, "population", np.float64)
    s = _array(capacity, "capacity", np.float64)
    sn = _array(supply_nodes, "supply_nodes", np.int64)
    dn = _array(demand_nodes, "demand_nodes", np.int64)

    def opt(values: Any, name: str, dtype: Any) -> np.ndarray:
        return np.empty(0, dtype) if values is None else _array(values, name, dtype)

    if not (cutoff >= 0):
        raise InvalidInputError("cutoff must be >= 0", field="cutoff")
    out = _core.network_access_many(
        network.core, sn, opt(supply_offsets, "supply_offsets", np.float64), opt(supply_groups, "supply_groups", np.int64),
        dn, opt(demand_offsets, "demand_offsets", np.float64), opt(demand_groups, "demand_groups", np.int64),
        np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), p, s, network.weight_index(weight),
        float(cutoff), float(cost_divisor), specs, int(threads), progress)
    return {name: AccessResult(access=a, ratio=r, catchment_demand=v, population=p, capacity=s)
            for name, (a, r, v) in zip(indices, out)}

"""Road networks as directed graphs, and shortest-path searches on them.

A :class:`Network` wraps the engine's CSR graph (``jangkau._core.Graph``): nodes are
``0 .. node_count - 1``, edges are directed, and each edge carries one or more named
weight sets, e.g. ``time_s`` (seconds) and ``length_m`` (metres). Every search picks one
weight set; its costs come back in that weight's unit.

Conventions (see ``docs/access.md``):

* the ``cutoff`` is inclusive: a node whose cost equals the cutoff is reached;
* unreachable (or beyond the cutoff) is ``inf`` in dense results and absent from sparse
  ones; it is never an error;
* a location that is not on a node (a facility on an edge, a house off the road) is given
  as several *seeds* sharing one group id: ``(node, offset)`` pairs, where ``offset`` is the
  cost from the location to that node. For a point at fraction ``t`` along a two-way edge
  ``u -> v`` with traversal cost ``c`` and an off-road leg ``a``: ``(u, a + t*c)`` and
  ``(v, a + (1 - t)*c)``. ``jangkau`` snapping produces such rows.

Searches release the GIL; many-source searches run on all cores with deterministic output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from ..errors import InvalidInputError
from ..util import check_matrix

__all__ = ["Network"]

ProgressCallback = Callable[[str, int, int], Any]


def _int64(values: Any, name: str) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional", field=name)
    if a.size and not np.issubdtype(a.dtype, np.integer):
        if not np.issubdtype(a.dtype, np.floating) or not np.all(np.equal(np.mod(a, 1), 0)):
            raise InvalidInputError(f"{name} must hold integer node ids", field=name)
    return np.ascontiguousarray(a, dtype=np.int64)


def _float64(values: Any, name: str) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional", field=name)
    return np.ascontiguousarray(a)


def _optional(values: Any, name: str, kind: str) -> np.ndarray | None:
    if values is None:
        return None
    return _int64(values, name) if kind == "int" else _float64(values, name)


class Network:
    """A directed road graph with named weight sets.

    Build it with :meth:`from_edges`. The object is immutable; :meth:`largest_component` and
    :meth:`reversed` return new networks.
    """

    __slots__ = ("_graph", "_weight_names")

    def __init__(self, graph: _core.Graph, weight_names: tuple[str, ...]) -> None:
        if graph.weight_count != len(weight_names):
            raise InvalidInputError("one name per weight set is required", field="weights")
        self._graph = graph
        self._weight_names = tuple(weight_names)

    @classmethod
    def from_edges(
        cls,
        from_node: Any,
        to_node: Any,
        *,
        node_count: int | None = None,
        **weights: Any,
    ) -> Network:
        """Build a network from a directed edge list.

        Parameters
        ----------
        from_node, to_node : array-like of int
            Tail and head node of each edge (0-based). A two-way road is two edges.
        node_count : int, optional
            Number of nodes; default ``max(from_node, to_node) + 1``.
        **weights : array-like of float
            One or more weight sets, each with one finite value ``>= 0`` per edge, named with
            their unit, e.g. ``time_s=..., length_m=...``. The first one is the default weight
            of every search.

        Raises
        ------
        InvalidInputError
            A node id outside ``[0, node_count)``, a NaN/inf/negative weight (``feature`` is
            the edge index, ``field`` is ``from``/``to``/``weight[k]``), arrays of different
            lengths, or no weight set.
        """
        if not weights:
            raise InvalidInputError("at least one weight set is required, e.g. time_s=...", field="weights")
        f = _int64(from_node, "from_node")
        t = _int64(to_node, "to_node")
        if node_count is None:
            node_count = int(max(f.max(initial=-1), t.max(initial=-1))) + 1
        if node_count < 0:
            raise InvalidInputError("node_count must be >= 0", field="node_count")
        names = tuple(weights)
        arrays = [_float64(weights[n], n) for n in names]
        return cls(_core.Graph.from_edges(int(node_count), f, t, arrays), names)

    # ------------------------------------------------------------------ properties
    @property
    def core(self) -> _core.Graph:
        """The engine graph (``jangkau._core.Graph``) behind this network, for engine calls."""
        return self._graph

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return self._graph.node_count

    @property
    def edge_count(self) -> int:
        """Number of directed edges."""
        return self._graph.edge_count

    @property
    def weight_names(self) -> tuple[str, ...]:
        """Names of the weight sets, in the order given to :meth:`from_edges`."""
        return self._weight_names

    @property
    def offsets(self) -> np.ndarray:
        """CSR row offsets (int64, ``node_count + 1``): out-edges of ``u`` are ``offsets[u]:offsets[u+1]``."""
        return self._graph.offsets

    @property
    def targets(self) -> np.ndarray:
        """Head node of each CSR edge (int32, read-only view)."""
        return self._graph.targets

    @property
    def edge_ids(self) -> np.ndarray:
        """Index in the original edge list of each CSR edge (int64, read-only view)."""
        return self._graph.edge_ids

    def weights(self, weight: str | None = None) -> np.ndarray:
        """Weights of one weight set per CSR edge (float64, read-only view)."""
        return self._graph.weights(self.weight_index(weight))

    def __repr__(self) -> str:
        return (f"Network(node_count={self.node_count}, edge_count={self.edge_count}, "
                f"weights={list(self._weight_names)})")

    def weight_index(self, weight: str | None) -> int:
        """Position of a weight set by name (``None`` → 0, the default); InvalidInputError naming the
        known sets for an unknown name."""
        if weight is None:
            return 0
        try:
            return self._weight_names.index(weight)
        except ValueError:
            raise InvalidInputError(
                f"unknown weight {weight!r}; this network has {list(self._weight_names)}", field="weight"
            ) from None

    # ------------------------------------------------------------------ structure
    def components(self) -> np.ndarray:
        """Weakly connected component of every node (int64): 0 is the largest, then by size
        (ties by smallest node id)."""
        return _core.weak_components(self._graph)

    def largest_component(self) -> tuple[Network, np.ndarray]:
        """The subnetwork induced by the largest weakly connected component.

        Returns ``(network, parent_node)`` where ``parent_node[k]`` is the node of this
        network that became node ``k``; the subnetwork's :attr:`edge_ids` still index the
        original edge list.
        """
        g, parent = _core.largest_component(self._graph)
        return Network(g, self._weight_names), parent

    def subnetwork(self, keep: Any) -> tuple[Network, np.ndarray]:
        """The subnetwork induced by the nodes where ``keep`` is true (boolean mask of length
        :attr:`node_count`). Returns ``(network, parent_node)`` as :meth:`largest_component`."""
        mask = np.ascontiguousarray(np.asarray(keep, dtype=bool).astype(np.uint8))
        g, parent = _core.induced_subgraph(self._graph, mask)
        return Network(g, self._weight_names), parent

    def reversed(self) -> Network:
        """The network with every edge reversed (for costs *to* a node instead of *from*)."""
        return Network(self._graph.reversed(), self._weight_names)

    # ------------------------------------------------------------------ searches
    def shortest_paths(
        self,
        sources: Any,
        *,
        weight: str | None = None,
        cutoff: float = np.inf,
        threads: int = 0,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Costs from each source node to every node (one Dijkstra search per source).

        Parameters
        ----------
        sources : int or array-like of int
            Source node(s).
        weight : str, optional
            Weight set (default: the first one). Costs are in its unit.
        cutoff : float
            Largest cost still reached (inclusive), in the weight's unit. Default no limit.
        threads : int
            Worker threads over sources (0 = all cores).
        progress : callable, optional
            ``progress(stage, done, total)``; Ctrl-C cancels (``CancelledError``).

        Returns
        -------
        numpy.ndarray of float64
            Shape ``(node_count,)`` for a scalar source, else ``(len(sources), node_count)``;
            ``inf`` where unreachable or beyond the cutoff.
        """
        scalar = np.ndim(sources) == 0
        s = _int64(sources, "sources")
        out = _core.shortest_path_costs(self._graph, s, self.weight_index(weight), float(cutoff),
                                        int(threads), progress)
        return out[0] if scalar else out

    def nearest(
        self,
        sources: Any,
        *,
        offsets: Any = None,
        groups: Any = None,
        weight: str | None = None,
        cutoff: float = np.inf,
    ) -> pd.DataFrame:
        """Nearest facility of every node, from ONE multi-source search.

        Parameters
        ----------
        sources : array-like of int
            Seed nodes of the facilities.
        offsets : array-like of float, optional
            Initial cost of each seed (e.g. the off-road leg), ``>= 0``, in the weight's unit.
        groups : array-like of int, optional
            Facility id of each seed (several seeds may share one, e.g. both ends of the
            edge a facility sits on). Default: seed ``k`` is facility ``k``.
        weight, cutoff
            As in :meth:`shortest_paths`.

        Returns
        -------
        pandas.DataFrame
            One row per node (index ``node``) with ``cost`` (float64, weight's unit, ``inf``
            if no facility within the cutoff) and ``facility`` (int64, ``-1`` if none). Ties
            go to the lowest facility id.
        """
        s = _int64(sources, "sources")
        cost, facility = _core.nearest_facility(
            self._graph, s, _optional(offsets, "offsets", "float"), _optional(groups, "groups", "int"),
            self.weight_index(weight), float(cutoff))
        index = pd.RangeIndex(self.node_count, name="node")
        return pd.DataFrame({"cost": cost, "facility": facility}, index=index, copy=False)

    def travel_time_matrix(
        self,
        sources: Any,
        targets: Any = None,
        *,
        source_offsets: Any = None,
        source_groups: Any = None,
        target_offsets: Any = None,
        target_groups: Any = None,
        weight: str | None = None,
        cutoff: float = np.inf,
        threads: int = 0,
        progress: ProgressCallback | None = None,
    ) -> pd.DataFrame:
        """Sparse cost matrix from source locations to target locations within a cutoff.

        Each source group is one multi-seed search; searches run in parallel and the output
        does not depend on the thread count. The cost of a (source, target) pair is
        ``min(source offset + path cost + target offset)`` over their seeds.

        Parameters
        ----------
        sources : array-like of int
            Seed nodes of the sources (facilities, or origins).
        targets : array-like of int, optional
            Seed nodes of the targets. ``None``: every reached node is a target and
            ``target`` in the result is its node id.
        source_offsets, target_offsets : array-like of float, optional
            Cost between the location and the seed node (``>= 0``), e.g. the snap leg.
        source_groups, target_groups : array-like of int, optional
            Location id of each seed (default: one location per seed).
        weight : str, optional
            Weight set; the name says the unit (e.g. ``time_s`` gives seconds).
        cutoff : float
            Largest cost kept (inclusive), in the weight's unit.
        threads, progress
            As in :meth:`shortest_paths`.

        Returns
        -------
        pandas.DataFrame
            Columns ``source`` (int64), ``target`` (int64), ``cost`` (float64), sorted by
            source then target; pairs beyond the cutoff or unreachable are absent.
        """
        s = _int64(sources, "sources")
        t = None if targets is None else _int64(targets, "targets")

        def locations(seeds, groups, what):
            g = _optional(groups, what, "int")
            return len(np.unique(g)) if g is not None else len(seeds)

        check_matrix("the cost matrix", locations(s, source_groups, "source_groups"),
                     self.node_count if t is None else locations(t, target_groups, "target_groups"))
        src, tgt, cost = _core.cost_matrix(
            self._graph,
            s,
            _optional(source_offsets, "source_offsets", "float"),
            _optional(source_groups, "source_groups", "int"),
            t,
            _optional(target_offsets, "target_offsets", "float"),
            _optional(target_groups, "target_groups", "int"),
            self.weight_index(weight),
            float(cutoff),
            int(threads),
            progress,
        )
        return pd.DataFrame({"source": src, "target": tgt, "cost": cost}, copy=False)

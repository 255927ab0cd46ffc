"""Contiguous groups of zones over a zone adjacency graph: connected components and balanced
region growing. Shared by the dapil proposer (:mod:`jangkau.selection.dapil`, kecamatan by
code) and the synthetic generator (:mod:`jangkau.synthetic.generator`, desa and kecamatan by
index).

A graph is given by its ``neighbours``: either a mapping node → iterable of nodes (nodes
missing from it have no neighbours) or a sequence indexed by integer nodes. Nodes are any
sortable, hashable values (codes, indices); every result is deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = ["components", "grow_regions", "is_connected"]

Neighbours = Mapping[Any, Iterable[Any]] | Sequence[Iterable[Any]]


def _adjacent(neighbours: Neighbours, v) -> Iterable[Any]:
    return neighbours.get(v, ()) if isinstance(neighbours, Mapping) else neighbours[v]


def components(nodes: Iterable[Any], neighbours: Neighbours) -> list[list[Any]]:
    """Connected components of the subgraph induced by ``nodes``: each component sorted, the
    components in the order of their smallest node."""
    left = set(nodes)
    out = []
    for start in sorted(left):
        if start not in left:
            continue
        comp, stack = [], [start]
        left.discard(start)
        while stack:
            v = stack.pop()
            comp.append(v)
            for w in _adjacent(neighbours, v):
                if w in left:
                    left.discard(w)
                    stack.append(w)
        out.append(sorted(comp))
    return out


def is_connected(nodes: Iterable[Any], neighbours: Neighbours) -> bool:
    """True if the subgraph induced by ``nodes`` is connected (False for no nodes)."""
    rest = set(nodes)
    if not rest:
        return False
    start = min(rest)
    seen = {start}
    stack = [start]
    while stack:
        v = stack.pop()
        for w in _adjacent(neighbours, v):
            if w in rest and w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) == len(rest)


def grow_regions(neighbours: Neighbours, weight, start: Mapping[Any, Any],
                 choose: Callable[[Any, list[Any]], Any], *, closed: Iterable[Any] = ()) -> dict[Any, Any]:
    """Balanced contiguous regions grown over a graph from a start assignment.

    ``start`` maps node → region (seeds, or whole confirmed groups); ``weight[node]`` is a
    node's weight (e.g. population). Repeatedly the lightest region (ties: the smallest
    region label) that can still grow and is not in ``closed`` takes one of the unassigned
    nodes adjacent to it: ``choose(region, candidates)`` picks it from the sorted candidates.
    A region with no unassigned neighbour left is done. Every region stays connected if its
    start nodes are. Region weights add up in assignment order (start order first).

    Returns node → region for the start nodes and every node reached; nodes that no open
    region can reach (a disconnected graph, or boxed in by closed regions) are missing.
    """
    label = dict(start)
    size: dict[Any, float] = {}
    members: dict[Any, list[Any]] = {}
    for v, r in label.items():
        size[r] = size.get(r, 0.0) + float(weight[v])
        members.setdefault(r, []).append(v)
    shut = set(closed)
    frontier: dict[Any, set[Any]] = {}
    heap: list[tuple[float, Any]] = []
    for r, vs in members.items():
        if r in shut:
            continue
        frontier[r] = {w for v in vs for w in _adjacent(neighbours, v) if w not in label}
        heap.append((size[r], r))
    heapq.heapify(heap)
    while heap:
        _, r = heapq.heappop(heap)
        cand = sorted(v for v in frontier[r] if v not in label)
        frontier[r] = set(cand)
        if not cand:
            continue  # boxed in: other regions took everything around it
        v = choose(r, cand)
        label[v] = r
        size[r] += float(weight[v])
        frontier[r].discard(v)
        frontier[r].update(w for w in _adjacent(neighbours, v) if w not in label)
        heapq.heappush(heap, (size[r], r))
    return label

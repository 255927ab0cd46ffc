"""Small algorithms the synthetic-region builder uses (pure Python/numpy, so the package needs
no SciPy at run time): well-spread seed points, balanced contiguous region growing and
rebalancing, bounded seat allocation, a Kruskal spanning forest, a heapq Dijkstra with
predecessor edges, and invented place names. Why they are not the engine's: see
:mod:`jangkau.synthetic.generator`.
"""

from __future__ import annotations

import heapq

import numpy as np
import shapely

from ..data.contiguity import grow_regions, is_connected
from ..errors import InvalidInputError
from ..util import apportion, largest_remainder


def farthest_points(xy: np.ndarray, k: int, rng) -> list[int]:
    """k well-spread indices: a random first one, then repeatedly the point farthest from all
    chosen ones (ties to the lowest index)."""
    first = int(rng.integers(len(xy)))
    chosen = [first]
    dmin = np.hypot(xy[:, 0] - xy[first, 0], xy[:, 1] - xy[first, 1])
    for _ in range(k - 1):
        nxt = int(np.argmax(dmin))
        chosen.append(nxt)
        dmin = np.minimum(dmin, np.hypot(xy[:, 0] - xy[nxt, 0], xy[:, 1] - xy[nxt, 1]))
    return chosen


def grow_seeded_regions(neighbours: list[list[int]], weight: np.ndarray, xy: np.ndarray,
                  seeds: list[int]) -> np.ndarray:
    """Contiguous regions grown from ``seeds`` over a connected graph
    (:func:`jangkau.data.contiguity.grow_regions`).

    Repeatedly the lightest region that can still grow takes the unassigned neighbour nearest
    to its seed, so every region stays connected and their weights stay balanced.
    """

    def nearest_to_seed(r: int, cand: list[int]) -> int:
        sx, sy = xy[seeds[r]]
        return min(cand, key=lambda c: ((xy[c, 0] - sx) ** 2 + (xy[c, 1] - sy) ** 2, c))

    grown = grow_regions(neighbours, weight, {s: r for r, s in enumerate(seeds)}, nearest_to_seed)
    if len(grown) < len(neighbours):  # pragma: no cover - the graph is checked to be connected first
        raise InvalidInputError("region growing could not reach every node (graph not connected)")
    label = np.full(len(neighbours), -1, dtype=np.int64)
    label[list(grown)] = list(grown.values())
    return label


def rebalance(label: np.ndarray, neighbours: list[list[int]], weight: np.ndarray, k: int,
               max_moves: int = 10_000) -> np.ndarray:
    """Improve the balance of contiguous regions by moving single boundary nodes.

    A node moves from its region to a lighter neighbouring region when that lowers the sum of
    squared region weights and leaves its old region connected; the best such move is made
    until none is left (ties: lowest node, then lowest region).
    """
    label = label.copy()
    size = np.bincount(label, weights=weight, minlength=k).astype(float)
    members = [set(np.flatnonzero(label == r).tolist()) for r in range(k)]
    for _ in range(max_moves):
        best = None
        for v in range(len(label)):
            a = int(label[v])
            w = float(weight[v])
            for b in sorted({int(label[u]) for u in neighbours[v]} - {a}):
                gain = size[a] ** 2 + size[b] ** 2 - (size[a] - w) ** 2 - (size[b] + w) ** 2
                if (gain > 1e-9 * size.sum() ** 2 and (best is None or gain > best[0])
                        and is_connected(members[a] - {v}, neighbours)):
                    best = (gain, v, a, b)
        if best is None:
            break
        _, v, a, b = best
        label[v] = b
        members[a].discard(v)
        members[b].add(v)
        size[a] -= weight[v]
        size[b] += weight[v]
    return label


def proportional_integers(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` (Hamilton's method;
    ties go to the lower index)."""
    return apportion(weights, total)


def allocate_seats(population: np.ndarray, seats: int, lo: int, hi: int) -> np.ndarray:
    """Seats per dapil proportional to population within [lo, hi] (bounded Hamilton method).

    The quota of dapil i is clamp(lambda * p_i, lo, hi), with lambda found by bisection so
    the quotas add up to ``seats``; every dapil gets the floor of its quota and the remaining
    seats go to the largest fractional parts (ties: lower index). With no bound active this is
    the plain largest-remainder method; more people never means fewer seats.
    """
    p = np.maximum(np.asarray(population, dtype=float), 1e-12)
    k = len(p)
    if not k * lo <= seats <= k * hi:
        raise InvalidInputError(f"cannot allocate {seats} seats to {k} dapil within [{lo}, {hi}]",
                                field="seats")

    def quotas(lam: float) -> np.ndarray:
        return np.clip(lam * p, lo, hi)

    a, b = 0.0, hi / p.min()
    for _ in range(200):
        mid = 0.5 * (a + b)
        if quotas(mid).sum() < seats:
            a = mid
        else:
            b = mid
    q = quotas(b)
    q = np.where(np.abs(q - np.round(q)) < 1e-9, np.round(q), q)
    return largest_remainder(q, seats)


def kruskal(n: int, edges):
    """Minimum spanning forest. ``edges`` are (weight, a, b[, payload]) sorted by weight;
    returns the chosen tuples."""
    parent = list(range(n))

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    out = []
    for item in edges:
        a, b = item[1], item[2]
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
            out.append(item)
    return out


def dijkstra(adj, sources: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source Dijkstra: distance to the nearest source and the edge each node is reached
    by (-1 for sources and unreachable nodes)."""
    n = len(adj)
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    heap = []
    for s in sources:
        dist[s] = 0.0
        heap.append((0.0, s))
    heapq.heapify(heap)
    while heap:
        d, v = heapq.heappop(heap)
        if d > dist[v]:
            continue
        for w, length, e in adj[v]:
            nd = d + length
            if nd < dist[w] or (nd == dist[w] and pred[w] >= 0 and e < pred[w]):
                dist[w] = nd
                pred[w] = e
                heapq.heappush(heap, (nd, w))
    return dist, pred


def shortest_path_edges(adj, sources: list[int], target: int) -> list[int]:
    _, pred = dijkstra(adj, sources)
    out = []
    v = target
    while pred[v] >= 0:
        e = int(pred[v])
        out.append(e)
        nb = next(w for w, _, ee in adj[v] if ee == e)
        v = nb
    return out


def middle_point(line) -> tuple[float, float]:
    """The point halfway along the longest piece of a shared boundary."""
    merged = shapely.line_merge(line) if line.geom_type == "MultiLineString" else line
    parts = [p for p in shapely.get_parts(merged) if p.geom_type == "LineString"]
    longest = max(parts, key=lambda p: p.length)
    p = longest.interpolate(0.5, normalized=True)
    return (p.x, p.y)


SYLLABLES = ("ba", "bu", "ci", "da", "de", "ga", "go", "ja", "ka", "ke", "ku", "la", "le", "lo", "ma",
              "me", "mu", "na", "no", "pa", "pe", "pu", "ra", "re", "ri", "ro", "sa", "se", "si", "su",
              "ta", "te", "ti", "tu", "wa", "we", "ya", "yu")
ENDINGS = ("jaya", "sari", "mulya", "rejo", "wangi", "mekar", "asih", "jati", "rahayu", "makmur")


def invent_name(rng, taken: set[str]) -> str:
    """An invented, pronounceable place name not used before in this region."""
    for _ in range(1000):
        k = int(rng.integers(2, 4))
        stem = "".join(SYLLABLES[int(i)] for i in rng.integers(0, len(SYLLABLES), k))
        if rng.uniform() < 0.35:
            stem += ENDINGS[int(rng.integers(0, len(ENDINGS)))]
        name = stem.capitalize()
        if name not in taken:
            taken.add(name)
            return name
    raise InvalidInputError("ran out of invented names")  # pragma: no cover


def roman(n: int) -> str:
    vals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for v, s in vals:
        while n >= v:
            out += s
            n -= v
    return out



"""Road networks and what is computed on them: the directed graph and its searches
(:mod:`.graph`), road networks read from OSM or vector layers (:mod:`.roads`; windowed OSM cuts
in :mod:`.osm`, the one entry point for road files in :mod:`.build`), travel time
from demand to facilities (:mod:`.travel`), floating-catchment accessibility
(:mod:`.access`), isochrones (:mod:`.isochrones`), the Rural Access Index and road density
(:mod:`.rai`)."""

from __future__ import annotations

from .graph import Network

__all__ = ["Network"]

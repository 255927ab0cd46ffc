"""Service coverage: population within a distance of facilities, per zone, with gaps and
the distance to the nearest facility (:mod:`.analysis`)."""

from __future__ import annotations

from .analysis import *  # noqa: F403  (the public API of this package is analysis.__all__)
from .analysis import __all__ as __all__

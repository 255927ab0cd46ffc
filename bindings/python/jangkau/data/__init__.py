"""Reading the world: where data lives (:mod:`.paths`), downloading it (:mod:`.fetch`),
vector and raster I/O through the engine (:mod:`.io`, :mod:`.raster`), regions and their
zones (:mod:`.region`), facility layers (:mod:`.facilities`) and population models
(:mod:`.population`).

Importing this package is cheap (no pandas/geopandas): the submodules load on first use."""

from __future__ import annotations

from .paths import ENV_VAR, cache_dir, checkout_data_dir, data_dir

__all__ = ["ENV_VAR", "cache_dir", "checkout_data_dir", "data_dir"]

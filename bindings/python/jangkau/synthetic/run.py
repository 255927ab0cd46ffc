"""The embedded default: a run configuration over the seeded synthetic region, used when
no real data can be found (and by ``jangkau run --synthetic``). Every output says SYNTHETIC."""

from __future__ import annotations

from pathlib import Path

from ..data.paths import cache_dir
from ..workflow.pipeline import RunConfig


def synthetic_config(seed: int = 0, directory: str | Path | None = None) -> RunConfig:
    """Generate (once per seed, cached) the synthetic region and return a run configuration
    using its facilities and roads."""
    from .generator import SyntheticOptions, write_region

    base = Path(directory) if directory else cache_dir().parent / "synthetic" / f"seed{seed}"
    region_file = base / "region.toml"
    if not region_file.is_file():
        base.mkdir(parents=True, exist_ok=True)
        write_region(base, SyntheticOptions(seed=seed))
    # Facilities and roads come from the region file itself.
    raw = {
        "region": str(region_file),
        "synthetic": True,
        "access": {"method": "e2sfca", "max_time": "30min", "bands": [15, 30, 60]},
        "pilots": {"k": 1, "draws": 1000},
        "sites": {"model": "mclp", "p": 5, "radius": "2km", "per_dapil": 1, "existing_type": "puskesmas"},
    }
    return RunConfig(region=str(region_file), path=None, raw=raw)

"""SYNTHETIC data, always labelled so: a whole invented region (:mod:`.generator`), seeded
stand-ins for the missing inputs of a real region (:mod:`.fill`) and the run configuration
of the embedded synthetic region (:mod:`.run`)."""

from __future__ import annotations

from .generator import GENERATOR, SyntheticOptions, SyntheticRegion, generate, write_geotiff, write_region

__all__ = ["GENERATOR", "SyntheticOptions", "SyntheticRegion", "generate", "write_geotiff", "write_region"]

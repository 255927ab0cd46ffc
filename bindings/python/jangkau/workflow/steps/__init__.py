"""The steps of ``jangkau run``, one module per concern, each a function ``step(ctx)`` that
reads what earlier steps left in the :class:`~jangkau.workflow.context.RunContext` and
writes its tables and layers into the run's staging folder. :data:`STEPS` is the order
they run in (docs/pipeline.md describes each)."""

from __future__ import annotations

from collections.abc import Callable

from ..context import RunContext
from .access import step_access
from .dapil import step_dapil
from .facilities import step_coverage, step_facility_qa
from .outputs import step_layers, step_report
from .pilots import step_pilots
from .programme import step_dimensions, step_indicators, step_plan, step_spread
from .sites import step_sites
from .zones import step_zones

__all__ = ["STEPS", "STEP_NAMES"]

#: (name, function) of every step, in the order a run calls them.
STEPS: tuple[tuple[str, Callable[[RunContext], None]], ...] = (
    ("zones", step_zones), ("facility_qa", step_facility_qa), ("coverage", step_coverage),
    ("access", step_access), ("indicators", step_indicators), ("dapil", step_dapil), ("spread", step_spread),
    ("pilots", step_pilots), ("dimensions", step_dimensions), ("sites", step_sites), ("plan", step_plan),
    ("layers", step_layers), ("report", step_report),
)

#: The step names, in order.
STEP_NAMES = tuple(name for name, _ in STEPS)

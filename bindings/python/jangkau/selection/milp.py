"""The HiGHS MILP solver (highspy), shared by the facility-location models
(:mod:`.siting`) and the dapil proposer (:mod:`.dapil_model`)."""

from __future__ import annotations

import os
import sys

from ..errors import InvalidInputError

__all__ = ["highspy_module", "new_highs"]


def highspy_module():
    """The ``highspy`` module; InvalidInputError naming the extra to install when it is missing."""
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a declared optional dependency
        raise InvalidInputError("the exact MILP needs highspy (pip install jangkau[optimize])") from exc
    return highspy


def new_highs(highspy):
    """A silent ``highspy.Highs()`` instance."""
    # HiGHS prints a banner to fd 1 from its constructor, before any option can silence it;
    # a CLI writing results to stdout must not get it, so fd 1 is pointed at devnull meanwhile.
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)

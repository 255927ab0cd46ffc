"""Option parsers of the ``jangkau`` command line, used as argparse ``type=`` functions so
that every option is checked while the command line is parsed, before any input is read or
any output written (a bad value ends with argparse's one-line usage error, exit status 2).

Each parser states its valid range; numbers must be finite (``nan``, ``inf`` and ``1e400``
are refused). Durations, radii and CRSs are checked with the same functions the library uses
(:func:`jangkau.network.travel.parse_duration_s`, :func:`jangkau.coverage.analysis.parse_radii`,
:func:`jangkau.data.io.check_working_crs`), imported only when such an option is given.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = [
    "crs",
    "duration",
    "durations",
    "integer",
    "number",
    "radii",
]


def number(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False) -> Callable[[str], float]:
    """A finite float within [lo, hi] (``lo_open``/``hi_open``: the bound itself excluded)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        _check_range(value, text, lo, hi, lo_open, hi_open)
        return value

    parse.__name__ = "number"  # argparse names the type in "invalid number value"
    return parse


def integer(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """A whole number within [lo, hi]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        _check_range(value, text, lo, hi, False, False)
        return value

    parse.__name__ = "integer"
    return parse


def _check_range(value: float, text: str, lo, hi, lo_open: bool, hi_open: bool) -> None:
    low_bad = lo is not None and (value <= lo if lo_open else value < lo)
    high_bad = hi is not None and (value >= hi if hi_open else value > hi)
    if low_bad or high_bad:
        left = "" if lo is None else (f"> {lo:g}" if lo_open else f"≥ {lo:g}")
        right = "" if hi is None else (f"< {hi:g}" if hi_open else f"≤ {hi:g}")
        raise argparse.ArgumentTypeError(f"must be {' and '.join(x for x in (left, right) if x)}, got {text}")


def _via(check: Callable[[str], object], what: str) -> Callable[[str], str]:
    """An argparse type that runs a library parser on the text and returns the text itself
    (the command parses it again where it is used), turning its error into a usage error."""

    def parse(text: str) -> str:
        from ..errors import JangkauError

        try:
            check(text)
        except (JangkauError, ValueError, TypeError) as exc:
            msg = " ".join(str(exc).split())
            if " [" in msg and msg.endswith("]"):
                msg = msg[: msg.rindex(" [")]
            raise argparse.ArgumentTypeError(msg) from None
        return text

    parse.__name__ = what
    return parse


def _duration(text: str) -> None:
    from ..network.travel import parse_duration_s

    parse_duration_s(text)


def _durations(text: str) -> None:
    from ..network.travel import parse_minutes

    values = parse_minutes(text)
    if len(set(values)) != len(values):
        raise ValueError(f"the same duration is given twice in {text!r}")


def _radii(text: str) -> None:
    from ..coverage.analysis import parse_radii

    parse_radii(text)


def _crs(text: str) -> None:
    from ..data.io import check_working_crs

    check_working_crs(text, field="crs")


#: A duration > 0: ``30min``, ``1h``, ``900s`` or minutes.
duration = _via(_duration, "duration")
#: Comma-separated durations > 0 (``15,30,60`` minutes), none repeated.
durations = _via(_durations, "durations")
#: Comma-separated radii > 0 (``500m,1km``; a bare number is metres).
radii = _via(_radii, "radii")
#: A working CRS: known to PROJ, projected, in metres.
crs = _via(_crs, "crs")

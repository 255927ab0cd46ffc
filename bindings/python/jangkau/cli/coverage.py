"""`jangkau coverage`."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("coverage", help="(not yet available)")
    p.set_defaults(func=lambda args: (_ for _ in ()).throw(NotImplementedError("jangkau coverage is not built yet")))

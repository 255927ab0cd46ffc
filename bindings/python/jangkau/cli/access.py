"""`jangkau access`."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("access", help="(not yet available)")
    p.set_defaults(func=lambda args: (_ for _ in ()).throw(NotImplementedError("jangkau access is not built yet")))

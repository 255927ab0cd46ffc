"""`jangkau sites`."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("sites", help="(not yet available)")
    p.set_defaults(func=lambda args: (_ for _ in ()).throw(NotImplementedError("jangkau sites is not built yet")))

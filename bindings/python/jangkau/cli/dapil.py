"""`jangkau dapil`."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("dapil", help="(not yet available)")
    p.set_defaults(func=lambda args: (_ for _ in ()).throw(NotImplementedError("jangkau dapil is not built yet")))

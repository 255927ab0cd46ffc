"""The ``jangkau`` command line. Each subcommand lives in its own module of this package
and exposes ``register(subparsers)``, which adds its parser and sets ``func``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ..errors import CancelledError, JangkauError

#: Subcommand modules, in the order ``--help`` lists them.
SUBCOMMANDS = ["run", "batch", "zones", "coverage", "access", "pilots", "sites", "dapil", "data"]


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="jangkau",
        description="Service coverage, road access and pilot selection for Indonesian regencies.",
    )
    parser.add_argument("--version", action="version", version=f"jangkau {__version__}")
    parser.add_argument("--data", metavar="DIR", help="data directory (default: $JANGKAU_DATA, the cache, "
                        "or ../shared/data in a checkout)")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="more detail on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO),
        format="jangkau: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except CancelledError:
        print("jangkau: interrupted", file=sys.stderr)
        return 130
    except (JangkauError, OSError, ValueError) as exc:
        if args.verbose:
            raise
        msg = " ".join(str(exc).split())
        print(f"jangkau: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

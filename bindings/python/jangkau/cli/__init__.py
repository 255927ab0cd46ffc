"""The ``jangkau`` command line. Each subcommand lives in its own module of this package
and exposes ``register(subparsers)``, which adds its parser and sets ``func``.

Start-up is part of every command's run time: building the parser imports argparse and only
the chosen command's module (all of them for ``jangkau --help``), and those modules import
pandas, geopandas and the engine inside their ``run`` functions
(``tests/python/test_package.py`` checks that ``--help`` and ``--version`` load none of them)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ..errors import CancelledError, JangkauError

#: Subcommand modules, in the order ``--help`` lists them.
SUBCOMMANDS = ["run", "batch", "zones", "coverage", "access", "indicators", "pilots", "sites", "plan", "dapil", "data"]


class _VersionAction(argparse.Action):
    """``--version``: looks the version up only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show the version and exit"):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from .. import __version__

        print(f"jangkau {__version__}")
        parser.exit()


def chosen_command(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (its first positional argument, the value of ``--data``
    skipped), or None when there is none or it is not a subcommand."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--":
            return None
        elif arg.startswith("-"):
            # --data DIR (or an abbreviation of it, as argparse accepts) takes the next argument
            skip = len(arg) >= 3 and "--data".startswith(arg)
        else:
            return arg if arg in SUBCOMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of the ``jangkau`` command. With ``argv`` naming a subcommand, only that
    subcommand's module is imported and registered; otherwise (``--help``, no or an unknown
    command, ``argv=None``) every subcommand is."""
    verb = chosen_command(argv) if argv is not None else None
    parser = argparse.ArgumentParser(
        prog="jangkau",
        description="Service coverage, road access and pilot selection for Indonesian regencies.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--data", metavar="DIR", help="data directory (default: $JANGKAU_DATA, the cache, "
                        "or ../shared/data in a checkout)")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="more detail on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in [verb] if verb else SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


#: Arguments naming an output FILE, whose folder must exist (run and batch create their
#: output folders themselves).
OUTPUT_FILE_ARGS = ("output", "isochrones", "zones_out")


def _check_output_files(args: argparse.Namespace) -> None:
    """Fails before any work when an output file's folder does not exist (the writers
    would only find out at the end of the run)."""
    from pathlib import Path

    from ..errors import DataFileError

    if getattr(args, "command", None) in ("run", "batch", "data"):
        return
    for name in OUTPUT_FILE_ARGS:
        value = getattr(args, name, None)
        if value and not Path(value).resolve().parent.is_dir():
            raise DataFileError(f"output directory does not exist: {Path(value).parent}", file=str(value))


def _own_records_or_warnings(record: logging.LogRecord) -> bool:
    """jangkau's own messages at every level, other libraries' from WARNING up: the libraries
    a command loads after the logging set-up (pandas → numexpr...) say nothing at INFO."""
    return record.levelno >= logging.WARNING or record.name == "jangkau" or record.name.startswith("jangkau.")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()
    handler.addFilter(_own_records_or_warnings)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO),
        format="jangkau: %(message)s",
        handlers=[handler],
    )
    try:
        _check_output_files(args)
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

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
import signal
import sys
import threading

from ..errors import JangkauError

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

#: The extensions the writers know (jangkau.data.io.write), checked before any work.
OUTPUT_FORMATS = (".csv", ".geojson", ".json", ".gpkg", ".fgb", ".parquet")


def _check_output_files(args: argparse.Namespace) -> None:
    """Fails before any work when an output file's folder does not exist (the writers
    would only find out at the end of the run)."""
    from pathlib import Path

    from ..errors import DataFileError

    if getattr(args, "command", None) in ("run", "batch", "data"):
        return
    from ..errors import InvalidInputError

    for name in OUTPUT_FILE_ARGS:
        value = getattr(args, name, None)
        if value and not Path(value).resolve().parent.is_dir():
            raise DataFileError(f"output directory does not exist: {Path(value).parent}", file=str(value))
        if value and Path(value).suffix.lower() not in OUTPUT_FORMATS:
            raise InvalidInputError(f"unsupported output format '{Path(value).suffix}' (use "
                                    f"{', '.join(OUTPUT_FORMATS)})", file=str(value), field=name)


def _own_records_or_warnings(record: logging.LogRecord) -> bool:
    """jangkau's own messages at every level, other libraries' from WARNING up: the libraries
    a command loads after the logging set-up (pandas → numexpr...) say nothing at INFO."""
    return record.levelno >= logging.WARNING or record.name == "jangkau" or record.name.startswith("jangkau.")


#: Exit status of an unexpected exception (a defect of jangkau; EX_SOFTWARE of sysexits.h).
INTERNAL_ERROR = 70

#: The signal that interrupted the command (SIGINT for Ctrl-C, SIGTERM), None before any.
_received: list[int] = []


def _on_terminate(signum: int, frame: object) -> None:
    """SIGTERM (and SIGHUP) handler: ends the command the way Ctrl-C does (KeyboardInterrupt,
    so every ``finally``/``except BaseException`` cleans up: staging folders, temporary files);
    the engine's long loops see the pending signal through their progress monitor and stop
    with CancelledError. Further signals during the clean-up are ignored."""
    _received.append(signum)
    for sig in _TERMINATING:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


#: Signals that end a command with clean-up (SIGINT keeps Python's own KeyboardInterrupt).
_TERMINATING = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]


def _install_signal_handlers() -> dict:
    """Installs :func:`_on_terminate`; returns the handlers it replaced (restored when
    :func:`main` returns, so calling ``main`` from Python leaves the process as it was)."""
    previous: dict = {}
    _received.clear()
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - embedded use
        return previous
    for sig in _TERMINATING:
        if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup's SIGHUP stays ignored
            previous[sig] = signal.signal(sig, _on_terminate)
    return previous


def main(argv: list[str] | None = None) -> int:
    """The ``jangkau`` command: returns its exit status (0 done, 1 bad input or a failed
    write, 2 a bad command line, 70 a defect of jangkau, 128 + N ended by signal N)."""
    previous = _install_signal_handlers()
    try:
        return _main(argv)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _route_library_diagnostics(verbose: bool = False) -> None:
    """Library diagnostics go through jangkau's logging, never straight to stderr: Python
    warnings (numpy RuntimeWarnings, pandas, shapely) become log records of the ``jangkau``
    logger at DEBUG (shown with -v), and PROJ's and GDAL's own messages are silenced where they
    would print (jangkau raises its own typed error naming the file instead)."""
    import os
    import warnings

    logging.captureWarnings(True)
    pw = logging.getLogger("py.warnings")
    pw.propagate = False
    pw.handlers = [_WarningsToDebug()]
    warnings.simplefilter("default")
    if not verbose:  # with -v, PROJ and GDAL may speak for themselves
        os.environ.setdefault("PROJ_DEBUG", "0")  # PROJ's own stderr lines (proj_create: ...)
        os.environ.setdefault("CPL_LOG", os.devnull)  # GDAL's default error handler prints "ERROR 1: ..."
        os.environ.setdefault("CPL_DEBUG", "OFF")


class _WarningsToDebug(logging.Handler):
    """Re-emits captured Python warnings as DEBUG records of the ``jangkau`` logger."""

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(record.getMessage().split())
        logging.getLogger("jangkau").debug("library warning: %s", text[:500])


def _interrupted_code() -> int:
    """The exit status of an interrupted command: 128 + the signal (130 for Ctrl-C, 143 for
    SIGTERM), as shells report."""
    return 128 + (_received[0] if _received else int(getattr(signal, "SIGINT", 2)))


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("jangkau: interrupted", file=sys.stderr)
        return _interrupted_code()
    handler = logging.StreamHandler()
    handler.addFilter(_own_records_or_warnings)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO),
        format="jangkau: %(message)s",
        handlers=[handler],
    )
    _route_library_diagnostics(args.verbose)
    try:
        _check_output_files(args)
        validate = getattr(args, "validate", None)
        if validate is not None:
            validate(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM, or the engine's CancelledError
        name = {2: "Ctrl-C", 15: "SIGTERM", 1: "SIGHUP"}.get(_received[0] if _received else 2, "signal")
        print(f"jangkau: interrupted ({name})", file=sys.stderr)
        return _interrupted_code()
    except (JangkauError, OSError, ValueError) as exc:
        if args.verbose:
            raise
        print(f"jangkau: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:
        if args.verbose:
            raise
        print(f"jangkau: internal error: {type(exc).__name__}: {one_line(exc, 300)} (this is a bug in jangkau: "
              f"run again with -v for the traceback and report it)", file=sys.stderr)
        return INTERNAL_ERROR


def one_line(exc: BaseException, limit: int = 600) -> str:
    """The message of ``exc`` on one line (whitespace runs collapsed), cut at ``limit``
    characters; a bare OSError gets its file name."""
    msg = " ".join(str(exc).split())
    if isinstance(exc, OSError) and not isinstance(exc, JangkauError) and exc.filename and \
            str(exc.filename) not in msg:
        msg += f" [file '{exc.filename}']"
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Running the ``jangkau`` command line from QGIS: finding it, running it with cancellation and
turning its one-line error into a message. Plain Python (no ``qgis`` import), so the project's
test suite checks it from its own virtual environment too.

Why a subprocess and not ``import jangkau``: QGIS runs the system Python with Debian's NumPy
already loaded, while jangkau lives in a virtual environment with its own NumPy, pandas, GDAL
wheels...; importing one into the other fails (see docs/qgis.md)."""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

#: Environment variable naming the jangkau command (a path, or a command line such as
#: ``/path/to/python -m jangkau.cli``); the Processing setting of the same name wins.
CLI_ENV = "JANGKAU_CLI"

#: The CLI's error line: ``jangkau: error: MESSAGE`` (its own errors) or
#: ``jangkau SUBCOMMAND: error: MESSAGE`` (argparse usage errors).
_ERROR_LINE = re.compile(r"^jangkau(?: [\w-]+)?: error: (?P<msg>.+)$")

#: How long a cancelled run gets to clean up (temporary files) after SIGINT before SIGKILL.
CANCEL_GRACE_S = 5.0


class CliNotFound(RuntimeError):
    """The jangkau command was not found where the settings, JANGKAU_CLI or PATH say."""


class CliFailed(RuntimeError):
    """The command ended with a non-zero exit code; ``str()`` is jangkau's one-line message."""

    def __init__(self, message: str, returncode: int, stderr: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class CliCancelled(RuntimeError):
    """The run was cancelled by the user (the process was interrupted, then killed)."""


def _checkout_venv() -> Path:
    """The ``.venv`` of the checkout this plugin folder comes from (when the plugin is a symlink
    to ``qgis/jangkau_processing`` in a jangkau checkout set up by scripts/dev.sh)."""
    return Path(__file__).resolve().parent.parent.parent / ".venv"


def find_cli(setting: str | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """The jangkau command as an argv prefix. Looked up in order: ``setting`` (the Processing
    setting), the ``JANGKAU_CLI`` environment variable, ``jangkau`` on PATH, ``$VIRTUAL_ENV/bin``,
    and the ``.venv`` of the checkout the plugin is linked from. A value naming an existing file
    is used as is (spaces allowed); otherwise it is split like a shell command line. Raises
    CliNotFound saying where it looked."""
    env = os.environ if environ is None else environ
    for origin, value in (("the Processing setting", setting), (CLI_ENV, env.get(CLI_ENV))):
        value = (value or "").strip()
        if not value:
            continue
        if os.path.isfile(value):
            return [value]
        argv = shlex.split(value)
        exe = shutil.which(argv[0], path=env.get("PATH")) if argv else None
        if exe is None:
            raise CliNotFound(f"jangkau command from {origin} not found: {value}")
        return [exe, *argv[1:]]
    candidates = [shutil.which("jangkau", path=env.get("PATH"))]
    venvs = [Path(env["VIRTUAL_ENV"])] if env.get("VIRTUAL_ENV") else []
    venvs.append(_checkout_venv())
    for venv in venvs:  # bin/ on POSIX, Scripts/ on Windows
        candidates += [str(venv / "bin" / "jangkau"), str(venv / "Scripts" / "jangkau.exe")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return [c]
    raise CliNotFound(
        "jangkau command not found: set it in Processing ▸ Options ▸ Providers ▸ jangkau, or the "
        f"{CLI_ENV} environment variable (e.g. /path/to/.venv/bin/jangkau), or put jangkau on PATH"
    )


def error_message(stderr: str, returncode: int) -> str:
    """jangkau's one-line message from the stderr of a failed run: the last ``jangkau: error:``
    line; else (a crash) the last non-empty line, with the exit code."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        m = _ERROR_LINE.match(ln)
        if m:
            return m.group("msg")
    last = lines[-1] if lines else "no message"
    return f"jangkau ended with exit code {returncode}: {last}"


def child_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the jangkau process: QGIS's, less the variables that point a Python at
    QGIS's own interpreter (PYTHONHOME, set by some QGIS installers), with unbuffered output so
    that messages arrive while the run goes on."""
    env = dict(os.environ if environ is None else environ)
    env.pop("PYTHONHOME", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(
    argv: Sequence[str],
    *,
    on_line: Callable[[str], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    env: Mapping[str, str] | None = None,
    poll_s: float = 0.1,
) -> str:
    """Run ``argv``, passing each stderr/stdout line to ``on_line`` as it arrives and checking
    ``is_cancelled`` every ``poll_s`` seconds. On cancel the process group gets SIGINT (jangkau
    cleans up and exits), then SIGKILL after CANCEL_GRACE_S, and CliCancelled is raised. A
    non-zero exit raises CliFailed with jangkau's message. Returns the combined output."""
    lines: list[str] = []
    cancelled = False
    with subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(env) if env is not None else child_env(),
        start_new_session=True,  # its own process group: a cancel reaches its children too
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as proc:

        # A reader thread queues the lines; this thread (QGIS's task thread) hands them to on_line,
        # as QgsProcessingFeedback is meant to be used from the algorithm's own thread.
        pending: queue.SimpleQueue[str] = queue.SimpleQueue()

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                pending.put(line.rstrip("\n"))

        def drain() -> None:
            while not pending.empty():
                line = pending.get()
                lines.append(line)
                if on_line is not None:
                    on_line(line)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        while proc.poll() is None:
            drain()
            if is_cancelled is not None and is_cancelled():
                cancelled = True
                _stop(proc)
                break
            time.sleep(poll_s)
        proc.wait()
        reader.join(timeout=5)
        drain()
    output = "\n".join(lines)
    if cancelled:
        raise CliCancelled("cancelled")
    if proc.returncode != 0:
        raise CliFailed(error_message(output, proc.returncode), proc.returncode, output)
    return output


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT to the process group (Python raises KeyboardInterrupt: temporary files go),
    SIGKILL if it is still there after CANCEL_GRACE_S. Without process groups (Windows; untested):
    terminate, then kill."""
    if not hasattr(os, "killpg"):
        proc.terminate()
        try:
            proc.wait(timeout=CANCEL_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=CANCEL_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # already gone
        pass

"""Exceptions raised by jangkau.

Every error the engine raises on purpose is a :class:`JangkauError` and also a
subclass of the matching built-in exception, so ``except ValueError`` and
``except OSError`` work as usual. Each carries ``file``, ``feature`` (0-based
index) and ``field`` attributes (``None`` when not applicable).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


def _where(message: str, file: str | None, feature: int | None, field: str | None) -> str:
    where = []
    if file:
        where.append(f"file '{file}'")
    if feature is not None:
        where.append(f"feature {feature}")
    if field:
        where.append(f"field '{field}'")
    return f"{message} [{', '.join(where)}]" if where else message


class JangkauError(Exception):
    """Base class of every jangkau error."""

    file: str | None = None
    feature: int | None = None
    field: str | None = None

    def __init__(self, message: str = "", *, file: str | None = None, feature: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(_where(message, file, feature, field))
        self.message = message
        self.file = file
        self.feature = feature
        self.field = field

    def at_file(self, file: str | os.PathLike[str] | None) -> JangkauError:
        """Names ``file`` in the error when it names none yet (the message is rebuilt);
        returns the error. For callers that know the file a lower layer could not."""
        if file and not self.file:
            # The bare message: errors made by the engine (bindings) carry the where-suffix in
            # their text already, in the same format.
            text = str(self.args[0]) if self.args else ""
            old = _where("", None, self.feature, self.field)
            bare = text[: len(text) - len(old)] if old and text.endswith(old) else text
            self.file = str(file)
            self.message = bare
            self.args = (_where(bare, self.file, self.feature, self.field), *self.args[1:])
        return self


@contextlib.contextmanager
def in_file(file: str | os.PathLike[str] | None) -> Iterator[None]:
    """Every :class:`JangkauError` raised inside the block that names no file gets ``file``
    (see :meth:`JangkauError.at_file`), so each message names the file it is about."""
    try:
        yield
    except JangkauError as exc:
        exc.at_file(file)
        raise


class InvalidInputError(JangkauError, ValueError):
    """Input that can be read but holds bad values."""


class UnknownColumnError(InvalidInputError, KeyError):
    """A column or field that does not exist was named."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class CrsError(InvalidInputError):
    """Missing, unknown or mismatched coordinate reference system."""


class GeometryError(InvalidInputError):
    """Invalid or empty geometry that was not repaired."""


class InfeasibleError(InvalidInputError):
    """A model has no feasible solution under its constraints."""


class ResourceLimitError(InvalidInputError):
    """A grid, matrix or candidate set would exceed a size limit (see
    :data:`jangkau.util.limits`); the message states the estimate and the limit."""


class DataFileError(JangkauError, OSError):
    """A file that cannot be found, opened, read or written."""

    def __str__(self) -> str:  # OSError would reformat a one-argument message
        return str(self.args[0]) if self.args else ""


class CancelledError(JangkauError, KeyboardInterrupt):
    """The computation was interrupted (Ctrl-C) or cancelled by a callback."""


class JangkauWarning(UserWarning):
    """Base class of the warnings jangkau issues (a result is computed, but part of the input
    did not count: the warning says how much and which)."""


class CoverageWarning(JangkauWarning):
    """Some candidate sites cover no demand at the given reach (e.g. thousands of kilometres
    from the region): they can never be chosen for a reason. ``candidates`` holds their
    indices (as the caller numbers them), ``count`` how many there are."""

    def __init__(self, message: str, *, candidates=(), file: str | None = None) -> None:
        super().__init__(_where(message, file, None, None))
        self.candidates = list(candidates)
        self.count = len(self.candidates)
        self.file = file


__all__ = [
    "JangkauError",
    "InvalidInputError",
    "UnknownColumnError",
    "CrsError",
    "GeometryError",
    "InfeasibleError",
    "ResourceLimitError",
    "DataFileError",
    "CancelledError",
    "JangkauWarning",
    "CoverageWarning",
    "in_file",
]

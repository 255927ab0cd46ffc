"""Exceptions raised by jangkau.

Every error the engine raises on purpose is a :class:`JangkauError` and also a
subclass of the matching built-in exception, so ``except ValueError`` and
``except OSError`` work as usual. Each carries ``file``, ``feature`` (0-based
index) and ``field`` attributes (``None`` when not applicable).
"""

from __future__ import annotations


class JangkauError(Exception):
    """Base class of every jangkau error."""

    file: str | None = None
    feature: int | None = None
    field: str | None = None

    def __init__(self, message: str = "", *, file: str | None = None, feature: int | None = None,
                 field: str | None = None) -> None:
        where = []
        if file:
            where.append(f"file '{file}'")
        if feature is not None:
            where.append(f"feature {feature}")
        if field:
            where.append(f"field '{field}'")
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)
        self.file = file
        self.feature = feature
        self.field = field


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
]

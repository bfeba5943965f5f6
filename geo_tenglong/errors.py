"""The project's exceptions.

Every error raised for bad input is an :class:`InputError` whose message names the file, the
feature or row, and what was expected, so the CLI can print it on one line and exit 2.
"""

from __future__ import annotations

from pathlib import Path


class GeoTenglongError(Exception):
    """Base class of the project's errors."""


class InputError(GeoTenglongError):
    """Bad input: a file, layer, row or value that is not what the tool expects.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str or Path, optional
        The file concerned, or a database connection (a ``postgresql://`` URL, password masked),
        kept as text.
    where : str, optional
        The line, row, feature or key inside that file (e.g. ``"row 12"``, ``"feature 7"``).
    """

    def __init__(self, message: str, path: str | Path | None = None, where: str | None = None):
        # a URL stays text: Path() would fold its "//"
        self.path: Path | str | None = (None if path is None else path if isinstance(path, str) and "://" in path
                                         else Path(path))
        self.where = where
        self.reason = message
        prefix = ""
        if self.path is not None:
            prefix = f"{self.path}"
            if where:
                prefix += f", {where}"
            prefix += ": "
        elif where:
            prefix = f"{where}: "
        super().__init__(prefix + message)


class RulesetError(InputError):
    """A ruleset file with an unknown key or a bad value."""

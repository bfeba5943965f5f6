"""``geo-tenglong init``: propose a ``workspace.toml`` for a folder a bureau hands over.

:func:`init_workspace` scans the folder (:mod:`geo_tenglong.init_detect`), places each file
(:mod:`geo_tenglong.init_guess`) and writes the commented file (:mod:`geo_tenglong.init_toml`).
It never overwrites an existing ``workspace.toml`` unless told to.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .errors import InputError
from .init_detect import Source, scan_folder
from .init_guess import Guess, Setting, guess_admin, guess_as_of, guess_crs, place_sources
from .init_toml import render
from .io.atomic import write_text_atomic
from .standards import load_standards
from .workspace import WORKSPACE_FILE


@dataclasses.dataclass
class InitResult:
    """What :func:`init_workspace` found and wrote.

    Attributes
    ----------
    path : Path
        The ``workspace.toml`` written.
    guesses : list of Guess
        One per vector layer or table, placed or not.
    settings : dict
        ``county``, ``admin_code``, ``ruleset``, ``as_of``, ``crs`` → Setting or None.
    sources : list of Source
        Everything scanned.
    text : str
        The file's text.
    """

    path: Path
    guesses: list[Guess]
    settings: dict[str, Setting | None]
    sources: list[Source]
    text: str

    @property
    def placed(self) -> dict[str, Guess]:
        """Target → the guess that fills it."""
        return {g.target: g for g in self.guesses if g.target}

    @property
    def unplaced(self) -> list[str]:
        """Labels of the sources not placed (tables and layers, and files that could not be read)."""
        return [g.source.label for g in self.guesses if not g.target] + \
            [s.path.name for s in self.sources if s.kind == "unknown"]


def init_workspace(folder: str | Path, out: str | Path | None = None, force: bool = False) -> InitResult:
    """Scan ``folder`` and write a commented ``workspace.toml``.

    Parameters
    ----------
    folder : str or Path
        The folder of the county's files.
    out : str or Path, optional
        The file to write; ``FOLDER/workspace.toml`` by default. Paths inside are relative to it.
    force : bool
        Overwrite an existing file.

    Returns
    -------
    InitResult

    Raises
    ------
    InputError
        When ``folder`` is no folder, or the file exists and ``force`` is not given.
    """
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise InputError("not a folder", folder)
    path = Path(out).resolve() if out else folder / WORKSPACE_FILE
    if path.exists() and not force:
        raise InputError("already exists; pass --force to overwrite it", path)
    sources = scan_folder(folder)
    guesses = place_sources(sources, load_standards())
    rasters = [s for s in sources if s.kind == "raster"]
    parcels = next((g for g in guesses if g.target == "parcels"), None)
    admin, county, ruleset = guess_admin(parcels)
    settings = {"county": county, "admin_code": admin, "ruleset": ruleset,
                "as_of": guess_as_of(guesses, rasters), "crs": guess_crs(guesses)}
    text = render(path.parent, folder, guesses, rasters, [s for s in sources if s.kind == "coords"],
                  [s for s in sources if s.kind == "unknown"], settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)
    return InitResult(path, guesses, settings, sources, text)

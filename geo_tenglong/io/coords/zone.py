"""带号, 几度分带, 坐标系 and the Y prefix of a coordinate file → its Gauss-Krüger zone (CRS).

坐标系 is matched by meaning, not by exact string. The written name is normalised — NFKC (full-width
letters and digits become ASCII), lower case, spaces, ``年``, brackets, ``-`` and ``_`` removed — and
the filler words of :data:`DATUM_FILLER` are dropped (坐标系, 国家大地, 大地, 国家, 坐标, 系统, 系,
"cgcs" …). What is left must be a key of :data:`DATUM_KEYS`:

=========  ===========================================================================
datum      what is left after normalising
=========  ===========================================================================
CGCS2000   ``2000``
西安80      ``80``, ``1980``, ``西安``, ``西安80``, ``80西安``, ``西安1980``, ``1980西安``, ``xian80`` …
北京54      ``54``, ``1954``, ``北京``, ``北京54``, ``54北京``, ``北京1954``, ``1954北京``, ``beijing54`` …
=========  ===========================================================================

So "2000国家大地坐标系", "CGCS2000", "国家2000", "2000坐标系", "80国家大地坐标系", "西安1980坐标系",
"1980西安坐标系", "西安80坐标系", "1980西安国家大地坐标系", "北京1954坐标系", "54北京坐标系" and
"1954年北京坐标系" are all understood, and so is a name with its alias in brackets when both
parts agree ("2000国家大地坐标系(CGCS2000)"); "WGS84" or "地方坐标系" are refused naming the line.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import numpy as np

from ...crs import BEIJING54, CGCS2000, XIAN80, GKZone
from ...errors import InputError
from .model import DEFAULT_PRECISION_M

__all__ = ["DATUM_FILLER", "DATUM_KEYS", "datum_of", "precision_of", "zone_of"]

#: Words dropped from a 坐标系 name before it is looked up, longest first.
DATUM_FILLER = ("国家大地坐标系", "大地坐标系", "坐标系统", "坐标系", "国家大地", "大地", "国家", "坐标", "系统", "系",
                "chinageodeticcoordinatesystem", "geodeticcoordinatesystem", "coordinatesystem", "cgcs", "gcs")

#: Normalised name -> datum.
DATUM_KEYS = {
    "2000": CGCS2000,
    **{k: XIAN80 for k in ("80", "1980", "西安", "西安80", "80西安", "西安1980", "1980西安", "xian80", "xian1980",
                           "80xian", "1980xian", "xian")},
    **{k: BEIJING54 for k in ("54", "1954", "北京", "北京54", "54北京", "北京1954", "1954北京", "beijing54",
                              "beijing1954", "54beijing", "1954beijing", "beijing")},
}

_DROP_RE = re.compile(r"[\s年()（）\[\]_\-·.]+")
_FILLER_RE = re.compile("|".join(map(re.escape, DATUM_FILLER)))
_BRACKET_RE = re.compile(r"[()\[\]]")


def datum_of(name: str) -> str | None:
    """The datum a 坐标系 name means (:data:`~geo_tenglong.crs.CGCS2000`, ``XIAN80`` or
    ``BEIJING54``), or ``None`` when it is not one of them.

    Parameters
    ----------
    name : str
        The 坐标系 value as written.

    Returns
    -------
    str or None

    Examples
    --------
    >>> datum_of("西安1980坐标系"), datum_of("ＣＧＣＳ２０００"), datum_of("54北京坐标系"), datum_of("WGS84")
    ('Xian80', 'CGCS2000', 'Beijing54', None)
    """
    text = unicodedata.normalize("NFKC", name).lower()
    found = DATUM_KEYS.get(_FILLER_RE.sub("", _DROP_RE.sub("", text)))
    if found is None and _BRACKET_RE.search(text):
        # "2000国家大地坐标系(CGCS2000)": every bracketed and unbracketed part must name the same datum
        parts = {DATUM_KEYS.get(_FILLER_RE.sub("", _DROP_RE.sub("", s))) for s in _BRACKET_RE.split(text)
                 if _DROP_RE.sub("", s)}
        found = parts.pop() if len(parts) == 1 else None
    return found


def zone_of(header: dict, header_lines: dict, east_x: np.ndarray, plots: list, path: Path,
            warnings: list) -> GKZone:
    """The zone of a parsed file from its header and the Y (east) coordinates' prefix.

    Parameters
    ----------
    header, header_lines : dict
        ``[属性描述]`` key -> value and key -> line number.
    east_x : ndarray
        Every easting of the file (with or without the zone prefix).
    plots : list of Plot
        For the line of a point whose prefix differs.
    path : Path
        The file, for errors.
    warnings : list of str
        Chinese notes are appended (blank 坐标系 or 带号, a datum other than CGCS2000).

    Returns
    -------
    GKZone

    Raises
    ------
    InputError
        For an unknown datum, a zone width other than 3 or 6, a 带号 that disagrees with the prefix or
        an unknown zone.
    """
    def where(key):
        return f"line {header_lines[key]}" if key in header_lines else None

    datum_text = header.get("坐标系", "").strip()
    if datum_text:
        datum = datum_of(datum_text)
        if datum is None:
            raise InputError(f"坐标系 {datum_text!r} is not recognised; expected 2000国家大地坐标系 (CGCS2000), "
                             "1980西安坐标系 or 1954北京坐标系 in any of their spellings", path, where("坐标系"))
    else:
        datum = CGCS2000
        warnings.append("坐标系为空，按2000国家大地坐标系读取")
    if datum != CGCS2000:
        warnings.append(f"坐标系为{datum_text}（非2000国家大地坐标系），坐标按原样保留，未做转换")
    width_text = header.get("几度分带", "").strip()
    width = None
    if width_text:
        m = re.match(r"^\s*([0-9]+)", width_text)
        if not m or int(m.group(1)) not in (3, 6):
            raise InputError(f"几度分带 must be 3 or 6, found {width_text!r}", path, where("几度分带"))
        width = int(m.group(1))
    zone_text = header.get("带号", "").strip()
    zone_no = None
    if zone_text:
        m = re.match(r"^\s*([0-9]+)\s*$", zone_text)
        if not m:
            raise InputError(f"带号 must be a zone number written in ASCII digits, found {zone_text!r}", path,
                             where("带号"))
        zone_no = int(m.group(1))
    prefixes = np.floor(east_x / 1.0e6).astype(int)
    pset = np.unique(prefixes) if prefixes.min() != prefixes.max() else prefixes[:1]
    if pset.size > 1:
        first = prefixes[0]
        for p in plots:
            for r in p.rings:
                bad = np.nonzero(np.floor(r.xy[:-1, 0] / 1.0e6).astype(int) != first)[0]
                if bad.size:
                    raise InputError(f"Y coordinates carry different zone prefixes ({sorted(pset.tolist())}); "
                                     "one file holds one zone", path, f"line {r.lines[bad[0]]}")
    prefix = int(pset[0])
    if prefix:
        if zone_no is not None and zone_no != prefix:
            raise InputError(f"带号 {zone_no} disagrees with the zone prefix {prefix} of the Y coordinates",
                             path, where("带号"))
        if zone_no is None:
            warnings.append(f"带号为空，按Y坐标前缀取第{prefix}带")
        zone_no, prefixed = prefix, True
    else:
        if zone_no is None:
            raise InputError("带号 is blank and the Y coordinates carry no zone prefix: the zone is unknown",
                             path, where("带号") or f"line {plots[0].line}")
        prefixed = False
    if width is None:
        width = 3 if 25 <= zone_no <= 45 else 6 if 13 <= zone_no <= 23 else 3
    try:
        return _gk_zone(datum, width, zone_no, prefixed)
    except ValueError as exc:
        raise InputError(f"{exc} (几度分带={width}, 带号={zone_no})", path, where("带号")) from None


@functools.lru_cache(maxsize=256)
def _gk_zone(datum: str, width: int, zone: int, prefixed: bool) -> GKZone:
    return GKZone(datum, width, zone, prefixed)


_PRECISION_RE = re.compile(r"^[0-9]+(?:\.[0-9]*)?$|^\.[0-9]+$")


def precision_of(text: str) -> float:
    """精度 in metres: ``0.001`` as is, a whole number ``3`` as decimals (0.001 m); the default
    (:data:`~.model.DEFAULT_PRECISION_M`) when blank or unreadable.

    Parameters
    ----------
    text : str
        The 精度 value as written.

    Returns
    -------
    float
    """
    text = text.strip()
    if not _PRECISION_RE.match(text):
        return DEFAULT_PRECISION_M
    v = float(text)
    if v <= 0:
        return DEFAULT_PRECISION_M
    if v >= 1 and v.is_integer() and v <= 6:
        return 10.0 ** -v
    if v >= 1:
        return DEFAULT_PRECISION_M
    return v

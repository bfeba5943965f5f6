"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015): check character and validation.

A code is 18 characters from the 31-character alphabet ``0123456789ABCDEFGHJKLMNPQRTUWXY``
(no I, O, S, V, Z). The 18th character is a check character computed from the first 17:

    check = (31 − Σ value(cᵢ) · wᵢ mod 31) mod 31

with weights ``1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28`` (3ⁱ mod 31).

Examples
--------
>>> check_char("91350100M000100Y4")   # the example printed in GB 32100-2015
'3'
>>> is_valid("91350100M000100Y43")
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The GB 32100-2015 character set, in value order (value = index).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of the first 17 characters.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_char(code17: str) -> str:
    """The check character (18th) for the first 17 characters of a code.

    Parameters
    ----------
    code17 : str
        The first 17 characters (upper case, from :data:`ALPHABET`).

    Returns
    -------
    str
        One character of :data:`ALPHABET`.

    Raises
    ------
    ValueError
        If ``code17`` is not 17 characters from the alphabet.

    Examples
    --------
    >>> check_char("91331023MA2A00000")
    '4'
    """
    if len(code17) != 17:
        raise ValueError(f"expected the first 17 characters of a 统一社会信用代码, got {len(code17)}: {code17!r}")
    try:
        total = sum(_VALUE[c] * w for c, w in zip(code17, WEIGHTS))
    except KeyError as exc:
        raise ValueError(
            f"character {exc.args[0]!r} in {code17!r} is not allowed in a 统一社会信用代码 "
            f"(allowed: {ALPHABET})") from None
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code) -> bool:
    """Whether ``code`` is a well-formed 统一社会信用代码 with a correct check character.

    Surrounding whitespace is ignored; lower case is not accepted (codes are printed upper case).

    Parameters
    ----------
    code : object
        Usually a str; anything else (None, NaN, numbers) is invalid.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_valid("91331023MA2A000004")
    True
    >>> is_valid("91331023MA2A00000A")
    False
    >>> is_valid(None)
    False
    """
    if not isinstance(code, str):
        return False
    code = code.strip()
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    return check_char(code[:17]) == code[17]


_LUT = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    _LUT[ord(_c)] = _i


def valid_mask(codes) -> np.ndarray:
    """Vectorised :func:`is_valid` over a sequence of codes.

    Parameters
    ----------
    codes : pandas.Series or array-like
        Codes as strings; missing or non-string entries are invalid.

    Returns
    -------
    numpy.ndarray of bool
        One flag per input element.

    Examples
    --------
    >>> valid_mask(["91331023MA2A000004", "bad", None]).tolist()
    [True, False, False]
    """
    s = pd.Series(codes, dtype=object) if not isinstance(codes, pd.Series) else codes.astype(object)
    out = np.zeros(len(s), dtype=bool)
    is_str = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_str.any():
        return out
    stripped = s[is_str].str.strip()
    len_ok = (stripped.str.len() == 18).to_numpy(dtype=bool)
    if not len_ok.any():
        return out
    good = stripped[len_ok]
    # Characters outside ASCII map to -1 via the clip below and fail the alphabet check.
    raw = np.frombuffer("".join(good.tolist()).encode("utf-32-le"), dtype=np.uint32).reshape(-1, 18)
    vals = _LUT[np.clip(raw, 0, 127)]
    vals[raw > 127] = -1
    in_alpha = (vals >= 0).all(axis=1)
    total = (np.where(vals[:, :17] < 0, 0, vals[:, :17]) * np.asarray(WEIGHTS)).sum(axis=1)
    ok = in_alpha & ((31 - total % 31) % 31 == vals[:, 17])
    idx = np.flatnonzero(is_str)[len_ok]
    out[idx] = ok
    return out

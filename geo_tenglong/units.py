"""Area units used by Chinese land administration.

1 亩 (mu) = 10000/15 m² ≈ 666.667 m²; 1 公顷 (ha) = 15 亩 = 10000 m²; 1 km² = 1500 亩.
Functions accept scalars or numpy/pandas arrays.
"""

from __future__ import annotations

M2_PER_MU = 10000.0 / 15.0
M2_PER_HA = 10000.0
M2_PER_KM2 = 1_000_000.0
MU_PER_HA = 15.0

#: Decimals used when reporting 亩 (cadastral practice).
MU_DECIMALS = 4


def m2_to_mu(m2):
    """Convert square metres to 亩.

    Parameters
    ----------
    m2 : float or array-like
        Area in m².

    Returns
    -------
    float or array-like
        Area in 亩.

    Examples
    --------
    >>> m2_to_mu(10000)
    15.0
    """
    return m2 / M2_PER_MU


def mu_to_m2(mu):
    """Convert 亩 to square metres.

    Examples
    --------
    >>> round(mu_to_m2(1), 3)
    666.667
    """
    return mu * M2_PER_MU


def m2_to_ha(m2):
    """Convert square metres to 公顷 (hectares)."""
    return m2 / M2_PER_HA


def ha_to_m2(ha):
    """Convert 公顷 (hectares) to square metres."""
    return ha * M2_PER_HA


def ha_to_mu(ha):
    """Convert 公顷 to 亩 (1 公顷 = 15 亩)."""
    return ha * MU_PER_HA


def mu_to_ha(mu):
    """Convert 亩 to 公顷."""
    return mu / MU_PER_HA


def km2_to_mu(km2):
    """Convert km² to 亩 (1 km² = 1500 亩).

    Examples
    --------
    >>> km2_to_mu(3.3)
    4950.0
    """
    return km2 * M2_PER_KM2 / M2_PER_MU


_TO_M2 = {"m2": 1.0, "平方米": 1.0, "mu": M2_PER_MU, "亩": M2_PER_MU, "ha": M2_PER_HA,
          "公顷": M2_PER_HA, "km2": M2_PER_KM2, "平方公里": M2_PER_KM2}


def convert_area(value, from_unit: str, to_unit: str):
    """Convert an area between any two of m2/平方米, mu/亩, ha/公顷, km2/平方公里.

    Parameters
    ----------
    value : float or array-like
        The area.
    from_unit, to_unit : str
        Unit names, English or Chinese.

    Returns
    -------
    float or array-like

    Raises
    ------
    ValueError
        For a unit name it does not know.

    Examples
    --------
    >>> convert_area(2, "公顷", "亩")
    30.0
    """
    try:
        return value * _TO_M2[from_unit] / _TO_M2[to_unit]
    except KeyError as exc:
        raise ValueError(f"unknown area unit {exc.args[0]!r}; expected one of {sorted(_TO_M2)}") from None

import numpy as np
import pytest

from geo_tenglong import units


def test_mu_definition():
    assert units.mu_to_m2(15) == pytest.approx(10000.0)
    assert units.m2_to_mu(10000 / 15) == pytest.approx(1.0)
    assert units.ha_to_mu(1) == 15
    assert units.km2_to_mu(3.3) == pytest.approx(4950.0)


def test_arrays_and_round_trip():
    a = np.array([0.0, 666.6666667, 10000.0])
    np.testing.assert_allclose(units.mu_to_m2(units.m2_to_mu(a)), a)
    np.testing.assert_allclose(units.m2_to_ha(units.ha_to_m2(a)), a)


@pytest.mark.parametrize("value,frm,to,expected", [
    (2, "公顷", "亩", 30.0), (30, "mu", "ha", 2.0), (1, "平方公里", "m2", 1e6), (1500, "亩", "km2", 1.0),
])
def test_convert_area(value, frm, to, expected):
    assert units.convert_area(value, frm, to) == pytest.approx(expected)


def test_convert_area_unknown_unit():
    with pytest.raises(ValueError, match="unknown area unit"):
        units.convert_area(1, "acre", "m2")

"""Local / global p-values from background ensembles."""

import numpy as np
import pytest
from bayesnu.inference.pvalues import BandEnsembles, global_pvalue, local_pvalue, pvalue_to_sigma

from bayesnu.errors import InputError
from bayesnu.flare.trials import dec_band_edges


def test_local_pvalue_counts():
    bg = np.arange(99.0)  # 0..98
    assert local_pvalue(98.0, bg) == pytest.approx(2 / 100)
    assert local_pvalue(1000.0, bg) == pytest.approx(1 / 100)
    assert local_pvalue(-1.0, bg) == pytest.approx(1.0)
    with pytest.raises(InputError):
        local_pvalue(1.0, np.empty(0))


def test_band_edges_and_lookup():
    e = dec_band_edges()
    assert e.shape == (81, 2)
    np.testing.assert_allclose(e[0], [-81, -79])
    np.testing.assert_allclose(e[40], [-1, 1])
    rng = np.random.default_rng(0)
    ens = BandEnsembles(e, [rng.normal(size=200) + i for i in range(81)])
    assert ens.band_of(np.array([-80.4, 0.2, 79.9, 85.0])).tolist() == [0, 40, 80, -1]
    p = ens.pvalues(np.array([100.0, -100.0, 0.0]), np.array([0.0, 0.0, 85.0]))
    assert p[0] == pytest.approx(1 / 201) and p[1] == pytest.approx(1.0) and np.isnan(p[2])


def test_global_pvalue_and_sigma():
    hot = np.linspace(1e-4, 1e-2, 99)
    assert global_pvalue(1e-5, hot) == pytest.approx(1 / 100)
    assert global_pvalue(1.0, hot) == pytest.approx(1.0)
    assert pvalue_to_sigma(2.87e-7) == pytest.approx(5.0, abs=0.01)

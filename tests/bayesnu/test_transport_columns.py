"""Many initial spectra through the redshift solver at once == one solve per spectrum (issue 11)."""

import numpy as np
import pytest

from bayesnu.transport import (
    ConstantDensity,
    Neutrinos,
    Propagator,
    Redshift,
    SolverOptions,
    StepControl,
)
from bayesnu.transport.solvers import redshift_propagate, redshift_propagate_columns

ETAS = np.array([0.0, 1e10, 1e12, 3e13, 1e14, 3e14, 1e15, 1e16, 1e300])
GAMMAS = np.array([1.0, 2.0, 2.6, 3.4])


def _close(table, single):
    """|table - single| <= 1e-10 |single| (+ 1e-14 of the row maximum for entries near zero)."""
    scale = np.max(np.abs(single), axis=-1, keepdims=True)
    return np.all(np.abs(table - single) <= 1e-10 * np.abs(single) + 1e-14 * scale)


@pytest.mark.parametrize("tol", [1e-8, 1e-4])
def test_table_equals_single_redshift_solves(tol):
    prop = Propagator(Redshift(0.3365), Neutrinos(m_lightest=0.0342),
                      SolverOptions(1e2, 1e10, 90, step=StepControl(tol=tol)))
    table = prop.numu_flux_table(ETAS, GAMMAS, max_columns=7)  # several passes
    single = np.array([[prop.numu_flux(e, g) for g in GAMMAS] for e in ETAS])
    assert table.shape == (ETAS.size, GAMMAS.size, prop.N)
    assert np.all(np.isfinite(table))
    assert _close(table, single)
    # the overdensities matter (the comparison is not between free spectra)
    assert np.max(np.abs(table[4] - table[0])) > 1e-3 * np.max(table[0])
    assert np.all(table[-1] == 0.0)  # absorbed


def test_columns_equal_redshift_propagate_for_any_spectra():
    prop = Propagator(Redshift(0.6), Neutrinos(m_lightest=0.05), SolverOptions(1e3, 1e8, 60))
    rng = np.random.default_rng(3)
    k = 5
    x1 = rng.uniform(0.1, 1.0, (prop.work_grid.nbins, 3, k)) * prop.initial_state(2.0)[0][:, :, None]
    etas = np.array([0.0, 1e12, 1e14, 1e15, 4e15])
    for scheme in ("eigen", "be"):
        eig = prop._eig if scheme == "eigen" else None
        cols = redshift_propagate_columns(prop.op, x1, prop.z, etas, prop.n0, prop.cosmology,
                                          floor=prop.floor, scheme=scheme, eig=eig)
        for j in range(k):
            x, _ = redshift_propagate(prop.op, np.ascontiguousarray(x1[:, :, j]), prop.z, etas[j], prop.n0,
                                      prop.cosmology, floor=prop.floor, scheme=scheme, eig=eig)
            assert _close(cols[:, :, j].T, x.T), (scheme, j)
        assert not np.allclose(cols[:, :, 3], x1[:, :, 3])


def test_columns_reject_bad_shape():
    prop = Propagator(Redshift(0.3), options=SolverOptions(1e3, 1e7, 30))
    with pytest.raises(ValueError, match="X1 must have shape"):
        redshift_propagate_columns(prop.op, np.ones((prop.work_grid.nbins, 3)), prop.z, [1e12], prop.n0,
                                   prop.cosmology)


def test_table_constant_density_equals_grid():
    prop = Propagator(ConstantDensity(14.0), options=SolverOptions(1e2, 1e10, 60))
    etas = np.array([0.0, 1e15, 1e17, 1e18])
    table = prop.numu_flux_table(etas, GAMMAS)
    for j, g in enumerate(GAMMAS):
        assert _close(table[:, j], prop.numu_flux_grid(etas, g))

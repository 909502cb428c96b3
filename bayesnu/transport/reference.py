"""Independent brute-force reference for the no-redshift Standard-Model transport.

Used to validate the binned solvers (tests and ``benchmarks/validate_transport.py``).
It shares nothing with them but the pointwise cross sections: point values on a
fine log-energy grid (``sub`` intervals per bin), the regeneration integral by the
trapezoid rule in ln E', classical RK4 in optical depth, and Simpson bin averages.
Its cost is O(nsteps * (3 n_bins sub)^2): meant for small grids.
"""

from __future__ import annotations

import numpy as np

from bayesnu.transport.xsec import sigma_matrix, sm_kernel_coefficients


def brute_force_ratio(masses: np.ndarray, U: np.ndarray, w0: np.ndarray, gamma: float,
                      tau: float, edges: np.ndarray, sub: int = 4,
                      nsteps: int = 100) -> np.ndarray:
    """Propagated / initial flux per bin and mass state, shape (n_bins, 3).

    Parameters
    ----------
    masses, U
        Neutrino masses (eV) and PMNS matrix.
    w0
        Initial mass-state weights of the E^-gamma flux.
    gamma
        Spectral index.
    tau
        Relic column density n0 * eta * d in cm^-2 (the cross sections are in cm^2).
    edges
        Energy bin edges, GeV.
    sub
        Fine intervals per bin (even; Simpson needs 4 for its 5 points).
    nsteps
        RK4 steps in tau.
    """
    nb = edges.size - 1
    E = np.geomspace(edges[0], edges[-1], nb * sub + 1)
    M = E.size
    lam = sigma_matrix(E, masses, U).sum(axis=1).T
    C = sm_kernel_coefficients(masses)
    h = np.log(E[1] / E[0])
    X = E[:, None] / E[None, :]
    wt = h * E[None, :] * np.triu(np.ones((M, M)))
    wt[np.arange(M), np.arange(M)] *= 0.5
    wt[:, -1] *= 0.5
    wt[-1, -1] = 0.0
    P = np.stack([np.ones_like(X), X, X**2], axis=-1) * wt[..., None]
    G = np.einsum("kmp,jip->kimj", P, C).reshape(3 * M, 3 * M)
    L = lam.reshape(-1)
    x = ((E**-gamma)[:, None] * w0[None]).reshape(-1)
    x0 = x.copy()
    dt = tau / nsteps

    def f(y):
        return -L * y + G @ y

    for _ in range(nsteps):
        k1 = f(x)
        k2 = f(x + dt / 2 * k1)
        k3 = f(x + dt / 2 * k2)
        k4 = f(x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    ws = np.array([1.0, 4.0, 2.0, 4.0, 1.0])

    def binavg(y):
        y = y.reshape(M, 3)
        return np.array([(ws[:, None] * y[n * sub:n * sub + 5] * E[n * sub:n * sub + 5, None]).sum(0)
                         for n in range(nb)])

    return binavg(x) / binavg(x0)

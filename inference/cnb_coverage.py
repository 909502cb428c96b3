"""Coverage of the Wilks upper limit on eta by pseudo-experiments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from bayesnu.inference.cnb import column_mpc, eta_grid_for_column, eta_profile, inject_overdensity

from bayesnu.ops.spectrum import CnbSource

__all__: list[str] = []

__all__ += ["limit_coverage"]


def limit_coverage(source: CnbSource, propagator, etas: Sequence[float], n_trials: int,
                   ns: float, gamma: float, rng: np.random.Generator,
                   log10_eta: np.ndarray | None = None, cl: float = 0.9,
                   progress: bool = False) -> dict[str, Any]:
    """Coverage of the Wilks upper limit by pseudo-experiments.

    For each true eta: ``n_trials`` RA-scrambled copies of the data with ``ns`` signal events
    (Poisson mean) of the spectrum propagated at that eta (:func:`inject_overdensity`); the
    limit covers when ``eta_limit >= eta_true``. For a correct 90% limit the fraction is
    about 0.9 (binomial error ``sqrt(0.09 / n_trials)``).
    """
    x = eta_grid_for_column(column_mpc(propagator.geometry), 60) if log10_eta is None \
        else np.asarray(log10_eta, dtype=np.float64)
    out: dict[str, Any] = {"cl": cl, "n_trials": int(n_trials), "ns": ns, "gamma": gamma,
                           "per_eta": []}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(etas) * n_trials, desc="coverage", unit="trial", leave=False)
    for eta in etas:
        lims = []
        for _ in range(int(n_trials)):
            cs, _ = inject_overdensity(rng, source, propagator, float(eta), gamma, ns)
            lims.append(eta_profile(cs, propagator, x).limit(cl))
            if bar is not None:
                bar.update(1)
        lims = np.array(lims)
        cov = float(np.mean(lims >= eta))
        out["per_eta"].append({"eta": float(eta), "coverage": cov,
                               "binomial_error": float(np.sqrt(cov * (1 - cov) / len(lims))),
                               "median_limit": float(np.median(lims))})
    if bar is not None:
        bar.close()
    return out

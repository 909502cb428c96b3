"""The flare likelihood Op far below the sigma_t prior: finite value and gradient, or -inf; never NaN
(issue 10, physics edge cases; the Ops' convention for log-densities)."""

import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from bayesnu.models.flare import flare_setup

from bayesnu.ops import LogLikeOp, PerEventLogLikeOp

RA, DEC = 77.3582, 5.69315
SIGMAS = (1e-300, 1e-150, 1e-20, 1e-11)


@pytest.fixture(scope="module")
def graphs(txs_ic86b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lik = flare_setup(txs_ic86b, RA, DEC)[1]
    args = [pt.dscalar(n) for n in ("ns", "gamma", "t0", "sigma_t")]
    total = LogLikeOp(lik)(*args)[0]
    per_event = PerEventLogLikeOp(lik)(*args)[0].sum()
    fns = [pytensor.function(args, [v, pt.stack(pytensor.grad(v, args))])
           for v in (total, per_event)]
    # T0 on the event with the largest spatial S/B (the event stays inside the flare), and
    # T0 between events (every event is infinitely many widths away)
    t_event = float(lik.data.t[np.argmax(lik.data.log_sob_space)])
    return fns, (t_event, t_event + 0.37)


@pytest.mark.parametrize("sigma_t", SIGMAS)
def test_tiny_sigma_t_gives_finite_gradient_or_minus_inf(graphs, sigma_t):
    fns, t0s = graphs
    for f in fns:
        for t0 in t0s:
            for ns in (0.0, 3.0, 9.0):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    v, g = f(ns, 2.2, t0, sigma_t)
                v, g = float(v), np.asarray(g, dtype=float)
                assert not np.isnan(v) and not np.any(np.isnan(g)), (t0, ns, v, g)
                assert v == -np.inf or (np.isfinite(v) and np.all(np.isfinite(g))), (t0, ns, v, g)


@pytest.mark.parametrize("sigma_t", SIGMAS)
def test_engine_gaussian_pdf_gradient_has_no_nan(txs_ic86b, sigma_t):
    """The likelihood engine's Gaussian flare PDF (bayesnu.pdfs.temporal): same convention."""
    from bayesnu.flare.temporal import GaussianFlarePDF

    tp = GaussianFlarePDF(txs_ic86b.uptime)
    t = np.sort(txs_ic86b.time[:50])
    for t0 in (t[3], t[3] + 0.37):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pdf, g = tp.signal(t, np.array([t0, sigma_t]))
        assert not np.any(np.isnan(pdf)) and not np.any(np.isnan(g))
        far = np.abs(t - t0) > 1e-3
        assert np.all(pdf[far] == 0) and np.all(g[:, far] == 0)

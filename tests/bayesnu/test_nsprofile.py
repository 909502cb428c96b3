"""The one ns-profile solver (bayesnu.likelihood.nsprofile.newton_ns) against an
independent root finder (scipy's brentq on the derivative of the profile, written
out here in numpy), for one sample (the flare analysis) and several samples with
signal fractions (the point-source fits), at the ns = 0 boundary and at the
support limit."""

import numpy as np
import pytest
from scipy.optimize import brentq

from bayesnu.likelihood.nsprofile import newton_ns


def _pack(samples):
    """samples: list of (x, n_other, n_total, frac[, s1, s2]) -> kernel arguments."""
    x = np.concatenate([np.asarray(s[0], dtype=float) for s in samples])
    ptr = np.concatenate([[0], np.cumsum([len(s[0]) for s in samples])]).astype(np.int64)
    col = [np.array([float(s[i]) for s in samples]) for i in (1, 2, 3)]
    s1 = np.array([float(s[4]) if len(s) > 4 else 0.0 for s in samples])
    s2 = np.array([float(s[5]) if len(s) > 5 else 0.0 for s in samples])
    return x, ptr, col[0], col[1], col[2], s1, s2, np.empty((2, x.size))


def _llr(ns, samples):
    """log L/L0 at ns, in numpy (the formula of the module docstring)."""
    v = 0.0
    for s in samples:
        x, m, n, f = (np.asarray(s[0], dtype=float), *map(float, s[1:4]))
        s1, s2 = (float(s[4]), float(s[5])) if len(s) > 4 else (0.0, 0.0)
        b = ns * f / n
        v += np.sum(np.log1p(b * (x - 1.0))) + m * np.log1p(-b) + b * s1 - 0.5 * b * b * s2
    return v


def _dllr(ns, samples):
    """d log L/L0 / d ns, in numpy."""
    d = 0.0
    for s in samples:
        x, m, n, f = (np.asarray(s[0], dtype=float), *map(float, s[1:4]))
        s1, s2 = (float(s[4]), float(s[5])) if len(s) > 4 else (0.0, 0.0)
        u = f * (x - 1.0)
        d += np.sum(u / (n + ns * u)) - m * f / (n - ns * f) + f * (s1 - ns * f / n * s2) / n
    return d


def _support(samples):
    """Largest ns with every term finite (open limit)."""
    lim = np.inf
    for s in samples:
        x, _, n, f = (np.asarray(s[0], dtype=float), *map(float, s[1:4]))
        lim = min(lim, n / f)
        neg = x < 1.0
        if neg.any():
            lim = min(lim, np.min(n / (f * (1.0 - x[neg]))))
    return lim


def _reference(samples):
    """(ns, llr) by brentq on the derivative; ns = 0 when the slope at 0 is <= 0."""
    if _dllr(0.0, samples) <= 0.0:
        return 0.0, 0.0
    top = _support(samples) * (1.0 - 1e-12)
    assert _dllr(top, samples) < 0.0  # the root is inside the support
    ns = brentq(_dllr, 0.0, top, args=(samples,), xtol=1e-14, rtol=1e-14, maxiter=500)
    return ns, _llr(ns, samples)


def _solve(samples, **kw):
    kw = {"ns0": 0.0, "ns_max": np.inf, "max_iter": 200, "tol": 1e-12} | kw
    return newton_ns(*_pack(samples), kw["ns0"], kw["ns_max"], kw["max_iter"], kw["tol"])


def _sample(rng, n_in, n_total, frac, signal=0, scale=1.0):
    """S/B ratios of ``n_in`` events with a signal PDF out of ``n_total``: log-normal
    background-like ratios summing to ``scale * n_total`` (the signal PDF integrates to 1
    over the sample, the others have S/B = 0), plus ``signal`` events ~20x above them."""
    x = np.exp(rng.normal(0.0, 1.0, n_in))
    x *= scale * n_total / x.sum()
    x[:signal] = n_total / n_in * np.exp(rng.normal(3.0, 0.5, signal))
    return (x, n_total - n_in, n_total, frac)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_sample_matches_brentq(seed):
    rng = np.random.default_rng(seed)
    samples = [_sample(rng, 400, 50_000, 1.0, signal=5 + 3 * seed)]
    ref_ns, ref_llr = _reference(samples)
    ns, llr = _solve(samples)
    assert ref_ns > 1.0
    assert ns == pytest.approx(ref_ns, rel=1e-9)
    assert llr == pytest.approx(ref_llr, rel=1e-11)
    # from a start far from the answer (the point-source warm start), same answer
    ns2, llr2 = _solve(samples, ns0=0.01 * ref_ns)
    assert ns2 == pytest.approx(ref_ns, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_several_samples_with_fractions_match_brentq(seed):
    rng = np.random.default_rng(10 + seed)
    frac = rng.dirichlet([2.0, 2.0, 2.0])
    samples = [_sample(rng, 300, 30_000, frac[0], signal=6),
               _sample(rng, 150, 8_000, frac[1], signal=2),
               _sample(rng, 500, 120_000, frac[2], signal=4)]
    ref_ns, ref_llr = _reference(samples)
    ns, llr = _solve(samples)
    assert ref_ns > 1.0
    assert ns == pytest.approx(ref_ns, rel=1e-9)
    assert llr == pytest.approx(ref_llr, rel=1e-11)
    # a sample with no signal fraction contributes nothing
    ns3, llr3 = _solve(samples + [_sample(rng, 50, 1_000, 0.0, signal=3)])
    assert ns3 == pytest.approx(ns, rel=1e-12)
    assert llr3 == pytest.approx(llr, rel=1e-12)


def test_low_sb_expansion_matches_brentq():
    """The second-order summary of low-S/B events (flare ranking) is solved exactly."""
    rng = np.random.default_rng(5)
    x, m, n, f = _sample(rng, 200, 20_000, 1.0, signal=8)
    small = np.exp(rng.normal(-4.0, 1.0, 3_000))
    d = small - 1.0
    samples = [(x, m - small.size, n, f, d.sum(), (d * d).sum())]
    ref_ns, ref_llr = _reference(samples)
    ns, llr = _solve(samples)
    assert ns == pytest.approx(ref_ns, rel=1e-9)
    assert llr == pytest.approx(ref_llr, rel=1e-11)


@pytest.mark.parametrize("k", [1, 3])
def test_zero_boundary(k):
    """No excess: the slope at 0 is negative and the answer is ns = 0, log L/L0 = 0."""
    rng = np.random.default_rng(20 + k)
    frac = np.full(k, 1.0 / k)
    samples = [_sample(rng, 300, 10_000, frac[j], scale=0.2) for j in range(k)]
    assert _dllr(0.0, samples) < 0.0
    assert _solve(samples) == (0.0, 0.0)
    assert _solve(samples, ns0=3.0) == (0.0, 0.0)


@pytest.mark.parametrize("k", [1, 3])
def test_support_limit(k):
    """Events with x = 0 put the support limit next to the optimum; a start outside the
    support is ignored, and the iterates stay where the log-likelihood is finite."""
    rng = np.random.default_rng(30 + k)
    frac = np.full(k, 1.0 / k)
    samples = []
    for j in range(k):
        x = np.exp(rng.normal(4.0, 0.5, 60))  # strong excess ...
        x[:3] = 0.0  # ... and events with zero signal PDF inside the sample
        samples.append((x, 0, 200, frac[j]))
    lim = _support(samples)
    ref_ns, ref_llr = _reference(samples)
    assert 0.5 * lim < ref_ns < lim  # the optimum is close to the support limit
    for ns0 in (0.0, 2.0 * lim, 0.999999 * lim):
        ns, llr = _solve(samples, ns0=ns0)
        assert ns == pytest.approx(ref_ns, rel=1e-9)
        assert np.isfinite(llr) and llr == pytest.approx(ref_llr, rel=1e-11)


@pytest.mark.parametrize("k", [1, 3])
def test_upper_limits(k):
    """Every event above background and none outside: log L/L0 grows up to ns F_k = N_k,
    where the solver stops (relative margin 1e-9); ``ns_max`` bounds it likewise."""
    rng = np.random.default_rng(40 + k)
    frac = np.arange(1.0, k + 1.0) / np.sum(np.arange(1.0, k + 1.0))
    samples = [(1.0 + np.exp(rng.normal(1.0, 0.5, 40)), 0, 40 + 10 * j, frac[j])
               for j in range(k)]
    assert _dllr(_support(samples) * (1.0 - 1e-9), samples) > 0.0
    lim = min(s[2] / s[3] for s in samples) * (1.0 - 1e-9)
    ns, llr = _solve(samples)
    assert ns == pytest.approx(lim, rel=1e-10) and ns < lim
    assert llr == pytest.approx(_llr(ns, samples), rel=1e-11)
    ns, llr = _solve(samples, ns_max=0.3 * lim)
    assert ns == pytest.approx(0.3 * lim, rel=1e-10) and ns < 0.3 * lim
    assert llr == pytest.approx(_llr(ns, samples), rel=1e-11)


def test_one_solver_serves_flare_and_point_source():
    """The flare analysis (search, refinement, scan pruning bound) and the point-source
    trials call this very function."""
    import bayesnu.flare._kernels as flare_kernels
    import bayesnu.flare._refine as flare_refine
    import bayesnu.flare.prune as flare_prune
    import bayesnu.likelihood.trial as trial

    assert flare_kernels.newton_ns is newton_ns
    assert flare_refine.newton_ns is newton_ns
    assert flare_prune.newton_ns is newton_ns  # the scan's pruning bound
    assert trial.newton_ns is newton_ns

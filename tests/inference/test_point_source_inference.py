"""fit / profile / sample / evidence / trials / diagnostics / serialisation on a small
simulated sample, plus golden real-data fits."""

import warnings

import numpy as np
import pytest
from bayesnu.inference import (
    DiagnosticWarning,
    EvidenceResult,
    FitResult,
    ProfileResult,
    background_trials,
    bayes_factor,
    diagnose,
    evidence,
    fit,
    load_idata,
    posterior_summary,
    profile,
    sample,
    save_idata,
    wilks_comparison,
    wilks_interval,
)
from bayesnu.models.pointsource import Prior, point_source_model

from bayesnu.likelihood import LikelihoodSetup
from bayesnu.likelihood.synthetic import synthetic_sample


@pytest.fixture(scope="module")
def psm(injected_synthetic, synthetic_source, synthetic_setup_kwargs):
    s = injected_synthetic(21, 5000, "A", 25)  # simulated (tests/conftest.py)
    su = LikelihoodSetup(s, synthetic_source, **synthetic_setup_kwargs)
    return point_source_model(su, priors={"ns": Prior("uniform", 0.0, 200.0)})


def test_fit_finds_signal_and_roundtrips(psm, tmp_path):
    r = fit(psm)
    assert r.success and r.ts > 25
    assert 10 < r.ns < 45 and 1.5 < r.gamma < 2.6
    # best fit is a maximum: gradient ~ 0 in the interior
    _, g = psm.likelihood.evaluate([r.ns, r.gamma])
    assert np.all(np.abs(g) < 1e-3)
    r2 = FitResult.from_json(r.to_json(tmp_path / "fit.json"))
    assert r2.params == r.params and r2.ts == r.ts
    # fixed parameters
    rf = fit(psm, fixed={"gamma": 3.0})
    assert rf.params["gamma"] == 3.0 and rf.ts < r.ts


def test_profile_and_wilks_interval(psm, tmp_path):
    pr = profile(psm, "ns", n_points=25)
    d = np.array(pr.delta_ts)
    assert -1e-6 <= d.min() < 0.5 and d.max() > 2.71
    lo, hi = pr.interval(0.9)
    best = pr.best["params"]["ns"]
    assert lo < best < hi
    lo68, hi68 = pr.interval(0.68)
    assert lo < lo68 < hi68 < hi
    pr2 = ProfileResult.from_json(pr.to_json(tmp_path / "p.json"))
    assert pr2.intervals == pr.intervals
    # wilks_interval on an exact parabola
    x = np.linspace(-3, 3, 601)
    lo, hi, lo_open, hi_open = wilks_interval(x, x**2, 0.9)
    assert lo == pytest.approx(-1.6449, abs=2e-3) and hi == pytest.approx(1.6449, abs=2e-3)
    assert not lo_open and not hi_open


@pytest.mark.slow
def test_sample_log_likelihood_and_diagnostics(psm, tmp_path):
    idata = sample(psm, draws=300, tune=300, chains=2, seed=3)
    assert "log_likelihood" in idata.groups()
    ll = idata.log_likelihood["events"]
    assert ll.shape == (2, 300, psm.likelihood.n_out)
    summ = posterior_summary(idata, ["ns", "gamma"])
    assert 8 < summ["ns"]["mean"] < 50 and summ["ns"]["hdi"][0] < summ["ns"]["hdi"][1]
    rep = diagnose(idata, ["ns", "gamma"], ess_min=50, warn=False)
    assert rep["rhat"]["ns"] < 1.05 and rep["n_draws"] == 300
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        diagnose(idata, ["ns"], ess_min=1e9)
    assert any(issubclass(x.category, DiagnosticWarning) for x in w)
    from bayesnu.inference.plots import overlay_plot, pair_plot, profile_plot, trace_plot

    pr = profile(psm, "ns", n_points=15)
    for fn, args in ((trace_plot, (idata, ["ns", "gamma"])), (pair_plot, (idata, ["ns", "gamma"])),
                     (profile_plot, (pr,)), (overlay_plot, (idata, pr))):
        path = tmp_path / f"{fn.__name__}.png"
        fn(*args, path=path)
        assert path.stat().st_size > 1000
    save_idata(idata, tmp_path / "post.nc")
    back = load_idata(tmp_path / "post.nc")
    np.testing.assert_allclose(back.posterior["ns"].values, idata.posterior["ns"].values)


@pytest.mark.slow
def test_evidence_and_bayes_factor(psm, tmp_path):
    ev = evidence(psm, n_live=200, n_eff=500, seed=1)
    assert ev.log_z > 5  # strong signal: the signal model is strongly preferred
    assert 0 < ev.log_z_err < 0.2
    assert ev.posterior["ns"]["q05"] < fit(psm).ns < ev.posterior["ns"]["q95"]
    # Laplace-style cross-check: ln Z ~ logL_max - ln(prior volume) + ln(posterior volume)
    r = fit(psm)
    assert ev.log_z < r.logl
    ev0 = evidence(psm, fixed={"ns": 0.0})
    assert ev0.log_z == 0.0
    lnb, err = bayes_factor(ev, ev0)
    assert lnb == ev.log_z and err == ev.log_z_err
    back = EvidenceResult.from_json(ev.to_json(tmp_path / "ev.json"))
    assert back.log_z == ev.log_z


def test_background_trials_and_wilks(psm, synthetic_source, synthetic_setup_kwargs):
    su = LikelihoodSetup(synthetic_sample(np.random.default_rng(2), 5000, name="B"),
                         synthetic_source, **synthetic_setup_kwargs)
    tr = background_trials(su, 30, rng=4)
    ts = np.array(tr.ts)
    assert ts.size == 30 and np.all(ts >= 0)
    assert np.median(ts) < 1.5
    tr2 = background_trials(su, 30, rng=4)
    np.testing.assert_allclose(tr2.ts, tr.ts)  # same seed -> same trials
    w = wilks_comparison(np.concatenate([np.zeros(500), np.random.default_rng(0).chisquare(1, 500)]))
    assert w["eta"] == pytest.approx(0.5, abs=0.01)
    assert w["ndof"] == pytest.approx(1.0, abs=0.15)
    assert w["tails"]["0.01"]["observed_fraction"] == pytest.approx(0.01, abs=0.008)


def test_one_dimensional_evidence_by_quadrature(psm):
    """gamma fixed: ln Z by quadrature equals a brute-force trapezoid over ns."""
    ev = evidence(psm, fixed={"gamma": 2.0})
    ns = np.linspace(0.0, 200.0, 40001)
    ll = psm.likelihood.ns_scan(2.0, ns)
    m = ll.max()
    ref = m + np.log(np.trapezoid(np.exp(ll - m), ns) / 200.0)
    assert ev.log_z == pytest.approx(ref, abs=1e-4)
    assert ev.fixed == {"gamma": 2.0} and "ns" in ev.posterior

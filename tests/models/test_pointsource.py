"""Point-source model builder: priors, CustomDist per-event logp equals the kernel."""

import numpy as np
import pymc as pm
import pytest
from bayesnu.models.pointsource import Prior, add_point_source, ns_upper_bound, point_source_model

from bayesnu.errors import InputError
from bayesnu.likelihood import LikelihoodSetup


@pytest.fixture(scope="module")
def setup(injected_synthetic, synthetic_source, synthetic_setup_kwargs):
    s = injected_synthetic(5, 4000, "A", 15)  # simulated (tests/conftest.py)
    return LikelihoodSetup(s, synthetic_source, **synthetic_setup_kwargs)


def test_default_priors_and_model_logp_matches_kernel(setup):
    psm = point_source_model(setup)
    L = psm.likelihood
    assert psm.priors["ns"].kind == "uniform" and psm.priors["ns"].lower == 0.0
    assert psm.priors["ns"].upper == pytest.approx(ns_upper_bound(L))
    assert (psm.priors["gamma"].lower, psm.priors["gamma"].upper) == (1.0, 4.0)
    m = psm.model
    # observed logp of the model = kernel total (per-event entries summed)
    f = m.compile_fn(m.logp(vars=m.observed_RVs, jacobian=False, sum=True),
                     inputs=m.value_vars, on_unused_input="ignore")
    pt_ = {"ns_interval__": np.log(7.0 / (psm.priors["ns"].upper - 7.0)),
           "gamma_interval__": np.log((2.4 - 1.0) / (4.0 - 2.4))}
    assert float(f(pt_)) == pytest.approx(L([7.0, 2.4]), rel=1e-10)
    # pointwise
    pw = m.compile_fn(m.logp(vars=m.observed_RVs, jacobian=False, sum=False)[0],
                      inputs=m.value_vars, on_unused_input="ignore")(pt_)
    assert pw.shape == (L.n_out,)
    np.testing.assert_allclose(pw, L.per_event([7.0, 2.4])[0], rtol=1e-12)


def test_prior_overrides_params_and_potential(setup):
    with pm.Model() as m:
        g = pm.Normal("shared_gamma", 2.5, 0.3)
        psm = add_point_source(setup, priors={"ns": Prior("loguniform", 0.1, 100.0)},
                               params={"gamma": g}, name="src_", per_event=False)
    assert psm.model is m
    assert "src_ns" in m.named_vars and "log_src_ns" in m.named_vars
    assert psm.var_names["gamma"] == "shared_gamma"
    assert len(m.potentials) == 1 and not m.observed_RVs
    with pytest.raises(InputError):
        Prior("uniform", 2.0, 1.0)
    with pytest.raises(InputError):
        Prior("loguniform", 0.0, 1.0)
    with pytest.raises(InputError):
        Prior("halfflat", 0.0).transform(np.array([0.5]))
    np.testing.assert_allclose(Prior("loguniform", 1.0, 100.0).transform(np.array([0.5])), 10.0)


def test_absolute_per_event_entries(setup):
    rel = point_source_model(setup)
    ab = point_source_model(setup, absolute=True)
    L = ab.likelihood
    vals_rel = rel.likelihood.per_event([5.0, 2.0])[0]
    vals_abs = L.per_event([5.0, 2.0], include_constants=True)[0]
    t = L.terms[0]
    np.testing.assert_allclose(vals_abs[:-1] - vals_rel[:-1], t.log_bkg, rtol=1e-12)
    assert vals_abs[-1] - vals_rel[-1] == pytest.approx(t.log_bkg_rest)
    with pytest.raises(InputError):
        add_point_source(rel.likelihood, model=pm.Model(), absolute=True)

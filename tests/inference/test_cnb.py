"""CnuB overdensity analysis: TS(eta) profile, limits, recovery on simulated data, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bayesnu.inference.cnb import (
    cnb_data,
    cnb_geometry,
    cnb_propagator,
    cnb_source,
    combine_profiles,
    eta_profile,
    inject_overdensity,
    upper_limit,
)

from bayesnu.errors import InputError
from bayesnu.sources import SOURCES
from bayesnu.transport import ConstantDensity

SRC = SOURCES["TXS 0506+056"]


@pytest.fixture(scope="module")
def txs():
    ds, _ = cnb_data("txs0506:IC86b+IC86c", "TXS 0506+056")
    prop = cnb_propagator(ConstantDensity(14.0), bins=80)
    return cnb_source(ds, SRC, prop), prop


@pytest.fixture(scope="module")
def injected(txs):
    """Signal with the spectrum propagated at eta = 3e17 over 14 Mpc (SIMULATED events)."""
    cs, prop = txs
    return inject_overdensity(np.random.default_rng(3), cs, prop, 3e17, 2.0, 200.0)


def test_ts_vanishes_as_eta_goes_to_zero(txs):
    cs, prop = txs
    p = eta_profile(cs, prop, np.linspace(-5.0, 3.0, 9))
    assert np.all(np.abs(p.ts) < 1e-8)
    assert p.ts_pl > 0 and np.all(np.isfinite(p.ns)) and np.all(np.isfinite(p.gamma))


def test_limit_scales_with_eta_times_distance(injected, txs):
    cs_inj, _ = injected
    grid = np.linspace(15.0, 19.0, 33)
    p14 = cnb_propagator(ConstantDensity(14.0), bins=80)
    p10k = cnb_propagator(ConstantDensity(0.01), bins=80)
    a = eta_profile(cs_inj, p14, grid)
    b = eta_profile(cs_inj, p10k, grid + np.log10(1400.0))
    assert np.isfinite(a.limit(0.9))
    assert b.limit(0.9) / a.limit(0.9) == pytest.approx(1400.0, rel=1e-9)
    assert np.max(np.abs(a.ts - b.ts)) < 1e-9


def test_injected_overdensity_is_recovered(injected):
    cs_inj, info = injected
    prop = cnb_propagator(ConstantDensity(14.0), bins=80)
    p = eta_profile(cs_inj, prop, np.linspace(15.0, 19.0, 33))
    assert not np.any(np.isnan(p.ts))
    i = int(np.argmin(p.ts))
    truth = np.log10(3e17)
    # the no-interaction hypothesis is disfavoured beyond 90% (TS_min < -2.71) ...
    assert p.ts[i] < -2.71
    # ... and the injected eta lies inside the 90% interval around the best fit
    inside = p.log10_eta[(p.ts - p.ts[i]) < 2.705543454095404]
    assert inside.min() <= truth <= inside.max()
    assert abs(p.log10_eta[i] - truth) < 0.5


def test_upper_limit_and_combination():
    x = np.linspace(10, 20, 101)
    ts = np.clip(x - 15.0, 0, None)  # crosses 2.7055 at 17.7055
    assert np.log10(upper_limit(x, ts, 0.9)) == pytest.approx(17.7055, abs=1e-3)
    assert upper_limit(x, np.minimum(ts, 2.0), 0.9) == np.inf
    with pytest.raises(InputError):
        upper_limit(x, ts * np.nan, 0.9)
    from bayesnu.inference.cnb import EtaProfile

    p = EtaProfile(x, ts, x * 0, x * 0, 5.0, 1.0, 2.0, {"source": "a"})
    c = combine_profiles([p, p])
    assert np.allclose(c.ts, 2 * ts) and c.limit(0.9) < p.limit(0.9)


def test_crossing_only_where_absorbed_is_no_limit():
    """A curve whose plateau stays under the threshold and jumps only where the signal is
    absorbed gives no limit; a genuine crossing before the absorbed points is unchanged."""
    from bayesnu.inference.cnb import EtaProfile

    x = np.linspace(14, 21, 71)
    absorbed = x >= 20.0
    jump = np.where(absorbed, 30.0, np.clip(x - 15.0, 0, 2.0))  # plateau 2.0, jump to 30
    assert np.isfinite(upper_limit(x, jump, 0.9))  # without the mask: the artefact's limit
    assert upper_limit(x, jump, 0.9, absorbed=absorbed) == np.inf
    real = np.where(absorbed, 30.0, np.clip(x - 15.0, 0, 4.0))
    assert upper_limit(x, real, 0.9, absorbed=absorbed) == upper_limit(x, real, 0.9)
    a = EtaProfile(x, jump, x * 0, x * 0, 30.0, 1.0, 2.0, {"source": "a"}, absorbed)
    b = EtaProfile(x, x * 0, x * 0, x * 0, 0.0, 1.0, 2.0, {"source": "b"}, x >= 19.0)
    assert a.limit(0.9) == np.inf and a.eta_absorbed == pytest.approx(1e20)
    c = combine_profiles([a, b])
    assert c.eta_absorbed == pytest.approx(1e19) and c.limit(0.9) == np.inf
    assert a.to_dict()["eta_absorbed"] == pytest.approx(1e20)


def test_profile_flags_absorbed_etas(txs):
    """Events normalisation: etas where every gamma keeps < 1e-20 of its signal are flagged
    (a contiguous tail); the flux normalisation flags none (its plateau is physical)."""
    cs, prop = txs
    grid = np.linspace(12.0, 22.0, 21)
    pe = eta_profile(cs, prop, grid)
    assert pe.absorbed[0] == np.False_ and pe.absorbed[-1] == np.True_
    k = int(np.argmax(pe.absorbed))
    assert np.all(pe.absorbed[k:]) and not np.any(pe.absorbed[:k])
    assert np.max(cs.transmission(transport_ratio_at(cs, prop, grid[k]))) < 1e-20
    assert np.max(cs.transmission(transport_ratio_at(cs, prop, grid[k - 1]))) >= 1e-20
    pf = eta_profile(cs, prop, grid, normalisation="flux")
    assert not np.any(pf.absorbed)


def transport_ratio_at(cs, prop, log10_eta):
    from bayesnu.ops.spectrum import transport_ratio

    return transport_ratio(prop, np.array([10.0 ** log10_eta]), cs.gamma_grid)[0]


def test_bad_inputs():
    with pytest.raises(InputError, match="no known distance or redshift"):
        cnb_geometry("Mrk 421")
    with pytest.raises(InputError):
        cnb_geometry("NGC 1068", d_eff_mpc=-1.0)
    with pytest.raises(InputError, match="lightest neutrino mass"):
        cnb_propagator(cnb_geometry("NGC 1068"), m1=-0.1)


def _cli(capsys, argv):
    from bayesnu.cli import main

    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_limit_json_keys(capsys):
    rc, out, err = _cli(capsys, ["cnb", "limit", "--source", "TXS 0506+056", "--data",
                                 "txs0506:IC86b+IC86c", "--d-eff-mpc", "14", "--points", "12",
                                 "--bins", "60", "--json", "--quiet"])
    assert rc == 0, err
    d = json.loads(out)
    for k in ("eta_limit", "cl", "ts_curve", "per_source", "threshold"):
        assert k in d
    assert set(d["ts_curve"]) >= {"log10_eta", "ts"}
    assert len(d["ts_curve"]["ts"]) == 12 and None not in d["ts_curve"]["ts"]
    assert d["cl"] == 0.9


@pytest.mark.parametrize("argv,word", [
    (["cnb", "limit", "--source", "NGC 1068", "--m1", "-0.1"], "--m1"),
    (["cnb", "limit", "--source", "Mrk 421"], "--source"),
    (["cnb", "limit", "--source", "NGC 1068", "--d-eff-mpc", "0"], "--d-eff-mpc"),
    (["cnb", "profile", "--ra", "10"], "--source"),
    (["ps", "expected", "--source", "NGC 1068", "--phi0", "1e-14", "--seasons", "IC99"],
     "--seasons"),
])
def test_cli_bad_inputs_one_line(capsys, argv, word):
    rc, out, err = _cli(capsys, argv)
    assert rc == 2
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and word in lines[0]


def test_ps_expected_003_check(capsys):
    rc, out, err = _cli(capsys, ["ps", "expected", "--source", "NGC 1068", "--phi0", "2.66e-14",
                                 "--e0-gev", "1000", "--gamma", "3.37", "--seasons",
                                 "IC86_II-IC86_VII", "--json"])
    assert rc == 0, err
    d = json.loads(out)
    # the letter quotes 29.6 with the IC86_II area bin holding the source
    assert d["ns"] == pytest.approx(29.6, abs=0.2)
    assert d["livetime_days"] == pytest.approx(2198.9, abs=0.1)


def test_cli_scan_si_json(capsys):
    rc, out, err = _cli(capsys, ["cnb", "scan-si", "--source", "TXS 0506+056", "--data",
                                 "txs0506:IC86b+IC86c", "--d-eff-mpc", "14", "--n-m-phi", "2",
                                 "--n-g", "2", "--log10-g-min", "-1", "--bins", "60", "--json",
                                 "--quiet"])
    assert rc == 0, err
    d = json.loads(out)
    assert np.asarray(d["ts"]).shape == (2, 2) and d["threshold"] == pytest.approx(6.18, abs=0.01)
    assert not np.any(np.isnan(np.asarray(d["ts"], dtype=float)))


@pytest.mark.slow
def test_overdensity_model_logp_and_gradient(txs):
    """The PyMC model: finite logp and gradient (NUTS-ready), -inf outside the support."""
    import pymc as pm
    from bayesnu.models.cnb import add_overdensity

    cs, prop = txs
    with pm.Model() as m:
        cm = add_overdensity([cs], [prop])
    assert set(cm.priors) == {"ns0", "gamma0", "log10_eta"}
    f, df = m.compile_logp(), m.compile_dlogp()
    pt0 = m.initial_point()
    assert np.isfinite(f(pt0)) and np.all(np.isfinite(df(pt0)))
    with pm.Model() as m2:
        add_overdensity([cs], [prop], eta_prior="uniform", eta_range=(0.0, 1e17))
    assert np.isfinite(m2.compile_logp()(m2.initial_point()))
    with pytest.raises(InputError):
        add_overdensity([cs], [prop], eta_prior="flat")


def test_flux_normalisation_reaches_power_law_plateau(txs):
    """Flux normalisation: at large eta the fit is background only, TS -> TS of the power law."""
    cs, prop = txs
    grid = np.linspace(16.0, 21.0, 11)
    pf = eta_profile(cs, prop, grid, normalisation="flux")
    pe = eta_profile(cs, prop, grid, normalisation="events")
    assert pf.ts[-1] == pytest.approx(pf.ts_pl, abs=1e-6)
    assert np.all(pf.ts >= pe.ts - 1e-6)  # a capped ns can only lower the likelihood
    assert not np.any(np.isnan(pf.ts)) and not np.any(np.isnan(pf.ns))


def test_one_sided_and_paper_limits_on_a_known_curve():
    from bayesnu.inference.cnb import limit_threshold

    assert limit_threshold(0.9, "paper") == pytest.approx(2.705543, abs=1e-5)
    assert limit_threshold(0.9, "one-sided") == pytest.approx(1.642374, abs=1e-5)
    assert limit_threshold(0.95, "one-sided") == pytest.approx(2.705543, abs=1e-5)
    x = np.linspace(10.0, 22.0, 12001)
    ts = (x - 16.0) ** 2 - 3.0  # minimum -3 at 16: the data prefer eta = 1e16
    # paper: TS (relative to the power law) >= 2.7055 -> (x - 16)^2 = 5.7055
    assert np.log10(upper_limit(x, ts, 0.9)) == pytest.approx(16 + np.sqrt(5.705543), abs=1e-4)
    # one-sided: TS - TS_min >= 1.6424 -> (x - 16)^2 = 1.6424
    assert np.log10(upper_limit(x, ts, 0.9, "one-sided")) == pytest.approx(
        16 + np.sqrt(1.642374), abs=1e-4)
    # a curve >= 0 everywhere (minimum at eta = 0): one-sided and paper differ only in threshold
    ts0 = np.clip(x - 15.0, 0.0, None)
    assert np.log10(upper_limit(x, ts0, 0.9, "one-sided")) == pytest.approx(16.642374, abs=1e-4)
    with pytest.raises(InputError, match="convention"):
        upper_limit(x, ts, 0.9, "two-sided")


def test_profile_with_precomputed_ratios_and_chunks_is_identical(txs):
    """Precomputed transport ratios and the redshift chunking change nothing (bitwise)."""
    from bayesnu.inference.cnb import eta_ratio_table

    from bayesnu.transport import Redshift

    cs, prop = txs
    x = np.linspace(15.0, 19.0, 7)
    a = eta_profile(cs, prop, x)
    b = eta_profile(cs, prop, x, ratios=eta_ratio_table(cs, prop, x))
    assert np.array_equal(a.ts, b.ts) and np.array_equal(a.gamma, b.gamma)
    pz = cnb_propagator(Redshift(0.3365), bins=60)
    csz = cnb_source(cnb_data("txs0506:IC86b+IC86c", "TXS 0506+056")[0], SRC, pz)
    xz = np.linspace(12.5, 16.5, 10)
    z1 = eta_profile(csz, pz, xz, chunk=1)
    z2 = eta_profile(csz, pz, xz)  # default: 128 // 16 = 8 etas per transport call
    assert np.array_equal(z1.ts, z2.ts)
    with pytest.raises(InputError, match="ratio table"):
        eta_profile(cs, prop, x, ratios=np.ones((3, 2, 1)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_coverage_fast_decision_equals_full_profile_limit(txs, seed):
    """The fast coverage rule (minimum + TS at the truth) = upper_limit(...) >= truth."""
    from bayesnu.inference.cnb_coverage import coverage_trials

    cs, prop = txs
    x = np.linspace(14.0, 20.0, 13)
    kw = dict(source=cs, propagator=prop, eta_true=3e17, ns=60.0, gamma=2.5, log10_eta=x)
    fast = coverage_trials(np.random.default_rng(seed), 4, method="fast", **kw)
    full = coverage_trials(np.random.default_rng(seed), 4, method="profile", **kw)
    assert np.array_equal(fast["ts_true"], full["ts_true"])
    for conv in ("covers_paper", "covers_one_sided"):
        assert np.array_equal(fast[conv], full[conv])
    # one-sided (1.64 on TS - TS_min) never covers more than the paper's (2.71 on TS <= TS - TS_min)
    assert np.all(fast["covers_one_sided"] <= fast["covers_paper"])

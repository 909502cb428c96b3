"""CnuB future sensitivity (resumable campaign) and SBC of the log10 eta posterior."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bayesnu.inference.cnb_sensitivity import future_sensitivity, sbc_log10_eta, sensitivity_context

from bayesnu.errors import InputError

DATA = "txs0506:IC86b+IC86c"
SRC = "TXS 0506+056"
X = np.array([15.0, 16.5, 18.0, 19.5])
KW = dict(d_eff_mpc=14.0, bins=80, scheduler="serial", chunk_size=1)


def test_resumed_sensitivity_equals_uninterrupted(tmp_path):
    full = future_sensitivity(DATA, SRC, 10.0, 2, tmp_path / "a", 5, X, **KW)
    first = future_sensitivity(DATA, SRC, 10.0, 1, tmp_path / "b", 5, X, **KW)
    resumed = future_sensitivity(DATA, SRC, 10.0, 2, tmp_path / "b", 5, X, **KW)
    assert first["n_instances"] == 1 and resumed["chunks_reused"] == 1
    assert resumed["chunks_run"] == 1 and full["chunks_run"] == 2
    for key in ("ts_median", "ts_band_68", "eta_limit_median"):
        assert np.array_equal(np.asarray(full[key]), np.asarray(resumed[key]))
    doc = json.loads(json.dumps(full, default=float))
    for key in ("log10_eta", "ts_median", "ts_band_68", "eta_limit_median", "n_instances"):
        assert key in doc
    assert doc["n_instances"] == 2 and np.allclose(doc["log10_eta"], X)
    lo, hi = np.asarray(doc["ts_band_68"])
    assert lo.shape == X.shape and np.all(lo <= np.asarray(doc["ts_median"]) + 1e-12)
    assert np.all(np.asarray(doc["ts_median"]) <= hi + 1e-12)
    assert np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))


def test_sbc_ranks_in_range_and_deterministic():
    ctx = sensitivity_context(DATA, SRC, 0.0342, 14.0, None, 80, 0)
    kw = dict(log10_eta_range=(15.0, 20.0), n_eta=8, ns_range=(0.0, 60.0), n_ns=8, n_draws=19)
    a = sbc_log10_eta(np.random.default_rng(7), 3, ctx.source, ctx.propagator, **kw)
    b = sbc_log10_eta(np.random.default_rng(7), 3, ctx.source, ctx.propagator, **kw)
    assert np.array_equal(a["ranks"], b["ranks"]) and np.array_equal(a["pit"], b["pit"])
    assert np.all((a["ranks"] >= 0) & (a["ranks"] <= 19))
    assert np.all((a["pit"] >= 0) & (a["pit"] <= 1))
    assert np.all((a["truth"][:, 0] >= 15.0) & (a["truth"][:, 0] <= 20.0))
    assert set(a["coverage"]) == {"0.5", "0.68", "0.9", "0.95"}
    with pytest.raises(InputError, match="increasing"):
        sbc_log10_eta(np.random.default_rng(7), 1, ctx.source, ctx.propagator,
                      log10_eta_range=(20.0, 15.0), n_eta=4)


def test_cli_sensitivity_json_and_resume(tmp_path, capsys):
    from bayesnu.cli import main

    argv = ["cnb", "sensitivity", "--data", DATA, "--source", SRC, "--years-added", "10",
            "--instances", "1", "--out", str(tmp_path / "c"), "--d-eff-mpc", "14", "--bins", "80",
            "--points", "4", "--chunk-size", "1", "--seed", "5", "--json", "--quiet"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("log10_eta", "ts_median", "ts_band_68", "eta_limit_median", "n_instances"):
        assert key in doc
    assert doc["n_instances"] == 1 and doc["chunks_run"] == 1 and len(doc["log10_eta"]) == 4
    assert main(argv) == 0  # same folder: everything reused, nothing recomputed
    doc2 = json.loads(capsys.readouterr().out)
    assert doc2["chunks_reused"] == 1 and doc2["chunks_run"] == 0
    assert doc2["ts_median"] == doc["ts_median"]
    bad = argv.copy()
    bad[bad.index("--years-added") + 1] = "-1"
    assert main(bad) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--years-added" in err[0]


def test_fast_instance_equals_full_instance_on_the_same_mock_data(monkeypatch):
    """Candidate events + count and cached transport give the full mock data's TS curve."""
    from bayesnu.inference.cnb import eta_profile, inject_overdensity
    from bayesnu.inference.cnb_sensitivity import _extended_background, with_extra_events

    import bayesnu.simulate.spectrum as sp

    captured = {}
    orig = sp.inject_spectrum

    def keep(*a, **k):
        captured["ds"], info = orig(*a, **k)
        return captured["ds"], info

    monkeypatch.setattr(sp, "inject_spectrum", keep)
    ctx = sensitivity_context(DATA, SRC, 0.0342, 14.0, None, 80, 0)
    setup = ctx.source.setup
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        bg = _extended_background(rng, setup.samples, np.array([3.0, 3.0]))
        cs, _ = inject_overdensity(rng, ctx.source, ctx.propagator, 0.0, 2.5, 40.0, background=bg)
        full = eta_profile(cs, ctx.propagator, X)
        subs, rest = [], []
        for st, smp in zip(setup.setups, captured["ds"].samples):
            cand = st._events_cache(smp)["cand_all"]
            keep_mask = np.zeros(smp.size, dtype=bool)
            keep_mask[cand] = True
            subs.append(smp.select(keep_mask))
            rest.append(smp.size - cand.size)
        assert sum(rest) > 0  # some events really are left out
        fast_cs = with_extra_events(ctx.source.with_likelihood(setup.likelihood(events=subs)),
                                    np.array(rest))
        fast = eta_profile(fast_cs, ctx.propagator, X, ratios=ctx.ratio_table(X))
        assert fast_cs.base.n_total == cs.base.n_total
        assert np.allclose(fast.ts, full.ts, rtol=0, atol=1e-9)
        assert fast.limit(0.9) == pytest.approx(full.limit(0.9), rel=1e-9)


def test_candidate_background_is_a_thinned_resample():
    """n_cand + n_rest ~ Poisson(N f) and n_cand ~ Binomial(., n_cand / N): means match."""
    from bayesnu.inference.cnb_sensitivity import _candidate_background

    ctx = sensitivity_context(DATA, SRC, 0.0342, 14.0, None, 80, 0)
    setup = ctx.source.setup
    f = np.array([2.0, 2.0])
    rng = np.random.default_rng(11)
    n = 300
    tot = np.zeros((n, 2))
    cand = np.zeros((n, 2))
    for i in range(n):
        ds, rest = _candidate_background(rng, setup, f)
        cand[i] = [s.size for s in ds.samples]
        tot[i] = cand[i] + rest
        assert all(s.meta["simulated"] for s in ds.samples)
    for k, st in enumerate(setup.setups):
        N = st.sample.size
        p = st._events_cache(st.sample)["cand_all"].size / N
        assert tot[:, k].mean() == pytest.approx(N * f[k], abs=4 * np.sqrt(N * f[k] / n))
        assert cand[:, k].mean() == pytest.approx(N * f[k] * p, abs=4 * np.sqrt(N * f[k] / n))
    # uniform right ascension in the footprint
    ra = np.concatenate([s.ra for s in ds.samples])
    assert ra.min() >= 0.0 and ra.max() <= 360.0


def test_sensitivity_summary_reads_the_campaign_on_disk(tmp_path):
    from bayesnu.inference.cnb_sensitivity import sensitivity_summary

    res = future_sensitivity(DATA, SRC, 10.0, 3, tmp_path / "s", 4, X, **KW)
    s = sensitivity_summary(tmp_path / "s")
    assert s["n_instances"] == 3 and s["ts_median"] == res["ts_median"]
    assert s["eta_limit_median"] == res["eta_limit_median"]
    lo, hi = s["eta_limit_68"]
    assert lo <= s["eta_limit_median"] <= hi
    assert s["source"] == SRC and s["years_added"] == 10.0 and s["cpu_seconds_per_instance_median"] > 0
    with pytest.raises(InputError):
        sensitivity_summary(tmp_path / "missing")


def test_summary_limits_ignore_the_all_absorbed_etas(tmp_path):
    """The summary recomputes each instance's limit from its stored curve without the
    campaign's all-absorbed etas (one mask for all instances: it does not depend on data)."""
    from bayesnu.inference.cnb import upper_limit
    from bayesnu.inference.cnb_sensitivity import (
        sensitivity_context,
        sensitivity_summary,
        summarise_sensitivity,
    )

    x = np.linspace(12.0, 22.0, 11)
    future_sensitivity(DATA, SRC, 10.0, 2, tmp_path / "a", 5, x, **KW)
    ctx = sensitivity_context(DATA, SRC, 0.0342, KW.get("d_eff_mpc"), KW.get("z"),
                              KW.get("bins", 300), 0)
    mask = ctx.absorbed(x)
    assert mask[-1] and not mask[0] and np.all(np.diff(mask.astype(int)) >= 0)
    s = sensitivity_summary(tmp_path / "a")
    assert s["eta_absorbed"] == pytest.approx(10.0 ** x[np.argmax(mask)])
    # a curve that crosses the threshold only on the absorbed points: no limit
    fake = np.where(mask, 50.0, 1.0)[None, :].repeat(3, axis=0)
    out = summarise_sensitivity(x, fake, np.full(3, 1e20), mask)
    assert out["fraction_not_excluded"] == 1.0 and out["eta_limit_of_median_curve"] == np.inf
    assert out["eta_limit_68"] == [np.inf, np.inf]  # not NaN: no instance excludes anything
    assert np.isfinite(upper_limit(x, fake[0], 0.9))  # what the jump alone would have given


def test_limit_interval_with_instances_that_exclude_nothing():
    """The 68% range of the instances' limits when some are infinite (no exclusion): a
    percentile that reaches an infinite limit is inf, one among finite limits is numpy's."""
    import warnings

    from bayesnu.inference.cnb_sensitivity import _percentiles

    lims = np.array([3e16, 1e17, 2e17, 5e17, np.inf, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" from inf - inf
        lo, hi = _percentiles(lims, [15.865, 84.135])
    assert lo == np.percentile(lims, 15.865)  # between two finite limits: numpy's value
    assert 3e16 < lo < 1e17 and hi == np.inf
    assert _percentiles(lims, [0.0])[0] == 3e16 and _percentiles(lims, [100.0])[0] == np.inf
    finite = lims[:4]
    np.testing.assert_array_equal(_percentiles(finite, [15.865, 84.135]),
                                  np.percentile(finite, [15.865, 84.135]))

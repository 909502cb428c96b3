"""One model definition, frequentist and Bayesian: TXS 0506+056 in its data release.

Usage::

    python examples/pointsource_quickstart.py [--out DIR]

Builds the unbinned point-source likelihood of the six-sample TXS 0506+056
release, adds it to a PyMC model with the default priors (ns ~ U(0, ns_max),
gamma ~ U(1, 4)), then runs on that single model: the maximum-likelihood fit
and TS, the ns TS profile with Wilks intervals, NUTS (with the pointwise
log-likelihood and PSIS-LOO), the nautilus evidence and Bayes factor against
background only, and writes the plots and results (JSON / NetCDF) to ``DIR``.

Typical run time: about 3.5 minutes on the shared 2-core development machine
(214 s wall at load ~11; faster on an idle machine).
"""

import argparse
import os

import arviz as az
from bayesnu.inference import evidence, fit, posterior_summary, profile, sample, save_idata
from bayesnu.inference.plots import overlay_plot, pair_plot, profile_plot, trace_plot
from bayesnu.models.pointsource import point_source_model

import bayesnu.data as bd
from bayesnu.likelihood import LikelihoodSetup
from bayesnu.sources import resolve_source


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="pointsource_quickstart_out")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    data = bd.load("txs0506")
    setup = LikelihoodSetup(data, resolve_source("TXS 0506+056"))
    psm = point_source_model(setup)

    best = fit(psm)
    print(f"ML fit: ns = {best.ns:.2f}, gamma = {best.gamma:.2f}, TS = {best.ts:.2f}")
    best.to_json(os.path.join(args.out, "fit.json"))

    prof = profile(psm, "ns", best=best)
    lo, hi = prof.interval(0.9)
    print(f"ns 90% Wilks interval: [{lo:.2f}, {hi:.2f}]")
    prof.to_json(os.path.join(args.out, "profile_ns.json"))
    profile_plot(prof, path=os.path.join(args.out, "profile_ns.png"))

    idata = sample(psm, draws=1000, tune=1000, chains=2, seed=1)
    for v, s in posterior_summary(idata, ["ns", "gamma"]).items():
        print(f"posterior {v}: median {s['median']:.2f}, 90% HDI [{s['hdi'][0]:.2f}, "
              f"{s['hdi'][1]:.2f}], R-hat {s['rhat']:.3f}")
    print(az.loo(idata))
    save_idata(idata, os.path.join(args.out, "posterior.nc"))
    trace_plot(idata, ["ns", "gamma"], path=os.path.join(args.out, "trace.png"))
    pair_plot(idata, ["ns", "gamma"], path=os.path.join(args.out, "pair.png"))
    overlay_plot(idata, prof, path=os.path.join(args.out, "ns_posterior_vs_profile.png"))

    ev = evidence(psm, seed=1)
    print(f"ln Bayes factor (signal vs background) = {ev.log_z:.2f} +- {ev.log_z_err:.2f} "
          f"with ns ~ U(0, {psm.priors['ns'].upper:.0f})")
    ev.to_json(os.path.join(args.out, "evidence.json"))


if __name__ == "__main__":
    main()

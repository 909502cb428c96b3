"""Speed of the likelihood engine.

Usage::

    python benchmarks/bench_likelihood.py [--skip-nuts]

1. log L + gradient with ~100k events in the region of interest: IC86-2011 with
   ``roi_eps=-1`` (all 138,322 events enter the sum explicitly) and the von
   Mises-Fisher spatial PDF, at TXS 0506+056 -- numpy kernel, the compiled
   PyTensor scalar Op (value + grad) and the per-event Op (value + grad); then
   the default region of interest (about 1,000 events, the rest analytic).
2. NUTS on (ns, gamma) through PyMC (per-event CustomDist likelihood): compile +
   initialisation time and effective samples per second after compilation, on the
   TXS 0506+056 release and on IC86-2011 at TXS 0506+056 (default ROI).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _timeit(f, n=20):
    f()
    ts = []
    for _ in range(n):
        a = time.perf_counter()
        f()
        ts.append(time.perf_counter() - a)
    return float(np.median(ts))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-nuts", action="store_true")
    ap.add_argument("--draws", type=int, default=1000)
    args = ap.parse_args()

    import pytensor
    import pytensor.tensor as pt

    import bayesnu.data as bd
    from bayesnu.likelihood import LikelihoodSetup
    from bayesnu.ops import LogLikeOp, PerEventLogLikeOp
    from bayesnu.sources import resolve_source

    src = resolve_source("TXS 0506+056")
    ic86 = bd.load("ic86_2011")
    t0 = time.perf_counter()
    # roi_eps < 0: every event enters the sum explicitly (no analytic rest term)
    su = LikelihoodSetup(ic86, src, spatial="vmf", roi_eps=-1.0)
    L = su.likelihood()
    print(f"[1] IC86-2011, all events in the sum (roi_eps=-1), vMF: {L.n_roi} of {L.n_total} "
          f"events in the sum "
          f"(set-up {time.perf_counter() - t0:.2f} s)")
    p = np.array([10.0, 2.3])
    print(f"    numpy kernel  logL+grad: {_timeit(lambda: L.evaluate(p)) * 1e3:.2f} ms")
    n, g = pt.dscalar(), pt.dscalar()
    v, gr = LogLikeOp(L)(n, g)
    f = pytensor.function([n, g], [v, *pytensor.grad(v, [n, g])])
    print(f"    scalar Op     logL+grad: {_timeit(lambda: f(10.0, 2.3)) * 1e3:.2f} ms")
    ve = PerEventLogLikeOp(L)(n, g)[0].sum()
    fe = pytensor.function([n, g], [ve, *pytensor.grad(ve, [n, g])])
    print(f"    per-event Op  logL+grad: {_timeit(lambda: fe(10.0, 2.3)) * 1e3:.2f} ms")
    Ld = LikelihoodSetup(ic86, src).likelihood()
    print(f"    default ROI (roi_eps=1e-5, Gaussian): {Ld.n_roi} events, logL+grad "
          f"{_timeit(lambda: Ld.evaluate(p), 200) * 1e6:.0f} us")
    if args.skip_nuts:
        return
    from bayesnu.inference import sample
    from bayesnu.models.pointsource import point_source_model

    for name, data in (("TXS release", bd.load("txs0506")), ("IC86-2011", ic86)):
        psm = point_source_model(LikelihoodSetup(data, src))
        a = time.perf_counter()
        idata = sample(psm, draws=args.draws, tune=args.draws, chains=2, seed=1)
        wall = time.perf_counter() - a
        st = float(idata.posterior.attrs.get("sampling_time", np.nan))
        import arviz as az

        ess = min(float(az.ess(idata, var_names=[v])[v]) for v in ("ns", "gamma"))
        print(f"[2] NUTS {name}: {psm.likelihood.n_out} likelihood entries; wall {wall:.1f} s, "
              f"sampling {st:.1f} s (2 chains x {args.draws} tune + {args.draws} draws), "
              f"compile+init+fit {wall - st:.1f} s; min ESS {ess:.0f} -> {ess / st:.0f} ESS/s; "
              f"divergences {idata.attrs.get('divergences')}")


if __name__ == "__main__":
    main()

"""ln(Bayes factor) of the flare model against the frequentist flare TS, on trials.

Background trials (RA + time scrambles) and signal trials (an injected Gaussian
flare, Poisson mean ``--ns``) of one sample at one position; for each trial the
flare TS (IceCube 2023 cascade flare search, eq. 2) and the nautilus ln B(flare / background only) with
the default Bayesian priors. Writes a table (CSV) and a scatter plot.

    python examples/flare_lnb_vs_ts.py [--data txs0506 --sample IC86b] [--n-bg 10]
        [--n-sig 10] [--ns 12] [--sigma-t 20] [--n-live 200] [--out lnb_vs_ts]

Typical run time: slow, over 12 minutes with the defaults on the shared 2-core machine
(one nautilus run per trial, 20 trials); fewer ``--n-bg`` / ``--n-sig`` scale it down.
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from pathlib import Path

import numpy as np
from bayesnu.inference.evidence import evidence
from bayesnu.inference.sensitivity import _signal_events
from bayesnu.models.flare import flare_priors, flare_setup

from bayesnu.data import load
from bayesnu.flare.search import fit_flare
from bayesnu.flare.trials import make_model


def _trial(rng, model, ra, dec, ns, sigma_t, gamma, n_live, seed):
    """One trial: scrambled sample (+ optional signal), flare fit and ln B on the same events."""
    s = model.sample
    fp = s.footprint
    up = model.uptime
    ra_s = rng.uniform(max(fp.ra_min, 0), min(fp.ra_max, 360), s.size)
    t_s = up.sample(rng, s.size)
    ev = s.replace(ra=ra_s, time=t_s)
    if ns > 0:
        k = int(rng.poisson(ns))
        t0 = float(up.sample(rng, 1)[0])
        sig = _signal_events(rng, s, ra, dec, gamma, k, t0, sigma_t, {})
        if sig is not None and sig.size:
            cols = {c: np.concatenate([getattr(ev, c), getattr(sig, c)]) for c in ev.COLUMNS}
            ev = ev.replace(**cols)
    fd = make_model(ev).data_at(ra, dec)
    f = fit_flare(fd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, L = flare_setup(ev, ra, dec)
        r = evidence(L, priors=flare_priors([ev], L), n_live=n_live, seed=seed)
    return f.ts, r.log_z, r.log_z_err, f.ns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="txs0506")
    ap.add_argument("--sample", default="IC86b")
    ap.add_argument("--ra", type=float, default=77.3582)
    ap.add_argument("--dec", type=float, default=5.69315)
    ap.add_argument("--n-bg", type=int, default=10)
    ap.add_argument("--n-sig", type=int, default=10)
    ap.add_argument("--ns", type=float, default=12.0)
    ap.add_argument("--sigma-t", type=float, default=20.0)
    ap.add_argument("--gamma", type=float, default=2.0)
    ap.add_argument("--n-live", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="lnb_vs_ts")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    s = load(a.data)[a.sample]
    model = make_model(s)
    rng = np.random.default_rng(a.seed)
    rows = []
    t = time.perf_counter()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    # alternate background and signal trials; the table is rewritten after every trial
    plan = [("background", i, 0.0) for i in range(a.n_bg)] + \
        [("signal", i, a.ns) for i in range(a.n_sig)]
    plan = sorted(plan, key=lambda r: (r[1], r[0]))
    for kind, i, ns in plan:
        ts, lnb, err, nsf = _trial(rng, model, a.ra, a.dec, ns, a.sigma_t, a.gamma,
                                   a.n_live, int(rng.integers(2**31)))
        rows.append((kind, i, ts, lnb, err, nsf))
        print(f"{kind:10s} {i:3d} TS {ts:7.2f}  ln B {lnb:7.2f} +- {err:.2f}  ns {nsf:.1f}",
              flush=True)
        with open(out / "lnb_vs_ts.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["kind", "trial", "ts", "ln_b", "ln_b_err", "ns_fit"])
            w.writerows(rows)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    for kind, c in (("background", "C0"), ("signal", "C3")):
        x = np.array([r[2] for r in rows if r[0] == kind])
        y = np.array([r[3] for r in rows if r[0] == kind])
        ax.scatter(x, y, color=c, label=kind)
    allx = np.array([r[2] for r in rows])
    ally = np.array([r[3] for r in rows])
    if allx.size > 2:
        p = np.polyfit(allx, ally, 1)
        xx = np.linspace(allx.min(), allx.max(), 10)
        ax.plot(xx, np.polyval(p, xx), "k--", label=f"ln B = {p[0]:.2f} TS {p[1]:+.2f}")
    ax.set_xlabel("flare TS (with the duration term)")
    ax.set_ylabel("ln B (flare / background)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "lnb_vs_ts.png", dpi=110)
    print(f"wrote {out}/lnb_vs_ts.csv and .png ({time.perf_counter() - t:.0f} s)")


if __name__ == "__main__":
    main()

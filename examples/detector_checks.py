"""Physics checks of the detector response and simulation on the bundled real data.

Usage::

    python examples/detector_checks.py [--seed 1]

Prints: the count-to-flux limits of the neutrino-blazar flare correlation study, the ns <-> flux hand-integration check,
two-sample tests of scrambled backgrounds against the data, injection checks (counts,
PSF spread, flare times) and the cascade detector's resolution and composition.

Typical run time: about 12 s on 2 cores.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import integrate, stats

import bayesnu.detector as D
import bayesnu.simulate as S
from bayesnu.data import load, ps10yr_seasons


def limits() -> None:
    aeff = ps10yr_seasons()["IC86_II"][1]
    print("## neutrino-blazar flare correlation study: count-to-flux limit (N = 10, 10 yr, IC86_II, dec-averaged, E^-2 at 100 TeV)")
    for lo, paper in ((4.8, 1.459e-18), (5.0, 1.646e-18)):
        a = D.count_flux_limit(10, lo, lo + 0.2, 10, aeff)
        b = D.count_flux_limit(10, lo, lo + 0.2, 10, aeff, year_s=365 * 86400.0)
        print(f"  {lo}-{lo + 0.2:.1f}: {a:.4e} (Julian yr, {100 * (a / paper - 1):+.2f} %), "
              f"{b:.4e} (365 d, {100 * (b / paper - 1):+.3f} %), paper {paper:.3e}")


def hand_integration() -> None:
    s = load("ic40")[0]
    print("## expected_events vs independent quad integration (IC40)")
    for dec, g in ((5.69, 2.0), (-30.0, 2.5), (60.0, 3.0)):
        mu = D.expected_events(s, dec, 1e-18, g)
        a = s.aeff
        j = int(np.searchsorted(a.sindec_edges, np.sin(np.radians(dec)), side="right") - 1)
        e = a.log10e_edges
        tot = sum(a.area_cm2[k, j] * integrate.quad(lambda E, g=g: 1e-18 * (E / 1e5) ** -g, 10 ** e[k],
                                                    10 ** e[k + 1], epsrel=1e-12)[0]
                  for k in range(e.size - 1))
        live = float(np.sum(np.diff(s.uptime.intervals, axis=1))) * 86400
        print(f"  dec {dec:+.2f} gamma {g}: {mu:.6f} vs {tot * live:.6f} "
              f"(rel. diff {mu / (tot * live) - 1:.1e})")


def scrambles(rng: np.random.Generator) -> None:
    print("## scrambled background vs data: two-sample tests (events with RA < 180 deg)")
    sets = {"IC40": load("ic40"), "IC86-2011": load("ic86_2011"), "TXS (6 samples)": load("txs0506"),
            "cascade sim": S.cascade_sample(rng)}
    for name, ds in sets.items():
        sc = S.scramble(rng, ds)
        d, s = ds.concatenated(), sc.concatenated()
        mid = 0.5 * (min(x.footprint.ra_min for x in ds) + max(x.footprint.ra_max for x in ds))
        hd, hs = d["ra"] < mid, s["ra"] < mid
        out = []
        for col, f in (("sin(dec)", lambda c: np.sin(np.radians(c["dec"]))), ("log10 E", lambda c: c["log10e"])):
            ks = stats.ks_2samp(f(d)[hd], f(s)[hs]).pvalue
            cvm = stats.cramervonmises_2samp(f(d)[hd], f(s)[hs]).pvalue
            out.append(f"{col}: KS p = {ks:.3f}, CvM p = {cvm:.3f}")
        print(f"  {name}: " + "; ".join(out))
    s = S.scramble(rng, load("ic40"), ra=False, time=True)[0]
    u = s.uptime.cumulative_livetime(s.time) / s.uptime.livetime_days
    print(f"  IC40 time scramble: KS p vs uniform in livetime = {stats.kstest(u, 'uniform').pvalue:.3f}, "
          f"all in uptime: {bool(np.all(s.uptime.contains(s.time)))}")


def injection(rng: np.random.Generator) -> None:
    print("## injection (IC40, TXS position, E^-2)")
    ic40 = load("ic40")
    models = S.prepare_injection(ic40)
    n = np.array([S.inject(rng, ic40, 77.36, 5.69, 2.0, ns=15.0, background=False, models=models)[1]
                  ["n_injected"]["IC40"] for _ in range(1000)])
    print(f"  ns = 15, 1000 trials: mean {n.mean():.3f} +- {n.std() / np.sqrt(n.size):.3f}, "
          f"variance {n.var():.2f}")
    out, _ = S.inject(rng, ic40, 200.0, 40.0, 2.0, ns=5000, background=False, models=models)
    s = out[0]
    psi = D.angular_distance(s.ra, s.dec, 200.0, 40.0)
    r2 = (psi / s.angerr) ** 2
    print(f"  PSF: KS p of (psi/angerr)^2 vs chi2(2) = {stats.kstest(r2, 'chi2', args=(2,)).pvalue:.3f}; "
          f"median psi {np.median(psi):.3f} deg vs 1.1774 x median angerr {1.1774 * np.median(s.angerr):.3f} deg")
    up = ic40[0].uptime
    t0 = 0.5 * (up.start + up.stop)
    out, _ = S.inject(rng, ic40, 30.0, 10.0, 2.0, ns=5000, flare=("gauss", t0, 10.0), background=False,
                      models=models)
    t = out[0].time
    print(f"  Gaussian flare t0 = {t0:.2f}, sigma = 10 d: mean {t.mean():.2f}, std {t.std():.2f}, "
          f"all in uptime: {bool(np.all(up.contains(t)))}")


def cascade(rng: np.random.Generator) -> None:
    print("## cascade detector")
    det = D.CascadeDetector()
    s = det.simulate(rng)
    c = s.meta["components"]
    print(f"  {s.size} events, livetime {s.livetime_days:.1f} d, "
          + ", ".join(f"{k} {v / s.size:.3f}" for k, v in c.items())
          + f"; log10 E_reco range {s.log10e.min():.3f} .. {s.log10e.max():.3f}")
    print(f"  A_eff(100 TeV) = {det.area_at_100tev_m2(-30):.2f} m^2 (dec -30), "
          f"{det.area_at_100tev_m2(30):.2f} m^2 (dec +30), {det.area_at_100tev_m2(70):.2f} m^2 (dec +70)")
    from bayesnu.data import Dataset

    out, _ = S.inject(rng, Dataset("c", "simulated", (s,)), 150.0, -30.0, 2.0, ns=20000,
                      background=False)
    sig = out[0]
    psi = D.angular_distance(sig.ra, sig.dec, 150.0, -30.0)
    for lo, hi, label in ((2.9, 3.1, "1 TeV"), (4.9, 5.1, "100 TeV"), (5.9, 6.1, "1 PeV")):
        m = (sig.log10e > lo) & (sig.log10e < hi)
        print(f"  median opening angle at E_reco ~ {label}: {np.median(psi[m]):.1f} deg ({m.sum()} events)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    limits()
    hand_integration()
    scrambles(rng)
    injection(rng)
    cascade(rng)


if __name__ == "__main__":
    main()

"""Timing of the detector response and simulation (prints a Markdown table).

Usage::

    python benchmarks/bench_simulate.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import bayesnu.detector as D
import bayesnu.simulate as S
from bayesnu.data import load


def _best(fn, repeat: int) -> float:
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    rng = np.random.default_rng(1)
    ic40 = load("ic40")
    ic86 = load("ic86_2011")
    txs = load("txs0506")
    det = D.CascadeDetector()
    casc = S.cascade_sample(rng, detector=det)
    models40 = S.prepare_injection(ic40)
    models_c = S.prepare_injection(casc)
    resp = D.energy_response("IC86_2011")
    rows = [
        ("CascadeDetector() construction (uptime, area, normalisation)", lambda: D.CascadeDetector()),
        ("cascade sample, 59,592 events (CascadeDetector.simulate)", lambda: det.simulate(rng)),
        ("RA scramble, IC86-2011 (138,322 events)", lambda: S.scramble(rng, ic86)),
        ("RA + time scramble, IC86-2011", lambda: S.scramble(rng, ic86, time=True)),
        ("RA scramble, cascade 59,592 events", lambda: S.scramble(rng, casc)),
        ("inject steady source ns=20 into IC40 (models prepared)",
         lambda: S.inject(rng, ic40, 77.36, 5.69, 2.0, ns=20, models=models40, background=False)),
        ("inject Gaussian flare ns=20 into cascade sample (models prepared)",
         lambda: S.inject(rng, casc, 150.0, -30.0, 2.53, ns=20, flare=("gauss", 57000.0, 10.0),
                          models=models_c, background=False)),
        ("prepare_injection(IC40) (empirical angular-error model)", lambda: S.prepare_injection(ic40)),
        ("expected_events, 6 TXS samples", lambda: D.expected_events(txs, 5.69, 1e-18, 2.0)),
        ("EnergyResponse.matrix 80 true x 70 reco bins",
         lambda: resp.matrix(np.linspace(2, 10, 81), np.linspace(1, 8, 71), 0.1)),
        ("EnergyResponse.matrix 80 x 70 bins, southern band with selection threshold",
         lambda: resp.matrix(np.linspace(2, 10, 81), np.linspace(1, 8, 71), -0.5)),
        ("reco_energy_weights (signal reco-energy histogram), IC86-2011, dec +5.7",
         lambda: D.reco_energy_weights(ic86[0], 5.7, 2.0, np.linspace(1, 8, 71))),
        ("EnergyResponse.sample 1e6 events",
         lambda: resp.sample(rng, rng.uniform(3, 7, 1_000_000), 0.1)),
    ]
    print(f"| operation | best of {a.repeat} |\n|---|---|")
    for name, fn in rows:
        t = _best(fn, a.repeat)
        print(f"| {name} | {t * 1e3:.1f} ms |")


if __name__ == "__main__":
    main()

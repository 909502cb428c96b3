"""Flare likelihood + gradient per evaluation on the TXS release IC86b sample: the engine with
the plain GaussianFlarePDF vs the flare model's cached time PDF (models/flare.py)."""

import time
import warnings

import numpy as np
from bayesnu.models.flare import flare_setup

from bayesnu.data import load
from bayesnu.flare.temporal import GaussianFlarePDF

warnings.simplefilter("ignore")
s = load("txs0506")["IC86b"]
setup, L = flare_setup(s, 77.3582, 5.69315)
L0 = setup.likelihood(temporal=[GaussianFlarePDF(s.uptime)])
Q = np.random.default_rng(0).uniform([5, 1.8, 56950, 30], [15, 2.6, 57050, 100], (2000, 4))
for name, lik in (("GaussianFlarePDF", L0), ("flare_setup (cached)", L)) * 2:
    t = time.perf_counter()
    for q in Q:
        lik.evaluate(q)
    print(f"{name}: {(time.perf_counter() - t) / len(Q) * 1e3:.3f} ms per log L + gradient")

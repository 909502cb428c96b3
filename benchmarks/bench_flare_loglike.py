"""Flare likelihood + gradient per evaluation on the TXS release IC86b sample: the generic
likelihood engine (MixtureLikelihood with GaussianFlarePDF) vs the flare model's likelihood
(FlareLikelihood = the flare search's flare_loglr, models/flare.py).

    python benchmarks/bench_flare_loglike.py
"""

import time
import warnings

import numpy as np
from bayesnu.models.flare import flare_setup

from bayesnu.data import load
from bayesnu.likelihood import LikelihoodSetup
from bayesnu.pdfs.temporal import GaussianFlarePDF

RA, DEC = 77.3582, 5.69315
s = load("txs0506")["IC86b"]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    engine = LikelihoodSetup([s], (RA, DEC)).likelihood(temporal=[GaussianFlarePDF(s.uptime)])
    _, model_lik = flare_setup(s, RA, DEC)
Q = np.random.default_rng(0).uniform([5, 1.8, 56950, 30], [15, 2.6, 57050, 100], (2000, 4))
for name, lik in (("engine + GaussianFlarePDF", engine), ("FlareLikelihood (model)", model_lik)) * 2:
    t = time.perf_counter()
    for q in Q:
        lik.evaluate(q)
    print(f"{name}: {(time.perf_counter() - t) / len(Q) * 1e3:.3f} ms per log L + gradient")

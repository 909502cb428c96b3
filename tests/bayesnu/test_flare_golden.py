"""Golden flare fits on the IceCube TXS 0506+056 release (IC86b, 2012-2015), as for point sources.

Reference: IceCube Collaboration, Science 361, 147 (2018): Gaussian flare T0 ~ MJD 57004,
T_W = 2 sigma ~ 110 d, ns 13.1, gamma 2.1; box MJD 56937.81 - 57096.21. This package's
fit of the public release (rounded event values, no smearing matrices) differs
slightly; VALIDATION.md explains the differences.

Two levels:

* physics tolerances (what a user may rely on): TS, T0, sigma_t, ns, gamma;
* bit-level pin (1e-9 relative): the numbers of the flare-fit code version
  :data:`bayesnu.flare.scan.FLARE_CODE_VERSION`, which keys cached scans and
  scrambled-sky campaigns. If this part fails, the fit's numbers changed: bump
  ``FLARE_CODE_VERSION`` (old caches are then recomputed) and update the pins.
"""

import pytest

from bayesnu.data import load
from bayesnu.flare.analysis import fit_dataset
from bayesnu.flare.scan import FLARE_CODE_VERSION, kernel_fingerprint

RA, DEC = 77.3582, 5.69315

# values at FLARE_CODE_VERSION 31842779e22ce80b (commit 5d32ad4 and every refactor since)
PIN_GAUSS = {"ns": 10.390550033672541, "gamma": 2.163021479812313, "ts": 10.649047501410852,
             "t0": 57007.42331681121, "sigma_t": 58.83875138178048}
PIN_BOX = {"ns": 11.091997002552969, "gamma": 2.186046546533973, "ts": 17.275069636722844,
           "t_start": 56937.818975, "t_stop": 57089.439565}


@pytest.fixture(scope="module")
def fits():
    ds = load("txs0506")
    g = fit_dataset(ds, RA, DEC, pdf="gauss")
    b = fit_dataset(ds, RA, DEC, pdf="box", models=g["models"])
    return g, b


def test_gaussian_flare_golden(fits):
    g, _ = fits
    assert g["sample"] == "IC86b"
    best = g["best"]
    assert best.ts == pytest.approx(10.65, abs=0.05)
    assert best.t0 == pytest.approx(57007.4, abs=1.0)
    assert best.sigma_t == pytest.approx(58.8, abs=1.0)
    assert best.ns == pytest.approx(10.4, abs=0.1)
    assert best.gamma == pytest.approx(2.16, abs=0.02)
    # the published flare (T0 ~ 57004, T_W ~ 110 d) within its uncertainties
    assert abs(best.t0 - 57004.0) < 20.0 and 30.0 < best.sigma_t < 80.0


def test_box_flare_golden(fits):
    _, b = fits
    best = b["fits"]["IC86b"]
    assert best.ts == pytest.approx(17.28, abs=0.05)
    assert best.t_start == pytest.approx(56937.82, abs=0.5)  # published 56937.81
    assert best.t_stop == pytest.approx(57089.44, abs=0.5)  # published 57096.21
    assert best.ns == pytest.approx(11.09, abs=0.1)


def test_flare_code_version_pins_the_numbers(fits):
    g, b = fits
    assert kernel_fingerprint() == FLARE_CODE_VERSION
    gauss, box = g["fits"]["IC86b"], b["fits"]["IC86b"]
    for k, v in PIN_GAUSS.items():
        assert getattr(gauss, k) == pytest.approx(v, rel=1e-9), k
    for k, v in PIN_BOX.items():
        assert getattr(box, k) == pytest.approx(v, rel=1e-9), k

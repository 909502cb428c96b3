"""PyTensor links a real BLAS after a plain install (bayesnu/_pytensor_setup.py)."""

import os

import numpy as np
import pytensor
import pytensor.tensor as pt

import bayesnu  # noqa: F401
from bayesnu import _pytensor_setup


def test_pytensor_links_blas():
    ldflags = pytensor.config.blas__ldflags
    assert ldflags, "PyTensor links no BLAS (it would fall back to slow NumPy C-API code)"
    if os.environ.get("BAYESNU_NO_BLAS_SETUP") == "1" or _pytensor_setup._user_configured():
        return  # the user's own BLAS, whatever it is
    # otherwise bayesnu configured the bundled LP64 OpenBLAS (scipy-openblas32)
    assert "scipy_openblas" in ldflags, ldflags


def test_c_blas_ops_compile_and_agree():
    a = pt.dmatrix("a")
    v = pt.dvector("v")
    f = pytensor.function([a, v], [pt.dot(a, v), pt.dot(a, a.T)])
    names = {type(n.op).__name__ for n in f.maker.fgraph.toposort()}
    # the C BLAS Gemv is only chosen when BLAS can be linked
    assert "CGemv" in names
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 30))
    y = rng.normal(size=30)
    r1, r2 = f(x, y)
    np.testing.assert_allclose(r1, x @ y, rtol=1e-12)
    np.testing.assert_allclose(r2, x @ x.T, rtol=1e-12)

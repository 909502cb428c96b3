"""PyTensor links a real BLAS after a plain install (bayesnu/_pytensor_setup.py)."""

import numpy as np
import pytensor
import pytensor.tensor as pt

import bayesnu  # noqa: F401


def test_pytensor_links_blas():
    assert "scipy_openblas" in pytensor.config.blas__ldflags or pytensor.config.blas__ldflags


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

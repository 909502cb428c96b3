"""PyTensor Ops: verify_grad for every input, -inf outside the support, type checks,
infer_shape, one compilation for many calls, temporal parameters."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

from bayesnu.data.core import Uptime
from bayesnu.likelihood import LikelihoodSetup, Source
from bayesnu.likelihood.synthetic import (
    inject,
    lognormal_response,
    power_law_true_weights,
    synthetic_sample,
)
from bayesnu.ops import LogLikeOp, PerEventLogLikeOp
from bayesnu.pdfs.temporal import TemporalPDF

RESP = lognormal_response(-0.3, 0.3)
KW = dict(response=RESP, true_weights=power_law_true_weights)
SRC = Source("S", 150.0, 20.0)


class _GaussTime(TemporalPDF):
    """Test-only Gaussian time PDF (normalised on the real line; the uptime here is long)."""

    param_names = ("t0", "sigma_t")

    def signal(self, t, theta):
        t0, s = theta
        z = (t - t0) / s
        f = np.exp(-0.5 * z * z) / (np.sqrt(2 * np.pi) * s)
        return f, np.stack([f * z / s, f * (z * z - 1) / s])

    def in_support(self, theta):
        return bool(np.all(np.isfinite(theta)) and theta[1] > 0)

    def sample_weight(self, theta):
        # smooth, parameter-dependent weight exercises the split gradient
        w = 1.0 + 0.1 * np.tanh((theta[0] - 55100.0) / 50.0)
        dw = np.array([0.1 / 50.0 / np.cosh((theta[0] - 55100.0) / 50.0) ** 2, 0.0])
        return w, dw


@pytest.fixture(scope="module")
def lik():
    rng = np.random.default_rng(3)
    a = inject(rng, synthetic_sample(rng, 5000, name="A"), SRC.ra, SRC.dec, 10, 2.0, RESP)
    b = inject(rng, synthetic_sample(rng, 5000, name="B"), SRC.ra, SRC.dec, 10, 2.0, RESP)
    su = LikelihoodSetup([a, b], SRC, **KW)
    return su, su.likelihood(constants=True)


@pytest.fixture(scope="module")
def tlik(lik):
    su, _ = lik
    tps = [_GaussTime(Uptime.from_range(55000, 55365)) for _ in su.setups]
    return su.likelihood(temporal=tps)


@pytest.mark.parametrize("point", [(4.0, 2.1), (15.0, 3.3), (0.7, 1.4)])
def test_verify_grad_loglike_op(lik, point):
    L = lik[1]
    rng = np.random.default_rng(0)
    verify_grad(lambda n, g: LogLikeOp(L)(n, g)[0], [np.array(point[0]), np.array(point[1])],
                rng=rng, abs_tol=1e-5, rel_tol=1e-5)


def test_verify_grad_per_event_op(lik):
    L = lik[1]
    rng = np.random.default_rng(1)
    verify_grad(lambda n, g: PerEventLogLikeOp(L)(n, g)[0], [np.array(6.0), np.array(2.4)],
                rng=rng, abs_tol=1e-5, rel_tol=1e-5)
    # absolute densities: the out-of-ROI entry is ~1.2e4, so verify_grad's one-sided
    # differences (eps 1e-7) carry ~1e-16 * 1.2e4 / 1e-7 ~ 1e-5 rounding noise
    verify_grad(lambda n, g: PerEventLogLikeOp(L, True)(n, g)[0],
                [np.array(6.0), np.array(2.4)], rng=rng, abs_tol=1e-4, rel_tol=1e-4)


def test_verify_grad_temporal_parameters(tlik):
    assert tlik.param_names == ("ns", "gamma", "t0", "sigma_t")
    rng = np.random.default_rng(2)
    x0 = [np.array(5.0), np.array(2.2), np.array(55150.0), np.array(60.0)]
    verify_grad(lambda *a: LogLikeOp(tlik)(*a)[0], x0, rng=rng, abs_tol=1e-5, rel_tol=1e-5)
    verify_grad(lambda *a: PerEventLogLikeOp(tlik)(*a)[0], x0, rng=rng, abs_tol=1e-5,
                rel_tol=1e-5)
    v, g = tlik.evaluate(np.array([5.0, 2.2, 55150.0, -1.0]))
    assert v == -np.inf and np.all(g == 0)


def test_minus_inf_outside_support_through_op(lik):
    L = lik[1]
    n, g = pt.dscalar("ns"), pt.dscalar("gamma")
    tot = LogLikeOp(L)(n, g)[0]
    pe = PerEventLogLikeOp(L)(n, g)[0].sum()
    f = pytensor.function([n, g], [tot, pe, *pytensor.grad(tot, [n, g]),
                                   *pytensor.grad(pe, [n, g])])
    for bad in ((-0.5, 2.0), (3.0, 0.2), (3.0, 9.0), (1e12, 2.0)):
        out = f(*bad)
        assert out[0] == -np.inf and out[1] == -np.inf
        assert all(float(x) == 0.0 for x in out[2:])
    out = f(3.0, 2.0)
    assert np.isfinite(out[0]) and out[0] == pytest.approx(out[1], rel=1e-10)
    assert float(out[2]) == pytest.approx(float(out[4]), rel=1e-10)


def test_make_node_type_checks(lik):
    L = lik[1]
    with pytest.raises(TypeError):
        LogLikeOp(L)(pt.dvector(), pt.dscalar())
    with pytest.raises(TypeError):
        LogLikeOp(L)(pt.dscalar())
    with pytest.raises(TypeError):
        PerEventLogLikeOp(L)(pt.dscalar(), pt.cscalar())
    with pytest.raises(TypeError):
        LogLikeOp("not a likelihood")
    # ints are cast to float64
    out = LogLikeOp(L)(3, 2)[0]
    assert out.dtype == "float64"
    assert np.isfinite(out.eval())


def test_infer_shape_and_single_compilation(lik):
    L = lik[1]
    n, g = pt.dscalar(), pt.dscalar()
    vals, jac = PerEventLogLikeOp(L)(n, g)
    shp = pytensor.function([n, g], [vals.shape, jac.shape])
    s1, s2 = shp(1.0, 2.0)
    assert tuple(s1) == (L.n_out,) and tuple(s2) == (2, L.n_out)
    # shape inference does not need to run the kernel
    topo = shp.maker.fgraph.toposort()
    assert not any(isinstance(node.op, PerEventLogLikeOp) for node in topo)
    f = pytensor.function([n, g], vals.sum())
    fg_before = f.maker.fgraph
    vals_seen = {float(f(ns, 2.0)) for ns in np.linspace(0, 20, 7)}
    assert len(vals_seen) == 7 and f.maker.fgraph is fg_before
    # two Ops on different kernels are never merged
    L2 = lik[0].likelihood()
    assert LogLikeOp(L) != LogLikeOp(L2) and LogLikeOp(L) == LogLikeOp(L)

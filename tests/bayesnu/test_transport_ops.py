"""PyTensor Ops of the CnuB transport (bayesnu.ops.transport): shapes, identity, validation, verify_grad."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

from bayesnu.ops.transport import (
    SecretFluxOp,
    TransportFluxGradOp,
    TransportFluxOp,
    numu_flux,
    secret_numu_flux,
)
from bayesnu.transport import (
    ConstantDensity,
    Neutrinos,
    Population,
    Propagator,
    Redshift,
    SolverOptions,
)

OPT50 = SolverOptions(1e2, 1e9, 50)


@pytest.fixture(scope="module")
def props():
    return {
        "distance": Propagator(ConstantDensity(14.0), options=OPT50),
        "redshift": Propagator(Redshift(0.3365), options=OPT50),
        "population": Propagator(Population(5.0), options=SolverOptions(1e3, 1e7, 40)),
    }


@pytest.mark.parametrize("mode,p0,g0", [("distance", 14.3, 3.15), ("redshift", 12.5, 2.17),
                                        ("population", 12.0, 2.5)])
def test_verify_grad_log10_eta_in_the_graph(props, mode, p0, g0):
    prop = props[mode]
    w = np.random.default_rng(3).random(prop.N)
    verify_grad(lambda a, b: pt.dot(numu_flux(prop, b, log10_eta=a), w), [np.array(p0), np.array(g0)],
                rng=np.random.default_rng(4), eps=1e-4, rel_tol=1e-4, abs_tol=1e-10)


def test_verify_grad_linear_eta_and_values(props):
    prop = props["distance"]
    w = np.random.default_rng(7).random(prop.N)
    verify_grad(lambda a, b: pt.dot(TransportFluxOp(prop)(a * 1e14, b), w), [np.array(2.0), np.array(3.0)],
                rng=np.random.default_rng(8), eps=1e-5, rel_tol=1e-4, abs_tol=1e-10)
    e, g = pt.dscalar("eta"), pt.dscalar("gamma")
    f = numu_flux(prop, g, eta=e, eager_gradient=False)
    fn = pytensor.function([e, g], [f, pytensor.grad(f.sum(), e)])
    val, de = fn(1e14, 3.0)
    ref, dref, _ = prop.numu_flux(1e14, 3.0, derivatives=True)
    assert np.allclose(val, ref, rtol=1e-12) and de == pytest.approx(dref.sum(), rel=1e-10)
    # compiled once, evaluated many times (no rebuild): the propagator object is reused
    for eta in (1e12, 1e13, 1e15):
        assert np.allclose(fn(eta, 2.5)[0], prop.numu_flux(eta, 2.5), rtol=1e-12)


def test_identity_by_props(props):
    a, b = props["distance"], props["redshift"]
    assert TransportFluxOp(a) == TransportFluxOp(a) and hash(TransportFluxOp(a)) == hash(TransportFluxOp(a))
    assert TransportFluxOp(a) != TransportFluxOp(b)
    assert TransportFluxOp(a) != TransportFluxOp(a, eager_gradient=False)
    s1 = SecretFluxOp(ConstantDensity(14.0), Neutrinos(sum_m=0.1), OPT50)
    s2 = SecretFluxOp(ConstantDensity(14.0), Neutrinos(sum_m=0.1), OPT50)
    s3 = SecretFluxOp(ConstantDensity(14.0), Neutrinos(sum_m=0.1, majorana=False), OPT50)
    assert s1 == s2 and hash(s1) == hash(s2) and s1 != s3
    assert "_count" not in vars(SecretFluxOp)  # no class-level counter


def test_shapes_and_type_checks(props):
    prop = props["redshift"]
    op = TransportFluxOp(prop)
    p, g = pt.dscalar(), pt.dscalar()
    out = op(p, g)
    assert out.type.shape == (prop.N,)
    assert tuple(pytensor.function([p, g], out.shape)(1e12, 2.0)) == (prop.N,)
    gd = TransportFluxGradOp(prop)(p, g)
    assert all(v.type.shape == (prop.N,) for v in gd)
    with pytest.raises(TypeError):
        op(pt.dvector(), g)
    with pytest.raises(TypeError):
        op(p, pt.as_tensor_variable(np.array("a")))
    with pytest.raises(TypeError):
        TransportFluxOp("not a propagator")
    assert op(pt.iscalar(), g).owner.inputs[0].dtype == "float64"  # integers are cast
    with pytest.raises(TypeError):
        numu_flux(prop, g)  # neither eta nor log10_eta


def test_invalid_and_huge_eta_give_zeros_never_nan(props):
    for prop in props.values():
        p, g = pt.dscalar(), pt.dscalar()
        f = TransportFluxOp(prop)(p, g)
        fn = pytensor.function([p, g], [f, pytensor.grad(f.sum(), [p, g])[0], pytensor.grad(f.sum(), g)])
        for eta, gam in ((-1.0, 2.0), (np.nan, 2.0), (1e14, np.nan), (1e300, 2.0), (np.inf, 2.5)):
            val, de, dg = fn(eta, gam)
            assert np.all(val == 0) and de == 0 and dg == 0
        lp = pt.dscalar()
        fl = numu_flux(prop, g, log10_eta=lp)
        fnl = pytensor.function([lp, g], [fl, pytensor.grad(fl.sum(), lp)])
        for x in (300.0, 400.0, np.inf):
            val, d = fnl(x, 2.0)
            assert np.all(val == 0) and np.isfinite(d) and d == 0


def test_secret_flux_op_values_verify_grad_and_invalid():
    opt = SolverOptions(1e3, 1e9, 40)
    geo, nu = ConstantDensity(14.0), Neutrinos(sum_m=0.1, sm=False)
    op = SecretFluxOp(geo, nu, opt, eta=1.0)
    lg, lm, gm = pt.dscalar(), pt.dscalar(), pt.dscalar()
    fn = pytensor.function([lg, lm, gm], secret_numu_flux(op, lg, lm, gm))
    f = fn(-1.0, 1.0, 2.5)
    direct = Propagator(geo, nu.with_secret(0.1, 10.0), opt).numu_flux(1.0, 2.5)
    assert f.shape == (40,) and np.allclose(f, direct, rtol=1e-12)
    w = np.random.default_rng(5).random(40)
    verify_grad(lambda a, b, c: pt.dot(secret_numu_flux(op, a, b, c), w),
                [np.array(-1.0), np.array(1.0), np.array(2.5)],
                rng=np.random.default_rng(6), eps=1e-4, rel_tol=2e-3, abs_tol=1e-10)
    g, m = pt.dscalar(), pt.dscalar()
    out = op(g, m, gm)
    fz = pytensor.function([g, m, gm], [out, *pytensor.grad(out.sum(), [g, m, gm])])
    for bad in ((0.0, 10.0, 2.5), (-0.1, 10.0, 2.5), (0.1, -1.0, 2.5), (np.nan, 10.0, 2.5), (0.1, 10.0, np.inf)):
        val, *grads = fz(*bad)
        assert np.all(val == 0) and all(np.isfinite(x) and x == 0 for x in grads)

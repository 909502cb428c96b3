"""PyTensor Op around the CnuB propagator: shapes, input validation, verify_grad (issue 5, item 4)."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

from bayesnu.transport import EnergyGrid, Propagator
from bayesnu.transport.ops import NumuFluxGradOp, NumuFluxOp


@pytest.fixture(scope="module")
def props():
    return {
        "distance": Propagator(EnergyGrid(1e2, 1e9, 50), d_eff_mpc=14.0),
        "redshift": Propagator(EnergyGrid(1e2, 1e9, 50), z=0.3365),
        "population": Propagator(EnergyGrid(1e3, 1e7, 40), zmax=5.0),
    }


@pytest.mark.parametrize("mode,p0,g0", [("distance", 14.3, 3.15), ("redshift", 12.5, 2.17),
                                        ("population", 12.0, 2.5)])
def test_verify_grad(props, mode, p0, g0):
    prop = props[mode]
    op = NumuFluxOp(prop)
    w = np.random.default_rng(3).random(prop.N)
    verify_grad(lambda a, b: pt.dot(op(a, b), w), [np.array(p0), np.array(g0)],
                rng=np.random.default_rng(4), eps=1e-4, rel_tol=1e-4, abs_tol=1e-10)


def test_linear_eta_parameter_and_values(props):
    prop = props["distance"]
    op = NumuFluxOp(prop, log_eta=False)
    e, g = pt.dscalar("eta"), pt.dscalar("gamma")
    f = op(e, g)
    fn = pytensor.function([e, g], [f, pytensor.grad(f.sum(), e)])
    val, de = fn(1e14, 3.0)
    ref, dref, _ = prop.numu_flux(1e14, 3.0, derivatives=True)
    assert np.allclose(val, ref, rtol=1e-12) and de == pytest.approx(dref.sum(), rel=1e-10)
    # compiled once, evaluated many times (no rebuild): the propagator object is reused
    for eta in (1e12, 1e13, 1e15):
        assert np.allclose(fn(eta, 2.5)[0], prop.numu_flux(eta, 2.5), rtol=1e-12)


def test_shapes_and_validation(props):
    prop = props["redshift"]
    op = NumuFluxOp(prop)
    p, g = pt.dscalar(), pt.dscalar()
    out = op(p, g)
    assert out.type.shape == (prop.N,)
    shp = pytensor.function([p, g], out.shape)(12.0, 2.0)
    assert tuple(shp) == (prop.N,)
    gd = NumuFluxGradOp(prop)(p, g)
    assert all(v.type.shape == (prop.N,) for v in gd)
    with pytest.raises(TypeError):
        op(pt.dvector(), g)
    with pytest.raises(TypeError):
        op(p, pt.as_tensor_variable(np.array("a")))
    # invalid eta -> NaN output (the likelihood turns it into -inf), not an exception
    lin = NumuFluxOp(prop, log_eta=False)
    fn = pytensor.function([p, g], lin(p, g))
    assert np.all(np.isnan(fn(-1.0, 2.0)))


def test_secret_interaction_op_verify_grad():
    from bayesnu.transport.ops import SecretNumuFluxOp

    op = SecretNumuFluxOp(EnergyGrid(1e3, 1e9, 40), eta=1.0, d_eff_mpc=14.0, sum_m=0.1, sm=False)
    w = np.random.default_rng(5).random(40)
    lg, lm, gm = pt.dscalar(), pt.dscalar(), pt.dscalar()
    fn = pytensor.function([lg, lm, gm], op(lg, lm, gm))
    f = fn(-1.0, 1.0, 2.5)
    from bayesnu.transport import SecretInteraction

    direct = Propagator(EnergyGrid(1e3, 1e9, 40), d_eff_mpc=14.0, sum_m=0.1, sm=False,
                        si=SecretInteraction(0.1, 10.0)).numu_flux(1.0, 2.5)
    assert f.shape == (40,) and np.allclose(f, direct, rtol=1e-12)
    verify_grad(lambda a, b, c: pt.dot(op(a, b, c), w), [np.array(-1.0), np.array(1.0), np.array(2.5)],
                rng=np.random.default_rng(6), eps=1e-4, rel_tol=2e-3, abs_tol=1e-10)

"""Neutrino parameters and cross sections of the CnuB transport solver (issue 5)."""

import numpy as np
import pytest
from scipy.integrate import quad

from bayesnu.errors import InputError
from bayesnu.transport import (
    EnergyGrid,
    SecretInteraction,
    build_operator,
    flavour_to_mass_weights,
    masses_from_lightest,
    masses_from_sum,
    nufit2022,
    pmns_matrix,
    sigma_matrix,
)
from bayesnu.transport.constants import EV, G_F, HBARC2_CM2, M_E, SIN2_THETA_W
from bayesnu.transport.operator import _si_tables, resonance_nodes
from bayesnu.transport.xsec import (
    si_kernel_flavour,
    si_sigma_flavour,
    si_sigma_terms,
    sm_kernel,
    sm_sigma_ee,
    sm_sigma_nu,
)

NO = nufit2022("NO")
U = pmns_matrix(NO)
MASSES = masses_from_lightest(0.0342, NO)


# ------------------------------------------------------------------ neutrino parameters
def test_pmns_unitary_and_masses():
    assert np.allclose(U @ U.conj().T, np.eye(3), atol=1e-14)
    # paper 002: m1 = 0.0342 eV in NO <-> sum 0.13 eV
    assert MASSES.sum() == pytest.approx(0.1301, abs=2e-4)
    m = masses_from_sum(0.13, NO)
    assert m.sum() == pytest.approx(0.13, rel=1e-12)
    assert m[0] == pytest.approx(0.0342, abs=2e-4)
    io = nufit2022("IO")
    mi = masses_from_lightest(0.01, io)
    assert mi[2] == 0.01 and mi[1] ** 2 - mi[2] ** 2 == pytest.approx(2.486e-3, rel=1e-12)
    assert mi[1] ** 2 - mi[0] ** 2 == pytest.approx(7.41e-5, rel=1e-9)
    with pytest.raises(InputError):
        masses_from_sum(0.01, NO)


def test_flavour_weights_default_composition():
    w = flavour_to_mass_weights((1, 2, 0), U)
    assert w.sum() == pytest.approx(1.0, abs=1e-15)
    # back to flavour: the well-known ~1:1:1 at Earth
    f = np.abs(U) ** 2 @ w
    assert np.all(np.abs(f - 1 / 3) < 0.05)
    with pytest.raises(InputError):
        flavour_to_mass_weights((1, -1, 0), U)


# ------------------------------------------------------------------ Standard Model
def test_sm_total_values_and_paper_inconsistency():
    E = np.array([1e4])
    s = 2 * MASSES * EV * E[0]
    sig = sm_sigma_nu(E, MASSES)[:, :, 0]
    for j in range(3):
        for k in range(3):
            expect = 2 * G_F**2 * s[k] * (1 + 2 * (j == k)) / (3 * np.pi) * HBARC2_CM2
            assert sig[j, k] == pytest.approx(expect, rel=1e-14)
    # kernel identity from the consistent set, per incoming state and energy
    C = sm_kernel(np.full(1, 1.0), np.array([0.5]), MASSES)  # shape check
    assert C.shape == (3, 3, 1)
    for Ep in (1e3, 3e6):
        for j in range(3):
            num = sum(quad(lambda e, i=i, j=j, Ep=Ep: sm_kernel(Ep, e, MASSES)[j, i, 0], 0, Ep)[0] for i in range(3))
            en = sum(quad(lambda e, i=i, j=j, Ep=Ep: e * sm_kernel(Ep, e, MASSES)[j, i, 0], 0, Ep)[0] for i in range(3))
            stot = sm_sigma_nu(Ep, MASSES)[j, :, 0].sum()
            assert num == pytest.approx(2 * stot, rel=1e-12)  # two neutrinos out
            assert en == pytest.approx(Ep * stot, rel=1e-12)  # elastic: energy conserved
    # The paper's set (002 eq. 5 total, eq. 8 kernel) fails the same identity:
    # for nu_i on relic nu_i the kernel integrates to G_F^2 s (A=4) / (2 pi) * ... = 1/4 of 2 sigma.
    Ep, j = 1e5, 0
    mk = MASSES * EV
    paper_sigma = G_F**2 * (7 * (np.arange(3) == j) + 2) * 2 * mk * Ep / (3 * np.pi)
    A = lambda i, k, l: ((i == j) * (k == l) + (i == k) * (j == l)) ** 2  # noqa: E731
    B = lambda i, k, l: ((j == k) * (i == l) + (i == j) * (k == l)) ** 2  # noqa: E731
    paper_kernel = sum(G_F**2 * mk[k] / (2 * np.pi) * (A(i, k, l) * Ep + B(i, k, l) * Ep / 3)
                       for i in range(3) for k in range(3) for l in range(3))
    ratio = paper_kernel / (2 * paper_sigma.sum())
    assert abs(ratio - 1) > 0.2  # not mutually consistent
    assert 0.25 < ratio < 0.5


def test_sm_ee_threshold_and_massless_limit():
    m = MASSES
    eth = 2 * M_E**2 / (m * EV)  # s = 4 me^2
    below = sm_sigma_ee(0.99 * eth.min(), m, U)
    assert np.all(below == 0)
    E = 1e6 * eth.max()
    s = 2 * m * EV * E
    sig = sm_sigma_ee(E, m, U)[:, :, 0]
    ue2 = np.abs(U[0]) ** 2
    for j in range(3):
        gv = -0.5 + 2 * SIN2_THETA_W + ue2[j]
        ga = -0.5 + ue2[j]
        assert sig[j, j] == pytest.approx(G_F**2 * s[j] * (gv**2 + ga**2) / (3 * np.pi) * HBARC2_CM2, rel=1e-5)
        k = (j + 1) % 3
        assert sig[j, k] == pytest.approx(G_F**2 * s[k] * 2 * ue2[j] * ue2[k] / (3 * np.pi) * HBARC2_CM2,
                                          rel=1e-5)
    assert np.all(sig > 0)


def test_sm_binned_kernel_identity_and_positivity():
    g = EnergyGrid(1e2, 1e8, 60)
    op = build_operator(g, MASSES, U, ee=False, energy_correction=False)
    e = g.edges
    w = g.widths
    N = g.nbins
    A = op.dense().reshape(N, 3, N, 3)
    # number regenerated from source bin m (state j), summed over outgoing bins/states, plus
    # the analytic part below the grid, equals 2 K_j^m
    for m in (5, 30, 59):
        for j in range(3):
            gain = -(A[:m + 1, :, m, j] * w[:m + 1, None]).sum()
            gain += A[m, j, m, j] * w[m]  # remove the loss on the diagonal
            gain += op.loss[m, j] * w[m] * 0  # (explicit: loss not part of the gain)
            below = sum(op.sm_C[j, i, p] * op.sm_b[m, p] * e[0] ** (p + 1) / (p + 1)
                        for i in range(3) for p in range(3))
            total_gain = -(A[:m + 1, :, m, j] * w[:m + 1, None]).sum() + op.loss[m, j] * w[m] + below
            assert total_gain == pytest.approx(2 * op.loss[m, j] * w[m], rel=1e-11)
            assert gain > 0
    # gains non-negative, losses positive (also with the energy correction on)
    op2 = build_operator(g, MASSES, U)
    G = -op2.dense().copy()
    G[np.arange(3 * N), np.arange(3 * N)] = 0
    assert G.min() >= 0 and np.all(op2.loss > 0)


# ------------------------------------------------------------------ secret interactions
@pytest.mark.parametrize("majorana", [True, False])
def test_si_kernel_integrates_to_twice_sigma(majorana):
    si = SecretInteraction(g=0.1, m_phi_mev=10.0, majorana=majorana)
    m = 0.05
    er = si.resonance_energy(m)
    for mult in (1e-3, 0.5, 1 - 1e-4, 1.0, 2.0, 1e3):
        Ep = er * mult
        pts = np.unique(np.concatenate([np.geomspace(er * 1e-6, Ep, 60), Ep - np.geomspace(er * 1e-6, Ep / 2, 60)]))
        pts = np.concatenate([[0], pts[(pts > 0) & (pts < Ep)], [Ep]])
        f = lambda e, Ep=Ep: si_kernel_flavour(Ep, e, m, si)[0]  # noqa: E731
        integral = sum(quad(f, a, b, epsrel=1e-12)[0] for a, b in zip(pts[:-1], pts[1:]))
        assert integral == pytest.approx(2 * si_sigma_flavour(Ep, m, si), rel=1e-8)


def test_si_limits_symmetry_positivity():
    si = SecretInteraction(g=0.05, m_phi_mev=5.0)
    m = 0.03
    x = 1e-6
    s = x * si.m_phi**2
    E = s / (2 * m * EV)
    low = 5 * si.g**4 * s / (96 * np.pi * si.m_phi**4) * HBARC2_CM2  # SPEC low-energy limit
    assert si_sigma_flavour(E, m, si) == pytest.approx(low, rel=1e-5)
    # individual terms: small-x series vs direct (no cancellation loss)
    xs = np.array([1e-8, 1e-3, 0.0999, 0.1001, 3.0])
    T = si_sigma_terms(xs, 1e-3)
    assert np.all(T["t"] > 0) and np.all(T["tu"] > 0)
    assert T["t"][0] == pytest.approx(xs[0] / 3, rel=1e-6)
    assert T["t"][2] == pytest.approx(T["t"][3], rel=5e-3)
    # t <-> u symmetry of the Majorana kernel: K(E', E) = K(E', E' - E)
    er = si.resonance_energy(m)
    for Ep in (0.3 * er, er, 7 * er):
        e = np.linspace(0.01, 0.99, 9) * Ep
        k1 = si_kernel_flavour(np.full_like(e, Ep), e, m, si)
        k2 = si_kernel_flavour(np.full_like(e, Ep), Ep - e, m, si)
        assert np.allclose(k1, k2, rtol=1e-10)
        assert np.all(k1 > 0)
    # Dirac low-energy limit of SPEC's combination s + 2t + tu/2 + st: (1 + 2/3 + 1/12 - 1/2) P x
    sd = SecretInteraction(g=0.05, m_phi_mev=5.0, majorana=False)
    assert si_sigma_flavour(E, m, sd) == pytest.approx(1.25 * si.prefactor_cm2 * x, rel=1e-5)


@pytest.mark.parametrize("g", [0.01, 0.3])
def test_si_resonance_bin_integral_matches_arctan(g):
    si = SecretInteraction(g=g, m_phi_mev=10.0)
    m = 0.05
    er = si.resonance_energy(m)
    gam = si.width / si.m_phi
    grid = EnergyGrid(1e2, 1e10, 300)
    lo, hi = grid.edges[:-1] / er, grid.edges[1:] / er
    F = lambda x: 0.5 * np.log((x - 1) ** 2 + gam**2) + np.arctan((x - 1) / gam) / gam  # noqa: E731
    exact = si.prefactor_cm2 * er * (F(hi) - F(lo))
    near = (hi > 0.5) & (lo < 2.0)
    num = []
    for a, b in zip(grid.edges[:-1][near], grid.edges[1:][near]):
        x, w = resonance_nodes(a, b, er, er * gam)
        num.append(np.sum(w * si.prefactor_cm2 * si_sigma_terms(2 * m * EV * x / si.m_phi**2, gam)["s"]))
    assert np.allclose(num, exact[near], rtol=1e-6)
    # sampling at bin centres instead would be wrong by orders of magnitude in the resonant bin
    k = np.flatnonzero((lo <= 1) & (hi > 1))[0]
    centre = si.prefactor_cm2 * si_sigma_terms(np.sqrt(lo[k] * hi[k]), gam)["s"] * (hi[k] - lo[k]) * er
    assert abs(centre / exact[k] - 1) > 0.5


def test_si_binned_identity():
    si = SecretInteraction(g=0.1, m_phi_mev=10.0)
    edges = EnergyGrid(1e0, 1e10, 200).edges
    K, R, Kd, leak = _si_tables(edges, 0.05, si)
    gain = R.sum(axis=0) + Kd
    # source bins far above the grid bottom: (almost) nothing leaves below E_min
    sel = edges[:-1] > 1e5
    assert np.allclose(gain[sel], 2 * K[sel], rtol=2e-4)
    assert np.all(R >= 0) and np.all(K > 0)


def test_sigma_matrix_and_errors():
    E = np.geomspace(1e3, 1e8, 5)
    s = sigma_matrix(E, MASSES, U)
    assert s.shape == (3, 3, 5) and np.all(s > 0)
    si = SecretInteraction(0.1, 10.0)
    s2 = sigma_matrix(E, MASSES, U, si=si)
    assert np.all(s2 >= s)
    with pytest.raises(InputError):
        SecretInteraction(g=-1, m_phi_mev=1)
    with pytest.raises(InputError):
        EnergyGrid(10, 1, 5)

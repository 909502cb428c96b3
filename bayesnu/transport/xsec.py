"""Neutrino - relic-neutrino cross sections: Standard Model and scalar secret interactions.

Conventions
-----------
* Incoming (anti)neutrino of mass state j and energy E' [GeV] on a relic of mass
  state k at rest, s_k = 2 m_k E'. Incoming antineutrinos behave as neutrinos
  (CP), so the combined nu + nubar flux of each mass state is propagated.
* Relic density n0 per mass state **per degree of freedom** (neutrino or
  antineutrino); every Standard-Model cross section here is **summed over the
  relic neutrino and the relic antineutrino** of state k, so the loss rate is
  ``n0 * eta * sum_k sigma_jk``.
* Regeneration kernels ``J_{j->i}(E', E)`` [cm^2 GeV^-1] count *every* outgoing
  (anti)neutrino of state i at energy E, so sum_i int_0^E' J dE = 2 sigma^nu_j
  (two neutrinos leave each neutrino-producing collision).

Standard Model, derived from the four-neutrino Z-exchange operator (see
VALIDATION.md, "Transport solver"), with c_k = G_F^2 m_k / pi and x = E/E':

* same-type target nu_k, k != j:  sigma = G_F^2 s/(2 pi);  nu_j and nu_k each flat, c_k
* same-type target nu_j (identical particles, factor 1/2 in sigma): sigma = G_F^2 s / pi;
  outgoing nu_j spectrum 4 c_j (both particles)
* opposite target nubar_k, k != j (t channel): sigma = G_F^2 s/(6 pi);
  nu_j ~ c_k x^2, nubar_k ~ c_k (1-x)^2
* opposite target nubar_j (t + s channel, amplitudes add): sigma = 2 G_F^2 s/(3 pi),
  nu_j ~ 4 c_j x^2, nubar_j ~ 4 c_j (1-x)^2; plus nu_j nubar_j -> nu_l nubar_l (l != j),
  sigma = G_F^2 s/(6 pi) each, nu_l ~ c_j x^2, nubar_l ~ c_j (1-x)^2
* opposite target, e+e- production: coherent Z + W amplitude in the mass basis,
  g_L = -1/2 + sin^2 theta_W + |U_ej|^2 (k = j) or U_ej U_ek^* (k != j), g_R = sin^2 theta_W delta_jk.

Hence sigma^nu_jk = (2 G_F^2 s_k / 3 pi)(1 + 2 delta_jk) (Franklin et al. 2025, eq. 5, has
(7 delta + 2)/(3 pi), i.e. it misses the identical-particle 1/2 for nu_j nu_j).

Secret interactions (L = -1/2 g phi nu_tau nu_tau, Esteban et al. 2021): in the
mass basis every term carries u_i u_j u_k u_l with u_i = |U_tau i|^2, so
sigma_jk = u_j u_k sigma_tau(s_k) and J_{j->i} = u_i u_j sum_k u_k K_tau,k. The
s-channel resonance (relative width Gamma/m_phi ~ g^2/16 pi) is integrated with
resonance-adapted quadrature (arctan map on the peak, log-distance map on the
wings), never sampled at bin centres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesnu.errors import InputError
from bayesnu.transport._jit import jit
from bayesnu.transport.constants import EV, G_F, HBARC2_CM2, M_E, MEV, SIN2_THETA_W

__all__ = [
    "SecretInteraction",
    "sm_sigma_nu",
    "sm_sigma_ee",
    "sm_kernel_coefficients",
    "sm_kernel",
    "si_sigma_flavour",
    "si_sigma",
    "si_kernel_flavour",
    "sigma_matrix",
]

_GF2 = G_F**2


# ----------------------------------------------------------------------------- SM totals
def sm_sigma_nu(energy, masses_ev) -> np.ndarray:
    """Neutrino-producing SM cross sections sigma^nu_jk(E) [cm^2], shape (3, 3, n).

    Summed over relic neutrino and antineutrino of state k:
    sigma_jk = 2 G_F^2 s_k (1 + 2 delta_jk) / (3 pi), s_k = 2 m_k E.
    """
    E = np.atleast_1d(np.asarray(energy, dtype=float))
    m = np.asarray(masses_ev, dtype=float) * EV
    s = 2.0 * m[None, :, None] * E[None, None, :]
    fac = (1.0 + 2.0 * np.eye(3))[:, :, None]
    return 2.0 * _GF2 * s * fac / (3.0 * np.pi) * HBARC2_CM2 * np.ones((3, 1, 1))


def _ee_couplings(U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|g_V|^2 and |g_A|^2 of nu_j nubar_k -> e+ e- (Z + W, coherent), shape (3, 3)."""
    ue2 = np.abs(U[0]) ** 2
    gv2 = np.outer(ue2, ue2)
    ga2 = gv2.copy()
    for j in range(3):
        gv2[j, j] = (-0.5 + 2 * SIN2_THETA_W + ue2[j]) ** 2
        ga2[j, j] = (-0.5 + ue2[j]) ** 2
    return gv2, ga2


def sm_sigma_ee(energy, masses_ev, U: np.ndarray) -> np.ndarray:
    """nu_j nubar_k -> e+ e- cross section [cm^2], shape (3, 3, n).

    sigma = G_F^2/(3 pi) [s (g_A^2 + g_V^2) + 2 m_e^2 (g_V^2 - 2 g_A^2)] sqrt(1 - 4 m_e^2/s),
    with mass-basis couplings from the coherent Z + W amplitude (zero below threshold).
    """
    E = np.atleast_1d(np.asarray(energy, dtype=float))
    m = np.asarray(masses_ev, dtype=float) * EV
    gv2, ga2 = _ee_couplings(U)
    s = 2.0 * m[None, :, None] * E[None, None, :] * np.ones((3, 1, 1))
    beta2 = np.clip(1.0 - 4 * M_E**2 / s, 0.0, None)
    val = (s * (ga2 + gv2)[:, :, None] + 2 * M_E**2 * (gv2 - 2 * ga2)[:, :, None]) * np.sqrt(beta2)
    return np.where(beta2 > 0, _GF2 / (3 * np.pi) * val * HBARC2_CM2, 0.0)


# Polynomial kernel Q_{j i k}(x) = q0 + q1 x + q2 x^2 (coefficients of c_k = G_F^2 m_k / pi)
def _sm_q() -> np.ndarray:
    q = np.zeros((3, 3, 3, 3))  # [j, i, k, p]
    for j in range(3):
        for k in range(3):
            if k == j:
                q[j, j, k] += [8.0, -8.0, 8.0]  # 4 (1 + x^2 + (1-x)^2): nu_j nu_j and nu_j nubar_j
            else:
                q[j, j, k] += [1.0, 0.0, 1.0]  # nu_j out: flat (nu_k target) + x^2 (nubar_k target)
                q[j, k, k] += [2.0, -2.0, 1.0]  # relic up-scattered: flat + (1-x)^2
        for i in range(3):
            if i != j:
                q[j, i, j] += [1.0, -2.0, 2.0]  # nu_j nubar_j -> nu_i nubar_i: x^2 + (1-x)^2
    return q


_SM_Q = _sm_q()


def sm_kernel_coefficients(masses_ev) -> np.ndarray:
    """C[j, i, p] [cm^2 GeV^-1]: J_{j->i}(E', E) = sum_p C[j, i, p] (E/E')^p for E < E'."""
    m = np.asarray(masses_ev, dtype=float) * EV
    ck = _GF2 * m / np.pi * HBARC2_CM2
    return np.einsum("jikp,k->jip", _SM_Q, ck)


def sm_kernel(e_in, e_out, masses_ev) -> np.ndarray:
    """SM regeneration kernel J_{j->i}(E', E) [cm^2 GeV^-1], shape (3, 3, n); zero for E > E'."""
    ep = np.atleast_1d(np.asarray(e_in, dtype=float))
    e = np.atleast_1d(np.asarray(e_out, dtype=float))
    x = e / ep
    C = sm_kernel_coefficients(masses_ev)
    val = C[:, :, 0, None] + C[:, :, 1, None] * x + C[:, :, 2, None] * x**2
    return np.where((x >= 0) & (x <= 1), val, 0.0)


# ----------------------------------------------------------------------------- secret interactions
@dataclass(frozen=True)
class SecretInteraction:
    """Scalar-mediated nu_tau self-interaction.

    Parameters
    ----------
    g
        Coupling g_tautau (dimensionless, > 0).
    m_phi_mev
        Mediator mass [MeV].
    majorana
        Majorana (True, default) or Dirac neutrinos.
    """

    g: float
    m_phi_mev: float
    majorana: bool = True

    def __post_init__(self) -> None:
        if not (np.isfinite(self.g) and self.g > 0):
            raise InputError(f"g must be > 0, got {self.g}", column="g")
        if not (np.isfinite(self.m_phi_mev) and self.m_phi_mev > 0):
            raise InputError(f"m_phi must be > 0 MeV, got {self.m_phi_mev}", column="mphi_mev")

    @property
    def m_phi(self) -> float:
        """Mediator mass [GeV]."""
        return self.m_phi_mev * MEV

    @property
    def width(self) -> float:
        """Total width Gamma [GeV]: g^2 m/(16 pi) Majorana, g^2 m/(8 pi) Dirac."""
        return self.g**2 * self.m_phi / ((16.0 if self.majorana else 8.0) * np.pi)

    @property
    def prefactor_cm2(self) -> float:
        """P = g^4 / (16 pi m_phi^2) [cm^2]."""
        return self.g**4 / (16 * np.pi * self.m_phi**2) * HBARC2_CM2

    @property
    def weights(self) -> tuple[float, float]:
        """(w_tu, w_st): weights of the t-u and s-t/s-u interference terms (1, 1 Majorana; 1/2, 1/2 Dirac)."""
        return (1.0, 1.0) if self.majorana else (0.5, 0.5)

    def resonance_energy(self, m_relic_ev: float) -> float:
        """E_res = m_phi^2 / (2 m_k) [GeV]."""
        return self.m_phi**2 / (2 * m_relic_ev * EV)


def _numerator_n(x: np.ndarray) -> np.ndarray:
    """N(x) = x^2 + 2x - 2(1+x) ln(1+x), accurate for small x (series below 0.1)."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    small = x < 0.1
    xs = x[small]
    acc = np.zeros_like(xs)
    for n in range(3, 24):
        acc += (-1) ** (n + 1) * 2.0 * xs**n / (n * (n - 1))
    out[small] = acc
    xl = x[~small]
    out[~small] = xl**2 + 2 * xl - 2 * (1 + xl) * np.log1p(xl)
    return out


def _x_minus_log1p(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    small = x < 0.1
    xs = x[small]
    acc = np.zeros_like(xs)
    for n in range(2, 24):
        acc += (-1) ** n * xs**n / n
    out[small] = acc
    out[~small] = x[~small] - np.log1p(x[~small])
    return out


def si_sigma_terms(x, gam, xm1=None) -> dict[str, np.ndarray]:
    """Dimensionless cross-section terms sigma/P as functions of x = s/m_phi^2 (Esteban et al. 2021).

    ``xm1`` = x - 1 computed without cancellation near the pole (default: from ``x``).
    """
    x = np.asarray(x, dtype=float)
    xm1 = x - 1 if xm1 is None else np.asarray(xm1, dtype=float)
    den = xm1**2 + gam**2
    N = _numerator_n(x)
    return {
        "s": x / den,
        "t": N / (x**2 * (1 + x)),
        "tu": N / (x**2 * (2 + x)),
        "st": xm1 * _x_minus_log1p(x) / (x * den),
    }


def si_sigma_flavour(energy, m_relic_ev: float, si: SecretInteraction, offset_gev=None) -> np.ndarray:
    """Total nu_tau nu_tau cross section sigma_tau(E) [cm^2] on a relic of mass m_relic.

    Majorana: s + t + u + tu + st + su; Dirac: s(Gamma_Dirac) + 2 t + tu/2 + st.
    ``offset_gev``: E - E_res computed exactly (for nodes closer to the pole than the
    double resolution of E; see ``resonance_nodes``).
    """
    E = np.asarray(energy, dtype=float)
    x = 2 * m_relic_ev * EV * E / si.m_phi**2
    xm1 = None if offset_gev is None else 2 * m_relic_ev * EV * np.asarray(offset_gev, dtype=float) / si.m_phi**2
    T = si_sigma_terms(x, si.width / si.m_phi, xm1)
    w_tu, w_st = si.weights
    return si.prefactor_cm2 * (T["s"] + 2 * T["t"] + w_tu * T["tu"] + 2 * w_st * T["st"])


def si_sigma(energy, masses_ev, U: np.ndarray, si: SecretInteraction) -> np.ndarray:
    """Mass-basis secret-interaction cross sections sigma_jk(E) [cm^2], shape (3, 3, n)."""
    E = np.atleast_1d(np.asarray(energy, dtype=float))
    u = np.abs(U[2]) ** 2
    out = np.empty((3, 3, E.size))
    for k in range(3):
        out[:, k, :] = np.outer(u * u[k], si_sigma_flavour(E, masses_ev[k], si))
    return out


@jit(cache=True, error_model="numpy")
def _si_kernel_point(ep, e, mk, M2, MG, w_tu, w_st, ds):
    """|M|^2 / g^4 * m_k / (4 pi s^2) [GeV^-3] for one (E', E) pair (E <= E'); ds = s - M2."""
    s = 2.0 * mk * ep
    t = -2.0 * mk * e
    u = -2.0 * mk * (ep - e)
    den = ds * ds + MG * MG
    at = t / (t - M2)  # t / (t - m^2) and u / (u - m^2): two divisions per point
    au = u / (u - M2)
    val = s * s / den + at * at + au * au + w_tu * at * au
    val += w_st * s * ds / den * (at + au)
    return val * mk / (4.0 * np.pi * s * s)


def si_kernel_flavour(e_in, e_out, m_relic_ev: float, si: SecretInteraction) -> np.ndarray:
    """nu_tau regeneration kernel K(E' -> E) [cm^2 GeV^-1] counting both outgoing neutrinos."""
    ep = np.atleast_1d(np.asarray(e_in, dtype=float))
    e = np.atleast_1d(np.asarray(e_out, dtype=float))
    ep, e = np.broadcast_arrays(ep, e)
    w_tu, w_st = si.weights
    M2 = si.m_phi**2
    MG = si.m_phi * si.width
    out = np.array(
        [_si_kernel_point(a, b, m_relic_ev * EV, M2, MG, w_tu, w_st, 2.0 * m_relic_ev * EV * a - M2)
         for a, b in zip(ep.ravel(), e.ravel())]
    ).reshape(ep.shape)
    out = out * si.g**4 * HBARC2_CM2
    return np.where((e >= 0) & (e <= ep), out, 0.0)


def sigma_matrix(energy, masses_ev, U, si: SecretInteraction | None = None, sm: bool = True,
                 ee: bool = True) -> np.ndarray:
    """Total cross section sigma_ij(E) [cm^2] of incoming mass state i on relic state j, (3, 3, n)."""
    E = np.atleast_1d(np.asarray(energy, dtype=float))
    out = np.zeros((3, 3, E.size))
    if sm:
        out += sm_sigma_nu(E, masses_ev)
        if ee:
            out += sm_sigma_ee(E, masses_ev, U)
    if si is not None:
        out += si_sigma(E, masses_ev, U, si)
    return out

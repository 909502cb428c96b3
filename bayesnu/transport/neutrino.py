"""Neutrino parameters: NuFit 2022 oscillation parameters, PMNS matrix, masses, flavour <-> mass.

Values are the NuFIT 5.2 (2022) global best fits with Super-Kamiokande atmospheric
data (I. Esteban, M. C. Gonzalez-Garcia, M. Maltoni, T. Schwetz, A. Zhou,
JHEP 09 (2020) 178, updated as NuFIT 5.2 at www.nu-fit.org, November 2022):

=========  ==========  ==========
quantity   NO          IO
=========  ==========  ==========
theta12    33.41 deg   33.41 deg
theta13    8.58 deg    8.57 deg
theta23    42.2 deg    49.0 deg
delta_CP   232 deg     276 deg
dm21^2     7.41e-5     7.41e-5 eV^2
dm3l^2     +2.507e-3   -2.486e-3 eV^2
=========  ==========  ==========

``dm3l`` is Delta m^2_31 for normal ordering and Delta m^2_32 for inverted ordering
(NuFIT's convention); the ``dm31`` argument below follows the same convention.
Franklin et al. 2025 (CnuB) uses normal ordering with these splittings, so m1 = 0.0342 eV gives a
mass sum of 0.130 eV.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bayesnu.errors import InputError

__all__ = [
    "OscillationParameters",
    "NUFIT_2022_NO",
    "NUFIT_2022_IO",
    "nufit2022",
    "pmns_matrix",
    "masses_from_lightest",
    "masses_from_sum",
    "flavour_to_mass_weights",
    "mass_to_flavour",
]

FLAVOURS = ("e", "mu", "tau")


@dataclass(frozen=True)
class OscillationParameters:
    """Three-flavour oscillation parameters (angles in degrees, splittings in eV^2).

    Parameters
    ----------
    theta12, theta13, theta23, delta_cp
        Mixing angles and Dirac CP phase [deg].
    dm21
        Delta m^2_21 [eV^2].
    dm3l
        Delta m^2_31 (normal ordering, > 0) or Delta m^2_32 (inverted, < 0) [eV^2].
    ordering
        ``"NO"`` or ``"IO"``.
    """

    theta12: float
    theta13: float
    theta23: float
    delta_cp: float
    dm21: float
    dm3l: float
    ordering: str = "NO"

    def __post_init__(self) -> None:
        if self.ordering not in ("NO", "IO"):
            raise InputError(f"ordering must be 'NO' or 'IO', got {self.ordering!r}", column="ordering")
        for name in ("theta12", "theta13", "theta23"):
            v = getattr(self, name)
            if not (0.0 <= v <= 90.0) or not np.isfinite(v):
                raise InputError(f"{name} must be in [0, 90] deg, got {v}", column=name)
        if not (self.dm21 > 0):
            raise InputError(f"dm21 must be > 0 eV^2, got {self.dm21}", column="dm21")
        if self.ordering == "NO" and not self.dm3l > self.dm21:
            raise InputError(f"normal ordering needs dm31 > dm21 > 0, got {self.dm3l}", column="dm31")
        if self.ordering == "IO" and not self.dm3l < 0:
            raise InputError(f"inverted ordering needs dm32 < 0, got {self.dm3l}", column="dm31")

    def with_overrides(self, **kw: float | None) -> OscillationParameters:
        """Return a copy with the given (non-None) fields replaced."""
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


NUFIT_2022_NO = OscillationParameters(33.41, 8.58, 42.2, 232.0, 7.41e-5, 2.507e-3, "NO")
NUFIT_2022_IO = OscillationParameters(33.41, 8.57, 49.0, 276.0, 7.41e-5, -2.486e-3, "IO")


def nufit2022(ordering: str = "NO") -> OscillationParameters:
    """NuFIT 5.2 (2022) best fit for ``ordering`` ("NO" or "IO")."""
    o = ordering.upper()
    if o not in ("NO", "IO"):
        raise InputError(f"ordering must be 'NO' or 'IO', got {ordering!r}", column="ordering")
    return NUFIT_2022_NO if o == "NO" else NUFIT_2022_IO


def pmns_matrix(p: OscillationParameters) -> np.ndarray:
    """PMNS matrix U (rows e, mu, tau; columns mass states 1, 2, 3), PDG convention."""
    t12, t13, t23, d = np.radians([p.theta12, p.theta13, p.theta23, p.delta_cp])
    s12, c12 = np.sin(t12), np.cos(t12)
    s13, c13 = np.sin(t13), np.cos(t13)
    s23, c23 = np.sin(t23), np.cos(t23)
    ed = np.exp(1j * d)
    return np.array(
        [
            [c12 * c13, s12 * c13, s13 / ed],
            [-s12 * c23 - c12 * s23 * s13 * ed, c12 * c23 - s12 * s23 * s13 * ed, s23 * c13],
            [s12 * s23 - c12 * c23 * s13 * ed, -c12 * s23 - s12 * c23 * s13 * ed, c23 * c13],
        ]
    )


def masses_from_lightest(m_lightest: float, p: OscillationParameters) -> np.ndarray:
    """Masses (m1, m2, m3) [eV] from the lightest mass (m1 for NO, m3 for IO)."""
    if not (np.isfinite(m_lightest) and m_lightest >= 0):
        raise InputError(f"lightest mass must be >= 0 eV, got {m_lightest}", column="m1")
    m0 = float(m_lightest)
    if p.ordering == "NO":
        m1 = m0
        m2 = np.sqrt(m0**2 + p.dm21)
        m3 = np.sqrt(m0**2 + p.dm3l)
    else:
        m3 = m0
        m2 = np.sqrt(m0**2 - p.dm3l)  # dm32 < 0
        m1 = np.sqrt(m2**2 - p.dm21)
    return np.array([m1, m2, m3])


def masses_from_sum(sum_m: float, p: OscillationParameters) -> np.ndarray:
    """Masses (m1, m2, m3) [eV] with the given sum [eV]; raises if below the minimum."""
    smin = masses_from_lightest(0.0, p).sum()
    if not (np.isfinite(sum_m) and sum_m >= smin):
        raise InputError(
            f"sum of masses {sum_m} eV is below the minimum {smin:.4f} eV for {p.ordering}",
            column="sum_m",
        )
    if sum_m == smin:
        return masses_from_lightest(0.0, p)
    # the sum grows monotonically with the lightest mass: bisection to machine precision
    # (no scipy.optimize: it costs 0.4 s of import time)
    lo, hi = 0.0, float(sum_m)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if masses_from_lightest(mid, p).sum() < sum_m:
            lo = mid
        else:
            hi = mid
    return masses_from_lightest(0.5 * (lo + hi), p)


def _composition(flavour_ratio) -> np.ndarray:
    f = np.asarray(flavour_ratio, dtype=float)
    if f.shape != (3,) or not np.all(np.isfinite(f)) or np.any(f < 0) or f.sum() <= 0:
        raise InputError(
            f"flavour ratio must be three non-negative numbers with a positive sum, got {flavour_ratio}",
            column="flavour_ratio",
        )
    return f / f.sum()


def flavour_to_mass_weights(flavour_ratio, U: np.ndarray) -> np.ndarray:
    """Mass-state fractions w_i = sum_a f_a |U_ai|^2 of a source with flavour fractions f_a.

    Decoherence over astrophysical baselines makes the mass states incoherent, so
    fluxes (not amplitudes) are converted. The weights sum to one.
    """
    return _composition(flavour_ratio) @ (np.abs(U) ** 2)


def mass_to_flavour(phi_mass: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Flavour fluxes Phi_a = sum_i |U_ai|^2 Phi_i; ``phi_mass`` has shape (3, ...)."""
    return np.tensordot(np.abs(U) ** 2, phi_mass, axes=(1, 0))

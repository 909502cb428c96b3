"""Flat Lambda-CDM expansion history and the star-formation history of Yuksel et al. (2008)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bayesnu.errors import InputError
from bayesnu.transport.constants import C_KM_S, MPC_CM

__all__ = ["Cosmology", "sfr_yuksel2008"]


@dataclass(frozen=True)
class Cosmology:
    """Flat Lambda-CDM (radiation neglected).

    Parameters
    ----------
    h0
        Hubble constant [km s^-1 Mpc^-1] (default Planck 2018: 67.4).
    omega_m
        Matter density parameter today (default Planck 2018: 0.315).
    """

    h0: float = 67.4
    omega_m: float = 0.315

    def __post_init__(self) -> None:
        if not (np.isfinite(self.h0) and self.h0 > 0):
            raise InputError(f"h0 must be > 0 km/s/Mpc, got {self.h0}", column="h0")
        if not (np.isfinite(self.omega_m) and 0 < self.omega_m <= 1):
            raise InputError(f"omega_m must be in (0, 1], got {self.omega_m}", column="omega_m")

    def efunc(self, z):
        """E(z) = H(z)/H0."""
        z = np.asarray(z, dtype=float)
        return np.sqrt(self.omega_m * (1 + z) ** 3 + 1 - self.omega_m)

    @property
    def hubble_length_cm(self) -> float:
        """c / H0 [cm]."""
        return C_KM_S / self.h0 * MPC_CM

    def column_length_cm(self, z_lo, z_hi, power: int = 2, nodes: int = 16):
        """c * int_{z_lo}^{z_hi} (1+z)^power dz / ((1+z) H(z)) [cm] (Gauss-Legendre).

        ``power=0`` gives the light-travel distance c int dt; ``power=3`` weights it with
        the relic density growth n(z)/n0 = (1+z)^3 (column of relics per unit n0).
        Scalars give a float; arrays of interval ends give an array (one per interval).
        """
        x, w = _gauss_legendre(nodes)
        lo, hi = np.asarray(z_lo, dtype=float), np.asarray(z_hi, dtype=float)
        z = 0.5 * (hi - lo)[..., None] * x + 0.5 * (hi + lo)[..., None]
        f = (1 + z) ** (power - 1) / self.efunc(z)
        out = 0.5 * (hi - lo) * np.sum(w * f, axis=-1) * self.hubble_length_cm
        return float(out) if out.ndim == 0 else out


@lru_cache(maxsize=8)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def sfr_yuksel2008(z):
    """Star-formation rate density of Yuksel, Kistler, Beacom & Hopkins (2008), arbitrary units.

    rho(z) ~ [(1+z)^(a eta) + ((1+z)/B)^(b eta) + ((1+z)/C)^(c eta)]^(1/eta) with
    a = 3.4, b = -0.3, c = -3.5, eta = -10, B = 5000, C = 9 (their eq. 5).
    """
    zp = 1.0 + np.asarray(z, dtype=float)
    a, b, c, eta = 3.4, -0.3, -3.5, -10.0
    B, C = 5000.0, 9.0
    return (zp ** (a * eta) + (zp / B) ** (b * eta) + (zp / C) ** (c * eta)) ** (1.0 / eta)

"""Typed settings of the CnuB transport: geometry, neutrino parameters, solver options.

Three small frozen (hashable) dataclasses describe one propagation problem and
replace the former 26 keyword arguments of :class:`~bayesnu.transport.Propagator`:

* the **geometry**, one of

  - :class:`ConstantDensity` ``(d_eff_mpc)``: overdensity eta over a distance, no redshift
    (Franklin et al. 2023, 2025 for NGC 1068);
  - :class:`Redshift` ``(z, cosmology)``: a point source at redshift z, relic density
    eta n0 (1+z)^3 along the line of sight (TXS 0506+056, PKS 1424+240);
  - :class:`Population` ``(z_max, cosmology)``: the diffuse flux of sources following the
    star-formation history up to z_max (the setting of Esteban et al. 2021, nuSIprop);

* :class:`Neutrinos`: masses (lightest mass or sum, ordering, or explicit), mixing
  (NuFIT 2022 by default), source flavour composition, which interactions act
  (Standard Model, e+e-, a secret nu_tau interaction with coupling g and mediator mass
  m_phi, Majorana or Dirac) and the relic density n0;

* :class:`SolverOptions`: energy grid (range and number of bins), flux floor, the
  energy-conserving correction and the step control (:class:`StepControl`).

Every field is validated on construction; a bad value raises
:class:`~bayesnu.errors.InputError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from bayesnu.errors import InputError
from bayesnu.transport.constants import MPC_CM, N0_CM3
from bayesnu.transport.cosmology import Cosmology
from bayesnu.transport.neutrino import (
    OscillationParameters,
    flavour_to_mass_weights,
    masses_from_lightest,
    masses_from_sum,
    nufit2022,
    pmns_matrix,
)
from bayesnu.transport.operator import EnergyGrid
from bayesnu.transport.xsec import SecretInteraction

__all__ = [
    "ConstantDensity",
    "Redshift",
    "Population",
    "Geometry",
    "Neutrinos",
    "StepControl",
    "SolverOptions",
    "MAX_BINS",
    "MAX_EIGEN_BINS",
    "DEFAULT_M_LIGHTEST_EV",
]

#: Largest number of energy bins of a grid (the secret-interaction gain is an N x N table).
MAX_BINS = 5000
#: Largest working grid of the eigen solvers (distance and redshift modes keep a dense
#: 3N x 3N eigenvector matrix: 2500 bins = 450 MB).
MAX_EIGEN_BINS = 2500
#: Default lightest neutrino mass [eV] (normal ordering: sum 0.130 eV, Franklin et al. 2025).
DEFAULT_M_LIGHTEST_EV = 0.0342


def _positive(value, name: str, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}", column=name) from None
    ok = np.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        raise InputError(f"{name} must be {'>= 0' if allow_zero else '> 0'} and finite, got {value}",
                         column=name)
    return v


# ----------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class ConstantDensity:
    """Constant relic overdensity eta over an effective distance, no redshift.

    Parameters
    ----------
    d_eff_mpc
        Effective distance [Mpc] (Franklin et al. 2023, 2025: 14 Mpc for NGC 1068, or 10 kpc = 0.01).

    Notes
    -----
    The solution depends on eta x d_eff only.
    """

    d_eff_mpc: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "d_eff_mpc", _positive(self.d_eff_mpc, "d_eff_mpc"))

    @property
    def mode(self) -> str:
        return "distance"

    @property
    def d_cm(self) -> float:
        """Distance [cm]."""
        return self.d_eff_mpc * MPC_CM


@dataclass(frozen=True)
class Redshift:
    """A point source at redshift ``z`` (bin-shift redshift solver, Franklin et al. 2025, App. A).

    Parameters
    ----------
    z
        Source redshift (> 0).
    cosmology
        Flat Lambda-CDM (default Planck 2018).
    """

    z: float
    cosmology: Cosmology = field(default_factory=Cosmology)

    def __post_init__(self) -> None:
        object.__setattr__(self, "z", _positive(self.z, "z"))
        if not isinstance(self.cosmology, Cosmology):
            raise InputError("cosmology must be a bayesnu.transport.Cosmology", column="cosmology")

    @property
    def mode(self) -> str:
        return "redshift"


@dataclass(frozen=True)
class Population:
    """Diffuse flux of sources following the star-formation history (Yuksel et al. 2008).

    Parameters
    ----------
    z_max
        Largest source redshift (> 0; nuSIprop's default is 5).
    cosmology
        Flat Lambda-CDM (default Planck 2018).
    """

    z_max: float
    cosmology: Cosmology = field(default_factory=Cosmology)

    def __post_init__(self) -> None:
        object.__setattr__(self, "z_max", _positive(self.z_max, "z_max"))
        if not isinstance(self.cosmology, Cosmology):
            raise InputError("cosmology must be a bayesnu.transport.Cosmology", column="cosmology")

    @property
    def mode(self) -> str:
        return "population"


#: Any of the three geometries.
Geometry = ConstantDensity | Redshift | Population
_GEOMETRIES = (ConstantDensity, Redshift, Population)


def check_geometry(geometry) -> Geometry:
    """Return ``geometry`` if it is one of the three geometry classes, else raise InputError."""
    if not isinstance(geometry, _GEOMETRIES):
        raise InputError("geometry must be ConstantDensity(d_eff_mpc), Redshift(z) or Population(z_max), "
                         f"got {type(geometry).__name__}", column="geometry")
    return geometry


# ----------------------------------------------------------------------------- neutrinos
@dataclass(frozen=True)
class Neutrinos:
    """Neutrino masses and mixing, source composition and the interactions that act.

    Parameters
    ----------
    m_lightest
        Lightest mass [eV] (m1 for NO, m3 for IO). Default 0.0342 eV when neither
        ``sum_m`` nor ``masses_ev`` is given.
    sum_m
        Sum of the masses [eV] (instead of ``m_lightest``).
    masses_ev
        Explicit (m1, m2, m3) [eV] (instead of the two above).
    ordering
        "NO" or "IO" (NuFIT 2022 mixing and splittings), used when ``osc`` is None.
    osc
        Oscillation parameters overriding NuFIT 2022.
    g, m_phi_mev
        Secret nu_tau - nu_tau interaction: coupling g_tautau and mediator mass [MeV];
        both None (default) for none. Any g > 0 is valid; g -> 0 reduces to the
        Standard Model continuously.
    majorana
        Majorana (True, default) or Dirac neutrinos (width and interference terms of the
        secret interaction).
    flavour_ratio
        Source composition nu_e : nu_mu : nu_tau (default 1 : 2 : 0).
    sm, ee
        Standard-Model nu-nu scattering; nu nubar -> e+ e- (only with ``sm``).
    n0
        Relic density today per mass state per degree of freedom [cm^-3] (56).
    """

    m_lightest: float | None = None
    sum_m: float | None = None
    masses_ev: tuple[float, float, float] | None = None
    ordering: str = "NO"
    osc: OscillationParameters | None = None
    g: float | None = None
    m_phi_mev: float | None = None
    majorana: bool = True
    flavour_ratio: tuple[float, float, float] = (1.0, 2.0, 0.0)
    sm: bool = True
    ee: bool = True
    n0: float = N0_CM3

    def __post_init__(self) -> None:
        given = [v is not None for v in (self.m_lightest, self.sum_m, self.masses_ev)]
        if sum(given) > 1:
            raise InputError("give at most one of m_lightest, sum_m and masses_ev", column="m1")
        if self.masses_ev is not None:
            m = tuple(float(v) for v in np.asarray(self.masses_ev, dtype=float).ravel())
            if len(m) != 3:
                raise InputError(f"masses_ev must be three masses [eV], got {self.masses_ev}", column="masses")
            object.__setattr__(self, "masses_ev", m)
        if self.ordering not in ("NO", "IO"):
            raise InputError(f"ordering must be 'NO' or 'IO', got {self.ordering!r}", column="ordering")
        if (self.g is None) != (self.m_phi_mev is None):
            raise InputError("a secret interaction needs both g and m_phi_mev", column="g")
        if self.g is not None:
            object.__setattr__(self, "g", _positive(self.g, "g"))
            object.__setattr__(self, "m_phi_mev", _positive(self.m_phi_mev, "m_phi_mev"))
        object.__setattr__(self, "flavour_ratio", tuple(float(v) for v in self.flavour_ratio))
        object.__setattr__(self, "n0", _positive(self.n0, "n0"))
        object.__setattr__(self, "majorana", bool(self.majorana))
        # resolve once: raises InputError for a bad mass, sum or composition
        m = self.masses()
        if np.any(m <= 0):
            raise InputError("every neutrino mass must be > 0 (relics at rest); raise the lightest mass",
                             column="m1")
        flavour_to_mass_weights(self.flavour_ratio, self.pmns())

    def oscillation(self) -> OscillationParameters:
        """The oscillation parameters (``osc`` or NuFIT 2022 for ``ordering``)."""
        return self.osc if self.osc is not None else nufit2022(self.ordering)

    def pmns(self) -> np.ndarray:
        """PMNS matrix (flavour x mass)."""
        return pmns_matrix(self.oscillation())

    def masses(self) -> np.ndarray:
        """(m1, m2, m3) [eV]."""
        if self.masses_ev is not None:
            return np.asarray(self.masses_ev, dtype=float)
        if self.sum_m is not None:
            return masses_from_sum(self.sum_m, self.oscillation())
        m0 = DEFAULT_M_LIGHTEST_EV if self.m_lightest is None else self.m_lightest
        return masses_from_lightest(m0, self.oscillation())

    @property
    def secret_interaction(self) -> SecretInteraction | None:
        """The secret interaction, or None."""
        if self.g is None:
            return None
        return SecretInteraction(self.g, self.m_phi_mev, majorana=self.majorana)

    def with_secret(self, g: float | None, m_phi_mev: float | None) -> Neutrinos:
        """A copy with another secret interaction (None, None: none)."""
        return replace(self, g=g, m_phi_mev=m_phi_mev)


# ----------------------------------------------------------------------------- solver options
@dataclass(frozen=True)
class StepControl:
    """How the transport equation is stepped.

    Parameters
    ----------
    method
        Constant density: "auto" (eigen-decomposition, falling back to the implicit
        stepper where its rounding check fails), "eigen" or "implicit".
    tol
        Relative rounding-error bound above which an eigen evaluation falls back.
    implicit_steps, implicit_levels
        Backward-Euler steps and Richardson levels of the implicit (reference/fallback) solver.
    scheme
        Redshift modes: "eigen" (exact exponential per redshift step; default for
        ``Redshift``), "etd2" (exponential step with modelled gain profiles, positive and
        accurate across narrow resonances with one step per redshift step; default for
        ``Population``), "etd" (number-conserving exponential step, constant gains) or
        "be" (backward Euler with Richardson extrapolation; ``levels=1``: Franklin et al. 2025's and
        nuSIprop's single backward-Euler step).
    substeps, levels
        Sub-steps per redshift step; Richardson levels of "be".
    bins_per_step
        Population: energy bins shifted per redshift step (1 = Franklin et al. 2025's scheme).
    """

    method: str = "auto"
    tol: float = 1e-8
    implicit_steps: int = 64
    implicit_levels: int = 4
    scheme: str | None = None
    substeps: int = 1
    levels: int = 2
    bins_per_step: int = 1

    def __post_init__(self) -> None:
        if self.method not in ("auto", "eigen", "implicit"):
            raise InputError(f"method must be auto, eigen or implicit, got {self.method!r}", column="method")
        if self.scheme not in (None, "eigen", "etd", "etd2", "be"):
            raise InputError(f"scheme must be 'eigen', 'etd', 'etd2' or 'be', got {self.scheme!r}", column="scheme")
        _positive(self.tol, "tol")
        for name, lo, hi in (("implicit_steps", 1, 100000), ("implicit_levels", 1, 12), ("substeps", 1, 10000),
                             ("levels", 1, 12), ("bins_per_step", 1, 1000)):
            v = getattr(self, name)
            if int(v) != v or not lo <= v <= hi:
                raise InputError(f"{name} must be an integer in [{lo}, {hi}], got {v}", column=name)
            object.__setattr__(self, name, int(v))


@dataclass(frozen=True)
class SolverOptions:
    """Energy grid, flux floor and step control.

    Parameters
    ----------
    emin_gev, emax_gev
        Lower edge of the first and upper edge of the last bin [GeV] (1e2 .. 1e10, Franklin et al. 2025).
    bins
        Number of log-spaced bins (300, Franklin et al. 2025; at most ``MAX_BINS`` = 5000).
    floor
        Fluxes below ``floor`` times the normalisation (nu_mu flux at 1 TeV) are set to 0
        (Franklin et al. 2025: 1e-30). 0 keeps every positive value.
    energy_correction
        Energy-conserving correction of the binned kernel (see ``build_operator``).
    step
        :class:`StepControl`.
    """

    emin_gev: float = 1e2
    emax_gev: float = 1e10
    bins: int = 300
    floor: float = 1e-30
    energy_correction: bool = True
    step: StepControl = field(default_factory=StepControl)

    def __post_init__(self) -> None:
        b = self.bins
        try:
            ok = float(b) == int(b) and 2 <= int(b) <= MAX_BINS
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise InputError(f"bins must be an integer in [2, {MAX_BINS}], got {b}", column="bins")
        object.__setattr__(self, "bins", int(b))
        object.__setattr__(self, "floor", _positive(self.floor, "floor", allow_zero=True))
        if not isinstance(self.step, StepControl):
            raise InputError("step must be a StepControl", column="step")
        _ = self.grid  # validates the range

    @property
    def grid(self) -> EnergyGrid:
        """The output energy grid."""
        return EnergyGrid(self.emin_gev, self.emax_gev, self.bins)

    @classmethod
    def from_grid(cls, grid: EnergyGrid, **kwargs) -> SolverOptions:
        """Options on an existing :class:`EnergyGrid` (other fields as keywords)."""
        return cls(grid.emin, grid.emax, grid.nbins, **kwargs)

"""Propagation of high-energy neutrinos through the cosmic neutrino background.

Physics: Standard-Model and secret (scalar, nu_tau) interactions with relic neutrinos,
Franklin et al. 2023 (NGC 1068 letter) and 2025 (CnuB) (constant overdensity over d_eff, point sources at a
redshift) and Esteban et al. 2021 (arXiv:2107.13568, diffuse population).

Entry points
------------
:func:`propagate`
    ``propagate(gamma_or_spectrum, geometry, neutrinos, eta=..., options=...)`` -> :class:`PropagationResult`.
:class:`Propagator`
    ``Propagator(geometry, neutrinos, options)``: built once per setting, evaluates the
    propagated nu_mu flux and its exact eta / gamma derivatives for many parameter values.
Settings (frozen dataclasses, :mod:`bayesnu.transport.config`)
    geometry :class:`ConstantDensity` ``(d_eff_mpc)`` | :class:`Redshift` ``(z)`` |
    :class:`Population` ``(z_max)``; :class:`Neutrinos` (masses, ordering, secret
    interaction g / m_phi, Majorana or Dirac); :class:`SolverOptions` (grid, floor,
    :class:`StepControl`).
:func:`source_geometry`, :func:`source_propagator`
    NGC 1068 (14 Mpc), TXS 0506+056 (z = 0.3365), PKS 1424+240 (z = 0.6).
:func:`sigma_matrix`
    total cross sections sigma_ij(E) (SM and secret interactions).

The PyTensor Ops live in :mod:`bayesnu.ops.transport` (``TransportFluxOp``,
``SecretFluxOp``, and the graph helpers ``numu_flux`` / ``secret_numu_flux``).
"""

from bayesnu.transport.config import (
    ConstantDensity,
    Geometry,
    Neutrinos,
    Population,
    Redshift,
    SolverOptions,
    StepControl,
)
from bayesnu.transport.cosmology import Cosmology, sfr_yuksel2008
from bayesnu.transport.neutrino import (
    NUFIT_2022_IO,
    NUFIT_2022_NO,
    OscillationParameters,
    flavour_to_mass_weights,
    masses_from_lightest,
    masses_from_sum,
    nufit2022,
    pmns_matrix,
)
from bayesnu.transport.operator import EnergyGrid, TransportOperator, build_operator
from bayesnu.transport.propagator import (
    PAPER_SOURCES,
    PropagationResult,
    Propagator,
    propagate,
    source_geometry,
    source_propagator,
)
from bayesnu.transport.xsec import SecretInteraction, sigma_matrix

__all__ = [
    "ConstantDensity",
    "Cosmology",
    "EnergyGrid",
    "Geometry",
    "NUFIT_2022_IO",
    "NUFIT_2022_NO",
    "Neutrinos",
    "OscillationParameters",
    "PAPER_SOURCES",
    "Population",
    "PropagationResult",
    "Propagator",
    "Redshift",
    "SecretInteraction",
    "SolverOptions",
    "StepControl",
    "TransportOperator",
    "build_operator",
    "flavour_to_mass_weights",
    "masses_from_lightest",
    "masses_from_sum",
    "nufit2022",
    "pmns_matrix",
    "propagate",
    "sfr_yuksel2008",
    "sigma_matrix",
    "source_geometry",
    "source_propagator",
]

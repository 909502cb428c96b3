"""Propagation of high-energy neutrinos through the cosmic neutrino background (papers 002/003).

Main entry points
-----------------
:class:`Propagator`
    built once per physical setting, evaluates the propagated nu_mu flux and its
    eta / gamma derivatives for many parameter values.
:func:`propagated_numu_flux`
    one-shot convenience wrapper.
:func:`source_propagator`
    the Propagator of NGC 1068 (14 Mpc), TXS 0506+056 (z = 0.3365) or PKS 1424+240 (z = 0.6).
:func:`sigma_matrix`
    total cross sections sigma_ij(E) (SM and secret interactions).
:mod:`bayesnu.transport.ops`
    PyTensor Ops (``NumuFluxOp``: (log10 eta, gamma) -> nu_mu flux with exact gradient;
    ``SecretNumuFluxOp``: (log10 g, log10 m_phi, gamma) -> nu_mu flux).
"""

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
    propagated_numu_flux,
    source_propagator,
)
from bayesnu.transport.xsec import SecretInteraction, sigma_matrix

__all__ = [
    "Cosmology",
    "EnergyGrid",
    "NUFIT_2022_IO",
    "NUFIT_2022_NO",
    "OscillationParameters",
    "PAPER_SOURCES",
    "PropagationResult",
    "Propagator",
    "SecretInteraction",
    "TransportOperator",
    "build_operator",
    "flavour_to_mass_weights",
    "masses_from_lightest",
    "masses_from_sum",
    "nufit2022",
    "pmns_matrix",
    "propagated_numu_flux",
    "sfr_yuksel2008",
    "sigma_matrix",
    "source_propagator",
]

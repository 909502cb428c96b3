"""Cosmic-neutrino-background models added to the caller's ``pm.Model``.

Two models, both built on :class:`bayesnu.ops.spectrum.CnbSource` (the point-source
likelihood whose signal energy PDF is the propagated spectrum) and the transport Ops of
:mod:`bayesnu.ops.transport`, so that every gradient reaches NUTS through one graph:

* :func:`add_overdensity` -- a relic overdensity eta (Standard-Model interactions) shared
  by one or several sources; parameters per source ``ns`` and ``gamma``, shared
  ``log10_eta``.
* :func:`add_secret_interactions` -- a scalar mediator coupling only to nu_tau, at eta = 1
  with sum of masses 0.1 eV (Majorana by default, Dirac as an option): shared
  ``log10_g`` (g_tautau) and ``log10_m_phi`` (MeV), per source ``ns`` and ``gamma``.

Signal strength: **ns** (expected signal events after propagation), not the flux
normalisation. Franklin et al.'s test is a shape test: at each eta, ns and gamma are
profiled, so the signal normalisation is free; with ns as parameter the likelihood is
exactly that one, the ns prior is the point-source model's (uniform on [0, ns_max],
ns_max from :func:`bayesnu.likelihood.kernel.ns_upper_bound`), and ns and eta stay
nearly uncorrelated. (A flux normalisation Phi0 would tie the number of events to the
absorption: for large eta an unabsorbed flux that the data cannot see would be needed,
making Phi0 and eta strongly degenerate and the posterior of Phi0 improper at large eta.)

Default priors (override with ``priors=``):

* ``log10_eta ~ Uniform(log10 eta_lo, log10 eta_hi)``: log-uniform eta over
  :data:`ETA_RANGE_LOG` = (1e8, 1e22) by default; ``eta_prior="uniform"`` gives
  ``eta ~ Uniform(0, eta_hi)`` (:data:`ETA_MAX_UNIFORM` = 1e18 by default; with
  ``log10_eta`` deterministic). A log-uniform prior's
  upper limit depends on its lower bound wherever the likelihood is flat (all small eta),
  so report both;
* ``gamma ~ Uniform(1, 4)``, ``ns ~ Uniform(0, ns_max)`` per source;
* secret interactions: ``log10_g ~ Uniform`` over :data:`LOG10_G_RANGE`,
  ``log10_m_phi ~ Uniform`` over :data:`LOG10_MPHI_RANGE` (MeV), the range where the
  cross sections are tabulated/tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from bayesnu.models.pointsource import Prior

from bayesnu.errors import InputError
from bayesnu.likelihood.kernel import ns_upper_bound
from bayesnu.ops.spectrum import CnbSource

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["ETA_RANGE_LOG", "ETA_MAX_UNIFORM", "LOG10_G_RANGE", "LOG10_MPHI_RANGE",
           "CnbModel", "add_overdensity", "add_secret_interactions", "overdensity_priors"]

#: default range of the log-uniform eta prior
ETA_RANGE_LOG = (1e8, 1e22)
#: default upper bound of the uniform eta prior (at 14 Mpc the signal of NGC 1068 is absorbed
#: well before; where the transport absorbs every component the likelihood is -inf for
#: ns > 0, so do not put most of a uniform prior's mass there)
ETA_MAX_UNIFORM = 1e18
#: log10 g_tautau range of the secret-interaction model (g^2 < 10 far beyond tau decays)
LOG10_G_RANGE = (-4.0, 0.5)
#: log10(m_phi / MeV) range of the secret-interaction model
LOG10_MPHI_RANGE = (-1.0, 3.0)


@dataclass
class CnbModel:
    """What :func:`add_overdensity` / :func:`add_secret_interactions` added."""

    model: pm.Model
    sources: list[CnbSource]
    priors: dict[str, Prior]
    var_names: dict[str, str]
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)


def overdensity_priors(sources: Sequence[CnbSource], eta_prior: str = "loguniform",
                       eta_range: tuple[float, float] | None = None) -> dict[str, Prior]:
    """Default priors: per source ``ns{j}``, ``gamma{j}``; shared ``log10_eta`` or ``eta``."""
    pri: dict[str, Prior] = {}
    for j, s in enumerate(sources):
        lik = s.base
        pri[f"ns{j}"] = Prior("uniform", 0.0, ns_upper_bound(lik))
        pri[f"gamma{j}"] = Prior("uniform", 1.0, 4.0)
    if eta_prior == "loguniform":
        lo, hi = eta_range if eta_range is not None else ETA_RANGE_LOG
        if not (0 < lo < hi):
            raise InputError("log-uniform eta prior needs 0 < lower < upper", column="eta")
        pri["log10_eta"] = Prior("uniform", float(np.log10(lo)), float(np.log10(hi)))
    elif eta_prior == "uniform":
        lo, hi = eta_range if eta_range is not None else (0.0, ETA_MAX_UNIFORM)
        if not (0 <= lo < hi):
            raise InputError("uniform eta prior needs 0 <= lower < upper", column="eta")
        pri["eta"] = Prior("uniform", float(lo), float(hi))
    else:
        raise InputError(f"eta prior must be 'loguniform' or 'uniform', got {eta_prior!r}",
                         column="eta")
    return pri


def _model(model):
    import pymc as pm

    if model is not None:
        return model
    try:
        return pm.modelcontext(None)
    except TypeError:
        return pm.Model()


def add_overdensity(sources: Sequence[CnbSource], propagators: Sequence,
                    model: pm.Model | None = None, priors: Mapping[str, Prior] | None = None,
                    eta_prior: str = "loguniform",
                    eta_range: tuple[float, float] | None = None,
                    normalisation: str = "events") -> CnbModel:
    """Relic overdensity shared by sources: ``ns{j}``, ``gamma{j}`` and ``log10_eta``.

    Parameters
    ----------
    sources
        One :class:`~bayesnu.ops.spectrum.CnbSource` per source (its data and PDFs).
    propagators
        One :class:`bayesnu.transport.Propagator` per source (its geometry and masses).
    model
        Model to add to (default: the one on the context stack, else a new one).
    priors
        Overrides of :func:`overdensity_priors` by name.
    eta_prior, eta_range
        ``"loguniform"`` (default, range :data:`ETA_RANGE_LOG`) or ``"uniform"``.
    normalisation
        ``"events"`` (default: ns = propagated signal events) or ``"flux"`` (ns = events of
        the unpropagated power law; absorption removes events and the likelihood goes
        smoothly to background only instead of hitting the -inf of an all-zero flux).
    """
    import pymc as pm
    import pytensor.tensor as pt

    from bayesnu.ops.transport import numu_flux

    sources = list(sources)
    if len(sources) != len(propagators) or not sources:
        raise InputError("give one propagator per source", column="source")
    pri = overdensity_priors(sources, eta_prior, eta_range)
    pri.update(dict(priors or {}))
    model = _model(model)
    names = {}
    with model:
        if "log10_eta" in pri:
            log10_eta = pri["log10_eta"].create("log10_eta")
            pm.Deterministic("eta", pt.power(10.0, log10_eta))
        else:
            eta = pri["eta"].create("eta")
            # eta = 0 exactly is allowed (no interactions); log10 only for reporting
            log10_eta = pm.Deterministic("log10_eta", pt.log10(pt.maximum(eta, 1e-300)))
        for j, (s, prop) in enumerate(zip(sources, propagators)):
            ns = pri[f"ns{j}"].create(f"ns{j}")
            gamma = pri[f"gamma{j}"].create(f"gamma{j}")
            if "log10_eta" in pri:
                flux = numu_flux(prop, gamma, log10_eta=log10_eta)
            else:
                flux = numu_flux(prop, gamma, eta=eta)
            pm.Potential(f"loglike{j}", s.logl(ns, gamma, flux, normalisation=normalisation))
            names[f"ns{j}"], names[f"gamma{j}"] = f"ns{j}", f"gamma{j}"
        names["log10_eta"] = "log10_eta"
    return CnbModel(model, sources, pri, names, "overdensity",
                    {"eta_prior": eta_prior, "normalisation": normalisation,
                     "sources": [s.source.name for s in sources]})


def add_secret_interactions(sources: Sequence[CnbSource], geometries: Sequence,
                            model: pm.Model | None = None,
                            priors: Mapping[str, Prior] | None = None, sum_m: float = 0.1,
                            majorana: bool = True, eta: float = 1.0, bins: int = 300
                            ) -> CnbModel:
    """Secret nu_tau interactions shared by sources: ``log10_g``, ``log10_m_phi``, ``ns{j}``, ``gamma{j}``.

    Parameters
    ----------
    sources
        One :class:`~bayesnu.ops.spectrum.CnbSource` per source, built on the same
        transport grid as ``bins``.
    geometries
        One transport geometry per source (``bayesnu.transport.ConstantDensity`` / ``Redshift``).
    sum_m
        Sum of neutrino masses, eV (normal ordering).
    majorana
        Majorana (default) or Dirac neutrinos.
    eta
        Relic overdensity (1: the cosmological density).
    bins
        Transport bins over 1e2-1e10 GeV.
    """
    import pymc as pm

    from bayesnu.ops.transport import SecretFluxOp, secret_numu_flux
    from bayesnu.transport import Neutrinos, SolverOptions

    sources = list(sources)
    if len(sources) != len(geometries) or not sources:
        raise InputError("give one geometry per source", column="source")
    pri: dict[str, Prior] = {"log10_g": Prior("uniform", *LOG10_G_RANGE),
                             "log10_m_phi": Prior("uniform", *LOG10_MPHI_RANGE)}
    for j, s in enumerate(sources):
        pri[f"ns{j}"] = Prior("uniform", 0.0, ns_upper_bound(s.base))
        pri[f"gamma{j}"] = Prior("uniform", 1.0, 4.0)
    pri.update(dict(priors or {}))
    for k, rng in (("log10_g", LOG10_G_RANGE), ("log10_m_phi", LOG10_MPHI_RANGE)):
        p = pri[k]
        if p.kind != "uniform" or p.lower < rng[0] or p.upper > rng[1]:
            raise InputError(f"{k} prior must be uniform inside the tabulated range {rng}",
                             column=k)
    model = _model(model)
    nu = Neutrinos(sum_m=sum_m, majorana=majorana)
    opts = SolverOptions(bins=bins)
    with model:
        lg = pri["log10_g"].create("log10_g")
        lm = pri["log10_m_phi"].create("log10_m_phi")
        for j, (s, geo) in enumerate(zip(sources, geometries)):
            ns = pri[f"ns{j}"].create(f"ns{j}")
            gamma = pri[f"gamma{j}"].create(f"gamma{j}")
            op = SecretFluxOp(geo, nu, opts, eta=eta)
            pm.Potential(f"loglike{j}", s.logl(ns, gamma, secret_numu_flux(op, lg, lm, gamma)))
    names = {k: k for k in pri}
    return CnbModel(model, sources, pri, names, "secret",
                    {"sum_m_ev": sum_m, "majorana": majorana, "eta": eta,
                     "sources": [s.source.name for s in sources]})

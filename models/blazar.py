"""Bayesian blazar-association model: a stacking mixture in which every group blazar can emit.

The events of one release are a mixture of background and the signal of a
group of J blazars (:func:`bayesnu.blazar.stacking.group_likelihood`):

* ``ns`` -- expected number of signal events of the whole group; the group's
  **signal fraction** is ``f = ns / N`` (N events in the release), stored as
  the deterministic ``signal_fraction``;
* ``gamma`` -- common spectral index of ``E^-gamma``;
* per-source weights ``W_j``: ``"equal"``, ``"flux"`` (4FGL-DR2 1-100 GeV flux) or
  ``"lightcurve"`` (the emission follows each blazar's 4FGL-DR2 yearly light
  curve in time, and W_j is its live-time mean flux);
* optionally (``hierarchical=True``) a log-normal spread of per-source
  strengths around the weights: ``u_j = tau z_j``, ``z_j ~ Normal(0, 1)``,
  ``tau ~ HalfNormal(tau_scale)``; source j then carries
  ``W_j exp(u_j) a_j / sum_j' W_j' exp(u_j') a_j'`` of the signal.

Fixed weights use the package's Ops (:class:`bayesnu.ops.PerEventLogLikeOp`
through :func:`bayesnu.models.pointsource.add_point_source`); the hierarchical
model uses :class:`bayesnu.blazar.ops.StrengthLogLikeOp` (gradient checked
with ``verify_grad``).

Priors: ``ns ~ Uniform(0, ns_max)`` (default ``ns_max = 100`` events, a bound on
what a group of a few tens of blazars can contribute to one IceCube release;
pass another with ``ns_max=``), ``gamma ~ Uniform(1, 4)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bayesnu.models.pointsource import PointSourceModel, Prior, add_point_source

from bayesnu.blazar.groups import BlazarGroup
from bayesnu.blazar.ops import StrengthLogLikeOp
from bayesnu.blazar.stacking import GroupLikelihood, StrengthKernel, group_likelihood
from bayesnu.data import Dataset, EventSample
from bayesnu.errors import InputError

__all__ = ["BlazarModel", "blazar_model", "DEFAULT_NS_MAX"]

#: default upper bound of the uniform ns prior (events)
DEFAULT_NS_MAX = 100.0


@dataclass
class BlazarModel(PointSourceModel):
    """A :class:`~bayesnu.models.pointsource.PointSourceModel` for a blazar group.

    Extra attributes: ``group`` (the blazars), ``group_likelihood`` (the kernel
    and its set-up), ``hierarchical`` and, for hierarchical models, ``strength``
    (the :class:`~bayesnu.blazar.stacking.StrengthKernel`).
    """

    group: BlazarGroup | None = None
    group_likelihood: GroupLikelihood | None = None
    hierarchical: bool = False
    strength: StrengthKernel | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_events(self) -> int:
        return self.group_likelihood.n_events


def blazar_model(data: Dataset | EventSample | GroupLikelihood, group: BlazarGroup | None = None,
                 weighting: str = "equal", hierarchical: bool = False,
                 ns_max: float = DEFAULT_NS_MAX, gamma_range: tuple[float, float] = (1.0, 4.0),
                 tau_scale: float = 1.0, per_event: bool = True) -> BlazarModel:
    """Build the PyMC model of a group's signal on one release.

    Parameters
    ----------
    data
        Events of one release, or a ready :class:`GroupLikelihood` (then ``group``
        only labels it).
    group
        The blazars (needed unless ``data`` is a GroupLikelihood).
    weighting
        ``"equal"``, ``"flux"`` or ``"lightcurve"``.
    hierarchical
        Free per-source log-strengths with a HalfNormal(``tau_scale``) spread.
    ns_max
        Upper bound of the uniform ns prior, events.
    gamma_range
        Bounds of the uniform gamma prior.
    per_event
        Per-event likelihood node (for LOO) in the fixed-weight model.

    Returns
    -------
    BlazarModel
        Variables ``ns``, ``gamma``, ``signal_fraction`` (and ``tau``, ``z``, ``u``).
    """
    import pymc as pm

    if isinstance(data, GroupLikelihood):
        gl = data
    else:
        if group is None:
            raise InputError("a group is needed", column="group")
        gl = group_likelihood(data, group, weighting)
    L = gl.likelihood
    if not (np.isfinite(ns_max) and ns_max > 0):
        raise InputError(f"ns_max must be > 0, got {ns_max}", column="ns_max")
    glo, ghi = L.gamma_bounds
    g0, g1 = max(gamma_range[0], glo), min(gamma_range[1], ghi)
    if not g1 > g0:
        raise InputError(f"gamma range {gamma_range} outside the spline grid ({glo}, {ghi})",
                         column="gamma")
    priors = {"ns": Prior("uniform", 0.0, float(ns_max)), "gamma": Prior("uniform", g0, g1)}
    model = pm.Model()
    if not hierarchical:
        psm = add_point_source(L, model=model, priors=priors, per_event=per_event)
        with model:
            pm.Deterministic("signal_fraction", model["ns"] / gl.n_events)
        return BlazarModel(model=psm.model, likelihood=L, priors=psm.priors,
                           var_names=psm.var_names, setup=gl.setup,
                           likelihood_name=psm.likelihood_name,
                           meta={"weighting": gl.weighting, "hierarchical": False},
                           group=group, group_likelihood=gl)
    if not (np.isfinite(tau_scale) and tau_scale > 0):
        raise InputError(f"tau_scale must be > 0, got {tau_scale}", column="tau_scale")
    sk = StrengthKernel(L)
    op = StrengthLogLikeOp(sk)
    with model:
        ns = priors["ns"].create("ns")
        gamma = priors["gamma"].create("gamma")
        tau = pm.HalfNormal("tau", sigma=float(tau_scale))
        z = pm.Normal("z", 0.0, 1.0, shape=sk.J)
        u = pm.Deterministic("u", tau * z)
        pm.Potential("events", op(ns, gamma, u)[0])
        pm.Deterministic("signal_fraction", ns / gl.n_events)
    return BlazarModel(model=model, likelihood=L, priors=priors,
                       var_names={"ns": "ns", "gamma": "gamma"}, setup=gl.setup,
                       likelihood_name="events",
                       meta={"weighting": gl.weighting, "hierarchical": True,
                             "tau_scale": tau_scale},
                       group=group, group_likelihood=gl, hierarchical=True, strength=sk)

"""Point-source and stacking likelihoods added to the caller's ``pm.Model``.

:func:`add_point_source` creates (or takes) the parameters ``ns``, ``gamma``
and any temporal parameters, and attaches the unbinned mixture likelihood of a
:class:`bayesnu.likelihood.MixtureLikelihood` (built by
:class:`bayesnu.likelihood.LikelihoodSetup` for one source or a stacked
catalogue) through the PyTensor Ops of :mod:`bayesnu.ops`.

Default priors (override any of them with ``priors=`` or pass your own
variable with ``params=``):

* ``ns ~ Uniform(0, ns_max)`` with ``ns_max`` the largest ns the likelihood
  allows (about the number of events N of the smallest sample share) -- the
  "uniform on [0, N]" prior. It is proper, so evidences exist, but wide: the
  Bayes factor of signal vs background carries an Occam penalty of roughly
  ``log(ns_max / width of the ns posterior)``. Pass ``Prior("uniform", 0, 100)``
  (or another upper bound motivated by the physics) for a sharper test.
* ``gamma ~ Uniform(1, 4)``.

Likelihood node: ``pm.CustomDist`` whose ``logp`` is the per-event Op (one
entry per event in the region of interest of each sample plus one entry per
sample holding the exact analytic contribution of all events outside it), so
``pm.sample(idata_kwargs={"log_likelihood": True})`` yields a pointwise
log-likelihood for LOO/WAIC. The observed "values" are the event indices;
the kernel keeps the event data. Predictive sampling of new event lists
cannot go through ``CustomDist.random`` (the kernel is tied to the observed
events); simulate new data sets with :mod:`bayesnu.likelihood.synthetic` or
:mod:`bayesnu.simulate` and refit instead. ``per_event=False`` uses a
``pm.Potential`` with the cheaper scalar Op.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesnu.errors import InputError
from bayesnu.likelihood import LikelihoodSetup, MixtureLikelihood
from bayesnu.likelihood.kernel import ns_upper_bound
from bayesnu.ops import LogLikeOp, PerEventLogLikeOp

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["Prior", "PointSourceModel", "add_point_source", "point_source_model",
           "default_priors", "ns_upper_bound"]


@dataclass(frozen=True)
class Prior:
    """A one-dimensional prior.

    Parameters
    ----------
    kind
        ``"uniform"`` (on [lower, upper]), ``"loguniform"`` (uniform in log on
        [lower, upper], lower > 0), ``"halfflat"`` (improper flat on [lower, inf);
        no evidence possible) or ``"normal"`` (mu=lower, sigma=upper, truncated
        to the likelihood's support by the -inf it returns).
    lower, upper
        Bounds (or mu, sigma for "normal").
    """

    kind: str
    lower: float
    upper: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("uniform", "loguniform", "halfflat", "normal"):
            raise InputError(f"unknown prior kind {self.kind!r}", column="prior")
        if self.kind in ("uniform", "loguniform") and (self.upper is None
                                                       or not self.upper > self.lower):
            raise InputError(f"{self.kind} prior needs lower < upper", column="prior")
        if self.kind == "loguniform" and self.lower <= 0:
            raise InputError("loguniform prior needs lower > 0", column="prior")

    @property
    def proper(self) -> bool:
        return self.kind != "halfflat"

    def transform(self, u: np.ndarray) -> np.ndarray:
        """Map unit-cube coordinates to the parameter (for nested sampling)."""
        if self.kind == "uniform":
            return self.lower + u * (self.upper - self.lower)
        if self.kind == "loguniform":
            return self.lower * (self.upper / self.lower) ** u
        if self.kind == "normal":
            from scipy.special import ndtri

            return self.lower + self.upper * ndtri(np.clip(u, 1e-300, 1 - 1e-16))
        raise InputError("an improper (halfflat) prior has no unit-cube transform; use a "
                         "uniform prior for evidences", column="prior")

    def create(self, name: str):
        """The PyMC variable for this prior (inside a model context)."""
        import pymc as pm

        if self.kind == "uniform":
            return pm.Uniform(name, lower=self.lower, upper=self.upper)
        if self.kind == "loguniform":
            lg = pm.Uniform(f"log_{name}", lower=np.log(self.lower), upper=np.log(self.upper))
            return pm.Deterministic(name, pm.math.exp(lg))
        if self.kind == "normal":
            return pm.Normal(name, mu=self.lower, sigma=self.upper)
        if self.lower == 0.0:
            return pm.HalfFlat(name)
        return pm.Deterministic(name, self.lower + pm.HalfFlat(f"{name}_offset"))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "lower": self.lower, "upper": self.upper}


def default_priors(likelihood: MixtureLikelihood) -> dict[str, Prior]:
    """``ns ~ U(0, ns_max)``, ``gamma ~ U(1, 4)`` (clipped to the spline grid)."""
    glo, ghi = likelihood.gamma_bounds
    ns_max = getattr(likelihood, "ns_max", None)  # kernels that know their support
    return {"ns": Prior("uniform", 0.0, ns_upper_bound(likelihood) if ns_max is None
                        else float(ns_max)),
            "gamma": Prior("uniform", max(1.0, glo), min(4.0, ghi))}


@dataclass
class PointSourceModel:
    """What :func:`add_point_source` added: the model, the kernel and the priors.

    The inference functions (:mod:`bayesnu.inference`) take this object: fits
    and profiles use :attr:`likelihood` directly, NUTS samples :attr:`model`,
    nautilus uses :attr:`priors` and :attr:`likelihood`.
    """

    model: pm.Model
    likelihood: MixtureLikelihood
    priors: dict[str, Prior]
    var_names: dict[str, str]
    setup: LikelihoodSetup | None = None
    likelihood_name: str = "events"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.likelihood.param_names


def add_point_source(likelihood: MixtureLikelihood | LikelihoodSetup,
                     model: pm.Model | None = None,
                     priors: Mapping[str, Prior] | None = None,
                     params: Mapping[str, Any] | None = None,
                     name: str = "", per_event: bool = True,
                     absolute: bool = False) -> PointSourceModel:
    """Add a point-source (or stacking / time-dependent) likelihood to a PyMC model.

    Parameters
    ----------
    likelihood
        The kernel, or a :class:`LikelihoodSetup` (its data likelihood is used).
    model
        The model to add to (default: the model on the context stack, else a new one).
    priors
        Priors overriding :func:`default_priors` by parameter name (``"ns"``,
        ``"gamma"`` and the temporal parameters, which have no default).
    params
        Existing PyTensor variables to use for some parameters instead of new
        priors (e.g. a ``gamma`` shared with another term).
    name
        Prefix of the created variable names (``f"{name}ns"``, ...).
    per_event
        ``pm.CustomDist`` with per-event log-likelihood (default) or a scalar
        ``pm.Potential``.
    absolute
        Per-event entries are ``log(L_i / B_i)`` by default (the background
        density cancels in every comparison on the same data, including PSIS-LOO
        weights); ``True`` adds ``log B_i`` so that the entries are absolute
        log densities (needs a LikelihoodSetup, or a kernel built with
        ``constants=True``).

    Returns
    -------
    PointSourceModel
    """
    import pymc as pm

    setup = None
    if isinstance(likelihood, LikelihoodSetup):
        setup = likelihood
        likelihood = setup.likelihood(constants=absolute)
    elif absolute and any(getattr(t, "log_bkg", None) is None
                          for t in getattr(likelihood, "terms", [None])):
        raise InputError("absolute=True needs a kernel built with constants=True")
    if model is None:
        try:
            model = pm.modelcontext(None)
        except TypeError:
            model = pm.Model()
    pri = default_priors(likelihood)
    pri.update(dict(priors or {}))
    params = dict(params or {})
    for p in likelihood.param_names:
        if p not in pri and p not in params:
            raise InputError(f"no prior for parameter {p!r}; pass priors={{{p!r}: Prior(...)}}",
                             column=p)
    var_names = {}
    with model:
        tensors = []
        for p in likelihood.param_names:
            if p in params:
                v = params[p]
                var_names[p] = getattr(v, "name", None) or p
            else:
                v = pri[p].create(f"{name}{p}")
                var_names[p] = f"{name}{p}"
            tensors.append(v)
        lname = f"{name}events"
        if per_event:
            op = PerEventLogLikeOp(likelihood, include_constants=absolute)

            def logp(value, *args):
                # CustomDist broadcasts the (scalar) parameters to the observed
                # shape; every element is the same scalar, take the first
                args = [a if a.ndim == 0 else a.ravel()[0] for a in args]
                return op(*args)[0]

            pm.CustomDist(lname, *tensors, logp=logp,
                          observed=np.arange(likelihood.n_out, dtype=np.float64))
        else:
            pm.Potential(lname, LogLikeOp(likelihood)(*tensors)[0])
    return PointSourceModel(model=model, likelihood=likelihood,
                            priors={p: pri[p] for p in likelihood.param_names if p in pri},
                            var_names=var_names, setup=setup, likelihood_name=lname)


def point_source_model(likelihood: MixtureLikelihood | LikelihoodSetup,
                       priors: Mapping[str, Prior] | None = None, **kwargs) -> PointSourceModel:
    """A new ``pm.Model`` holding only the point-source likelihood (convenience)."""
    import pymc as pm

    return add_point_source(likelihood, model=pm.Model(), priors=priors, **kwargs)

"""The numerical mixture log-likelihood kernel (numpy, float64, vectorised).

For sample k with N_k events, the log-likelihood ratio to background only is::

    log L_k - log L_k(ns=0) = sum_{i in ROI_k} log(1 + ns/N_k (Z_i - F_k))
                              + (N_k - n_ROI_k) log(1 - ns F_k / N_k)

with

* ``Z_i = T_i(theta) * sum_j F_kj(gamma, theta) X_ij(gamma)`` -- the event's
  signal-over-background ratio, ``X_ij = s_ij exp(e_ij(gamma))`` for source j
  with a gamma-independent factor ``s_ij`` and a cubic spline ``e_ij`` in gamma
  (:class:`~bayesnu.likelihood.LikelihoodSetup` uses ``s_ij = S_spatial / (B_spatial
  B_energy)`` and ``e_ij = log S_energy(gamma)``, so the splines have one column
  per source and reco-energy bin); ``T_i`` the optional time ratio;
* ``F_kj = W_j a_kj(gamma) g_k(theta) / sum_{k'j'} W_j' a_k'j'(gamma) g_k'(theta)``
  -- the expected share of the total ``ns`` that source j contributes to
  sample k (``W_j`` fixed source weights, ``a_kj`` the acceptance of sample k at
  source j for E^-gamma, ``g_k`` an optional temporal sample weight), and
  ``F_k = sum_j F_kj``. For one sample and one source ``F = 1`` and this is the
  textbook ``prod_i [ns/N S_i + (1 - ns/N) B_i] / prod_i B_i``.

Events outside the region of interest (ROI) have ``X_ij = 0`` to within the
ROI tolerance; they enter exactly through the last term. The parameter vector
is ``p = (ns, gamma, *theta)``; :meth:`MixtureLikelihood.evaluate` returns the
total and its exact gradient, :meth:`MixtureLikelihood.per_event` the
per-event contributions (one entry per ROI event plus one "rest" entry per
sample for the events outside the ROI) and their Jacobian. Outside the
support (ns < ns_min, gamma outside the spline grid, theta outside the
temporal PDF's support, or a non-positive mixture) the value is ``-inf`` and
the gradient zero; nothing raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bayesnu.errors import InputError
from bayesnu.pdfs.energy import GammaSpline
from bayesnu.pdfs.temporal import TemporalPDF

__all__ = ["SampleTerm", "MixtureLikelihood", "ns_upper_bound"]


@dataclass
class SampleTerm:
    """Parameter-independent cache of one sample's contribution.

    Attributes
    ----------
    name : str
        Sample name.
    n_total : int
        N_k, all events of the sample (inside and outside the ROI).
    n_roi : int
        Number of ROI events.
    event : ndarray of int, (n_pair,)
        ROI-event index (0 .. n_roi-1) of each (event, source) pair.
    source : ndarray of int, (n_pair,)
        Source index of each pair.
    spatial : ndarray, (n_pair,)
        gamma-independent factor s_ij of each pair's signal-over-background ratio.
    cells : ndarray of int, (n_pair,)
        Column of :attr:`energy` of each pair.
    energy : GammaSpline
        Splines in gamma of the gamma-dependent log factor (e.g. the log signal
        energy density per source x reco bin).
    times : ndarray or None
        ROI event times (MJD) when a temporal PDF is used.
    temporal : TemporalPDF or None
        Time PDF of this sample.
    log_bkg : ndarray or None, (n_roi,)
        log B_i of the ROI events (only for absolute per-event values).
    log_bkg_rest : float
        Sum of log B_i over events outside the ROI.
    roi_index : ndarray of int or None
        Index of each ROI event in the sample (for per-event weights).
    """

    name: str
    n_total: int
    n_roi: int
    event: np.ndarray
    source: np.ndarray
    spatial: np.ndarray
    cells: np.ndarray
    energy: GammaSpline
    times: np.ndarray | None = None
    temporal: TemporalPDF | None = None
    log_bkg: np.ndarray | None = None
    log_bkg_rest: float = 0.0
    roi_index: np.ndarray | None = None
    single: bool = field(init=False, default=False)
    _tb: np.ndarray | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.event = np.ascontiguousarray(self.event, dtype=np.int64)
        self.source = np.ascontiguousarray(self.source, dtype=np.int64)
        self.spatial = np.ascontiguousarray(self.spatial, dtype=np.float64)
        self.cells = np.ascontiguousarray(self.cells, dtype=np.int64)
        n = self.event.size
        if not (self.source.size == self.spatial.size == self.cells.size == n):
            raise InputError("sample term arrays (event, source, spatial, cells) differ in length")
        if self.n_roi > self.n_total:
            raise InputError(f"sample {self.name}: {self.n_roi} ROI events > {self.n_total} events")
        if n and (self.event.min() < 0 or self.event.max() >= self.n_roi):
            raise InputError(f"sample {self.name}: pair event index outside 0..n_roi-1")
        # one pair per ROI event, in order: no scatter-add needed
        self.single = bool(n == self.n_roi and np.array_equal(self.event, np.arange(n)))
        if self.temporal is not None:
            if self.times is None or len(self.times) != self.n_roi:
                raise InputError(f"sample {self.name}: temporal PDF needs one time per ROI event")
            self.times = np.ascontiguousarray(self.times, dtype=np.float64)
            self._tb = self.temporal.background(self.times)


class MixtureLikelihood:
    """Point-source / stacking / time-dependent mixture likelihood over samples.

    Parameters
    ----------
    terms
        One :class:`SampleTerm` per sample.
    log_acceptance
        Spline in gamma of ``log a_kj`` with ``n_samples * n_sources`` columns
        (sample-major: column ``k * n_sources + j``).
    source_weights
        Fixed relative weights W_j (normalised internally), shape (n_sources,).
    theta_names
        Names of the extra (temporal) parameters, in order.
    ns_min
        Lower bound of ns (0 by default; negative values allow under-fluctuations).
    """

    def __init__(self, terms: Sequence[SampleTerm], log_acceptance: GammaSpline,
                 source_weights: np.ndarray | None = None,
                 theta_names: Sequence[str] = (), ns_min: float = 0.0) -> None:
        self.terms = list(terms)
        if not self.terms:
            raise InputError("likelihood needs at least one sample")
        self.n_samples = len(self.terms)
        m = log_acceptance.size
        if m % self.n_samples:
            raise InputError(f"acceptance spline has {m} columns, not a multiple of "
                             f"{self.n_samples} samples")
        self.n_sources = m // self.n_samples
        w = np.ones(self.n_sources) if source_weights is None else np.asarray(
            source_weights, dtype=np.float64)
        if w.shape != (self.n_sources,) or np.any(w < 0) or not np.all(np.isfinite(w)) \
                or w.sum() <= 0:
            raise InputError("source weights must be finite, >= 0, not all zero, one per source",
                             column="weights")
        with np.errstate(divide="ignore"):
            self.log_w = np.log(w / w.sum())  # -inf for weight 0: exactly no share
        self.log_acc = log_acceptance
        self.theta_names = tuple(theta_names)
        self.n_theta = len(self.theta_names)
        for t in self.terms:
            if t.temporal is not None and tuple(t.temporal.param_names) != self.theta_names:
                raise InputError(f"sample {t.name}: temporal parameters "
                                 f"{t.temporal.param_names} != {self.theta_names}")
        self.ns_min = float(ns_min)
        self.gamma_bounds = (max(log_acceptance.lo, max(t.energy.lo for t in self.terms)),
                             min(log_acceptance.hi, min(t.energy.hi for t in self.terms)))
        self.n_params = 2 + self.n_theta
        self.param_names = ("ns", "gamma", *self.theta_names)
        offs = [0]
        for t in self.terms:
            offs.append(offs[-1] + t.n_roi + 1)
        self._offsets = offs
        self._flatten()

    def _flatten(self) -> None:
        """Concatenate all samples' caches so one evaluation is a few vector passes."""
        ts = self.terms
        grid = ts[0].energy.grid
        for t in ts[1:]:
            if t.energy.grid.shape != grid.shape or not np.allclose(t.energy.grid, grid):
                raise InputError("all samples' energy splines must share one gamma grid")
        col_off = np.cumsum([0] + [t.energy.size for t in ts])
        ev_off = np.cumsum([0] + [t.n_roi for t in ts])
        self._coef = np.ascontiguousarray(np.concatenate([t.energy.coef for t in ts], axis=2))
        self._grid = grid
        self._cells = np.concatenate([t.cells + col_off[k] for k, t in enumerate(ts)])
        self._event = np.concatenate([t.event + ev_off[k] for k, t in enumerate(ts)])
        self._fidx = np.concatenate([k * self.n_sources + t.source for k, t in enumerate(ts)])
        self._spatial = np.concatenate([t.spatial for t in ts])
        self._ev_sample = np.concatenate([np.full(t.n_roi, k, dtype=np.int64)
                                          for k, t in enumerate(ts)])
        self._N = np.array([float(t.n_total) for t in ts])
        self._Ni = self._N[self._ev_sample]
        self._m = np.array([float(t.n_total - t.n_roi) for t in ts])
        self._n_ev = int(ev_off[-1])
        self._ev_off = ev_off
        self._single = bool(self._event.size == self._n_ev
                            and np.array_equal(self._event, np.arange(self._n_ev)))
        pos = np.empty(self._n_ev, dtype=np.int64)
        for k, t in enumerate(ts):
            pos[ev_off[k]:ev_off[k + 1]] = self._offsets[k] + np.arange(t.n_roi)
        self._pos_ev = pos
        self._pos_rest = np.array([self._offsets[k + 1] - 1 for k in range(len(ts))])
        self._temporal = any(t.temporal is not None for t in ts)

    # ------------------------------------------------------------------ sizes
    @property
    def n_total(self) -> int:
        """Total number of events of all samples."""
        return int(sum(t.n_total for t in self.terms))

    @property
    def n_roi(self) -> int:
        return int(sum(t.n_roi for t in self.terms))

    @property
    def n_out(self) -> int:
        """Length of the per-event output (ROI events + one rest entry per sample)."""
        return self._offsets[-1]

    # ------------------------------------------------------------- fractions
    def fractions(self, gamma: float, theta: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """F_kj, dF/dgamma and dF/dtheta (shapes (K, J), (K, J), (n_theta, K, J))."""
        la, dla = self.log_acc(gamma)
        K, J = self.n_samples, self.n_sources
        la = la.reshape(K, J) + self.log_w[None, :]
        dla = dla.reshape(K, J)
        dlg = np.zeros((self.n_theta, K, 1))
        if self.n_theta:
            lg = np.zeros((K, 1))
            for k, t in enumerate(self.terms):
                if t.temporal is not None:
                    g, dg = t.temporal.sample_weight(theta)
                    lg[k, 0] = np.log(g) if g > 0 else -np.inf
                    dlg[:, k, 0] = dg / g if g > 0 else 0.0
            la = la + lg
        mx = np.max(la)
        # mx = -inf when no sample has exposure to the signal (a flare entirely
        # outside every uptime): F is NaN and evaluate() turns that into -inf.
        with np.errstate(invalid="ignore"):
            v = np.exp(la - mx)
            F = v / v.sum()
            dF = F * (dla - np.sum(F * dla))
            dFt = F[None] * (dlg - np.sum(F[None] * dlg, axis=(1, 2), keepdims=True))
        return F, dF, dFt

    # ----------------------------------------------------------------- core
    def _energy(self, gamma: float) -> tuple[np.ndarray, np.ndarray]:
        g = self._grid
        k = min(max(int(np.searchsorted(g, gamma, side="right") - 1), 0), g.size - 2)
        dx = gamma - g[k]
        c = self._coef[k][:, self._cells]
        val = ((c[0] * dx + c[1]) * dx + c[2]) * dx + c[3]
        der = (3.0 * c[0] * dx + 2.0 * c[1]) * dx + c[2]
        return val, der

    def _core(self, p: np.ndarray):
        """All per-event pieces; None if the mixture leaves its support."""
        ns, gamma, theta = p[0], p[1], p[2:]
        nth = self.n_theta
        F, dF, dFt = self.fractions(gamma, theta)
        Ff, dFf = F.ravel(), dF.ravel()
        Fk, dFk = F.sum(axis=1), dF.sum(axis=1)
        dFkt = dFt.sum(axis=2)  # (nth, K)
        lr, dlr = self._energy(gamma)
        x = self._spatial * np.exp(lr)
        Fp = Ff[self._fidx]
        fx = Fp * x
        dYt = None
        if self._single:
            Y = fx
            dYg = dFf[self._fidx] * x + fx * dlr
            if nth:
                dYt = dFt.reshape(nth, -1)[:, self._fidx] * x[None, :]
        else:
            n = self._n_ev
            Y = np.bincount(self._event, weights=fx, minlength=n)
            dYg = np.bincount(self._event, weights=dFf[self._fidx] * x + fx * dlr, minlength=n)
            if nth:
                dFtf = dFt.reshape(nth, -1)
                dYt = np.stack([np.bincount(self._event, weights=dFtf[a, self._fidx] * x,
                                            minlength=n) for a in range(nth)])
        if self._temporal:
            T = np.ones(self._n_ev)
            dT = np.zeros((nth, self._n_ev))
            for k, t in enumerate(self.terms):
                if t.temporal is not None:
                    a, b = self._ev_off[k], self._ev_off[k + 1]
                    T[a:b], dT[:, a:b] = t.temporal.ratio(t.times, theta, background=t._tb)
            Z = Y * T
            dZg = dYg * T
            dZt = dYt * T[None, :] + Y[None, :] * dT
        else:
            Z, dZg, dZt = Y, dYg, dYt
        es = self._ev_sample
        u = Z - Fk[es]
        Ni = self._Ni
        den = Ni + ns * u
        rest_den = self._N - ns * Fk
        m = self._m
        if np.any(den <= 0) or np.any((m > 0) & (rest_den <= 0)):
            return None
        q = 1.0 / den
        ell = np.log1p(ns * u / Ni)
        has = m > 0
        safe = np.where(has, rest_den, 1.0)
        rest = np.where(has, m * np.log1p(-ns * Fk / self._N), 0.0)
        g_ns = u * q
        g_g = ns * (dZg - dFk[es]) * q
        r_ns = np.where(has, -m * Fk / safe, 0.0)
        r_g = np.where(has, -m * ns * dFk / safe, 0.0)
        g_t = r_t = None
        if nth:
            g_t = ns * (dZt - dFkt[:, es]) * q[None, :]
            r_t = np.where(has[None, :], -m[None, :] * ns * dFkt / safe[None, :], 0.0)
        return ell, rest, g_ns, g_g, g_t, r_ns, r_g, r_t

    def in_support(self, params: np.ndarray) -> bool:
        p = np.asarray(params, dtype=np.float64)
        if p.shape != (self.n_params,) or not np.all(np.isfinite(p)):
            return False
        if p[0] < self.ns_min or not (self.gamma_bounds[0] <= p[1] <= self.gamma_bounds[1]):
            return False
        if self.n_theta:
            for t in self.terms:
                if t.temporal is not None and not t.temporal.in_support(p[2:]):
                    return False
        return True

    def evaluate(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """log L(p) - log L(ns=0) and its gradient d/dp (shape (n_params,)).

        Returns ``(-inf, zeros)`` outside the support.
        """
        p = np.asarray(params, dtype=np.float64)
        if not self.in_support(p):
            return -np.inf, np.zeros(self.n_params)
        r = self._core(p)
        if r is None:
            return -np.inf, np.zeros(self.n_params)
        ell, rest, g_ns, g_g, g_t, r_ns, r_g, r_t = r
        total = float(ell.sum() + rest.sum())
        if not np.isfinite(total):
            return -np.inf, np.zeros(self.n_params)
        grad = np.empty(self.n_params)
        grad[0] = g_ns.sum() + r_ns.sum()
        grad[1] = g_g.sum() + r_g.sum()
        if self.n_theta:
            grad[2:] = g_t.sum(axis=1) + r_t.sum(axis=1)
        return total, grad

    def __call__(self, params: np.ndarray) -> float:
        return self.evaluate(params)[0]

    def per_event(self, params: np.ndarray, include_constants: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Per-event log-likelihood contributions and their Jacobian.

        Parameters
        ----------
        params
            ``(ns, gamma, *theta)``.
        include_constants
            Add log B_i (absolute per-event log density instead of the ratio
            to background); needs ``log_bkg`` in the sample terms.

        Returns
        -------
        values, jacobian
            ``values`` shape (n_out,): for each sample its ROI events then one
            entry for all its events outside the ROI; ``jacobian`` shape
            (n_params, n_out). Outside the support all values are -inf and the
            Jacobian is zero.
        """
        p = np.asarray(params, dtype=np.float64)
        vals = np.empty(self.n_out)
        jac = np.zeros((self.n_params, self.n_out))
        r = self._core(p) if self.in_support(p) else None
        if r is None:
            vals.fill(-np.inf)
            return vals, jac
        ell, rest, g_ns, g_g, g_t, r_ns, r_g, r_t = r
        pe, pr = self._pos_ev, self._pos_rest
        vals[pe] = ell
        vals[pr] = rest
        jac[0, pe] = g_ns
        jac[1, pe] = g_g
        jac[0, pr] = r_ns
        jac[1, pr] = r_g
        if self.n_theta:
            jac[2:, pe] = g_t
            jac[2:, pr] = r_t
        if include_constants:
            for k, t in enumerate(self.terms):
                a, b = self._offsets[k], self._offsets[k + 1]
                if t.log_bkg is not None:
                    vals[a:b - 1] += t.log_bkg
                vals[b - 1] += t.log_bkg_rest
        if not np.all(np.isfinite(vals)):
            vals.fill(-np.inf)
            jac.fill(0.0)
        return vals, jac

    def ns_scan(self, gamma: float, ns: np.ndarray, theta: np.ndarray | None = None
                ) -> np.ndarray:
        """log L - log L(ns=0) for many ns at once (fixed gamma, theta); -inf outside support.

        The per-event pieces are computed once, so a scan over ns (for grid
        posteriors or profiles) costs one matrix pass.
        """
        ns = np.atleast_1d(np.asarray(ns, dtype=np.float64))
        theta = np.zeros(self.n_theta) if theta is None else np.asarray(theta, dtype=np.float64)
        p = np.concatenate([[0.0, gamma], theta])
        out = np.full(ns.size, -np.inf)
        if not self.in_support(p):
            return out
        F, _, _ = self.fractions(gamma, theta)
        Fk = F.sum(axis=1)
        lr, _ = self._energy(gamma)
        fx = F.ravel()[self._fidx] * self._spatial * np.exp(lr)
        Z = fx if self._single else np.bincount(self._event, weights=fx, minlength=self._n_ev)
        if self._temporal:
            for k, t in enumerate(self.terms):
                if t.temporal is not None:
                    a, b = self._ev_off[k], self._ev_off[k + 1]
                    Z[a:b] = Z[a:b] * t.temporal.ratio(t.times, theta, background=t._tb)[0]
        u = Z - Fk[self._ev_sample]
        ok = ns >= self.ns_min
        arg = 1.0 + ns[:, None] * (u / self._Ni)[None, :]
        rest_arg = 1.0 - ns[:, None] * (Fk / self._N)[None, :]
        has = self._m > 0
        ok &= np.all(arg > 0, axis=1) & np.all((rest_arg > 0) | ~has[None, :], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            val = np.log(np.where(arg > 0, arg, 1.0)).sum(axis=1) + (
                self._m[None, :] * np.log(np.where(rest_arg > 0, rest_arg, 1.0))).sum(axis=1)
        out[ok] = val[ok]
        return out

    def signal_weights(self, params: np.ndarray) -> list[np.ndarray]:
        """Per-ROI-event signal probability ``ns/N Z_i / (1 + ns/N (Z_i - F))``, per sample."""
        p = np.asarray(params, dtype=np.float64)
        ns, gamma, theta = p[0], p[1], p[2:]
        F, _, _ = self.fractions(gamma, theta)
        out = []
        for k, t in enumerate(self.terms):
            lr, _ = t.energy(gamma, t.cells)
            x = F[k, t.source] * t.spatial * np.exp(lr)
            Z = np.bincount(t.event, weights=x, minlength=t.n_roi)
            if t.temporal is not None:
                Z = Z * t.temporal.ratio(t.times, theta, background=t._tb)[0]
            N = t.n_total
            out.append(ns / N * Z / (1.0 + ns / N * (Z - F[k].sum())))
        return out


def ns_upper_bound(likelihood: MixtureLikelihood) -> float:
    """Largest ns inside the likelihood's support for every gamma of the grid.

    The mixture needs ``ns F_k(gamma) < N_k`` in every sample k; we take
    0.999 of the smallest ``N_k / max_gamma F_k``.
    """
    lo, hi = likelihood.gamma_bounds
    best = np.inf
    for g in np.linspace(lo, hi, 31):
        F, _, _ = likelihood.fractions(g, np.zeros(likelihood.n_theta))
        Fk = F.sum(axis=1)
        for k, t in enumerate(likelihood.terms):
            if Fk[k] > 0:
                best = min(best, t.n_total / Fk[k])
    return float(0.999 * best)

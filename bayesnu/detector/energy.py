"""Energy response E_nu -> E_reco built from IceCube's published E_nu -> E_mu table.

Model
-----
The smearing matrices of the 10-year release are not public. We use instead the
tabulated P(E_mu proxy | E_nu) of IceCube, Science 378 (2022) 538 (NGC 1068),
Fig. S4 (bundled with :mod:`bayesnu.data`, 28 rows of 0.25 in log10 E_nu from
100 GeV to 1 EeV; 22 columns of 0.2 in log10 E_mu proxy from 400 GeV to 10 PeV,
first/last column holding the under/overflow: every row sums to 1), and map the
proxy to the reconstructed-energy column of a given release by

    log10 E_reco = 4 + scale * (log10 E_mu,proxy - 4) + offset + N(0, sigma)

i.e. a linear map of the proxy (pivot 10 TeV) plus an extra log-normal scatter. Within a table column the proxy is
uniform in log10 E; between table rows the row probabilities are interpolated
linearly in log10 E_nu (row centres), constant beyond the first/last centre.
``offset``, ``scale`` and ``sigma`` are piecewise constant in sin(dec) (``sindec_edges``),
calibrated per sample on the observed log10 E_reco distributions
(:mod:`bayesnu.detector.calibration`); the constants live in
``resources/energy_calibration.json`` and are read once, lazily.

The uniform-in-column proxy convolved with a Gaussian has the closed-form bin
probability used in :meth:`EnergyResponse.matrix`, so the matrix is exact for the
model (no sampling noise) and cheap (a few (n_true x 28) @ (28 x 22) @ (22 x n_reco)
products).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from scipy.special import erf

from bayesnu.errors import InputError

__all__ = ["EnergyResponse", "energy_response", "load_fig_s4_table", "calibrated_names"]

_SQRT2 = np.sqrt(2.0)


@lru_cache(maxsize=1)
def load_fig_s4_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The published table as ``(log10e_nu_edges, log10e_mu_edges, P)`` in log10(E/GeV).

    Read once from the copy bundled with :mod:`bayesnu.data`
    (:func:`bayesnu.data.load_enu_to_emu`). ``P[i, j]`` = probability of muon-proxy
    column ``j`` for neutrino row ``i`` (rows renormalised to 1; they sum to
    1 +- 0.001 as published).
    """
    from bayesnu.data import load_enu_to_emu

    t = load_enu_to_emu()
    nu_edges = np.array(t["log10_enu_edges_gev"], dtype=np.float64)
    mu_edges = np.array(t["log10_emu_edges_gev"], dtype=np.float64)
    p = np.array(t["fraction"], dtype=np.float64)
    p /= p.sum(axis=1, keepdims=True)
    for a in (nu_edges, mu_edges, p):
        a.setflags(write=False)
    return nu_edges, mu_edges, p


def _uniform_gauss_cdf_integral(x: np.ndarray, s: float) -> np.ndarray:
    """Antiderivative of the normal CDF Phi(x/s): x Phi(x/s) + s phi(x/s)."""
    if s <= 0:
        return np.maximum(x, 0.0)
    z = x / s
    return x * 0.5 * (1.0 + erf(z / _SQRT2)) + s * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


PIVOT = 4.0  # log10(E/GeV) of the linear proxy map


def _column_to_reco(mu_edges: np.ndarray, reco_edges: np.ndarray, offset: float,
                    sigma: float, scale: float = 1.0) -> np.ndarray:
    """P(reco bin | proxy column): uniform in the mapped column, convolved with Gaussian(sigma)."""
    m = PIVOT + scale * (mu_edges - PIVOT) + offset
    a = m[:-1, None]
    b = m[1:, None]
    w = b - a
    r = reco_edges[None, :]
    # P(X <= r) for X = U(a, b) + N(0, s): [G(r - a) - G(r - b)] / (b - a)
    cdf = (_uniform_gauss_cdf_integral(r - a, sigma) - _uniform_gauss_cdf_integral(r - b, sigma)) / w
    return np.diff(cdf, axis=1)


@dataclass(frozen=True)
class EnergyResponse:
    """Calibrated E_nu -> E_reco response of one sample.

    Parameters
    ----------
    name
        Sample name.
    sindec_edges
        Edges in sin(dec) of the calibration bands (at least 2 entries).
    offset, sigma
        Per band: shift (dex) between the table's muon-energy proxy and the
        sample's log10 E_reco, and the extra Gaussian scatter (dex).
    scale
        Per band: slope of the linear proxy map around 10 TeV (default 1).
    meta
        Calibration provenance (data, fit quality).
    threshold_sindec_edges, threshold_log10e, threshold_width
        Optional selection threshold on the reconstructed energy (southern-sky
        selections cut hard on it): in each sin(dec) band of ``threshold_sindec_edges``
        the selection efficiency is ``1 / (1 + exp(-(log10 E_reco - t) / w))`` (``t`` =
        NaN: no cut). The released effective area already contains the selection, so
        the response *given selection* is ``P(reco | true) eff(reco)`` renormalised per
        true energy; :meth:`matrix` and :meth:`sample` return that.
    """

    name: str
    sindec_edges: np.ndarray
    offset: np.ndarray
    sigma: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    scale: np.ndarray | None = None
    threshold_sindec_edges: np.ndarray | None = None
    threshold_log10e: np.ndarray | None = None
    threshold_width: np.ndarray | None = None

    def __post_init__(self) -> None:
        se = np.asarray(self.sindec_edges, dtype=np.float64)
        off = np.atleast_1d(np.asarray(self.offset, dtype=np.float64))
        sig = np.atleast_1d(np.asarray(self.sigma, dtype=np.float64))
        sca = np.atleast_1d(np.asarray(1.0 if self.scale is None else self.scale, dtype=np.float64))
        if se.ndim != 1 or se.size < 2 or np.any(np.diff(se) <= 0):
            raise InputError("energy response sindec_edges must be increasing", column="sindec_edges")
        nb = se.size - 1
        if off.size == 1:
            off = np.full(nb, off[0])
        if sig.size == 1:
            sig = np.full(nb, sig[0])
        if sca.size == 1:
            sca = np.full(nb, sca[0])
        if off.shape != (nb,) or sig.shape != (nb,) or sca.shape != (nb,):
            raise InputError(f"offset/sigma need {nb} entries (one per sin(dec) band)")
        if not (np.all(np.isfinite(off)) and np.all(np.isfinite(sig)) and np.all(sig >= 0)
                and np.all(np.isfinite(sca)) and np.all(sca > 0)):
            raise InputError("energy response offset/sigma/scale must be finite, sigma >= 0, scale > 0")
        for k, v in (("sindec_edges", se), ("offset", off), ("sigma", sig), ("scale", sca)):
            v.setflags(write=False)
            object.__setattr__(self, k, v)
        if self.threshold_sindec_edges is not None:
            te = np.asarray(self.threshold_sindec_edges, dtype=np.float64)
            tt = np.asarray(self.threshold_log10e, dtype=np.float64)
            tw = np.asarray(self.threshold_width, dtype=np.float64)
            if te.ndim != 1 or te.size < 2 or np.any(np.diff(te) <= 0) or tt.shape != (te.size - 1,) \
                    or tw.shape != (te.size - 1,) or np.any(tw[np.isfinite(tt)] <= 0):
                raise InputError("threshold_* arrays must be n_bands + 1 increasing edges and n_bands "
                                 "positions / positive widths")
            for k, v in (("threshold_sindec_edges", te), ("threshold_log10e", tt),
                         ("threshold_width", tw)):
                v.setflags(write=False)
                object.__setattr__(self, k, v)

    # ------------------------------------------------------------------ helpers
    def band(self, sindec: np.ndarray | float) -> np.ndarray:
        """Index of the calibration band for each sin(dec) (clipped to the outer bands)."""
        sd = np.asarray(sindec, dtype=np.float64)
        return np.clip(np.searchsorted(self.sindec_edges, sd, side="right") - 1, 0,
                       self.sindec_edges.size - 2)

    def threshold(self, sindec: float) -> tuple[float, float] | None:
        """(position, width) of the reco-energy selection threshold at ``sindec``, or None."""
        if self.threshold_sindec_edges is None:
            return None
        te = self.threshold_sindec_edges
        if sindec < te[0] or sindec > te[-1]:
            return None
        j = int(np.clip(np.searchsorted(te, sindec, side="right") - 1, 0, te.size - 2))
        t = float(self.threshold_log10e[j])
        return None if not np.isfinite(t) else (t, float(self.threshold_width[j]))

    def efficiency(self, log10e_reco: np.ndarray, sindec: np.ndarray | float) -> np.ndarray:
        """Selection efficiency in reconstructed energy (1 where there is no threshold)."""
        r = np.atleast_1d(np.asarray(log10e_reco, dtype=np.float64))
        sd = np.broadcast_to(np.asarray(sindec, dtype=np.float64), r.shape)
        out = np.ones(r.shape)
        if self.threshold_sindec_edges is None:
            return out
        te = self.threshold_sindec_edges
        j = np.clip(np.searchsorted(te, sd, side="right") - 1, 0, te.size - 2)
        t = self.threshold_log10e[j]
        w = self.threshold_width[j]
        on = np.isfinite(t) & (sd >= te[0]) & (sd <= te[-1])
        z = np.where(on, (r - np.where(on, t, 0.0)) / np.where(on, w, 1.0), 50.0)
        return np.where(on, 0.5 * (1.0 + np.tanh(0.5 * z)), out)

    @staticmethod
    def _row_weights(log10e_true: np.ndarray) -> np.ndarray:
        """Interpolation weights onto the table rows, shape (n, n_rows)."""
        nu_edges, _, p = load_fig_s4_table()
        c = 0.5 * (nu_edges[1:] + nu_edges[:-1])
        x = np.clip(np.asarray(log10e_true, dtype=np.float64), c[0], c[-1])
        i = np.clip(np.searchsorted(c, x, side="right") - 1, 0, c.size - 2)
        w = (x - c[i]) / (c[i + 1] - c[i])
        out = np.zeros((x.size, c.size))
        idx = np.arange(x.size)
        np.add.at(out, (idx, i), 1.0 - w)
        np.add.at(out, (idx, i + 1), w)
        return out

    # ------------------------------------------------------------------ API
    def matrix(self, log10e_true_edges: np.ndarray, log10e_reco_edges: np.ndarray,
               sindec: float, n_sub: int = 8) -> np.ndarray:
        """P(reco bin | true bin) at ``sindec``, shape (n_true, n_reco).

        Each true bin is averaged uniformly in log10 E_nu (``n_sub`` midpoints per bin,
        exact for bins narrower than the table rows up to the row interpolation). Rows
        sum to <= 1: probability outside the reco edges is dropped.
        """
        te = np.asarray(log10e_true_edges, dtype=np.float64)
        re = np.asarray(log10e_reco_edges, dtype=np.float64)
        for nm, e in (("log10e_true_edges", te), ("log10e_reco_edges", re)):
            if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0) or not np.all(np.isfinite(e)):
                raise InputError(f"{nm} must be finite and increasing with >= 2 entries", column=nm)
        k = int(self.band(float(sindec)))
        _, mu_edges, p = load_fig_s4_table()
        u = (np.arange(n_sub) + 0.5) / n_sub
        sub = te[:-1, None] + np.diff(te)[:, None] * u[None, :]
        rw_sub = self._row_weights(sub.ravel())
        thr = self.threshold(float(sindec))
        if thr is None:
            rw = rw_sub.reshape(te.size - 1, n_sub, -1).mean(axis=1)
            g = _column_to_reco(mu_edges, re, float(self.offset[k]), float(self.sigma[k]),
                                float(self.scale[k]))
            return rw @ p @ g
        # selection threshold: fold each sub-point on a fine grid covering all the probability,
        # weight by the efficiency, renormalise per true energy (the effective area already
        # holds the selection), average over the true bin, sum fine bins into requested ones
        off, sc, sg = float(self.offset[k]), float(self.scale[k]), float(self.sigma[k])
        lo = min(re[0], PIVOT + sc * (mu_edges[0] - PIVOT) + off - 10 * sg - 0.05)
        hi = max(re[-1], PIVOT + sc * (mu_edges[-1] - PIVOT) + off + 10 * sg + 0.05)
        fine = np.unique(np.concatenate([np.arange(np.floor(lo * 100) / 100, hi + 0.01, 0.01), re]))
        g = _column_to_reco(mu_edges, fine, float(self.offset[k]), float(self.sigma[k]),
                            float(self.scale[k]))
        fc = 0.5 * (fine[1:] + fine[:-1])
        m = (rw_sub @ p @ g) * self.efficiency(fc, float(sindec))[None, :]
        norm = m.sum(axis=1, keepdims=True)
        m = np.divide(m, norm, out=np.zeros_like(m), where=norm > 0)
        m = m.reshape(te.size - 1, n_sub, -1).mean(axis=1)
        idx = np.searchsorted(re, fc, side="right") - 1
        ok = np.flatnonzero((idx >= 0) & (idx < re.size - 1))
        # fine bins are sorted and every requested bin holds at least one (its edges are in
        # the fine grid): sum contiguous runs
        starts = ok[0] + np.searchsorted(idx[ok], np.arange(re.size - 1), side="left")
        return np.add.reduceat(m[:, ok[0]:ok[-1] + 1], starts - ok[0], axis=1)

    def sample(self, rng: np.random.Generator, log10e_true: np.ndarray,
               sindec: np.ndarray | float) -> np.ndarray:
        """Draw log10 E_reco for each true log10 E_nu (GeV) at sin(dec) (scalar or per event).

        With a selection threshold, draws are accepted with the efficiency (rejection
        sampling, i.e. exactly the renormalised response of :meth:`matrix`); after 1000
        rounds the few left (true energies far below the threshold, which the effective
        area all but excludes) are placed at the threshold plus |N(0, width)|.
        """
        x = np.atleast_1d(np.asarray(log10e_true, dtype=np.float64))
        if not np.all(np.isfinite(x)):
            raise InputError("log10e_true has non-finite values", column="log10e_true")
        sd = np.array(np.broadcast_to(np.asarray(sindec, dtype=np.float64), x.shape))
        r = self._sample_raw(rng, x, sd)
        if self.threshold_sindec_edges is None:
            return r
        todo = rng.random(x.size) >= self.efficiency(r, sd)
        for _ in range(1000):
            if not todo.any():
                break
            r[todo] = self._sample_raw(rng, x[todo], sd[todo])
            todo[todo] = rng.random(int(todo.sum())) >= self.efficiency(r[todo], sd[todo])
        if todo.any():
            for i in np.flatnonzero(todo):
                thr = self.threshold(float(sd[i]))
                r[i] = thr[0] + abs(thr[1] * rng.standard_normal())
        return r

    def _sample_raw(self, rng: np.random.Generator, x: np.ndarray, sd: np.ndarray) -> np.ndarray:
        n = x.size
        nu_edges, mu_edges, p = load_fig_s4_table()
        c = 0.5 * (nu_edges[1:] + nu_edges[:-1])
        xc = np.clip(x, c[0], c[-1])
        i = np.clip(np.searchsorted(c, xc, side="right") - 1, 0, c.size - 2)
        w = (xc - c[i]) / (c[i + 1] - c[i])
        row = i + (rng.random(n) < w)
        cdf = np.cumsum(p, axis=1)
        cdf[:, -1] = 1.0
        u = rng.random(n)
        col = np.minimum((u[:, None] > cdf[row]).sum(axis=1), p.shape[1] - 1)
        proxy = mu_edges[col] + (mu_edges[1] - mu_edges[0]) * rng.random(n)
        k = self.band(sd)
        mapped = PIVOT + self.scale[k] * (proxy - PIVOT) + self.offset[k]
        return mapped + self.sigma[k] * rng.standard_normal(n)

    def median_reco(self, log10e_true: float, sindec: float = 0.0) -> float:
        """Median log10 E_reco for a true log10 E_nu (from the exact matrix)."""
        re = np.linspace(0.0, 10.0, 2001)
        m = self.matrix(np.array([log10e_true - 1e-6, log10e_true + 1e-6]), re, sindec, n_sub=1)[0]
        cdf = np.cumsum(m) / m.sum()
        return float(np.interp(0.5, cdf, re[1:]))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sindec_edges": self.sindec_edges.tolist(),
                "offset": self.offset.tolist(), "sigma": self.sigma.tolist(),
                "scale": self.scale.tolist(), "meta": self.meta,
                **({} if self.threshold_sindec_edges is None else {
                    "threshold_sindec_edges": self.threshold_sindec_edges.tolist(),
                    "threshold_log10e": [float(v) if np.isfinite(v) else None
                                         for v in self.threshold_log10e],
                    "threshold_width": self.threshold_width.tolist()})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EnergyResponse:
        return cls(name=d["name"], sindec_edges=np.asarray(d["sindec_edges"]),
                   offset=np.asarray(d["offset"]), sigma=np.asarray(d["sigma"]),
                   scale=np.asarray(d.get("scale", 1.0)),
                   threshold_sindec_edges=(None if d.get("threshold_sindec_edges") is None
                                           else np.asarray(d["threshold_sindec_edges"])),
                   threshold_log10e=(None if d.get("threshold_log10e") is None else np.array(
                       [np.nan if v is None else v for v in d["threshold_log10e"]], dtype=float)),
                   threshold_width=(None if d.get("threshold_width") is None
                                    else np.asarray(d["threshold_width"])),
                   meta=dict(d.get("meta", {})))


@lru_cache(maxsize=1)
def _calibrations() -> dict[str, Any]:
    path = resources.files("bayesnu.detector").joinpath("resources/energy_calibration.json")
    return json.loads(path.read_text())


def calibrated_names() -> list[str]:
    """Sample names with a stored calibration (aliases included)."""
    c = _calibrations()
    return sorted(set(c["samples"]) | set(c.get("aliases", {})))


def energy_response(sample_or_name: Any) -> EnergyResponse:
    """Calibrated :class:`EnergyResponse` for a sample (EventSample or its name).

    Simulated cascade samples (``meta["detector"] == "cascade"`` or name ``"cascade"``)
    get the :class:`bayesnu.detector.cascade.CascadeEnergyResponse` (same interface),
    conditioned on the sample's reco-energy cut. Every response returned here is
    P(reco | true, selected): its rows sum to 1 over all reconstructed energies, so a
    signal energy PDF must be normalised by the total (not the in-range) signal.

    Calibrations are stored per sample in ``resources/energy_calibration.json``
    (computed by :func:`bayesnu.detector.calibration.calibrate_energy_response`; see
    VALIDATION.md). Seasons without public events use a documented alias, e.g. the
    10-year release's IC59/IC79 use IC40's constants and IC86_I..VII use IC86-2011's.
    Names are matched case-insensitively, ignoring ``-``/``_``.
    """
    meta = getattr(sample_or_name, "meta", None) or {}
    name = getattr(sample_or_name, "name", sample_or_name)
    if meta.get("detector") == "cascade" or (isinstance(name, str) and name.lower() == "cascade"):
        from bayesnu.detector.cascade import PAPER000, CascadeEnergyResponse

        rr = meta.get("log10e_reco_range", PAPER000["log10e_reco_range"])
        return CascadeEnergyResponse(reco_range=(float(rr[0]), float(rr[1])))
    if not isinstance(name, str):
        raise InputError(f"energy_response needs a sample or a sample name, got {type(name).__name__}")
    c = _calibrations()

    def norm(s: str) -> str:
        return s.lower().replace("-", "").replace("_", "").replace(" ", "")

    table = {norm(k): k for k in c["samples"]}
    aliases = {norm(k): v for k, v in c.get("aliases", {}).items()}
    key = norm(name)
    if key in aliases:
        target = aliases[key]
        d = dict(c["samples"][target])
        d["name"] = name
        d.setdefault("meta", {})
        d["meta"] = {**d["meta"], "alias_of": target}
        return EnergyResponse.from_dict(d)
    if key in table:
        return EnergyResponse.from_dict(c["samples"][table[key]])
    raise InputError(f"no energy-response calibration for sample {name!r}; known: "
                     f"{', '.join(calibrated_names())}. Calibrate one with "
                     "bayesnu.detector.calibration.calibrate_energy_response(sample)")

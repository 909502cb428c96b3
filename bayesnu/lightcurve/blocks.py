"""Bayesian blocks for point measures (Scargle et al. 2013), one curve or thousands.

:func:`bayesian_blocks` segments a :class:`~bayesnu.lightcurve.core.LightCurve`
with the "measures" fitness ``b_k^2 / (4 a_k)`` and the false-alarm prior
``ncp_prior = 4 - ln(73.53 p0 N^-0.478)``, the same dynamic programme as
``astropy.stats.bayesian_blocks(t, x, sigma, fitness="measures", p0=p0)``.
Two engines give identical change points (tested on random curves):

* ``"numba"`` (default): a compiled loop doing the same additions in the same
  order as astropy, so the change points agree bit for bit; about 100x faster,
  and :func:`bayesian_blocks_batch` runs it over every row of a
  :class:`~bayesnu.lightcurve.core.LightCurveSet` in one call;
* ``"astropy"``: calls astropy itself (the reference).

One known difference: when the optimum puts every point in its own block,
astropy (checked with 8.0) returns one change point too few (its change-point
buffer has N slots for the N + 1 edges), merging the first two points; the
numba engine returns all N blocks.

Block edges in time: astropy puts them at the first and last times and halfway
between consecutive times. Here, for binned curves, an inner edge is halfway
between the end of one bin and the start of the next (= the shared bin edge for
contiguous bins) and the outer edges are the first bin's start and the last
bin's end; for instantaneous points this is exactly astropy's convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from bayesnu.errors import InputError

from .core import LightCurve, LightCurveSet
from .references import CITE_ASTROPY_BB, CITE_SCARGLE2013

__all__ = ["Blocks", "bayesian_blocks", "bayesian_blocks_batch", "ncp_prior",
           "CITE_SCARGLE2013", "CITE_ASTROPY_BB"]


def ncp_prior(n: int, p0: float) -> float:
    """Scargle et al. (2013) eq. 21 (corrected, as in astropy): 4 - ln(73.53 p0 n^-0.478)."""
    if not 0 < p0 < 1:
        raise InputError(f"false-alarm probability p0 = {p0} outside (0, 1)", column="p0")
    return float(4 - np.log(73.53 * p0 * (n ** -0.478)))


@numba.njit(cache=True)
def _bb_measures(ak_raw, bk_raw, ncp, cps):
    """Optimal change points; fills ``cps`` (length N+1) and returns how many are used."""
    n = ak_raw.size
    best = np.empty(n)
    last = np.empty(n, np.int64)
    for r in range(n):
        a = 0.0
        b = 0.0
        bestval = -np.inf
        imax = 0
        for i in range(r, -1, -1):
            a += ak_raw[i]
            b += bk_raw[i]
            ah = 0.5 * a
            v = (b * b) / (4.0 * ah) - ncp
            if i > 0:
                v += best[i - 1]
            if v >= bestval:  # ties -> smallest i, as numpy.argmax
                bestval = v
                imax = i
        last[r] = imax
        best[r] = bestval
    k = 0
    ind = n
    while True:
        cps[k] = ind
        k += 1
        if ind == 0:
            break
        ind = last[ind - 1]
    cps[:k] = cps[:k][::-1].copy()
    return k


@numba.njit(cache=True)
def _bb_batch(x, sig, ncps, out, counts):
    for j in range(x.shape[0]):
        ak = 1.0 / sig[j] ** 2
        bk = x[j] / sig[j] ** 2
        counts[j] = _bb_measures(ak, bk, ncps[j], out[j])


@dataclass(frozen=True)
class Blocks:
    """A Bayesian-block segmentation of one light curve.

    Attributes
    ----------
    change_points : int array (n_blocks + 1,)
        Point indices; block k holds points ``change_points[k] : change_points[k+1]``.
    edges : array (n_blocks + 1,)
        Block edges in time, MJD (module docstring).
    flux : array (n_blocks,)
        Block flux: inverse-variance weighted mean of its points (the
        maximum-likelihood block amplitude of the measures fitness) or the plain
        mean (``block_mean="mean"``).
    p0 : float
        False-alarm probability used.
    """

    change_points: np.ndarray
    edges: np.ndarray
    flux: np.ndarray
    p0: float

    @property
    def n_blocks(self) -> int:
        return int(self.flux.size)

    def point_block(self, n: int) -> np.ndarray:
        """Block index of each of the ``n`` points."""
        return np.repeat(np.arange(self.n_blocks), np.diff(self.change_points))[:n]


def block_edges(lc_lo: np.ndarray, lc_hi: np.ndarray, cps: np.ndarray) -> np.ndarray:
    """Time edges of blocks with change points ``cps`` (module docstring)."""
    inner = 0.5 * (lc_hi[:-1] + lc_lo[1:])
    all_edges = np.concatenate([lc_lo[:1], inner, lc_hi[-1:]])
    return all_edges[cps]


def block_flux(flux: np.ndarray, error: np.ndarray, cps: np.ndarray, block_mean: str) -> np.ndarray:
    """Per-block mean flux (``"weighted"`` or ``"mean"``)."""
    if block_mean == "weighted":
        w = 1.0 / error**2
        return np.add.reduceat(w * flux, cps[:-1]) / np.add.reduceat(w, cps[:-1])
    if block_mean == "mean":
        return np.add.reduceat(flux, cps[:-1]) / np.diff(cps)
    raise InputError(f"unknown block_mean {block_mean!r} (weighted, mean)", column="block_mean")


def bayesian_blocks(lc: LightCurve, p0: float = 0.01, engine: str = "numba",
                    block_mean: str = "weighted") -> Blocks:
    """Bayesian blocks (measures fitness) of one light curve.

    Parameters
    ----------
    lc : LightCurve
        Needs >= 3 points and positive errors.
    p0 : float
        False-alarm probability (default 0.01, the published choice; astropy's
        default is 0.05).
    engine : {"numba", "astropy"}
        Identical results; "astropy" calls ``astropy.stats.bayesian_blocks``.
    block_mean : {"weighted", "mean"}
        Block flux definition (:class:`Blocks`).
    """
    lc.require(3, positive_errors=True, what="Bayesian blocks")
    ncp = ncp_prior(lc.n, p0)
    if engine == "numba":
        cps = np.empty(lc.n + 1, np.int64)
        k = _bb_measures(1.0 / lc.error**2, lc.flux / lc.error**2, ncp, cps)
        cps = cps[:k].copy()
    elif engine == "astropy":
        from astropy.stats import bayesian_blocks as _abb

        e = _abb(lc.time.copy(), lc.flux.copy(), lc.error.copy(), fitness="measures", p0=p0)
        mids = np.concatenate([lc.time[:1], 0.5 * (lc.time[1:] + lc.time[:-1]), lc.time[-1:]])
        cps = np.searchsorted(mids, e).astype(np.int64)
        cps[0], cps[-1] = 0, lc.n
    else:
        raise InputError(f"unknown engine {engine!r} (numba, astropy)", column="engine")
    return Blocks(cps, block_edges(lc.t_lo, lc.t_hi, cps),
                  block_flux(lc.flux, lc.error, cps, block_mean), p0)


def bayesian_blocks_batch(flux: np.ndarray, error: np.ndarray, p0: float | np.ndarray = 0.01
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Change points of many curves with the same number of points (compiled loop).

    Parameters
    ----------
    flux, error : arrays (n_curves, n_points)
        Errors must be > 0.
    p0 : float or array (n_curves,)
        False-alarm probability per curve.

    Returns
    -------
    cps : int array (n_curves, n_points + 1)
        Change points, row j valid in ``cps[j, :counts[j]]``.
    counts : int array (n_curves,)
    """
    x = np.ascontiguousarray(flux, dtype=np.float64)
    s = np.ascontiguousarray(error, dtype=np.float64)
    if x.ndim != 2 or s.shape != x.shape:
        raise InputError(f"flux {x.shape} and error {s.shape} must be equal 2-d arrays",
                         column="flux")
    if x.shape[1] < 3:
        raise InputError(f"{x.shape[1]} point(s) per curve, at least 3 needed for Bayesian "
                         "blocks", column="flux")
    if not np.all(s > 0):
        j, i = map(int, np.argwhere(~(s > 0))[0])
        raise InputError(f"curve {j}: error {s[j, i]} <= 0 at point {i}", column="error")
    p = np.broadcast_to(np.asarray(p0, dtype=np.float64), (x.shape[0],))
    ncps = np.array([ncp_prior(x.shape[1], float(v)) for v in np.unique(p)])
    ncp_rows = ncps[np.searchsorted(np.unique(p), p)]
    out = np.zeros((x.shape[0], x.shape[1] + 1), np.int64)
    counts = np.zeros(x.shape[0], np.int64)
    _bb_batch(x, s, ncp_rows, out, counts)
    return out, counts


def set_blocks(lcs: LightCurveSet, p0: float | np.ndarray = 0.01,
               block_mean: str = "weighted") -> list[Blocks]:
    """:class:`Blocks` of every row of a :class:`LightCurveSet`."""
    cps, counts = bayesian_blocks_batch(lcs.flux, lcs.error, p0)
    p = np.broadcast_to(np.asarray(p0, dtype=np.float64), (lcs.n_sources,))
    lo, hi = lcs.edges[:-1], lcs.edges[1:]
    return [Blocks(cps[j, :counts[j]], block_edges(lo, hi, cps[j, :counts[j]]),
                   block_flux(lcs.flux[j], lcs.error[j], cps[j, :counts[j]], block_mean),
                   float(p[j])) for j in range(lcs.n_sources)]

"""Energy PDFs of the unbinned point-source likelihood.

* :class:`SignalEnergyPDF` -- density of the reconstructed energy proxy
  log10(E_reco/GeV) of signal events from a power law ``E^-gamma`` at the
  source declination, on a grid of spectral indices. It folds the effective
  area and the energy response (migration matrix true -> reco) of a sample::

      P_s(x | gamma, dec) = sum_t A(E_t, dec) Phi_t(gamma) R_t(x) / sum_t A(E_t, dec) Phi_t(gamma)

  with ``Phi_t`` the exact integral of ``E^-gamma`` over true-energy bin t.
* :class:`BackgroundEnergyPDF` -- data-driven density of log10(E_reco) in bands
  of sin(dec) (smoothed 2-D histogram, conditional on the band); optionally
  extended beyond the data's energy range (``extend=True``, see
  :data:`RECO_EXTENSION_RANGE`) so that simulated events there get consistent
  signal and background densities.
* :class:`EnergyRatioSpline` -- log(P_s / P_b) per (sin dec band, reco bin)
  cell, interpolated in gamma by a cubic spline (continuous first and second
  derivatives), so that the likelihood kernel evaluates an event's energy
  term and its gamma derivative with a handful of multiply-adds.
* :class:`GammaSpline` -- the generic vector-valued cubic spline in gamma that
  the above uses (also used for per-sample acceptances).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.ndimage import gaussian_filter

from bayesnu.errors import InputError

__all__ = [
    "DEFAULT_GAMMA_GRID",
    "power_law_bin_integrals",
    "GammaSpline",
    "SignalEnergyPDF",
    "BackgroundEnergyPDF",
    "EnergyRatioSpline",
    "RECO_EXTENSION_RANGE",
]

#: spectral-index grid of the energy PDFs (support of gamma in the likelihood)
DEFAULT_GAMMA_GRID = np.round(np.arange(0.8, 4.2 + 1e-9, 0.05), 10)


def power_law_bin_integrals(log10e_edges: np.ndarray, gamma: np.ndarray,
                            e0_gev: float = 1.0e3) -> np.ndarray:
    """Exact integrals of ``(E/E0)^-gamma`` over energy bins.

    Parameters
    ----------
    log10e_edges
        Bin edges in log10(E/GeV), shape (n + 1,).
    gamma
        Spectral indices, shape (m,) (or scalar).
    e0_gev
        Pivot energy in GeV.

    Returns
    -------
    ndarray
        Shape (m, n), in GeV.
    """
    g = np.atleast_1d(np.asarray(gamma, dtype=np.float64))[:, None]
    lo = 10.0 ** np.asarray(log10e_edges[:-1], dtype=np.float64)[None, :] / e0_gev
    hi = 10.0 ** np.asarray(log10e_edges[1:], dtype=np.float64)[None, :] / e0_gev
    a = 1.0 - g
    near1 = np.abs(a) < 1e-8
    a_safe = np.where(near1, 1.0, a)
    gen = (hi ** a_safe - lo ** a_safe) / a_safe
    return e0_gev * np.where(near1, np.log(hi / lo), gen)


class GammaSpline:
    """Vector-valued (not-a-knot) cubic spline ``y(gamma)`` on a grid.

    Stores the piecewise-polynomial coefficients as an array of shape
    (n_intervals, 4, m) so that evaluation for one gamma touches one
    contiguous (4, m) block (or a gather of it).

    Parameters
    ----------
    gamma_grid
        Increasing grid, shape (n,).
    values
        Function values, shape (n, m) (or (n,) for a scalar function).
    """

    def __init__(self, gamma_grid: np.ndarray, values: np.ndarray) -> None:
        g = np.asarray(gamma_grid, dtype=np.float64)
        y = np.asarray(values, dtype=np.float64)
        self.scalar = y.ndim == 1
        if self.scalar:
            y = y[:, None]
        if g.ndim != 1 or g.size < 4 or np.any(np.diff(g) <= 0):
            raise InputError("gamma grid must be increasing with at least 4 points",
                             column="gamma")
        if y.shape[0] != g.size:
            raise InputError(f"spline values have {y.shape[0]} rows for {g.size} grid points",
                             column="gamma")
        if not np.all(np.isfinite(y)):
            raise InputError("non-finite values in a gamma spline table", column="gamma")
        cs = CubicSpline(g, y, axis=0, bc_type="not-a-knot")
        # cs.c: (4, n_int, m) highest power first -> (n_int, 4, m)
        self.coef = np.ascontiguousarray(np.transpose(cs.c, (1, 0, 2)))
        self.grid = g
        self.lo = float(g[0])
        self.hi = float(g[-1])

    @property
    def size(self) -> int:
        return self.coef.shape[2]

    def interval(self, gamma: float) -> tuple[int, float]:
        """Interval index and offset of ``gamma`` (must be inside the grid)."""
        k = int(np.searchsorted(self.grid, gamma, side="right") - 1)
        k = min(max(k, 0), self.grid.size - 2)
        return k, float(gamma - self.grid[k])

    def __call__(self, gamma: float, index: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Values and d/dgamma at ``gamma`` (optionally of a subset ``index``).

        Returns
        -------
        value, derivative
            Arrays of shape (m,) (or (len(index),)); scalars for a scalar spline.
        """
        k, dx = self.interval(gamma)
        c = self.coef[k]
        if index is not None:
            c = c[:, index]
        val = ((c[0] * dx + c[1]) * dx + c[2]) * dx + c[3]
        der = (3.0 * c[0] * dx + 2.0 * c[1]) * dx + c[2]
        if self.scalar and index is None:
            return val[0], der[0]
        return val, der


def _reco_edges_for(log10e: np.ndarray, width: float = 0.1) -> np.ndarray:
    """``width``-wide bins over the data's range.

    Releases that print log10 E with one decimal (IC86-2011) have values on a
    0.1 grid; the edges are then put half-way between printed values so that a
    printed value stands for its rounding interval (no half-bin shift between
    data and the signal PDF).
    """
    x = np.asarray(log10e, dtype=np.float64)
    quantised = bool(np.all(np.abs(x / width - np.round(x / width)) < 1e-6))
    off = 0.5 * width if quantised else 0.0
    lo = np.floor((np.min(x) - off) / width) * width + off - width
    hi = np.ceil((np.max(x) - off) / width) * width + off + width
    return np.round(np.arange(lo, hi + 0.5 * width, width), 10)


#: log10(E_reco/GeV) range covered by the extension bins of a
#: :class:`BackgroundEnergyPDF` built with ``extend=True`` (beyond the data's range; the
#: calibrated responses put signal events between about 1.5 and 8.1 in the northern
#: sky, and up to ~12 with probabilities below 1e-12 in the southern sky)
RECO_EXTENSION_RANGE = (1.0, 9.0)


def _extension_edges(core: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Edges of the extension blocks below and above ``core`` (each shares its boundary
    edge with ``core``; a block without bins has that edge only).

    Extension bins have the width of the outermost core bin and reach ``lo`` / ``hi``
    (rounded to 10 decimals like :func:`_reco_edges_for`; the boundary edges are the
    core's own values).
    """
    w_lo = float(core[1] - core[0])
    w_hi = float(core[-1] - core[-2])
    n_lo = max(0, int(np.ceil((core[0] - lo) / w_lo - 1e-9)))
    n_hi = max(0, int(np.ceil((hi - core[-1]) / w_hi - 1e-9)))
    below = np.concatenate([np.round(core[0] - w_lo * np.arange(n_lo, 0, -1), 10), core[:1]])
    above = np.concatenate([core[-1:], np.round(core[-1] + w_hi * np.arange(1, n_hi + 1), 10)])
    return below, above


class SignalEnergyPDF:
    """Signal density of log10(E_reco) for ``E^-gamma`` at one declination.

    Parameters
    ----------
    log10e_reco_edges
        Reco-energy bin edges, shape (n_reco + 1,).
    table
        Density per unit log10(E_reco), shape (n_gamma, n_reco); each row
        integrates to 1 over the reco range.
    gamma_grid
        Spectral indices of the rows.
    """

    def __init__(self, log10e_reco_edges: np.ndarray, table: np.ndarray,
                 gamma_grid: np.ndarray) -> None:
        self.reco_edges = np.asarray(log10e_reco_edges, dtype=np.float64)
        self.table = np.asarray(table, dtype=np.float64)
        self.gamma_grid = np.asarray(gamma_grid, dtype=np.float64)
        if self.table.shape != (self.gamma_grid.size, self.reco_edges.size - 1):
            raise InputError(f"signal energy table shape {self.table.shape} does not match "
                             f"{self.gamma_grid.size} gammas x {self.reco_edges.size - 1} bins")

    @classmethod
    def from_response(cls, log10e_true_edges: np.ndarray, aeff_cm2: np.ndarray,
                      response: np.ndarray, log10e_reco_edges: np.ndarray,
                      gamma_grid: np.ndarray = DEFAULT_GAMMA_GRID) -> SignalEnergyPDF:
        """Fold a power law with an effective area and a migration matrix.

        Parameters
        ----------
        log10e_true_edges
            True-neutrino-energy bin edges, log10(E/GeV), shape (n_true + 1,).
        aeff_cm2
            Effective area (cm^2) per true bin at the source declination, (n_true,).
        response
            Migration matrix, shape (n_true, n_reco): probability that a selected
            event of true bin t has its reco energy in reco bin r. Its rows must sum
            to 1 over *all* reco energies (probability outside ``log10e_reco_edges``
            is dropped from the table, not renormalised into it). A list of matrices
            is one matrix per consecutive block of reco bins (e.g. the
            :attr:`BackgroundEnergyPDF.edge_blocks` of an extended table): each
            block is folded on its own, so the numbers of a block do not depend on
            the blocks beside it (matrix products of other shapes round differently).
        log10e_reco_edges
            Reco bin edges, shape (n_reco + 1,).
        gamma_grid
            Spectral indices.
        """
        te = np.asarray(log10e_true_edges, dtype=np.float64)
        a = np.asarray(aeff_cm2, dtype=np.float64)
        blocks = [np.asarray(b, dtype=np.float64)
                  for b in (response if isinstance(response, (list, tuple)) else [response])]
        re = np.asarray(log10e_reco_edges, dtype=np.float64)
        shape = (te.size - 1, sum(b.shape[-1] for b in blocks))
        if (a.shape != (te.size - 1,) or shape[1] != re.size - 1
                or any(b.ndim != 2 or b.shape[0] != te.size - 1 for b in blocks)):
            raise InputError(f"response shapes {[b.shape for b in blocks]} / area shape {a.shape} "
                             f"do not match {te.size - 1} true x {re.size - 1} reco bins")
        phi = power_law_bin_integrals(te, gamma_grid)  # (n_g, n_true)
        return cls.from_weights(phi * a[None, :], blocks, re, gamma_grid)

    @classmethod
    def from_weights(cls, weights: np.ndarray, response_blocks: list[np.ndarray],
                     log10e_reco_edges: np.ndarray, gamma_grid: np.ndarray,
                     core: slice = slice(None)) -> SignalEnergyPDF:
        """Fold expected signal per true bin with migration matrices, block by block.

        Parameters
        ----------
        weights
            Expected signal per true bin for each spectral index, shape (n_gamma, n_true).
        response_blocks
            One migration matrix (n_true, n_reco_block) per consecutive block of reco bins;
            each block is folded on its own (matrix products of other shapes round
            differently), so a block's numbers do not depend on the blocks beside it.
        log10e_reco_edges
            Reco bin edges of all blocks together.
        gamma_grid
            Spectral indices of the rows of ``weights``.
        core
            Reco bins that must hold some signal (default: all).
        """
        w = np.asarray(weights, dtype=np.float64)
        re = np.asarray(log10e_reco_edges, dtype=np.float64)
        # (n_g, n_reco) expected counts per reco bin
        dist = np.concatenate([w @ b for b in response_blocks], axis=1)
        if np.any(dist[:, core].sum(axis=1) <= 0):
            raise InputError("signal energy PDF is zero everywhere (no effective area "
                             "inside the reco-energy range at this declination)")
        # normalised by the *total* signal: the response rows are P(reco | true, selected)
        # and sum to 1 over all reco energies; the reco edges span the observed events (and
        # an extension), not a cut (normalising inside them inflated hard spectra by
        # 1 / P(reco inside | gamma), e.g. 2x at gamma 1 in the TXS release's IC86c box)
        norm = w.sum(axis=1, keepdims=True)
        table = dist / norm / np.diff(re)[None, :]
        return cls(re, table, gamma_grid)

    @classmethod
    def from_function(cls, log10e_true_edges: np.ndarray, aeff_cm2: np.ndarray,
                      response_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
                      log10e_reco_edges: np.ndarray,
                      gamma_grid: np.ndarray = DEFAULT_GAMMA_GRID) -> SignalEnergyPDF:
        """As :meth:`from_response` with ``response_fn(true_edges, reco_edges)``."""
        r = response_fn(np.asarray(log10e_true_edges), np.asarray(log10e_reco_edges))
        return cls.from_response(log10e_true_edges, aeff_cm2, r, log10e_reco_edges, gamma_grid)

    def __call__(self, log10e: np.ndarray, gamma_index: int) -> np.ndarray:
        """Density at reco energies for grid row ``gamma_index`` (0 outside range)."""
        x = np.asarray(log10e, dtype=np.float64)
        j = np.searchsorted(self.reco_edges, x, side="right") - 1
        ok = (j >= 0) & (j < self.reco_edges.size - 1)
        return np.where(ok, self.table[gamma_index, np.clip(j, 0, self.table.shape[1] - 1)],
                        0.0)


class BackgroundEnergyPDF:
    """Data-driven density of log10(E_reco) in bands of sin(dec).

    A 2-D histogram of the data in (sin dec, log10 E_reco) is smoothed with a
    Gaussian kernel (``smooth`` bins in each direction), half a pseudo-event
    is spread uniformly over each band's energy range (so empty bins far in
    the tails keep a small positive density), and each band is normalised to
    unit integral over log10(E_reco).

    **Energies outside the data's range.** The reco edges span the data, but
    simulated signal events (injections, pseudo-experiments) can be
    reconstructed above (or below) every real event -- for a gamma = 2 power
    law about 14% of the signal lands above the TXS 0506+056 release's range.
    With ``extend=True`` the table gets extension bins of the outermost bins'
    width down to ``RECO_EXTENSION_RANGE[0]`` and up to
    ``RECO_EXTENSION_RANGE[1]`` (:data:`RECO_EXTENSION_RANGE`), holding the
    density an empty in-range bin gets from the floor (half a pseudo-event
    over the band's data range, divided by the same band sum). The in-range
    table is computed exactly as without the extension (bitwise the same
    numbers), so the extended table is *not* renormalised: each band
    integrates to ``1 + 0.5 L_ext / (L_data S_band)`` (``L`` the widths of
    the extension and the data range in log10 E, ``S_band`` the band's
    (floored, smoothed) event count), i.e. ~2e-4 for bands of ~3000 events and
    ~2e-2 for a 100-event sample. The likelihood only evaluates the density
    at events, so real events are unaffected. Signal tables built on
    :attr:`reco_edges` then hold the signal mass of the extension (instead of
    dropping it) and an event there gets consistent S and B. Signal tables
    that must keep the in-range numbers bitwise should be computed per block
    of :attr:`edge_blocks` (matrix products of other shapes round differently)
    and concatenated. Events beyond the extension are clipped into its
    outermost bins, as events beyond the table are without it.

    Parameters
    ----------
    sindec, log10e
        Data events (background dominated).
    sindec_edges
        Band edges in sin(dec); default: equal-width bands, about 3000 events
        per band on average, between 1 and 20 bands, over the data's range.
    log10e_edges
        Reco-energy bin edges; default 0.1-wide bins over the data's range.
    smooth
        Gaussian smoothing widths in bins (sin dec, log10 E). Default: 0.5 band
        in sin dec and ``1.5 * min(1, sqrt(1000 / events per band))`` bins in
        energy -- light smoothing where the statistics are high, because
        smoothing a steeply falling spectrum inflates its tail by about
        ``exp((slope * width)^2 / 2)`` (a bias against signal).
    extend
        Add the extension bins beyond the data's energy range (see above);
        default False: the table spans the data only (as the flare search's
        tables, :mod:`bayesnu.flare.roi`, do; the likelihood set-up,
        :class:`~bayesnu.likelihood.setup.SampleSetup`, extends).

    Attributes
    ----------
    reco_edges
        Reco-energy bin edges of the table (with the extension, if any).
    core
        Slice of the bins of the data's range (all bins without extension).
    edge_blocks
        Edges of the extension below, the data's range and the extension above
        (blocks without bins left out); neighbouring blocks share an edge and
        their bins, in order, are those of :attr:`reco_edges`.
    """

    def __init__(self, sindec: np.ndarray, log10e: np.ndarray,
                 sindec_edges: np.ndarray | None = None,
                 log10e_edges: np.ndarray | None = None,
                 smooth: tuple[float, float] | None = None,
                 extend: bool = False) -> None:
        sd = np.asarray(sindec, dtype=np.float64)
        le = np.asarray(log10e, dtype=np.float64)
        if sd.size < 2 or sd.shape != le.shape:
            raise InputError("background energy PDF needs >= 2 events with sin(dec) and energy",
                             column="log10e")
        if log10e_edges is None:
            log10e_edges = _reco_edges_for(le)
        if sindec_edges is None:
            nb = int(np.clip(sd.size // 3000, 1, 20))
            sindec_edges = np.linspace(sd.min() - 1e-9, sd.max() + 1e-9, nb + 1)
        self.sindec_edges = np.asarray(sindec_edges, dtype=np.float64)
        self.reco_edges = np.asarray(log10e_edges, dtype=np.float64)
        h, _, _ = np.histogram2d(sd, le, bins=(self.sindec_edges, self.reco_edges))
        if smooth is None:
            per_band = max(1.0, sd.size / (self.sindec_edges.size - 1))
            smooth = (0.5, 1.5 * min(1.0, float(np.sqrt(1000.0 / per_band))))
        if self.sindec_edges.size > 2:
            h = gaussian_filter(h, sigma=smooth, mode="nearest")
        else:
            h = gaussian_filter(h, sigma=(0.0, smooth[1]), mode="nearest")
        widths = np.diff(self.reco_edges)
        span = self.reco_edges[-1] - self.reco_edges[0]
        h = h + 0.5 * widths[None, :] / span
        band_sum = h.sum(axis=1, keepdims=True)
        self.table = h / band_sum / widths[None, :]
        self.core = slice(0, self.reco_edges.size - 1)
        self.edge_blocks = [self.reco_edges]
        if extend:
            below, above = _extension_edges(self.reco_edges, *RECO_EXTENSION_RANGE)
            n_lo = below.size - 1
            blocks, tables = [], []
            for e in (below, self.reco_edges, above):
                if e.size < 2:
                    continue
                blocks.append(e)
                if e is self.reco_edges:
                    tables.append(self.table)
                else:
                    # the floor an empty in-range bin gets, over the same band sum
                    we = np.diff(e)[None, :]
                    tables.append((0.5 * we / span) / band_sum / we)
            self.edge_blocks = blocks
            self.reco_edges = np.concatenate([blocks[0]] + [b[1:] for b in blocks[1:]])
            self.table = np.concatenate(tables, axis=1)
            self.core = slice(n_lo, n_lo + widths.size)

    @property
    def n_bands(self) -> int:
        return self.sindec_edges.size - 1

    @property
    def n_reco(self) -> int:
        return self.reco_edges.size - 1

    @property
    def block_slices(self) -> list[slice]:
        """Bins of each of :attr:`edge_blocks` within :attr:`reco_edges`' bins."""
        out, a = [], 0
        for e in self.edge_blocks:
            out.append(slice(a, a + e.size - 1))
            a += e.size - 1
        return out

    def cell_index(self, sindec: np.ndarray, log10e: np.ndarray) -> np.ndarray:
        """Flat cell index ``band * n_reco + reco_bin`` (clipped to the table: energies
        beyond the first / last edge go to the first / last bin, which is an extension
        bin with ``extend=True``)."""
        b = np.clip(np.searchsorted(self.sindec_edges, sindec, side="right") - 1, 0,
                    self.n_bands - 1)
        r = np.clip(np.searchsorted(self.reco_edges, log10e, side="right") - 1, 0,
                    self.n_reco - 1)
        return (b * self.n_reco + r).astype(np.int64)

    def __call__(self, sindec: np.ndarray, log10e: np.ndarray) -> np.ndarray:
        """Density per unit log10(E_reco) given sin(dec)."""
        return self.table.ravel()[self.cell_index(sindec, log10e)]


class EnergyRatioSpline:
    """log(P_signal / P_background) per energy cell, as a cubic spline in gamma.

    Cells are the (sin dec band, reco bin) cells of the background PDF. The
    signal PDF is either one table for a fixed source declination
    (shape (n_gamma, n_reco), the usual point-source case) or one table per
    band (shape (n_gamma, n_bands, n_reco)).

    Parameters
    ----------
    signal
        :class:`SignalEnergyPDF` on the same reco edges, or a raw table.
    background
        :class:`BackgroundEnergyPDF`.
    gamma_grid
        Spectral indices of the signal table rows (taken from ``signal`` when
        it is a :class:`SignalEnergyPDF`).
    """

    def __init__(self, signal: SignalEnergyPDF | np.ndarray, background: BackgroundEnergyPDF,
                 gamma_grid: np.ndarray | None = None) -> None:
        if isinstance(signal, SignalEnergyPDF):
            if (signal.reco_edges.shape != background.reco_edges.shape
                    or not np.allclose(signal.reco_edges, background.reco_edges)):
                raise InputError("signal and background energy PDFs use different reco bins "
                                 "(an extended background needs a signal table on its "
                                 "extended edges)")
            table = signal.table
            gamma_grid = signal.gamma_grid
        else:
            table = np.asarray(signal, dtype=np.float64)
            if gamma_grid is None:
                raise InputError("gamma_grid is required with a raw signal table")
        gamma_grid = np.asarray(gamma_grid, dtype=np.float64)
        nb, nr = background.n_bands, background.n_reco
        if table.ndim == 2:
            table = np.broadcast_to(table[:, None, :], (table.shape[0], nb, nr))
        if table.shape != (gamma_grid.size, nb, nr):
            raise InputError(f"signal table shape {table.shape} does not match "
                             f"({gamma_grid.size}, {nb}, {nr})")
        # floor the signal density far below anything relevant: log stays finite
        tiny = 1e-300
        logr = np.log(np.maximum(table, tiny)) - np.log(background.table)[None, :, :]
        logr = np.maximum(logr, -700.0).reshape(gamma_grid.size, nb * nr)
        self.spline = GammaSpline(gamma_grid, logr)
        self.max_log_ratio = logr.max(axis=0)
        self.background = background
        self.gamma_grid = gamma_grid

    def cell_index(self, sindec: np.ndarray, log10e: np.ndarray) -> np.ndarray:
        return self.background.cell_index(sindec, log10e)

    def __call__(self, gamma: float, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log energy ratio and its gamma derivative for events in ``cells``."""
        return self.spline(gamma, cells)

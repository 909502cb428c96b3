"""Signal energy PDF for a neutrino spectrum of any shape.

The power-law PDF of :mod:`bayesnu.pdfs.energy` is the special case
``phi_t = int_t (E/E0)^-gamma dE`` of a linear map of the flux. For a flux given
by its integrals ``phi_t`` over the true-energy bins t of a sample (units
cm^-2 s^-1 per unit normalisation; only the shape matters), the density of the
reconstructed energy proxy x = log10(E_reco/GeV) in reco bin r is::

    S_r(phi) = (R phi)_r / (a . phi),
    a_t      = T_live <A_eff>_t(dec)                     [cm^2 s]
    R_rt     = a_t P(r | t) / Delta x_r                  [cm^2 s per unit log10 E_reco]

with ``<A_eff>_t`` the effective area at the source declination averaged over
true bin t, ``P(r | t)`` the energy response (migration matrix, rows summing to
1 over all reco energies) and ``a . phi`` the expected number of signal events
per unit normalisation. An event i in reco bin r(i) has ``S_i = S_{r(i)}``; the
"events x true bins" matrix of the likelihood is ``R[r(i), :]``. ``R`` and ``a``
are built once per sample and source (:meth:`SpectrumEnergyPDF.from_sample`,
reusing :mod:`bayesnu.detector`'s effective area and energy response), after
which every spectrum costs one matrix-vector product.

:class:`RatioRebinner` turns a spectral *modification* given on another energy
grid (e.g. the transport ratio Phi/Phi_free of :mod:`bayesnu.transport`, piecewise
constant on its bins) into bin integrals on a sample's true-energy bins: the
power law is integrated exactly on the common refinement of both grids and
multiplied by the ratio of the grid bin it falls into (1 outside that grid).
With a ratio of 1 this reproduces the power-law bin integrals exactly, so the
general PDF reduces to :class:`~bayesnu.pdfs.energy.SignalEnergyPDF`.
"""

from __future__ import annotations

import numpy as np

from bayesnu.errors import InputError
from bayesnu.pdfs.energy import power_law_bin_integrals

__all__ = ["SpectrumEnergyPDF", "RatioRebinner"]


def _check_edges(edges: np.ndarray, name: str) -> np.ndarray:
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
        raise InputError(f"{name} must be finite and increasing with >= 2 entries", column=name)
    return e


class SpectrumEnergyPDF:
    """Reco-energy density of signal events for an arbitrary true-energy spectrum.

    Parameters
    ----------
    log10e_true_edges
        True-neutrino-energy bin edges, log10(E/GeV), shape (n_true + 1,).
    acceptance
        ``a_t``: expected events per unit bin-integrated flux in each true bin,
        i.e. live time x bin-averaged effective area at the source, cm^2 s, (n_true,).
    response
        Migration matrix ``P(reco bin | true bin)``, shape (n_true, n_reco); rows sum
        to at most 1 (probability outside the reco range is dropped, not renormalised).
    log10e_reco_edges
        Reco-energy bin edges, shape (n_reco + 1,).
    """

    def __init__(self, log10e_true_edges: np.ndarray, acceptance: np.ndarray,
                 response: np.ndarray, log10e_reco_edges: np.ndarray) -> None:
        self.true_edges = _check_edges(log10e_true_edges, "log10e_true_edges")
        self.reco_edges = _check_edges(log10e_reco_edges, "log10e_reco_edges")
        a = np.asarray(acceptance, dtype=np.float64)
        m = np.asarray(response, dtype=np.float64)
        nt, nr = self.true_edges.size - 1, self.reco_edges.size - 1
        if a.shape != (nt,) or m.shape != (nt, nr):
            raise InputError(f"acceptance {a.shape} / response {m.shape} do not match {nt} true x "
                             f"{nr} reco bins", column="response")
        if np.any(a < 0) or not np.all(np.isfinite(a)) or a.sum() <= 0:
            raise InputError("acceptance must be finite, >= 0 and not all zero", column="acceptance")
        # rounding leaves entries of order -1e-17 in folded responses: tolerated, kept as is
        if not np.all(np.isfinite(m)) or np.any(m < -1e-9):
            raise InputError("response must be finite and >= 0", column="response")
        #: a_t, cm^2 s
        self.a = a
        #: R_rt = a_t P(r|t) / dx_r, shape (n_reco, n_true)
        self.R = np.ascontiguousarray((a[:, None] * m / np.diff(self.reco_edges)[None, :]).T)

    @property
    def n_true(self) -> int:
        return self.a.size

    @property
    def n_reco(self) -> int:
        return self.R.shape[0]

    @classmethod
    def from_sample(cls, sample, dec_deg: float, log10e_true_edges: np.ndarray,
                    log10e_reco_edges: np.ndarray, response: np.ndarray | None = None,
                    reco_blocks: list[np.ndarray] | None = None) -> SpectrumEnergyPDF:
        """Build ``R`` and ``a`` from a sample's effective area, live time and energy response.

        Parameters
        ----------
        sample
            :class:`~bayesnu.data.core.EventSample` with ``aeff`` and ``uptime``.
        dec_deg
            Source declination, degrees.
        log10e_true_edges
            True-energy bins; they must refine the effective area's own bins (the
            area is taken constant inside each).
        log10e_reco_edges
            Reco-energy bins (those of the background energy PDF).
        response
            Migration matrix to use instead of :mod:`bayesnu.detector.energy`'s
            calibrated response for this sample.
        reco_blocks
            Consecutive blocks of ``log10e_reco_edges`` (e.g.
            :attr:`~bayesnu.pdfs.energy.BackgroundEnergyPDF.edge_blocks`: extension below,
            data range, extension above): the calibrated response is computed per block
            and concatenated, so that the data range's numbers do not depend on the
            extension (bitwise).
        """
        from bayesnu.detector.aeff import true_energy_weights

        te = _check_edges(log10e_true_edges, "log10e_true_edges")
        re = _check_edges(log10e_reco_edges, "log10e_reco_edges")
        widths = power_law_bin_integrals(te, 0.0, 1.0)[0]  # GeV
        # events per (GeV^-1 cm^-2 s^-1) for a flat spectrum, divided by the bin width:
        # live time x bin-averaged area
        a = np.asarray(true_energy_weights(sample, dec_deg, 0.0, te), dtype=np.float64) / widths
        if response is None:
            from bayesnu.detector.energy import energy_response

            sd = float(np.sin(np.radians(dec_deg)))
            er = energy_response(sample)
            if reco_blocks is None:
                response = er.matrix(te, re, sd)
            else:
                blocks = [_check_edges(b, "reco_blocks") for b in reco_blocks]
                joined = np.concatenate([blocks[0]] + [b[1:] for b in blocks[1:]])
                if joined.shape != re.shape or np.any(joined != re) or any(
                        a[-1] != b[0] for a, b in zip(blocks[:-1], blocks[1:])):
                    raise InputError("reco_blocks must be consecutive blocks of the reco edges",
                                     column="reco_blocks")
                response = np.concatenate([er.matrix(te, b, sd) for b in blocks], axis=1)
        if a.sum() <= 0:
            raise InputError(f"sample {getattr(sample, 'name', '?')} has no effective area at "
                             f"dec {dec_deg:.2f} deg", column="dec")
        return cls(te, a, response, re)

    def power_law(self, gamma, e0_gev: float = 1.0e5) -> np.ndarray:
        """Bin integrals of ``(E/e0)^-gamma`` on the true bins, shape (m, n_true), GeV."""
        return power_law_bin_integrals(self.true_edges, gamma, e0_gev)

    def acceptance(self, phi: np.ndarray) -> np.ndarray:
        """Expected signal events per unit normalisation, ``a . phi`` (shape phi.shape[:-1])."""
        return np.asarray(phi, dtype=np.float64) @ self.a

    def __call__(self, phi: np.ndarray) -> np.ndarray:
        """Density per unit log10(E_reco) in each reco bin, shape (..., n_reco).

        ``phi`` has shape (..., n_true); a spectrum with no expected events gives 0
        (never NaN).
        """
        p = np.asarray(phi, dtype=np.float64)
        if p.shape[-1] != self.n_true:
            raise InputError(f"flux has {p.shape[-1]} true bins, the PDF {self.n_true}",
                             column="phi")
        num = p @ self.R.T
        den = p @ self.a
        den = np.asarray(den)[..., None]
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    def event_matrix(self, reco_bin: np.ndarray) -> np.ndarray:
        """The (events x true bins) matrix ``R[r(i), :]`` for events in reco bins ``reco_bin``."""
        return self.R[np.asarray(reco_bin, dtype=np.int64)]


class RatioRebinner:
    """Power law times a piecewise-constant ratio, integrated over a sample's true bins.

    Parameters
    ----------
    log10e_true_edges
        Target bins, log10(E/GeV), (n_true + 1,).
    ratio_edges_gev
        Bin edges of the grid the ratio is given on, GeV, (N + 1,). Outside it the
        ratio is 1 (no modification).
    e0_gev
        Pivot of the power law (cancels in the PDF).
    """

    def __init__(self, log10e_true_edges: np.ndarray, ratio_edges_gev: np.ndarray,
                 e0_gev: float = 1.0e5) -> None:
        te = _check_edges(log10e_true_edges, "log10e_true_edges")
        ge = np.log10(_check_edges(ratio_edges_gev, "ratio_edges_gev"))
        inner = ge[(ge > te[0]) & (ge < te[-1])]
        sub = np.unique(np.concatenate([te, inner]))
        # drop sub-intervals made tiny by rounding of coincident edges
        keep = np.concatenate([[True], np.diff(sub) > 1e-9])
        sub = sub[keep]
        sub[-1] = te[-1]
        mid = 0.5 * (sub[1:] + sub[:-1])
        self.true_edges = te
        self.sub_edges = sub
        self.e0_gev = float(e0_gev)
        self.n_true = te.size - 1
        self.n_ratio = ge.size - 1
        #: true bin of each sub-interval
        self.true_of_sub = np.clip(np.searchsorted(te, mid, side="right") - 1, 0, self.n_true - 1)
        b = np.searchsorted(ge, mid, side="right") - 1
        inside = (b >= 0) & (b < self.n_ratio)
        #: ratio bin of each sub-interval (0 where outside; see :attr:`outside`)
        self.ratio_of_sub = np.where(inside, b, 0).astype(np.int64)
        #: 1.0 where the sub-interval lies outside the ratio grid (ratio taken as 1)
        self.outside = (~inside).astype(np.float64)
        self.inside = inside.astype(np.float64)
        n_sub = sub.size - 1
        #: (n_true, n_sub) 0/1 summation matrix
        self.gather = np.zeros((self.n_true, n_sub))
        self.gather[self.true_of_sub, np.arange(n_sub)] = 1.0

    @property
    def n_sub(self) -> int:
        return self.sub_edges.size - 1

    def power_law(self, gamma) -> np.ndarray:
        """Exact power-law integrals on the sub-intervals, (m, n_sub), GeV."""
        return power_law_bin_integrals(self.sub_edges, gamma, self.e0_gev)

    def __call__(self, ratio: np.ndarray, gamma: float) -> np.ndarray:
        """Bin integrals on the true bins of ``(E/e0)^-gamma x ratio``, shape (..., n_true).

        ``ratio`` has shape (..., N) on the ratio grid.
        """
        r = np.asarray(ratio, dtype=np.float64)
        if r.shape[-1] != self.n_ratio:
            raise InputError(f"ratio has {r.shape[-1]} bins, the grid {self.n_ratio}",
                             column="ratio")
        rs = r[..., self.ratio_of_sub] * self.inside + self.outside
        return (rs * self.power_law(gamma)[0]) @ self.gather.T

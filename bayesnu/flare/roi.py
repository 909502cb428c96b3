"""Per-position event selection with precomputed spatial and energy S/B.

:class:`FlareSampleModel` holds, for one :class:`~bayesnu.data.core.EventSample`,
everything of the flare likelihood that does not depend on the source
position or on a scramble: the data-driven background spatial PDF (sin dec)
and energy PDF (sin dec, log10 E), the energy response of the sample, the
per-event energy cells, and a cache of signal/background energy log-ratio
tables per source declination. :meth:`FlareSampleModel.data_at` then cuts a
region of interest (ROI) around a position -- optionally for RA-scrambled
directions and uptime-scrambled times -- and returns a
:class:`~bayesnu.flare.search.FlareData` ready for :func:`fit_flare`.

ROI: events within ``roi_sigma`` angular errors of the position and within
``roi_max_deg``; their signal spatial PDF is the 2-D Gaussian (tracks) or von
Mises-Fisher (cascades, errors of several degrees) of the likelihood engine
(:mod:`bayesnu.pdfs.spatial`). Events outside carry no signal PDF and enter
the likelihood analytically (``log(1 - ns/N)`` each).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from bayesnu.data.core import EventSample, Uptime
from bayesnu.errors import InputError, InputWarning
from bayesnu.flare.search import FlareData
from bayesnu.flare.temporal import UptimeNorm
from bayesnu.pdfs.energy import BackgroundEnergyPDF, SignalEnergyPDF
from bayesnu.pdfs.spatial import BackgroundSpatialPDF, gaussian_pdf, vmf_pdf

__all__ = ["FlareSampleModel", "FLARE_GAMMA_GRID"]

#: spectral indices on which the flare energy S/B is tabulated (cubic spline between)
FLARE_GAMMA_GRID = np.round(np.arange(0.9, 4.1 + 1e-9, 0.2), 10)

_DEG = np.pi / 180.0


def _aeff_dec_range(aeff) -> tuple[float, float]:
    """Declination range (deg) of an effective area's sin(dec) bins, ends inside the range."""
    e0, e1 = float(aeff.sindec_edges[0]), float(aeff.sindec_edges[-1])
    lo, hi = float(np.degrees(np.arcsin(e0))), float(np.degrees(np.arcsin(e1)))
    while np.sin(np.radians(lo)) < e0:
        lo = float(np.nextafter(lo, np.inf))
    while np.sin(np.radians(hi)) > e1:
        hi = float(np.nextafter(hi, -np.inf))
    return lo, hi


#: the warning :class:`FlareSampleModel` gives for a sample without a stored energy calibration
UNCALIBRATED_RESPONSE_WARNING = "flare: no energy-response calibration"


def sample_model(sample: EventSample, quiet: bool = True, **kwargs) -> FlareSampleModel:
    """:class:`FlareSampleModel` of ``sample``; ``quiet`` hides only the uncalibrated-response note.

    The scan, the trials and the per-sample fits build one model per sample; the
    note that a sample has no stored energy calibration (and falls back to the
    uncalibrated E_nu -> E_mu table) would repeat for every worker and chunk.
    """
    with warnings.catch_warnings():
        if quiet:
            warnings.filterwarnings("ignore", message=UNCALIBRATED_RESPONSE_WARNING,
                                    category=InputWarning)
        return FlareSampleModel(sample, **kwargs)


def _response_for(sample: EventSample):
    """Calibrated energy response of the sample, or an uncalibrated default.

    Without a stored calibration the response is the published E_nu -> E_mu
    table with no offset and 0.2 dex extra scatter (a warning says so).
    """
    from bayesnu.detector.energy import EnergyResponse, energy_response

    try:  # calibrated track response, or the cascade detector's for simulated cascades
        return energy_response(sample)
    except (InputError, FileNotFoundError, KeyError) as exc:
        warnings.warn(f"flare: no energy-response calibration for {sample.name!r} ({exc}); "
                      "using the uncalibrated E_nu -> E_mu table", InputWarning, stacklevel=3)
        return EnergyResponse(sample.name, np.array([-1.0, 1.0]), np.array([0.0]),
                              np.array([0.2]), {"uncalibrated": True})


@dataclass
class FlareSampleModel:
    """Position-independent parts of the flare likelihood of one sample.

    Parameters
    ----------
    sample : EventSample
        Events with uptime, effective area and footprint.
    spatial : {"auto", "gaussian", "vmf"}
        Signal spatial PDF; ``"auto"`` picks von Mises-Fisher when the median
        angular error exceeds 3 deg (cascades), else the 2-D Gaussian.
    roi_sigma : float
        ROI radius in units of each event's angular error.
    roi_max_deg : float
        Largest ROI radius, degrees.
    gamma_grid : ndarray
        Spectral indices of the energy S/B table.
    response : EnergyResponse, optional
        Energy response (default: :func:`bayesnu.detector.energy.energy_response`).
    """

    sample: EventSample
    spatial: str = "auto"
    roi_sigma: float = 5.0
    roi_max_deg: float = 30.0
    gamma_grid: np.ndarray = field(default_factory=lambda: FLARE_GAMMA_GRID.copy())
    response: object | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        s = self.sample
        if s.size < 10:
            raise InputError(f"sample {s.name!r} has only {s.size} events; a flare search "
                             "needs a background-dominated sample", column="events")
        if s.aeff is None:
            raise InputError(f"sample {s.name!r} has no effective area", column="aeff")
        self.uptime = s.uptime if s.uptime is not None else Uptime.from_range(
            float(s.time.min()), float(s.time.max()))
        self.intervals = np.asarray(self.uptime.intervals)
        if self.spatial == "auto":
            self.spatial = "vmf" if float(np.median(s.angerr)) > 3.0 else "gaussian"
        if self.spatial not in ("gaussian", "vmf"):
            raise InputError(f"unknown spatial PDF {self.spatial!r}", column="spatial")
        self.sindec = s.sindec
        self.bg_space = BackgroundSpatialPDF(self.sindec, s.footprint)
        # extended beyond the data's energy range (as the point-source likelihood's):
        # injected signal events above or below every real event get extension cells
        # instead of the edge cell; the data's own cells are unchanged, bitwise
        self.bg_energy = BackgroundEnergyPDF(self.sindec, s.log10e, extend=True)
        self.cells = self.bg_energy.cell_index(self.sindec, s.log10e)
        self.log_bg_space = np.log(self.bg_space(self.sindec))
        if self.response is None:
            self.response = _response_for(s)
        self.sigma_rad = s.angerr * _DEG
        self.order_dec = np.argsort(s.dec, kind="stable")
        self.dec_sorted = s.dec[self.order_dec]
        self.max_angerr = float(np.max(s.angerr))
        self.unorm = UptimeNorm(self.intervals)
        self._ra_buffer = None

    # ------------------------------------------------------------------ energy
    def energy_log_ratio(self, dec: float) -> np.ndarray:
        """log(P_s/P_b) of the energy PDFs per background cell, shape (n_gamma, n_cells).

        Cached per declination rounded to 0.1 deg. A rounded declination beyond the
        effective area's declination range (a position within 0.05 deg of its edge,
        e.g. dec 8.65-8.69 deg for the TXS 0506+056 release) is moved to that edge,
        where the area is defined; everywhere else the rounding is unchanged.
        """
        key = round(float(dec), 1)
        lo, hi = _aeff_dec_range(self.sample.aeff)
        if key > hi:
            key = hi
        elif key < lo:
            key = lo
        tab = self._cache.get(key)
        if tab is not None:
            return tab
        aeff = self.sample.aeff
        te = np.asarray(aeff.log10e_edges)
        area = aeff(0.5 * (te[1:] + te[:-1]), np.full(te.size - 1, key))
        sd = np.sin(key * _DEG)
        re = self.bg_energy.reco_edges
        # one response matrix per block of reco edges (extension below, data range,
        # extension above): the data range's numbers are those of an unextended table
        resp = [self.response.matrix(te, e, sd) for e in self.bg_energy.edge_blocks]
        sig = SignalEnergyPDF.from_response(te, area, resp, re, self.gamma_grid)
        logr = (np.log(np.maximum(sig.table, 1e-300))[:, None, :]
                - np.log(self.bg_energy.table)[None, :, :])
        tab = np.maximum(logr, -700.0).reshape(self.gamma_grid.size, -1)
        if len(self._cache) > 400:
            self._cache.clear()
        self._cache[key] = tab
        return tab

    # ------------------------------------------------------------------ ROI
    def roi_index(self, ra0: float, dec0: float, ra: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the ROI events and their angular distances (radians)."""
        s = self.sample
        rmax = min(self.roi_max_deg, self.roi_sigma * self.max_angerr)
        lo = np.searchsorted(self.dec_sorted, dec0 - rmax, side="left")
        hi = np.searchsorted(self.dec_sorted, dec0 + rmax, side="right")
        cand = self.order_dec[lo:hi]
        if ra is None:
            rra = s.ra[cand]
        elif callable(ra):
            rra = ra(cand.size)
            if self._ra_buffer is not None:
                self._ra_buffer[cand] = rra
        else:
            rra = ra[cand]
        d1 = s.dec[cand] * _DEG
        d0 = dec0 * _DEG
        sdd = np.sin(0.5 * (d1 - d0))
        sdr = np.sin(0.5 * (rra - ra0) * _DEG)
        h = sdd * sdd + np.cos(d1) * np.cos(d0) * sdr * sdr
        psi = 2.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        keep = (psi < self.roi_sigma * self.sigma_rad[cand]) & (psi < self.roi_max_deg * _DEG)
        idx = cand[keep]
        return idx, psi[keep]

    def data_at(self, ra0: float, dec0: float, ra: np.ndarray | None = None,
                time: np.ndarray | None = None) -> FlareData:
        """FlareData of the ROI around ``(ra0, dec0)`` (degrees).

        ``ra`` / ``time`` replace the sample's columns (RA and time scrambles);
        ``ra`` and ``time`` may also be callables ``f(n) -> values``: ``ra`` is
        then drawn for the events of the ROI's declination band only and
        ``time`` for the ROI events only (cheap scrambles: each event's
        scrambled RA and time are independent of everything else).
        """
        idx, psi = self.roi_index(ra0, dec0, ra)
        sig = self.sigma_rad[idx]
        if self.spatial == "vmf":
            s_sp = vmf_pdf(psi, sig)
        else:
            s_sp = gaussian_pdf(psi, sig)
        with np.errstate(divide="ignore"):
            lsp = np.log(s_sp) - self.log_bg_space[idx]
        tab = self.energy_log_ratio(dec0)
        le = tab[:, self.cells[idx]]
        if time is None:
            t = self.sample.time[idx]
        elif callable(time):
            t = time(idx.size)
        else:
            t = np.asarray(time)[idx]
        ok = np.isfinite(lsp)
        return FlareData(t[ok], lsp[ok], le[:, ok], self.gamma_grid, self.sample.size,
                         self.intervals, idx[ok], self.unorm)

    def event_sob(self, ra0: float, dec0: float, ev: EventSample) -> tuple[np.ndarray, np.ndarray]:
        """log spatial S/B and log energy S/B table (n_gamma, n) of extra events ``ev``
        (e.g. injected signal) for a source at ``(ra0, dec0)``, with this sample's
        background PDFs."""
        sd = ev.sindec
        d1 = ev.dec * _DEG
        d0 = dec0 * _DEG
        h = np.sin(0.5 * (d1 - d0)) ** 2 + np.cos(d1) * np.cos(d0) * np.sin(
            0.5 * (ev.ra - ra0) * _DEG) ** 2
        psi = 2.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        sig = ev.angerr * _DEG
        s_sp = vmf_pdf(psi, sig) if self.spatial == "vmf" else gaussian_pdf(psi, sig)
        with np.errstate(divide="ignore"):
            lsp = np.log(s_sp) - np.log(self.bg_space(sd))
        lsp = np.where(np.isfinite(lsp), lsp, -700.0)
        cells = self.bg_energy.cell_index(sd, ev.log10e)
        return lsp, self.energy_log_ratio(dec0)[:, cells]


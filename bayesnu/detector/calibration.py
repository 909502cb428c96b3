"""Calibrate :class:`~bayesnu.detector.energy.EnergyResponse` on observed data.

Method
------
For every sample and every sin(dec) fit band ``b`` the observed histogram of
log10 E_reco (bins of 0.1 dex) is modelled as

    mu_b = N_b * shape[ W_b(gamma_b) @ R @ G(offset_g, sigma_g) ]
           + Phi_astro * dOmega_b * T_live * W_b(2.37) @ R @ G(offset_g, sigma_g)

with ``W_b(gamma)`` the band-averaged effective area folded with E^-gamma per true
energy bin (:func:`bayesnu.detector.aeff.powerlaw_bin_integral`), ``R`` the published
E_nu -> E_mu proxy table and ``G`` the shift + Gaussian scatter of
:class:`EnergyResponse`. The first term is an "atmospheric-like" power law with a free
normalisation ``N_b`` and index ``gamma_b`` per band (conventional atmospheric
neutrinos, plus whatever prompt/astrophysical excess the fixed term misses);
the second is the astrophysical diffuse muon-neutrino flux of Abbasi et al. 2022
(ApJ 928, 50: E^-2.37, 1.44e-18 GeV^-1 cm^-2 s^-1 sr^-1 at 100 TeV), fixed. The
response parameters ``(offset_g, sigma_g)`` are shared by all bands of a calibration
group ``g`` (one group by default). Only bands with dec > -5 deg are fitted by default:
there the samples are dominated by neutrinos. All parameters are fitted together by
minimising the Poisson deviance (L-BFGS-B).

Southern bands are dominated by atmospheric muon bundles kept above a
declination-dependent cut on the *reconstructed* energy. With offset and scatter held
fixed, :func:`calibrate_reco_threshold` fits that cut per sin(dec) band as a logistic
efficiency in log10 E_reco (position, width) together with the band's atmospheric-like
norm and index; because the cut acts on reconstructed quantities it applies to signal
neutrinos as well, and :class:`EnergyResponse` carries it.

:func:`evaluate_energy_response` reports, with the response fixed, the fit quality per
band: Pearson chi^2/ndf (bins merged to mu >= 5), the Kolmogorov distance between
observed and predicted cumulative distributions, and the 10/50/90 % quantiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from bayesnu.data.core import EffectiveArea, EventSample
from bayesnu.detector.aeff import powerlaw_bin_integral
from bayesnu.detector.energy import EnergyResponse, _column_to_reco, load_fig_s4_table
from bayesnu.errors import InputError

__all__ = ["calibrate_energy_response", "band_area", "CalibrationBand", "DIFFUSE_NUMU",
           "evaluate_energy_response", "calibrate_reco_threshold", "SOUTH_THRESHOLD_BANDS",
           "predicted_reco_histograms"]

#: Abbasi et al. 2022 (9.5 yr through-going muons): per-flavour nu_mu + anti-nu_mu.
DIFFUSE_NUMU = {"phi0": 1.44e-18, "gamma": 2.37, "e0_gev": 1e5}
NORTH_SOUTH = np.array([-1.0, np.sin(np.radians(-5.0)), 1.0])
#: default fit bands: the neutrino-dominated sky (dec > -5 deg).
NORTH_FIT_BANDS = np.array([np.sin(np.radians(-5.0)), 0.2, 0.4, 0.6, 0.8, 1.0])
#: bands used to report the reproduction over the whole sky (the southern ones are those of
#: the selection-threshold fit, :data:`SOUTH_THRESHOLD_BANDS`).
ALL_SKY_BANDS = np.concatenate([np.linspace(-1.0, np.sin(np.radians(-5.0)), 9), [0.2, 0.4, 0.6, 0.8, 1.0]])


def band_area(aeff: EffectiveArea, s_lo: float, s_hi: float) -> np.ndarray:
    """Effective area per energy bin averaged over ``s_lo < sin(dec) < s_hi`` (cm^2).

    Averages the release's sin(dec) bins weighted by their overlap with the band.
    A single-declination release (one sin(dec) bin) returns its only column.
    """
    se = aeff.sindec_edges
    if se.size == 2:
        return aeff.area_cm2[:, 0].copy()
    ov = np.clip(np.minimum(se[1:], s_hi) - np.maximum(se[:-1], s_lo), 0.0, None)
    if ov.sum() <= 0:
        return np.zeros(aeff.log10e_edges.size - 1)
    return aeff.area_cm2 @ ov / ov.sum()


@dataclass
class CalibrationBand:
    sample: str
    s_lo: float
    s_hi: float
    group: int
    counts: np.ndarray
    area: np.ndarray          # band-averaged A_eff per true bin (cm^2)
    true_edges: np.ndarray
    astro_scale: float        # Phi * dOmega * T_live (GeV^-1 cm^-2 * GeV-normalised)


def _bands(samples: Sequence[EventSample], fit_edges: np.ndarray, group_edges: np.ndarray,
           reco_edges: np.ndarray, min_events: int) -> list[CalibrationBand]:
    out = []
    for s in samples:
        if s.aeff is None or s.uptime is None:
            raise InputError(f"sample {s.name} needs aeff and uptime for calibration")
        sd = s.sindec
        fp = s.footprint
        lo_fp, hi_fp = np.sin(np.radians(fp.dec_min)), np.sin(np.radians(fp.dec_max))
        dra = np.radians(fp.ra_max - fp.ra_min)
        for a, b in zip(fit_edges[:-1], fit_edges[1:]):
            a2, b2 = max(a, lo_fp), min(b, hi_fp)
            if b2 <= a2:
                continue
            m = (sd >= a2) & (sd < b2)
            if m.sum() < min_events:
                continue
            h = np.histogram(s.log10e[m], reco_edges)[0].astype(np.float64)
            g = int(np.clip(np.searchsorted(group_edges, 0.5 * (a2 + b2), side="right") - 1, 0,
                            group_edges.size - 2))
            area = band_area(s.aeff, a2, b2)
            astro = DIFFUSE_NUMU["phi0"] * dra * (b2 - a2) * s.uptime.livetime_s
            out.append(CalibrationBand(s.name, a2, b2, g, h, area, s.aeff.log10e_edges, astro))
    if not out:
        raise InputError("no sin(dec) band has enough events to calibrate the energy response")
    return out


def _band_shapes(band: CalibrationBand, gamma: float, rp: np.ndarray, g: np.ndarray,
                 ) -> tuple[np.ndarray, np.ndarray]:
    le = band.true_edges
    w_atm = band.area * powerlaw_bin_integral(le[:-1], le[1:], gamma, 1e5)
    w_ast = band.area * powerlaw_bin_integral(le[:-1], le[1:], DIFFUSE_NUMU["gamma"], 1e5)
    atm = w_atm @ rp @ g
    tot = atm.sum()
    atm = atm / tot if tot > 0 else atm
    return atm, band.astro_scale * (w_ast @ rp @ g)


def predicted_reco_histograms(bands: list[CalibrationBand], params: np.ndarray, n_groups: int,
                              reco_edges: np.ndarray) -> list[np.ndarray]:
    """Expected histograms for the fit parameters (layout of :func:`calibrate_energy_response`)."""
    _, mu_edges, p = load_fig_s4_table()
    off = params[:n_groups]
    sig = params[n_groups:2 * n_groups]
    sca = params[2 * n_groups:3 * n_groups]
    gs = [_column_to_reco(mu_edges, reco_edges, off[k], sig[k], sca[k]) for k in range(n_groups)]
    rps = {}
    out = []
    for i, b in enumerate(bands):
        key = (b.true_edges[0], b.true_edges[-1], b.true_edges.size)
        if key not in rps:
            te = b.true_edges
            sub = te[:-1, None] + np.diff(te)[:, None] * ((np.arange(8) + 0.5) / 8)[None, :]
            rw = EnergyResponse._row_weights(sub.ravel()).reshape(te.size - 1, 8, -1).mean(1)
            rps[key] = rw @ p
        lnn, gam = params[3 * n_groups + 2 * i], params[3 * n_groups + 2 * i + 1]
        atm, ast = _band_shapes(b, gam, rps[key], gs[b.group])
        out.append(np.exp(lnn) * atm + ast)
    return out


def _gof(h: np.ndarray, mu: np.ndarray) -> dict[str, float]:
    # merge bins from the left until each has mu >= 5
    hs, ms = [], []
    ch, cm = 0.0, 0.0
    for a, b in zip(h, mu):
        ch += a
        cm += b
        if cm >= 5:
            hs.append(ch)
            ms.append(cm)
            ch, cm = 0.0, 0.0
    if cm > 0 and ms:
        hs[-1] += ch
        ms[-1] += cm
    hs, ms = np.array(hs), np.array(ms)
    chi2 = float(np.sum((hs - ms) ** 2 / np.maximum(ms, 1e-12)))
    ndf = max(len(hs) - 3, 1)  # ~ (norm, index, share of offset/sigma) per band
    ks = float(np.max(np.abs(np.cumsum(h) / max(h.sum(), 1) - np.cumsum(mu) / max(mu.sum(), 1e-12))))
    return {"chi2": chi2, "ndf": ndf, "chi2_ndf": chi2 / ndf, "p_chi2": float(stats.chi2.sf(chi2, ndf)),
            "ks_distance": ks}


def calibrate_energy_response(
    samples: EventSample | Sequence[EventSample],
    name: str | None = None,
    fit_sindec_edges: np.ndarray | None = None,
    group_sindec_edges: np.ndarray | None = None,
    reco_step: float = 0.1,
    min_events: int = 20,
    fixed: EnergyResponse | None = None,
    fit_scale: bool = False,
) -> tuple[EnergyResponse, dict[str, Any]]:
    """Fit offset and scatter of the energy response on observed data.

    Parameters
    ----------
    samples
        One or several samples sharing the response (each with events, aeff, uptime).
    name
        Name of the returned response (default: first sample's name).
    fit_sindec_edges
        sin(dec) bands with their own atmospheric-like normalisation and index
        (default :data:`NORTH_FIT_BANDS`: dec > -5 deg, where the sample is
        neutrino dominated; southern bands are muon-bundle dominated and are not
        described by a neutrino flux times the neutrino effective area).
    group_sindec_edges
        sin(dec) edges of the response groups (default one group: the E_nu -> E_mu relation does not depend on
        declination; pass :data:`NORTH_SOUTH` for separate hemispheres).
    reco_step
        Width of the log10 E_reco histogram bins (edges centred on multiples of the step
        so that releases rounded to 0.1 dex are binned cleanly).
    min_events
        Bands with fewer events are skipped.
    fit_scale
        Also fit the slope of the proxy map (default: fixed to 1, a pure shift). On the
        bundled data a free slope is degenerate with the atmospheric index: it goes to
        ~0.64 while the fitted atmospheric indices drop to an unphysical ~2.5-3.1, so
        the default keeps the table's energy scale.
    fixed
        Keep this response (one group) fixed and fit only the per-band nuisance
        parameters: used to evaluate a calibration on other bands or samples.

    Returns
    -------
    (EnergyResponse, report)
        ``report`` has per-band fit quality, observed and predicted quantiles.
    """
    if isinstance(samples, EventSample):
        samples = [samples]
    samples = list(samples)
    fit_edges = NORTH_FIT_BANDS if fit_sindec_edges is None else np.asarray(fit_sindec_edges)
    grp = np.array([-1.0, 1.0]) if group_sindec_edges is None else np.asarray(group_sindec_edges)
    if fixed is not None:
        grp = np.array([-1.0, 1.0])
    lo = min(float(s.log10e.min()) for s in samples)
    hi = max(float(s.log10e.max()) for s in samples)
    reco_edges = np.arange(np.floor(lo / reco_step) - 0.5, np.ceil(hi / reco_step) + 1.0) * reco_step
    bands = _bands(samples, fit_edges, grp, reco_edges, min_events)
    used = sorted({b.group for b in bands})
    remap = {g: i for i, g in enumerate(used)}
    for b in bands:
        b.group = remap[b.group]
    ng = len(used)
    x0 = [0.0] * ng + [0.3] * ng + [1.0] * ng
    bounds = [(-2.5, 2.5)] * ng + [(0.02, 2.0)] * ng + [(0.5, 1.5)] * ng
    if not fit_scale:
        bounds[2 * ng:3 * ng] = [(1.0, 1.0)] * ng
    for b in bands:
        x0 += [np.log(max(b.counts.sum(), 1.0)), 3.0]
        bounds += [(-5.0, 30.0), (1.0, 6.0)]
    x0 = np.array(x0)
    if fixed is not None:
        if fixed.offset.size != 1:
            raise InputError("fixed response must have a single sin(dec) band")
        x0[0], x0[1], x0[2] = fixed.offset[0], fixed.sigma[0], fixed.scale[0]
        for k in range(3):
            bounds[k] = (x0[k], x0[k])

    def deviance(x: np.ndarray) -> float:
        mus = predicted_reco_histograms(bands, x, ng, reco_edges)
        d = 0.0
        for b, mu in zip(bands, mus):
            mu = np.maximum(mu, 1e-300)
            h = b.counts
            d += 2.0 * float(np.sum(mu - h + np.where(h > 0, h * np.log(np.where(h > 0, h, 1.0) / mu), 0.0)))
        return d

    # coarse grid over offset for robustness (the deviance is multi-modal in offset)
    best = None
    starts = [x0[0]] if fixed is not None else np.arange(-1.5, 1.51, 0.5)
    for off0 in starts:
        xs = x0.copy()
        xs[:ng] = off0
        r = optimize.minimize(deviance, xs, method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": 100})
        if best is None or r.fun < best.fun:
            best = r
    best = optimize.minimize(deviance, best.x, method="L-BFGS-B", bounds=bounds,
                             options={"maxiter": 2000})
    x = best.x
    mus = predicted_reco_histograms(bands, x, ng, reco_edges)
    centers = 0.5 * (reco_edges[1:] + reco_edges[:-1])
    band_rep = []
    for i, (b, mu) in enumerate(zip(bands, mus)):
        q_obs = np.interp([0.1, 0.5, 0.9], np.cumsum(b.counts) / b.counts.sum(), centers)
        q_pred = np.interp([0.1, 0.5, 0.9], np.cumsum(mu) / mu.sum(), centers)
        band_rep.append({"sample": b.sample, "sindec": [round(b.s_lo, 4), round(b.s_hi, 4)],
                         "n_events": int(b.counts.sum()), "n_pred": float(mu.sum()),
                         "atm_gamma": float(x[3 * ng + 2 * i + 1]),
                         "quantiles_obs_10_50_90": q_obs.round(3).tolist(),
                         "quantiles_pred_10_50_90": q_pred.round(3).tolist(), **_gof(b.counts, mu)})
    gedges = [float(grp[g]) for g in used] + [float(grp[used[-1] + 1])]
    # bands not contiguous? keep the original group edges restricted to the used groups
    resp = EnergyResponse(name=name or samples[0].name, sindec_edges=np.array(gedges),
                          offset=x[:ng], sigma=x[ng:2 * ng], scale=x[2 * ng:3 * ng],
                          meta={"method": "Fig. S4 table + offset + Gaussian scatter, Poisson fit",
                                "data": [s.name for s in samples],
                                "n_events": int(sum(s.size for s in samples)),
                                "deviance": float(best.fun)})
    report = {"bands": band_rep, "deviance": float(best.fun),
              "n_bins": int(sum(b.counts.size for b in bands)), "reco_edges": reco_edges}
    return resp, report


# ---------------------------------------------------------------------------------------
# Evaluation with a fixed response, and the southern-sky reco-energy threshold
# ---------------------------------------------------------------------------------------
#: bands for the southern selection threshold (dec < -5 deg)
SOUTH_THRESHOLD_BANDS = np.linspace(-1.0, np.sin(np.radians(-5.0)), 9)
_FINE = np.arange(-3.0, 13.0001, 0.01)


def _fine_to_coarse(coarse_edges: np.ndarray) -> np.ndarray:
    fc = 0.5 * (_FINE[1:] + _FINE[:-1])
    idx = np.searchsorted(coarse_edges, fc, side="right") - 1
    b = np.zeros((fc.size, coarse_edges.size - 1))
    ok = (idx >= 0) & (idx < coarse_edges.size - 1)
    b[np.flatnonzero(ok), idx[ok]] = 1.0
    return b


def _fit_band_fixed(band: CalibrationBand, m_sel_coarse_fn, reco_edges: np.ndarray,
                    n_extra: int = 0, x_extra: list[float] | None = None,
                    bounds_extra: list[tuple[float, float]] | None = None):
    """Fit (lnN, gamma[, extra...]) of one band; ``m_sel_coarse_fn(extra) -> (n_true, n_reco)``."""
    le = band.true_edges
    w_ast = band.area * powerlaw_bin_integral(le[:-1], le[1:], DIFFUSE_NUMU["gamma"], 1e5)
    h = band.counts

    def model(x):
        m = m_sel_coarse_fn(x[2:])
        w_atm = band.area * powerlaw_bin_integral(le[:-1], le[1:], x[1], 1e5)
        atm = w_atm @ m
        tot = atm.sum()
        atm = atm / tot if tot > 0 else atm
        return np.exp(x[0]) * atm + band.astro_scale * (w_ast @ m)

    def dev(x):
        mu = np.maximum(model(x), 1e-300)
        return 2.0 * float(np.sum(mu - h + np.where(h > 0, h * np.log(np.where(h > 0, h, 1.0) / mu), 0.0)))

    best = None
    for g0 in (2.0, 3.0, 4.0):
        x0 = np.array([np.log(max(h.sum(), 1.0)), g0] + list(x_extra or []))
        bnds = [(-5.0, 30.0), (1.0, 6.0)] + list(bounds_extra or [])
        r = optimize.minimize(dev, x0, method="L-BFGS-B", bounds=bnds, options={"maxiter": 500})
        if best is None or r.fun < best.fun:
            best = r
    return best.x, model(best.x)


def _band_report(b: CalibrationBand, mu: np.ndarray, reco_edges: np.ndarray, gamma: float) -> dict:
    centers = 0.5 * (reco_edges[1:] + reco_edges[:-1])
    q_obs = np.interp([0.1, 0.5, 0.9], np.cumsum(b.counts) / b.counts.sum(), centers)
    q_pred = np.interp([0.1, 0.5, 0.9], np.cumsum(mu) / mu.sum(), centers)
    return {"sample": b.sample, "sindec": [round(b.s_lo, 4), round(b.s_hi, 4)],
            "n_events": int(b.counts.sum()), "n_pred": float(mu.sum()), "atm_gamma": float(gamma),
            "quantiles_obs_10_50_90": q_obs.round(3).tolist(),
            "quantiles_pred_10_50_90": q_pred.round(3).tolist(), **_gof(b.counts, mu)}


def _reco_edges_for(samples: Sequence[EventSample], step: float) -> np.ndarray:
    lo = min(float(s.log10e.min()) for s in samples)
    hi = max(float(s.log10e.max()) for s in samples)
    return np.arange(np.floor(lo / step) - 0.5, np.ceil(hi / step) + 1.0) * step


def evaluate_energy_response(samples: EventSample | Sequence[EventSample], response: EnergyResponse,
                             sindec_edges: np.ndarray | None = None, reco_step: float = 0.1,
                             min_events: int = 20) -> list[dict[str, Any]]:
    """Per-band reproduction of the observed log10 E_reco with ``response`` held fixed.

    Only the atmospheric-like normalisation and index of each band are refitted (the
    astrophysical term is fixed); the response enters through :meth:`EnergyResponse.matrix`
    (thresholds included). Returns one report dict per band (quantiles, chi2/ndf, KS).
    """
    if isinstance(samples, EventSample):
        samples = [samples]
    edges = ALL_SKY_BANDS if sindec_edges is None else np.asarray(sindec_edges)
    reco_edges = _reco_edges_for(samples, reco_step)
    out = []
    for b in _bands(samples, edges, np.array([-1.0, 1.0]), reco_edges, min_events):
        sdm = 0.5 * (b.s_lo + b.s_hi)
        m = response.matrix(b.true_edges, reco_edges, sdm)
        x, mu = _fit_band_fixed(b, lambda _e, m=m: m, reco_edges)
        out.append(_band_report(b, mu, reco_edges, x[1]))
    return out


def calibrate_reco_threshold(samples: EventSample | Sequence[EventSample], response: EnergyResponse,
                             sindec_edges: np.ndarray | None = None, reco_step: float = 0.1,
                             min_events: int = 50) -> tuple[EnergyResponse, list[dict[str, Any]]]:
    """Fit the reconstructed-energy selection threshold per sin(dec) band (southern sky).

    Southern-sky selections of the track releases keep only events above a
    declination-dependent reconstructed-energy threshold (to suppress atmospheric
    muons). With the E_nu -> E_reco response held fixed, each band's observed
    log10 E_reco distribution is fitted as (atmospheric-like power law + astrophysical)
    x A_eff x response x efficiency, with a logistic efficiency of free position and width
    (plus the band's normalisation and index). Since the selection acts on
    reconstructed quantities it applies equally to the muon background and to neutrinos,
    so the fitted threshold is attached to ``response`` and used for signal too.

    Returns the response with ``threshold_*`` set (NaN = no threshold outside the fitted
    bands) and the per-band report.
    """
    if isinstance(samples, EventSample):
        samples = [samples]
    edges = SOUTH_THRESHOLD_BANDS if sindec_edges is None else np.asarray(sindec_edges)
    reco_edges = _reco_edges_for(samples, reco_step)
    bmat = _fine_to_coarse(reco_edges)
    fc = 0.5 * (_FINE[1:] + _FINE[:-1])
    base = EnergyResponse(response.name, response.sindec_edges, response.offset, response.sigma,
                          dict(response.meta), response.scale)
    t_pos = np.full(edges.size - 1, np.nan)
    t_wid = np.full(edges.size - 1, 0.1)
    reports = []
    bands = _bands(samples, edges, np.array([-1.0, 1.0]), reco_edges, min_events)
    for b in bands:
        sdm = 0.5 * (b.s_lo + b.s_hi)
        # 8 sub-bins per true bin: renormalise per true energy, as EnergyResponse.matrix does
        te = b.true_edges
        sub = (te[:-1, None] + np.diff(te)[:, None] * (np.arange(8) / 8)[None, :]).ravel()
        sub = np.append(sub, te[-1])
        m0 = base.matrix(sub, _FINE, sdm, n_sub=1)
        nt = te.size - 1

        def msel(extra, m0=m0, nt=nt):
            t, w = extra
            eff = 0.5 * (1.0 + np.tanh(0.5 * (fc - t) / w))
            m = m0 * eff[None, :]
            n = m.sum(axis=1, keepdims=True)
            m = np.divide(m, n, out=np.zeros_like(m), where=n > 0)
            return m.reshape(nt, 8, -1).mean(axis=1) @ bmat

        q02 = float(np.interp(0.02, np.cumsum(b.counts) / b.counts.sum(),
                              0.5 * (reco_edges[1:] + reco_edges[:-1])))
        x, mu = _fit_band_fixed(b, msel, reco_edges, 2, [q02, 0.1],
                                [(q02 - 1.5, q02 + 1.0), (0.02, 1.0)])
        j = int(np.clip(np.searchsorted(edges, sdm, side="right") - 1, 0, edges.size - 2))
        if len(samples) == 1 or np.isnan(t_pos[j]):
            t_pos[j], t_wid[j] = x[2], x[3]
        rep = _band_report(b, mu, reco_edges, x[1])
        rep.update({"threshold_log10e": float(x[2]), "threshold_width": float(x[3])})
        reports.append(rep)
    # extend the threshold table to the whole sky (NaN = no cut) so lookups are simple
    full_edges = np.unique(np.concatenate([[-1.0], edges, [1.0]]))
    tp = np.full(full_edges.size - 1, np.nan)
    tw = np.full(full_edges.size - 1, 0.1)
    for j in range(edges.size - 1):
        k = int(np.searchsorted(full_edges, edges[j]))
        tp[k], tw[k] = t_pos[j], t_wid[j]
    out = EnergyResponse(response.name, response.sindec_edges, response.offset, response.sigma,
                         dict(response.meta), response.scale, full_edges, tp, tw)
    return out, reports

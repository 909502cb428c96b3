"""HTML reports of single commands, built with :mod:`bayesnu.apps.report`.

* :func:`flare_scan_report` -- ``bayesnu flare scan``: redraws the TS and
  local p-value maps as styled Mollweide maps (RA/Dec graticule, colour bar,
  hottest spots in the legend) and writes ``report.html`` beside them;
* :func:`ps_fit_report` -- ``bayesnu ps fit --plot DIR``: TS profiles of ns
  and gamma with their Wilks intervals and the fit in a table;
* :func:`cnb_report` -- ``bayesnu cnb profile|limit|scan-si|sample|evidence|
  sensitivity --report DIR``: TS(eta) curves with the 90% / 95% lines and the
  limit, the (m_phi, g) TS map with its 2-sigma contour and the BBN and
  tau-decay bounds, posterior histograms;
* :func:`blazar_report` -- ``bayesnu blazar spatial|stack|lightcurve|classify|
  dcf|rtest|simultaneity --report DIR``: counts against the scramble
  expectation, R(t) with its control bands, light curves, DCFs.

Each returns the path of the written report. Every report states the analysis
in two sentences, gives the results in tables with units in the column
headings, embeds its PNGs, and is labelled "SIMULATED data" (title, statement
and plots) whenever the data were simulated. A new analysis builds its own the
same way: make PNGs with :mod:`bayesnu.inference.plots`, then
``Report(title, statement).add_table(...).add_figure(...).write(path)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.apps.report import Report, format_pvalue
from bayesnu.errors import InputError

__all__ = ["flare_scan_report", "ps_fit_report", "cnb_report", "blazar_report",
           "SIMULATED_LABEL"]

#: the label every report (title, statement, plots) carries when its data are simulated
SIMULATED_LABEL = "SIMULATED data"

_HEMI_STYLE = {"north": ("red", "x"), "south": ("orange", "+")}


def _hottest_markers(hottest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for hemi, h in hottest.items():
        if not h:
            continue
        color, marker = _HEMI_STYLE.get(hemi, ("red", "x"))
        out.append({"ra": h["ra"], "dec": h["dec"], "color": color, "marker": marker,
                    "label": f"hottest spot, {hemi}: TS {h['ts']:.1f} at RA {h['ra']:.1f}°, "
                             f"Dec {h['dec']:+.1f}°"})
    return out


def flare_scan_report(result, command: str | None = None) -> str:
    """Styled sky maps and ``report.html`` of a :class:`~bayesnu.inference.flare_scan.FlareScanResult`.

    Reads the FITS maps the scan wrote (``files["fits"]``), redraws
    ``flare_scan_ts.png`` (and ``flare_scan_pvalue.png`` when local p-values
    exist) in the shared style, and writes ``report.html`` in the scan's
    folder. Returns the report's path and records it (and the PNGs) in
    ``result.files``.
    """
    import healpy as hp

    from bayesnu.inference.plots import sky_map

    out = Path(result.out_dir or Path(result.files["fits"]).parent)
    maps = np.atleast_2d(hp.read_map(result.files["fits"], field=None, dtype=np.float64))
    names = [n.lower() for n in _fits_columns(result.files["fits"])]
    cols = dict(zip(names, maps))
    markers = _hottest_markers(result.hottest)
    ts_png = out / "flare_scan_ts.png"
    sky_map(cols["ts"], path=ts_png, unit="flare TS", markers=markers,
            title=f"Flare TS, {result.sample} (nside {result.nside}, "
                  f"{result.n_pixels_fitted:,} pixels)")
    result.files["png"] = str(ts_png)
    figs = [("ts_map", ts_png, "Flare test statistic per pixel (Gaussian time profile, "
             "ns, gamma, T0, sigma_t fitted); markers: the hottest spot of each hemisphere "
             "(smallest local p-value when p-values were computed, else largest TS).")]
    if "p_local" in cols:
        p_png = out / "flare_scan_pvalue.png"
        sky_map(cols["p_local"], path=p_png, unit="local p-value", log=True, cmap="magma_r",
                markers=markers, cbar_label="log10(local p-value)",
                title=f"Local p-value, {result.sample} (nside {result.nside})")
        result.files["pvalue_png"] = str(p_png)
        figs.append(("pvalue_map", p_png, "Local (pre-trial) p-value per pixel from the "
                     "declination-band background ensembles; lighter is more significant."))
    if "global_png" in result.files:
        figs.append(("global_p", Path(result.files["global_png"]),
                     "Hottest local p-value of each scrambled sky against the N_eff model."))
    rows = []
    for hemi, h in result.hottest.items():
        if not h:
            continue
        p_loc = "not computed"
        if "p_local" in h:
            extrapolated = bool(h.get("p_local_extrapolated"))
            n_ens = None if extrapolated else h.get("n_ensemble")
            p_loc = (format_pvalue(h["p_local"], n_trials=n_ens, with_sigma=True)
                     + (" (tail extrapolated)" if extrapolated else ""))
        p_glob = "needs >= 2 scrambled skies"
        if "p_global" in h:
            if h["p_global_method"] == "empirical":
                lo, hi = h["p_global_k_over_n_cp68"]
                p_glob = (f"p = {h['p_global']:.3g} ({h['skies_at_or_below']} of "
                          f"{h['n_scrambled_skies']} skies; k/n in [{lo:.3g}, {hi:.3g}])")
            else:
                lo, hi = h["p_global_neff_interval"]
                p_glob = (f"p = {h['p_global']:.3g} [{lo:.3g}, {hi:.3g}] (N_eff model; no "
                          f"scrambled sky reaches it)")
        rows.append([hemi, h["ra"], h["dec"], h["ts"], h["ns"], h["gamma"], h["t0"],
                     h["sigma_t"], p_loc, p_glob])
    rep = Report(
        f"All-sky flare scan of {result.sample}",
        f"We fitted a Gaussian neutrino flare (signal events, spectral index, centre and "
        f"width) at each of {result.n_pixels_fitted:,} HEALPix pixels (nside {result.nside}) "
        f"of the {result.sample} sample and report the hottest spot of each hemisphere. "
        "Local p-values come from declination-band ensembles of scrambled skies and band "
        "trials. A global p-value is the fraction of whole scrambled skies whose most "
        "significant spot in that hemisphere is at least as significant, (k + 1) / (K + 1); "
        "only where no sky is, it is extrapolated with an effective number of trials (N_eff).",
        command=command)
    rep.add_table("Hottest spots", ["hemisphere", "RA (deg)", "Dec (deg)", "TS", "ns (events)",
                                    "gamma", "T0 (MJD)", "sigma_t (days)", "local p-value",
                                    "global p-value"], rows,
                  note="The hottest pixel is the maximum of a noisy map: nearby pixels with "
                       "almost equal TS can swap places when the scan settings change.")
    for name, path, caption in figs:
        rep.add_figure(name, path, caption=caption)
    rep.add_key_values("Run", {"wall time (s)": result.seconds,
                               "CPU time (s)": result.cpu_seconds,
                               "scrambled skies": int(result.details.get("scrambles", {}).get(
                                   "n_trials", 0) or 0)})
    path = rep.write(out / "report.html")
    result.files["report"] = path
    return path


def _fits_columns(path: str | os.PathLike) -> list[str]:
    from astropy.io import fits

    with fits.open(path) as hdul:
        return [c.name for c in hdul[1].columns]


def ps_fit_report(psm, best, out_dir: str | os.PathLike, desc: dict[str, Any] | None = None,
                  n_points: int = 41, command: str | None = None) -> str:
    """TS profiles of ``ns`` and ``gamma`` and ``report.html`` of a point-source fit.

    Parameters
    ----------
    psm
        The point-source model (or an object with ``likelihood`` and ``priors``).
    best : FitResult
        Its maximum-likelihood fit (:func:`bayesnu.inference.fit`).
    out_dir : path
        Folder for ``profile_ns.png``, ``profile_gamma.png`` and ``report.html``.
    desc : dict, optional
        Description of the run (``data``, ``sources``, ``n_events``, ``n_roi_events``).
    n_points : int
        Grid points per profile.
    """
    from bayesnu.inference import profile
    from bayesnu.inference.plots import profile_plot

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    desc = dict(desc or {})
    src = ", ".join(s["name"] for s in desc.get("sources", [])) or "the source"
    rep = Report(
        f"Point-source fit at {src}",
        f"We fitted an unbinned point-source likelihood (signal events ns and spectral index "
        f"gamma) at {src} in {', '.join(map(str, desc.get('data', []))) or 'the data'}. The "
        f"best fit has ns = {best.params['ns']:.2f} and gamma = {best.params['gamma']:.2f} "
        f"with TS = {best.ts:.2f}; the TS profiles below give Wilks intervals.",
        command=command)
    rows = []
    figs = []
    for par in ("ns", "gamma"):
        pr = profile(psm, par, n_points=n_points, best=best)
        png = out / f"profile_{par}.png"
        profile_plot(pr, path=png, title=f"TS profile of {par}")
        figs.append((f"profile_{par}", png))
        for cl in ("0.68", "0.9"):
            if cl in pr.intervals:
                lo, hi, lo_open, hi_open = pr.intervals[cl]
                rows.append([f"{par}: {float(cl):.0%} Wilks interval",
                             f"[{lo:.3g}{' (grid edge)' if lo_open else ''}, "
                             f"{hi:.3g}{' (grid edge)' if hi_open else ''}]"])
    rep.add_table("Best fit", ["quantity", "value"],
                  [["ns (signal events)", best.params["ns"]],
                   ["gamma (spectral index)", best.params["gamma"]], ["TS", best.ts],
                   ["events / near the source", f"{desc.get('n_events', 'n/a')} / "
                                                f"{desc.get('n_roi_events', 'n/a')}"], *rows])
    for name, png in figs:
        rep.add_figure(name, png, caption="Delta TS with the other parameter profiled; "
                                          "dashed: Wilks thresholds 1.00 / 2.71 / 3.84.")
    return rep.write(out / "report.html")


# ------------------------------------------------------------------ shared helpers
def _new_report(title: str, statement: str, simulated: bool, command: str | None,
                what: str = "") -> Report:
    if simulated:
        title = f"{title} [{SIMULATED_LABEL}]"
        statement = (f"{SIMULATED_LABEL.upper()}: {what or 'the events are simulated'}, not "
                     f"observed. " + statement)
    return Report(title, statement, command=command)


def _outdir(out_dir: str | os.PathLike) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _lim(x: Any) -> Any:
    """A limit for a table: the number, or a phrase when none exists (NaN / inf)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "n/a"
    if np.isnan(v):
        return "n/a"
    return "none (TS never reaches the threshold)" if not np.isfinite(v) else v


def _data_text(info: Any) -> str:
    if isinstance(info, dict):
        d = info.get("data", info.get("label", ""))
        return ", ".join(map(str, d)) if isinstance(d, list | tuple) else str(d)
    return str(info)


def _is_sim(*infos: Any) -> bool:
    for info in infos:
        if isinstance(info, dict) and (info.get("simulated") or _is_sim(info.get("data"))):
            return True
    return False


# ------------------------------------------------------------------ CnuB
def cnb_report(kind: str, res: dict[str, Any], out_dir: str | os.PathLike,
               command: str | None = None) -> str:
    """``report.html`` (and its PNGs) of a ``bayesnu cnb`` command's result.

    Parameters
    ----------
    kind : {"profile", "limit", "scan-si", "sample", "evidence", "sensitivity"}
        The command.
    res : dict
        The command's result dict (as printed with ``--json``); private keys
        give the objects behind it: ``_profiles`` (limit: the per-source
        :class:`~bayesnu.inference.cnb.EtaProfile`), ``_idata`` (sample: the
        InferenceData), ``_posterior`` (evidence: nautilus draws), ``_profile``
        (sample: the TS(eta) profile).
    out_dir : path
        Folder for the PNGs and ``report.html`` (created).

    Returns
    -------
    str
        Path of ``report.html``.
    """
    builders = {"profile": _cnb_profile, "limit": _cnb_profile, "scan-si": _cnb_si,
                "sample": _cnb_sample, "evidence": _cnb_evidence,
                "sensitivity": _cnb_sensitivity}
    if kind not in builders:
        raise InputError(f"no report for 'cnb {kind}'", column="kind")
    out = _outdir(out_dir)
    rep = builders[kind](kind, res, out, command or f"bayesnu cnb {kind}")
    return rep.write(out / "report.html")


_ETA_UNIT = "eta = n/n0 (relic neutrino density over its standard value, dimensionless)"
#: axis labels of the nautilus posterior histograms (overdensity and secret interaction)
_CNB_LABELS = {"log10_eta": r"$\log_{10}\eta$",
               "log10_m_phi": r"$\log_{10}(m_\phi$ / MeV)",
               "log10_g": r"$\log_{10} g_{\tau\tau}$"}


def _cnb_profile(kind: str, res: dict[str, Any], out: Path, command: str) -> Report:
    from bayesnu.inference.plots import eta_ts_plot

    if kind == "limit":
        profs = [p.to_dict() for p in res.get("_profiles", [])]
    else:
        profs = list(res["profiles"])
    sim = any(_is_sim(p.get("data")) for p in profs) or any(
        q.get("simulated") for q in res.get("per_source", []))
    curves = [(p["source"] + (" (simulated)" if _is_sim(p.get("data")) else ""),
               p["ts_curve"]["log10_eta"], p["ts_curve"]["ts"]) for p in profs]
    limits: dict[str, float] = {}
    cl = float(res.get("cl", 0.9))
    if len(profs) > 1 and "ts_curve" in res:
        curves.insert(0, ("combined", res["ts_curve"]["log10_eta"], res["ts_curve"]["ts"]))
    if kind == "limit":
        limits[f"{cl:.0%} CL" + (" combined" if len(profs) > 1 else "")] = res["eta_limit"]
    elif profs:
        limits["90% CL"] = profs[0]["eta_limit_90"]
    png = out / "cnb_ts_eta.png"
    names = " + ".join(p["source"] for p in profs) or str(res.get("source", "the source"))
    eta_ts_plot(curves, path=png, limits=limits, simulated=sim,
                title=f"TS($\\eta$), {names}")
    rows = []
    for p in profs:
        rows.append([p["source"], _data_text(p.get("data")),
                     "yes" if _is_sim(p.get("data")) else "no", p.get("n_events", "n/a"),
                     p["ns_pl"], p["gamma_pl"], p["ts_pl"], _lim(p["eta_limit_90"]),
                     _lim(p["eta_limit_95"])])
    lim_txt = ""
    if kind == "limit":
        v = res["eta_limit"]
        lim_txt = (f" The {cl:.0%} CL upper limit is eta < {v:.3g}." if np.isfinite(v) else
                   f" TS(eta) never reaches {res['threshold']:.2f}, so no eta is excluded at "
                   f"{cl:.0%} CL.")
    rep = _new_report(
        f"Relic-neutrino overdensity: TS(eta) at {names}",
        f"We fitted the unbinned point-source likelihood of {names} with the source spectrum "
        "propagated through a relic-neutrino overdensity eta (signal events ns and spectral "
        "index gamma profiled) and report TS(eta) against the best power law without "
        f"interactions.{lim_txt} Upper limits use Wilks' theorem with one degree of freedom "
        "(TS = 2.71 for 90% CL, 3.84 for 95% CL).",
        sim, command, "the events come from the simulated IceCube sample")
    rep.add_table("Results per source", [
        "source", "data", "simulated", "events", "ns, power law (events)",
        "gamma, power law", "TS of the power law", "eta limit, 90% CL", "eta limit, 95% CL"],
        rows, note=f"Units: {_ETA_UNIT}. TS is -2 log of a likelihood ratio (dimensionless).")
    if kind == "limit":
        rep.add_key_values("Combined", {
            "confidence level": cl, "TS threshold (Wilks, 1 dof)": res["threshold"],
            f"eta upper limit ({cl:.0%} CL)": _lim(res["eta_limit"]),
            "TS plateau at large eta": res.get("ts_plateau", float("nan")),
            "lightest neutrino mass m1 (eV)": res.get("m1_ev", float("nan"))})
    elif profs:
        p = profs[0]
        rep.add_key_values("Setting", {
            "lightest neutrino mass m1 (eV)": p.get("m1_ev", float("nan")),
            "overdensity radius d_eff (Mpc)": p.get("d_eff_mpc") or "n/a (redshift source)",
            "source redshift z": p.get("z") or "n/a", "run time (s)": p.get("seconds", 0.0)})
    rep.add_figure("ts_eta", png, caption="TS(eta) with ns and gamma profiled; dashed: the "
                   "Wilks 90% (2.71) and 95% (3.84) CL thresholds; vertical line and arrow: the "
                   "upper limit (larger eta excluded).")
    return rep


def _cnb_si(kind: str, res: dict[str, Any], out: Path, command: str) -> Report:
    from bayesnu.inference.cnb_si import BBN_G_MIN, BBN_MPHI_MEV, TAU_DECAY_G2_MAX
    from bayesnu.inference.plots import si_map_plot

    sim = _is_sim(res.get("data"))
    lm, lg = np.asarray(res["log10_m_phi_mev"]), np.asarray(res["log10_g"])
    ts = np.asarray(res["ts"], dtype=np.float64).reshape(lm.size, lg.size)
    thr = float(res.get("threshold", res.get("threshold_2sigma_2dof", 6.18)))
    png = out / "cnb_si_map.png"
    si_map_plot(lm, lg, ts, path=png, threshold=thr, bbn=(BBN_MPHI_MEV, BBN_G_MIN),
                tau_g2_max=TAU_DECAY_G2_MAX, simulated=sim,
                title=f"Secret interactions at {res['source']}: TS($m_\\phi$, $g$)")
    i, j = np.unravel_index(int(np.nanargmax(ts)), ts.shape)
    excl = ts > thr
    allowed = excl & (10.0 ** lm[:, None] >= BBN_MPHI_MEV) & (
        (10.0 ** lg[None, :]) ** 2 < TAU_DECAY_G2_MAX)
    rep = _new_report(
        f"Secret neutrino interactions at {res['source']}: TS(m_phi, g)",
        f"We propagated the neutrino spectrum of {res['source']} through the relic neutrinos "
        "with a secret nu_tau interaction (mediator mass m_phi, coupling g_tautau) and fitted "
        "ns and gamma at every grid point; TS compares with the best power law without the "
        f"interaction. Points with TS > {thr:.2f} (Wilks, 2 dof) are excluded at 2 sigma.",
        sim, command, "the events come from the simulated IceCube sample")
    rep.add_key_values("Results", {
        "grid points (m_phi x g)": f"{lm.size} x {lg.size}",
        "m_phi range (MeV)": f"{10 ** lm.min():.3g} - {10 ** lm.max():.3g}",
        "g_tautau range": f"{10 ** lg.min():.3g} - {10 ** lg.max():.3g}",
        "largest TS": float(ts[i, j]),
        "at m_phi (MeV)": float(10 ** lm[i]), "at g_tautau": float(10 ** lg[j]),
        "2-sigma threshold (TS, 2 dof)": thr,
        "grid fraction excluded at 2 sigma": float(excl.mean()),
        "excluded points also allowed by BBN and tau decays": int(allowed.sum()),
        "TS of the power law without interactions (vs background)": res.get("ts_pl",
                                                                             float("nan")),
        "sum of neutrino masses (eV)": res.get("sum_m_ev", float("nan")),
        "data": _data_text(res.get("data")), "simulated data": sim,
        "run time (s)": res.get("seconds", float("nan"))},
        note="TS is dimensionless; m_phi in MeV; g_tautau dimensionless; eta = 1.")
    rep.add_figure("si_map", png, caption=f"TS over (m_phi, g); red dashed contour: TS = "
                   f"{thr:.2f} (2 sigma, 2 dof), crosses: excluded grid points; grey: excluded "
                   f"by BBN (m_phi < {BBN_MPHI_MEV} MeV for g > {BBN_G_MIN:g}); purple dotted: "
                   f"tau decays (g^2 < {TAU_DECAY_G2_MAX:g} below the line).")
    post = res.get("posterior")
    if isinstance(post, dict) and "log_bayes_factor" in post:   # scan-si --posterior
        from bayesnu.inference.plots import posterior_histograms

        rep.add_key_values("Bayesian (nautilus, uniform priors on the grid)", {
            "ln Z (secret interaction)": f"{post['log_z']:.3f} ± {post['log_z_err']:.3f}",
            "ln Z0 (no secret interaction)": f"{post['log_z0']:.3f} ± {post['log_z0_err']:.3f}",
            "ln B (secret vs none)": post["log_bayes_factor"],
            "likelihood modes of the map": len(post.get("modes", [])),
            "every mode sampled": bool(post.get("every_mode_sampled"))},
            note="|ln B| < 1 is inconclusive; ln B > 0 favours a secret interaction.")
        draws = res.get("_si_posterior")
        if draws:
            ppng = out / "cnb_si_posterior.png"
            posterior_histograms({k: np.asarray(v) for k, v in draws.items()}, path=ppng,
                                 simulated=sim, labels=_CNB_LABELS,
                                 title=f"nautilus posterior at {res['source']}")
            rep.add_figure("si_posterior", ppng, caption="Marginal posteriors (nautilus, "
                                                         "uniform priors over the map's grid).")
    return rep


def _cnb_sample(kind: str, res: dict[str, Any], out: Path, command: str) -> Report:
    from bayesnu.inference.plots import corner_plot, posterior_histograms

    sim = _is_sim(res.get("data"))
    src = res.get("source", "the source")
    rep = _new_report(
        f"Relic-neutrino overdensity: NUTS posterior at {src}",
        f"We sampled the posterior of the signal events ns, the spectral index gamma and the "
        f"relic-neutrino overdensity eta at {src} with NUTS ({res.get('chains')} chains x "
        f"{res.get('draws')} draws, {res.get('eta_prior')} eta prior). The 90% credible upper "
        "limit on eta is shown next to the 90% CL profile-likelihood limit.",
        sim, command, "the events come from the simulated IceCube sample")
    rows = []
    for name, d in res.get("params", {}).items():
        rows.append([name, d.get("mean", float("nan")), d.get("sd", float("nan")),
                     d.get("hdi_5%", float("nan")), d.get("hdi_95%", float("nan")),
                     d.get("r_hat", float("nan")), d.get("ess_bulk", float("nan")),
                     d.get("ess_tail", float("nan"))])
    rep.add_table("Posterior", ["parameter", "mean", "sd", "90% HDI low", "90% HDI high",
                                "R-hat", "bulk ESS", "tail ESS"], rows,
                  note="ns in events, gamma dimensionless, log10_eta = log10(n/n0). R-hat "
                       "should be below 1.01 and ESS above ~400 for reliable quantiles.")
    rep.add_key_values("Limits", {
        "eta, 90% credible upper limit": _lim(res.get("eta_credible_90")),
        "eta, 95% credible upper limit": _lim(res.get("eta_credible_95")),
        "eta, 90% CL upper limit (profile likelihood)": _lim(res.get("eta_limit_90_cl")),
        "divergences": res.get("divergences", "n/a"), "sampling time (s)": res.get("seconds",
                                                                                  float("nan")),
        "data": _data_text(res.get("data")), "simulated data": sim})
    idata = res.get("_idata")
    if idata is not None:
        from bayesnu.inference.style import label

        post = idata.posterior
        names = [v for v in res.get("params", {}) if v in post and post[v].ndim == 2
                 and v != "eta"] or [v for v in ("ns", "gamma", "log10_eta") if v in post]
        draws = {v: post[v].values for v in names}
        if "log10_eta" not in draws and "eta" in post:
            draws["log10_eta"] = np.log10(np.maximum(post["eta"].values, 1e-300))
        labels = {v: label(v.rstrip("0123456789")) for v in draws}
        lines = {"log10_eta": [(np.log10(res["eta_credible_90"]), "90% credible limit")
                               if res.get("eta_credible_90") else (np.nan, ""),
                               (np.log10(res["eta_limit_90_cl"]), "90% CL limit (profile)")
                               if res.get("eta_limit_90_cl") and np.isfinite(
                                   res["eta_limit_90_cl"]) else (np.nan, "")]}
        png = out / "cnb_posterior.png"
        posterior_histograms(draws, path=png, lines=lines, simulated=sim, labels=labels,
                             title=f"Posterior at {src} (NUTS)")
        rep.add_figure("posterior", png, caption="Marginal posteriors; on log10 eta the 90% "
                       "credible upper limit (solid) and the 90% CL profile-likelihood limit "
                       "(dashed).")
        names = list(draws)
        if len(names) >= 2 and all(v in post for v in names):
            cpng = out / "cnb_corner.png"
            corner_plot(idata, names, path=cpng, title=f"{src}: posterior (68% / 95% HDI)")
            rep.add_figure("corner", cpng, caption="Pairwise posteriors with 68% and 95% "
                                                   "highest-density contours.")
    prof = res.get("_profile")
    if prof is not None:
        from bayesnu.inference.plots import eta_ts_plot

        png = out / "cnb_ts_eta.png"
        eta_ts_plot([(src, prof.log10_eta, prof.ts)], path=png,
                    limits={"90% CL": prof.limit(0.9)}, simulated=sim,
                    title=f"TS($\\eta$), {src}")
        rep.add_figure("ts_eta", png, caption="The frequentist TS(eta) for comparison; dashed: "
                                              "Wilks 90% / 95% thresholds.")
    return rep


def _cnb_evidence(kind: str, res: dict[str, Any], out: Path, command: str) -> Report:
    from bayesnu.inference.plots import posterior_histograms

    sim = _is_sim(res.get("data"))
    src = res.get("source", "the source")
    secret = "log10_m_phi" in res.get("posterior_quantiles", {}) or res.get("model") == "secret"
    model = "a secret nu_tau interaction (m_phi, g)" if secret else "a relic overdensity eta"
    rep = _new_report(
        f"Bayesian evidence for {'secret interactions' if secret else 'a relic overdensity'} "
        f"at {src}",
        f"We computed the nested-sampling (nautilus) evidences of the model with {model} and "
        f"of the power law without it at {src}. Their ratio, the Bayes factor, measures how "
        "much the data prefer the interaction (ln B > 0) or the plain power law (ln B < 0).",
        sim, command, "the events come from the simulated IceCube sample")
    kv = {"ln Z (with interaction)": f"{res['log_z']:.3f} ± {res['log_z_err']:.3f}",
          "ln Z0 (without)": f"{res['log_z0']:.3f} ± {res['log_z0_err']:.3f}",
          "ln B (with vs without)": res["log_bayes_factor"]}
    prof = res.get("profile") or {}
    if prof:
        kv["smallest TS(eta) on the grid"] = prof.get("ts_min", float("nan"))
        kv["eta, 90% CL upper limit (profile likelihood)"] = _lim(prof.get("eta_limit_90_cl"))
    kv.update({"data": _data_text(res.get("data")), "simulated data": sim})
    rep.add_key_values("Evidence", kv, note="ln Z relative to the background-only likelihood "
                       "(natural log, dimensionless); |ln B| < 1 is inconclusive.")
    q = res.get("posterior_quantiles", {})
    if q:
        rep.add_table("Posterior quantiles (nautilus)", ["parameter", "5%", "50%", "90%", "95%"],
                      [[k, v["q05"], v["q50"], v["q90"], v["q95"]] for k, v in q.items()],
                      note="log10 eta = log10(n/n0); log10 m_phi in log10(MeV); log10 g "
                           "dimensionless.")
    post = res.get("_posterior")
    if post:
        png = out / "cnb_evidence_posterior.png"
        lines = {k: [(float(np.quantile(v, 0.9)), "90% credible upper limit")]
                 for k, v in post.items()}
        posterior_histograms({k: np.asarray(v) for k, v in post.items()}, path=png,
                             lines=lines, simulated=sim, labels=_CNB_LABELS,
                             title=f"nautilus posterior at {src}")
        rep.add_figure("posterior", png, caption="Marginal posteriors of the interaction "
                       "parameters from the nautilus draws; line: 90% credible upper limit.")
    return rep


def _cnb_sensitivity(kind: str, res: dict[str, Any], out: Path, command: str) -> Report:
    from bayesnu.inference.plots import eta_ts_plot

    src = res.get("source", "the source")
    years = res.get("years_added", float("nan"))
    png = out / "cnb_sensitivity.png"
    lo, hi = res["ts_band_68"]
    eta_ts_plot([(f"median of {res['n_instances']} mock data sets", res["log10_eta"],
                  res["ts_median"])], path=png, band=(lo, hi),
                limits={"median 90% CL": res["eta_limit_median"]}, simulated=True,
                title=f"Future sensitivity at {src}, +{years:g} yr")
    bf = res.get("best_fit_power_law", {})
    rep = _new_report(
        f"Relic-neutrino overdensity: future sensitivity at {src} (+{years:g} yr)",
        f"We simulated {res['n_instances']} mock data sets with {years:g} more years of data "
        f"at the best-fit power law of {src} and computed TS(eta) for each. The median curve, "
        "its central 68% band and the median 90% CL limit show what the longer exposure would "
        "exclude if no overdensity exists.",
        True, command, "the mock data sets are simulated (resampled, scrambled events with "
        "an injected power-law signal)")
    rep.add_key_values("Results", {
        "median 90% CL upper limit on eta": _lim(res["eta_limit_median"]),
        "90% CL limit of the median curve": _lim(res.get("eta_limit_of_median_curve")),
        "mock data sets": res["n_instances"], "years added (yr)": years,
        "power law ns (events)": bf.get("ns", float("nan")),
        "power law gamma": bf.get("gamma", float("nan")),
        "base data": _data_text(res.get("data")), "simulated data": True,
        "median time per data set (s)": res.get("seconds_per_instance_median",
                                                float("nan"))},
        note=f"Units: {_ETA_UNIT}.")
    rep.add_figure("sensitivity", png, caption="Median TS(eta) of the mock data sets with "
                   "their central 68% band; dashed: Wilks 90% / 95% thresholds; vertical line: "
                   "the median 90% CL limit.")
    return rep


# ------------------------------------------------------------------ blazars
def blazar_report(kind: str, res: dict[str, Any], out_dir: str | os.PathLike, obj: Any = None,
                  command: str | None = None, **extra: Any) -> str:
    """``report.html`` (and its PNGs) of a ``bayesnu blazar`` command's result.

    Parameters
    ----------
    kind : str
        ``spatial``, ``rtest``, ``simultaneity``, ``stack-fit``, ``stack-sample``,
        ``stack-limit``, ``stack-evidence``, ``stack-alerts``, ``lightcurve``,
        ``classify`` or ``dcf``.
    res : dict
        The command's result dict (as printed with ``--json``).
    obj
        The result object behind it where a plot needs more than the dict:
        :class:`~bayesnu.inference.blazar_spatial.SpatialTestResult`,
        :class:`~bayesnu.inference.blazar_temporal.RtResult`,
        :class:`~bayesnu.lightcurve.dcf.DCFResult`, the stacking
        :class:`~bayesnu.inference.blazar_stacking.FractionPosterior` or the
        InferenceData of ``stack sample``.
    extra
        ``plot`` -- a callable ``plot(path)`` drawing the command's own figure
        (the light curve).
    """
    builders = {"spatial": _bz_spatial, "rtest": _bz_rtest, "simultaneity": _bz_simultaneity,
                "stack-fit": _bz_stack, "stack-sample": _bz_stack, "stack-limit": _bz_stack,
                "stack-evidence": _bz_stack, "stack-alerts": _bz_stack,
                "lightcurve": _bz_lightcurve, "classify": _bz_classify, "dcf": _bz_dcf}
    if kind not in builders:
        raise InputError(f"no report for 'blazar {kind}'", column="kind")
    out = _outdir(out_dir)
    rep = builders[kind](kind, res, obj, out, command or f"bayesnu blazar {kind}", extra)
    return rep.write(out / "report.html")


def _bz_spatial(kind, res, obj, out, command, extra) -> Report:
    from bayesnu.inference.plots import spatial_counts_plot

    png = out / "blazar_spatial_counts.png"
    spatial_counts_plot(obj, path=png, simulated=bool(res.get("simulated")))
    n = int(res["n_scrambles"])
    rows = [[r["log10e_min"], r["n_events"], r["n_observed"], r["n_expected"], r["sigma"],
             r["n_expected_closed_form"], r["excess"], format_pvalue(r["p_value"], n_trials=n,
                                                                     with_sigma=False,
                                                                     trials="scrambles",
                                                                     statistic="count")]
            for r in res["thresholds"]] if isinstance(res.get("thresholds"), list) and res[
        "thresholds"] and isinstance(res["thresholds"][0], dict) else []
    if not rows:
        for k in range(obj.thresholds.size):
            rows.append([float(obj.thresholds[k]), int(obj.n_events[k]), int(obj.n_observed[k]),
                         float(obj.n_expected[k]), float(obj.sigma[k]),
                         float(obj.n_expected_closed[k]), float(obj.excess[k]),
                         format_pvalue(float(obj.p_value[k]), n_trials=n, with_sigma=False,
                                       trials="scrambles", statistic="count")])
    rep = _new_report(
        f"Neutrinos around {res['group']} blazars in {res['data']}",
        f"We counted the {res['data']} events, above each reconstructed-energy threshold, "
        f"that have at least one of the {res['n_sources']} {res['group']} blazars inside their "
        f"angular-error circle, and compared with {n:,} random scrambles of the "
        f"{'blazar right ascensions' if res.get('scramble', 'sources') == 'sources' else 'event right ascensions'}. "
        "An excess of observed over expected counts would indicate a correlation.",
        bool(res.get("simulated")), command, "the events are simulated or scrambled")
    rep.add_table("Counts per energy threshold", [
        "log10(E_reco/GeV) >=", "events above threshold", "observed (events)",
        "expected, scrambles (events)", "sigma of scrambles (events)",
        "expected, closed form (events)", "excess (events)", "p-value"], rows,
        note="p-value = (M + 1)/(N + 1), M scrambles with at least the observed count; at its "
             "floor 1/(N + 1) it is an upper bound (p < ...).")
    rep.add_figure("spatial_counts", png, caption="Observed counts (points) against the "
                   "scramble mean with its 1 and 2 sigma bands; below, the p-value per "
                   "threshold (open triangles: upper bounds at the resolution floor).")
    return rep


def _bz_rtest(kind, res, obj, out, command, extra) -> Report:
    from bayesnu.inference.plots import pvalue_floor_mask, rt_plot

    png = out / "blazar_rt.png"
    rt_plot(obj, path=png)
    s = res["settings"]
    n = int(s.get("n_control", 0) or 0)
    p0, pmin = res["p_pretrial_at_0"], res["min_p_pretrial"]
    rep = Report(
        f"Gamma-ray flares around IceCube alerts: R(t) with {res.get('catalog', '')} light curves",
        f"R(t) is the mean gamma-ray flare level of the {res['n_sources_in_regions']} variable "
        f"blazars inside the (enlarged) 90% regions of {res['n_alerts_with_sources']} IceCube "
        f"alerts within a window of {s['dT_d']:g} days around the alert time shifted by t, "
        "divided by the level outside it. Pre-trial p-values come from control samples of "
        "sources outside the regions.", command=command)
    kv = {"alerts (IceCat-1)": res.get("n_alerts", "n/a"),
          "variable sources": res.get("n_variable_sources", "n/a"),
          "(alert, source) pairs": res["n_pairs"], "window dT (days)": s["dT_d"],
          "region enlargement factor": s["factor"], "control samples": n,
          "R(0)": res["r_at_0"],
          "pre-trial p at t = 0": format_pvalue(p0, n_trials=n, trials="control samples",
                                                statistic="R"),
          "smallest pre-trial p": format_pvalue(pmin, n_trials=n, trials="control samples",
                                                statistic="R"),
          "at shift t (days)": res["shift_of_min_p_d"],
          "shifts at the resolution floor": int(pvalue_floor_mask(obj.p_pretrial, n).sum())}
    if "window_scan" in res:
        b = res["window_scan"]["best"]
        kv["window scan: best dT (days)"] = b["dT_d"]
        kv["window scan: best factor"] = b["factor"]
        kv["window scan: p of the best (pre-trial)"] = format_pvalue(
            b["p_value"], n_trials=int(res["window_scan"].get("n_scrambles", 0)) or None,
            trials="scrambles", statistic="R(0)")
    rep.add_key_values("Results", kv, note="p-values are pre-trial; a p-value at its floor "
                       "1/(N + 1) is an upper bound (p < ...).")
    rep.add_figure("rt", png, caption="R(t) of the alert pairs (red) against the control mean "
                   "and 68% / 95% bands; below, the pre-trial p(t), open triangles mark upper "
                   "bounds where no control sample reached the observed R(t).")
    return rep


def _bz_simultaneity(kind, res, obj, out, command, extra) -> Report:
    n = int(res["n_scrambles"])
    rep = Report(
        "Simultaneous gamma-ray and low-energy flares around IceCube alerts",
        f"For the {res['n_sources_in_regions']} blazars inside the IceCube alert regions we "
        "measured the fraction of their flaring time in which both bands flare together "
        f"(statistic: {res['settings'].get('statistic', 'mean_ratio')}), and compared it with "
        f"{n:,} right-ascension scrambles of the alerts.", command=command)
    rep.add_key_values("Results", {
        "sources in the alert regions": res["n_sources_in_regions"],
        "alerts": res.get("n_alerts", "n/a"),
        "simultaneous / total flaring time (observed)": res["statistic"],
        "scrambles: mean": res["scrambled_mean"], "scrambles: standard deviation":
            res["scrambled_std"], "scrambles at or above the observed": res["n_exceed"],
        "p-value": format_pvalue(res["p_value"], n_trials=n, trials="scrambles",
                                 statistic="ratio"),
        "sources": res.get("sources") if isinstance(res.get("sources"), str) else
            ", ".join(map(str, res.get("sources", [])[:20]))},
        note="Times in days; the ratio is dimensionless. p = (M + 1)/(N + 1); at its floor "
             "1/(N + 1) it is an upper bound.")
    return rep


def _bz_stack(kind, res, obj, out, command, extra) -> Report:
    from bayesnu.inference.plots import posterior_histograms

    action = kind.split("-", 1)[1]
    g, data = res.get("group", "the group"), res.get("data", "")
    if isinstance(g, dict):          # stack evidence: the group's own evidence record
        g = g.get("group", "the group")
    intro = {
        "fit": "fitted the stacking likelihood (every blazar of the group may emit) and "
               "computed the grid posterior of the group's signal events",
        "sample": "sampled the posterior of the stacking model with NUTS",
        "limit": "computed the 90% upper limit on the group's neutrino flux",
        "evidence": "computed the nautilus evidence of the stacking model against background "
                    "and against same-size control groups",
        "alerts": "computed the probability that each IceCat-1 alert track comes from a "
                  "blazar of the group"}[action]
    rep = _new_report(f"Blazar stacking ({action}): {g}" + (f" on {data}" if data else ""),
                      f"We {intro} for {g}" + (f" with the {data} events" if data else "") +
                      ". Signal events ns are counts, the spectral index gamma is dimensionless "
                      "and fluxes are per GeV, cm^2 and s at 100 TeV.",
                      bool(res.get("simulated")), command,
                      "the events are simulated or scrambled")
    if action == "fit":
        b, s = res["best_fit"], res["posterior"]
        rep.add_key_values("Best fit and posterior", {
            "best-fit ns (events)": b["ns"], "best-fit gamma": b["gamma"], "TS": b["ts"],
            "posterior ns median (events)": s["ns_median"],
            "posterior ns 90% upper limit (events)": s["ns_ul90"],
            "signal fraction 90% upper limit": s["f_ul90"],
            "ln B vs background": s["ln_bf_vs_background"], "events": res["n_events"],
            "sources": res["n_sources"], "weights": res["weighting"]})
        if obj is not None:
            from bayesnu.inference.plots import ns_density_plot

            png = out / "blazar_stack_ns.png"
            ns_density_plot(obj.ns, obj.ns_density, s["ns_ul90"], path=png)
            rep.add_figure("ns_posterior", png, caption="Grid posterior of the group's signal "
                           "events under a uniform prior; line: 90% upper limit.")
    elif action == "sample":
        post = res["posterior"]
        rep.add_table("Posterior", ["parameter", "median", "mean", "R-hat", "ESS"],
                      [[k, v.get("median", float("nan")), v.get("mean", float("nan")),
                        v.get("rhat", v.get("r_hat", float("nan"))),
                        v.get("ess_bulk", v.get("ess", float("nan")))]
                       for k, v in post.items()],
                      note="R-hat below 1.01 and ESS above ~400 indicate converged chains.")
        rep.add_key_values("Limits", {"signal fraction 90% upper limit": res["f_ul90"],
                                      "divergences": res["divergences"],
                                      "sampling time (s)": res["sampling_seconds"]})
        if obj is not None:
            png = out / "blazar_stack_posterior.png"
            p = obj.posterior
            draws = {v: p[v].values for v in ("ns", "gamma", "signal_fraction") if v in p}
            posterior_histograms(draws, path=png, lines={"signal_fraction": [
                (res["f_ul90"], "90% upper limit")]}, labels={"signal_fraction":
                                                              "signal fraction ns/N"},
                title=f"{g}: NUTS posterior")
            rep.add_figure("posterior", png, caption="Marginal posteriors; line: 90% upper "
                                                     "limit of the signal fraction.")
    elif action == "limit":
        nan = float("nan")
        kv = {"spectral index gamma (fixed)": res.get("gamma", nan),
              "confidence level": res.get("cl", nan),
              "best-fit ns (events)": res.get("ns_best", nan), "TS": res.get("ts_best", nan),
              "ns upper limit, profile likelihood (events)": res.get("ns_ul_profile", nan),
              "ns upper limit, Bayesian (events)": res.get("ns_ul_bayes", nan),
              "flux upper limit at 100 TeV, profile (GeV^-1 cm^-2 s^-1)":
                  res.get("flux_ul_profile_gev_cm2_s", nan),
              "flux upper limit at 100 TeV, Bayesian (GeV^-1 cm^-2 s^-1)":
                  res.get("flux_ul_bayes_gev_cm2_s", nan),
              "E^2 flux upper limit at 100 TeV, profile (GeV cm^-2 s^-1)":
                  res.get("e2_flux_ul_profile_gev_cm2_s", nan),
              "fraction of the diffuse numu flux, profile": res.get("diffuse_fraction_profile",
                                                                    nan),
              "fraction of the diffuse numu flux, Bayesian": res.get("diffuse_fraction_bayes",
                                                                     nan),
              "sources": res.get("n_sources", "n/a"), "weights": res.get("weighting", "n/a")}
        rep.add_key_values("Upper limits", kv, note="Diffuse flux: " + str(res.get(
            "diffuse_citation", "IceCube 9.5-year muon-neutrino measurement")))
    elif action == "evidence":
        grp = res["group"] if isinstance(res["group"], dict) else {}
        nan = float("nan")
        kv = {"sources": grp.get("n_sources", "n/a"), "weights": grp.get("weighting", "n/a"),
              "ln B vs background (nautilus)": f"{grp.get('ln_bf_vs_background', nan):.2f} ± "
                                               f"{grp.get('ln_z_err', nan):.2f}",
              "ln B vs background (grid)": grp.get("ln_bf_grid", nan),
              "posterior ns median (events)": grp.get("ns_median", nan),
              "ns 90% upper limit (events)": grp.get("ns_ul90", nan),
              "signal fraction 90% upper limit": grp.get("f_ul90", nan),
              "run time (s)": grp.get("seconds", nan)}
        rep.add_key_values("Evidence of the group", kv, note="ln B: natural log of the Bayes "
                           "factor; |ln B| < 1 is inconclusive.")
        rows = [[c["group"], c["ln_bf_group_vs_control"]] for c in res.get("controls", [])]
        if rows:
            rep.add_table("Against control groups", ["control group", "ln B (group vs control)"],
                          rows)
    else:  # alerts
        rep.add_key_values("Association", {
            "alerts": res["n_alerts"], "mean associated fraction f": res["f_mean"],
            "f, 90% upper limit": res["f_ul90"],
            "ln B vs no association": res["ln_bf_vs_no_association"],
            "expected associated alerts": res["expected_associated"]})
        rep.add_table("Most probable associations", [
            "alert", "signalness", "P(association)", "best blazar"],
            [[a["alert"], a["signalness"], a["p_association"], a["best_blazar"]]
             for a in res["alerts"]])
    return rep


def _bz_lightcurve(kind, res, obj, out, command, extra) -> Report:
    rep = Report(f"Flares of {res['source']} ({res['band']})",
                 f"We segmented the light curve of {res['source']} into Bayesian blocks and "
                 "called a block flaring when its flux exceeds the quiescent flux by "
                 "k_sigma standard deviations. The table lists the flaring periods.",
                 command=command)
    u = res.get("unit") or "light-curve unit"
    rep.add_key_values("Light curve", {
        "points": res["n_points"], "upper limits": res["n_upper_limits"],
        f"quiescent flux ({u})": res.get("quiescent_flux", float("nan")),
        f"flare threshold ({u})": res.get("threshold", float("nan")),
        "flares": len(res.get("flares_mjd", [])),
        "flaring time (days)": res.get("flaring_time_d", float("nan"))})
    iv = res.get("flares_mjd", [])
    rows = [[float(a), float(b), float(b) - float(a)] for a, b in iv] if iv and isinstance(
        iv[0], list | tuple) else []
    if rows:
        rep.add_table("Flaring periods", ["start (MJD)", "end (MJD)", "duration (days)"], rows)
    plot = extra.get("plot")
    if plot is not None:
        png = out / "blazar_lightcurve.png"
        plot(png)
        rep.add_figure("lightcurve", png, caption="Light curve, Bayesian blocks, quiescent "
                       "flux and flare threshold; shaded: flaring blocks.")
    return rep


def _bz_classify(kind, res, obj, out, command, extra) -> Report:
    rep = Report("Blazar light-curve classes",
                 "We classified blazar light curves as flaring, non-variable or ambiguous "
                 "(single band), or pairs of high- and low-energy curves as NFS / CFS / "
                 "TXS-like from their simultaneous flaring time. The table gives the counts.",
                 command=command)
    if "counts" in res:
        rep.add_table("Counts", ["class", "sources"], [[k, v] for k, v in
                                                       res["counts"].items()])
    else:
        st = res.get("stages", {})
        rep.add_key_values("Pair", {"class": res.get("class"), "removed": res.get("removed"),
                                    **{f"{k} (days)" if k.endswith("_d") or "time" in k else k: v
                                       for k, v in st.items() if isinstance(v, int | float)}})
    return rep


def _bz_dcf(kind, res, obj, out, command, extra) -> Report:
    from bayesnu.inference.plots import dcf_plot

    png = out / "blazar_dcf.png"
    dcf_plot(obj, path=png, a=res["a"], b=res["b"], title=f"DCF {res['a']} -> {res['b']}")
    rep = Report(f"Time lag between {res['a']} and {res['b']}",
                 "We computed the discrete correlation function (Edelson & Krolik 1988) of the "
                 "two light curves in lag bins and estimated the lag from the bin of the "
                 "maximum and from a fitted Gaussian. A positive lag means the second curve "
                 "lags the first.", command=command)
    rep.add_key_values("Lag", {"lag of the maximum (days)": res["lag_max_d"],
                               "Gaussian mean lag (days)": res["lag_gauss_d"],
                               "largest DCF": float(np.nanmax(res["dcf"])) if res["dcf"]
                               else float("nan"), "lag bins": len(res["lag_d"])})
    rep.add_figure("dcf", png, caption="DCF per lag bin with errors, the Gaussian fit and the "
                                       "lag of the maximum.")
    return rep

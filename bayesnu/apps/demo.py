"""The package's main demonstration: the 2014-15 neutrino flare of TXS 0506+056.

:func:`run_demo` analyses the bundled IceCube TXS 0506+056 data release
(IceCube Collaboration, Science 361, 147 (2018)) both ways and writes a
report folder. Its steps, each a function here:

1. :func:`fit_flares` -- Gaussian and box flare fits at the source in every
   sample (the flare is found in IC86b, 2012-2015);
2. :func:`local_pvalues` -- local p-values of the best Gaussian and box flares
   from RA- and time-scrambled background trials (default 1,000 each), with
   Clopper-Pearson intervals; a p-value at its resolution floor ``1/(n+1)``
   is reported as an upper bound;
3. :func:`t0_profile` -- the Gaussian-flare TS profiled in T0;
4. :func:`bayesian_flare` -- nautilus Bayes factors (flare vs background,
   flare vs steady source) and NUTS per flare mode, through the one shared
   workflow :func:`bayesnu.inference.flare.flare_posterior_modes` (the same
   as ``bayesnu flare sample --modes``);
5. :func:`make_figures` and :func:`write_outputs` -- ``time_series.png``,
   ``ts_profile_t0.png``, ``background_ts.png``, ``corner.png``,
   ``summary.txt``, ``summary.json`` (units in keys or in its ``units``
   block) and the self-contained ``report.html``
   (:mod:`bayesnu.apps.report`), which puts our numbers beside the
   published ones and explains why our significance is lower.

Typical run time on 2 cores: about 2-3 minutes (``--quick``, frequentist
only: about 30 s).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.apps.report import Report, empirical_pvalue, format_pvalue
from bayesnu.citations import TXS_2018

__all__ = ["PUBLISHED", "WHY_LOWER", "DemoSettings", "fit_flares", "local_pvalues",
           "t0_profile", "bayesian_flare", "make_figures", "build_report", "write_outputs",
           "run_demo"]

#: citation of the published analysis the demo compares with
CITE_TXS_2018 = TXS_2018.full

#: published time-dependent results (IceCube 2018), Gaussian and box time windows
PUBLISHED: dict[str, Any] = {
    "reference": CITE_TXS_2018,
    "box_mjd": (56937.81, 57096.21),
    "gauss_t0_mjd": 57004.0,
    "gauss_tw_days": 110.0,
    "gauss_tw_err_days": (35.0, -24.0),
    "gauss_ns": 13.1,
    "gauss_ns_err": (5.0, -4.6),
    "gauss_gamma": 2.1,
    "gauss_gamma_err": 0.2,
    "significance_sigma": 3.5,
}

#: why the public-data significance is lower than the published one (from VALIDATION.md)
WHY_LOWER = (
    "Our frequentist significance is lower than the published 3.5 sigma for three measured "
    "reasons. First, the energy PDFs: the collaboration used its Monte Carlo smearing "
    "matrices, which are not public; we build the energy response from the public effective "
    "area and the published E_nu -> E_mu relation with a log-normal scatter calibrated on the "
    "data, which separates a hard E^-2 flare less sharply from the atmospheric background. "
    "Second, the public events carry rounded directions, angular errors and energies, which "
    "blur the spatial and energy terms of each event. With these two differences our Gaussian "
    "flare has TS about 10.7 where the published analysis had more, and 1,000 scrambled "
    "trials give a local p of about 0.006 (2.5 sigma) instead of 3.5 sigma; the fitted flare "
    "itself (T0, width, ns, gamma) agrees with the published one within its errors.\n\n"
    "Third, for the Bayes factors: the priors are wide (ns uniform on [0, number of events], "
    "T0 uniform over the whole season, sigma_t log-uniform from 0.01 d to half the live "
    "time), so the flare model pays an Occam factor of roughly ln(prior volume / posterior "
    "volume); VALIDATION.md measures ln B ~ 0.47 TS - 6.7 on this sample, so a TS of 10.7 "
    "gives ln B near -1.5 although the flare is well localised. The Bayes factor answers a "
    "different question (is a flare anywhere in the season, of any width, more probable than "
    "none?) than the local p-value at the best flare.")


@dataclass
class DemoSettings:
    """Settings of :func:`run_demo` (defaults are the ``bayesnu demo`` defaults).

    Attributes
    ----------
    seed : int
        Seed of the background trials, NUTS and nautilus.
    n_trials : int
        Background trials per time profile (Gaussian and box) for the local p-values.
    draws, tune, chains : int
        NUTS per flare mode.
    cores : int
        Processes running the NUTS chains in parallel (default: all cores).
    n_live : int
        nautilus live points.
    bayes : bool
        Run the Bayesian part.
    progress : bool
        Progress bars and status lines on stderr.
    """

    seed: int = 1
    n_trials: int = 1000
    draws: int = 2000
    tune: int = 800
    chains: int = 2
    cores: int = 0
    n_live: int = 200
    bayes: bool = True
    progress: bool = False

    def __post_init__(self) -> None:
        if self.cores <= 0:
            self.cores = max(1, min(self.chains, os.cpu_count() or 1))


class _Status:
    """Numbered status lines on stderr (silent when ``enabled`` is False)."""

    def __init__(self, enabled: bool, n_steps: int) -> None:
        self.enabled, self.n, self.k, self.t = enabled, n_steps, 0, time.perf_counter()

    def step(self, text: str) -> None:
        self.k += 1
        if self.enabled:
            sys.stderr.write(f"[demo {self.k}/{self.n}, {time.perf_counter() - self.t:4.0f} s] "
                             f"{text}\n")
            sys.stderr.flush()


def fit_flares(dataset, ra: float, dec: float) -> dict[str, Any]:
    """Step 1: Gaussian and box flare fits at ``(ra, dec)`` in every sample.

    Returns
    -------
    dict
        ``sample`` (name of the sample with the best Gaussian flare), ``gauss``
        and ``box`` (its FlareFit objects), ``per_sample_ts`` (name ->
        {"gauss", "box"}), ``model`` (the sample's FlareSampleModel) and
        ``data`` (its FlareData at the source).
    """
    from bayesnu.flare.analysis import fit_dataset

    res_g = fit_dataset(dataset, ra, dec, pdf="gauss", keep_candidates=20)
    res_b = fit_dataset(dataset, ra, dec, pdf="box", models=res_g["models"])
    name = res_g["sample"]
    return {"sample": name, "gauss": res_g["best"], "box": res_b["fits"][name],
            "per_sample_ts": {k: {"gauss": v.ts, "box": res_b["fits"][k].ts}
                              for k, v in res_g["fits"].items()},
            "model": res_g["models"][name], "data": res_g["data"][name]}


def local_pvalues(model, ra: float, dec: float, ts_obs: dict[str, float], n_trials: int,
                  rng: np.random.Generator, progress: bool = False) -> dict[str, Any]:
    """Step 2: background trials (RA and time scrambled) and local p-values per time profile.

    Parameters
    ----------
    model : FlareSampleModel
        The sample's flare likelihood parts.
    ts_obs : dict
        Observed TS per time profile, ``{"gauss": ts, "box": ts}``.
    n_trials : int
        Trials per profile.

    Returns
    -------
    dict
        Per profile: :func:`~bayesnu.apps.report.empirical_pvalue` output plus
        ``sigma`` (one-sided Gaussian equivalent), ``text`` and
        ``background_ts`` (array, axis: trial).
    """
    from scipy.stats import norm

    from bayesnu.flare.trials import scrambled_fit

    out: dict[str, Any] = {}
    for pdf, ts in ts_obs.items():
        it: Any = range(n_trials)
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, desc=f"background trials ({pdf})", unit="trial", file=sys.stderr,
                      dynamic_ncols=True)
        bg = np.array([scrambled_fit(rng, model, ra, dec, pdf).ts for _ in it])
        pv = empirical_pvalue(ts, bg)
        pv["sigma"] = float(norm.isf(pv["p"]))
        pv["text"] = format_pvalue(pv)
        pv["background_ts"] = bg
        out[pdf] = pv
    return out


def t0_profile(flare_data, fit_g, n_points: int = 80) -> dict[str, np.ndarray]:
    """Step 3: the Gaussian-flare TS profiled over ns, gamma, sigma_t on a grid of T0.

    Returns
    -------
    dict
        ``t0_mjd`` (grid), ``ts``, ``ns``, ``gamma``, ``sigma_t_days`` (arrays
        over the T0 grid).
    """
    from bayesnu.flare.search import profile_t0

    grid = np.linspace(flare_data.tmin, flare_data.tmax, n_points)
    prof = profile_t0(flare_data, grid, start=fit_g)
    return {"t0_mjd": grid, "ts": prof[:, 0], "ns": prof[:, 1], "gamma": prof[:, 2],
            "sigma_t_days": prof[:, 3]}


def bayesian_flare(sample, ra: float, dec: float, fit_g, settings: DemoSettings):
    """Step 4: nautilus Bayes factors and NUTS per flare mode (the shared workflow).

    Calls :func:`bayesnu.inference.flare.flare_posterior_modes`, the same
    function as ``bayesnu flare sample --modes``, and returns its
    :class:`~bayesnu.inference.flare.FlareModesResult`.
    """
    from bayesnu.inference.flare import flare_posterior_modes

    # PyMC's log level is set inside flare_posterior_modes (INFO only with progress output)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="pymc")
        return flare_posterior_modes(sample, ra, dec, source="TXS 0506+056", fit=fit_g,
                                     chains=settings.chains, draws=settings.draws,
                                     tune=settings.tune, n_live=settings.n_live,
                                     seed=settings.seed, cores=settings.cores,
                                     progressbar=settings.progress)


def make_figures(out: Path, fits: dict[str, Any], prof: dict[str, np.ndarray],
                 pvals: dict[str, Any], bayes=None) -> dict[str, str]:
    """Step 5a: the demo's PNGs (all in the style of :mod:`bayesnu.inference.style`)."""
    from bayesnu.inference.plots import (
        background_ts_plot,
        corner_plot,
        flare_light_curve,
        ts_curve_plot,
    )

    fd, g, b, name = fits["data"], fits["gauss"], fits["box"], fits["sample"]
    files: dict[str, str] = {}
    w = g.weights if g.weights is not None else np.zeros(fd.n)
    gamma = g.gamma if np.isfinite(g.gamma) else 2.0
    lsob = fd.log_sob_se(gamma) / np.log(10)
    files["time_series"] = str(out / "time_series.png")
    flare_light_curve(fd.t, lsob, w, path=files["time_series"],
                      gauss={"t0": g.t0, "sigma_t": g.sigma_t, "ns": g.ns},
                      box={"t_start": b.t_start, "t_stop": b.t_stop, "ns": b.ns},
                      reference_span=PUBLISHED["box_mjd"],
                      reference_label="published box (IceCube 2018)",
                      title=f"TXS 0506+056, IceCube {name}: events near the source",
                      live=(fd.tmin, fd.tmax))
    files["ts_profile"] = str(out / "ts_profile_t0.png")
    ts_curve_plot(prof["t0_mjd"], prof["ts"], "t0", path=files["ts_profile"], best=g.t0,
                  reference_span=PUBLISHED["box_mjd"],
                  reference_label="published box (IceCube 2018)",
                  title=f"Gaussian flare: TS profiled in $T_0$ (best TS {g.ts:.1f})")
    pg = pvals["gauss"]
    files["background_ts"] = str(out / "background_ts.png")
    background_ts_plot(pg["background_ts"], g.ts, path=files["background_ts"],
                       p_text=format_pvalue(pg, with_sigma=False).split(" from")[0],
                       title=f"Gaussian flare, {name}: RA- and time-scrambled background")
    if bayes is not None and bayes.mode_idata:
        m0 = bayes.modes[0]
        files["corner"] = str(out / "corner.png")
        corner_plot(bayes.mode_idata[0], ["ns", "gamma", "t0", "sigma_t"], path=files["corner"],
                    reference={"ns": PUBLISHED["gauss_ns"], "gamma": PUBLISHED["gauss_gamma"],
                               "t0": PUBLISHED["gauss_t0_mjd"],
                               "sigma_t": PUBLISHED["gauss_tw_days"] / 2},
                    reference_label="IceCube 2018 (T_W = 2 sigma_t)",
                    title=(f"NUTS posterior, flare mode 0 (T0 {m0['t0_range'][0]:.0f}-"
                           f"{m0['t0_range'][1]:.0f} MJD, posterior weight "
                           f"{m0['weight']:.2f})"))
    return files


def _pm(v: float, err: tuple[float, float] | float) -> str:
    if isinstance(err, tuple):
        return f"{v:g} +{err[0]:.1f} {err[1]:.1f}"
    return f"{v:g} ± {err:g}"


def _ci(p: dict[str, Any], k: str, fmt: str = "{:.3g}") -> str:
    q = p[k]
    return f"{fmt.format(q['median'])} [{fmt.format(q['eti'][0])}, {fmt.format(q['eti'][1])}]"


def comparison_rows(summary: dict[str, Any]) -> list[list[Any]]:
    """Rows (quantity, this package: likelihood fit, this package: posterior, published)."""
    g, b, P = summary["gauss"], summary["box"], PUBLISHED
    post = summary.get("bayes", {}).get("modes", [{}])[0].get("posterior") if summary.get(
        "bayes") else None
    pv = summary["p_local"]

    def bay(k, fmt="{:.3g}", scale=1.0):
        if not post:
            return "(not run)"
        q = dict(post[k])
        q = {"median": q["median"] * scale, "eti": [q["eti"][0] * scale, q["eti"][1] * scale]}
        return _ci({k: q}, k, fmt)

    return [
        ["Gaussian flare centre T0 (MJD)", g["t0"], bay("t0", "{:.1f}"),
         f"~{P['gauss_t0_mjd']:.0f}"],
        ["Gaussian width T_W = 2 sigma_t (days)", 2 * g["sigma_t"], bay("sigma_t", "{:.0f}", 2),
         _pm(P["gauss_tw_days"], P["gauss_tw_err_days"])],
        ["signal events ns (Gaussian)", g["ns"], bay("ns"), _pm(P["gauss_ns"],
                                                                P["gauss_ns_err"])],
        ["spectral index gamma (Gaussian)", g["gamma"], bay("gamma"),
         _pm(P["gauss_gamma"], P["gauss_gamma_err"])],
        ["TS (Gaussian flare)", g["ts"], "", "not quoted"],
        ["box window (MJD)", f"{b['t_start']:.2f} - {b['t_stop']:.2f}", "",
         f"{P['box_mjd'][0]} - {P['box_mjd'][1]}"],
        ["signal events ns (box)", b["ns"], "", "not compared"],
        ["local significance (Gaussian)", pv["gauss"]["text"], "",
         f"{P['significance_sigma']} sigma (time-dependent)"],
        ["local significance (box)", pv["box"]["text"], "", ""],
    ]


STATEMENT = (
    "We fit a neutrino flare with a Gaussian and a box time profile at the position of the "
    "blazar TXS 0506+056 in the public IceCube data release of IceCube 2018, with an unbinned "
    "likelihood, RA- and time-scrambled background trials for the local p-value, nautilus "
    "Bayes factors and a NUTS posterior per flare mode. {result}")


def _result_sentence(s: dict[str, Any]) -> str:
    g, pv = s["gauss"], s["p_local"]["gauss"]
    txt = (f"The flare is found in {s['best_sample']} at T0 = MJD {g['t0']:.0f} with "
           f"sigma_t = {g['sigma_t']:.0f} d, ns = {g['ns']:.1f} and gamma = {g['gamma']:.2f} "
           f"(TS {g['ts']:.1f}, local {format_pvalue(pv, with_sigma=True).split(' from')[0]}), "
           f"matching the published flare (T0 ~ 57004, T_W 110 d, ns 13.1, gamma 2.1) at a "
           "lower significance than the published 3.5 sigma")
    if s.get("bayes"):
        bf = s["bayes"]["bayes_factors"]
        txt += f"; ln B(flare / background) = {bf['ln_b_flare_vs_background']:.2f}"
    return txt + "."


def build_report(summary: dict[str, Any], files: dict[str, str], command: str | None = None
                 ) -> Report:
    """Step 5b: the HTML report of a demo summary (see :mod:`bayesnu.apps.report`)."""
    rep = Report("bayesnu demo: the 2014-15 neutrino flare of TXS 0506+056",
                 STATEMENT.format(result=_result_sentence(summary)), command=command)
    rep.add_table("Results beside the published ones",
                  ["quantity", "this package: likelihood fit",
                   "this package: posterior median [90%]", "IceCube 2018"],
                  comparison_rows(summary),
                  note=(f"Published: {PUBLISHED['reference']}. Local p-values from "
                        f"{summary['n_background_trials']:,} background trials per time "
                        "profile with 68% Clopper-Pearson intervals; a p-value with no trial "
                        "above the observed TS is an upper bound. T_W is read as 2 sigma_t."))
    if "corner" in files:
        rep.add_figure("corner", files["corner"], heading="Posterior",
                       caption="NUTS posterior in the main flare mode: 68% and 95% credible "
                               "regions; dashed lines: IceCube 2018.")
    rep.add_figure("time_series", files["time_series"], heading="Events and fitted flares",
                   caption="Events near TXS 0506+056 against time, coloured by their signal "
                           "weight in the Gaussian fit; right axis: fitted signal rate.")
    rep.add_figure("ts_profile", files["ts_profile"], heading="TS profile in T0",
                   caption="Gaussian-flare Delta TS profiled over ns, gamma and sigma_t; "
                           "dashed: Wilks thresholds 1.00 / 2.71 / 3.84 (68 / 90 / 95%).")
    rep.add_figure("background_ts", files["background_ts"], heading="Local p-value",
                   caption="Fraction of background trials with TS above x; the observed TS "
                           "and the resolution floor 1/(n+1).")
    if summary.get("bayes"):
        by = summary["bayes"]
        bf = by["bayes_factors"]
        rows = [["ln B flare vs background", bf["ln_b_flare_vs_background"]],
                ["ln B flare vs steady source", bf.get("ln_b_flare_vs_steady", float("nan"))]]
        for i, m in enumerate(by["modes"]):
            d = m["diagnostics"]
            rows += [[f"flare mode {i}: T0 range (MJD)",
                      f"{m['t0_range'][0]:.1f} - {m['t0_range'][1]:.1f}"],
                     [f"flare mode {i}: posterior weight", m["weight"]],
                     [f"flare mode {i}: max R-hat", max(d["rhat"].values())],
                     [f"flare mode {i}: min bulk ESS", min(d["ess_bulk"].values())],
                     [f"flare mode {i}: divergences", int(d["divergences"])]]
        rows.append(["posterior weight outside the modes", by["weight_rest"]])
        rep.add_table("Bayesian model comparison and diagnostics", ["quantity", "value"], rows,
                      note="nautilus evidences over all modes; NUTS per flare mode "
                           f"({by['settings']['chains']} chains x {by['settings']['draws']} "
                           f"draws, {by['settings']['tune']} tuning steps).")
    rep.add_text("Why our significance is lower", WHY_LOWER)
    rep.add_table("Per-sample flare TS", ["sample", "Gaussian TS", "box TS"],
                  [[k, v["gauss"], v["box"]] for k, v in summary["per_sample_ts"].items()])
    t = summary["timings_s"]
    rep.add_key_values("Run", {"data": summary["data"],
                               "background trials per profile": summary["n_background_trials"],
                               "seed": summary["seed"], "wall time (s)": t.get("total", 0.0)})
    return rep


def write_outputs(out: Path, summary: dict[str, Any], files: dict[str, str],
                  command: str | None = None) -> dict[str, str]:
    """Step 5c: ``summary.json``, ``summary.txt`` and ``report.html``, each written atomically."""
    from bayesnu.atomic import write_json, write_text
    from bayesnu.jsonio import to_jsonable

    files = dict(files)
    files["report"] = build_report(summary, files, command).write(out / "report.html")
    summary["files"] = files
    text = summary_text(summary, out)
    write_json(out / "summary.json", to_jsonable(summary))
    write_text(out / "summary.txt", text + "\n")
    summary["_text"] = text
    return files


def summary_text(s: dict[str, Any], out: Path) -> str:
    """The terminal summary of a demo run."""
    g, b = s["gauss"], s["box"]
    lines = [
        "bayesnu demo: the 2014-15 neutrino flare of TXS 0506+056 (IceCube 2018 release)",
        f"  best sample: {s['best_sample']}",
        f"  Gaussian flare: T0 = MJD {g['t0']:.1f}, sigma_t = {g['sigma_t']:.1f} d, "
        f"ns = {g['ns']:.1f}, gamma = {g['gamma']:.2f}, TS = {g['ts']:.2f}",
        f"    local {s['p_local']['gauss']['text']}",
        f"  box flare: MJD {b['t_start']:.2f} - {b['t_stop']:.2f}, ns = {b['ns']:.1f}, "
        f"gamma = {b['gamma']:.2f}, TS = {b['ts']:.2f}",
        f"    local {s['p_local']['box']['text']}",
        f"  published (IceCube 2018): box {PUBLISHED['box_mjd'][0]}-{PUBLISHED['box_mjd'][1]}; "
        f"Gaussian T0 ~{PUBLISHED['gauss_t0_mjd']:.0f}, T_W ~{PUBLISHED['gauss_tw_days']:.0f} d, "
        f"ns {_pm(PUBLISHED['gauss_ns'], PUBLISHED['gauss_ns_err'])}, gamma "
        f"{_pm(PUBLISHED['gauss_gamma'], PUBLISHED['gauss_gamma_err'])}, "
        f"{PUBLISHED['significance_sigma']} sigma",
    ]
    if s.get("bayes"):
        by = s["bayes"]
        bf = by["bayes_factors"]
        lines.append(f"  ln B flare vs background = {bf['ln_b_flare_vs_background']:.2f}, "
                     f"flare vs steady = {bf.get('ln_b_flare_vs_steady', float('nan')):.2f} "
                     "(nautilus, all modes)")
        for i, m in enumerate(by["modes"]):
            p, d = m["posterior"], m["diagnostics"]
            lines += [
                f"  flare mode {i}: T0 in [{m['t0_range'][0]:.1f}, {m['t0_range'][1]:.1f}] MJD, "
                f"posterior weight {m['weight']:.3f} +- {m['weight_err']:.3f}",
                "    NUTS median [90%]: " + ", ".join(
                    f"{k} {_ci(p, k, '{:.1f}' if k == 't0' else '{:.3g}')}"
                    for k in ("ns", "gamma", "t0", "sigma_t")),
                f"    diagnostics: {'ok' if d['ok'] else 'WARN ' + '; '.join(d['problems'])}: "
                f"max R-hat {max(d['rhat'].values()):.3f}, min bulk ESS "
                f"{min(d['ess_bulk'].values()):.0f}, divergences {d['divergences']}"]
    lines.append(f"  report: {out / 'report.html'} ({s['timings_s']['total']:.0f} s)")
    return "\n".join(lines)


#: units of the demo summary's fields (the ``units`` block of summary.json)
UNITS = {
    "ra": "deg", "dec": "deg", "t0": "MJD", "sigma_t": "days", "t_start": "MJD",
    "t_stop": "MJD", "ns": "events (expected signal)", "gamma": "dimensionless (E^-gamma)",
    "ts": "dimensionless (2 ln likelihood ratio)", "p": "probability",
    "sigma": "one-sided Gaussian standard deviations", "ln_b_*": "natural log of a Bayes factor",
    "weight": "posterior probability", "*_mjd": "MJD", "*_days": "days", "*_s": "seconds",
    "livetime_days": "days",
}


#: what the arrays of summary.json run over (the ``axes`` block)
AXES = {
    "ts_profile_t0.*": "the T0 grid (t0_mjd, 80 points)",
    "eti, hdi, interval, *_range, box_mjd, chain_starts_t0": "[lower, upper] "
    "(chain_starts_t0: one T0 per chain)",
    "posterior_all_modes_nautilus.*": "[5%, 50%, 95%] quantiles",
    "bayes.modes": "one entry per flare mode", "data_sets.txs0506.samples": "one per sample",
}


def run_demo(out_dir: str | os.PathLike | None = None, settings: DemoSettings | None = None,
             command: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Run the TXS 0506+056 flare demonstration and write its report folder.

    Parameters
    ----------
    out_dir : path, optional
        Output folder (default ``bayesnu_demo_<UTC time>`` in the working directory).
    settings : DemoSettings, optional
        Trials, NUTS, nautilus and progress settings; ``**kwargs`` override
        its fields (``seed=2``, ``n_trials=200``, ``bayes=False``...).
    command : str, optional
        The command line, recorded in the report.

    Returns
    -------
    dict
        The summary (as in ``summary.json``; ``_text`` is the terminal text).
    """
    from bayesnu.data import load
    from bayesnu.sources import resolve_source

    st = settings or DemoSettings()
    for k, v in kwargs.items():
        if not hasattr(st, k):
            raise TypeError(f"run_demo() got an unexpected keyword argument {k!r}")
        setattr(st, k, v)
    st.__post_init__()
    t_all = time.perf_counter()
    out = Path(out_dir) if out_dir else Path(time.strftime("bayesnu_demo_%Y%m%dT%H%M%S",
                                                           time.gmtime()))
    out.mkdir(parents=True, exist_ok=True)
    status = _Status(st.progress, 6 if st.bayes else 5)
    src = resolve_source("TXS 0506+056", online=False)
    ra, dec = src.ra, src.dec
    ds = load("txs0506")
    timings: dict[str, float] = {}

    status.step("Gaussian and box flare fits in the six samples ...")
    t = time.perf_counter()
    fits = fit_flares(ds, ra, dec)
    timings["fits"] = time.perf_counter() - t
    g, b = fits["gauss"], fits["box"]

    status.step(f"local p-values from {st.n_trials:,} scrambled trials per time profile ...")
    t = time.perf_counter()
    pvals = local_pvalues(fits["model"], ra, dec, {"gauss": g.ts, "box": b.ts}, st.n_trials,
                          np.random.default_rng(st.seed), progress=st.progress)
    timings["trials"] = time.perf_counter() - t

    status.step("TS profile in T0 (80 fits) ...")
    t = time.perf_counter()
    prof = t0_profile(fits["data"], g)
    timings["profile"] = time.perf_counter() - t

    summary: dict[str, Any] = {
        "source": "TXS 0506+056", "ra_deg": ra, "dec_deg": dec,
        "data": "txs0506 (IceCube 2018 TXS 0506+056 data release)", "seed": st.seed,
        "best_sample": fits["sample"], "gauss": g.as_dict(), "box": b.as_dict(),
        "per_sample_ts": fits["per_sample_ts"],
        "p_local": {k: {kk: vv for kk, vv in v.items() if kk != "background_ts"}
                    for k, v in pvals.items()},
        "n_background_trials": int(st.n_trials),
        "ts_profile_t0": {**prof, "axes": "every array runs over the T0 grid (t0_mjd)"},
        "published": PUBLISHED,
        "data_sets": {"txs0506": {
            "n_rows": int(ds.n_events), "livetime_days": float(ds.livetime_days),
            "samples": [{"name": s.name, "n_events": int(s.size),
                         "livetime_days": float(s.livetime_days)} for s in ds.samples]}},
        "units": UNITS,
        "axes": AXES,
    }
    bayes = None
    if st.bayes:
        status.step(f"nautilus evidences (flare, steady; {st.n_live} live points) and NUTS "
                    f"per flare mode ({st.chains} chains x {st.draws} draws on {st.cores} "
                    "cores); about 1-2 min ...")
        t = time.perf_counter()
        bayes = bayesian_flare(ds[fits["sample"]], ra, dec, g, st)
        timings["bayes"] = time.perf_counter() - t
        summary["bayes"] = bayes.to_dict()
    status.step("figures ...")
    t = time.perf_counter()
    files = make_figures(out, fits, prof, pvals, bayes)
    timings["figures"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t_all
    summary["timings_s"] = timings
    status.step(f"summary.json and report.html in {out}")
    write_outputs(out, summary, files, command)
    summary["out"] = str(out)
    return summary

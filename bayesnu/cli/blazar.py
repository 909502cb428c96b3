"""``bayesnu blazar``: neutrino-blazar correlations.

Commands: ``select`` (groups and catalogue cuts), ``spatial`` (counting test of
events around a group, RA-scrambled sources), ``stack`` (the Bayesian stacking
model of a group: ``fit``, ``sample``, ``evidence``, ``limit``, ``alerts``), and the
light-curve commands of :mod:`bayesnu.cli.blazar_lc` (``lightcurve``,
``classify``, ``dcf``, ``rtest``, ``simultaneity``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bayesnu.cli._options import (
    Opt,
    OptionError,
    add_options,
    common_options,
    data_option,
    output_file,
    report_option,
)
from bayesnu.cli.blazar_lc import _report
from bayesnu.errors import InputError
from bayesnu.pvalues import at_floor

__all__ = ["register"]

CUT_OPTIONS = [
    Opt("--dec-max", float, min=0.0, max=90.0, min_open=True, unit="deg",
        default_text="no cut", help="keep sources with |dec| <= this"),
    Opt("--b-min", float, min=0.0, max=90.0, max_open=True, unit="deg",
        default_text="no cut", help="keep sources with Galactic |b| >= this"),
    Opt("--var-min", float, min=0.0, max=1e9, default_text="no cut",
        help="keep sources with Fermi Variability_Index >= this (e.g. 18.48)"),
    Opt("--flux-min", float, min=0.0, max=1.0, unit="ph cm^-2 s^-1",
        default_text="no cut", help="keep sources with 4FGL 1-100 GeV flux >= this"),
]


def _group_opt(required: bool = True) -> Opt:
    return Opt("--group", str, required=required, metavar="NAME",
               default_text=None if required else "none (use --list-groups)",
               help="blazar group: TXS-like, CFS (published lists) or a catalogue class "
                    "(4LAC-FSRQ, 4LAC-BLL, 4LAC-BCU, 4LAC-LSP/ISP/HSP, 4LAC-DR2-..., "
                    "5BZCAT-BZQ/BZB/BZG/BZU/ALL); 'bayesnu blazar select --list-groups' "
                    "lists them")


def _status(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        sys.stderr.write(f"bayesnu: {text}\n")


def _cuts(args: argparse.Namespace):
    from bayesnu.blazar.groups import Cuts

    vals = {k: getattr(args, k, None) for k in ("dec_max", "b_min", "var_min", "flux_min")}
    return Cuts(**vals) if any(v is not None for v in vals.values()) else None


def _group(args: argparse.Namespace):
    from bayesnu.blazar.groups import get_group

    try:
        return get_group(args.group, _cuts(args))
    except InputError as e:
        raise OptionError("--group", e.reason) from None


def _data(args: argparse.Namespace):
    from bayesnu.data import Dataset, load

    ds = load(args.data)
    if not isinstance(ds, Dataset):
        raise OptionError("--data", f"{args.data!r} is a catalogue, not an event data set "
                                    "(use ic40, ic86_2011 or an event file)")
    return ds


def _simulated(ds) -> bool:
    """True for simulated, injected or scrambled events (reports then say SIMULATED data)."""
    if ds.format == "simulated" or ds.meta.get("simulated"):
        return True
    return any(bool(x.meta.get("simulated") or x.meta.get("scrambled")) for x in ds)


# ------------------------------------------------------------------ handlers

def _select(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.blazar.groups import CATALOG_GROUPS, NAMED_GROUPS, get_group

    if args.list_groups:
        rows = []
        for n in list(NAMED_GROUPS) + list(CATALOG_GROUPS):
            try:
                g = get_group(n, _cuts(args))
            except InputError:  # the cuts leave no source
                rows.append({"group": n, "n_sources": 0, "description": ""})
                continue
            rows.append({"group": n, "n_sources": len(g),
                         "description": g.meta.get("description", "")})
        text = "\n".join(f"{r['group']:15s} {r['n_sources']:5d}  {r.get('description', '')}"
                         for r in rows)
        return {"groups": rows, "n_groups": len(rows), "_text": text}
    if args.group is None:
        raise OptionError("--group", "give a group name (or --list-groups)")
    g = _group(args)
    out = g.to_dict(rows=args.list)
    text = [f"{g.name}: {len(g)} sources ({out['description']})"]
    if args.list:
        for r in out["sources"]:
            text.append(f"  {r['name']:24s} {r['ra']:9.4f} {r['dec']:+9.4f}")
    out["_text"] = "\n".join(text)
    return out


def _spatial(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.inference.blazar_spatial import plot_excess, spatial_test

    g = _group(args)
    ds = _data(args)
    r = spatial_test(ds, g, n_scrambles=args.n_scrambles, seed=args.seed,
                     angerr_max=args.angerr_max, progress=not args.quiet,
                     scramble=args.scramble)
    out = r.to_dict()
    out["simulated"] = _simulated(ds)
    for row in out["thresholds"]:   # p = 1/(N+1): no scramble reached N_obs, an upper bound
        row["p_value_at_floor"] = at_floor(row["p_value"], r.n_scrambles)
    if args.plot:
        plot_excess([r], args.plot, title=f"{g.name} on {ds.name}")
        out["plot"] = args.plot
    out["_text"] = r.text()
    _report(args, "spatial", out, r)
    return out


def _stack(args: argparse.Namespace) -> dict[str, Any]:
    import time

    import numpy as np

    from bayesnu.inference import blazar_stacking as bs

    action = args.action
    if action == "alerts":
        g = _group(args)
        res = bs.alert_association(g, mjd_max=args.mjd_max,
                                   weighting="flux" if args.weights == "lightcurve"
                                   else args.weights)
        res["alerts"] = res["alerts"][:args.top]
        lines = [f"{g.name} ({len(g)} sources) vs {res['n_alerts']} IceCat-1 alerts: "
                 f"f_mean {res['f_mean']:.3f}, f 90% UL {res['f_ul90']:.3f}, ln B "
                 f"{res['ln_bf_vs_no_association']:+.2f}, expected associated "
                 f"{res['expected_associated']:.2f}"]
        for a in res["alerts"]:
            lines.append(f"  {a['alert']:12s} s={a['signalness']:.2f} "
                         f"P(assoc)={a['p_association']:.3f}  {a['best_blazar']}")
        res["_text"] = "\n".join(lines)
        _report(args, "stack-alerts", res)
        return res
    if args.data is None:
        raise OptionError("--data", f"stack {action} needs --data")
    from bayesnu.blazar.stacking import group_likelihood

    g = _group(args)
    ds = _data(args)
    _status(args, f"building the stacking likelihood of {g.name} ({len(g)} sources) on "
                  f"{ds.name} ...")
    sim = _simulated(ds)
    t0 = time.perf_counter()
    if action == "evidence":
        res = bs.group_evidence(ds, g, weighting=args.weights, n_controls=args.n_controls,
                                ns_max=args.ns_max, seed=args.seed, n_live=args.n_live,
                                progress=not args.quiet)
        lines = [f"{g.name} on {ds.name}: ln B vs background {res['group']['ln_bf_vs_background']:+.2f}"
                 f" (grid {res['group']['ln_bf_grid']:+.2f})"]
        for c in res["controls"]:
            lines.append(f"  control {c['group']}: ln B(group vs control) "
                         f"{c['ln_bf_group_vs_control']:+.2f}")
        res["_text"] = "\n".join(lines)
        res["simulated"] = sim
        _report(args, "stack-evidence", res)
        return res
    gl = group_likelihood(ds, g, args.weights)
    if action == "fit":
        from bayesnu.inference.fit import fit

        best = fit(gl.likelihood)
        post = bs.fraction_posterior(gl, ns_max=args.ns_max)
        res = {"data": ds.name, "group": g.name, "n_sources": len(g), "weighting": args.weights,
               "n_events": gl.n_events, "best_fit": {"ns": best.ns, "gamma": best.gamma,
                                                     "ts": best.ts},
               "posterior": post.summary, "seconds": time.perf_counter() - t0}
        s = post.summary
        res["_text"] = (f"{g.name} on {ds.name} ({args.weights} weights): best ns "
                        f"{best.ns:.2f}, gamma {best.gamma:.2f}, TS {best.ts:.2f}; posterior ns "
                        f"median {s['ns_median']:.2f}, 90% UL {s['ns_ul90']:.2f}, signal fraction "
                        f"90% UL {s['f_ul90']:.3e}, ln B vs background "
                        f"{s['ln_bf_vs_background']:+.2f}")
        res["simulated"] = sim
        _report(args, "stack-fit", res, post)
        return res
    if action == "limit":
        res = bs.stacking_flux_limit(gl, gamma=args.gamma, ns_max=args.ns_max)
        res.update({"data": ds.name, "group": g.name})
        res["_text"] = (f"{g.name} on {ds.name}: 90% UL on the group flux at 100 TeV (E^-"
                        f"{args.gamma:g}): {res['flux_ul_profile_gev_cm2_s']:.3e} (profile), "
                        f"{res['flux_ul_bayes_gev_cm2_s']:.3e} (Bayes) GeV^-1 cm^-2 s^-1 = "
                        f"{100 * res['diffuse_fraction_profile']:.1f}% / "
                        f"{100 * res['diffuse_fraction_bayes']:.1f}% of the diffuse numu flux")
        res["simulated"] = sim
        _report(args, "stack-limit", res)
        return res
    # sample
    from bayesnu.inference.sample import posterior_summary, sample
    from bayesnu.models.blazar import blazar_model

    bm = blazar_model(gl, g, hierarchical=args.hierarchical, ns_max=args.ns_max,
                      per_event=not args.hierarchical)
    idata = sample(bm, draws=args.draws, tune=args.tune, chains=args.chains, cores=args.cores,
                   seed=args.seed, progressbar=not args.quiet)
    names = ["ns", "gamma", "signal_fraction"] + (["tau"] if args.hierarchical else [])
    summ = posterior_summary(idata, var_names=names)
    f = np.asarray(idata.posterior["signal_fraction"]).ravel()
    res = {"data": ds.name, "group": g.name, "n_sources": len(g), "weighting": args.weights,
           "hierarchical": args.hierarchical, "posterior": summ,
           "f_ul90": float(np.quantile(f, 0.9)),
           "divergences": int(idata.attrs.get("divergences", 0)),
           "sampling_seconds": float(idata.attrs.get("wall_time_s", 0.0))}
    res["_text"] = (f"{g.name} on {ds.name}: NUTS {args.chains} x {args.draws}; signal fraction "
                    f"90% UL {res['f_ul90']:.3e}; ns median {summ['ns']['median']:.2f}")
    res["simulated"] = sim
    _report(args, "stack-sample", res, idata)
    return res


# ------------------------------------------------------------------ registration

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("blazar", help="neutrino-blazar correlations (groups, spatial "
                                             "test, stacking model, light curves)",
                              description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="blazar_command", metavar="SUBCOMMAND", parser_class=type(p))

    c = sub.add_parser("select", help="blazar groups and catalogue cuts",
                       description="Select a blazar group (published TXS-like / CFS lists with "
                                   "4FGL-DR2 positions, or a catalogue class) with cuts.")
    add_options(c, [_group_opt(required=False), *CUT_OPTIONS,
                    Opt("--list", bool, help="list the selected sources"),
                    Opt("--list-groups", bool, help="list all group names and sizes"),
                    *common_options(seed=False)])
    c.set_defaults(handler=_select)

    c = sub.add_parser(
        "spatial", help="counting test of events around a group (RA-scrambled sources)",
        description="Events with log10(E_reco/GeV) >= x (x = 4.8 .. 6.0) and angular error "
                    "<= --angerr-max with at least one group blazar inside their error circle, "
                    "against RA scrambles of the blazars (and the closed form).")
    add_options(c, [
        data_option(help="event release: ic40, ic86_2011 or an event file (one release; "
                         "never mix releases)"),
        _group_opt(), *CUT_OPTIONS,
        Opt("--n-scrambles", int, default=100_000, min=1, max=10_000_000,
            help="RA scrambles of the group's sources"),
        Opt("--scramble", choices=("sources", "events"), default="sources",
            help="null model: RA scrambles of the group's sources (published method) or of "
                 "the events (keeps the sources' clustering; advisable for large catalogue "
                 "groups)"),
        Opt("--angerr-max", float, default=5.0, min=0.0, max=180.0, min_open=True, unit="deg",
            help="angular-error cut"),
        output_file("--plot", suffixes=(".png", ".pdf", ".svg"), required=False,
                    help="plot of the excess vs threshold with the scramble band"),
        report_option(),
        *common_options(),
    ])
    c.set_defaults(handler=_spatial)

    c = sub.add_parser(
        "stack", help="Bayesian stacking model of a group (fit, sample, evidence, limit, "
                      "alerts)",
        description="Stacking mixture in which every blazar of the group can emit: group ns "
                    "(signal fraction ns/N) and gamma, equal / flux / light-curve weights. "
                    "fit: best fit and grid posterior; sample: NUTS; evidence: nautilus ln B vs "
                    "background and vs same-size control groups; limit: 90% UL on the group "
                    "flux; alerts: IceCat-1 association probabilities (no --data).")
    add_options(c, [
        Opt("action", choices=("fit", "sample", "evidence", "limit", "alerts"),
            help="what to compute", required=True),
        data_option(required=False, default_text="none (needed except for alerts)",
                    help="event release: ic40, ic86_2011 or an event file"),
        _group_opt(), *CUT_OPTIONS,
        Opt("--weights", choices=("equal", "flux", "lightcurve"), default="equal",
            help="per-source weights (lightcurve: emission follows the 4FGL-DR2 yearly "
                 "light curve)"),
        Opt("--ns-max", float, default=100.0, min=0.0, max=1e6, min_open=True, unit="events",
            help="upper bound of the uniform ns prior"),
        Opt("--gamma", float, default=2.0, min=1.0, max=4.0, help="spectral index (limit)"),
        Opt("--hierarchical", bool, help="free per-source strengths with a HalfNormal(1) "
                                         "log-spread (sample)"),
        Opt("--draws", int, default=1000, min=10, max=1_000_000, help="NUTS draws per chain"),
        Opt("--tune", int, default=1000, min=10, max=1_000_000, help="NUTS tuning steps"),
        Opt("--chains", int, default=2, min=1, max=64, help="NUTS chains"),
        Opt("--cores", int, min=1, max=1024, default_text="all cores, at most one per chain",
            help="processes running the NUTS chains in parallel (sample)"),
        Opt("--n-controls", int, default=3, min=0, max=1000,
            help="control groups of the same size drawn from 4LAC blazars (evidence)"),
        Opt("--n-live", int, default=300, min=50, max=100_000, help="nautilus live points"),
        Opt("--mjd-max", float, min=0.0, max=1e6, unit="MJD", default_text="all alerts",
            help="use alerts up to this date (alerts)"),
        Opt("--top", int, default=10, min=1, max=100_000, help="alerts listed (alerts)"),
        report_option(),
        *common_options(),
    ])
    c.set_defaults(handler=_stack)

    from bayesnu.cli.blazar_lc import register_lightcurve_commands

    register_lightcurve_commands(sub)
    p.set_defaults(handler=None)

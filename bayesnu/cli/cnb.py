"""``bayesnu cnb``: propagation through the cosmic neutrino background and its cross sections."""

from __future__ import annotations

import argparse

import numpy as np

from bayesnu.cli._common import add_common
from bayesnu.errors import InputError


def _add_physics(p: argparse.ArgumentParser) -> None:
    m = p.add_mutually_exclusive_group()
    m.add_argument("--m1", type=float, default=None,
                   help="lightest neutrino mass [eV] (m1 for NO, m3 for IO; default 0.0342)")
    m.add_argument("--sum-m", type=float, default=None, help="sum of the neutrino masses [eV]")
    p.add_argument("--ordering", choices=("NO", "IO"), default="NO", help="mass ordering (NuFIT 2022)")
    p.add_argument("--theta12", type=float, default=None, help="override theta12 [deg]")
    p.add_argument("--theta13", type=float, default=None, help="override theta13 [deg]")
    p.add_argument("--theta23", type=float, default=None, help="override theta23 [deg]")
    p.add_argument("--delta-cp", type=float, default=None, help="override delta_CP [deg]")
    p.add_argument("--dm21", type=float, default=None, help="override Delta m^2_21 [eV^2]")
    p.add_argument("--dm31", type=float, default=None,
                   help="override Delta m^2_3l [eV^2] (31 for NO, 32 < 0 for IO)")
    p.add_argument("--g", type=float, default=None, help="secret-interaction coupling g_tautau")
    p.add_argument("--mphi-mev", type=float, default=None, help="mediator mass [MeV]")
    d = p.add_mutually_exclusive_group()
    d.add_argument("--majorana", dest="majorana", action="store_true", default=True,
                   help="Majorana neutrinos (default)")
    d.add_argument("--dirac", dest="majorana", action="store_false", help="Dirac neutrinos")
    p.add_argument("--no-sm", action="store_true", help="switch the Standard-Model scattering off")
    p.add_argument("--no-ee", action="store_true", help="switch nu nubar -> e+ e- off")


def _physics(args):
    from bayesnu.transport import (
        SecretInteraction,
        masses_from_lightest,
        masses_from_sum,
        nufit2022,
    )

    osc = nufit2022(args.ordering).with_overrides(
        theta12=args.theta12, theta13=args.theta13, theta23=args.theta23, delta_cp=args.delta_cp,
        dm21=args.dm21, dm3l=args.dm31)
    # re-validate after overrides
    type(osc).__post_init__(osc)
    if args.sum_m is not None:
        masses = masses_from_sum(args.sum_m, osc)
    else:
        masses = masses_from_lightest(0.0342 if args.m1 is None else args.m1, osc)
    si = None
    if (args.g is None) != (args.mphi_mev is None):
        raise InputError("secret interactions need both --g and --mphi-mev", column="g")
    if args.g is not None:
        si = SecretInteraction(args.g, args.mphi_mev, majorana=args.majorana)
    return osc, masses, si


def _propagate(args):
    from bayesnu.transport import (
        ConstantDensity,
        Cosmology,
        Neutrinos,
        Population,
        Propagator,
        Redshift,
        SolverOptions,
    )

    osc, masses, si = _physics(args)
    if args.mode == "population":
        if args.zmax is None:
            raise InputError("--mode population needs --zmax", column="zmax")
        if args.z is not None or args.d_eff_mpc is not None:
            raise InputError("--mode population takes --zmax, not --z or --d-eff-mpc", column="mode")
        geometry = Population(args.zmax, Cosmology(args.h0, args.omega_m))
    elif args.zmax is not None:
        raise InputError("--zmax needs --mode population", column="zmax")
    elif args.z is not None:
        if args.d_eff_mpc is not None:
            raise InputError("give either --d-eff-mpc or --z, not both", column="z")
        geometry = Redshift(args.z, Cosmology(args.h0, args.omega_m))
    else:
        geometry = ConstantDensity(14.0 if args.d_eff_mpc is None else args.d_eff_mpc)
    if args.eta is None or not np.isfinite(args.eta) or args.eta < 0:
        raise InputError("--eta must be a number >= 0", column="eta")
    neutrinos = Neutrinos(masses_ev=tuple(masses), osc=osc, flavour_ratio=tuple(args.flavour_ratio),
                          g=None if si is None else si.g, m_phi_mev=None if si is None else si.m_phi_mev,
                          majorana=args.majorana, sm=not args.no_sm, ee=not args.no_ee)
    prop = Propagator(geometry, neutrinos, SolverOptions(args.emin_gev, args.emax_gev, args.bins))
    res = prop.solve(args.eta, args.gamma)
    out = {
        "energy_gev": res.energy_gev,
        "ratio": {"e": res.ratio_flavour[0], "mu": res.ratio_flavour[1], "tau": res.ratio_flavour[2],
                  "sum": res.ratio_sum},
        "ratio_mass": res.ratio_mass,
        "numu_flux": res.numu_flux,
        "masses_ev": masses,
        "method": res.method,
        "mode": prop.mode,
    }
    lines = [f"# mode {prop.mode}, eta {args.eta:g}, gamma {args.gamma:g}, masses {np.round(masses, 5).tolist()} eV,"
             f" method {res.method}",
             "# E[GeV]      ratio_e    ratio_mu   ratio_tau  ratio_sum"]
    for k in range(0, res.energy_gev.size, max(1, res.energy_gev.size // 30)):
        r = res.ratio_flavour[:, k]
        lines.append(f"{res.energy_gev[k]:11.4e}  {r[0]:9.5f}  {r[1]:9.5f}  {r[2]:9.5f}  {res.ratio_sum[k]:9.5f}")
    out["_text"] = "\n".join(lines)
    return out


def _xsec(args):
    from bayesnu.transport import pmns_matrix, sigma_matrix

    osc, masses, si = _physics(args)
    E = np.asarray(args.energies_gev, dtype=float)
    if E.size == 0 or np.any(~np.isfinite(E)) or np.any(E <= 0):
        raise InputError("--energies-gev must be positive numbers", column="energies_gev")
    U = pmns_matrix(osc)
    sig = sigma_matrix(E, masses, U, si=si, sm=not args.no_sm, ee=not args.no_ee)
    out = {"energy_gev": E, "sigma_ij_cm2": sig, "absorption_cm2": sig.sum(axis=1), "masses_ev": masses}
    lines = ["# E[GeV]      absorption_1  absorption_2  absorption_3  [cm^2]"]
    for k, e in enumerate(E):
        a = out["absorption_cm2"][:, k]
        lines.append(f"{e:11.4e}  {a[0]:12.4e}  {a[1]:12.4e}  {a[2]:12.4e}")
    out["_text"] = "\n".join(lines)
    return out


def register(subparsers) -> None:
    p = subparsers.add_parser("cnb", help="propagation through the cosmic neutrino background (papers 002/003)")
    sub = p.add_subparsers(dest="cnb_command", metavar="SUBCOMMAND", parser_class=type(p))
    pp = sub.add_parser("propagate", help="transport a power-law flux; flux ratios per flavour and mass state")
    pp.add_argument("--gamma", type=float, default=2.0, help="spectral index of the source power law")
    pp.add_argument("--flavour-ratio", type=float, nargs=3, metavar=("E", "MU", "TAU"), default=[1.0, 2.0, 0.0],
                    help="source flavour composition (default 1 2 0)")
    pp.add_argument("--eta", type=float, default=1.0, help="relic overdensity n/n0 (default 1)")
    pp.add_argument("--d-eff-mpc", type=float, default=None,
                    help="constant-density distance [Mpc], no redshift (default 14)")
    pp.add_argument("--z", type=float, default=None, help="source redshift (bin-shift redshift solver)")
    pp.add_argument("--mode", choices=("source", "population"), default="source",
                    help="single source or star-formation-history population")
    pp.add_argument("--zmax", type=float, default=None, help="maximum redshift of the population")
    pp.add_argument("--h0", type=float, default=67.4, help="Hubble constant [km/s/Mpc]")
    pp.add_argument("--omega-m", type=float, default=0.315, help="matter density (flat Lambda-CDM)")
    pp.add_argument("--emin-gev", type=float, default=1e2, help="lowest energy [GeV]")
    pp.add_argument("--emax-gev", type=float, default=1e10, help="highest energy [GeV]")
    pp.add_argument("--bins", type=int, default=300, help="number of log energy bins")
    _add_physics(pp)
    add_common(pp, seed=False)
    pp.set_defaults(handler=_propagate)
    px = sub.add_parser("xsec", help="total cross sections sigma_ij (incoming i on relic j) and absorption")
    px.add_argument("--energies-gev", type=float, nargs="+", required=True, help="neutrino energies [GeV]")
    _add_physics(px)
    add_common(px, seed=False)
    px.set_defaults(handler=_xsec)
    from bayesnu.cli.cnb_analysis import register_analysis_commands

    register_analysis_commands(sub)

"""``bayesnu cnb``: propagation through the cosmic neutrino background and its cross sections."""

from __future__ import annotations

import numpy as np

from bayesnu.cli._options import Opt, add_options, common_options
from bayesnu.errors import InputError


def _physics_options() -> list[Opt]:
    """Neutrino masses, mixing and interactions shared by ``propagate`` and ``xsec``."""
    nufit = "NuFIT 2022 value of the ordering"
    return [
        Opt("--m1", float, min=0.0, max=2.0, unit="eV", default_text="0.0342",
            help="lightest neutrino mass (m1 for NO, m3 for IO)"),
        Opt("--sum-m", float, min=0.0, max=6.0, unit="eV", default_text="from --m1",
            help="sum of the neutrino masses (instead of --m1)"),
        Opt("--ordering", choices=("NO", "IO"), default="NO", help="mass ordering (NuFIT 2022)"),
        Opt("--theta12", float, min=0.0, max=90.0, unit="deg", default_text=nufit,
            help="override theta12"),
        Opt("--theta13", float, min=0.0, max=90.0, unit="deg", default_text=nufit,
            help="override theta13"),
        Opt("--theta23", float, min=0.0, max=90.0, unit="deg", default_text=nufit,
            help="override theta23"),
        Opt("--delta-cp", float, min=0.0, max=360.0, unit="deg", default_text=nufit,
            help="override delta_CP"),
        Opt("--dm21", float, min=0.0, max=1e-2, min_open=True, unit="eV^2", default_text=nufit,
            help="override Delta m^2_21"),
        Opt("--dm31", float, min=-1e-2, max=1e-2, unit="eV^2", default_text=nufit,
            help="override Delta m^2_3l (31 > 0 for NO, 32 < 0 for IO; type --dm31 -2.5e-3 "
                 "or --dm31=-2.5e-3)"),
        Opt("--g", float, min=0.0, max=10.0, default_text="none (no secret interaction)",
            help="secret-interaction coupling g_tautau (needs --mphi-mev)"),
        Opt("--mphi-mev", float, min=0.0, max=1e6, min_open=True, unit="MeV",
            default_text="none", help="secret-interaction mediator mass (needs --g)"),
        Opt("--dirac", bool, dest="majorana", action_false=True,
            help="Dirac neutrinos (without it: Majorana neutrinos)"),
        Opt("--no-sm", bool, help="switch the Standard-Model scattering off"),
        Opt("--no-ee", bool, help="switch nu nubar -> e+ e- off"),
    ]


_PHYSICS_RULES = {"exclusive": [("--m1", "--sum-m")],
                  "together": [("--g", "--mphi-mev")]}


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
    p = subparsers.add_parser("cnb", help="propagation through the cosmic neutrino background "
                              "and the CnuB constraints (Franklin et al.)")
    sub = p.add_subparsers(dest="cnb_command", metavar="SUBCOMMAND", parser_class=type(p))
    pp = sub.add_parser("propagate", help="transport a power-law flux; flux ratios per flavour "
                        "and mass state")
    add_options(pp, [
        Opt("--gamma", float, default=2.0, min=1.0, max=4.5,
            help="spectral index of the source power law"),
        Opt("--flavour-ratio", float, nargs=3, metavar=("E", "MU", "TAU"),
            default=[1.0, 2.0, 0.0], min=0.0, max=1e3,
            help="source flavour composition nu_e : nu_mu : nu_tau"),
        Opt("--eta", float, default=1.0, min=0.0, unit="n/n0",
            help="relic neutrino overdensity"),
        Opt("--d-eff-mpc", float, min=0.0, max=1e5, min_open=True, unit="Mpc",
            default_text="14", help="constant-density distance, no redshift"),
        Opt("--z", float, min=0.0, max=20.0, min_open=True, default_text="none",
            help="source redshift (bin-shift redshift solver)"),
        Opt("--mode", choices=("source", "population"), default="source",
            help="single source or star-formation-history population"),
        Opt("--zmax", float, min=0.0, max=20.0, min_open=True,
            default_text="none (needed by --mode population)",
            help="maximum redshift of the population"),
        Opt("--h0", float, default=67.4, min=10.0, max=200.0, unit="km/s/Mpc",
            help="Hubble constant"),
        Opt("--omega-m", float, default=0.315, min=0.0, max=1.0, min_open=True,
            help="matter density (flat Lambda-CDM)"),
        Opt("--emin-gev", float, default=1e2, min=1e-3, max=1e15, unit="GeV",
            help="lowest energy"),
        Opt("--emax-gev", float, default=1e10, min=1e-3, max=1e15, unit="GeV",
            help="highest energy"),
        Opt("--bins", int, default=300, min=2, max=5000, help="number of log energy bins"),
        *_physics_options(), *common_options(seed=False),
    ], exclusive=[*_PHYSICS_RULES["exclusive"], ("--z", "--d-eff-mpc")],
        together=_PHYSICS_RULES["together"])
    pp.set_defaults(handler=_propagate)
    px = sub.add_parser("xsec", help="total cross sections sigma_ij (incoming mass state i on "
                        "relic mass state j) and absorption")
    add_options(px, [
        Opt("--energies-gev", float, nargs="+", required=True, min=0.0, min_open=True,
            max=1e15, unit="GeV", help="neutrino energies"),
        *_physics_options(), *common_options(seed=False),
    ], exclusive=_PHYSICS_RULES["exclusive"], together=_PHYSICS_RULES["together"])
    px.set_defaults(handler=_xsec)
    from bayesnu.cli.cnb_analysis import register_analysis_commands

    register_analysis_commands(sub)
    from bayesnu.cli.cnb_sensitivity import register_sensitivity_commands

    register_sensitivity_commands(sub)

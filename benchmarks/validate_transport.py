"""Physics checks of the CnuB transport solver at the paper's resolution (issue 5, item 5).

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/validate_transport.py
Prints one line per check; the unit tests (tests/bayesnu/test_transport_*.py) assert the
same properties on small grids.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import simpson

from bayesnu.transport import (
    ConstantDensity,
    EnergyGrid,
    Neutrinos,
    Population,
    Propagator,
    Redshift,
    SecretInteraction,
    SolverOptions,
    StepControl,
    sigma_matrix,
)
from bayesnu.transport.reference import brute_force_ratio


def prop(grid, geometry, si=None, floor=1e-30, energy_correction=True, step=None, **nu):
    """Propagator on ``grid`` for ``geometry``; ``nu``: Neutrinos fields; ``si``: a SecretInteraction."""
    if si is not None:
        nu.update(g=si.g, m_phi_mev=si.m_phi_mev, majorana=si.majorana)
    opt = SolverOptions.from_grid(grid, floor=floor, energy_correction=energy_correction,
                                  step=step or StepControl())
    return Propagator(geometry, Neutrinos(**nu), opt)


def pairavg(r, grid):
    w = grid.widths
    f = (r.flux_mass[:, ::2] * w[::2] + r.flux_mass[:, 1::2] * w[1::2])
    g = (r.free_mass[:, ::2] * w[::2] + r.free_mass[:, 1::2] * w[1::2])
    return f / g


def main() -> None:
    g300 = EnergyGrid(1e2, 1e10, 300)
    g600 = EnergyGrid(1e2, 1e10, 600)
    ngc = prop(g300, ConstantDensity(14.0), m_lightest=0.034)
    # 1. eta -> 0
    r0 = ngc.solve(0.0, 3.15)
    r1 = ngc.solve(1e-10, 3.15)
    print(f"eta=0: max|ratio-1| = {np.max(np.abs(r0.ratio_mass - 1)):.1e};  eta=1e-10: {np.max(np.abs(r1.ratio_mass - 1)):.1e}")
    # 2. eigen vs implicit
    imp = prop(g300, ConstantDensity(14.0), m_lightest=0.034,
               step=StepControl(method="implicit", implicit_steps=128, implicit_levels=5))
    for eta in (1e13, 1e14, 1e15):
        a, b = ngc.solve(eta, 3.15), imp.solve(eta, 3.15)
        ok = b.ratio_mass > 1e-3
        print(f"eigen vs implicit (BE, 128 steps x 5 Richardson levels), eta={eta:.0e}: max rel diff "
              f"{np.max(np.abs(a.ratio_mass[ok] / b.ratio_mass[ok] - 1)):.1e} (bins with ratio > 1e-3)")
    # 3. 300 vs 600 bins
    for eta in (1e14, 1e15):
        a = prop(g300, ConstantDensity(14.0), m_lightest=0.034).solve(eta, 3.15)
        b = pairavg(prop(g600, ConstantDensity(14.0), m_lightest=0.034).solve(eta, 3.15), g600)
        for thr in (0.5, 0.1):
            ok = a.ratio_mass > thr
            print(f"300 vs 600 bins, eta={eta:.0e}: max rel diff of ratio {np.max(np.abs(a.ratio_mass[ok] / b[ok] - 1)):.2e}"
                  f" (ratio > {thr})")
    si = SecretInteraction(0.1, 10.0)
    a = prop(g300, ConstantDensity(14.0), sum_m=0.1, si=si).solve(1.0, 2.5)
    b = pairavg(prop(g600, ConstantDensity(14.0), sum_m=0.1, si=si).solve(1.0, 2.5), g600)
    er = [si.resonance_energy(m) for m in Neutrinos(sum_m=0.1).masses()]
    far = np.all([np.abs(np.log10(a.energy_gev / e)) > 0.3 for e in er], axis=0)
    ok = (a.ratio_mass > 0.1) & far[None]
    print(f"300 vs 600 bins, SI g=0.1 m_phi=10 MeV: max rel diff {np.max(np.abs(a.ratio_mass[ok] / b[ok] - 1)):.2e} "
          f"(> 0.3 dex from resonances); at resonances {np.max(np.abs(a.ratio_mass[~far[None] & (a.ratio_mass > 0.1)] / b[~far[None] & (a.ratio_mass > 0.1)] - 1)):.2e}")
    # 4. brute force at paper resolution (bin width of 300 bins over 8 decades) on 1e2..1e7
    gb = EnergyGrid(1e2, 1e7, 188)
    p = prop(gb, ConstantDensity(14.0), m_lightest=0.034)
    eta = 1e15
    ref = brute_force_ratio(p.masses, p.U, p.weights, 3.15, eta * p.n0 * p.d_cm, gb.edges,
                            nsteps=200)
    r = p.solve(eta, 3.15).ratio_mass.T
    for thr in (0.5, 0.1):
        ok = r > thr
        print(f"SM vs brute force (RK4, trapezoid, 4 sub-nodes/bin), eta=1e15, 188 bins 1e2-1e7: max rel diff "
              f"{np.max(np.abs(r[ok] / ref[ok] - 1)):.2e} (ratio > {thr})")
    # 5. redshift without interactions
    for z in (0.3365, 0.6):
        q = prop(g300, Redshift(z), sm=False)
        print(f"redshift z={z}, no interactions: max|ratio-1| = {np.max(np.abs(q.solve(1.0, 2.17).ratio_mass - 1)):.1e}")
    # 6. energy conservation
    ge = EnergyGrid(1e0, 1e10, 375)  # same bin width as 300 bins over 8 decades
    eps = 0.5 * (ge.edges[1:] ** 2 - ge.edges[:-1] ** 2)

    def etot(prop, eta):
        return float((prop.solve(eta, 2.0).flux_mass.sum(axis=0) * eps).sum())

    pe = prop(ge, ConstantDensity(14.0), ee=False, floor=0.0)
    praw = prop(ge, ConstantDensity(14.0), ee=False, floor=0.0, energy_correction=False)
    e0 = etot(pe, 0.0)
    for eta in (1e14, 1e15):
        print(f"elastic only, eta={eta:.0e}: energy change {etot(pe, eta) / e0 - 1:+.1e} "
              f"(without the energy-conserving correction {etot(praw, eta) / e0 - 1:+.1e})")
    pee = prop(ge, ConstantDensity(14.0), floor=0.0)
    eta = 1e15
    etas = np.concatenate([[0.0], np.geomspace(eta * 1e-9, eta, 400)])
    op = pee.op
    pw = np.arange(3)
    leak = np.einsum("jip,mp,p->mj", op.sm_C, op.sm_b, ge.edges[0] ** (pw + 2) / (pw + 2))
    ree, rlk = [], []
    for e in etas:
        x = pee.solve(e, 2.0).flux_mass.T
        ree.append(np.sum(eps[:, None] * op.loss_ee * x))
        rlk.append(np.sum(leak * x))
    taus = etas * pee.n0 * pee.d_cm
    lost = e0 - etot(pee, eta)
    print(f"with e+e-, eta=1e15: energy lost {lost / e0:.4f} of total; e+e- share {simpson(ree, x=taus) / e0:.4f}; "
          f"below-grid leak {simpson(rlk, x=taus) / e0:.1e}; mismatch {(lost - simpson(ree, x=taus) - simpson(rlk, x=taus)) / lost:+.1e}")
    # 7. eta limit order of magnitude
    sig = sigma_matrix(np.array([1e4, 1e5]), ngc.masses, ngc.U).sum(axis=1)
    eta1 = 1 / (ngc.n0 * sig.max(axis=0) * ngc.d_cm)
    print(f"tau = eta n0 sigma d = 1 at d = 14 Mpc, m1 = 0.034 eV: eta = {eta1[0]:.1e} (10 TeV), {eta1[1]:.1e} (100 TeV); "
          f"eta = 3.85e8 gives tau = {3.85e8 / eta1[1]:.1e} at 100 TeV")
    for m1 in (0.001, 0.0342, 0.8):
        pm = prop(EnergyGrid(1e2, 1e8, 120), ConstantDensity(14.0), m_lightest=m1)
        etas = np.logspace(10, 19, 181)
        F = pm.numu_flux_grid(etas, 3.15)
        e20 = np.searchsorted(pm.energy_gev, 2e4)
        sup = F[:, e20] / F[0, e20]
        k = np.argmax(sup < 0.5)
        print(f"m1={m1} eV: nu_mu flux at 20 TeV halved at eta ~ {etas[k]:.1e}")
    # 8. population across narrow resonances: default (etd2, one step per redshift step) vs converged
    for g in (0.1, 0.03):
        nu = dict(g=g, m_phi_mev=10.0)
        g800 = EnergyGrid(1e3, 1e7, 800)
        res = {}
        for name, step in (("etd2", StepControl()), ("etd x64", StepControl(scheme="etd", substeps=64)),
                           ("BE + Richardson", StepControl(scheme="be"))):
            res[name] = prop(g800, Population(5.0), step=step, **nu).solve(1.0, 2.5).ratio_flavour[1]
        ref = res["etd x64"]
        for thr in (0.1, 1e-2, 0.0):
            ok = ref > thr
            print(f"population g={g} m_phi=10 MeV m1=0.0342 eV, 800 bins 1e3-1e7 GeV, z_max 5: etd2 vs etd x64, "
                  f"max rel diff {np.max(np.abs(res['etd2'][ok] / ref[ok] - 1)):.1e} (ratio > {thr:g}); "
                  f"BE + Richardson {np.max(np.abs(res['BE + Richardson'][ok] / ref[ok] - 1)):.1e}, "
                  f"zeros {int(np.sum(res['BE + Richardson'][ok] == 0))}")
        print(f"   deepest bins: converged {np.sort(ref)[:3]}, etd2 {res['etd2'][np.argsort(ref)[:3]]}")


if __name__ == "__main__":
    main()

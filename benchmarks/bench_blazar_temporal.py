"""Speed of the light-curve and temporal-test pieces on the bundled real data.

Prints, after one warm-up call each (numba compilation excluded):

1. Bayesian blocks (p0 = 0.01, fallback 0.05) + flaring blocks + single-band
   classification of all 4FGL-DR2 light curves (target <= 30 s);
   the same blocks with astropy for comparison;
2. 1e4 control samples of R(t) over the full shift range [-3600, 3600] d
   (dT = 22 d, step 11 d: 655 shifts) for the 4FGL-DR2 sources in the IceCat-1
   regions (factors 1.1 and 1.5) (target <= 60 s);
3. 1e4 RA scrambles of R(0) for 7 windows (one enlargement factor);
4. 1e5 RA scrambles of the simultaneity test (4FGL-DR2 yearly x 3FGL monthly);
5. 1e4 control samples on *simulated* WISE-like curves (800 sources, 30 unequally spaced
   instantaneous points each; 165 pairs; dT = 570 d, shifts in steps of 360 d): the generic
   (compiled-loop) path used for users' own light curves.

Run: ``nice python benchmarks/bench_blazar_temporal.py`` (one core; set
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS=1 to pin BLAS to one thread).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from bayesnu.inference import blazar_temporal as BT  # noqa: E402

import bayesnu.lightcurve as L  # noqa: E402
from bayesnu.blazar import temporal as T  # noqa: E402


def _t(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return out, time.perf_counter() - t


def main() -> None:
    s4 = L.fermi_4fgl_dr2()
    # warm-up (compilation)
    L.classify_set(s4.subset(np.arange(20)))
    (fl, t_bl) = _t(L.find_flares_set, s4)
    (cl, t_cl) = _t(L.classify_set, s4, fl)
    print(f"[1] 4FGL-DR2: {s4.n_sources} curves: blocks+flares {t_bl:.2f} s, "
          f"classification {t_cl:.2f} s, total {t_bl + t_cl:.2f} s "
          f"(fell back to p0=0.05: {int(cl['fell_back'].sum())})")
    t = time.perf_counter()
    for j in range(s4.n_sources):
        L.bayesian_blocks(s4.curve(j), 0.01, engine="astropy")
    print(f"    astropy bayesian_blocks, one p0, all curves: {time.perf_counter() - t:.2f} s")

    m = T.select_variable(s4)
    sv = s4.subset(m)
    lev = T.flare_levels(sv)
    al = T.alerts_from_icecat()
    BT.rt_test(lev, sv.ra, sv.dec, al, 22.0, 1.1, n_control=10, seed=1, t_max=100)
    for f in (1.1, 1.5):
        r, dt = _t(BT.rt_test, lev, sv.ra, sv.dec, al, 22.0, f, n_control=10_000, seed=1)
        print(f"[2] R(t) factor {f}: {len(r.pairs)} pairs, {r.shifts.size} shifts, 1e4 control "
              f"samples {r.seconds['controls']:.2f} s (observed R(t) "
              f"{r.seconds['observed']:.2f} s, total {dt:.2f} s)")
    BT.scramble_r0(lev, sv.ra, sv.dec, al, [22.0], 1.1, 10, seed=1)
    dts = [11.0, 22.0, 30.0, 60.0, 90.0, 180.0, 365.0]
    (_, dt) = _t(BT.scramble_r0, lev, sv.ra, sv.dec, al, dts, 1.5, 10_000, seed=1)
    print(f"[3] 1e4 RA scrambles of R(0), 7 windows, factor 1.5: {dt:.2f} s")

    s3 = L.fermi_3fgl()
    i4, i3, _ = T.crossmatch(s4.ra, s4.dec, s3.ra, s3.dec, s4.columns["Conf_95_SemiMajor"],
                             s3.columns["Conf_95_SemiMajor"])
    cp = L.classify_pairs(L.find_flares_set(s4.subset(i4)), L.find_flares_set(s3.subset(i3)))
    ok = (cp["high_d"] > 0) & (cp["low_d"] > 0) & (np.abs(s4.columns["GLAT"][i4]) > 10)
    args = (cp["simultaneous_d"][ok], cp["total_d"][ok], s4.ra[i4][ok], s4.dec[i4][ok],
            s4.names[i4][ok], al)
    BT.simultaneity_test(*args, n_scrambles=10, seed=1)
    (r, dt) = _t(BT.simultaneity_test, *args, n_scrambles=100_000, seed=1)
    print(f"[4] simultaneity test, {ok.sum()} flaring pairs, 1e5 RA scrambles: {dt:.2f} s "
          f"(p = {r.p_value:.4f})")

    rng = np.random.default_rng(1)
    curves = []
    for j in range(800):
        t = np.sort(55200 + np.cumsum(rng.uniform(150, 210, 30)))
        curves.append(L.LightCurve(t, rng.lognormal(0, 0.4, 30), np.full(30, 0.1),
                                   name=f"simulated {j}"))
    levs = T.flare_levels(curves)
    pair_t = rng.uniform(55600, 59300, 165)
    sh = T.shift_grid(570.0, 3600.0, 360.0)
    BT.control_samples(levs, np.arange(165, 800), pair_t, sh, 570.0, 10, seed=1)
    (_, dt) = _t(BT.control_samples, levs, np.arange(165, 800), pair_t, sh, 570.0, 10_000,
                 seed=1)
    print(f"[5] generic path, simulated WISE-like curves: 1e4 control samples, 165 pairs, "
          f"{sh.size} shifts: {dt:.2f} s")


if __name__ == "__main__":
    main()

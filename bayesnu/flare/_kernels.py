"""Compiled (numba) inner loops of the flare search.

Every ns profile is solved by the one ns-profile solver of bayesnu,
:func:`bayesnu.likelihood.nsprofile.newton_ns`, with one sample (``F = 1``).
:func:`profile_ns_csr` applies it independently to many candidate flares whose
events are stored row-wise in CSR layout (``x[ptr[r]:ptr[r+1]]``), so
converged rows cost nothing, unlike a masked vectorised loop.
"""

from __future__ import annotations

import numba
import numpy as np

from bayesnu.likelihood.nsprofile import newton_ns


@numba.njit(cache=True, nogil=True)
def profile_ns_csr(x, ptr, n_other, n_total, max_iter=60, tol=1e-8):  # pragma: no cover - jit
    nrow = ptr.size - 1
    ns_out = np.zeros(nrow)
    llr_out = np.zeros(nrow)
    one = np.ones(1)
    zero = np.zeros(1)
    ntot = np.full(1, float(n_total))
    nother = np.empty(1)
    rptr = np.zeros(2, dtype=np.int64)
    longest = 0
    for r in range(nrow):
        longest = max(longest, ptr[r + 1] - ptr[r])
    work = np.empty((2, longest))
    for r in range(nrow):
        a0 = ptr[r]
        a1 = ptr[r + 1]
        nother[0] = n_other[r]
        rptr[1] = a1 - a0
        ns, llr = newton_ns(x[a0:a1], rptr, nother, ntot, one, zero, zero, work, 0.0, np.inf,
                            max_iter, tol)
        ns_out[r] = ns
        llr_out[r] = llr
    return ns_out, llr_out


@numba.njit(cache=True, nogil=True)
def rank_windows(tc, lse, t0, sg, lnorm, lo, hi, pen, n_total, live, gauss,
                 x_small=0.1):  # pragma: no cover - jit
    """TS of candidate flares with ns profiled, best over the rows of ``lse``.

    Parameters
    ----------
    tc : (n,) sorted event times; lse : (n_g, n) log spatial x energy S/B;
    t0, sg : candidate centres / widths (Gaussian) or starts / stops (box);
    lnorm : log of the temporal normalisation (Gaussian: uptime mass; box: live
    duration); lo, hi : event index window of each candidate; pen : TS penalty;
    gauss : Gaussian (True) or box (False) time PDF.

    Events with total S/B below ``x_small`` enter through a second-order
    expansion in ns/N when N > 1000 (ranking only; final fits are exact).
    """
    nc = t0.size
    ng = lse.shape[0]
    best_ts = np.full(nc, -np.inf)
    best_ns = np.zeros(nc)
    best_g = np.full(nc, -1, dtype=np.int64)
    N = float(n_total)
    lsq = 0.5 * np.log(2.0 * np.pi)
    llive = np.log(live)
    elt = np.empty(tc.size)
    buf = np.empty(tc.size)
    ese = np.exp(np.minimum(lse, 700.0))
    split = N > 1000.0
    # one-sample arguments of newton_ns
    one = np.ones(1)
    ntot = np.full(1, N)
    nother = np.empty(1)
    s1a = np.empty(1)
    s2a = np.empty(1)
    rptr = np.zeros(2, dtype=np.int64)
    work = np.empty((2, tc.size))
    for c in range(nc):
        m = hi[c] - lo[c]
        no = N - m
        for k in range(m):
            i = lo[c] + k
            if gauss:
                z = (tc[i] - t0[c]) / sg[c]
                lt = -0.5 * z * z - np.log(sg[c]) - lsq - lnorm[c] + llive
            else:
                lt = llive - lnorm[c]
            elt[k] = np.exp(lt if lt < 700.0 else 700.0)
        for gi in range(ng):
            nb = 0
            s1 = 0.0
            s2 = 0.0
            for k in range(m):
                x = elt[k] * ese[gi, lo[c] + k]
                if split and x < x_small:
                    d = x - 1.0
                    s1 += d
                    s2 += d * d
                else:
                    buf[nb] = x
                    nb += 1
            nother[0] = no
            s1a[0] = s1
            s2a[0] = s2
            rptr[1] = nb
            ns, llr = newton_ns(buf, rptr, nother, ntot, one, s1a, s2a, work, 0.0, np.inf, 60,
                                1e-8)
            ts = 2.0 * llr + pen[c]
            if ts > best_ts[c]:
                best_ts[c] = ts
                best_ns[c] = ns
                best_g[c] = gi
    return best_ts, best_ns, best_g

"""Compiled (numba) inner loops of the flare search.

:func:`profile_ns_csr` maximises ``log L/L0`` over ns independently for many
candidate flares whose events are stored row-wise in CSR layout (``x[ptr[r]:ptr[r+1]]``).
Each row runs its own safeguarded Newton iteration, so converged rows cost
nothing, unlike a masked vectorised loop.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def profile_ns_csr(x, ptr, n_other, n_total, max_iter=60, tol=1e-8):  # pragma: no cover - jit
    nrow = ptr.size - 1
    ns_out = np.zeros(nrow)
    llr_out = np.zeros(nrow)
    N = float(n_total)
    for r in range(nrow):
        a0 = ptr[r]
        a1 = ptr[r + 1]
        no = n_other[r]
        # gradient at ns = 0
        g0 = -no / N
        hi = N * (1.0 - 1e-9)
        nbig = 0.0
        for k in range(a0, a1):
            xm1 = x[k] - 1.0
            g0 += xm1 / N
            if xm1 < 0.0:
                lim = -N / xm1 * (1.0 - 1e-9)
                if lim < hi:
                    hi = lim
            else:
                nbig += 1.0
        if g0 <= 0.0:
            ns_out[r] = 0.0
            llr_out[r] = 0.0
            continue
        lo = 0.0
        ns = min(max(nbig, 1.0), 0.5 * hi)
        for _ in range(max_iter):
            g = -no / (N - ns)
            h = -no / (N - ns) ** 2
            a = ns / N
            for k in range(a0, a1):
                xm1 = x[k] - 1.0
                q = xm1 / (1.0 + a * xm1)
                g += q / N
                h -= q * q / (N * N)
            if g > 0.0:
                lo = ns
            else:
                hi = ns
            new = ns - g / h if h < 0.0 else 0.5 * (lo + hi)
            if not (new > lo and new < hi):
                new = 0.5 * (lo + hi)
            done = abs(new - ns) < tol * max(1.0, ns)
            ns = new
            if done:
                break
        a = ns / N
        s = no * np.log1p(-a)
        for k in range(a0, a1):
            s += np.log1p(a * (x[k] - 1.0))
        ns_out[r] = ns
        llr_out[r] = s
    return ns_out, llr_out

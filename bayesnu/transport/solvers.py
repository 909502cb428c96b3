"""Solvers of the binned transport equation.

* :func:`implicit_solve` - one backward (implicit) step (I + h A) y = b, top bin
  first with one 3x3 solve per bin (Franklin et al. 2025, App. A), flux floor applied.
* :func:`implicit_propagate` - constant density, backward-Euler steps with
  Richardson extrapolation (the reference solver, and the fallback of the eigen solver).
* :class:`EigenPropagator` - constant density, Phi(tau) = V exp(-tau Lambda) V^-1 Phi(0)
  for the block upper-triangular A; any number of tau values at the cost of one
  matrix product; exact d/dtau = -A Phi.
* :func:`etd_propagate` - number-conserving exponential step (option).
* :func:`eigen_step` - exact step exp(-tau A) x with a rounding check (redshift steps).
* :func:`redshift_propagate` - point source at redshift z, bin-shift scheme.
* :func:`redshift_propagate_columns` - the same for many initial spectra and overdensities
  in one pass (multi right-hand side; the transport is linear in the initial state).
* :func:`population_propagate` - diffuse flux of sources following the star-formation history.

Time variable: tau = n0 * eta * path length [cm^-2]; the operator A [cm^2] is per
unit relic density.
"""

from __future__ import annotations

import numpy as np

from bayesnu.transport._jit import jit
from bayesnu.transport.cosmology import Cosmology, sfr_yuksel2008
from bayesnu.transport.operator import TransportOperator

__all__ = [
    "implicit_solve",
    "implicit_propagate",
    "EigenPropagator",
    "advance",
    "block_eigenvalues",
    "redshift_propagate",
    "redshift_propagate_columns",
    "population_propagate",
]


@jit(cache=True)
def _solve3(M, r):
    """Solve a 3x3 system by Gaussian elimination with partial pivoting."""
    A = M.copy()
    b = r.copy()
    for c in range(3):
        p = c
        for q in range(c + 1, 3):
            if abs(A[q, c]) > abs(A[p, c]):
                p = q
        if p != c:
            for k in range(3):
                tmp = A[c, k]
                A[c, k] = A[p, k]
                A[p, k] = tmp
            tmp = b[c]
            b[c] = b[p]
            b[p] = tmp
        for q in range(c + 1, 3):
            f = A[q, c] / A[c, c]
            for k in range(c, 3):
                A[q, k] -= f * A[c, k]
            b[q] -= f * b[c]
    x = np.zeros(3)
    for c in range(2, -1, -1):
        acc = b[c]
        for k in range(c + 1, 3):
            acc -= A[c, k] * x[k]
        x[c] = acc / A[c, c]
    return x


@jit(cache=True, inline="always")
def _gain(n, i, a, C, S, u, acc_si, sub_gain, prev):
    """Regeneration into bin ``n``, state ``i``, from the bins above it.

    ``S`` holds the running sums over higher bins of the scattered flux per
    (state, target), ``acc_si`` the secret-interaction kernel sum and ``prev``
    the solution one bin up (its sub-diagonal gain).
    """
    g = 0.0
    for p in range(3):
        for j in range(3):
            g += a[n, p] * C[j, i, p] * S[j, p]
    g += u[i] * acc_si
    if n + 1 < prev.shape[0]:
        for j in range(3):
            g += sub_gain[n, i, j] * prev[n + 1, j]
    return g


@jit(cache=True)
def _implicit_kernel(B, h, loss, diag_gain, sub_gain, C, a, b, u, R, has_si, floor, mask_in, use_mask):
    """Solve (I + h A) Y = B for Y (N, 3); return Y and the mask of floored entries."""
    N = B.shape[0]
    Y = np.zeros((N, 3))
    mask = np.zeros((N, 3), dtype=np.bool_)
    S = np.zeros((3, 3))
    uy = np.zeros(N)
    M = np.zeros((3, 3))
    rhs = np.zeros(3)
    for n in range(N - 1, -1, -1):
        acc_si = 0.0
        if has_si:
            for m in range(n + 1, N):
                acc_si += R[n, m] * uy[m]
        for i in range(3):
            g = _gain(n, i, a, C, S, u, acc_si, sub_gain, Y)
            rhs[i] = B[n, i] + h * g
            for j in range(3):
                M[i, j] = -h * diag_gain[n, i, j]
            M[i, i] += 1.0 + h * loss[n, i]
        y = _solve3(M, rhs)
        for i in range(3):
            if use_mask:
                if mask_in[n, i]:
                    y[i] = 0.0
                    mask[n, i] = True
            elif y[i] < floor[n]:
                y[i] = 0.0
                mask[n, i] = True
            Y[n, i] = y[i]
        for j in range(3):
            for p in range(3):
                S[j, p] += b[n, p] * Y[n, j]
        uy[n] = u[0] * Y[n, 0] + u[1] * Y[n, 1] + u[2] * Y[n, 2]
    return Y, mask


def implicit_solve(op: TransportOperator, B: np.ndarray, h: float, floor=None, mask=None):
    """Solve (I + h A) Y = B (shape (N, 3)); entries below ``floor`` (per bin) become 0.

    Returns ``(Y, mask)``; pass a previous ``mask`` instead of ``floor`` to solve a
    tangent (derivative) system with the same zeroed entries.
    """
    N = op.nbins
    fl = np.full(N, -np.inf) if floor is None else np.broadcast_to(np.asarray(floor, float), (N,)).copy()
    use_mask = mask is not None
    mk = mask if use_mask else np.zeros((N, 3), dtype=np.bool_)
    return _implicit_kernel(np.ascontiguousarray(B, dtype=float), float(h), op.loss, op.diag_gain,
                            op.sub_gain, op.sm_C, op.sm_a, op.sm_b, op.si_u, op.si_R, op.has_si, fl, mk, use_mask)


def _be_steps(op, x0, tau, nsteps, floor, tangents=()):
    """``nsteps`` backward-Euler steps over optical time ``tau``.

    ``tangents`` is a sequence of ``(dx0, dtau)``: the derivative of the initial state
    and of ``tau`` with respect to one parameter (dtau = 0 for a parameter of the
    initial flux, 1 for tau itself, tau/eta for eta). Returns ``(x, [dx...])``, the
    exact derivatives of the discrete scheme.
    """
    h = tau / nsteps
    x = x0
    tg = [t[0] for t in tangents]
    for _ in range(nsteps):
        xn, mask = implicit_solve(op, x, h, floor)
        new_tg = []
        Ax = None
        for (_, dtau), dx in zip(tangents, tg):
            if dtau != 0:
                if Ax is None:
                    Ax = op.apply(xn)
                rhs = dx - (dtau / nsteps) * Ax
            else:
                rhs = dx
            dy, _ = implicit_solve(op, rhs, h, mask=mask)
            new_tg.append(dy)
        x, tg = xn, new_tg
    return x, tg


def implicit_propagate(op: TransportOperator, x0: np.ndarray, tau: float, nsteps: int = 64,
                       levels: int = 3, floor=None, tangents=()):
    """Constant-density propagation by backward Euler with Richardson extrapolation.

    Runs ``nsteps * 2**l`` steps for l = 0..levels-1 and eliminates the O(h), O(h^2), ...
    error terms (Romberg table for a first-order method). ``tangents`` as in
    :func:`_be_steps` (``(dx0, dtau)`` pairs); returns ``(x, [dx...])``.
    """
    if tau == 0:
        return x0.copy(), [t[0] - t[1] * op.apply(x0) for t in tangents]
    table = []
    for lev in range(levels):
        x, tg = _be_steps(op, x0, tau, nsteps * 2**lev, floor, tangents)
        row = [[x] + tg]
        for k in range(1, lev + 1):
            f = 2.0**k
            prev = table[lev - 1][k - 1]
            cur = row[k - 1]
            row.append([(f * c - p) / (f - 1) for c, p in zip(cur, prev)])
        table.append(row)
    best = table[-1][-1]
    x = best[0]
    tg = best[1:]
    if floor is not None:
        low = x < np.broadcast_to(np.asarray(floor), (x.shape[0],))[:, None]
        x = np.where(low, 0.0, x)
        tg = [np.where(low, 0.0, t) for t in tg]
    return x, tg


@jit(cache=True)
def _etd_kernel(X0, E, P1, P2, h, src_x, src_m, loss, sub_gain, C, a, b, u, R, has_si, floor, mask_in,
                use_mask):
    """One exponential step with time-averaged, number-conserving sources (top bin first).

    For bin n the gain from bins m > n is taken constant over the step and equal to
    g_n = sum_m G_nm xbar_m with xbar_m the time average of bin m over the step, so
    x_n(h) = E_n x_n(0) + P1_n g_n and xbar_n = (P1_n x_n(0) + P2_n g_n) / h, where
    E = exp(-h A_nn), P1 = int_0^h exp(-t A_nn) dt, P2 = int_0^h P1(t) dt (3x3 block
    functions). Exact for absorption and within-bin mixing; particles leaving bin m
    are exactly those regenerated below. ``src_x``/``src_m`` are extra terms added to
    x(h) and xbar (used by tangents). Returns (x(h), xbar, mask, g).
    """
    N = X0.shape[0]
    Y = np.zeros((N, 3))
    M = np.zeros((N, 3))
    G = np.zeros((N, 3))
    mask = np.zeros((N, 3), dtype=np.bool_)
    S = np.zeros((3, 3))
    uy = np.zeros(N)
    g = np.zeros(3)
    for n in range(N - 1, -1, -1):
        acc = 0.0
        if has_si:
            for m in range(n + 1, N):
                acc += R[n, m] * uy[m]
        for i in range(3):
            gi = _gain(n, i, a, C, S, u, acc, sub_gain, M)
            g[i] = gi
            G[n, i] = gi
        for i in range(3):
            y = src_x[n, i]
            ym = src_m[n, i]
            for j in range(3):
                y += E[n, i, j] * X0[n, j] + P1[n, i, j] * g[j]
                ym += (P1[n, i, j] * X0[n, j] + P2[n, i, j] * g[j]) / h
            if use_mask:
                if mask_in[n, i]:
                    y = 0.0
                    mask[n, i] = True
            elif y < floor[n]:
                y = 0.0
                mask[n, i] = True
            Y[n, i] = y
            M[n, i] = ym
        for j in range(3):
            for p in range(3):
                S[j, p] += b[n, p] * M[n, j]
        uy[n] = u[0] * M[n, 0] + u[1] * M[n, 1] + u[2] * M[n, 2]
    return Y, M, mask, G


def _block_eig(op: TransportOperator):
    """Eigen-decomposition of the 3x3 diagonal blocks A_nn (cached on the operator)."""
    cached = getattr(op, "_block_eig_cache", None)
    if cached is None:
        blocks = -op.diag_gain.copy()
        blocks[:, np.arange(3), np.arange(3)] += op.loss
        w, v = np.linalg.eig(blocks)
        real = not (np.iscomplexobj(w) and np.max(np.abs(w.imag)) > 1e-12 * np.max(np.abs(w.real)))
        w, v = w.real, v.real
        with np.errstate(all="ignore"):
            vinv = np.linalg.inv(v)
            cond = np.linalg.cond(v)
        ok = bool(real and np.all(np.isfinite(vinv)) and np.all(cond < 1e10))
        cached = (ok, w, v, vinv, blocks)
        op._block_eig_cache = cached
    return cached


def block_eigenvalues(op: TransportOperator) -> np.ndarray:
    """Real parts of the eigenvalues of A (those of its 3x3 diagonal blocks) [cm^2], (3N,)."""
    if not (np.all(np.isfinite(op.loss)) and np.all(np.isfinite(op.diag_gain))):
        raise ValueError("transport operator has non-finite entries")
    return _block_eig(op)[1].ravel()  # cached on the operator (real parts)


def _phi_functions(w: np.ndarray, h: float):
    """exp(-h w), int_0^h exp(-t w) dt and int_0^h int_0^t exp(-s w) ds dt, stable for small h w."""
    x = h * w
    ex = np.exp(-x)
    small = np.abs(x) < 1e-3
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        wsafe = np.where(small, 1.0, w)
        p1 = np.where(small, h * (1 - x / 2 + x**2 / 6 - x**3 / 24), -np.expm1(-x) / wsafe)
        p2 = np.where(small, h**2 * (0.5 - x / 6 + x**2 / 24 - x**3 / 120), (x + np.expm1(-x)) / wsafe**2)
    return ex, p1, p2


def etd_propagate(op: TransportOperator, x0: np.ndarray, tau: float, nsteps: int = 1, floor=None,
                  tangents=()):
    """Constant-density propagation with a number-conserving exponential scheme.

    Each step is exact for absorption and within-bin mixing (3x3 block exponentials);
    the regeneration into bin n uses the exact time average over the step of the
    higher bins, so particles removed from bin m reappear below (no loss or gain of
    number). Unconditionally stable and positive; accurate with one step per
    redshift step across narrow resonances. Falls back to :func:`implicit_propagate`
    if a diagonal block has complex or degenerate eigenvalues. ``tangents``:
    ``(dx0, dtau)`` pairs as in :func:`_be_steps`. Returns ``(x, [dx...])``.
    """
    ok, w, v, vinv, blocks = _block_eig(op)
    if not ok:
        return implicit_propagate(op, x0, tau, nsteps=2 * nsteps, levels=2, floor=floor, tangents=tangents)
    if tau == 0:
        return x0.copy(), [t[0] - t[1] * op.apply(x0) for t in tangents]
    N = op.nbins
    fl = np.full(N, -np.inf) if floor is None else np.broadcast_to(np.asarray(floor, float), (N,)).copy()
    h = tau / nsteps
    ex, p1, p2 = _phi_functions(w, h)
    E = np.einsum("nik,nk,nkj->nij", v, ex, vinv)
    P1 = np.einsum("nik,nk,nkj->nij", v, p1, vinv)
    P2 = np.einsum("nik,nk,nkj->nij", v, p2, vinv)
    zero = np.zeros((N, 3))
    nomask = np.zeros((N, 3), dtype=np.bool_)
    x = np.ascontiguousarray(x0, dtype=float)
    tg = [np.ascontiguousarray(t[0], dtype=float) for t in tangents]
    args = (op.loss, op.sub_gain, op.sm_C, op.sm_a, op.sm_b, op.si_u, op.si_R, op.has_si)
    for _ in range(nsteps):
        xn, xm, mask, g = _etd_kernel(x, E, P1, P2, h, zero, zero, *args, fl, nomask, False)
        new_tg = []
        for (_, dtau), dx in zip(tangents, tg):
            if dtau != 0:
                dh = dtau / nsteps
                # d/dh of E x0 + P1 g (g fixed) = -A E x0 + E g ; d/dh of xbar = (x(h) - xbar)/h
                sx = dh * (np.einsum("nij,nj->ni", E, g) - np.einsum("nij,njk,nk->ni", blocks, E, x))
                sm = dh * (xn - xm) / h
            else:
                sx = sm = zero
            dy, _, _, _ = _etd_kernel(dx, E, P1, P2, h, np.ascontiguousarray(sx), np.ascontiguousarray(sm),
                                      *args, fl, mask, True)
            new_tg.append(dy)
        x, tg = xn, new_tg
    return x, tg


@jit(cache=True, inline="always", error_model="numpy")
def _phi5(x):
    """Dimensionless step functions of x = h a (a an eigenvalue of a diagonal block).

    e = exp(-x); p1 = (1 - e)/x; p2 = (x - 1 + e)/x^2; q = (1 - e (1 + x))/x^2;
    r = (1/2 - q)/x: with h, P1 = h p1, P2 = h^2 p2, int_0^h u e^{-au} du = h^2 q and
    int_0^h u P1(u) du = h^3 r. Series below |x| = 1e-2 (no cancellation).
    """
    e = np.exp(-x)
    if abs(x) < 1e-2:
        x2 = x * x
        p1 = 1.0 - x / 2 + x2 / 6 - x2 * x / 24 + x2 * x2 / 120
        p2 = 0.5 - x / 6 + x2 / 24 - x2 * x / 120 + x2 * x2 / 720
        q = 0.5 - x / 3 + x2 / 8 - x2 * x / 30 + x2 * x2 / 144
        r = 1.0 / 3 - x / 8 + x2 / 30 - x2 * x / 144 + x2 * x2 / 840
    else:
        em1 = e - 1.0 if x > 0.5 else np.expm1(-x)  # one transcendental where no cancellation
        p1 = -em1 / x
        p2 = (x + em1) / (x * x)
        q = (1.0 - e * (1.0 + x)) / (x * x)
        r = (0.5 - q) / x
    return e, p1, p2, q, r


@jit(cache=True, inline="always", error_model="numpy")
def _phi1_inverse(rho):
    """y >= 0 with (1 - exp(-y)) / y = rho, for 0 < rho < 1 (Newton, bracketed)."""
    lo = 0.0
    hi = 2.0 / rho + 2.0
    d = 1.0 - rho  # rho >= 1/2: series inverse of 1 - rho = y/2 - y^2/6 + y^3/24 - ...
    y = 1.0 / rho if rho < 0.5 else d * (2.0 + d * (4.0 / 3.0 + d * (10.0 / 9.0)))
    for _ in range(60):
        e, p1, p2, q, r = _phi5(y)
        f = p1 - rho
        step = f / q  # Newton: d p1 / dy = -q
        if abs(step) <= 1e-12 * (1.0 + y):
            return y + step
        if f > 0.0:
            lo = y
        else:
            hi = y
        yn = y + step
        if not (lo < yn < hi):
            yn = 0.5 * (lo + hi)
        y = yn
    return y


@jit(cache=True, inline="always", error_model="numpy")
def _pulse_integrals(w, ew, p1w, kap, ek, p1k, h):
    """For g(s) = exp(-kap s): int_0^h e^{-w (h - s)} g(s) ds and its time integral over [0, h]
    (second-order divided differences of exp(-lam h) and (1 - exp(-lam h))/lam); ew, p1w and
    ek, p1k are ``_phi5``'s e and p1 at w h and kap h."""
    d = (w - kap) * h
    if abs(d) < 1e-3:
        e, p1, p2, q, r = _phi5(0.5 * (w + kap) * h)
        return h * e, h * h * q
    return h * (ek - ew) / d, h * h * (p1k - p1w) / d


@jit(cache=True, error_model="numpy")
def _si_tile_update(acc, R, rows0, rows1, m0, m1, UU):
    """acc[n - rows0, :] += sum_{m0 <= m < m1} R[n, m] UU[m, :] for rows0 <= n < rows1 (m > n only)."""
    for m in range(m0, m1):
        um = UU[m]
        for n in range(rows0, min(rows1, m)):
            rr = R[n, m]
            if rr != 0.0:
                an = acc[n - rows0]
                for c in range(um.size):
                    an[c] += rr * um[c]


@jit(cache=True, error_model="numpy", native=("f8[:,:]", "f8[:,:]", "i8[:]", "f8[:]", "f8[:]", "f8[:]", "i8[:]", "f8[:,:]", "f8[:,:,:]",
                         "f8[:,:,:]", "f8[:,:,:]", "f8[:,:,:]", "f8[:,:]", "f8[:,:]", "f8[:]", "f8[:,:]", "b1",
                         "f8[:]", "i8", "f8[:,:,:]", "f8[:,:,:]", "f8[:,:,:]", "f8[:,:,:]", "f8[:,:]", "f8[:,:]",
                         "f8[:,:]", "f8[:,:,:]", "f8[:,:]"))
def _etd2_stages(x_init, spec, shift, ratio, inj, hs, lowest, w, v, vinv, sub_gain, C, a, b, u, R, has_si,
                 floor, tile, X, Y, M, SS, UU, acc, small, II, out):
    """Stages s = 0 .. S-1 of exponential steps of x' = -A x with modelled gain profiles, all in
    one sweep over the bins (top bin first).

    Stage s starts from X_s[n] = ratio[s] P[n + shift[s]] + inj[s] spec[n] (P = x_init for
    s = 0, else the end of stage s - 1; shift 0: P[n] itself, ratio 1) and ends at
    Y_s = X_s if hs[s] == 0, else after one step of length hs[s]:

    For bin n the diagonal 3x3 block is exact. The gain g(s) from the bins above is
    known at the start of the step (g0, from their initial values), at its end (gh)
    and on average (gbar, from their exact time averages: particles leaving bin m over
    the step are exactly those regenerated below), because the bins above are solved
    first. Each component is modelled as
      * a decaying pulse g(s) = gh + (g0 - gh) exp(-kap s) when g0 > gbar > gh >= 0
        (kap from the mean: a strongly absorbing bin above empties early in the step);
      * otherwise a ramp g(s) = gh + (gbar - gh) 2 (1 - s/h), gh limited to [0, 2 gbar].
    Both keep g >= 0 and the exact mean (positivity, number conservation); a strongly
    absorbing bin follows its end-of-step gain (quasi-steady state), so narrow
    resonances need no sub-steps. Entries below ``floor[n]`` become 0.

    Bin n of stage s needs stage s - 1 only in bins >= n (>= n + shift[s]), so one sweep
    over the bins advances every stage: for each bin, the stages in order. Bins below
    ``lowest[s]`` of stage s are skipped: when later stages shift the spectrum down by
    lowest[s] bins in all, they leave the grid without reaching a bin that is kept. The
    secret-interaction gain sum_{m > n} R[n, m] (u . x_m) of every stage is accumulated
    per tile of ``tile`` bins (rows of R streamed once per sweep, not once per stage).
    Writes the end of the last stage into ``out`` (N, 3). Work arrays (no allocation here, so
    the kernel runs as exported native code, see :mod:`bayesnu.transport._jit`): X, Y, M
    (S, N, 3), SS (3 S, 3, 3) zeros, UU (N, 3 S), acc (tile, 3 S), small (12, 3), II (2, 3, 3).
    """
    N = x_init.shape[0]
    S = hs.size
    S0 = SS[0:S]  # running sums over higher bins of b x(0), b xbar, b x(h) per stage
    SM = SS[S:2 * S]
    SY = SS[2 * S:3 * S]
    gz = small[0]
    gb = small[1]
    ge = small[2]
    kap = small[3]
    ek = small[4]
    p1k = small[5]
    pulse = small[6]  # 1.0 where the gain is modelled as a pulse
    fe = small[7]
    f1 = small[8]
    f2 = small[9]
    fq = small[10]
    fr = small[11]
    I1 = II[0]
    I2 = II[1]
    n1 = N
    while n1 > 0:
        n0 = max(n1 - tile, 0)
        if has_si:
            acc[:, :] = 0.0
            _si_tile_update(acc, R, n0, n1, n1, N, UU)
        for n in range(n1 - 1, n0 - 1, -1):
            for s in range(S):
                if n < lowest[s]:
                    continue
                k = shift[s]
                for i in range(3):
                    if s == 0:
                        p = x_init[n + k, i] if n + k < N else 0.0
                    else:
                        p = Y[s - 1, n + k, i] if n + k < N else 0.0
                    X[s, n, i] = (ratio[s] * p if k > 0 else p) + inj[s] * spec[n, i]
                h = hs[s]
                if h == 0.0:
                    for i in range(3):
                        Y[s, n, i] = X[s, n, i]
                        M[s, n, i] = X[s, n, i]
                else:
                    acc0 = 0.0
                    accM = 0.0
                    accY = 0.0
                    if has_si:
                        acc0 = acc[n - n0, 3 * s]
                        accM = acc[n - n0, 3 * s + 1]
                        accY = acc[n - n0, 3 * s + 2]
                    for i in range(3):
                        g0 = 0.0
                        g1 = 0.0
                        g2 = 0.0
                        for p in range(3):
                            for j in range(3):
                                c = a[n, p] * C[j, i, p]
                                g0 += c * S0[s, j, p]
                                g1 += c * SM[s, j, p]
                                g2 += c * SY[s, j, p]
                        g0 += u[i] * acc0
                        g1 += u[i] * accM
                        g2 += u[i] * accY
                        if n + 1 < N:
                            for j in range(3):
                                g0 += sub_gain[n, i, j] * X[s, n + 1, j]
                                g1 += sub_gain[n, i, j] * M[s, n + 1, j]
                                g2 += sub_gain[n, i, j] * Y[s, n + 1, j]
                        pulse[i] = 0.0
                        if g2 >= 0.0 and g0 > g1 > g2 and g1 > 0.0:
                            rho = (g1 - g2) / (g0 - g2)
                            if 1e-300 < rho < 0.999:
                                pulse[i] = 1.0
                                y = _phi1_inverse(rho)
                                kap[i] = y / h
                                ek[i], p1k[i], _, _, _ = _phi5(y)
                        if pulse[i] == 0.0:
                            if g2 < 0.0:
                                g2 = 0.0
                            elif g2 > 2.0 * g1:
                                g2 = 2.0 * g1
                        gz[i] = g0
                        gb[i] = g1
                        ge[i] = g2
                    for kk in range(3):
                        fe[kk], f1[kk], f2[kk], fq[kk], fr[kk] = _phi5(h * w[n, kk])
                        for j in range(3):
                            if pulse[j] != 0.0:
                                I1[kk, j], I2[kk, j] = _pulse_integrals(w[n, kk], fe[kk], f1[kk], kap[j], ek[j],
                                                                        p1k[j], h)
                    for i in range(3):
                        y = 0.0
                        ym = 0.0
                        for j in range(3):
                            cE = 0.0
                            c1 = 0.0
                            c2 = 0.0
                            cq = 0.0
                            cr = 0.0
                            for kk in range(3):
                                vv = v[n, i, kk] * vinv[n, kk, j]
                                cE += vv * fe[kk]
                                c1 += vv * f1[kk]
                                c2 += vv * f2[kk]
                                if pulse[j] != 0.0:
                                    cq += vv * I1[kk, j]
                                    cr += vv * I2[kk, j]
                                else:
                                    cq += vv * fq[kk]
                                    cr += vv * fr[kk]
                            y += cE * X[s, n, j] + h * c1 * ge[j]
                            ym += c1 * X[s, n, j] + h * c2 * ge[j]
                            if pulse[j] != 0.0:
                                dg = gz[j] - ge[j]
                                y += cq * dg
                                ym += cr * dg / h
                            else:
                                dg = gb[j] - ge[j]
                                y += 2.0 * h * cq * dg
                                ym += 2.0 * h * cr * dg
                        if y < floor[n]:
                            y = 0.0
                        Y[s, n, i] = y
                        M[s, n, i] = ym
                for j in range(3):
                    for p in range(3):
                        S0[s, j, p] += b[n, p] * X[s, n, j]
                        SM[s, j, p] += b[n, p] * M[s, n, j]
                        SY[s, j, p] += b[n, p] * Y[s, n, j]
                UU[n, 3 * s] = u[0] * X[s, n, 0] + u[1] * X[s, n, 1] + u[2] * X[s, n, 2]
                UU[n, 3 * s + 1] = u[0] * M[s, n, 0] + u[1] * M[s, n, 1] + u[2] * M[s, n, 2]
                UU[n, 3 * s + 2] = u[0] * Y[s, n, 0] + u[1] * Y[s, n, 1] + u[2] * Y[s, n, 2]
            if has_si and n > n0:
                _si_tile_update(acc, R, n0, n, n, n + 1, UU)
        n1 = n0
    for n in range(N):
        for i in range(3):
            out[n, i] = Y[S - 1, n, i]


#: Stages per call of ``_etd2_stages`` (memory ~ 5 x 3 N x stages floats).
_ETD2_CHUNK = 256
#: Bins per tile of the secret-interaction gain sums.
_ETD2_TILE = 32


def etd2_stages(op: TransportOperator, x0: np.ndarray, spec: np.ndarray, shift, ratio, inj, hs, floor=None):
    """Run the stages of ``_etd2_stages`` (in chunks of ``_ETD2_CHUNK``) from ``x0``; returns x (N, 3).

    Stage s: shift the state down ``shift[s]`` bins (times ``ratio[s]``), add ``inj[s] * spec``,
    then one exponential step of length ``hs[s]`` (none if 0). The diagonal blocks must have
    a real, well-conditioned eigen-decomposition (``_block_eig(op)[0]``).
    """
    c64 = np.ascontiguousarray
    _, w, v, vinv, _ = _block_eig(op)
    w, v, vinv = c64(w, dtype=float), c64(v, dtype=float), c64(vinv, dtype=float)
    N = op.nbins
    fl = np.full(N, -np.inf) if floor is None else np.broadcast_to(np.asarray(floor, float), (N,)).copy()
    x = c64(x0, dtype=float)
    spec = c64(spec, dtype=float)
    shift = c64(shift, dtype=np.int64)
    ratio, inj, hs = (c64(t, dtype=float) for t in (ratio, inj, hs))
    ops = tuple(c64(t, dtype=float) for t in (op.sub_gain, op.sm_C, op.sm_a, op.sm_b, op.si_u, op.si_R))
    # bins of stage s below the total shift of the stages after it cannot reach the result
    lowest = np.zeros(hs.size, dtype=np.int64)
    lowest[:-1] = np.cumsum(shift[::-1])[::-1][1:]
    for c in range(0, hs.size, _ETD2_CHUNK):
        sl = slice(c, c + _ETD2_CHUNK)
        S = hs[sl].size
        out = np.empty((N, 3))
        _etd2_stages(x, spec, shift[sl], ratio[sl], inj[sl], hs[sl], lowest[sl], w, v, vinv, *ops, bool(op.has_si),
                     fl, _ETD2_TILE, np.zeros((S, N, 3)), np.zeros((S, N, 3)), np.zeros((S, N, 3)),
                     np.zeros((3 * S, 3, 3)), np.zeros((N, 3 * S)), np.zeros((_ETD2_TILE, 3 * S)), np.zeros((12, 3)),
                     np.zeros((2, 3, 3)), out)
        x = out
    return x


def etd2_propagate(op: TransportOperator, x0: np.ndarray, tau: float, nsteps: int = 1, floor=None):
    """Constant-density propagation with the exponential scheme of ``_etd2_stages``.

    Positive, number-conserving, exact for absorption and within-bin mixing, and it
    follows strongly absorbing bins (narrow resonances) with one step per redshift
    step. The map is not linear in x0 (the gain model adapts), so derivatives are taken
    by differences of whole solutions (see ``Propagator``). Falls back to
    :func:`implicit_propagate` if a diagonal block has complex or degenerate eigenvalues.
    Returns ``(x, [])``.
    """
    ok = _block_eig(op)[0]
    if not ok:
        return implicit_propagate(op, x0, tau, nsteps=2 * nsteps, levels=2, floor=floor)
    if tau == 0:
        return x0.copy(), []
    h = tau / nsteps
    zero = np.zeros(nsteps)
    x = etd2_stages(op, x0, np.zeros_like(x0), np.zeros(nsteps, dtype=np.int64), np.ones(nsteps), zero,
                    np.full(nsteps, h), floor)
    return x, []


class EigenPropagator:
    """Phi(tau) = exp(-tau A) Phi(0) from the eigen-decomposition of the block-triangular A.

    The eigenvalues are those of the 3x3 diagonal blocks; eigenvectors follow by
    block back-substitution using the structure of the gains (separable SM kernel,
    rank-one secret interactions); V^-1 x is a block back-substitution too. ``ok`` is
    False when eigenvalues are
    complex or (near-)degenerate eigenvalues make V singular; in addition every
    evaluation returns a componentwise rounding-error estimate
    eps * (|V| |exp(-tau lam) c|), so callers can fall back to
    :func:`implicit_propagate` where cancellation is large (resonances).
    """

    def __init__(self, op: TransportOperator):
        self.op = op
        N = op.nbins
        n3 = 3 * N
        blocks = op.diag_gain * -1.0
        blocks[:, np.arange(3), np.arange(3)] += op.loss  # A_nn (N, 3, 3)
        w, v = np.linalg.eig(blocks)
        self.ok = True
        self.reason = ""
        if np.iscomplexobj(w) and np.max(np.abs(w.imag)) > 1e-12 * np.max(np.abs(w.real)):
            self.ok = False
            self.reason = "complex eigenvalues"
        w, v = w.real, v.real
        lam = w.reshape(n3)
        V = np.zeros((n3, n3))
        for p in range(N):
            V[3 * p:3 * p + 3, 3 * p:3 * p + 3] = v[p]
        # block back-substitution for the eigenvectors, using the structure of the
        # off-diagonal gain (SM: separable suffix sums; SI: rank one in mass states)
        eye = np.eye(3)
        S = np.zeros((3, 3, n3))  # S[p, j, :] = sum_{m > n} b[m, p] V[3m + j, :]
        W = np.zeros((N, n3))  # W[m, :] = u . V[3m:3m+3, :]
        CT = np.transpose(op.sm_C, (2, 1, 0))  # CT[p, i, j] = C[j, i, p]
        with np.errstate(all="ignore"):
            for n in range(N - 1, -1, -1):
                c0 = 3 * (n + 1)
                if n < N - 1:
                    # gain into bin n from bins m > n, for the columns c0: (eigenvalues of higher bins)
                    g = np.einsum("p,pij,pjc->ic", op.sm_a[n], CT, S[:, :, c0:])
                    if op.has_si:
                        g = g + np.outer(op.si_u, op.si_R[n, n + 1:] @ W[n + 1:, c0:])
                    g = g + op.sub_gain[n] @ V[c0:c0 + 3, c0:]
                    mats = blocks[n][None] - lam[c0:, None, None] * eye[None]
                    if not np.any(g):
                        X = np.zeros((n3 - c0, 3))
                    else:
                        try:
                            X = np.linalg.solve(mats, g.T[:, :, None])[:, :, 0]
                        except np.linalg.LinAlgError:
                            X = np.full((n3 - c0, 3), np.nan)
                    V[3 * n:3 * n + 3, c0:] = X.T
                rows = V[3 * n:3 * n + 3]
                S += op.sm_b[n][:, None, None] * rows[None]
                W[n] = op.si_u @ rows
        norms = np.linalg.norm(V, axis=0)
        if not np.all(np.isfinite(V)) or np.any(norms == 0) or not np.all(np.isfinite(norms)):
            self.ok = False
            self.reason = "degenerate eigenvalues"
            norms = np.where(np.isfinite(norms) & (norms > 0), norms, 1.0)
            V = np.nan_to_num(V, posinf=0.0, neginf=0.0)
        V /= norms
        self.lam = lam
        self.V = V
        self.lam_max = float(np.max(np.abs(lam))) if lam.size else 0.0
        # The normwise condition number of V is astronomically large (eigenvalues span
        # many decades) yet block-triangular solves stay accurate componentwise, so the
        # check that matters is a posteriori: the rounding bound eps |V| |e c| of each
        # evaluation relative to the result (see ``propagate``).

    def coefficients(self, x0: np.ndarray) -> np.ndarray:
        """c = V^-1 x0 (block back-substitution) for x0 of shape (N, 3) or (N, 3, k)."""
        flat = np.ascontiguousarray(x0.reshape(3 * self.op.nbins, -1), dtype=float)
        return _block_backsolve(self.V, flat)

    def propagate(self, c: np.ndarray, taus, project: np.ndarray | None = None, deriv: bool = False,
                  base: np.ndarray | None = None):
        """Fluxes at each tau (optionally projected: ``project`` (k, 3N)), and d/dtau.

        With ``base`` (= V c, i.e. the initial state, projected like the output), rows with
        tau * max|lam| < 1 are computed as base + V (expm1(-tau lam) c), so tau -> 0 returns
        the initial flux exactly. Returns arrays of shape (ntau, 3N) (or (ntau, k)), with
        ``deriv`` the d/dtau (else None), and a componentwise rounding-error bound
        eps * |V| |(exp(-tau lam) [- 1]) c|.
        """
        taus = np.atleast_1d(np.asarray(taus, dtype=float))
        c = c.reshape(-1)
        if project is None:
            P = self.V
        else:
            key = id(project)
            if getattr(self, "_proj_key", None) != key:
                self._proj_key, self._projV = key, project @ self.V
                self._projV_abs = np.abs(self._projV).T.astype(np.float32)
            P = self._projV
        arg = -np.outer(taus, self.lam)
        ex = np.exp(arg)
        E = ex * c[None, :]
        small = np.zeros(taus.size, dtype=bool)
        if base is not None:
            small = taus * self.lam_max < 1.0
            if np.any(small):
                E[small] = np.expm1(arg[small]) * c[None, :]
        out = E @ P.T
        if base is not None and np.any(small):
            out[small] += base.reshape(1, -1)
        absP = np.abs(P).T.astype(np.float32) if project is None else self._projV_abs
        err = np.finfo(float).eps * 64 * (np.abs(E).astype(np.float32) @ absP).astype(float)
        d = ((ex * c[None, :]) * (-self.lam)[None, :]) @ P.T if deriv else None
        return out, d, err


@jit(cache=True)
def _block_backsolve(V, B):
    """Solve V X = B for block upper-triangular V (3x3 diagonal blocks)."""
    n3 = V.shape[0]
    N = n3 // 3
    k = B.shape[1]
    X = np.zeros((n3, k))
    for n in range(N - 1, -1, -1):
        r0 = 3 * n
        for col in range(k):
            rhs = np.zeros(3)
            for i in range(3):
                acc = B[r0 + i, col]
                for q in range(r0 + 3, n3):
                    acc -= V[r0 + i, q] * X[q, col]
                rhs[i] = acc
            x = _solve3(V[r0:r0 + 3, r0:r0 + 3].copy(), rhs)
            for i in range(3):
                X[r0 + i, col] = x[i]
    return X


@jit(cache=True)
def _block_backsolve_rows(V, B):
    """:func:`_block_backsolve` with the column loop innermost (many right-hand sides).

    Per column the operations and their order are those of :func:`_block_backsolve`
    (bitwise the same result); the inner loop runs over contiguous columns.
    """
    n3 = V.shape[0]
    N = n3 // 3
    k = B.shape[1]
    X = np.zeros((n3, k))
    acc = np.empty((3, k))
    M = np.empty((3, 3))
    rhs = np.empty(3)
    for n in range(N - 1, -1, -1):
        r0 = 3 * n
        for i in range(3):
            for col in range(k):
                acc[i, col] = B[r0 + i, col]
            for q in range(r0 + 3, n3):
                v = V[r0 + i, q]
                if v != 0.0:
                    for col in range(k):
                        acc[i, col] -= v * X[q, col]
        for i in range(3):
            for j in range(3):
                M[i, j] = V[r0 + i, r0 + j]
        for col in range(k):
            for i in range(3):
                rhs[i] = acc[i, col]
            x = _solve3(M, rhs)
            for i in range(3):
                X[r0 + i, col] = x[i]
    return X


@jit(cache=True)
def _block_upper_matmul(V, C):
    """Y = V C and B = |V| |C| for block upper-triangular V (3x3 diagonal blocks).

    One fixed summation order per entry (ascending column of V), whatever the number of
    columns of C, so one column or many give bitwise the same result.
    """
    n3 = V.shape[0]
    k = C.shape[1]
    Y = np.zeros((n3, k))
    B = np.zeros((n3, k))
    absC = np.abs(C)
    for row in range(n3):
        r0 = 3 * (row // 3)
        for q in range(r0, n3):
            v = V[row, q]
            if v != 0.0:
                av = abs(v)
                for col in range(k):
                    Y[row, col] += v * C[q, col]
                    B[row, col] += av * absC[q, col]
    return Y, B


def _eigen_apply(eig: EigenPropagator, X: np.ndarray, taus: np.ndarray, floor, tol: float,
                 joint: bool = False):
    """exp(-tau_j A) X_j for the columns of ``X`` (3N, k) with a rounding check; ``(Y, ok)``.

    First Y = V (exp(-tau lam) c) with c = V^-1 X; its rounding bound is
    eps |V| |exp(-tau lam) c|. Where that bound exceeds ``tol`` times a relevant entry of
    Y (|Y| above 1e-15 of the column's input maximum and above the floor), the column is
    re-evaluated as Y = X + V (expm1(-tau lam) c), whose bound eps (|V| |expm1(-tau lam) c|
    + |X|) is small when little is absorbed (small tau: the first form then loses the
    result to the cancellation of reconstructing X from eigen-coefficients). ``ok`` is
    False where both forms fail; the caller redoes those columns. ``joint``: all columns
    share one tau, only column 0 is checked and the others follow its form (tangents).
    No floor is applied to Y.
    """
    c = _block_backsolve_rows(eig.V, X)
    arg = -np.outer(eig.lam, taus)
    Y, bound = _block_upper_matmul(eig.V, np.ascontiguousarray(np.exp(arg) * c))
    fmin = 0.0 if floor is None else float(np.min(floor))
    thr = np.maximum(1e-15 * np.max(np.abs(X), axis=0), fmin)
    if joint:
        thr = np.full(X.shape[1], thr[0])

    def passes(Y, bound, cols):
        err = np.finfo(float).eps * 64 * bound
        bad = (np.abs(Y) > thr[cols][None, :]) & (err > tol * np.abs(Y))
        ok = ~np.any(bad, axis=0)
        return np.full(len(cols), ok[0]) if joint else ok

    ok = passes(Y, bound, np.arange(X.shape[1]))
    redo = np.flatnonzero(~ok)
    if redo.size:
        Yb, bb = _block_upper_matmul(eig.V, np.ascontiguousarray(np.expm1(arg[:, redo]) * c[:, redo]))
        Yb += X[:, redo]
        bb += np.abs(X[:, redo])
        okb = passes(Yb, bb, redo)
        Y[:, redo[okb]] = Yb[:, okb]
        ok[redo[okb]] = True
    return Y, ok


def eigen_step(eig: EigenPropagator, x: np.ndarray, tau: float, floor=None, tangents=(),
               tol: float = 1e-8):
    """Exact step x <- exp(-tau A) x with the eigen-decomposition; None if rounding is too large.

    ``tangents``: ``(dx, dtau)`` pairs as in :func:`_be_steps`. The floor (per bin) is
    applied to the result and its tangents. The evaluation and its rounding check are
    those of :func:`_eigen_apply` (tangents follow the form chosen for ``x``).
    """
    op = eig.op
    N = op.nbins
    cols = [x] + [t[0] for t in tangents]
    X = np.ascontiguousarray(np.stack(cols, axis=-1).reshape(3 * N, -1), dtype=float)
    yv, ok = _eigen_apply(eig, X, np.full(X.shape[1], float(tau)), floor, tol, joint=True)
    if not ok[0]:
        return None
    y = yv.reshape(N, 3, -1)
    x0 = y[:, :, 0]
    out = [x0]
    Ay = None
    for k, (_, dtau) in enumerate(tangents):
        d = y[:, :, k + 1]
        if dtau != 0:
            if Ay is None:
                Ay = op.apply(np.ascontiguousarray(x0))
            d = d - dtau * Ay
        out.append(d)
    if floor is not None:
        low = out[0] < np.broadcast_to(np.asarray(floor), (N,))[:, None]
        out = [np.where(low, 0.0, v) for v in out]
    return out[0], out[1:]


def advance(op: TransportOperator, x: np.ndarray, tau: float, scheme: str, *,
            eig: EigenPropagator | None = None, floor=None, substeps: int = 1, levels: int = 2,
            tangents=(), tol: float = 1e-8):
    """One step x <- exp(-tau A) x of a redshift scheme (the single step dispatch).

    ``scheme``: "eigen" (exact exponential from ``eig``; where its rounding check fails,
    backward Euler with 8 x ``substeps`` steps and 3 Richardson levels), "etd"
    (number-conserving exponential step, ``substeps`` sub-steps), "etd2" (second-order
    exponential step, :func:`etd2_propagate`) or "be" (backward
    Euler, ``substeps`` steps and ``levels`` Richardson levels). ``tangents``:
    ``(dx, dtau)`` pairs as in :func:`_be_steps`. ``tol``: relative rounding bound of the
    "eigen" step (:func:`eigen_step`). Returns ``(x, [dx...])``.
    """
    if scheme == "eigen" and eig is not None and eig.ok:
        res = eigen_step(eig, x, tau, floor=floor, tangents=tangents, tol=tol)
        if res is not None:
            return res
        return implicit_propagate(op, x, tau, nsteps=8 * substeps, levels=3, floor=floor, tangents=tangents)
    if scheme == "etd":
        return etd_propagate(op, x, tau, nsteps=substeps, floor=floor, tangents=tangents)
    if scheme == "etd2":
        if tangents:
            raise ValueError("the etd2 scheme has no tangents; differentiate whole solutions")
        return etd2_propagate(op, x, tau, nsteps=substeps, floor=floor)
    return implicit_propagate(op, x, tau, nsteps=substeps, levels=levels, floor=floor, tangents=tangents)


def _shift_down(x: np.ndarray, r: float, k: int = 1) -> np.ndarray:
    """Redshift by k bins: comoving number in bin n+k moves to bin n (x is per unit energy);
    ``r`` is the energy ratio of the shift (10^(k dlog10))."""
    out = np.zeros_like(x)
    out[:-k] = r * x[k:]
    return out


def redshift_steps(z: float, dlog10: float) -> tuple[np.ndarray, float]:
    """Redshift nodes of the bin-shift scheme for a source at z.

    Returns ``(z_nodes, frac)``: z_nodes[0] = z, z_nodes[1] = the first node with an
    integer number of bin shifts to z = 0 (fractional step of ``frac`` bins first),
    then 1 + z_{a+1} = (1 + z_a) / 10^dlog10 down to z_nodes[-1] = 0.
    """
    nz = np.log10(1.0 + z) / dlog10
    n_int = int(np.floor(nz + 1e-12))
    frac = max(nz - n_int, 0.0)
    r = 10.0**dlog10
    ints = r ** np.arange(n_int, -1, -1, dtype=float) - 1.0
    ints[-1] = 0.0
    return np.concatenate([[z], ints]), frac


def redshift_propagate(op: TransportOperator, x1: np.ndarray, z: float, eta: float, n0: float,
                       cosmo: Cosmology, floor=None, substeps: int = 1, levels: int = 2,
                       tangents=(), scheme: str = "eigen", eig: EigenPropagator | None = None,
                       tol: float = 1e-8):
    """Propagate a point-source flux from redshift ``z`` to 0 with the bin-shift scheme.

    Parameters
    ----------
    op
        Operator on the (extended) grid; its energies are physical energies at the
        current redshift, so it is the same at every step.
    x1
        Comoving spectrum (N, 3) at the first integer node z_nodes[1], i.e. the source
        spectrum already redshifted analytically by the fractional step.
    eta, n0
        Overdensity and relic density today [cm^-3]; n(z) = eta n0 (1+z)^3.
    substeps, levels
        Sub-steps per redshift step; Richardson levels (``scheme="be"`` only).
    tangents
        ``(dx1, kind)`` with kind ``"eta"`` or ``"lin"``.
    scheme
        ``"eigen"`` (exact exponential step from ``eig``, falling back to backward Euler
        with Richardson extrapolation when its rounding check fails; default),
        ``"be"`` (backward Euler of Franklin et al. 2025, with Richardson levels) or ``"etd"``.
    eig
        :class:`EigenPropagator` of ``op`` (needed for ``scheme="eigen"``).
    tol
        Relative rounding bound of the exponential step; above it the step falls back.

    Notes
    -----
    The fractional first step (less than one bin) is applied to the power law
    analytically by the caller; its interactions are applied here on the fixed grid.
    Each following step shifts the comoving spectrum down one bin (E -> E/r,
    dN/dE -> r dN/dE) and then applies the interactions accumulated over
    [z_{a+1}, z_a], tau_a = eta n0 c int (1+z)^2 dz / H(z), with an implicit/exponential step.
    """
    r = 10.0**op.grid.dlog10
    zn, frac = redshift_steps(z, op.grid.dlog10)
    x = x1
    tg = [t[0] for t in tangents]
    kinds = [t[1] for t in tangents]
    for a in range(len(zn) - 1):
        z_hi, z_lo = zn[a], zn[a + 1]
        if a > 0:
            x = _shift_down(x, r)
            tg = [_shift_down(t, r) for t in tg]
        if z_hi <= z_lo or eta == 0:
            continue
        tau = eta * n0 * cosmo.column_length_cm(z_lo, z_hi, power=3)
        tans = [(t, tau / eta if k == "eta" else 0.0) for t, k in zip(tg, kinds)]
        x, tg = advance(op, x, tau, scheme, eig=eig, floor=floor, substeps=substeps, levels=levels,
                        tangents=tans, tol=tol)
    return x, tg


def _eigen_step_columns(eig: EigenPropagator, X: np.ndarray, taus: np.ndarray, floor, tol: float):
    """exp(-tau_j A) x_j for the columns of ``X`` (3N, k); returns ``(Y, ok)``.

    ``ok[j]`` is False where the rounding check of :func:`_eigen_apply` (that of
    :func:`eigen_step`, column by column) fails; those columns must be redone by the
    caller. The floor is applied to the others.
    """
    N = eig.op.nbins
    Y, ok = _eigen_apply(eig, np.ascontiguousarray(X), taus, floor, tol)
    if floor is not None:
        fl = np.repeat(np.broadcast_to(np.asarray(floor, float), (N,)), 3)
        Y = np.where(Y < fl[:, None], 0.0, Y)
    return Y, ok


def redshift_propagate_columns(op: TransportOperator, X1: np.ndarray, z: float, etas, n0: float,
                               cosmo: Cosmology, floor=None, substeps: int = 1, levels: int = 2,
                               scheme: str = "eigen", eig: EigenPropagator | None = None,
                               tol: float = 1e-8) -> np.ndarray:
    """:func:`redshift_propagate` for many initial spectra and overdensities in one pass.

    The transport is linear in the initial state and the bin shift is the same for every
    column, so all (eta, spectrum) pairs step through the redshift nodes together: per
    step one block back-substitution with many right-hand sides and one matrix product
    (instead of one of each per solve). Each column gets the result of
    ``redshift_propagate(op, X1[..., j], z, etas[j], ...)`` (same step, same rounding
    check, same floor; columns whose exponential step fails the check are redone by
    backward Euler exactly as :func:`advance` does).

    Parameters
    ----------
    op
        Operator on the extended working grid (N bins).
    X1
        Comoving spectra at the first integer redshift node, shape (N, 3, k)
        (per unit energy [GeV^-1], mass-state index second).
    z
        Source redshift.
    etas
        Relic overdensity of each column, shape (k,) (>= 0).
    n0
        Relic density today [cm^-3].
    cosmo
        :class:`~bayesnu.transport.cosmology.Cosmology` of the column lengths.
    floor, substeps, levels, scheme, eig
        As in :func:`redshift_propagate`.
    tol
        Relative rounding tolerance of the exponential step (``eigen_step``'s ``tol``).

    Returns
    -------
    numpy.ndarray
        Spectra at z = 0, shape (N, 3, k).
    """
    X = np.array(X1, dtype=float, copy=True)
    if X.ndim != 3 or X.shape[:2] != (op.nbins, 3):
        raise ValueError(f"X1 must have shape ({op.nbins}, 3, k), got {X.shape}")
    etas = np.broadcast_to(np.asarray(etas, dtype=float), (X.shape[2],))
    r = 10.0**op.grid.dlog10
    zn, _ = redshift_steps(z, op.grid.dlog10)
    use_eig = scheme == "eigen" and eig is not None and eig.ok
    N = op.nbins
    for a in range(len(zn) - 1):
        z_hi, z_lo = zn[a], zn[a + 1]
        if a > 0:
            X[:-1] = r * X[1:]
            X[-1] = 0.0
        if z_hi <= z_lo:
            continue
        taus = etas * n0 * cosmo.column_length_cm(z_lo, z_hi, power=3)
        act = np.flatnonzero(etas != 0)
        if act.size == 0:
            continue
        if use_eig:
            Y, ok = _eigen_step_columns(eig, X[:, :, act].reshape(3 * N, act.size), taus[act], floor, tol)
            X[:, :, act[ok]] = Y[:, ok].reshape(N, 3, -1)
            redo = act[~ok]
            for j in redo:
                X[:, :, j], _ = implicit_propagate(op, np.ascontiguousarray(X[:, :, j]), taus[j],
                                                   nsteps=8 * substeps, levels=3, floor=floor)
        else:
            for j in act:
                X[:, :, j], _ = advance(op, np.ascontiguousarray(X[:, :, j]), taus[j], scheme, eig=eig,
                                        floor=floor, substeps=substeps, levels=levels, tol=tol)
    return X


def population_weights(zmax: float, dlog10: float, gamma: float, cosmo: Cosmology, nodes: int = 8,
                       bins_per_step: int = 1):
    """Source injection per redshift step for the star-formation-history population.

    Step a covers [z_lo, z_hi] = [r^a - 1, r^(a+1) - 1] (clipped at zmax). Sources emit
    W(z) E_emit^-gamma per comoving volume and time; observed at z_lo with energy E
    this adds q_a E^-gamma, q_a = int dt W(z) ((1+z)/(1+z_lo))^(1-gamma) (units 1/H0).
    Returns ``(z_lo, z_hi, q, dq/dgamma)`` ordered from high to low redshift. With
    ``bins_per_step`` = k each step redshifts by k bins (r = 10^(k dlog10)).
    """
    dlog10 = dlog10 * bins_per_step
    r = 10.0**dlog10
    nz = int(np.ceil(np.log10(1 + zmax) / dlog10 - 1e-12))
    a = np.arange(nz - 1, -1, -1)
    z_lo = r**a - 1.0
    z_hi = np.minimum(r ** (a + 1) - 1.0, zmax)
    z_lo[-1] = 0.0
    x, w = np.polynomial.legendre.leggauss(nodes)
    zz = 0.5 * (z_hi - z_lo)[:, None] * x[None] + 0.5 * (z_hi + z_lo)[:, None]
    ww = 0.5 * (z_hi - z_lo)[:, None] * w[None]
    ratio = (1 + zz) / (1 + z_lo)[:, None]
    base = ww * sfr_yuksel2008(zz) / ((1 + zz) * cosmo.efunc(zz)) * ratio ** (1 - gamma)
    q = base.sum(axis=1)
    dq = -(base * np.log(ratio)).sum(axis=1)  # d/dgamma ratio^(1-gamma) = -ln(ratio) ratio^(1-gamma)
    return z_lo, z_hi, q, dq


def population_propagate(op: TransportOperator, spectrum: np.ndarray, dspectrum: np.ndarray,
                         gamma: float, zmax: float, eta: float, n0: float, cosmo: Cosmology,
                         floor=None, substeps: int = 1, levels: int = 2, derivatives: bool = False,
                         scheme: str = "be", bins_per_step: int = 1, eig: EigenPropagator | None = None):
    """Diffuse flux today from sources following the SFH (Yuksel et al. 2008) up to ``zmax``.

    ``spectrum`` (N, 3) is the per-mass-state source spectrum E^-gamma (bin averages,
    composition included) and ``dspectrum`` its gamma-derivative. Returns the comoving
    spectrum at z = 0, the interaction-free normalisation Q (free spectrum =
    Q * spectrum), and ``(d/deta, d/dgamma of the spectrum, dQ/dgamma)`` (zeros
    unless ``derivatives``).
    """
    k = int(bins_per_step)
    r = 10.0 ** (op.grid.dlog10 * k)
    z_lo, z_hi, q, dq = population_weights(zmax, op.grid.dlog10, gamma, cosmo, bins_per_step=k)
    x = np.zeros_like(spectrum)
    dxe = np.zeros_like(spectrum)
    dxg = np.zeros_like(spectrum)
    Q = 0.0
    dQ = 0.0
    for a in range(q.size):  # the interaction-free normalisation: shift, then inject
        Q *= r ** (1 - gamma)
        dQ = dQ * r ** (1 - gamma) - np.log(r) * Q
        Q += q[a]
        dQ += dq[a]
    columns = cosmo.column_length_cm(z_lo, z_hi, power=3)
    if scheme == "etd2" and not derivatives and _block_eig(op)[0]:
        # every redshift step (shift, injection, sub-steps) in one sweep over the bins
        shift, ratio, inj, hs = [], [], [], []
        for a in range(q.size):
            act = not (eta == 0 or z_hi[a] <= z_lo[a])
            h = eta * n0 * columns[a] / substeps if act else 0.0
            for sub in range(substeps if act else 1):
                shift.append(k if sub == 0 else 0)
                ratio.append(r if sub == 0 else 1.0)
                inj.append(q[a] if sub == 0 else 0.0)
                hs.append(h)
        x = etd2_stages(op, x, spectrum, shift, ratio, inj, hs, floor)
        return x, Q, (dxe, dxg, dQ)
    for a in range(q.size):
        x = _shift_down(x, r, k) + q[a] * spectrum
        if derivatives:
            dxe = _shift_down(dxe, r, k)
            dxg = _shift_down(dxg, r, k) + dq[a] * spectrum + q[a] * dspectrum
        if eta == 0 or z_hi[a] <= z_lo[a]:
            continue
        tau = eta * n0 * columns[a]
        tans = [(dxe, tau / eta), (dxg, 0.0)] if derivatives else []
        x, tg = advance(op, x, tau, scheme, eig=eig, floor=floor, substeps=substeps, levels=levels,
                        tangents=tans)
        if derivatives:
            dxe, dxg = tg
    return x, Q, (dxe, dxg, dQ)

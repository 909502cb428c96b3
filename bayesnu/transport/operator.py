"""Energy grid and the bin-integrated transport operator (K_i^n and J_ji^{mn} of Franklin et al. 2025, App. A).

The flux of each mass state is piecewise constant on log-spaced energy bins. With
Phi_i^n the bin average, the no-redshift transport equation becomes

    dPhi_i^n / dr = - n [ L_i^n Phi_i^n - sum_j sum_{m >= n} G_{(i,n),(j,m)} Phi_j^m ]

with the loss L_i^n = K_i^n / dE_n = (1/dE_n) int_n sum_k sigma_ik dE and the gain
G = J_ji^{mn} / dE_n, J_ji^{mn} = int_{E in n} dE int_{E' in m, E' > E} dE' J_{j->i}(E', E).
The operator A = diag(L) - G is block upper triangular in energy (3x3 blocks).

Storage is structured so that one implicit step costs O(N) for the Standard Model
(the kernel is a polynomial in E/E', so the off-diagonal part is separable) and
O(N^2/2) for secret interactions (rank one in mass-state space).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesnu.errors import InputError
from bayesnu.transport._jit import jit
from bayesnu.transport.constants import EV, G_F, HBARC2_CM2, M_E
from bayesnu.transport.xsec import (
    SecretInteraction,
    _ee_couplings,
    _si_kernel_point,
    si_sigma_flavour,
    sm_kernel_coefficients,
)

__all__ = ["EnergyGrid", "TransportOperator", "build_operator"]

#: Hard limit on the bins of any grid (working grids include the redshift extension).
_GRID_MAX_BINS = 20000


@dataclass(frozen=True)
class EnergyGrid:
    """Log-spaced energy bins.

    Parameters
    ----------
    emin, emax
        Lower edge of the first and upper edge of the last bin [GeV].
    nbins
        Number of bins.
    """

    emin: float = 1e2
    emax: float = 1e10
    nbins: int = 300

    def __post_init__(self) -> None:
        if not (np.isfinite(self.emin) and np.isfinite(self.emax) and 0 < self.emin < self.emax):
            raise InputError(f"need 0 < emin < emax, got {self.emin}, {self.emax}", column="emin_gev")
        try:
            ok = int(self.nbins) == self.nbins and 2 <= self.nbins <= _GRID_MAX_BINS
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise InputError(f"bins must be an integer in [2, {_GRID_MAX_BINS}], got {self.nbins}",
                             column="bins")

    @property
    def edges(self) -> np.ndarray:
        """Bin edges [GeV], shape (nbins + 1,)."""
        return np.logspace(np.log10(self.emin), np.log10(self.emax), int(self.nbins) + 1)

    @property
    def centers(self) -> np.ndarray:
        """Geometric bin centres [GeV]."""
        e = self.edges
        return np.sqrt(e[1:] * e[:-1])

    @property
    def widths(self) -> np.ndarray:
        """Bin widths dE_n [GeV]."""
        return np.diff(self.edges)

    @property
    def dlog10(self) -> float:
        """Width of a bin in log10(E)."""
        return (np.log10(self.emax) - np.log10(self.emin)) / self.nbins

    def extended(self, extra: int) -> EnergyGrid:
        """The same spacing with ``extra`` more bins on top."""
        return EnergyGrid(self.emin, self.emin * 10 ** (self.dlog10 * (self.nbins + extra)), self.nbins + extra)


def power_law_bin_average(edges: np.ndarray, gamma: float, e0: float = 1e3) -> tuple[np.ndarray, np.ndarray]:
    """Bin averages of (E/e0)^-gamma and of their gamma-derivative."""
    lo, hi = edges[:-1] / e0, edges[1:] / e0
    dl = np.log(hi / lo)
    a = 1.0 - gamma
    # (hi^a - lo^a)/a / (hi - lo) written with expm1 for stability near a = 0
    la, ha = np.log(lo), np.log(hi)
    if abs(a) > 1e-8:
        f = lo**a * np.expm1(a * dl) / a
        # d/dgamma = -d/da
        dfa = (ha * hi**a - la * lo**a) / a - (hi**a - lo**a) / a**2
    else:
        f = dl
        dfa = 0.5 * (ha**2 - la**2)
    width = hi - lo
    return f / width, -dfa / width


# ----------------------------------------------------------------------------- quadrature rules
_GL_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _gl(n: int) -> tuple[np.ndarray, np.ndarray]:
    if n not in _GL_CACHE:
        _GL_CACHE[n] = np.polynomial.legendre.leggauss(n)
    return _GL_CACHE[n]


def _gl_interval(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = _gl(n)
    return 0.5 * (b - a) * x + 0.5 * (b + a), 0.5 * (b - a) * w


def _log_distance_nodes(d_lo: float, d_hi: float, sgn: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Offsets sgn * d, d in [d_lo, d_hi] (> 0), uniform in ln d (for 1/(E-er)^k tails), and weights."""
    y, w = _gl_interval(np.log(d_lo), np.log(d_hi), n)
    d = np.exp(y)
    return sgn * d, w * d


def _plain_intervals(a, b, er: float, hw: float, core: float = 30.0):
    """Where :func:`resonance_nodes` integrates [a, b] with plain Gauss-Legendre (a, b scalars
    or arrays): no peak (``hw <= 0`` or ``er`` not finite), or the peak more than ``core``
    half widths outside and the interval spanning at most a factor 1.3 in distance from it."""
    if hw <= 0 or not np.isfinite(er):
        return np.ones(np.shape(a), dtype=bool)
    da, db = a - er, b - er
    c = core * hw
    below = db <= -c
    outside = below | (da >= c)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(below, -da, db) / np.where(below, -db, da)  # far / near
    return outside & ~(ratio > 1.3)


def resonance_nodes(a: float, b: float, er: float, hw: float, n_plain: int = 4,
                    n_core: int = 48, n_wing: int = 24, core: float = 30.0, offsets: bool = False):
    """Quadrature nodes/weights on [a, b] for integrands with a Breit-Wigner peak at ``er``.

    ``hw`` is the half width (in E) of the peak. On |E - er| < core*hw the map
    E = er + hw tan(theta) makes a Lorentzian flat; the wings use nodes uniform in
    ln|E - er|; far from the peak plain Gauss-Legendre is used.

    The construction works on the offsets E - er, so a peak narrower than the double
    resolution of ``er`` (small coupling: hw / er ~ g^2 / 16 pi < 1e-16 for g < 1e-8)
    is still integrated exactly. With ``offsets=True`` also returns the offsets E - er
    of the nodes (evaluate the resonant denominator with them, not with E - er).
    """
    if _plain_intervals(a, b, er, hw, core):
        x, w = _gl_interval(a, b, n_plain)
        return (x, w, x - er) if offsets else (x, w)
    da, db = a - er, b - er
    c = core * hw
    offs, weights = [], []
    if db <= -c or da >= c:  # peak outside the interval, which spans > 1.3 in distance
        near, far = (-db, -da) if db <= -c else (da, db)
        o, w = _log_distance_nodes(near, far, -1.0 if db <= -c else 1.0, n_wing)
        offs.append(o)
        weights.append(w)
    else:
        if da < -c:
            o, w = _log_distance_nodes(c, -da, -1.0, n_wing)
            offs.append(o)
            weights.append(w)
        ta = np.arctan(max(da, -c) / hw)
        tb = np.arctan(min(db, c) / hw)
        th, w = _gl_interval(ta, tb, n_core)
        offs.append(hw * np.tan(th))
        weights.append(w * hw / np.cos(th) ** 2)
        if db > c:
            o, w = _log_distance_nodes(c, db, 1.0, n_wing)
            offs.append(o)
            weights.append(w)
    off = np.concatenate(offs)
    x = er + off
    w = np.concatenate(weights)
    return (x, w, off) if offsets else (x, w)


# ----------------------------------------------------------------------------- operator
@dataclass
class TransportOperator:
    """Bin-integrated transport operator on a grid (per unit relic density n [cm^-3]).

    Attributes
    ----------
    grid
        The energy grid.
    loss
        L[n, i] = K_i^n / dE_n [cm^2] (all channels, including e+e-).
    loss_ee
        The e+e- part of ``loss`` [cm^2].
    diag_gain
        D[n, i, j] = J_{j->i}^{nn} / dE_n [cm^2] (same-bin regeneration).
    sm_C, sm_a, sm_b
        SM separable off-diagonal gain: G_{(i,n),(j,m)} = sum_p sm_a[n,p] sm_C[j,i,p] sm_b[m,p] (m > n).
    si_u, si_R
        Secret-interaction off-diagonal gain: G_{(i,n),(j,m)} = si_u[i] si_u[j] si_R[n, m] (m > n).
    sub_gain
        Energy-conserving correction (N, 3, 3): extra G_{(i,n),(j,n+1)} (see ``build_operator``).
    """

    def __post_init__(self) -> None:
        if self.sub_gain is None:
            self.sub_gain = np.zeros((self.grid.nbins, 3, 3))

    grid: EnergyGrid
    loss: np.ndarray
    loss_ee: np.ndarray
    diag_gain: np.ndarray
    sm_C: np.ndarray
    sm_a: np.ndarray
    sm_b: np.ndarray
    si_u: np.ndarray
    si_R: np.ndarray
    has_si: bool = False
    sub_gain: np.ndarray | None = None
    _dense: np.ndarray | None = field(default=None, repr=False)

    @property
    def nbins(self) -> int:
        return self.grid.nbins

    def dense(self) -> np.ndarray:
        """A as a dense (3N, 3N) array, state index 3 n + i [cm^2]."""
        if self._dense is None:
            N = self.nbins
            G = np.einsum("np,jip,mp->nimj", self.sm_a, self.sm_C, self.sm_b)
            G = G * np.triu(np.ones((N, N)), 1)[:, None, :, None]
            if self.has_si:
                G = G + self.si_R[:, None, :, None] * np.outer(self.si_u, self.si_u)[None, :, None, :]
            idx = np.arange(N)
            G[idx, :, idx, :] = self.diag_gain
            G[idx[:-1], :, idx[1:], :] += self.sub_gain[:-1]
            A = -G
            A[idx, :, idx, :] += self.loss[:, :, None] * np.eye(3)[None]
            self._dense = A.reshape(3 * N, 3 * N)
        return self._dense

    def apply(self, x: np.ndarray) -> np.ndarray:
        """A @ x for x of shape (N, 3) (or (3N,)), returning the same shape as x."""
        shp = x.shape
        X = x.reshape(self.nbins, 3)
        out = _apply_A(X, self.loss, self.diag_gain, self.sub_gain, self.sm_C, self.sm_a, self.sm_b,
                       self.si_u, self.si_R, self.has_si)
        return out.reshape(shp)


@jit(cache=True)
def _apply_A(X, loss, diag_gain, sub_gain, C, a, b, u, R, has_si):
    N = X.shape[0]
    out = np.zeros((N, 3))
    S = np.zeros((3, 3))  # S[j, p] = sum_{m > n} b[m, p] X[m, j]
    for n in range(N - 1, -1, -1):
        for i in range(3):
            g = 0.0
            for p in range(3):
                for j in range(3):
                    g += a[n, p] * C[j, i, p] * S[j, p]
            if has_si:
                acc = 0.0
                for m in range(n + 1, N):
                    acc += R[n, m] * (u[0] * X[m, 0] + u[1] * X[m, 1] + u[2] * X[m, 2])
                g += u[i] * acc
            for j in range(3):
                g += diag_gain[n, i, j] * X[n, j]
                if n + 1 < N:
                    g += sub_gain[n, i, j] * X[n + 1, j]
            out[n, i] = loss[n, i] * X[n, i] - g
        for j in range(3):
            for p in range(3):
                S[j, p] += b[n, p] * X[n, j]
    return out


def _sm_bin_moments(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a[n,p] = int_n E^p dE / dE_n, b[m,p] = int_m E^-p dE, T[n,p] = int_n dE int_E^{h_n} (E/E')^p dE'."""
    lo, hi = edges[:-1], edges[1:]
    w = hi - lo
    r = lo / hi
    a = np.stack([np.ones_like(lo), 0.5 * (hi + lo), (hi**2 + hi * lo + lo**2) / 3.0], axis=1)
    b = np.stack([w, np.log(hi / lo), 1.0 / lo - 1.0 / hi], axis=1)
    # diagonal triangle integrals, written in y = 1 - r to avoid cancellation
    T0 = 0.5 * w**2
    # int_l^h E ln(h/E) dE = h^2 [1/4 - r^2/4 + r^2/2 ln r]
    T1 = hi**2 * (0.25 * (1 - r**2) + 0.5 * r**2 * np.log(r))
    # int_l^h (E - E^2/h) dE = h^2 [ (1 - r^2)/2 - (1 - r^3)/3 ]
    y = 1 - r
    T2 = hi**2 * (0.5 * y**2 - y**3 / 3.0)
    return a, b, np.stack([T0, T1, T2], axis=1)


def _ee_loss(edges: np.ndarray, masses_ev: np.ndarray, U: np.ndarray, nodes: int = 16) -> np.ndarray:
    """K^ee[n, j] = int_n sum_k sigma^ee_jk dE [cm^2 GeV] with a sqrt-threshold substitution."""
    gv2, ga2 = _ee_couplings(U)
    m = np.asarray(masses_ev) * EV
    lo, hi = edges[:-1], edges[1:]
    out = np.zeros((lo.size, 3))
    x, w = _gl(nodes)
    for k in range(3):
        eth = 2 * M_E**2 / m[k]
        a = np.maximum(lo, eth)
        ok = hi > a
        va, vb = np.sqrt(a[ok] - eth), np.sqrt(hi[ok] - eth)
        v = 0.5 * (vb - va)[:, None] * x[None] + 0.5 * (vb + va)[:, None]
        wv = 0.5 * (vb - va)[:, None] * w[None] * 2 * v
        E = eth + v**2
        s = 2 * m[k] * E
        beta = np.sqrt(np.clip(1 - 4 * M_E**2 / s, 0, None))
        for j in range(3):
            val = (s * (ga2[j, k] + gv2[j, k]) + 2 * M_E**2 * (gv2[j, k] - 2 * ga2[j, k])) * beta
            out[ok, j] += np.sum(val * wv, axis=1) * G_F**2 / (3 * np.pi) * HBARC2_CM2
    return out


@jit(cache=True, inline="always", error_model="numpy")
def _first_above(edges, x, lo, hi):
    """Smallest j in [lo, hi) with edges[j] > x (hi if none); edges increasing."""
    while lo < hi:
        mid = (lo + hi) // 2
        if edges[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


@jit(cache=True, inline="always", error_model="numpy")
def _si_two_node(lo, hi, ep, mk, M2, MG, w_tu, w_st, ds, x2, w2):
    """int_lo^hi K(E', E) dE with the rule (x2, w2) (as the general loop of ``_si_bins`` does it)."""
    half = 0.5 * (hi - lo)
    mid = 0.5 * (hi + lo)
    acc = 0.0
    for r in range(x2.size):
        e = mid + half * x2[r]
        acc += w2[r] * half * _si_kernel_point(ep, e, mk, M2, MG, w_tu, w_st, ds)
    return acc


@jit(cache=True, error_model="numpy",
     native=("f8[:]", "i8[:]", "f8[:]", "f8[:]", "f8[:]", "f8", "f8", "f8", "f8", "f8", "f8", "f8[:]", "f8[:]",
             "f8[:]", "f8[:]", "f8[:]", "f8[:]", "f8[:,:]", "f8[:]", "f8[:]", "f8[:]"))
def _si_bins(edges, ep_ptr, ep_x, ep_w, ep_off, mk, M2, MG, w_tu, w_st, e_res, xg, wg, xf, wf, x2, w2, R, Kdiag,
             leakE, col):
    """R[n, m] += int_n dE int_m dE' K(E',E) for m > n; Kdiag[n] += same for m == n (E < E');
    leakE[m] += int_m dE' int_0^{E_min} E K(E', E) dE (energy leaving below the grid).
    (xg, wg): Gauss-Legendre rule near the diagonal; (xf, wf): shorter rule for bins n < m - 1;
    (x2, w2): shortest rule for bins entirely below E'/2 (the kernel is smooth there on the
    scale of a bin). ``col`` (N,): work array (column m of R is accumulated there)."""
    N = edges.size - 1
    for m in range(N):
        for n in range(m):
            col[n] = R[n, m]  # column m accumulated contiguously, stored once
        for q in range(ep_ptr[m], ep_ptr[m + 1]):
            ep = ep_x[q]
            wq = ep_w[q]
            ds = 2.0 * mk * ep_off[q]  # s - m_phi^2, exact near the pole
            # bins n < nfast lie below E'/2 and more than one bin below m; unless one holds the
            # split (bin ns), the two-node rule applies: one branch-free loop
            split = ep - 4.0 * e_res
            nfast = min(_first_above(edges, 0.5 * ep, 1, m) - 1, m - 1)
            ns = _first_above(edges, split, 0, N + 1) - 1  # edges[ns] <= split < edges[ns + 1]
            if not (0 <= ns < nfast and edges[ns] < split < edges[ns + 1]):
                ns = nfast
            for n in range(ns):
                col[n] += wq * _si_two_node(edges[n], edges[n + 1], ep, mk, M2, MG, w_tu, w_st, ds, x2, w2)
            for n in range(ns + 1, nfast):
                col[n] += wq * _si_two_node(edges[n], edges[n + 1], ep, mk, M2, MG, w_tu, w_st, ds, x2, w2)
            for n in range(-1, m + 1):
                if 0 <= n < nfast and n != ns:
                    continue
                lo = edges[n] if n >= 0 else 0.0
                hi = edges[n + 1] if n < m else ep
                if hi <= lo:
                    continue
                # split where the u-channel feature (E' - E ~ E_res) sits
                acc = 0.0
                if lo < split < hi:
                    p0a, p0b, p1a, p1b = lo, split, split, hi
                else:
                    p0a, p0b, p1a, p1b = lo, hi, hi, hi
                far = n < m - 1 and p1b <= p1a
                very_far = far and hi <= 0.5 * ep
                for pc in range(2):
                    a0 = p0a if pc == 0 else p1a
                    b0 = p0b if pc == 0 else p1b
                    if b0 <= a0:
                        continue
                    half = 0.5 * (b0 - a0)
                    mid = 0.5 * (b0 + a0)
                    xs = x2 if very_far else (xf if far else xg)
                    ws = w2 if very_far else (wf if far else wg)
                    for r in range(xs.size):
                        e = mid + half * xs[r]
                        val = ws[r] * half * _si_kernel_point(ep, e, mk, M2, MG, w_tu, w_st, ds)
                        acc += val * e if n < 0 else val
                if n < 0:
                    leakE[m] += wq * acc
                elif n < m:
                    col[n] += wq * acc
                else:
                    Kdiag[n] += wq * acc
        for n in range(m):
            R[n, m] = col[n]


def _source_nodes(edges: np.ndarray, er: float, hw: float, n_plain: int = 3, core: float = 30.0):
    """Quadrature nodes over the source bins for a Breit-Wigner peak at ``er`` (half width ``hw``).

    Per bin the nodes of :func:`resonance_nodes` (``n_plain`` Gauss-Legendre nodes, two for bins
    more than 30 bin widths from the pole); returns ``(ptr, x, w, offset)`` with bin m's nodes at
    ``ptr[m]:ptr[m+1]``. The bins that :func:`resonance_nodes` integrates with plain
    Gauss-Legendre (all but a few near the pole) are done here at once, with the same arithmetic.
    """
    a, b = edges[:-1], edges[1:]
    N = a.size
    # two nodes suffice for source bins more than 30 bin widths from the pole
    d = np.minimum(np.abs(a - er), np.abs(b - er))
    npl = np.where((d > 30.0 * (b - a)) & ~((a <= er) & (er <= b)), 2, n_plain)
    special = ~_plain_intervals(a, b, er, hw, core)
    extra = {int(m): resonance_nodes(a[m], b[m], er, hw, n_plain=int(npl[m]), core=core, offsets=True)
             for m in np.flatnonzero(special)}
    counts = npl.copy()
    for m, nodes in extra.items():
        counts[m] = nodes[0].size
    ptr = np.zeros(N + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    x = np.empty(ptr[-1])
    w = np.empty(ptr[-1])
    off = np.empty(ptr[-1])
    for n in np.unique(npl[~special]):
        sel = np.flatnonzero(~special & (npl == n))
        xn, wn = _gl(int(n))
        idx = ptr[sel][:, None] + np.arange(n)[None]
        half = 0.5 * (b[sel] - a[sel])[:, None]  # as _gl_interval
        x[idx] = half * xn[None] + 0.5 * (b[sel] + a[sel])[:, None]
        w[idx] = half * wn[None]
        off[idx] = x[idx] - er
    for m, (xm, wm, om) in extra.items():
        x[ptr[m]:ptr[m + 1]] = xm
        w[ptr[m]:ptr[m + 1]] = wm
        off[ptr[m]:ptr[m + 1]] = om
    return ptr, x, w, off


def _si_tables(edges: np.ndarray, m_ev: float, si: SecretInteraction, n_plain: int = 3):
    """Per-relic-mass bin integrals: loss K[n], R[n, m], Kdiag[n] [cm^2 GeV] and the energy
    regenerated below the grid per source bin, leakE[m] [cm^2 GeV^2]."""
    mk = m_ev * EV
    er = si.resonance_energy(m_ev)
    hw = er * si.width / si.m_phi  # s = m^2 (1 + y) -> E = er (1 + y); half width in y is Gamma/m
    N = edges.size - 1
    ep_ptr, ep_x, ep_w, ep_off = _source_nodes(edges, er, hw, n_plain)
    sig = si_sigma_flavour(ep_x, m_ev, si, offset_gev=ep_off)
    K = np.add.reduceat(sig * ep_w, ep_ptr[:-1])
    R = np.zeros((N, N))
    Kd = np.zeros(N)
    leak = np.zeros(N)
    xg, wg = _gl(6)
    xf, wf = _gl(3)
    x2, w2 = _gl(2)
    w_tu, w_st = si.weights
    _si_bins(edges, ep_ptr, ep_x, ep_w, ep_off, mk, si.m_phi**2, si.m_phi * si.width, w_tu, w_st, er, xg, wg, xf, wf,
             x2, w2, R, Kd, leak, np.zeros(N))
    scale = si.g**4 * HBARC2_CM2
    R *= scale
    return K, R, Kd * scale, leak * scale


def build_operator(grid: EnergyGrid, masses_ev, U: np.ndarray, *, sm: bool = True, ee: bool = True,
                   si: SecretInteraction | None = None, energy_correction: bool = True) -> TransportOperator:
    """Bin-integrated operator for the given masses [eV], PMNS matrix and interactions.

    Parameters
    ----------
    grid
        Energy grid.
    masses_ev
        (m1, m2, m3) [eV].
    U
        PMNS matrix (flavour x mass).
    sm
        Include Standard-Model nu nu and nu nubar scattering.
    ee
        Include nu nubar -> e+ e- (a pure loss); only with ``sm``.
    si
        Secret interaction, or None.
    energy_correction
        Make the binned scheme conserve energy exactly as well as number. With a
        piecewise-constant flux, K^m and J^{mn} conserve particle number exactly but
        the energy bookkeeping (mean bin energies) is off by O(dlnE^2) per collision.
        For every source bin m and incoming state j the small energy excess is removed
        by moving particles between the same-bin and the next-lower-bin regeneration
        (number unchanged). The exact energy regenerated below the grid is kept as a
        leak.
    """
    edges = grid.edges
    N = grid.nbins
    w = np.diff(edges)
    m = np.asarray(masses_ev, dtype=float)
    if m.shape != (3,) or np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise InputError(f"masses must be three positive numbers [eV], got {masses_ev}", column="masses")
    a, b, T = _sm_bin_moments(edges)
    loss = np.zeros((N, 3))
    loss_ee = np.zeros((N, 3))
    diag = np.zeros((N, 3, 3))
    C = np.zeros((3, 3, 3))
    if sm:
        C = sm_kernel_coefficients(m)
        # sigma^nu_jk = (4 G_F^2 m_k / 3 pi)(1 + 2 delta_jk) E  -> (1/dE_n) int_n = coef * a[n, 1]
        coef = 4 * G_F**2 * (m * EV)[None, :] / (3 * np.pi) * (1 + 2 * np.eye(3)) * HBARC2_CM2
        loss += coef.sum(axis=1)[None, :] * a[:, 1:2]
        diag += np.einsum("jip,np->nij", C, T) / w[:, None, None]
        if ee:
            loss_ee = _ee_loss(edges, m, U) / w[:, None]
            loss += loss_ee
    u = np.abs(U[2]) ** 2
    R = np.zeros((N, N))
    leak_si = np.zeros(N)
    if si is not None:
        for k in range(3):
            Kk, Rk, Kdk, Lk = _si_tables(edges, m[k], si)
            loss += (u[:, None] * u[k] * Kk[None, :]).T / w[:, None]
            Rk *= u[k]  # in place: the N x N tables are the largest arrays here
            R += Rk
            leak_si += u[k] * Lk
            diag += (np.outer(u, u)[None] * u[k] * Kdk[:, None, None]) / w[:, None, None]
        R /= w[:, None]
    sub = np.zeros((N, 3, 3))
    if energy_correction and (sm or si is not None):
        ebar = a[:, 1]  # mean energy of each bin
        # energy (discrete measure) of the in-grid regeneration from source bin m, state j
        gain_e = np.zeros((N, 3))
        if sm:
            Fp = np.cumsum(ebar[:, None] * w[:, None] * a, axis=0)  # F[m, p] = sum_{n <= m} ...
            Fp = np.vstack([np.zeros((1, 3)), Fp[:-1]])  # strictly below m
            gain_e += np.einsum("jip,mp,mp->mj", C, b, Fp)
            # exact energy regenerated below the grid (E < E_min)
            emin = edges[0]
            leak_p = emin ** (np.arange(3) + 2) / (np.arange(3) + 2)
            gain_e += np.einsum("jip,mp,p->mj", C, b, leak_p)
        if si is not None:
            # sum_n (ebar w)_n R[n, m] without BLAS (threaded BLAS costs more CPU than this sum)
            gain_e += np.outer(np.einsum("n,nm->m", ebar * w, R) + leak_si, u)
        gain_e += ebar[:, None] * w[:, None] * diag.sum(axis=1)  # same bin: sum over outgoing i
        loss_e = ebar[:, None] * w[:, None] * (loss - loss_ee)
        excess = gain_e - loss_e  # (N, 3) per source bin m and incoming j
        dj = diag * w[:, None, None]  # J^{mm}_{ji} as [m, i, j]
        tot = dj.sum(axis=1)  # (N, 3)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(tot[:, None, :] > 0, dj / tot[:, None, :], 1.0 / 3.0)
        t = np.zeros((N, 3))
        t[1:] = excess[1:] / (ebar[1:] - ebar[:-1])[:, None]
        moved = share * t[:, None, :]  # [m, i, j] particles moved from bin m to m-1
        # keep every gain non-negative: at most the same-bin regeneration can move down,
        # at most the existing regeneration into m-1 can move up (only clips in bins where
        # a narrow resonance makes the mean-bin-energy bookkeeping meaningless)
        exist = np.zeros((N, 3, 3))  # existing gain J^{m, m-1}_{ji} as [m, i, j]
        exist[1:] = np.einsum("mp,jip,mp->mij", a[:-1], C, b[1:]) * w[:-1, None, None]
        if si is not None:
            exist[1:] += (np.diagonal(R, 1) * w[:-1])[:, None, None] * np.outer(u, u)[None]
        moved = np.clip(moved, -exist, dj)
        diag = diag - moved / w[:, None, None]
        sub[:-1] = moved[1:] / w[:-1, None, None]
    return TransportOperator(grid, loss, loss_ee, diag, C, a, b, u, R, si is not None, sub)

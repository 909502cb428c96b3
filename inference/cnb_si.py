"""Secret nu_tau interactions: the (m_phi, g_tautau) TS map, ns and gamma profiled.

One transport solve per grid point (population of sources, eta = 1, sum of masses 0.1 eV by
default), folded into the point-source likelihood through the general-spectrum energy PDF
(:class:`bayesnu.ops.spectrum.CnbSource`). The 2-sigma exclusion uses Wilks with 2 dof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bayesnu.inference.cnb import PROFILE_TOL, WILKS_2DOF

from bayesnu.errors import InputError
from bayesnu.likelihood.trial import fast_fit
from bayesnu.ops.spectrum import CnbSource, transport_ratio

__all__: list[str] = []

__all__ += ["SiMap", "si_ts_map", "BBN_MPHI_MEV", "BBN_G_MIN", "TAU_DECAY_G2_MAX"]

#: BBN: m_phi > 1.3 MeV for g > 1e-4 (Blinov et al. 2019); tau decays: g_tautau^2 < 0.1
BBN_MPHI_MEV = 1.3
BBN_G_MIN = 1e-4
TAU_DECAY_G2_MAX = 0.1


@dataclass
class SiMap:
    """TS over (log10 m_phi [MeV], log10 g_tautau), ns and gamma profiled, eta fixed.

    ``ts[i, j]`` at ``log10_m_phi[i]``, ``log10_g[j]``: -2 [log L(m_phi, g) - log L0], L0 the
    best power law without secret interactions. The 2-sigma exclusion uses Wilks with
    2 dof: TS > 6.18 (:data:`WILKS_2DOF`; 4.0 would be the 1-dof reading).
    """

    log10_m_phi: np.ndarray
    log10_g: np.ndarray
    ts: np.ndarray
    ns: np.ndarray
    gamma: np.ndarray
    ts_pl: float
    meta: dict[str, Any] = field(default_factory=dict)

    def excluded(self, threshold: float = WILKS_2DOF[0.9545]) -> np.ndarray:
        return self.ts > threshold

    def to_dict(self) -> dict[str, Any]:
        return {"log10_m_phi_mev": self.log10_m_phi.tolist(), "log10_g": self.log10_g.tolist(),
                "ts": self.ts.tolist(), "ns": self.ns.tolist(), "gamma": self.gamma.tolist(),
                "ts_pl": self.ts_pl, "threshold_2sigma_2dof": WILKS_2DOF[0.9545], **self.meta}


def si_ts_map(source: CnbSource, geometry, log10_m_phi: Sequence[float],
              log10_g: Sequence[float], sum_m: float = 0.1, majorana: bool = True,
              eta: float = 1.0, bins: int = 300, progress: bool = False) -> SiMap:
    """TS map of the secret nu_tau interaction (one Propagator per grid point).

    Parameters
    ----------
    source
        :class:`~bayesnu.ops.spectrum.CnbSource` built on a transport grid with ``bins`` bins.
    geometry
        Transport geometry of the source.
    log10_m_phi, log10_g
        Grid axes: log10(m_phi / MeV) inside [-1, 3] and log10 g inside [-4, 0.5]
        (the tabulated, tested range; outside it an InputError).
    sum_m, majorana, eta
        Sum of masses (eV), neutrino nature and relic overdensity (1: cosmological).
    bins
        Transport bins over 1e2-1e10 GeV.
    """
    import time

    from bayesnu.transport import Neutrinos, Propagator, SolverOptions, StepControl

    lm = np.asarray(log10_m_phi, dtype=np.float64)
    lg = np.asarray(log10_g, dtype=np.float64)
    for name, v, lo, hi in (("m_phi", lm, -1.0, 3.0), ("g", lg, -4.0, 0.5)):
        if v.ndim != 1 or v.size < 1 or not np.all(np.isfinite(v)) or v.min() < lo or v.max() > hi:
            raise InputError(f"log10 {name} values must lie in [{lo}, {hi}] (tabulated physics)",
                             column=name)
    t0 = time.perf_counter()
    ts_pl, _, _, _ = fast_fit(source.power_law_mixture())
    shape = (lm.size, lg.size)
    ts, ns, gam = np.empty(shape), np.empty(shape), np.empty(shape)
    opts = SolverOptions(bins=bins, step=StepControl(tol=PROFILE_TOL))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=lm.size * lg.size, desc=f"TS(m_phi, g) {source.source.name}",
                   unit="pt", leave=False)
    for i, m in enumerate(lm):
        for j, g in enumerate(lg):
            prop = Propagator(geometry, Neutrinos(sum_m=sum_m, g=float(10.0**g),
                                                  m_phi_mev=float(10.0**m), majorana=majorana),
                              opts)
            r = transport_ratio(prop, [eta], source.gamma_grid)[0]
            t, n, gg, _ = fast_fit(source.mixture(r))
            ts[i, j], ns[i, j], gam[i, j] = ts_pl - t, n, gg
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    if not np.all(np.isfinite(ts)):
        raise InputError("TS map produced non-finite values", column="g")
    return SiMap(lm, lg, ts, ns, gam, float(ts_pl),
                 {"source": source.source.name, "sum_m_ev": sum_m, "majorana": majorana,
                  "eta": eta, "seconds": time.perf_counter() - t0})

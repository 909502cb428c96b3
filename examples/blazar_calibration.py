"""Calibration of the blazar-group posterior on SIMULATED data sets.

Each simulated data set is the IC40 release with RA scrambled plus a TXS-like
group signal (E^-2, mean ns_true events split over the 32 blazars by
acceptance, injected with the package's point-source simulation). The grid
posterior of the group's ns / signal fraction is computed as on real data;
printed: recovery of the injected count and coverage of the 68% / 90% central
credible intervals and of the 90% upper limit. Resumable (campaign folders).

Usage: ``nice -n 19 python examples/blazar_calibration.py OUT_DIR [N_SIMS]``

Typical run time on 2 cores: about 3.5 minutes for 3 x 50 simulated data sets (measured 217 s;
the campaign resumes after an interruption).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bayesnu.inference.blazar_stacking import calibration_campaign


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "blazar_calibration")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = []
    for ns_true in (0.0, 10.0, 30.0):
        s = calibration_campaign(out / f"ns{ns_true:g}", data="ic40", group="TXS-like",
                                 weighting="equal", ns_true=ns_true, gamma_true=2.0,
                                 n_sims=n, seed=11, progress=False)
        s.pop("campaign", None)
        rows.append(s)
        print(json.dumps(s), flush=True)
    print(f"# {len(rows)} settings x {n} simulated data sets in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()

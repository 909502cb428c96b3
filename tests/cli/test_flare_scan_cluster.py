"""``flare scan --scrambles --cluster``: the observed scan and the scrambled skies go through the
dask-jobqueue path of :func:`bayesnu.inference.campaign.make_client` and equal a serial run.

No batch system runs in the suite, so a stand-in ``dask_jobqueue`` module (put first on the
subprocess's path) provides ``SLURMCluster`` as a dask ``LocalCluster`` of worker processes on
the loopback address that accepts the usual jobqueue keywords and ``scale(jobs=...)``. The real
SLURM run is ``benchmarks/slurm_campaign.sh`` (VALIDATION.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bayesnu.inference.campaign import load_campaign

pytestmark = pytest.mark.slow

ENTRY = "import sys; from bayesnu.cli import main; raise SystemExit(main(sys.argv[1:]))"

FAKE_JOBQUEUE = '''
"""Stand-in for dask-jobqueue in the test suite: batch jobs become local worker processes."""
from dask.distributed import LocalCluster

STARTED = []


class SLURMCluster(LocalCluster):
    def __init__(self, cores=1, processes=1, memory="1GB", walltime=None, queue=None,
                 **kwargs):
        if not isinstance(cores, int) or cores < 1:
            raise ValueError(f"cores must be a positive integer, got {cores!r}")
        super().__init__(n_workers=0, threads_per_worker=cores, processes=True,
                         dashboard_address=None, host="127.0.0.1")
        self.job_settings = dict(cores=cores, memory=memory, walltime=walltime, queue=queue)

    def scale(self, n=None, jobs=0, **kwargs):
        return super().scale(jobs or n)
'''

ARGV = ["flare", "scan", "--data", "txs0506", "--sample", "IC86b", "--nside", "16",
        "--workers", "2", "--scrambles", "3", "--seed", "4", "--quiet", "--json"]


def _run(argv, cwd: Path, env=None):
    return subprocess.run([sys.executable, "-c", ENTRY, *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env)


def test_flare_scan_scrambles_on_a_jobqueue_cluster_equal_serial(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "dask_jobqueue.py").write_text(FAKE_JOBQUEUE)
    cfg = tmp_path / "slurm.yaml"
    cfg.write_text("cores: 1\nprocesses: 1\nmemory: 1GB\nqueue: debug\njobs: 2\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(fake), *filter(None, [os.environ.get("PYTHONPATH")])]))
    r = _run([*ARGV, "--out", "jq", "--cluster", "slurm", "--cluster-config", str(cfg)],
             tmp_path, env)
    assert r.returncode == 0, r.stderr
    ref = _run([*ARGV, "--out", "serial", "--scheduler", "serial"], tmp_path)
    assert ref.returncode == 0, ref.stderr
    # the observed scan ran on the cluster's workers and equals the serial scan
    assert json.loads(r.stdout)["observed_scan_ran_on"].startswith("dask scheduler tcp://")
    assert json.loads(ref.stdout)["observed_scan_ran_on"] == "2 local processes"
    with np.load(tmp_path / "jq" / "observed_scan.npz") as za, \
            np.load(tmp_path / "serial" / "observed_scan.npz") as zb:
        for k in ("pixels", "ts", "ns", "gamma", "t0", "sigma_t"):
            np.testing.assert_array_equal(za[k], zb[k])
    a = load_campaign(tmp_path / "jq" / "scrambles")
    b = load_campaign(tmp_path / "serial" / "scrambles")
    assert a.data["ts"].shape[0] == 3
    for k in ("ts", "pixels", "ts_north", "ts_south"):
        np.testing.assert_array_equal(a.data[k], b.data[k])
    # a bad job setting of the batch system: one line naming the configuration file
    cfg.write_text("cores: zero\n")
    bad = _run([*ARGV, "--out", "jq2", "--cluster", "slurm", "--cluster-config", str(cfg)],
               tmp_path, env)
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "slurm.yaml" in lines[0] and "cores" in lines[0]
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "jq2").exists()

"""A real multi-process dask cluster on the loopback address: ``dask scheduler`` plus two
``dask worker`` processes; a campaign through ``--scheduler tcp://127.0.0.1:PORT``; one worker
SIGKILLed mid-campaign; the result equals the serial run, nothing lost or duplicated."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow

ENTRY = "import sys; from bayesnu.cli import main; raise SystemExit(main(sys.argv[1:]))"
ARGV = ["ps", "trials", "--data", "ic86_2011", "--source", "NGC 1068", "--n", "600",
        "--chunk-size", "20", "--seed", "7", "--quiet", "--json"]
N_CHUNKS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 60.0) -> None:
    t = time.perf_counter()
    while time.perf_counter() - t < timeout:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture
def cluster(tmp_path):
    """Scheduler + 2 single-threaded workers (separate processes); killed in the finalizer."""
    dask = shutil.which("dask")
    if dask is None:
        pytest.skip("the dask command-line tool is not installed")
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, args: list[str]) -> subprocess.Popen:
        fh = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        p = subprocess.Popen([dask, *args], stdout=fh, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd=tmp_path)
        procs.append(p)
        return p

    try:
        start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                            "--no-dashboard"])
        _wait_port(port)
        workers = [start(f"worker{i}", ["worker", addr, "--nthreads", "1", "--nworkers", "1",
                                        "--no-dashboard", "--host", "127.0.0.1",
                                        "--name", f"w{i}"])
                   for i in range(2)]
        from dask.distributed import Client

        with Client(addr, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        yield addr, workers, logs
    finally:
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            p.wait(timeout=30)


def test_campaign_on_dask_scheduler_survives_worker_kill(cluster, tmp_path):
    addr, workers, logs = cluster
    # serial reference, in its own folder
    ref = subprocess.run([sys.executable, "-c", ENTRY, *ARGV, "--out", str(tmp_path / "ref")],
                         capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    out = tmp_path / "dask"
    p = subprocess.Popen([sys.executable, "-c", ENTRY, *ARGV, "--out", str(out),
                          "--scheduler", addr], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        t0 = time.perf_counter()
        # kill worker 0 once a few chunks have come back (mid-campaign)
        while p.poll() is None and time.perf_counter() - t0 < 300:
            if sum(1 for _ in out.glob("chunk_*.npz")) >= 3:
                break
            time.sleep(0.05)
        n_at_kill = sum(1 for _ in out.glob("chunk_*.npz"))
        assert p.poll() is None, "campaign finished before the worker could be killed"
        os.killpg(workers[0].pid, signal.SIGKILL)
        stdout, stderr = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, stderr
    assert 3 <= n_at_kill < N_CHUNKS
    assert workers[0].poll() is not None and workers[1].poll() is None
    got = json.loads((out / "trials.json").read_text())
    want = json.loads((tmp_path / "ref" / "trials.json").read_text())
    assert len(got["ts"]) == 600
    assert got["ts"] == want["ts"] and got["ns"] == want["ns"] and got["gamma"] == want["gamma"]
    assert sorted(f.name for f in out.glob("chunk_*.npz")) == [
        f"chunk_{k:06d}.npz" for k in range(N_CHUNKS)]
    summary = json.loads(stdout)
    assert summary["campaign"]["chunks_run"] == N_CHUNKS
    assert summary["ts_quantiles"] == json.loads(ref.stdout)["ts_quantiles"]


def test_flare_scan_observed_sky_on_dask_scheduler_equals_local(cluster, tmp_path):
    """``flare scan --scheduler ADDR`` fits the observed sky's pixels on the cluster's workers
    (the sample scattered once); the maps equal the scan in this process, bitwise."""
    addr, _, _ = cluster
    argv = ["flare", "scan", "--data", "txs0506", "--sample", "IC86b", "--nside", "64",
            "--quiet", "--json"]
    runs = {}
    for name, extra in (("dask", ["--scheduler", addr, "--workers", "2"]),
                        ("local", ["--workers", "1"])):
        r = subprocess.run([sys.executable, "-c", ENTRY, *argv, "--out", str(tmp_path / name),
                            *extra], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        runs[name] = json.loads(r.stdout)
    assert runs["dask"]["observed_scan_ran_on"] == f"dask scheduler {addr}"
    assert runs["local"]["observed_scan_ran_on"] == "this process"
    import numpy as np

    with np.load(tmp_path / "dask" / "observed_scan.npz") as za, \
            np.load(tmp_path / "local" / "observed_scan.npz") as zb:
        assert za["pixels"].size == 45
        for k in ("pixels", "ts", "ns", "gamma", "t0", "sigma_t"):
            np.testing.assert_array_equal(za[k], zb[k])
    assert runs["dask"]["hottest"] == runs["local"]["hottest"]

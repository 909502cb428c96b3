"""Campaign runner hardening: one writer per folder (lock with owner pid/host), stale locks
taken over, temporaries of dead writers only removed, corrupted state -> one-line repair hint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from bayesnu.inference.campaign import CampaignLock, chunk_rng, load_campaign, run_campaign

from bayesnu.atomic import temporary_files
from bayesnu.errors import InputError


def draw(rng, n):
    """Module-level trial function (picklable)."""
    return {"ts": rng.normal(size=n), "id": rng.integers(0, 2**62, n)}


def _expected(seed, n, cs):
    k = -(-n // cs)
    return np.concatenate([draw(chunk_rng(seed, j), cs)["ts"] for j in range(k)])[:n]


def _holder(folder, hold_s=60):
    """A subprocess that takes the campaign lock and sleeps; returns it once it holds the lock."""
    code = textwrap.dedent(f"""
        import sys, time
        from bayesnu.inference.campaign import CampaignLock
        CampaignLock({str(folder)!r}).acquire()
        print("locked", flush=True)
        time.sleep({hold_s})
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_writer_refused_with_owner(tmp_path):
    out = tmp_path / "c"
    out.mkdir()
    p = _holder(out)
    try:
        with pytest.raises(InputError, match=rf"in use by another run \(pid {p.pid} on host"):
            run_campaign(draw, 20, out, seed=1, chunk_size=5, scheduler="serial", progress=False)
        assert not any(out.glob("chunk_*.npz"))  # refused before any work
    finally:
        p.kill()
        p.wait()


def test_stale_lock_taken_over_and_only_dead_temporaries_removed(tmp_path):
    out = tmp_path / "c"
    out.mkdir()
    dead = _holder(out)
    dead_pid = dead.pid
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead_tmp = out / f".chunk_000000.npz.{dead_pid}.0123abcd.tmp.npz"
        live_tmp = out / f".other.npz.{live.pid}.89abcdef.tmp.npz"
        dead_tmp.write_bytes(b"partial")
        live_tmp.write_bytes(b"partial")
        res = run_campaign(draw, 20, out, seed=1, chunk_size=5, scheduler="serial",
                           progress=False)
        assert res.stale_lock_taken_over["pid"] == dead_pid
        assert not dead_tmp.exists() and live_tmp.exists()
        np.testing.assert_array_equal(res["ts"], _expected(1, 20, 5))
        # the lock is released and free again: a rerun reuses everything, no stale owner
        res2 = run_campaign(draw, 20, out, seed=1, chunk_size=5, scheduler="serial",
                            progress=False)
        assert res2.n_chunks_run == 0 and res2.stale_lock_taken_over is None
    finally:
        live.kill()
        live.wait()


def test_lock_is_reentrant_per_folder_not_per_process(tmp_path):
    a = CampaignLock(tmp_path).acquire()
    with pytest.raises(InputError, match="in use by another run"):
        CampaignLock(tmp_path).acquire()  # a second open file description in this process
    a.release()
    CampaignLock(tmp_path).acquire().release()


@pytest.mark.parametrize("content, what", [
    ('{"seed": 1, "chunk_si', "JSONDecodeError"),
    ('[1, 2]', "expected an object"),
    ('{"seed": "1", "chunk_size": 5}', "expected an object"),
    ('\x00\x01\xff', "corrupted"),
])
def test_corrupted_manifest_one_line_repair(tmp_path, content, what):
    out = tmp_path / "c"
    run_campaign(draw, 20, out, seed=1, chunk_size=5, scheduler="serial", progress=False)
    (out / "campaign.json").write_bytes(content.encode("latin-1"))
    with pytest.raises(InputError) as e:
        run_campaign(draw, 20, out, seed=1, chunk_size=5, scheduler="serial", progress=False)
    msg = str(e.value)
    assert "\n" not in msg and what in msg and "delete" in msg and "campaign.json" in msg
    # the repair it names works: the manifest is rebuilt from the chunks' own seed records
    (out / "campaign.json").unlink()
    res = run_campaign(draw, 20, out, seed=1, chunk_size=5, scheduler="serial", progress=False)
    assert res.n_chunks_run == 0
    np.testing.assert_array_equal(res["ts"], _expected(1, 20, 5))
    assert json.loads((out / "campaign.json").read_text())["seed"] == 1


def test_foreign_chunks_without_manifest_refused(tmp_path):
    out = tmp_path / "c"
    run_campaign(draw, 10, out, seed=1, chunk_size=5, scheduler="serial", progress=False)
    (out / "campaign.json").unlink()
    with pytest.raises(InputError, match="do not record this seed"):
        run_campaign(draw, 10, out, seed=2, chunk_size=5, scheduler="serial", progress=False)


def test_corrupted_chunk_recomputed_or_named(tmp_path):
    out = tmp_path / "c"
    run_campaign(draw, 20, out, seed=4, chunk_size=5, scheduler="serial", progress=False)
    c1 = out / "chunk_000001.npz"
    c1.write_bytes(c1.read_bytes()[:100])  # truncated
    with pytest.raises(InputError, match=r"chunk_000001.npz: corrupted chunk file .*delete it"):
        load_campaign(out)
    res = run_campaign(draw, 20, out, seed=4, chunk_size=5, scheduler="serial", progress=False)
    assert res.n_chunks_run == 1
    np.testing.assert_array_equal(res["ts"], _expected(4, 20, 5))


def test_bad_out_found_before_work(tmp_path):
    calls = []

    def fn(rng, n):
        calls.append(n)
        return draw(rng, n)

    (tmp_path / "file").write_text("x")
    for bad, what in ((tmp_path / "file", "not a folder"),
                      (tmp_path / "no" / "c", "does not exist")):
        with pytest.raises(InputError, match=what):
            run_campaign(fn, 10, bad, seed=1, chunk_size=5, scheduler="serial", progress=False)
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(InputError, match="not writable"):
            run_campaign(fn, 10, ro / "c", seed=1, chunk_size=5, scheduler="serial",
                         progress=False)
    assert calls == []


def test_unreachable_scheduler_times_out_with_one_line(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    t = time.perf_counter()
    with pytest.raises(InputError, match=r"cannot connect to the dask scheduler tcp://127.0.0.1"):
        run_campaign(draw, 10, tmp_path / "c", seed=1, chunk_size=5,
                     scheduler=f"tcp://127.0.0.1:{port}", progress=False, connect_timeout=2)
    assert time.perf_counter() - t < 60
    assert temporary_files(tmp_path / "c") == []


def test_background_trials_campaign_resumes_and_matches(tmp_path):
    """Point-source trials on the campaign runner: a folder run equals a temporary-folder run,
    a rerun reuses every chunk, asking for more adds chunks without changing the first ones."""
    from bayesnu.inference.trials import background_trials_campaign

    from bayesnu.data import load
    from bayesnu.likelihood import LikelihoodSetup, Source

    setup = LikelihoodSetup(load("ic40").samples, [Source("NGC 1068", 40.6696, -0.0133)])
    a, sa = background_trials_campaign(setup, 40, seed=5, chunk_size=10)
    b, sb = background_trials_campaign(setup, 40, seed=5, out_dir=tmp_path / "c", chunk_size=10)
    assert a.ts == b.ts and sa["out_dir"] is None and sb["chunks_run"] == 4
    c, sc = background_trials_campaign(setup, 60, seed=5, out_dir=tmp_path / "c", chunk_size=10)
    assert sc["chunks_reused"] == 4 and sc["chunks_run"] == 2 and c.ts[:40] == b.ts
    assert len(set(c.ts)) > 30  # distinct trials, not one chunk repeated
    assert b.wilks["n"] == 40 and 0 <= b.p_value(1.0) <= 1

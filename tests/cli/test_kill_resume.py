"""SIGKILL at random (seeded) points, rerun: nothing partial, lost or duplicated, and the result
equals an uninterrupted run. Real subprocesses of the console entry point, small sizes.

Covered: ``simulate cascade`` (atomic output over a previous good file), ``ps trials``,
``flare trials`` and ``flare scan --scrambles`` (resumable campaigns).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from bayesnu.inference.campaign import load_campaign

from bayesnu.atomic import temporary_files

pytestmark = pytest.mark.slow

KILL_SEED = 20261202
ENTRY = "import sys; from bayesnu.cli import main; raise SystemExit(main(sys.argv[1:]))"


def _cmd(argv: list[str]) -> list[str]:
    return [sys.executable, "-c", ENTRY, *argv]


def _run(argv: list[str], cwd: Path, timeout: float = 300) -> tuple[int, float, str]:
    t = time.perf_counter()
    r = subprocess.run(_cmd(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, time.perf_counter() - t, r.stderr


def _killed_runs(argv: list[str], cwd: Path, t_ref: float, n_kills: int, rng,
                 check: Callable[[int], None],
                 progress: Callable[[], int] | None = None, total: int = 0) -> list[str]:
    """Start ``argv`` n_kills times and SIGKILL it at a random (seeded) point.

    Without ``progress``: at a random time in (0.2, 0.95) t_ref. With ``progress`` (the
    number of chunk files on disk) and ``total`` chunks: once a random number of chunks
    in [1, total - 1] is done, plus a random delay of up to 0.3 s - so that the kills
    land inside the campaign, between and during chunk writes.
    """
    what = []
    for i in range(n_kills):
        p = subprocess.Popen(_cmd(argv), cwd=cwd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        if progress is None:
            t_kill = float(rng.uniform(0.2, 0.95)) * t_ref
            try:
                p.wait(timeout=t_kill)
            except subprocess.TimeoutExpired:
                pass
            what.append(f"t={t_kill:.2f}s")
        else:
            k = int(rng.integers(1, max(2, total)))
            delay = float(rng.uniform(0.0, 0.3))
            t0 = time.perf_counter()
            while p.poll() is None and progress() < k and time.perf_counter() - t0 < 300:
                time.sleep(0.02)
            time.sleep(delay)
            what.append(f"after {progress()} chunks")
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        p.wait()
        check(i)
    return what


def _n_chunks(folder: Path) -> Callable[[], int]:
    return lambda: sum(1 for _ in folder.rglob("chunk_*.npz"))


def _drop_timings(d):
    """JSON without run-time bookkeeping (timings, chunks run/reused, reuse flags, where it ran)."""
    if isinstance(d, dict):
        return {k: _drop_timings(v) for k, v in d.items()
                if not any(w in k for w in ("seconds", "chunks_", "reused", "per_second", "ran_on"))}
    if isinstance(d, list):
        return [_drop_timings(v) for v in d]
    return d


def _all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _no_temporaries(root: Path) -> None:
    for d in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        assert temporary_files(d) == [], d


def _campaign_chunks_complete(folder: Path, reference: Path) -> None:
    """Every chunk file on disk is complete and identical in content to the reference's."""
    for c in sorted(folder.glob("chunk_*.npz")):
        with np.load(c) as z, np.load(reference / c.name) as r:
            for k in r.files:
                if k != "_seconds":
                    np.testing.assert_array_equal(z[k], r[k])


def test_kill_simulate_cascade(tmp_path):
    from bayesnu.data import load

    ref = tmp_path / "ref"
    work = tmp_path / "work"
    ref.mkdir()
    work.mkdir()
    argv = ["simulate", "cascade", "--n-events", "200000", "--seed", "5", "--quiet"]
    rc, t_ref, err = _run([*argv, "--out", "c.npz"], ref)
    assert rc == 0, err
    # a previous good output that a killed run must never destroy
    rc, _, err = _run(["simulate", "cascade", "--n-events", "1000", "--seed", "1", "--quiet",
                       "--out", "c.npz"], work)
    assert rc == 0, err
    expected = load(ref / "c.npz")

    def check(i):
        ds = load(work / "c.npz")  # always loadable: old (1000 events) or new, never partial
        assert ds.n_events in (1000, expected.n_events)
        visible = {p.name for p in work.iterdir() if not p.name.startswith(".")}
        assert visible == {"c.npz"}

    kills = _killed_runs([*argv, "--out", "c.npz", "--force"], work, t_ref, 3,
                         np.random.default_rng(KILL_SEED), check)
    assert len(kills) == 3
    rc, _, err = _run([*argv, "--out", "c.npz", "--force"], work)
    assert rc == 0, err
    got = load(work / "c.npz")
    for a, b in zip(got.samples, expected.samples, strict=True):
        for col in ("ra", "dec", "time", "log10e", "angerr"):
            np.testing.assert_array_equal(getattr(a, col), getattr(b, col))
    _no_temporaries(work)


def test_kill_ps_trials(tmp_path):
    argv = ["ps", "trials", "--data", "ic86_2011", "--source", "NGC 1068", "--n", "300",
            "--chunk-size", "15", "--seed", "3", "--quiet", "--out", "camp"]
    ref, work = tmp_path / "ref", tmp_path / "work"
    ref.mkdir()
    work.mkdir()
    rc, t_ref, err = _run(argv, ref)
    assert rc == 0, err

    def check(i):
        if (work / "camp").exists():
            _campaign_chunks_complete(work / "camp", ref / "camp")

    _killed_runs(argv, work, t_ref, 2, np.random.default_rng(KILL_SEED + 1), check,
                 progress=_n_chunks(work / "camp"), total=20)
    n_before = _n_chunks(work / "camp")()
    assert n_before >= 1  # the kills landed inside the campaign
    rc, _, err = _run(argv, work)
    assert rc == 0, err
    a = json.loads((work / "camp" / "trials.json").read_text())
    b = json.loads((ref / "camp" / "trials.json").read_text())
    assert len(a["ts"]) == 300
    assert a["ts"] == b["ts"] and a["ns"] == b["ns"] and a["gamma"] == b["gamma"]
    assert _all_files(work / "camp") == _all_files(ref / "camp")
    _no_temporaries(work)


def test_kill_flare_trials(tmp_path):
    argv = ["flare", "trials", "--data", "txs0506", "--sample", "IC86b", "--n", "6",
            "--chunk-size", "2", "--bands", "42:44", "--scheduler", "serial", "--seed", "2",
            "--quiet", "--out", "ft"]
    ref, work = tmp_path / "ref", tmp_path / "work"
    ref.mkdir()
    work.mkdir()
    rc, t_ref, err = _run(argv, ref)
    assert rc == 0, err

    def check(i):
        for band in (work / "ft").glob("band_*"):
            _campaign_chunks_complete(band, ref / "ft" / band.name)

    _killed_runs(argv, work, t_ref, 2, np.random.default_rng(KILL_SEED + 2), check,
                 progress=_n_chunks(work / "ft"), total=6)
    rc, _, err = _run(argv, work)
    assert rc == 0, err
    for band in sorted((ref / "ft").glob("band_*")):
        a, b = load_campaign(work / "ft" / band.name), load_campaign(band)
        assert a.n_trials == b.n_trials == 6
        for k in b.data:
            np.testing.assert_array_equal(a.data[k], b.data[k])
    assert _all_files(work / "ft") == _all_files(ref / "ft")
    _no_temporaries(work)


def test_kill_flare_scan_scrambles(tmp_path):
    argv = ["flare", "scan", "--data", "txs0506", "--sample", "IC86b", "--nside", "16",
            "--workers", "1", "--scrambles", "8", "--seed", "4", "--quiet", "--out", "fs"]
    ref, work = tmp_path / "ref", tmp_path / "work"
    ref.mkdir()
    work.mkdir()
    rc, t_ref, err = _run(argv, ref)
    assert rc == 0, err

    def check(i):
        if (work / "fs" / "scrambles").exists():
            _campaign_chunks_complete(work / "fs" / "scrambles", ref / "fs" / "scrambles")
        for f in ("pvalues.json", "hottest.json"):
            if (work / "fs" / f).exists():
                json.loads((work / "fs" / f).read_text())  # complete JSON, never truncated

    _killed_runs(argv, work, t_ref, 2, np.random.default_rng(KILL_SEED + 3), check,
                 progress=_n_chunks(work / "fs" / "scrambles"), total=8)
    rc, _, err = _run(argv, work)
    assert rc == 0, err
    a, b = load_campaign(work / "fs" / "scrambles"), load_campaign(ref / "fs" / "scrambles")
    assert a.n_trials == b.n_trials == 8
    for k in b.data:
        np.testing.assert_array_equal(a.data[k], b.data[k])
    pa = json.loads((work / "fs" / "pvalues.json").read_text())
    pb = json.loads((ref / "fs" / "pvalues.json").read_text())
    assert _drop_timings(pa) == _drop_timings(pb)
    assert pa["scrambles"]["chunks_reused"] > 0  # the killed runs' skies were kept
    assert _all_files(work / "fs") == _all_files(ref / "fs")
    _no_temporaries(work)

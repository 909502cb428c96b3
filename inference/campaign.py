"""Generic, resumable trial campaigns (background / signal trials) on dask or serially.

A campaign runs ``n_trials`` trials of a user function in chunks of
``chunk_size``. Chunk ``k`` draws its random numbers from
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(k,)))``, which is
exactly ``SeedSequence(seed).spawn(k + 1)[k]``: the result of a chunk depends
only on ``(seed, k)``, never on which worker ran it, in which order, or how
many chunks ran before. A serial run and a dask run with the same seed
therefore give identical trials.

Every chunk is written to its own file ``chunk_<k>.npz`` in the output folder
as soon as it is done (written to a temporary name in the same folder, then
atomically renamed). A manifest ``campaign.json`` records the seed, chunk size
and the caller's metadata. Re-running the same campaign (same folder) skips
the chunks already on disk, so an interrupted campaign resumes without losing
or duplicating trials; asking for more trials adds chunks.

The chunk function has the signature ``fn(rng, n, *args) -> dict[str, array]``
and returns arrays whose first axis has length ``n`` (one row per trial).

Schedulers: ``"serial"`` (in-process), ``"local"`` (a
``dask.distributed.LocalCluster`` with one single-threaded worker process per
core, the default), ``"threads"`` (a LocalCluster of threads in this process;
for functions that release the GIL, and tests), or the address of an existing
dask scheduler (``tcp://host:8786``) or a ``distributed.Client``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.errors import InputError

__all__ = ["chunk_rng", "run_campaign", "load_campaign", "CampaignResult"]

MANIFEST = "campaign.json"


def chunk_rng(seed: int, k: int) -> np.random.Generator:
    """Random generator of chunk ``k`` of a campaign with master ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(k),)))


def _run_chunk(fn: Callable, seed: int, k: int, n: int, args: Sequence[Any]) -> dict:
    t = time.perf_counter()
    out = fn(chunk_rng(seed, k), n, *args)
    if not isinstance(out, dict) or not out:
        raise InputError("a campaign chunk function must return a non-empty dict of arrays",
                         column="fn")
    arrays = {key: np.asarray(v) for key, v in out.items()}
    for key, v in arrays.items():
        if v.ndim == 0 or v.shape[0] != n:
            raise InputError(f"chunk output {key!r} has first dimension {v.shape[:1]}, expected {n}",
                             column=key)
    arrays["_seconds"] = np.array(time.perf_counter() - t)
    return arrays


def _chunk_path(out: Path, k: int) -> Path:
    return out / f"chunk_{k:06d}.npz"


def _atomic_save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _chunk_ok(path: Path, n: int) -> bool:
    try:
        with np.load(path) as z:
            keys = [k for k in z.files if not k.startswith("_")]
            return bool(keys) and all(z[k].shape[0] == n for k in keys)
    except Exception:
        return False


@dataclass
class CampaignResult:
    """Trials of a campaign (concatenated over chunks, truncated to ``n_trials``)."""

    data: dict[str, np.ndarray]
    n_trials: int
    seed: int
    chunk_size: int
    out_dir: Path
    n_chunks_run: int = 0
    n_chunks_reused: int = 0
    seconds: float = 0.0
    chunk_seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.data[key]

    def summary(self) -> dict[str, Any]:
        return {"n_trials": self.n_trials, "seed": self.seed, "chunk_size": self.chunk_size,
                "out_dir": str(self.out_dir), "chunks_run": self.n_chunks_run,
                "chunks_reused": self.n_chunks_reused, "wall_seconds": self.seconds,
                "cpu_seconds_in_chunks": self.chunk_seconds,
                "trials_per_second": (self.n_chunks_run * self.chunk_size / self.seconds
                                      if self.seconds > 0 and self.n_chunks_run else None)}


def _write_manifest(out: Path, seed: int, chunk_size: int, meta: dict[str, Any]) -> None:
    path = out / MANIFEST
    new = {"seed": int(seed), "chunk_size": int(chunk_size), "meta": meta}
    if path.exists():
        old = json.loads(path.read_text())
        for key in ("seed", "chunk_size"):
            if old.get(key) != new[key]:
                raise InputError(f"campaign folder was started with {key}={old.get(key)}, "
                                 f"not {new[key]}; use another --out or the same {key}",
                                 path=path, column=key)
        if old.get("meta") != json.loads(json.dumps(meta)):
            raise InputError("campaign folder was started with different settings "
                             f"{old.get('meta')}; use another --out", path=path)
        return
    fd, tmp = tempfile.mkstemp(prefix=MANIFEST, suffix=".tmp", dir=out)
    with os.fdopen(fd, "w") as fh:
        json.dump(new, fh, indent=2)
    os.replace(tmp, path)


def _client(scheduler: Any, n_workers: int | None):
    from dask.distributed import Client, LocalCluster

    if hasattr(scheduler, "submit"):
        return scheduler, None
    if scheduler in ("local", "threads"):
        nw = n_workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=nw, threads_per_worker=1,
                               processes=(scheduler == "local"), dashboard_address=None)
        return Client(cluster), cluster
    return Client(scheduler), None


def run_campaign(fn: Callable, n_trials: int, out_dir: str | os.PathLike, seed: int,
                 chunk_size: int = 100, args: Sequence[Any] = (),
                 scheduler: Any = "local", n_workers: int | None = None,
                 progress: bool = True, meta: dict[str, Any] | None = None,
                 desc: str = "trials") -> CampaignResult:
    """Run (or resume) a trial campaign and return all its trials.

    Parameters
    ----------
    fn : callable
        ``fn(rng, n, *args) -> dict[str, ndarray]`` (first axis = trials). Must be
        importable by the workers (a module-level function) for process clusters.
    n_trials : int
        Trials wanted in total (rounded up to whole chunks on disk; the result
        is truncated to ``n_trials``).
    out_dir : path
        Folder holding the manifest and one file per chunk.
    seed : int
        Master seed; chunk k uses :func:`chunk_rng` (seed, k).
    chunk_size : int
        Trials per chunk (per file).
    args : sequence
        Extra arguments of ``fn`` (scattered once to dask workers).
    scheduler : {"local", "threads", "serial"}, str or Client
        Where chunks run (see the module docstring).
    n_workers : int, optional
        Workers of a local cluster (default: all cores).
    progress : bool
        Show a tqdm progress bar on stderr.
    meta : dict, optional
        JSON-serialisable settings stored in the manifest; resuming with other
        settings in the same folder is refused.
    """
    if n_trials < 1 or chunk_size < 1:
        raise InputError(f"need n_trials >= 1 and chunk_size >= 1, got {n_trials}, {chunk_size}",
                         column="n_trials")
    if seed is None:
        raise InputError("a campaign needs an explicit integer seed (for resuming)", column="seed")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(meta or {})
    _write_manifest(out, seed, chunk_size, meta)
    for tmp in out.glob("*.tmp"):
        tmp.unlink(missing_ok=True)
    n_chunks = math.ceil(n_trials / chunk_size)
    todo = [k for k in range(n_chunks) if not _chunk_ok(_chunk_path(out, k), chunk_size)]
    reused = n_chunks - len(todo)
    t_start = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_chunks * chunk_size, initial=reused * chunk_size, desc=desc,
                   unit="trial", file=None, dynamic_ncols=True)
    try:
        if todo and scheduler == "serial":
            for k in todo:
                _atomic_save(_chunk_path(out, k), _run_chunk(fn, seed, k, chunk_size, args))
                if bar is not None:
                    bar.update(chunk_size)
        elif todo:
            from dask.distributed import as_completed

            client, cluster = _client(scheduler, n_workers)
            try:
                sargs = [a if isinstance(a, int | float | str | bool | type(None))
                         else client.scatter(a, broadcast=True, hash=False) for a in args]
                futs = {client.submit(_run_chunk, fn, seed, k, chunk_size, sargs,
                                      key=f"chunk-{seed}-{k}-{out.name}", pure=False): k
                        for k in todo}
                for fut in as_completed(futs):
                    k = futs[fut]
                    _atomic_save(_chunk_path(out, k), fut.result())
                    if bar is not None:
                        bar.update(chunk_size)
            finally:
                if cluster is not None:
                    client.close()
                    cluster.close()
    finally:
        if bar is not None:
            bar.close()
    res = load_campaign(out, n_trials)
    res.n_chunks_run = len(todo)
    res.n_chunks_reused = reused
    res.seconds = time.perf_counter() - t_start
    return res


def load_campaign(out_dir: str | os.PathLike, n_trials: int | None = None) -> CampaignResult:
    """Load the trials of a campaign folder (consecutive complete chunks from 0)."""
    out = Path(out_dir)
    mpath = out / MANIFEST
    if not mpath.exists():
        raise InputError("not a campaign folder (no campaign.json)", path=out)
    man = json.loads(mpath.read_text())
    cs = int(man["chunk_size"])
    parts: dict[str, list[np.ndarray]] = {}
    secs = 0.0
    k = 0
    while True:
        p = _chunk_path(out, k)
        if not p.exists() or (n_trials is not None and k * cs >= n_trials):
            break
        with np.load(p) as z:
            for key in z.files:
                if key == "_seconds":
                    secs += float(z[key])
                    continue
                parts.setdefault(key, []).append(z[key])
        k += 1
    data = {key: np.concatenate(v)[: (n_trials if n_trials is not None else None)]
            for key, v in parts.items()}
    n = next(iter(data.values())).shape[0] if data else 0
    return CampaignResult(data=data, n_trials=n, seed=int(man["seed"]), chunk_size=cs,
                          out_dir=out, chunk_seconds=secs, meta=man.get("meta", {}))

"""Generic, resumable trial campaigns (background / signal trials) on dask or serially.

A campaign runs ``n_trials`` trials of a user function in chunks of
``chunk_size``. Chunk ``k`` draws its random numbers from
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(k,)))``, which is
exactly ``SeedSequence(seed).spawn(k + 1)[k]``: the result of a chunk depends
only on ``(seed, k)``, never on which worker ran it, in which order, or how
many chunks ran before. A serial run and a dask run with the same seed
therefore give identical trials.

Every chunk is written to its own file ``chunk_<k>.npz`` in the output folder
as soon as it is done (:mod:`bayesnu.atomic`: a temporary name in the same
folder, then an atomic rename), and records its seed, index and size. A
manifest ``campaign.json`` records the seed, chunk size and the caller's
metadata. Re-running the same campaign (same folder) skips the chunks already
on disk, so an interrupted campaign resumes without losing or duplicating
trials; asking for more trials adds chunks.

One writer per folder: the runner holds an exclusive ``flock`` on
``campaign.lock``, which records the owner's pid, host and start time. A second
run into the same folder is refused with a message naming the owner. A lock
whose owner died (killed, node lost) is free again and is taken over
(reported as ``stale_lock_taken_over``); only then, and only for writers that
are no longer alive, are leftover temporary files removed. A truncated or
otherwise unreadable manifest or chunk gives one line saying how to repair.

The chunk function has the signature ``fn(rng, n, *args) -> dict[str, array]``
and returns arrays whose first axis has length ``n`` (one row per trial).

Schedulers: ``"serial"`` (in-process), ``"local"`` (a
``dask.distributed.LocalCluster`` with one single-threaded worker process per
core, the default), ``"threads"`` (a LocalCluster of threads in this process;
for functions that release the GIL, and tests), the address of an existing
dask scheduler (``tcp://host:8786``; the campaign trusts that scheduler and
its workers: they run the pickled chunk function), a ``distributed.Client``,
or an HPC batch cluster through dask-jobqueue (:func:`make_client` with
``cluster="slurm"|"pbs"|"sge"|"lsf"`` and a configuration mapping; the
optional extra ``pip install "bayesnu[hpc]"``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import json
import math
import os
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.atomic import TEMP_PATTERN, save_npz, temporary_files, write_json
from bayesnu.errors import InputError

__all__ = ["chunk_rng", "run_campaign", "load_campaign", "CampaignResult", "CampaignLock",
           "make_client", "CLUSTER_KINDS", "check_scheduler_address", "MANIFEST", "LOCK"]

MANIFEST = "campaign.json"
LOCK = "campaign.lock"
#: batch systems reachable through dask-jobqueue (``pip install "bayesnu[hpc]"``)
CLUSTER_KINDS = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster",
                 "lsf": "LSFCluster"}
_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://[^\s/:]+:\d{1,5}/?$|^(tcp|tls)://\[[0-9a-fA-F:]+\]:\d{1,5}/?$")
_CHUNK_NAME = re.compile(r"^chunk_(\d{6,})\.npz$")


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
        if key.startswith("_"):
            raise InputError(f"chunk output key {key!r} may not start with '_'", column=key)
        if v.ndim == 0 or v.shape[0] != n:
            raise InputError(f"chunk output {key!r} has first dimension {v.shape[:1]}, expected {n}",
                             column=key)
    arrays["_seconds"] = np.array(time.perf_counter() - t)
    arrays["_seed"] = np.array(str(int(seed)))
    arrays["_chunk"] = np.array(int(k))
    arrays["_n"] = np.array(int(n))
    return arrays


def _chunk_path(out: Path, k: int) -> Path:
    return out / f"chunk_{k:06d}.npz"


def _chunk_ok(path: Path, n: int, seed: int, k: int) -> bool:
    """A complete chunk of this campaign (older chunks without the _seed record pass on shape)."""
    try:
        with np.load(path) as z:
            keys = [key for key in z.files if not key.startswith("_")]
            if not keys or not all(z[key].shape[0] == n for key in keys):
                return False
            if "_seed" in z.files:
                return str(z["_seed"]) == str(int(seed)) and int(z["_chunk"]) == k
            return True
    except Exception:  # noqa: BLE001 - unreadable chunk: recompute it
        return False


# --------------------------------------------------------------------------- lock
def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CampaignLock:
    """Exclusive writer lock of a campaign folder (``flock`` on ``campaign.lock``).

    The lock file records the owner's pid, host and start time; the kernel
    releases the ``flock`` when the owner exits or is killed, so a lock left by
    a dead owner is detected as stale and taken over (:attr:`stale_owner`).

    Parameters
    ----------
    folder
        The campaign folder (must exist).
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self.fd: int | None = None
        self.stale_owner: dict[str, Any] | None = None

    @staticmethod
    def _read(fd: int) -> dict[str, Any] | None:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 65536)
        if not raw.strip():
            return None
        try:
            info = json.loads(raw)
        except ValueError:
            return {"unreadable": raw[:80].decode("utf-8", "replace")}
        return info if isinstance(info, dict) else {"unreadable": str(info)[:80]}

    def acquire(self) -> CampaignLock:
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"cannot create the campaign lock: {exc.strerror}",
                             path=self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            owner = self._read(fd) or {}
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise InputError(f"cannot lock the campaign folder: {exc.strerror}",
                                 path=self.folder) from None
            who = (f"pid {owner.get('pid', '?')} on host {owner.get('host', '?')} since "
                   f"{owner.get('started', '?')}")
            raise InputError(f"campaign folder is in use by another run ({who}); wait for it "
                             "to finish, or use another --out", path=self.folder) from None
        prev = self._read(fd)
        if prev:
            self.stale_owner = prev  # the previous owner died without releasing the lock
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(info) + "\n").encode())
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        """Clear the owner record and release the lock (the file stays: no unlink race)."""
        if self.fd is None:
            return
        import fcntl

        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> CampaignLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _clean_dead_temporaries(out: Path, stale_owner: dict[str, Any] | None) -> int:
    """Remove temporary files of writers that are dead (never those of a live process)."""
    host = socket.gethostname()
    removed = 0
    for tmp in temporary_files(out):
        pid = int(TEMP_PATTERN.match(tmp.name).group("pid"))
        dead_owner = (stale_owner is not None and stale_owner.get("pid") == pid)
        same_host_dead = (stale_owner is None or stale_owner.get("host") in (None, host)) \
            and not _pid_alive(pid)
        if dead_owner or same_host_dead or pid == os.getpid():
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed += 1
    # temporaries of the runner before bayesnu.atomic (chunk_000001.npz.abc123.tmp): we hold
    # the lock, so their writer is gone
    for tmp in out.glob("*.npz.*.tmp"):
        if not tmp.name.startswith("."):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed += 1
    for tmp in out.glob(f"{MANIFEST}*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed


# ----------------------------------------------------------------------- results
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
    stale_lock_taken_over: dict[str, Any] | None = None
    temporaries_removed: int = 0

    def __getitem__(self, key: str) -> np.ndarray:
        return self.data[key]

    def summary(self) -> dict[str, Any]:
        return {"n_trials": self.n_trials, "seed": self.seed, "chunk_size": self.chunk_size,
                "out_dir": str(self.out_dir), "chunks_run": self.n_chunks_run,
                "chunks_reused": self.n_chunks_reused, "wall_seconds": self.seconds,
                "cpu_seconds_in_chunks": self.chunk_seconds,
                "trials_per_second": (self.n_chunks_run * self.chunk_size / self.seconds
                                      if self.seconds > 0 and self.n_chunks_run else None),
                "stale_lock_taken_over": self.stale_lock_taken_over,
                "temporaries_removed": self.temporaries_removed}


def _repair_hint(out: Path) -> str:
    return (f"delete {out / MANIFEST} to rebuild it from the chunk files (they record their "
            f"seed), or delete the folder {out} to start the campaign again")


def _read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        man = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"corrupted campaign manifest ({type(exc).__name__}: "
                         f"{str(exc)[:60]}); {_repair_hint(out)}", path=path) from None
    if (not isinstance(man, dict) or not isinstance(man.get("seed"), int)
            or not isinstance(man.get("chunk_size"), int) or man["chunk_size"] < 1
            or not isinstance(man.get("meta", {}), dict)):
        raise InputError("corrupted campaign manifest (expected an object with integer seed "
                         f"and chunk_size and a meta object); {_repair_hint(out)}", path=path)
    return man


def _existing_chunks(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if _CHUNK_NAME.match(p.name))


def _write_manifest(out: Path, seed: int, chunk_size: int, meta: dict[str, Any]) -> None:
    path = out / MANIFEST
    new = {"seed": int(seed), "chunk_size": int(chunk_size), "meta": meta}
    old = _read_manifest(out)
    if old is not None:
        for key in ("seed", "chunk_size"):
            if old.get(key) != new[key]:
                raise InputError(f"campaign folder was started with {key}={old.get(key)}, "
                                 f"not {new[key]}; use another --out or the same {key}",
                                 path=path)
        if old.get("meta") != json.loads(json.dumps(meta)):
            raise InputError("campaign folder was started with different settings "
                             f"{old.get('meta')}; use another --out", path=path)
        return
    # no manifest: chunk files may only be adopted when they record this seed and size
    for p in _existing_chunks(out):
        try:
            with np.load(p) as z:
                ok = ("_seed" in z.files and str(z["_seed"]) == str(int(seed))
                      and int(z["_n"]) == int(chunk_size))
        except Exception:  # noqa: BLE001 - an unreadable chunk is recomputed
            continue
        if not ok:
            raise InputError(f"folder holds chunk files ({p.name}) but no {MANIFEST}, and they "
                             "do not record this seed and chunk size; use another --out or "
                             "delete the chunk files", path=out)
    write_json(path, new)


# ----------------------------------------------------------------------- clients
def check_scheduler_address(address: str) -> str | None:
    """Error text for a malformed dask scheduler address (None when it looks right)."""
    if address in ("serial", "local", "threads"):
        return None
    if not _ADDRESS.match(address):
        return (f"expected 'serial', 'local', 'threads' or a dask scheduler address with a port, "
                f"such as tcp://host:8786, got {address!r}")
    port = address.rsplit(":", 1)[-1].rstrip("/")
    if port.isdigit() and not 0 < int(port) < 65536:
        return f"port {port} out of range 1..65535"
    return None


def _load_cluster_config(config: Mapping[str, Any] | str | os.PathLike | None) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    path = Path(config)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read cluster configuration: {exc.strerror}", path=path) from None
    try:
        if path.suffix.lower() == ".json":
            cfg = json.loads(text)
        else:
            import yaml

            cfg = yaml.safe_load(text)
    except Exception as exc:  # noqa: BLE001 - yaml and json errors: one line
        raise InputError(f"not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: "
                         f"{' '.join(str(exc).split())[:120]}", path=path) from None
    if cfg is None:
        cfg = {}
    if not isinstance(cfg, dict):
        raise InputError("cluster configuration must be a mapping of dask-jobqueue options",
                         path=path)
    return cfg


#: dask settings of the local cluster of a campaign: the event-loop tick (20 ms by default),
#: the nannies' memory monitor (100 ms) and the system monitor (500 ms) wake the scheduler
#: process ~60 times a second; with these it uses ~1% of a core instead of ~7% while the
#: workers compute (benchmarks/bench_dask_idle.py). Only the blocked-loop warning and the
#: memory sampling get coarser.
LOCAL_CLUSTER_CONFIG = {"distributed.admin.tick.interval": "1s",
                        "distributed.worker.memory.monitor-interval": "1s",
                        "distributed.admin.system-monitor.interval": "2s"}


def make_client(scheduler: Any = "local", n_workers: int | None = None, cluster: str | None = None,
                cluster_config: Mapping[str, Any] | str | os.PathLike | None = None,
                timeout: float = 10.0):
    """A dask ``Client`` and a closer for a scheduler spec.

    Parameters
    ----------
    scheduler
        ``"local"`` (LocalCluster of single-threaded worker processes), ``"threads"``,
        a scheduler address ``tcp://host:port`` (trusted: its workers run the pickled
        chunk functions), or a ``distributed.Client`` (returned as is).
    n_workers
        Workers of a local cluster (default: all cores); jobs of a batch cluster
        (default 1).
    cluster
        ``"slurm"``, ``"pbs"``, ``"sge"`` or ``"lsf"``: start workers as batch jobs through
        dask-jobqueue (``pip install "bayesnu[hpc]"``).
    cluster_config
        Keyword arguments of the dask-jobqueue cluster (``cores``, ``memory``,
        ``queue``, ``walltime``, ``job_extra_directives``, ...), as a mapping or a
        YAML/JSON file; the extra key ``jobs`` sets the number of jobs.
    timeout
        Seconds to wait when connecting to a scheduler address.

    Returns
    -------
    client, close
        ``close()`` shuts down what this function started (not a passed-in Client).
    """
    from dask.distributed import Client, LocalCluster

    if hasattr(scheduler, "submit"):
        return scheduler, (lambda: None)
    if cluster is not None:
        kind = str(cluster).lower()
        if kind not in CLUSTER_KINDS:
            raise InputError(f"unknown batch system {cluster!r}; choose from "
                             f"{', '.join(CLUSTER_KINDS)}", column="--cluster")
        try:
            import dask_jobqueue
        except ImportError:
            raise InputError("--cluster needs dask-jobqueue: pip install \"bayesnu[hpc]\"",
                             column="--cluster") from None
        cfg = _load_cluster_config(cluster_config)
        jobs = int(cfg.pop("jobs", n_workers or 1))
        cls = getattr(dask_jobqueue, CLUSTER_KINDS[kind])
        try:
            jc = cls(**cfg)
        except (TypeError, ValueError) as exc:
            raise InputError(f"bad {kind} cluster configuration: {' '.join(str(exc).split())}",
                             path=cluster_config if isinstance(cluster_config, str | os.PathLike)
                             else None, column=None if cluster_config else "--cluster") from None
        jc.scale(jobs=jobs)
        client = Client(jc)

        def close_jc() -> None:
            client.close()
            jc.close()

        return client, close_jc
    if scheduler in ("local", "threads"):
        nw = n_workers or os.cpu_count() or 1
        # no dashboard; the scheduler's HTTP routes on a free port, not on 8787 (a second
        # campaign on this machine would print "Port 8787 is already in use"); slower
        # housekeeping ticks (LOCAL_CLUSTER_CONFIG) keep the idle scheduler off the cores
        import dask

        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            lc = LocalCluster(n_workers=nw, threads_per_worker=1,
                              processes=(scheduler == "local"), dashboard_address=None,
                              scheduler_kwargs={"dashboard_address": ":0"})
        client = Client(lc)

        def close_lc() -> None:
            client.close()
            lc.close()

        return client, close_lc
    msg = check_scheduler_address(str(scheduler))
    if msg:
        raise InputError(msg, column="--scheduler")
    try:
        client = Client(scheduler, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot connect to the dask scheduler {scheduler} within {timeout:g} s "
                         f"({type(exc).__name__}); is it running and reachable?",
                         column="--scheduler") from None
    return client, client.close


# ----------------------------------------------------------------------- runner
def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError("campaign output exists and is not a folder", path=out)
    parent = out.parent if str(out.parent) else Path(".")
    if not out.exists():
        if not parent.is_dir():
            raise InputError(f"parent folder {parent} of the campaign folder does not exist",
                             path=out)
        if not os.access(parent, os.W_OK | os.X_OK):
            raise InputError(f"folder {parent} is not writable", path=out)
        out.mkdir(exist_ok=True)
    elif not os.access(out, os.W_OK | os.X_OK):
        raise InputError("campaign folder is not writable", path=out)


def run_campaign(fn: Callable, n_trials: int, out_dir: str | os.PathLike, seed: int,
                 chunk_size: int = 100, args: Sequence[Any] = (),
                 scheduler: Any = "local", n_workers: int | None = None,
                 progress: bool = True, meta: dict[str, Any] | None = None,
                 desc: str = "trials", cluster: str | None = None,
                 cluster_config: Mapping[str, Any] | str | os.PathLike | None = None,
                 on_chunk: Callable[[int], None] | None = None,
                 connect_timeout: float = 10.0) -> CampaignResult:
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
        Folder holding the manifest, the lock and one file per chunk. Its parent
        must exist; it is created if missing.
    seed : int
        Master seed (>= 0); chunk k uses :func:`chunk_rng` (seed, k).
    chunk_size : int
        Trials per chunk (per file).
    args : sequence
        Extra arguments of ``fn`` (scattered once to dask workers).
    scheduler : {"local", "threads", "serial"}, str or Client
        Where chunks run (see the module docstring and :func:`make_client`).
    n_workers : int, optional
        Workers of a local cluster (default: all cores) or jobs of a batch cluster.
    progress : bool
        Show a tqdm progress bar on stderr.
    meta : dict, optional
        JSON-serialisable settings stored in the manifest; resuming with other
        settings in the same folder is refused.
    desc : str
        Label of the progress bar.
    cluster, cluster_config
        Batch system and dask-jobqueue configuration (see :func:`make_client`).
    on_chunk : callable, optional
        Called with the chunk index after each chunk file is written (tests use it).
    connect_timeout : float
        Seconds to wait for a scheduler address before giving up (no hang).

    Raises
    ------
    InputError
        Bad folder, folder in use by another run, other settings than the
        folder's, corrupted manifest, unreachable scheduler.
    """
    if not (isinstance(n_trials, int | np.integer) and n_trials >= 1):
        raise InputError(f"need n_trials >= 1, got {n_trials}", column="n_trials")
    if not (isinstance(chunk_size, int | np.integer) and chunk_size >= 1):
        raise InputError(f"need chunk_size >= 1, got {chunk_size}", column="chunk_size")
    if seed is None or int(seed) < 0:
        raise InputError("a campaign needs an explicit non-negative integer seed (for resuming)",
                         column="seed")
    seed = int(seed)
    out = Path(out_dir)
    _prepare_out(out)
    meta = dict(meta or {})
    lock = CampaignLock(out).acquire()
    try:
        removed = _clean_dead_temporaries(out, lock.stale_owner)
        _write_manifest(out, seed, chunk_size, meta)
        n_chunks = math.ceil(int(n_trials) / chunk_size)
        todo = [k for k in range(n_chunks)
                if not _chunk_ok(_chunk_path(out, k), chunk_size, seed, k)]
        reused = n_chunks - len(todo)
        t_start = time.perf_counter()
        bar = None
        if progress and todo:
            from tqdm.auto import tqdm

            bar = tqdm(total=n_chunks * chunk_size, initial=reused * chunk_size, desc=desc,
                       unit="trial", dynamic_ncols=True)

        def save(k: int, arrays: dict[str, np.ndarray]) -> None:
            save_npz(_chunk_path(out, k), compressed=True, **arrays)
            if bar is not None:
                bar.update(chunk_size)
            if on_chunk is not None:
                on_chunk(k)

        try:
            if todo and scheduler == "serial" and cluster is None:
                for k in todo:
                    save(k, _run_chunk(fn, seed, k, chunk_size, args))
            elif todo:
                from dask.distributed import as_completed

                client, close = make_client(scheduler, n_workers, cluster, cluster_config,
                                            timeout=connect_timeout)
                try:
                    sargs = [a if isinstance(a, int | float | str | bool | type(None))
                             else client.scatter(a, broadcast=True, hash=False) for a in args]
                    tag = hashlib.sha1(str(out.resolve()).encode()).hexdigest()[:10]
                    futs = {client.submit(_run_chunk, fn, seed, k, chunk_size, sargs,
                                          key=f"chunk-{tag}-{seed}-{k}", pure=False,
                                          retries=2): k
                            for k in todo}
                    for fut in as_completed(futs):
                        save(futs[fut], fut.result())
                finally:
                    close()
        finally:
            if bar is not None:
                bar.close()
        res = load_campaign(out, n_trials)
    finally:
        lock.release()
    res.n_chunks_run = len(todo)
    res.n_chunks_reused = reused
    res.seconds = time.perf_counter() - t_start
    res.stale_lock_taken_over = lock.stale_owner
    res.temporaries_removed = removed
    return res


def load_campaign(out_dir: str | os.PathLike, n_trials: int | None = None) -> CampaignResult:
    """Load the trials of a campaign folder (consecutive complete chunks from 0)."""
    out = Path(out_dir)
    if not out.is_dir():
        raise InputError("campaign folder not found", path=out)
    man = _read_manifest(out)
    if man is None:
        raise InputError(f"not a campaign folder (no {MANIFEST})", path=out)
    cs = int(man["chunk_size"])
    parts: dict[str, list[np.ndarray]] = {}
    secs = 0.0
    k = 0
    while True:
        p = _chunk_path(out, k)
        if not p.exists() or (n_trials is not None and k * cs >= n_trials):
            break
        try:
            with np.load(p) as z:
                for key in z.files:
                    if key == "_seconds":
                        secs += float(z[key])
                    elif not key.startswith("_"):
                        parts.setdefault(key, []).append(z[key])
        except Exception as exc:  # noqa: BLE001 - any unreadable chunk: one line with the repair
            raise InputError(f"corrupted chunk file ({type(exc).__name__}); delete it and rerun "
                             "the same campaign to recompute it", path=p) from None
        k += 1
    try:
        data = {key: np.concatenate(v)[: (n_trials if n_trials is not None else None)]
                for key, v in parts.items()}
    except ValueError as exc:
        raise InputError(f"chunk files do not fit together ({exc}); delete the folder and rerun",
                         path=out) from None
    n = next(iter(data.values())).shape[0] if data else 0
    return CampaignResult(data=data, n_trials=n, seed=int(man["seed"]), chunk_size=cs,
                          out_dir=out, chunk_seconds=secs, meta=man.get("meta", {}))

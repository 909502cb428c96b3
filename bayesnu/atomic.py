"""Atomic file output: every writer of bayesnu goes through this module.

A file is written under a temporary name in the *same* folder, flushed to disk,
then renamed onto its final name with :func:`os.replace`. A reader therefore
sees either the complete old file or the complete new one, never a truncated
file, and a run killed while writing leaves the previous good file intact (and
at most a hidden temporary file, see below).

Temporary names are ``.<name>.<pid>.<token>.tmp<suffix>``: hidden, carrying the
writer's process id so that a resumable campaign can remove the leftovers of
a *dead* writer without touching those of a live one
(:func:`temporary_files`, :func:`is_temporary`).

Several files that belong together (a CSV and its JSON sidecar) are written
with :func:`atomic_group`: all temporary files are completed first, then
renamed in the order given (the sidecar first, so a complete table never
appears without its metadata).

Examples
--------
>>> from bayesnu.atomic import atomic_path, write_json
>>> write_json("result.json", {"ts": 3.2})                          # doctest: +SKIP
>>> with atomic_path("maps.fits") as tmp:                           # doctest: +SKIP
...     hdulist.writeto(tmp)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_path", "atomic_open", "atomic_group", "write_bytes", "write_text",
           "write_json", "save_npz", "savefig", "write_netcdf", "write_fits",
           "temporary_name", "is_temporary", "temporary_files", "remove_dead_temporaries",
           "TEMP_PATTERN"]

#: Regular expression matching a temporary name made by this module.
TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<token>[0-9a-f]{8})\.tmp(?P<suffix>.*)$")


def temporary_name(path: str | os.PathLike, keep_suffix: bool = True) -> Path:
    """A fresh temporary path next to ``path`` (same folder, hidden, writer's pid)."""
    p = Path(path)
    suffix = p.suffix if keep_suffix else ""
    return p.with_name(f".{p.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp{suffix}")


def is_temporary(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a temporary file name made by this module."""
    return TEMP_PATTERN.match(Path(path).name) is not None


def temporary_files(folder: str | os.PathLike, pid: int | None = None) -> list[Path]:
    """Temporary files in ``folder`` (optionally only those written by process ``pid``)."""
    out = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            m = TEMP_PATTERN.match(entry.name)
            if m and (pid is None or int(m.group("pid")) == pid):
                out.append(Path(entry.path))
    return sorted(out)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_dead_temporaries(path: str | os.PathLike) -> int:
    """Remove temporaries of ``path`` left by writers that died (this host's pids only).

    A writer killed between creating its temporary file and the rename leaves
    ``.<name>.<pid>.<token>.tmp*``; the next write of the same file removes it.
    Temporaries of live processes are never touched.
    """
    p = Path(path)
    n = 0
    for tmp in temporary_files(p.parent if str(p.parent) else "."):
        m = TEMP_PATTERN.match(tmp.name)
        if m.group("name") == p.name and not _pid_alive(int(m.group("pid"))):
            with contextlib.suppress(OSError):
                tmp.unlink()
                n += 1
    return n


def _umask() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def _final_mode(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _commit(tmp: Path, final: Path) -> None:
    if not tmp.exists():
        raise FileNotFoundError(2, "the writer did not create its output", os.fspath(tmp))
    os.chmod(tmp, _final_mode(final))
    _fsync_file(tmp)
    os.replace(tmp, final)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, keep_suffix: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on success rename it onto ``path``.

    For writers that want a file name (``to_netcdf``, ``HDUList.writeto``,
    ``savefig``). ``keep_suffix`` keeps the final suffix on the temporary name,
    for writers that choose the format from it. On an exception the temporary
    file is removed and ``path`` is left as it was.
    """
    final = Path(path)
    remove_dead_temporaries(final)
    tmp = temporary_name(final, keep_suffix)
    try:
        yield tmp
        _commit(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(final.parent)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """``open()`` for writing, atomically: the file appears complete or not at all."""
    if not any(c in mode for c in "wx"):
        raise ValueError("atomic_open is for writing ('w' or 'wb')")
    with atomic_path(path) as tmp, open(tmp, mode.replace("x", "w"), **kwargs) as fh:
        yield fh


@contextlib.contextmanager
def atomic_group(paths: Sequence[str | os.PathLike],
                 keep_suffix: bool = True) -> Iterator[list[Path]]:
    """Write several files together; rename them in the given order once all are complete.

    Put the sidecar (metadata) first: a reader then never finds the data file
    without its sidecar.
    """
    finals = [Path(p) for p in paths]
    for f in finals:
        remove_dead_temporaries(f)
    tmps = [temporary_name(p, keep_suffix) for p in finals]
    try:
        yield tmps
        for tmp, final in zip(tmps, finals, strict=True):
            _commit(tmp, final)
    except BaseException:
        for tmp in tmps:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    for folder in {f.parent for f in finals}:
        _fsync_dir(folder)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
    return Path(path)


def write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2, **kwargs: Any) -> Path:
    """Write ``obj`` as JSON atomically (serialised fully before the file is opened)."""
    text = json.dumps(obj, indent=indent, **kwargs)
    return write_text(path, text + "\n")


def save_npz(path: str | os.PathLike, compressed: bool = False, **arrays: Any) -> Path:
    """``numpy.savez`` (or ``savez_compressed``) atomically, to exactly ``path``."""
    import numpy as np

    with atomic_open(path, "wb") as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **arrays)
    return Path(path)


def savefig(fig: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    """``fig.savefig(path)`` atomically (format from the suffix of ``path``, default png)."""
    p = Path(path)
    kwargs.setdefault("format", p.suffix.lstrip(".").lower() or "png")
    with atomic_path(p) as tmp:
        fig.savefig(tmp, **kwargs)
    return p


def write_netcdf(obj: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    """``obj.to_netcdf(path)`` atomically (ArviZ InferenceData or xarray Dataset)."""
    with atomic_path(path) as tmp:
        obj.to_netcdf(os.fspath(tmp), **kwargs)
    return Path(path)


def write_fits(hdulist: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    """``HDUList.writeto(path)`` atomically."""
    kwargs.pop("overwrite", None)
    with atomic_path(path) as tmp:
        hdulist.writeto(tmp, **kwargs)
    return Path(path)

"""bayesnu.atomic: the one atomic writer (temporary file in the folder, then os.replace)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from bayesnu.atomic import (
    atomic_group,
    atomic_open,
    is_temporary,
    save_npz,
    temporary_files,
    write_json,
    write_text,
)


def test_failed_write_keeps_old_file_and_leaves_nothing(tmp_path):
    p = tmp_path / "r.json"
    write_json(p, {"a": 1})
    with pytest.raises(RuntimeError), atomic_open(p, "w") as fh:
        fh.write('{"a": 2, "trunc')
        raise RuntimeError("killed while writing")
    assert json.loads(p.read_text()) == {"a": 1}
    assert sorted(os.listdir(tmp_path)) == ["r.json"]


def test_permissions_follow_umask_and_existing_file(tmp_path):
    p = tmp_path / "t.txt"
    write_text(p, "x")
    old = os.umask(0o022)
    os.umask(old)
    assert (p.stat().st_mode & 0o777) == (0o666 & ~old)
    p.chmod(0o640)
    write_text(p, "y")
    assert (p.stat().st_mode & 0o777) == 0o640 and p.read_text() == "y"


def test_npz_exact_path_and_group_order(tmp_path):
    p = tmp_path / "a.npz"
    save_npz(p, compressed=True, x=np.arange(3))
    with np.load(p) as z:
        assert z["x"].tolist() == [0, 1, 2]
    side, main = tmp_path / "t.csv.samples.json", tmp_path / "t.csv"
    with pytest.raises(ValueError), atomic_group([side, main]) as (ts, tm):
        ts.write_text("{}")
        raise ValueError("killed before the table was complete")
    assert not side.exists() and not main.exists() and not temporary_files(tmp_path)
    with atomic_group([side, main]) as (ts, tm):
        ts.write_text("{}")
        tm.write_text("a,b\n")
        assert is_temporary(ts) and is_temporary(tm)
    assert side.read_text() == "{}" and main.read_text() == "a,b\n"
    assert side.stat().st_mtime_ns <= main.stat().st_mtime_ns


def test_temporary_files_by_pid(tmp_path):
    with pytest.raises(KeyError), atomic_open(tmp_path / "x.npz", "wb") as fh:
        fh.write(b"1")
        left = temporary_files(tmp_path, pid=os.getpid())
        assert len(left) == 1 and temporary_files(tmp_path, pid=1) == []
        raise KeyError
    assert temporary_files(tmp_path) == []

"""Trial campaigns: chunk seeding, atomic chunk files, resume without loss or duplication,
identical serial and dask results."""

import json

import numpy as np
import pytest
from bayesnu.inference.campaign import chunk_rng, load_campaign, run_campaign

from bayesnu.errors import InputError


def draw(rng, n, scale=1.0):
    """A trial function: a few random numbers per trial (module level: picklable)."""
    return {"ts": rng.normal(size=n) * scale, "ns": rng.uniform(size=n), "id": rng.integers(0, 2**62, n)}


class Boom(RuntimeError):
    pass


def draw_then_fail(rng, n, fail_after):
    fail_after[0] -= 1
    if fail_after[0] < 0:
        raise Boom("interrupted")
    return draw(rng, n)


def test_chunk_rng_is_spawn():
    ss = np.random.SeedSequence(7).spawn(5)
    for k in range(5):
        assert chunk_rng(7, k).random() == np.random.default_rng(ss[k]).random()


def test_serial_matches_direct(tmp_path):
    res = run_campaign(draw, 95, tmp_path / "a", seed=3, chunk_size=10, scheduler="serial",
                       progress=False)
    assert res.n_trials == 95
    expect = np.concatenate([draw(chunk_rng(3, k), 10)["ts"] for k in range(10)])[:95]
    np.testing.assert_array_equal(res["ts"], expect)
    assert len(list((tmp_path / "a").glob("chunk_*.npz"))) == 10


def test_resume_without_loss_or_duplication(tmp_path):
    out = tmp_path / "c"
    counter = [4]
    with pytest.raises(Boom):
        run_campaign(draw_then_fail, 100, out, seed=11, chunk_size=10, args=(counter,),
                     scheduler="serial", progress=False)
    assert len(list(out.glob("chunk_*.npz"))) == 4
    assert not list(out.glob("*.tmp"))
    partial = load_campaign(out)
    assert partial.n_trials == 40
    res = run_campaign(draw, 100, out, seed=11, chunk_size=10, scheduler="serial", progress=False)
    assert res.n_chunks_reused == 4 and res.n_chunks_run == 6
    fresh = run_campaign(draw, 100, tmp_path / "fresh", seed=11, chunk_size=10,
                         scheduler="serial", progress=False)
    np.testing.assert_array_equal(res["id"], fresh["id"])
    assert np.unique(res["id"]).size == 100
    # extending the campaign adds chunks only
    more = run_campaign(draw, 130, out, seed=11, chunk_size=10, scheduler="serial", progress=False)
    assert more.n_chunks_run == 3 and more.n_trials == 130
    np.testing.assert_array_equal(more["id"][:100], fresh["id"])


def test_refuses_other_seed_in_same_folder(tmp_path):
    run_campaign(draw, 10, tmp_path, seed=1, chunk_size=10, scheduler="serial", progress=False)
    with pytest.raises(InputError):
        run_campaign(draw, 10, tmp_path, seed=2, chunk_size=10, scheduler="serial", progress=False)
    assert json.loads((tmp_path / "campaign.json").read_text())["seed"] == 1


def test_dask_equals_serial(tmp_path):
    ser = run_campaign(draw, 60, tmp_path / "s", seed=5, chunk_size=7, args=(2.0,),
                       scheduler="serial", progress=False)
    dsk = run_campaign(draw, 60, tmp_path / "d", seed=5, chunk_size=7, args=(2.0,),
                       scheduler="threads", n_workers=2, progress=False)
    for key in ("ts", "ns", "id"):
        np.testing.assert_array_equal(ser[key], dsk[key])


def test_bad_chunk_output(tmp_path):
    with pytest.raises(InputError):
        run_campaign(lambda rng, n: {"x": np.zeros(n + 1)}, 5, tmp_path, seed=0, chunk_size=5,
                     scheduler="serial", progress=False)

"""CPU of the scheduler process of a campaign's local dask cluster while its workers compute.

Usage::

    python benchmarks/bench_dask_idle.py [--seconds 30] [--workers 2] [--repeats 2]

A campaign with ``--workers N`` (``scheduler="local"``) runs N worker processes; the
process that started them hosts the dask scheduler, the nannies and the client, and
its event loops wake up for housekeeping while the workers fit. This script starts
the cluster twice -- with dask's defaults (the cluster of bayesnu before
``LOCAL_CLUSTER_CONFIG``) and through :func:`bayesnu.inference.campaign.make_client`
-- keeps every worker busy with one task that sleeps ``--seconds`` (so the workers
take no CPU and the parent's CPU is all housekeeping), and prints the parent's CPU
seconds per wall second, i.e. the fraction of a core the campaign's parent takes.
"""

from __future__ import annotations

import argparse
import time


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _parent_cpu_fraction(client, n_workers: int, seconds: float) -> float:
    client.gather([client.submit(_sleep, 1.0, pure=False) for _ in range(n_workers)])  # warm
    c0, w0 = time.process_time(), time.perf_counter()
    client.gather([client.submit(_sleep, seconds, pure=False) for _ in range(n_workers)])
    return (time.process_time() - c0) / (time.perf_counter() - w0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    from bayesnu.inference.campaign import LOCAL_CLUSTER_CONFIG, make_client
    from dask.distributed import Client, LocalCluster

    for rep in range(a.repeats):
        lc = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None)
        client = Client(lc)
        before = _parent_cpu_fraction(client, a.workers, a.seconds)
        client.close()
        lc.close()
        client, close = make_client("local", a.workers)
        after = _parent_cpu_fraction(client, a.workers, a.seconds)
        close()
        print(f"repeat {rep}: parent CPU per wall second, dask defaults {before:.3f}, "
              f"make_client {after:.3f}")
    print("settings:", LOCAL_CLUSTER_CONFIG)


if __name__ == "__main__":
    main()

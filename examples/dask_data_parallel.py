"""Data-parallel training on dask.distributed: each worker runs tracer's compiled gradient.

A two-layer tanh network (float64) is fitted to a synthetic regression problem by
full-batch gradient descent. The data are cut into shards, one per task; every step
the compiled gradient `tr.compile(tr.grad(loss))` runs on each shard on the dask
workers (separate processes, started here by a LocalCluster), and the shard
gradients are summed in shard order. The same steps are run in this process alone,
the same shards in the same order, so the two runs do the same floating-point
operations and their parameters agree (to 1e-12, in practice bit for bit).

The compiled gradient travels to the workers by pickling: its graph and signature,
not a binary. Each worker compiles it from its own on-disk cache (TRACER_CACHE_DIR,
inherited from this process, or ~/.cache/tracer), so only the first run anywhere
invokes the C compiler. The shards are scattered to the workers once and stay there;
each step sends only the parameters.

    python examples/dask_data_parallel.py                  # 100,000 samples, 30 steps
    python examples/dask_data_parallel.py --samples 4000 --steps 10

Needs the optional extra: `pip install -e ".[dask]"`.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import tracer as tr


def loss(params, x, y):
    """Half the summed squared error on one shard: shard gradients add to the full one."""
    hidden = np.tanh(x @ params["w1"] + params["b1"])
    pred = hidden @ params["w2"] + params["b2"]
    return 0.5 * np.sum((pred - y) ** 2)


def make_problem(samples: int, features: int, hidden: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, features))
    w_true = rng.standard_normal((features, 1)) / np.sqrt(features)
    y = np.sin(3.0 * (x @ w_true)) + 0.1 * rng.standard_normal((samples, 1))
    params = {"w1": rng.standard_normal((features, hidden)) / np.sqrt(features),
              "b1": np.zeros(hidden),
              "w2": rng.standard_normal((hidden, 1)) / np.sqrt(hidden),
              "b2": np.zeros(1)}
    return x, y, params


def shards_of(x, y, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` contiguous shards of equal size (the last takes the remainder)."""
    bounds = np.linspace(0, len(x), count + 1).astype(int)
    return [(x[a:b], y[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def reduce_and_step(params: dict, grads: list[dict], lr: float, samples: int) -> dict:
    """Sum the shard gradients in shard order and take one gradient-descent step."""
    total = {k: grads[0][k].copy() for k in params}
    for g in grads[1:]:
        for k in params:
            total[k] += g[k]
    return {k: params[k] - (lr / samples) * total[k] for k in params}


def train_single(grad_fn, params: dict, shards: list, steps: int, lr: float) -> dict:
    samples = sum(len(xs) for xs, _ in shards)
    for _ in range(steps):
        grads = [grad_fn(params, xs, ys) for xs, ys in shards]
        params = reduce_and_step(params, grads, lr, samples)
    return params


def train_dask(client, grad_fn, params: dict, shard_futures: list, samples: int,
               steps: int, lr: float) -> dict:
    for _ in range(steps):
        futures = [client.submit(grad_fn, params, xs, ys, pure=False) for xs, ys in shard_futures]
        params = reduce_and_step(params, client.gather(futures), lr, samples)
    return params


def run_dask(grad_fn, params: dict, shards: list, steps: int, lr: float,
             workers: int) -> tuple[dict, float, float]:
    """(final parameters, seconds of training, seconds to start the cluster and warm up)."""
    from dask.distributed import Client, LocalCluster

    start = time.perf_counter()
    # One thread per worker process, for tracer's kernels too (TRACER_NUM_THREADS):
    # the workers share the machine's cores rather than each claiming all of them.
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, env={"TRACER_NUM_THREADS": "1"}) as cluster, \
            Client(cluster) as client:
        # The shards go to the workers once, round robin, and stay there.
        names = list(client.scheduler_info()["workers"])
        shard_futures = [tuple(client.scatter(part, workers=[names[i % len(names)]])
                               for part in shard) for i, shard in enumerate(shards)]
        # One untimed step: each worker unpickles the gradient and loads its library.
        samples = sum(len(xs) for xs, _ in shards)
        train_dask(client, grad_fn, params, shard_futures, samples, 1, lr)
        setup = time.perf_counter() - start
        start = time.perf_counter()
        final = train_dask(client, grad_fn, params, shard_futures, samples, steps, lr)
        seconds = time.perf_counter() - start
    return final, seconds, setup


def main(samples: int = 100_000, steps: int = 30, features: int = 32, hidden: int = 64,
         shards: int = 4, workers: int = 2, lr: float = 0.5, verbose: bool = True) -> dict:
    x, y, params = make_problem(samples, features, hidden)
    parts = shards_of(x, y, shards)
    grad_fn = tr.compile(tr.grad(loss))
    grad_fn(params, *parts[0])        # trace and compile here, outside the timings

    start = time.perf_counter()
    single = train_single(grad_fn, params, parts, steps, lr)
    single_seconds = time.perf_counter() - start

    distributed, dask_seconds, setup = run_dask(grad_fn, params, parts, steps, lr, workers)
    diff = max(float(np.max(np.abs(single[k] - distributed[k]))) for k in params)
    before = float(loss(params, x, y)) / samples
    after = float(loss(single, x, y)) / samples
    if verbose:
        print(f"{samples} samples in {shards} shards, {steps} steps, "
              f"{workers} dask worker processes")
        print(f"one process:  {single_seconds:.3f} s")
        print(f"dask:         {dask_seconds:.3f} s  (+ {setup:.2f} s to start the cluster "
              "and warm up)")
        print(f"loss per sample: {before:.4f} -> {after:.4f}")
        print(f"max |dask - single| over the parameters: {diff:.3e}")
    return {"single": single, "dask": distributed, "max_diff": diff,
            "single_seconds": single_seconds, "dask_seconds": dask_seconds,
            "loss_before": before, "loss_after": after}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    main(samples=args.samples, steps=args.steps, shards=args.shards, workers=args.workers)

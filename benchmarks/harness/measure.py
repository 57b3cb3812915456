"""Build every system for a case, check it against numpy, then time them interleaved.

Per round, each system in turn gets: a short busy-wait, one untimed call, one timed
sample (a loop of k calls lasting at least `min_sample_s`). Rounds repeat A B C A B C so
that drift and other systems' lingering worker threads hit everyone alike.
"""
from __future__ import annotations

import gc
import math
import statistics
import sys
import time
from typing import Any

from .check import compare, snapshot
from .core import Bench, Case, Context, Reported, Skip, spin
from .systems import available, peer_of

SPIN_S = 0.1     # BLAS/OpenMP workers of the previous call spin about this long
SPIN_QUICK_S = 0.01


def _row(case: Case, label: str, ctx: Context, status: str, note: str = "",
         samples: list[float] | None = None) -> dict[str, Any]:
    return {"case": case.name, "description": case.description, "system": label,
            "status": status, "note": note, "unit": case.unit,
            "higher_is_better": case.higher_is_better, "samples": samples or [],
            "threads": ctx.threads}


def _short(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".strip().splitlines()
    return (text[0] if text else type(err).__name__)[:160]


def _sample(fn: Any, k: int) -> float:
    """Seconds per call over k calls (or the time the call reported itself)."""
    gc_was = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(k):
            out = fn()
        elapsed = (time.perf_counter() - t0) / k
    finally:
        if gc_was:
            gc.enable()
    return out.seconds if isinstance(out, Reported) else elapsed


def _calibrate(fn: Any, min_sample_s: float) -> int:
    """How many calls make one sample last about min_sample_s."""
    t0 = time.perf_counter()
    out = fn()
    t = time.perf_counter() - t0
    if isinstance(out, Reported) or t >= min_sample_s:
        return 1
    return min(1_000_000, math.ceil(min_sample_s / max(t, 1e-7)))


def _build(case: Case, label: str, inputs: Any, ctx: Context) -> Bench | str | None:
    """A checked-to-run Bench, None (n/a), or 'skipped: ...'/'ERROR: ...'."""
    try:
        obj = case.builders[label](inputs, ctx)
    except Skip as why:
        return f"skipped: {why}"
    except Exception as err:
        return f"ERROR: build failed: {_short(err)}"
    if obj is None:
        return None
    return obj if isinstance(obj, Bench) else Bench(obj)


def run_case(case: Case, ctx: Context, systems: set[str] | None,
             repeat: int) -> list[dict[str, Any]]:
    """Rows for one case: numpy first (the reference), then every other system."""
    labels = [lb for lb in case.builders
              if lb == "numpy" or systems is None or peer_of(lb) in systems or lb in systems]
    labels = [lb for lb in labels if available(lb)]
    labels.sort(key=lambda lb: lb != "numpy")
    inputs = case.setup()
    rows: dict[str, dict[str, Any]] = {}
    timed: list[tuple[str, Bench]] = []
    reference: list | None = None
    for label in labels:
        print(f"  {case.name}: building {label}", file=sys.stderr, flush=True)
        built = _build(case, label, inputs, ctx)
        if built is None:
            continue
        if isinstance(built, str):
            status, _, note = built.partition(": ")
            rows[label] = _row(case, label, ctx, status, note)
            continue
        try:
            out = (built.check or built.fn)()
        except Skip as why:
            rows[label] = _row(case, label, ctx, "skipped", str(why))
            continue
        except Exception as err:
            rows[label] = _row(case, label, ctx, "ERROR", f"first call failed: {_short(err)}")
            continue
        if isinstance(out, Reported):
            out = out.value
        if label == "numpy":
            reference = snapshot(out)
        elif reference is None:
            rows[label] = _row(case, label, ctx, "ERROR", "no numpy reference to check against")
            continue
        else:
            why = compare(out, reference, case.rtol)
            if why:
                rows[label] = _row(case, label, ctx, "WRONG", why)
                continue
        timed.append((label, built))
    _time_interleaved(case, ctx, timed, rows, repeat)
    return [rows[lb] for lb in labels if lb in rows]


def _time_interleaved(case: Case, ctx: Context, timed: list[tuple[str, Bench]],
                      rows: dict[str, dict[str, Any]], repeat: int) -> None:
    min_s = 0.005 if ctx.quick else case.min_sample_s
    pause = SPIN_QUICK_S if ctx.quick else SPIN_S
    counts = {}
    for label, bench in timed:
        spin(pause)
        counts[label] = _calibrate(bench.fn, min_s) if case.warmup else 1
    samples: dict[str, list[float]] = {label: [] for label, _ in timed}
    print(f"  {case.name}: timing {', '.join(samples)} x{repeat}", file=sys.stderr, flush=True)
    for _ in range(repeat):
        for label, bench in timed:
            spin(pause)
            if case.warmup:
                bench.fn()
            samples[label].append(_sample(bench.fn, counts[label]))
    for label, _ in timed:
        rows[label] = _row(case, label, ctx, "ok", samples=samples[label])


def median(samples: list[float]) -> float:
    return statistics.median(samples)

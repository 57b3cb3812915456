"""SCAN on the reference backend: a Python loop over the body's own reference plan.

This is the spec of tracer/loops/spec.py written as plainly as possible; every
other backend's loop is tested against it.
"""
from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...ir import Graph, Op
from .executor import compile_graph
from .impls import IMPLS

_bodies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _body(graph: Graph) -> Callable[[Sequence[Any]], list[np.ndarray]]:
    run = _bodies.get(graph)
    if run is None:
        run = _bodies[graph] = compile_graph(graph)
    return run


def run_scan(spec: Any, inputs: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Every SCAN_OUT value of one scan, in index order."""
    n_states, n_outs = spec.n_states, spec.n_outs
    inits = inputs[:n_states]
    seqs = inputs[n_states:n_states + spec.n_seqs]
    rest = list(inputs[n_states + spec.n_seqs:])
    windows = [list(init) for init in inits]            # oldest first
    types = spec.output_types()
    stacked = [np.empty(t.shape, t.dtype) if kept else None
               for t, kept in zip(types, spec.keep)]
    last: list[Any] = [w[-1] for w in windows] + [np.zeros(t.shape, t.dtype)
                                                   for t in types[n_states:n_states + n_outs]]
    body = _body(spec.body)
    order: Any = range(spec.n_steps - 1, -1, -1) if spec.reverse else range(spec.n_steps)
    if spec.n_steps < 0:                    # until the stop condition
        order = itertools.count()
    steps_run, stopped = 0, False
    for t in order:
        if not stopped:
            args = [w[len(w) + tap] for w, taps in zip(windows, spec.taps) for tap in taps]
            results = body(args + [seq[t] for seq in seqs] + rest)
            for i in range(n_states):
                windows[i] = windows[i][1:] + [results[i]]
            last = list(results[:n_states + n_outs])
            steps_run += 1
            stopped = spec.until and bool(results[-1])
        if stopped and spec.n_steps < 0:
            break
        for k, buffer in enumerate(stacked):
            if buffer is not None:
                buffer[t] = last[k]
    values = [s if s is not None else np.array(v, copy=True) for s, v in zip(stacked, last)]
    if spec.until:
        values.append(np.array(steps_run, np.int64))
    return tuple(values)


IMPLS[Op.SCAN] = lambda attrs, *inputs: run_scan(attrs["spec"], inputs)
IMPLS[Op.SCAN_OUT] = lambda attrs, values: values[attrs["index"]]

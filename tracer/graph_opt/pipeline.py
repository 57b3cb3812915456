"""The optimizer: one ordered list of named passes, each run to a fixpoint.

    canonicalize  drop no-ops, merge layout chains, lift broadcasts, fold constants
    branches      push readers of an ifelse into its branches (lazy gradients)
    specialize    pow(x, 2) -> x*x; c ± alpha*dot(a, b) -> gemm_acc
    cleanup       canonicalize again what specialize built (negated alphas)

It runs after autodiff (gradients are ordinary graph nodes by then) and before
a backend sees the graph; every pass takes a Graph and returns a Graph.
"""
from __future__ import annotations

import os

from ..ir import Graph
from . import branches, canonicalize, fold, specialize
from .engine import Rule, run_pass

CANONICALIZE: list[Rule] = canonicalize.RULES + fold.RULES

PIPELINE: list[tuple[str, list[Rule]]] = [
    ("canonicalize", CANONICALIZE),
    ("branches", branches.RULES + CANONICALIZE),
    ("specialize", specialize.RULES),
    ("cleanup", CANONICALIZE),
]


def _env_enabled() -> bool:
    return os.environ.get("TRACER_OPTIMIZE", "1").strip() not in ("0", "false", "no", "off")


_ENABLED = [_env_enabled()]


def enabled() -> bool:
    """Whether new traces are optimized: TRACER_OPTIMIZE=0 or `tr.config.optimize = False`
    turn it off (for differential tests and bisecting)."""
    return _ENABLED[0]


def set_enabled(value: bool) -> None:
    _ENABLED[0] = bool(value)


def optimize(graph: Graph, passes: list[tuple[str, list[Rule]]] | None = None) -> Graph:
    """`graph` with every pass of PIPELINE (or `passes`) applied in order."""
    for _name, rules in PIPELINE if passes is None else passes:
        graph = run_pass(graph, rules)
    return graph

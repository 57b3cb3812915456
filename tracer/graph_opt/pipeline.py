"""The optimizer: one ordered list of named passes, each run to a fixpoint.

    canonicalize  drop no-ops, merge layout chains, lift broadcasts, fold constants
    stabilize     naive formulas that overflow or cancel -> stable ones (log1p, softplus,
                  shifted log-sum-exp and softmax, ...); also run before autodiff
    loops         whole-loop rewrites of each SCAN (scan.py): merge loops over the same
                  steps, drop dead outputs and inputs, keep only the last value when only
                  it is read, move invariant work and per-step products out of the loop
    branches      push readers of an ifelse into its branches (lazy gradients)
    specialize    pow(x, 2) -> x*x; c ± alpha*dot(a, b) -> gemm_acc
    cleanup       canonicalize again what specialize built (negated alphas)
    loop_bodies   this whole pipeline run on each loop's body (nested loops included)

It runs after autodiff (gradients are ordinary graph nodes by then) and before
a backend sees the graph; every pass takes a Graph and returns a Graph: a list of
node rules run to a fixpoint by the engine, or a function of the whole graph.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..ir import Graph, Node
from . import branches, canonicalize, fold, scan, specialize, stabilize
from .engine import Rule, run_pass

CANONICALIZE: list[Rule] = canonicalize.RULES + fold.RULES

GraphPass = Callable[[Graph], Graph]


def _loop_bodies(graph: Graph) -> Graph:
    return scan.optimize_bodies(graph, optimize)


PIPELINE: list[tuple[str, list[Rule] | GraphPass]] = [
    ("canonicalize", CANONICALIZE),
    ("stabilize", stabilize.RULES + CANONICALIZE),
    ("loops", scan.rewrite_loops),
    ("branches", branches.RULES + CANONICALIZE),
    ("specialize", specialize.RULES),
    ("cleanup", CANONICALIZE),
    ("loop_bodies", _loop_bodies),
]


PASS_NAMES = tuple(name for name, _ in PIPELINE)


def check_pass_names(names: Sequence[str]) -> tuple[str, ...]:
    """`names` as a tuple, each a pass of PIPELINE (ValueError naming the others)."""
    names = tuple(names)
    unknown = [n for n in names if n not in PASS_NAMES]
    if unknown:
        raise ValueError(f"unknown optimizer pass {', '.join(map(repr, unknown))}; the passes "
                         f"are {', '.join(PASS_NAMES)}")
    return names


def _env_disabled() -> tuple[str, ...]:
    raw = os.environ.get("TRACER_DISABLE_PASSES", "")
    return check_pass_names([n.strip() for n in raw.split(",") if n.strip()])


def _env_enabled() -> bool:
    return os.environ.get("TRACER_OPTIMIZE", "1").strip() not in ("0", "false", "no", "off")


_ENABLED = [_env_enabled()]
_DISABLED = [_env_disabled()]


def enabled() -> bool:
    """Whether new traces are optimized: TRACER_OPTIMIZE=0 or `tr.config.optimize = False`
    turn it off (for differential tests and bisecting)."""
    return _ENABLED[0]


def set_enabled(value: bool) -> None:
    _ENABLED[0] = bool(value)


def disabled_passes() -> tuple[str, ...]:
    """The passes `optimize` skips, by name: `tr.config.disabled_passes = ("stabilize",)`
    or TRACER_DISABLE_PASSES=stabilize (comma-separated); TRACER_OPTIMIZE=0: all of them."""
    return _DISABLED[0]


def set_disabled_passes(names: Sequence[str]) -> None:
    _DISABLED[0] = check_pass_names(names)


def optimize(graph: Graph, passes: list[tuple[str, list[Rule] | GraphPass]] | None = None
             ) -> Graph:
    """`graph` with every pass of PIPELINE (or `passes`) applied in order, except the
    disabled ones."""
    for name, rules in PIPELINE if passes is None else passes:
        if name not in _DISABLED[0]:
            graph = rules(graph) if callable(rules) else run_pass(graph, rules)
    return graph


def stabilize_outputs(inputs: Sequence[Node], outputs: Sequence[Node]) -> list[Node]:
    """`outputs` with the stabilize pass applied, when the optimizer and the pass are on:
    the transforms call it before differentiating, so derivatives are of stable forms."""
    if not enabled() or "stabilize" in _DISABLED[0] or not outputs:
        return list(outputs)
    rules = dict(PIPELINE)["stabilize"]
    assert not callable(rules)
    return list(run_pass(Graph(tuple(inputs), tuple(outputs)), rules).outputs)

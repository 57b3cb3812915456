"""tr.scan (Theano's signature), tr.until, and JAX's tr.fori_loop and tr.while_loop.

Each traces its body once into a SCAN node (loops/spec.py), under the trace of
the enclosing compiled function or transform (tracer/api/loops.py compiles a
call made outside one).

    tr.scan(fn, sequences=None, outputs_info=None, non_sequences=None,
            n_steps=None, go_backwards=False, truncate_gradient=-1)

`fn` gets, in order, one row per sequence (a sequence `dict(input=x, taps=[k, ...])`
gives one argument per tap: x[t + k]), the past values of each recurrent output
(an `outputs_info` entry `h0` gives h[t-1]; `dict(initial=h0, taps=[-2, -1])` gives
h[t-2] and h[t-1], with h0's last two rows the values before the first step; `None`
marks an output that is not fed back), then the non-sequences. It returns one
value per `outputs_info` entry, optionally followed by `tr.until(cond)`. The
result is each output stacked over the steps (a list when there are several); with
`go_backwards` the steps run from the last row of the sequences to the first, and
outputs come in the order the steps ran, as in Theano. `truncate_gradient=k`
backpropagates through the last k steps only.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ir import Node, Op, TensorType
from ..trace import Proxy, prims, pytree
from ..trace.context import user_loc
from ..trace.control import ifelse
from ..trace.errors import at_line
from ..trace.proxy import concrete_value, operand, wrap
from .body import trace_body
from .spec import ScanSpec, scan_outputs


@dataclass(frozen=True)
class until:  # noqa: N801 (Theano's name)
    """Returned by a scan body (last): stop after the first step where `cond` holds."""

    cond: Any


@dataclass
class State:
    """A recurrent value: the L values before the first step (oldest first) and its taps."""

    init: Node           # (L, *shape)
    taps: tuple[int, ...]
    weak: bool
    name: str

    @property
    def type(self) -> TensorType:
        return TensorType(self.init.dtype, self.init.shape[1:])


def _fail(who: str, message: str) -> TypeError:
    return TypeError(at_line(f"{who}: {message}", user_loc()))


# -- the loop builder shared by all three -----------------------------------------------------
def build_loop(who: str, call: Callable, states: list[State], rows: list[Node],
               nonseqs: list[tuple[Node, bool]], n_steps: int, *, keep_states: bool,
               reverse: bool = False, truncate: int = -1) -> tuple[list[Node], bool]:
    """Trace `call(taps, rows, nonseqs) -> (new states, step outputs, cond or None)` into
    one SCAN; (its SCAN_OUT nodes: states, then step outputs, then steps run; whether it
    has a stop condition). A weak state (a Python scalar) takes the dtype the body gives it."""
    for _ in range(3):
        body, n_outs, stops = _trace_once(call, states, rows, nonseqs)
        retyped = _retype(who, states, body.graph.outputs[:len(states)])
        if retyped is None:
            break
        states = retyped
    if stops and body.graph.outputs[-1].type != TensorType(np.dtype(bool), ()):
        cond = body.graph.outputs[-1]
        raise _fail(who, f"the stop condition must be a bool scalar, got {cond.type}")
    spec = ScanSpec(body.graph, tuple(s.taps for s in states), len(rows), n_steps,
                    reverse=reverse, until=stops,
                    keep=(keep_states,) * len(states) + (True,) * n_outs, truncate=truncate)
    inputs = [s.init for s in states] + rows + [x for x, _ in nonseqs] + body.captured
    return scan_outputs(spec, inputs), stops


def _trace_once(call: Callable, states: list[State], rows: list[Node],
                nonseqs: list[tuple[Node, bool]]):
    """(the traced body, how many step outputs it has, whether it returned a stop condition)."""
    types = [s.type for s in states for _ in s.taps] + \
        [TensorType(r.dtype, r.shape[1:]) for r in rows] + [x.type for x, _ in nonseqs]
    weak = [s.weak for s in states for _ in s.taps] + [False] * len(rows) + \
        [w for _, w in nonseqs]
    names = [s.name for s in states for _ in s.taps] + ["row"] * len(rows) + \
        ["non_sequence"] * len(nonseqs)
    n_taps = sum(len(s.taps) for s in states)
    seen: dict[str, Any] = {}

    def split(proxies: list[Proxy]) -> Any:
        return call(proxies[:n_taps], proxies[n_taps:n_taps + len(rows)],
                    proxies[n_taps + len(rows):])

    def flatten(result: Any) -> list[Any]:
        new, outs, cond = result
        seen["n_outs"], seen["until"] = len(outs), cond is not None
        return list(new) + list(outs) + ([cond] if cond is not None else [])

    body = trace_body(call, types, weak, names, split, flatten)
    return body, seen["n_outs"], seen["until"]


def _retype(who: str, states: list[State], outs) -> list[State] | None:
    """States whose init takes the dtype the body gave them (weak inits only); None when
    every state already has its body's type; a clear error when one cannot."""
    changed = False
    new = []
    for s, out in zip(states, outs):
        if out.type == s.type:
            new.append(s)
            continue
        if out.shape == s.type.shape and s.weak:
            new.append(State(prims.cast(s.init, out.dtype), s.taps, False, s.name))
            changed = True
            continue
        raise _fail(who, f"the carried value {s.name} is {s.type} before the loop and "
                         f"{out.type} after a step; a carried value keeps its shape and "
                         "dtype (cast it, e.g. h0.astype(np.float32), or reshape it)")
    return new if changed else None


# -- tr.scan ----------------------------------------------------------------------------------
def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _sequence(entry: Any) -> tuple[Node, tuple[int, ...]]:
    if isinstance(entry, dict):
        taps = tuple(sorted(int(k) for k in entry.get("taps", [0])))
        return operand(entry["input"])[0], taps
    return operand(entry)[0], (0,)


def _state(entry: Any, k: int) -> State:
    """An outputs_info entry: a value (taps [-1]), or dict(initial=..., taps=[...]) whose
    initial holds the max(-tap) values before the first step when a tap reaches past -1."""
    taps: tuple[int, ...] = (-1,)
    if isinstance(entry, dict):
        taps = tuple(sorted(int(t) for t in entry.get("taps", [-1])))
        entry = entry["initial"]
    node, weak = operand(entry)
    name = f"outputs_info[{k}]"
    if not taps or taps[-1] >= 0 or len(set(taps)) != len(taps):
        raise _fail("tr.scan", f"{name}: taps {list(taps)} must be distinct and negative")
    if taps == (-1,):
        return State(prims.reshape(node, (1,) + node.shape), taps, weak, name)
    window = -taps[0]
    if node.ndim == 0 or node.shape[0] < window:
        raise _fail("tr.scan", f"{name}: taps {list(taps)} need the {window} values before "
                               f"the first step (an initial with {window} rows), got shape "
                               f"{node.shape}")
    start = (node.shape[0] - window,) + (0,) * (node.ndim - 1)
    node = prims.slice_axes(node, start, (1,) * node.ndim, (window,) + node.shape[1:])
    return State(node, taps, weak, name)


def _rows(who: str, seqs: list, n_steps: Any, backwards: bool) -> tuple[list[Node], int]:
    """One input per (sequence, tap) with exactly n rows: row t is x[t + tap]."""
    if n_steps is not None and (isinstance(n_steps, Proxy) or int(n_steps) < 0):
        raise _fail(who, "n_steps must be a concrete int >= 0 (a trip count that depends on "
                         "data needs tr.while_loop or tr.until)")
    if any(x.ndim == 0 for x, _ in seqs):
        raise _fail(who, "a sequence must have at least one dimension")
    if n_steps is None and not seqs:
        raise _fail(who, "give sequences or n_steps")
    lengths = [x.shape[0] - (taps[-1] - taps[0]) for x, taps in seqs]
    n = max(0, min(lengths + ([int(n_steps)] if n_steps is not None else [])))
    rows = []
    for x, taps in seqs:
        skip = x.shape[0] - (taps[-1] - taps[0]) - n if backwards else 0
        for tap in taps:
            start = (tap - taps[0] + skip,) + (0,) * (x.ndim - 1)
            rows.append(prims.slice_axes(x, start, (1,) * x.ndim, (n,) + x.shape[1:]))
    return rows, n


def _reversed(node: Node) -> Node:
    n = node.shape[0]
    if n <= 1:
        return node
    return prims.slice_axes(node, (n - 1,) + (0,) * (node.ndim - 1),
                            (-1,) + (1,) * (node.ndim - 1), node.shape)


def scan(fn: Callable[..., Any], sequences: Any = None, outputs_info: Any = None,
         non_sequences: Any = None, n_steps: int | None = None, go_backwards: bool = False,
         truncate_gradient: int = -1) -> Any:
    """Theano's scan over traced values: the stacked outputs (see the module docstring)."""
    if not isinstance(truncate_gradient, (int, np.integer)):
        raise _fail("tr.scan", f"truncate_gradient must be a concrete int, got "
                               f"{type(truncate_gradient).__name__}")
    infos = _as_list(outputs_info)
    rows, n = _rows("tr.scan", [_sequence(s) for s in _as_list(sequences)], n_steps,
                    go_backwards)
    fed = [k for k, e in enumerate(infos) if e is not None]
    states = [_state(infos[k], k) for k in fed]
    nonseqs = [operand(x) for x in _as_list(non_sequences)]

    def call(taps, row_values, rest):
        result = fn(*row_values, *taps, *rest)
        result = list(result) if isinstance(result, (list, tuple)) else [result]
        cond = result.pop().cond if result and isinstance(result[-1], until) else None
        if outputs_info is None:            # every output is a plain per-step output
            infos[:] = [None] * len(result)
        if len(result) != len(infos):
            raise _fail("tr.scan", f"fn returned {len(result)} outputs for "
                                   f"{len(infos)} outputs_info entries")
        return [result[k] for k in fed], [r for k, r in enumerate(result) if k not in fed], cond

    outs, _ = build_loop("tr.scan", call, states, rows, nonseqs, n, keep_states=True,
                         reverse=go_backwards, truncate=truncate_gradient)
    by_info = dict(zip(fed, outs))
    rest = iter(outs[len(fed):])
    stacked = [by_info[k] if k in by_info else next(rest) for k in range(len(infos))]
    results = [wrap(_reversed(s) if go_backwards else s) for s in stacked]
    return results[0] if len(results) == 1 else results


# -- JAX's loops --------------------------------------------------------------------------------
def _carry(who: str, init: Any) -> tuple[list[State], pytree.TreeDef]:
    leaves, tree = pytree.flatten(init)
    paths = pytree.leaf_paths(tree, "init")
    states = []
    for leaf, path in zip(leaves, paths):
        node, weak = operand(leaf)
        states.append(State(prims.reshape(node, (1,) + node.shape), (-1,), weak, path))
    return states, tree


def _same_tree(who: str, tree: pytree.TreeDef, value: Any) -> list[Any]:
    leaves, got = pytree.flatten(value)
    if got != tree:
        raise _fail(who, f"the body returned a value of structure {got}; the carried "
                         f"value has structure {tree}")
    return leaves


def fori_loop(lower: int, upper: int, body: Callable[[Any, Any], Any], init: Any) -> Any:
    """`for i in range(lower, upper): val = body(i, val)`; the final val (JAX's)."""
    bounds = [concrete_value(x.node) if isinstance(x, Proxy) else np.asarray(x)
              for x in (lower, upper)]
    if any(b is None for b in bounds):
        raise _fail("tr.fori_loop", "lower and upper must be concrete (use tr.while_loop "
                                    "for a trip count that depends on data)")
    lo, hi = (int(b) for b in bounds)
    states, tree = _carry("tr.fori_loop", init)
    steps = prims.const(np.arange(lo, max(lo, hi), dtype=np.int64))

    def call(taps, rows, rest):
        new = body(wrap(rows[0].node, True), pytree.unflatten(tree, taps))
        return _same_tree("tr.fori_loop", tree, new), [], None

    outs, _ = build_loop("tr.fori_loop", call, states, [steps], [], steps.shape[0],
                         keep_states=False)
    return pytree.unflatten(tree, [wrap(o, s.weak) for o, s in zip(outs, states)])


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any],
               init_val: Any) -> Any:
    """`while cond_fun(val): val = body_fun(val)`; the final val (JAX's). The trip count
    may depend on data; reverse-mode derivatives through it are not defined (as in JAX)."""
    states, tree = _carry("tr.while_loop", init_val)

    def call(taps, rows, rest):
        new = _same_tree("tr.while_loop", tree, body_fun(pytree.unflatten(tree, taps)))
        again = cond_fun(pytree.unflatten(tree, new))
        stop = prims.bind(Op.LOGICAL_NOT, [prims.cast(operand(again)[0], np.bool_)])
        return new, [], wrap(stop)

    outs, _ = build_loop("tr.while_loop", call, states, [], [], -1, keep_states=False)
    final = pytree.unflatten(tree, [wrap(o, s.weak) for o, s in zip(outs, states)])
    return ifelse(cond_fun(init_val), final, init_val)

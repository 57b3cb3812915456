"""Trace a Python function over proxies into a Graph."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..ir import Graph, Node, Op, make_param
from . import array_entry, effects, loop_marks, pytree, random
from .context import Trace, tracing, user_loc
from .errors import none_arguments_named
from .proxy import Proxy, operand
from .signature import LeafSpec, none_arguments


@dataclass(frozen=True)
class TracedFunction:
    """A function traced for one signature: its graph and its output structure."""

    graph: Graph
    out_tree: pytree.TreeDef
    out_weak: tuple[bool, ...]
    trace: Trace

    def __reduce__(self) -> tuple:
        """By graph: the graph, the output structure and what of the trace outlives
        tracing (its int bounds, its random draws: all it holds but the nodes it
        recorded, which only tracing reads). Params in the trace's state are the
        graph's: one pickle stream rebuilds them once (see ir.node)."""
        state = {k: v for k, v in vars(self.trace).items() if k not in ("recorded", "marks")}
        return (_load_traced, (self.graph, self.out_tree, self.out_weak, state))


def _load_traced(graph: Graph, out_tree: pytree.TreeDef, out_weak: tuple[bool, ...],
                 state: dict[str, Any]) -> TracedFunction:
    trace = Trace()
    vars(trace).update(state)
    return TracedFunction(graph, out_tree, out_weak, trace)


def trace_function(fn: Callable[..., Any], in_tree: pytree.TreeDef,
                   specs: Sequence[LeafSpec], names: Sequence[str],
                   rebuild: Callable[[Any], tuple[tuple, dict]]) -> TracedFunction:
    """Call `fn` on proxies for `specs`; `rebuild(tree)` gives back (args, kwargs).
    Traced again, without skipping loop steps, when a skipped step's value escaped."""
    traced = _trace_once(fn, in_tree, specs, names, rebuild, True)
    if traced is None:
        traced = _trace_once(fn, in_tree, specs, names, rebuild, False)
    return traced


def _trace_once(fn, in_tree, specs, names, rebuild, fast_forward: bool) -> TracedFunction | None:
    params = [make_param(s.type, name, None) for s, name in zip(specs, names)]
    proxies = [Proxy(p, s.weak) for p, s in zip(params, specs)]
    args, kwargs = rebuild(pytree.unflatten(in_tree, proxies))
    args = tuple(random.stand_in(a) for a in args)
    kwargs = {k: random.stand_in(v) for k, v in kwargs.items()}
    trace = Trace()
    trace.marks.fast_forward = fast_forward
    nones = none_arguments(fn, args, kwargs)     # named if None reaches a numpy operation
    with tracing(trace), none_arguments_named(nones), random.patched_module(), \
            random.no_hidden_draws(fn), effects.watched(fn), loop_marks.marking_range(), \
            array_entry.patched():
        result = fn(*args, **kwargs)
        leaves, out_tree = pytree.flatten(result)
        nodes, weak = [], []
        for i, leaf in enumerate(leaves):
            node, w = _output_node(leaf, i)
            nodes.append(node)
            weak.append(w)
    if trace.marks.escaped(nodes):
        return None
    # the draws' values are inputs after the arguments, filled on every call
    draws = [step.param for step in trace.draws if step.param is not None]
    graph = Graph(tuple(params + draws), tuple(nodes))
    _check_no_leaked_values(graph)
    return TracedFunction(graph, out_tree, tuple(weak), trace)


def _check_no_leaked_values(graph: Graph) -> None:
    """A value traced by another call (kept in a global, an attribute, a closure) is
    an input this graph does not have: say where it came from."""
    inputs = set(graph.inputs)
    for node in graph.nodes():
        if node.op is Op.PARAM and node not in inputs:
            name = node.attrs["name"] or "an argument"
            raise TypeError(f"the traced function uses a value traced for another call "
                            f"({name}, {node.type}, kept in a global, an attribute or a "
                            "closure); pass it as an argument instead")


def _output_node(leaf: Any, index: int) -> tuple[Node, bool]:
    try:
        return operand(leaf)
    except TypeError:
        raise TypeError(f"output {index} of the traced function is a {type(leaf).__name__}, "
                        f"not an array (at {user_loc()})") from None

"""Trace a Python function over proxies into a Graph."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..ir import Graph, Node, Op, make_param
from . import pytree
from .context import Trace, tracing, user_loc
from .proxy import Proxy, operand
from .signature import LeafSpec


@dataclass(frozen=True)
class TracedFunction:
    """A function traced for one signature: its graph and its output structure."""

    graph: Graph
    out_tree: pytree.TreeDef
    out_weak: tuple[bool, ...]
    trace: Trace


def trace_function(fn: Callable[..., Any], in_tree: pytree.TreeDef,
                   specs: Sequence[LeafSpec], names: Sequence[str],
                   rebuild: Callable[[Any], tuple[tuple, dict]]) -> TracedFunction:
    """Call `fn` on proxies for `specs`; `rebuild(tree)` gives back (args, kwargs)."""
    params = [make_param(s.type, name, None) for s, name in zip(specs, names)]
    proxies = [Proxy(p, s.weak) for p, s in zip(params, specs)]
    args, kwargs = rebuild(pytree.unflatten(in_tree, proxies))
    trace = Trace()
    with tracing(trace):
        result = fn(*args, **kwargs)
        leaves, out_tree = pytree.flatten(result)
        nodes, weak = [], []
        for i, leaf in enumerate(leaves):
            node, w = _output_node(leaf, i)
            nodes.append(node)
            weak.append(w)
    graph = Graph(tuple(params), tuple(nodes))
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

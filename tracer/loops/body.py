"""Trace a loop body into a closed graph.

The body function is called once on proxies of fresh params (one per value it
receives at a step). What it computes from values outside the loop (the
enclosing function's arguments, or work on them that does not depend on the
step) is not the body's own: each such value becomes a non-sequence input of the
loop, computed once before it, and the body reads a param in its place. So the
body graph is closed (only its params and constants are leaves) and
loop-invariant work is out of the loop from the start.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..ir import Graph, Node, Op, TensorType, make_param, substitute, toposort
from ..trace import Proxy
from ..trace.context import Trace, current_trace, tracing, user_loc
from ..trace.errors import at_line
from ..trace.proxy import operand


@dataclass
class Body:
    graph: Graph            # params: the given ones, then one per captured outer value
    captured: list[Node]    # the outer values read by the extra params, in order
    out_weak: list[bool]


def trace_body(fn: Callable[..., Any], types: Sequence[TensorType], weak: Sequence[bool],
               names: Sequence[str], call: Callable[[list[Proxy]], Any],
               flatten: Callable[[Any], list[Any]]) -> Body:
    """Trace `call(proxies)` (which calls fn) over fresh params of `types`; `flatten`
    turns its result into the list of output leaves."""
    params = [make_param(t, n, user_loc()) for t, n in zip(types, names)]
    outer = current_trace()
    trace = Trace(outer)
    if outer is None:          # no enclosing trace checks for skipped steps that escaped
        trace.marks.fast_forward = False
    drawn = len(trace.draws)
    with tracing(trace):
        result = call([Proxy(p, w) for p, w in zip(params, weak)])
        leaves = flatten(result)
        nodes = [operand(x) for x in leaves]
    if len(trace.draws) != drawn:
        raise NotImplementedError(at_line(
            f"tracer: the loop body {getattr(fn, '__qualname__', fn)} draws random numbers; "
            "draw them before the loop (one array with a row per step) and pass them as a "
            "sequence", user_loc()))
    outs = [n for n, _ in nodes]
    graph, captured = close(params, outs)
    return Body(graph, captured, [w for _, w in nodes])


def close(params: Sequence[Node], outputs: Sequence[Node]) -> tuple[Graph, list[Node]]:
    """(graph over params + one new param per outer value the outputs read, those values).

    An outer value is a node that depends on no param of `params` and is not a
    constant: the enclosing graph computes it once, before the loop."""
    inside = set(params)
    order = toposort(outputs)
    depends = {n for n in order if n in inside}
    for node in order:
        if node.inputs and any(i in depends for i in node.inputs):
            depends.add(node)
    captured: dict[Node, Node] = {}
    for node in order:
        if node in depends:
            for i in node.inputs:
                _capture(i, depends, captured)
    for out in outputs:
        _capture(out, depends, captured)
    body_outs = substitute(list(outputs), captured)
    graph = Graph(tuple(params) + tuple(captured.values()), tuple(body_outs))
    return graph, list(captured)


def _capture(node: Node, depends: set[Node], captured: dict[Node, Node]) -> None:
    if node in depends or node in captured or node.op is Op.CONST:
        return
    captured[node] = make_param(node.type, "captured", node.loc)

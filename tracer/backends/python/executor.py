"""Runs a graph with numpy: one generated Python function per graph.

The plan is real Python source (shown by `Lowered.source()`): one line per
node, calling that op's numpy implementation, and a `del` after each value's
last use so intermediates are freed as soon as they are dead.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Sequence

import numpy as np

from ...ir import Graph, Node, Op
from .impls import IMPLS


class Executable:
    """A compiled graph: call with the flat input arrays, get the flat outputs."""

    def __init__(self, graph: Graph, source: str, fn: Callable[..., tuple]):
        self.graph = graph
        self.source = source
        self._fn = fn

    def __call__(self, inputs: Sequence[Any]) -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            outs = self._fn(*inputs)
        taken = [id(i) for i in inputs]
        fresh = []
        for out in outs:
            arr = _fresh(out, taken)
            taken.append(id(arr))
            fresh.append(arr)
        return fresh


def _fresh(value: Any, taken: list[int]) -> np.ndarray:
    """Outputs are arrays the caller owns: never an input, a view, read-only, or
    an array already handed out (a graph may return one node twice)."""
    arr = np.asarray(value)
    if arr is value and (not arr.flags.owndata or not arr.flags.writeable or id(arr) in taken):
        return arr.copy()
    return arr


def compile_graph(graph: Graph) -> Executable:
    nodes = graph.nodes()
    names = {n: f"v{i}" for i, n in enumerate(nodes)}
    namespace: dict[str, Any] = {}
    last_use: dict[Node, int] = {}
    for i, node in enumerate(nodes):
        for inp in node.inputs:
            last_use[inp] = i
    for out in graph.outputs:
        last_use[out] = len(nodes)
    params = ", ".join(names[p] for p in graph.inputs)
    lines = [f"def run({params}):"]
    for i, node in enumerate(nodes):
        name = names[node]
        if node.op is Op.PARAM:
            continue
        if node.op is Op.CONST:
            namespace[f"c_{name}"] = node.attrs["value"].array
            lines.append(f"    {name} = c_{name}")
        else:
            namespace[f"f_{name}"] = partial(IMPLS[node.op], node.attrs)
            args = ", ".join(names[x] for x in node.inputs)
            where = f"  # {node.loc}" if node.loc else ""
            lines.append(f"    {name} = f_{name}({args})  # {node.op.value}{where}")
        dead = [names[x] for x in dict.fromkeys(node.inputs) if last_use[x] == i]
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    outs = ", ".join(names[o] for o in graph.outputs)
    lines.append(f"    return ({outs}{',' if len(graph.outputs) == 1 else ''})")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<tracer reference plan>", "exec"), namespace)
    return Executable(graph, source, namespace["run"])

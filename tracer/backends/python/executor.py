"""Runs a graph with numpy: one generated Python function per graph.

The plan is real Python source (shown by `Lowered.source()`): one line per
node, calling that op's numpy implementation, and a `del` after each value's
last use so intermediates are freed as soon as they are dead. Lazy ifelse
(vm/branches.py) becomes a Python `if`/`else` holding the nodes only one
branch needs; the ifelse itself is `then if cond else other`.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Sequence

import numpy as np

from ...ir import Graph, Node, Op
from ...ir.ops import NUMPY_FALLBACK
from ...trace.errors import with_line
from ...vm.branches import Entry, free_points, guards, program
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
    entries = program(nodes, guards(nodes, graph.outputs))
    names = {n: f"v{i}" for i, n in enumerate(nodes)}
    namespace: dict[str, Any] = {}
    lines = [f"def run({', '.join(names[p] for p in graph.inputs)}):"]
    frees = _frees(entries, set(graph.outputs))
    opened: list[int] = []
    for i, entry in enumerate(entries):
        pad = "    " * (len(entry.path) + 1)
        node, name = entry.node, names[entry.node]
        if entry.kind in ("else", "end") and len(lines) == opened.pop():
            lines.append(f"{pad}    pass")         # a block of params only
        if entry.kind in ("if", "else"):
            lines.append(f"{pad}if {name}:" if entry.kind == "if" else f"{pad}else:")
            opened.append(len(lines))
        elif entry.kind == "node" and node.op is not Op.PARAM:
            lines.append(pad + _line(node, names, namespace))
        dead = frees.get(i, [])
        plain = [names[x] for x, defined_here in dead if defined_here]
        if plain:
            lines.append(f"{pad}del {', '.join(plain)}")
        for x, defined_here in dead:
            if not defined_here:     # defined in a branch that may not have run
                lines.append(f"{pad}{names[x]} = None")
    outs = ", ".join(names[o] for o in graph.outputs)
    lines.append(f"    return ({outs}{',' if len(graph.outputs) == 1 else ''})")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<tracer reference plan>", "exec"), namespace)
    return Executable(graph, source, namespace["run"])


def _line(node: Node, names: dict[Node, str], namespace: dict[str, Any]) -> str:
    """One statement computing `node` (an ifelse picks a name: the untaken one is unset)."""
    name = names[node]
    if node.op is Op.CONST:
        namespace[f"c_{name}"] = node.attrs["value"].array
        return f"{name} = c_{name}"
    args = [names[x] for x in node.inputs]
    where = f"  # {node.loc}" if node.loc else ""
    if node.op is Op.IFELSE:
        return f"{name} = {args[1]} if {args[0]} else {args[2]}  # ifelse{where}"
    namespace[f"f_{name}"] = partial(IMPLS[node.op], node.attrs)
    if node.op in NUMPY_FALLBACK:       # numpy's errors (LinAlgError) name the user's line
        namespace[f"f_{name}"] = partial(_located, namespace[f"f_{name}"], node)
    return f"{name} = f_{name}({', '.join(args)})  # {node.op.value}{where}"


def _located(fn: Callable[..., Any], node: Node, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as err:
        raise with_line(err, node.loc) from None


def _frees(entries: list[Entry], outputs: set[Node]) -> dict[int, list[tuple[Node, bool]]]:
    """Entry index -> (value, whether its definition runs whenever the free does)."""
    touches: dict[Node, list[int]] = {}
    for i, entry in enumerate(entries):
        if entry.kind == "node":
            touches.setdefault(entry.node, []).insert(0, i)
            for x in dict.fromkeys(entry.node.inputs):
                touches.setdefault(x, []).append(i)
        elif entry.kind == "if":
            touches.setdefault(entry.node, []).append(i)
    defined = {e.node: e.path for e in entries if e.kind == "node"}
    dead: dict[int, list[tuple[Node, bool]]] = {}
    points = free_points(entries, {n: w for n, w in touches.items() if n not in outputs})
    for node, i in points.items():
        here = defined[node] == entries[i].path or node.op is Op.PARAM
        dead.setdefault(i, []).append((node, here))
    return dead

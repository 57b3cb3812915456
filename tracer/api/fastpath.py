"""Generated Python that recognizes a compiled signature without walking pytrees.

A call with a dict of parameters spent most of its time flattening the pytree, building
a TreeDef and hashing it, before any compiled code ran (32 of 49 µs for one SGD step of
a small MLP). A matcher is the same check written out for one signature: straight-line
type/len/dtype/shape tests that either return the flat list of leaves or None, in which
case the caller takes the general path, which then traces, errors or picks another
signature exactly as before.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..trace import LeafSpec, pytree

Matcher = Callable[[tuple], "list[np.ndarray] | None"]
_MISSING = object()


class _Writer:
    """Accumulates the matcher's lines and the constants they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {"ndarray": np.ndarray, "MISSING": _MISSING}
        self.leaves: list[str] = []
        self.count = 0

    def name(self, prefix: str, value: Any = _MISSING) -> str:
        self.count += 1
        name = f"{prefix}{self.count}"
        if value is not _MISSING:
            self.ns[name] = value
        return name

    def refuse_if(self, condition: str) -> None:
        self.lines += [f"    if {condition}:", "        return None"]


def _match_node(w: _Writer, td: pytree.TreeDef, var: str) -> None:
    if td.kind == "leaf":
        w.leaves.append(var)
        return
    if td.kind == "none":
        w.refuse_if(f"{var} is not None")
        return
    n = len(td.children)
    if td.kind in ("tuple", "list"):
        w.refuse_if(f"type({var}) is not {td.kind} or len({var}) != {n}")
        items = [f"{var}[{i}]" for i in range(n)]
    elif td.kind == "namedtuple":
        w.refuse_if(f"type({var}) is not {w.name('NT', td.data)}")
        items = [f"{var}[{i}]" for i in range(n)]
    else:  # dict: same size and every key present means the same keys
        w.refuse_if(f"type({var}) is not dict or len({var}) != {n}")
        items = []
        for key in td.data:
            child = w.name("v")
            w.lines.append(f"    {child} = {var}.get({w.name('K', key)}, MISSING)")
            w.refuse_if(f"{child} is MISSING")
            items.append(child)
    for item, child_td in zip(items, td.children):
        child = w.name("v")
        w.lines.append(f"    {child} = {item}")
        _match_node(w, child_td, child)


def make_matcher(args_treedef: pytree.TreeDef, leaves: Sequence[LeafSpec]) -> Matcher | None:
    """A matcher for positional arguments of structure `args_treedef` whose leaves are
    ndarrays of exactly `leaves`' types; None when a leaf is a Python scalar (weak)."""
    if any(spec.weak for spec in leaves):
        return None
    w = _Writer()
    _match_node(w, args_treedef, "args")
    for var, spec in zip(w.leaves, leaves):
        dtype, shape = w.name("D", spec.type.dtype), w.name("SH", spec.type.shape)
        w.refuse_if(f"type({var}) is not ndarray or {var}.dtype is not {dtype} "
                    f"or {var}.shape != {shape}")
    w.lines.append(f"    return [{', '.join(w.leaves)}]")
    source = "def match(args):\n" + "\n".join(w.lines) + "\n"
    exec(compile(source, "<tracer signature>", "exec"), w.ns)
    return w.ns["match"]

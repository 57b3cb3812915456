"""Do a loop's iterations repeat one computation? The slots of a rollable loop.

An iteration is the list of nodes it made, in the order made (trace/marks.py).
Node j of iteration i reads, for each input, a node of its own iteration
("local"), a node of an earlier iteration of the same loop ("prev": a carried
value, `d` steps back), or a node made outside the loop ("outer"). Iterations
repeat one computation when node j has the same op, type and attributes in each,
and reads the same kinds of inputs, except where the difference is the step
itself:

* a carried value: an earlier iteration's node j' d steps back, or, in the
  first d iterations, a value from before the loop (the carried value's init);
* a sequence row: a SLICE whose start moves by a fixed step along one axis with
  each iteration (`xs[t]`, `X[:, t]`), or an outer value that is such a slice
  (a row of an earlier loop's stacked output), or a constant whose value
  changes (a Python number computed from the step). Constants are outer values,
  whichever iteration made them first.

An iteration's nodes include those it got back from interning (equal to a node
an earlier step made: `W.T` in the loop, or a product with a constant seen
before), so every iteration lists the same work in the same order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ir import Node, Op

MAX_TAP = 8                # how far back a carried value may be read
MAX_CONST_ROWS = 1 << 16   # elements of a sequence made of per-step constants


@dataclass
class Slots:
    """What rolling iterations [start, stop) of a loop needs to know."""

    start: int
    stop: int
    template: list[Node]                                   # the template iteration's nodes
    at: int = 0                                            # which iteration that is
    taps: dict[int, set[int]] = field(default_factory=dict)          # state slot -> {-d}
    inits: dict[tuple[int, int], Node] = field(default_factory=dict)  # (slot, row -L..-1)
    rows: dict[Any, tuple] = field(default_factory=dict)   # varying slot -> how to stack it


class Mismatch(Exception):
    """Why two iterations differ (for the warning a long unconverted loop gets)."""


def _ref(x: Node, here: dict[Node, int], earlier: list[dict[Node, int]]) -> tuple:
    if x in here:
        return ("local", here[x])
    for d, pos in enumerate(earlier, start=1):
        if x in pos:
            return ("prev", d, pos[x])
    return ("outer", x)


def _linear_slice(nodes: list[Node]) -> tuple | None:
    """(source, axis, first start, step, the first slice's attrs) when nodes are SLICEs of
    one source whose start moves by one step per node along one axis (one row each; the
    other axes sliced alike, as in A[i, j] with j fixed), else None."""
    first = nodes[0]
    if first.op is not Op.SLICE or any(n.op is not Op.SLICE or n.inputs != first.inputs
                                       for n in nodes):
        return None
    a0 = first.attrs
    moving = [k for k in range(first.ndim) if any(n.attrs["starts"][k] != a0["starts"][k]
                                                 for n in nodes)]
    if len(nodes) < 2 or len(moving) != 1:
        return None
    k = moving[0]
    if a0["sizes"][k] != 1 or any(n.attrs["sizes"] != a0["sizes"] or n.attrs["steps"] !=
                                  a0["steps"] for n in nodes):
        return None
    step = nodes[1].attrs["starts"][k] - a0["starts"][k]
    if any(n.attrs["starts"][k] != a0["starts"][k] + step * i for i, n in enumerate(nodes)):
        return None
    rest = [i for i in range(first.ndim) if i != k]
    if any(n.attrs["starts"][i] != a0["starts"][i] for n in nodes for i in rest):
        return None
    return (first.inputs[0], k, a0["starts"][k], step, a0)


def _row_read(nodes: list[Node]) -> tuple | None:
    """An outer value per iteration that reads one row of one array: ('slice', ...) or
    ('reshape', shape, ...) over a linear slice; None otherwise."""
    if all(n.op is Op.RESHAPE for n in nodes) and len({n.shape for n in nodes}) == 1:
        inner = _linear_slice([n.inputs[0] for n in nodes])
        return None if inner is None else ("reshape", nodes[0].shape, *inner)
    inner = _linear_slice(nodes)
    return None if inner is None else ("slice", *inner)


def _moving_index(nodes: list[Node]) -> tuple | None:
    """('gather', axis, starts (T, 1)) when the slices take one element along one axis at
    a start that changes with the step (x[targets[t]], h[t] of a carried h), the rest fixed."""
    first = nodes[0].attrs
    moving = {k for n in nodes for k in range(nodes[0].ndim)
              if n.attrs["starts"][k] != first["starts"][k]}
    if len(moving) != 1 or any(n.attrs["sizes"] != first["sizes"] or
                               n.attrs["steps"] != first["steps"] for n in nodes):
        return None
    (k,) = moving
    if first["sizes"][k] != 1:
        return None
    starts = np.array([n.attrs["starts"][k] for n in nodes], np.int64).reshape(-1, 1)
    return ("gather", k, starts)


def _moving_update(nodes: list[Node]) -> tuple | None:
    """('update', axis, starts (T, 1), first, step or None) when each UPDATE_SLICE writes
    one element along one axis at a start that changes with the step (`h[:, t, :] = v`):
    step is set when the starts move by a fixed step (the fill idiom, loops/rollscan.py)."""
    first = nodes[0].attrs
    moving = {k for n in nodes for k in range(nodes[0].ndim)
              if n.attrs["starts"][k] != first["starts"][k]}
    if len(moving) != 1 or any(n.attrs["steps"] != first["steps"] for n in nodes):
        return None
    (k,) = moving
    if nodes[0].inputs[1].shape[k] != 1:
        return None
    starts = [n.attrs["starts"][k] for n in nodes]
    step = starts[1] - starts[0]
    linear = step != 0 and all(s == starts[0] + step * i for i, s in enumerate(starts))
    return ("update", k, np.array(starts, np.int64).reshape(-1, 1), starts[0],
            step if linear else None)


def _constants(nodes: list[Node]) -> tuple | None:
    """('const', stacked values) when every node is a constant of one type, not too big."""
    first = nodes[0]
    if any(n.op is not Op.CONST or n.type != first.type for n in nodes) or \
            first.type.size * len(nodes) > MAX_CONST_ROWS:
        return None
    return ("const", np.stack([n.attrs["value"].array for n in nodes]))


class Iterations:
    """The iterations of one loop run and how they match."""

    def __init__(self, iterations: list[list[Node]]):
        # constants are outer values, whichever iteration made them first (an input that
        # reads a different constant at each step is a sequence of constants)
        self.nodes = [[n for n in it if n.op is not Op.CONST] for it in iterations]
        self.pos = [{n: j for j, n in enumerate(it)} for it in self.nodes]

    def refs(self, i: int, node: Node) -> list[tuple]:
        earlier = [self.pos[i - d] for d in range(1, MAX_TAP + 1) if i - d >= 0]
        return [_ref(x, self.pos[i], earlier) for x in node.inputs]

    def slots(self, start: int) -> Slots:
        """Match iterations from `start` on against a template; the longest matching run."""
        n = len(self.nodes)
        p = min(n - 1, start + MAX_TAP)
        slots = Slots(start, n, self.nodes[p], p)
        reason = None
        for i in range(start, n):
            try:
                self._match(i, p, slots)
            except Mismatch as why:
                slots.stop, reason = i, why
                break
        while slots.stop - start >= 2:
            rows, slots.rows = slots.rows, dict.fromkeys(slots.rows)
            try:
                self._rows(slots)
                return slots
            except Mismatch as why:       # the last steps read something else: roll fewer
                reason, slots.rows = why, rows
                slots.stop -= 1
        raise reason or Mismatch("fewer than two iterations")

    def _match(self, i: int, p: int, slots: Slots) -> None:
        mine, template = self.nodes[i], slots.template
        if len(mine) != len(template):
            raise Mismatch(f"iteration {i} made {len(mine)} nodes, iteration {p} made "
                           f"{len(template)}")
        for j, (a, t) in enumerate(zip(mine, template)):
            if a.op is not t.op or a.type != t.type or len(a.inputs) != len(t.inputs):
                raise Mismatch(f"node {j} of iteration {i} is {a.op.value} {a.type}, of "
                               f"iteration {p} {t.op.value} {t.type}{_where(a)}")
            if a.op is Op.PARAM and a is not t:
                raise Mismatch("each step draws its own random numbers (a draw is an input of "
                               "the compiled function): draw them before the loop, one row per "
                               f"step, and index the rows{_where(a)}")
            if a.attrs != t.attrs and a.op not in (Op.SLICE, Op.UPDATE_SLICE):
                raise Mismatch(f"node {j} ({a.op.value}) has other attributes in iterations "
                               f"{i} and {p}{_where(a)}")
            for k, (ra, rt) in enumerate(zip(self.refs(i, a), self.refs(p, t))):
                self._same_input(i, j, k, ra, rt, slots)

    def _same_input(self, i: int, j: int, k: int, ra: tuple, rt: tuple, slots: Slots) -> None:
        """Input k of node j reads the same thing in iteration i as in the template."""
        if rt[0] == "prev":                 # a carried value, d steps back
            d, slot = rt[1], rt[2]
            if i - d >= slots.start:
                if ra != rt:
                    raise Mismatch(f"input {k} of node {j} carries another value in iteration "
                                   f"{i}{_where(self.nodes[i][j])}")
            else:                            # before the loop: the init of that row
                value = (ra[1] if ra[0] == "outer" else
                         self.nodes[i - ra[1]][ra[2]] if ra[0] == "prev" else None)
                if value is None or slots.inits.setdefault((slot, i - d - slots.start),
                                                           value) is not value:
                    raise Mismatch(f"the carried value read by node {j} starts from another "
                                   f"value in iteration {i}{_where(self.nodes[i][j])}")
            slots.taps.setdefault(slot, set()).add(-d)
            return
        if ra == rt:
            return
        if ra[0] == "outer" and rt[0] == "outer":     # a different outer value per step
            slots.rows.setdefault(("input", j, k), None)
            return
        raise Mismatch(f"input {k} of node {j} ({self.nodes[i][j].op.value}) comes from "
                       f"elsewhere in iteration {i}{_where(self.nodes[i][j])}")

    def _rows(self, slots: Slots) -> None:
        """How to stack every value that changes with the step; a Mismatch if one can't be."""
        its = range(slots.start, slots.stop)
        for j, t in enumerate(slots.template):
            if t.op is Op.UPDATE_SLICE and any(self.nodes[i][j].attrs != t.attrs for i in its):
                how = _moving_update([self.nodes[i][j] for i in its])
                if how is None:
                    raise Mismatch(f"an assignment moves along several axes with the step"
                                   f"{_where(t)}")
                slots.rows[("node", j)] = how
            if t.op is Op.SLICE and any(self.nodes[i][j].attrs != t.attrs for i in its):
                nodes = [self.nodes[i][j] for i in its]
                how = _linear_slice(nodes)
                how = ("slice", *how) if how is not None else _moving_index(nodes)
                if how is None:
                    raise Mismatch(f"a slice moves along several axes with the step{_where(t)}")
                slots.rows[("node", j)] = how
        for key in [k for k, v in slots.rows.items() if v is None]:
            _, j, k = key
            values = [self.nodes[i][j].inputs[k] for i in its]
            how = _row_read(values) or _constants(values)
            if how is None:
                raise Mismatch(f"input {k} of node {j} ({slots.template[j].op.value}) is a "
                               f"different outer value in each iteration"
                               f"{_where(slots.template[j])}")
            slots.rows[key] = how


def _where(node: Node) -> str:
    return f" (at {node.loc})" if node.loc else ""

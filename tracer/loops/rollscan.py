"""Build the SCAN of a rollable loop from its matched iterations (loops/match.py).

The body is the template iteration rebuilt over params: each carried value's
taps, each sequence row, and each outer value it reads (a non-sequence; constants
stay inside). The loop's inputs are the carried values' inits (the values before
its first step), the sequences (the rows each step read, stacked along a new
first axis) and the non-sequences. Its outputs are the carried values and the
per-step values the rest of the program reads: stacked when it reads them at
several steps, only the last otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ir import Graph, Node, Op, TensorType, make_node, make_param
from ..trace import prims
from .match import Iterations, Mismatch, Slots
from .spec import ScanSpec, scan_outputs


@dataclass
class Rolled:
    replace: dict[Node, Node]        # iteration node -> what reads it now
    scan: Node
    outputs: dict[int, tuple[Node, bool]] = field(default_factory=dict)  # slot -> (out, stacked)


def _rows_of(source: Node, axis: int, start: int, step: int, frame, count: int,
             shape) -> Node:
    """Rows start, start + step, ... of `source` along `axis`, stacked first, each `shape`;
    the other axes sliced as the first step's slice (`frame`, its attrs) slices them."""
    starts, steps = list(frame["starts"]), list(frame["steps"])
    sizes = list(frame["sizes"])
    starts[axis], steps[axis], sizes[axis] = start, step, count
    rows = prims.slice_axes(source, starts, steps, sizes)
    rows = prims.transpose(rows, [axis] + [d for d in range(source.ndim) if d != axis])
    return prims.reshape(rows, (count,) + tuple(shape))


def _sequence(how: tuple, count: int, shape) -> Node:
    if how[0] == "const":
        return prims.const(how[1])
    if how[0] in ("gather", "update"):
        return prims.const(how[2])
    if how[0] == "reshape":
        return _rows_of(*how[2:], count, shape)
    return _rows_of(*how[1:], count, shape)


def _init(slots: Slots, slot: int, window: int, like: Node) -> Node:
    rows = []
    for r in range(-window, 0):
        value = slots.inits.get((slot, r))
        if value is None or value.type != like.type:
            raise Mismatch(f"the carried value of node {slot} has no value of its type "
                           f"{like.type} before the loop ({r} steps before)")
        rows.append(prims.reshape(value, (1,) + value.shape))
    return prims.concatenate(rows, 0)


class _BodyBuilder:
    """The template iteration rebuilt over the body's params."""

    def __init__(self, its: Iterations, slots: Slots):
        self.its, self.slots = its, slots
        self.p = slots.at
        self.states = sorted(slots.taps)
        self.taps = {j: sorted(slots.taps[j]) for j in self.states}
        self.tap_param = {(j, t): make_param(slots.template[j].type, "carried")
                          for j in self.states for t in self.taps[j]}
        self.row_param = {}
        for key, how in slots.rows.items():
            t = slots.template[key[1]]
            typ = t.type if key[0] == "node" else t.inputs[key[2]].type
            if how[0] in ("gather", "update"):   # a per-step index, used inside
                typ = TensorType(np.dtype(np.int64), (1,))
            self.row_param[key] = make_param(typ, "row")
        self.outer: dict[Node, Node] = {}
        self.body: list[Node] = []

    def _input(self, j: int, k: int, ref: tuple) -> Node:
        key = ("input", j, k)
        if key in self.row_param:
            return self.row_param[key]
        if ref[0] == "local":
            return self.body[ref[1]]
        if ref[0] == "prev":
            return self.tap_param[ref[2], -ref[1]]
        x = ref[1]
        if x.op is Op.CONST:
            return x
        if x not in self.outer:
            self.outer[x] = make_param(x.type, "non_sequence")
        return self.outer[x]

    def _gathered(self, j: int, t: Node, axis: int) -> Node:
        """A slice whose start along `axis` is the step's index: the slice with that axis
        whole, then one element gathered along it."""
        x = self._input(j, 0, self.its.refs(self.p, t)[0])
        a = t.attrs
        starts, steps, sizes = list(a["starts"]), list(a["steps"]), list(a["sizes"])
        starts[axis], steps[axis], sizes[axis] = 0, 1, x.shape[axis]
        whole = prims.slice_axes(x, starts, steps, sizes)
        return prims.bind(Op.GATHER, [whole, self.row_param["node", j]], axis=axis)

    def _updated(self, j: int, t: Node, axis: int) -> Node:
        """An assignment at the step's index along `axis`: the row there, updated, put back
        (last write wins: SCATTER_SET); with the other axes whole, v is the row."""
        refs = self.its.refs(self.p, t)
        x, v = self._input(j, 0, refs[0]), self._input(j, 1, refs[1])
        a, idx = t.attrs, self.row_param["node", j]
        whole = all(a["starts"][d] == 0 and a["steps"][d] == 1 and v.shape[d] == x.shape[d]
                    for d in range(x.ndim) if d != axis)
        if not whole:
            row = prims.bind(Op.GATHER, [x, idx], axis=axis)
            starts, steps = list(a["starts"]), list(a["steps"])
            starts[axis], steps[axis] = 0, 1
            v = prims.bind(Op.UPDATE_SLICE, [row, v], starts=tuple(starts), steps=tuple(steps))
        return prims.bind(Op.SCATTER_SET, [x, idx, v], axis=axis)

    def fill_value(self, j: int) -> Node:
        """What a fill slot's assignment writes at this step (its value, in the body)."""
        t = self.slots.template[j]
        return self._input(j, 1, self.its.refs(self.p, t)[1])

    def build(self, fills: set[int] = frozenset()) -> None:
        for j, t in enumerate(self.slots.template):
            how = self.slots.rows.get(("node", j))
            if j in fills:                     # written row by row: no carried array
                self.body.append(self.fill_value(j))
                continue
            if how is not None and how[0] == "gather":
                self.body.append(self._gathered(j, t, how[1]))
                continue
            if how is not None and how[0] == "update":
                self.body.append(self._updated(j, t, how[1]))
                continue
            if how is not None:
                self.body.append(self.row_param["node", j])
                continue
            inputs = [self._input(j, k, ref) for k, ref in enumerate(self.its.refs(self.p, t))]
            node = make_node(t.op, inputs, t.attrs, t.loc) if inputs else t
            if node.type != t.type:
                raise Mismatch(f"node {j} ({t.op.value}) changes type inside the loop")
            self.body.append(node)


def _fills(its: Iterations, slots: Slots, needed: dict[int, set[int]]) -> set[int]:
    """Carried arrays the loop only writes, one row per step at a regular step, and that
    nothing reads before the loop ends (`h[:, t, :] = v` into a preallocated h): these are
    not carried; the rows are stacked and written into the array once, after the loop."""
    refs = [its.refs(slots.at, t) for t in slots.template]
    fills = set()
    for j, taps in slots.taps.items():
        how = slots.rows.get(("node", j))
        if taps != {-1} or how is None or how[0] != "update" or how[4] is None:
            continue
        readers = [(m, k) for m, rs in enumerate(refs) for k, r in enumerate(rs)
                   if (r[0] == "local" and r[1] == j) or (r[0] == "prev" and r[2] == j)]
        if readers == [(j, 0)] and needed.get(j, set()) <= {slots.stop - 1}:
            fills.add(j)
    return fills


def _filled(slots: Slots, j: int, rows: Node) -> Node:
    """The carried array after the loop: its value before it, with every step's row."""
    _, axis, _, first, step = slots.rows[("node", j)]
    t = slots.template[j]
    init = slots.inits[(j, -1)]
    count = rows.shape[0]
    v_shape = t.inputs[1].shape
    rows = prims.reshape(rows, (count,) + v_shape[:axis] + v_shape[axis + 1:])
    rows = prims.transpose(rows, list(range(1, axis + 1)) + [0] +
                           list(range(axis + 1, rows.ndim)))
    starts, steps = list(t.attrs["starts"]), list(t.attrs["steps"])
    starts[axis], steps[axis] = first, step
    return prims.bind(Op.UPDATE_SLICE, [init, rows], starts=tuple(starts), steps=tuple(steps))


def build_scan(its: Iterations, slots: Slots, needed: dict[int, set[int]],
               steps: int | None = None) -> Rolled:
    """The SCAN of iterations [slots.start, slots.stop); `needed[j]` holds the iterations
    whose node j the rest of the program reads. `steps` (loops/fastforward.py): run that
    many steps, beyond the iterations traced, with the sequences extended alike."""
    fills = _fills(its, slots, needed)
    for j in fills:
        del slots.taps[j]
    b = _BodyBuilder(its, slots)
    b.build(fills)
    start, stop = slots.start, slots.stop
    count, last = (stop - start if steps is None else steps), stop - 1
    outs = [j for j in sorted(set(needed) | fills) if j not in slots.taps]
    keep = [j in fills or any(i != last for i in needed.get(j, ())) for j in b.states + outs]
    params = ([b.tap_param[j, t] for j in b.states for t in b.taps[j]]
              + list(b.row_param.values()) + list(b.outer.values()))
    body = Graph(tuple(params), tuple(b.body[j] for j in b.states + outs))
    inits = [_init(slots, j, -b.taps[j][0], slots.template[j]) for j in b.states]
    seqs = [_sequence(how, count, b.row_param[key].shape) for key, how in slots.rows.items()]
    spec = ScanSpec(body, tuple(tuple(b.taps[j]) for j in b.states), len(seqs), count,
                    keep=tuple(keep))
    values = scan_outputs(spec, inits + seqs + list(b.outer))
    replace: dict[Node, Node] = {}
    for k, j in enumerate(b.states + outs):
        out = values[k]
        if j in fills:
            if needed.get(j):
                replace[its.nodes[last][j]] = _filled(slots, j, out)
            continue
        for i in needed.get(j, ()):
            node = its.nodes[i][j]
            if keep[k]:
                row = prims.slice_axes(out, (i - start,) + (0,) * (out.ndim - 1),
                                       (1,) * out.ndim, (1,) + out.shape[1:])
                replace[node] = prims.reshape(row, node.shape)
            else:
                replace[node] = out
    stacked = {j: (values[k], keep[k]) for k, j in enumerate(b.states + outs)}
    return Rolled(replace, values[0].inputs[0] if values else None, stacked)

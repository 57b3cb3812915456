"""Peepholes for the readers of a rolled loop, so that they stay O(1) in the trip count.

A list of per-step values stacked after the loop (`np.stack(hs)`) reads one row
of the loop's stacked output per step: a concatenation of T one-row slices,
each through a reshape or two. These rules turn it back into the stacked output
(or the slice of it the rows cover), exactly, without waiting for the optimizer
(which the user may have turned off).
"""
from __future__ import annotations

from ..ir import Node, Op, make_node


def simplified(node: Node) -> Node:
    """`node` with reshape chains merged and stacked consecutive rows joined."""
    if node.op is Op.RESHAPE:
        x = node.inputs[0]
        if x.op is Op.RESHAPE:
            x = x.inputs[0]
            node = make_node(Op.RESHAPE, [x], {"shape": node.shape}, node.loc)
        return x if x.shape == node.shape else node
    if node.op is Op.CONCATENATE:
        return _joined(node) or node
    return node


def _row(part: Node) -> tuple[Node, int, tuple] | None:
    """(source, row, shape) when `part` is one row of `source` along its first axis,
    seen through a reshape to `shape` = (1, *row shape)."""
    x = part.inputs[0] if part.op is Op.RESHAPE else part
    if x.op is not Op.SLICE or part.ndim == 0 or part.shape[0] != 1:
        return None
    src, a = x.inputs[0], x.attrs
    whole = all(s == 0 and st == 1 and n == m for s, st, n, m in
                zip(a["starts"][1:], a["steps"][1:], a["sizes"][1:], src.shape[1:]))
    if a["sizes"][0] != 1 or not whole:
        return None
    return src, a["starts"][0], part.shape


def _joined(node: Node) -> Node | None:
    """concatenate(..., row r of x, row r+1 of x, ..., ...) along axis 0: each run of
    consecutive rows of one source becomes one slice of it (reshaped)."""
    if node.attrs["axis"] != 0:
        return None
    pieces: list[Node] = []
    run: list[tuple] = []
    for part in node.inputs + (None,):
        row = _row(part) if part is not None else None
        if run and (row is None or row[0] is not run[0][0] or row[1] != run[-1][1] + 1
                    or row[2] != run[0][2]):
            pieces.append(_rows(run, node) if len(run) > 1 else run[0][3])
            run = []
        if row is not None:
            run.append((*row, part))
        elif part is not None:
            pieces.append(part)
    if len(pieces) == len(node.inputs):
        return None
    if len(pieces) == 1:
        return pieces[0]
    return make_node(Op.CONCATENATE, pieces, {"axis": 0}, node.loc)


def _rows(run: list[tuple], node: Node) -> Node:
    src, first, shape, _ = run[0]
    n = len(run)
    taken = src if (first, n) == (0, src.shape[0]) else make_node(
        Op.SLICE, [src], {"starts": (first,) + (0,) * (src.ndim - 1), "steps": (1,) * src.ndim,
                          "sizes": (n,) + src.shape[1:]}, node.loc)
    return simplified(make_node(Op.RESHAPE, [taken], {"shape": (n,) + shape[1:]}, node.loc))

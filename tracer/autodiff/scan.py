"""Derivatives through loops: the JVP of a SCAN is a SCAN, its VJP a SCAN running backwards.

A SCAN is a tuple (loops/spec.py). Its JVP rule returns one tangent per output
(a list; SCAN_OUT picks its own); a SCAN_OUT's VJP rule returns its cotangent
as `TupleCotangent({index: ct})`, which the reverse transform adds up per scan.

JVP (the R-operator): one forward scan carrying each state with its tangent.
The body is the body's own JVP graph; a state whose tangent is zero at the start
and stays zero is not carried. Its primal outputs repeat the original loop's (the
optimizer merges the two scans).

VJP (backpropagation through time): a scan over the steps in the opposite order
whose body is the body's VJP graph, evaluated at each step's inputs: the stored
states (the forward scan's stacked values, with the init rows before them), the
sequences' rows and the non-sequences. It carries, per state, the cotangents of
the state's last L values (its window) and, per non-sequence, the sum of its
cotangents so far; it stacks the sequences' cotangents. Body intermediates are
recomputed at each step; only states are stored. `truncate` (Theano's
truncate_gradient = k) runs the k last steps only. Loops with a stop condition
get a JVP but no VJP (as jax.lax.while_loop).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..ir import Graph, Node, Op, make_param, substitute
from ..loops.spec import ScanSpec, scan_outputs
from ..trace import prims
from . import build as b
from . import transform
from .build import MaybeNode, TupleCotangent, materialize


def _fresh(node: Node, name: str) -> Node:
    return make_param(node.type, name, node.loc)


def _parts(node: Node) -> tuple[ScanSpec, list[Node], list[Node], list[Node]]:
    spec = node.attrs["spec"]
    inputs = list(node.inputs)
    n, s = spec.n_states, spec.n_seqs
    return spec, inputs[:n], inputs[n:n + s], inputs[n + s:]


def _split_params(spec: ScanSpec) -> tuple[list[list[Node]], list[Node], list[Node]]:
    """The body's params: per state its tap params, the rows, the non-sequences."""
    params = list(spec.body.inputs)
    taps, k = [], 0
    for state_taps in spec.taps:
        taps.append(params[k:k + len(state_taps)])
        k += len(state_taps)
    return taps, params[k:k + spec.n_seqs], params[k + spec.n_seqs:]


# -- JVP --------------------------------------------------------------------------------------
def _active_states(spec: ScanSpec, init_t: list[MaybeNode], seq_t, rest_t) -> list[bool]:
    """Which states carry a nonzero tangent at some step (a fixpoint over the body)."""
    taps, rows, rest = _split_params(spec)
    active = [t is not None for t in init_t]
    while True:
        seeds = {p: p for i, ps in enumerate(taps) if active[i] for p in ps}
        seeds.update({p: p for p, t in zip(rows, seq_t) if t is not None})
        seeds.update({p: p for p, t in zip(rest, rest_t) if t is not None})
        outs = transform.jvp_nodes(spec.body.outputs[:spec.n_states], seeds) if seeds else \
            [None] * spec.n_states
        now = [a or o is not None for a, o in zip(active, outs)]
        if now == active:
            return active
        active = now


def scan_jvp(node: Node, ts: Sequence[MaybeNode]) -> list[MaybeNode]:
    spec, inits, seqs, rest = _parts(node)
    init_t, seq_t, rest_t = (list(ts[:spec.n_states]), list(ts[spec.n_states:][:spec.n_seqs]),
                             list(ts[spec.n_states + spec.n_seqs:]))
    active = _active_states(spec, init_t, seq_t, rest_t)
    taps, rows, params = _split_params(spec)
    tangent = {}
    new_taps = [[_fresh(p, "tangent") for p in ps] for ps, a in zip(taps, active) if a]
    for ps, fresh in zip([ps for ps, a in zip(taps, active) if a], new_taps):
        tangent.update(zip(ps, fresh))
    new_rows = [_fresh(p, "tangent") for p, t in zip(rows, seq_t) if t is not None]
    tangent.update(zip([p for p, t in zip(rows, seq_t) if t is not None], new_rows))
    new_rest = [_fresh(p, "tangent") for p, t in zip(params, rest_t) if t is not None]
    tangent.update(zip([p for p, t in zip(params, rest_t) if t is not None], new_rest))
    n_s, n_o = spec.n_states, spec.n_outs
    outs = list(spec.body.outputs)
    touts = transform.jvp_nodes(outs[:n_s + n_o], tangent)
    state_t = [materialize(t, o) for t, o, a in zip(touts[:n_s], outs[:n_s], active) if a]
    out_idx = [j for j in range(n_o) if touts[n_s + j] is not None]
    body = Graph(tuple([p for ps in taps for p in ps] + [p for ps in new_taps for p in ps]
                       + rows + new_rows + params + new_rest),
                 tuple(outs[:n_s] + state_t + outs[n_s:n_s + n_o]
                       + [touts[n_s + j] for j in out_idx] + outs[n_s + n_o:]))
    act = [i for i in range(n_s) if active[i]]
    keep = spec.keep
    new_spec = replace(spec, body=body, taps=spec.taps + tuple(spec.taps[i] for i in act),
                       n_seqs=spec.n_seqs + len(new_rows),
                       keep=keep[:n_s] + tuple(keep[i] for i in act) + keep[n_s:]
                       + tuple(keep[n_s + j] for j in out_idx))
    inputs = (inits + [materialize(init_t[i], inits[i]) for i in act]
              + seqs + [t for t in seq_t if t is not None]
              + rest + [t for t in rest_t if t is not None])
    new = scan_outputs(new_spec, inputs)
    result: list[MaybeNode] = [None] * len(spec.output_types())
    for k, i in enumerate(act):
        result[i] = new[n_s + k]
    for k, j in enumerate(out_idx):
        result[n_s + j] = new[n_s + len(act) + n_o + k]
    return result


def scan_out_jvp(node: Node, ts: Sequence[Any]) -> MaybeNode:
    return ts[0][node.attrs["index"]]


def scan_out_vjp(node: Node, ct: Node) -> list[Any]:
    return [TupleCotangent({node.attrs["index"]: ct})]


# -- VJP: backpropagation through time --------------------------------------------------------
def _is_float(node: Node) -> bool:
    return node.dtype.kind in "fc"


def _stacked_states(node: Node) -> list[Node]:
    """Every step's value of each state: the scan's own stacks, or those of a twin that
    keeps them all (the optimizer merges the two)."""
    spec = node.attrs["spec"]
    n = spec.n_states
    if not all(spec.keep[:n]):
        twin = replace(spec, keep=(True,) * n + spec.keep[n:])
        return scan_outputs(twin, list(node.inputs))[:n]
    return [prims.bind(Op.SCAN_OUT, [node], index=i, type=t)
            for i, t in enumerate(spec.output_types()[:n])]


def _rows(x: Node, start: int, count: int, step: int = 1) -> Node:
    return b.slice_along(x, 0, start, count, step)


def _history(spec: ScanSpec, i: int, init: Node, stacked: Node, tap: int, lo: int,
             hi: int) -> Node:
    """Rows lo..hi-1 of the values state i's tap reads at each step: the state `-tap`
    steps before (init rows before the first step)."""
    L = spec.window(i)
    if spec.reverse:      # step order t = T-1 .. 0: the state k steps before is row t + k
        flipped = b.reverse(init, 0)
        return _rows(prims.concatenate([stacked, flipped], 0), lo - tap, hi - lo)
    return _rows(prims.concatenate([init, stacked], 0), L + tap + lo, hi - lo)


def _window_row(w: Node, j: int) -> Node:
    return prims.reshape(_rows(w, j, 1), w.shape[1:])


def scan_vjp(node: Node, ct: TupleCotangent) -> list[MaybeNode]:
    spec = node.attrs["spec"]
    if spec.until:
        raise NotImplementedError("tracer: reverse-mode derivatives through a loop with a stop "
                                  "condition (tr.until, tr.while_loop) are not defined, as in "
                                  "jax.lax.while_loop; use forward mode (tr.jvp) or a loop "
                                  "with a fixed number of steps")
    return _Backprop(node, ct).input_cotangents()


class _Backprop:
    """The backward loop of one SCAN, built in the order of the module docstring."""

    def __init__(self, node: Node, ct: TupleCotangent):
        spec, self.inits, self.seqs, self.rest = _parts(node)
        self.spec, self.node, self.ct = spec, node, ct
        T, n_s, n_o = spec.n_steps, spec.n_states, spec.n_outs
        self.k = spec.truncate if 0 < spec.truncate < T else T
        self.lo, self.hi = (0, self.k) if spec.reverse else (T - self.k, T)
        self.taps, self.rows, self.params = _split_params(spec)
        self.floats = [i for i in range(n_s) if _is_float(self.inits[i])]
        # what the backward body carries: per float state its window, per float
        # non-sequence its sum; then what it reads per step
        self.window = {i: make_param(self.inits[i].type, "ct_window") for i in self.floats}
        self.sums = {j: make_param(p.type, "ct_sum") for j, p in enumerate(self.params)
                     if _is_float(p)}
        self.ct_states = {i: ct[i] for i in self.floats if spec.keep[i] and ct.get(i) is not None}
        self.ct_outs = {j: ct[n_s + j] for j in range(n_o)
                        if ct.get(n_s + j) is not None and _is_float(ct[n_s + j])}
        self.state_row = {i: _fresh(self.taps[i][0], "ct_state_row") for i in self.ct_states}
        self.out_row = {j: make_param(spec.body.outputs[n_s + j].type, "ct_out_row")
                        for j in self.ct_outs}
        self.tap_values = [[_fresh(p, "state_row") for p in ps] for ps in self.taps]
        self.row_values = [_fresh(p, "row") for p in self.rows]
        self.rest_values = [_fresh(p, "non_sequence") for p in self.params]

    def step_cotangents(self) -> tuple[dict, list[MaybeNode], list[MaybeNode]]:
        """The body's VJP at one step's values: cotangents per (state, tap), per row and
        per non-sequence."""
        spec, n_s, n_o = self.spec, self.spec.n_states, self.spec.n_outs
        total = {i: b.add(_window_row(self.window[i], 0), self.state_row.get(i))
                 for i in self.floats}
        out_cts = [total.get(i) for i in range(n_s)] + [self.out_row.get(j) for j in range(n_o)]
        fwd = [p for ps in self.taps for p in ps] + self.rows + self.params
        grads = transform.vjp_nodes(list(spec.body.outputs[:n_s + n_o]), out_cts, fwd)
        values = dict(zip(fwd, [p for ps in self.tap_values for p in ps] + self.row_values
                          + self.rest_values))
        grads = [None if x is None else substitute([x], values)[0] for x in grads]
        tap_ct, pos = {}, 0
        for i, ps in enumerate(self.taps):
            tap_ct.update({(i, tap): c for tap, c in zip(spec.taps[i], grads[pos:pos + len(ps)])})
            pos += len(ps)
        return tap_ct, grads[pos:pos + len(self.rows)], grads[pos + len(self.rows):]

    def body(self) -> tuple[Graph, list[int]]:
        """The backward body, and which rows' cotangents it stacks."""
        tap_ct, row_ct, rest_ct = self.step_cotangents()
        new_windows = []
        for i in self.floats:
            w = self.window[i]
            L = self.spec.window(i)
            parts = [b.add(_window_row(w, j + 1) if j + 1 < L else None, tap_ct.get((i, -j - 1)))
                     for j in range(L)]
            parts = [materialize(x, _window_row(w, 0)) for x in parts]
            new_windows.append(prims.concatenate([prims.reshape(x, (1,) + x.shape)
                                                  for x in parts], 0))
        new_sums = [b.add(a, rest_ct[j]) if rest_ct[j] is not None else a
                    for j, a in self.sums.items()]
        stacked_rows = [j for j, c in enumerate(row_ct) if c is not None]
        params = ([self.window[i] for i in self.floats] + list(self.sums.values())
                  + list(self.state_row.values()) + list(self.out_row.values())
                  + [p for ps in self.tap_values for p in ps] + self.row_values
                  + self.rest_values)
        outs = new_windows + new_sums + [row_ct[j] for j in stacked_rows]
        return Graph(tuple(params), tuple(outs)), stacked_rows

    def loop(self) -> tuple[list[Node], list[int]]:
        """The backward SCAN's outputs: final windows, sums, stacked row cotangents."""
        spec, lo, hi, k = self.spec, self.lo, self.hi, self.k
        body, stacked_rows = self.body()
        stacked = _stacked_states(self.node)
        inits = [_window_init(spec, i, self.inits[i], self.ct.get(i)) for i in self.floats]
        inits += [prims.reshape(b.zeros_like(self.params[j]), (1,) + self.params[j].shape)
                  for j in self.sums]
        seqs = ([_rows(self.ct_states[i], lo, k) for i in self.state_row]
                + [_rows(self.ct_outs[j], lo, k) for j in self.out_row]
                + [_history(spec, i, self.inits[i], stacked[i], tap, lo, hi)
                   for i in range(spec.n_states) for tap in spec.taps[i]]
                + [_rows(x, lo, k) for x in self.seqs])
        carried = len(self.floats) + len(self.sums)
        back = ScanSpec(body, ((-1,),) * carried, len(seqs), k, reverse=not spec.reverse,
                        keep=(False,) * carried + (True,) * len(stacked_rows))
        return scan_outputs(back, inits + seqs + self.rest), stacked_rows

    def input_cotangents(self) -> list[MaybeNode]:
        spec, T, k = self.spec, self.spec.n_steps, self.k
        outs, stacked_rows = self.loop()
        n_s, n_w = spec.n_states, len(self.floats)
        result: list[MaybeNode] = [None] * len(self.node.inputs)
        for m, i in enumerate(self.floats):    # truncated: nothing reaches the init
            result[i] = b.reverse(outs[m], 0) if k == T else b.zeros_like(self.inits[i])
        for m, j in enumerate(self.sums):
            result[n_s + spec.n_seqs + j] = outs[n_w + m]
        for m, j in enumerate(stacked_rows):
            rows = outs[n_w + len(self.sums) + m]
            if k < T:
                pad = b.zeros_shape((T - k,) + rows.shape[1:], rows.dtype)
                rows = prims.concatenate([rows, pad] if spec.reverse else [pad, rows], 0)
            result[n_s + j] = rows
        return result


def _window_init(spec: ScanSpec, i: int, init: Node, last_ct: MaybeNode) -> Node:
    """(1, L, *s): the cotangents of the state's last L values from outside the loop:
    the last value's own (when the scan keeps only the last), zeros before it."""
    zeros = b.zeros_like(init)
    if spec.keep[i] or last_ct is None:
        return prims.reshape(zeros, (1,) + init.shape)
    first = prims.reshape(last_ct, (1,) + last_ct.shape)
    rest = _rows(zeros, 1, init.shape[0] - 1) if init.shape[0] > 1 else None
    window = prims.concatenate([first, rest], 0) if rest is not None else first
    return prims.reshape(window, (1,) + init.shape)


JVP_RULES = {Op.SCAN: scan_jvp, Op.SCAN_OUT: scan_out_jvp}
VJP_RULES = {Op.SCAN: scan_vjp, Op.SCAN_OUT: scan_out_vjp}

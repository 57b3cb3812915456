"""Scan rewrites: whole-loop rewrites of SCAN nodes, and the optimizer run on loop bodies.

A SCAN is one node read by several SCAN_OUT {index} nodes (tracer/loops/spec.py), so
a rewrite of a loop sees all its readers at once: these are graph passes
(`Graph -> Graph`), not node rules. `rewrite_loops` takes each loop apart into a
`Loop` (lists of states, sequences, non-sequences and step outputs that a rewrite
edits), builds the new SCAN, and maps each old SCAN_OUT (or its reader) to its new
value; the first rewrite that fires is applied to the graph and the rounds repeat
until none fires. In the order tried:

    merge      two loops over the same steps that share sequences or states become one:
               the JVP's forward loop repeats the primal loop's states, the VJP's
               keep-all twin repeats the forward loop (readers of a last-only value read
               the last row of the merged stack)
    prune      outputs nobody reads go, with the body work only they need; a state no
               read output and no live state needs goes; unread and repeated inputs go
    fixed      a state that never changes (its new value is its old one) becomes a
               non-sequence
    last_only  a stacked output read only through its last row keeps only the last
               value: memory independent of the number of steps
    constants  a non-sequence that is a broadcast constant goes back into the body,
               where the body's own rewrites see it                  (scan_motion.py)
    stored     work a loop repeats from a loop whose states it reads (BPTT's backward
               loop recomputing each forward step) reads that loop's stacked rows
    invariants body work that reads only non-sequences moves before the loop (a new
               non-sequence)
    seq_dots   a product of a sequence's row and an invariant (x_t @ W) becomes one
               product of the whole sequence before the loop (a new sequence)
    sum_dots   a state A' = A + a_t @ b_t read only for its final value becomes one
               product of the stacked rows after the loop (the weight-gradient sums
               of backpropagation through time)

`optimize_bodies` then runs the whole pipeline on each loop's body (nested loops
included), so fusion, gemm folding and stability rewrites apply inside loops too.
Every rewrite keeps the values; `sum_dots` and `seq_dots` change the order of the
float additions (one BLAS product instead of one per step), so results agree to
rounding, not bit for bit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..ir import Graph, Node, Op, make_node, make_param, rewrite, substitute, toposort
from ..loops.spec import ScanSpec
from . import canonicalize, fold
from .engine import run_pass
from .loop_view import Carry, Emit, Feed, Loop, LoopRewrite, Outer, last_of, read_params
from .scan_motion import constants, invariants, seq_dots, stored, sum_dots

MAX_ROUNDS = 200
CANONICAL = canonicalize.RULES + fold.RULES


# -- prune: dead outputs, states and inputs ------------------------------------------------------
def _live_states(loop: Loop, used: set[int]) -> set[int]:
    """States whose value is read outside or needed by a live value inside (a fixpoint)."""
    live = {i for i, s in enumerate(loop.states) if s.index in used}
    roots = [e.out for e in loop.emits if e.index in used] + \
        ([loop.cond] if loop.cond is not None else [])
    while True:
        read = read_params(roots + [loop.states[i].out for i in sorted(live)])
        more = {i for i, s in enumerate(loop.states) if any(p in read for p in s.params)}
        if more <= live:
            return live
        live |= more


def _dedupe(feeds: list[Feed]) -> tuple[list[Feed], dict[Node, Node]]:
    """Feeds with one param per outer value, and {dropped param: the kept one}."""
    kept: dict[Node, Feed] = {}
    same: dict[Node, Node] = {}
    for f in feeds:
        if f.value in kept:
            same[f.param] = kept[f.value].param
        else:
            kept[f.value] = f
    return list(kept.values()), same


def prune(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """Drop unread outputs, states nothing needs, unread and repeated inputs."""
    loop, used = Loop.of(scan), outer.used(scan)
    live = _live_states(loop, used)
    before = (len(loop.states), len(loop.emits), len(loop.seqs), len(loop.nonseqs))
    loop.states = [s for i, s in enumerate(loop.states) if i in live]
    loop.emits = [e for e in loop.emits if e.index in used]
    loop.seqs, same_seqs = _dedupe(loop.seqs)
    loop.nonseqs, same_rest = _dedupe(loop.nonseqs)
    if same_seqs or same_rest:
        loop.substitute({**same_seqs, **same_rest})
    read = read_params(loop.body_outputs())
    loop.seqs = [f for f in loop.seqs if f.param in read]
    loop.nonseqs = [f for f in loop.nonseqs if f.param in read]
    if (len(loop.states), len(loop.emits), len(loop.seqs), len(loop.nonseqs)) == before:
        return None
    return outer.replacing(scan, loop.mapping(loop.build()))


def fixed(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """A state whose new value is its value one step before (it never changes) -> a
    non-sequence: its init; its output is the init (stacked: the init on every row)."""
    loop = Loop.of(scan)
    for s in loop.states:
        if s.taps == (-1,) and s.out is s.params[0]:
            value = make_node(Op.RESHAPE, [s.init], {"shape": s.out.shape})
            loop.states.remove(s)
            loop.nonseqs.append(Feed(value, s.params[0]))
            result = outer.replacing(scan, loop.mapping(loop.build()))
            old = outer.outs.get(scan, {}).get(s.index)
            if old is not None:
                result[old] = value if not s.keep else make_node(
                    Op.BROADCAST_TO, [s.init], {"shape": (loop.n_steps,) + s.out.shape})
            return result
    return None


# -- last_only: keep the last value of an output read only through its last row -------------------
def _row_readers(node: Node, row: int, outer: Outer) -> list[list[Node]] | None:
    """The chains of slices through which every reader of `node` reads only its row
    `row` (each chain ends with a slice of one row), or None when some reader reads more."""
    chains: list[list[Node]] = []
    for r in outer.readers.get(node, []):
        if r.op is not Op.SLICE:
            return None
        start, step, size = (r.attrs[k][0] for k in ("starts", "steps", "sizes"))
        if size == 1 and start == row:
            chains.append([r])
            continue
        at, off = divmod(row - start, step)        # `row` is r's row `at` when it holds it
        deeper = _row_readers(r, at, outer) if not off and 0 <= at < size else None
        if deeper is None or r in outer.outputs:
            return None
        chains += [[r] + chain for chain in deeper]
    return chains


def _reslice(value: Node, chain: list[Node]) -> Node:
    """The chain of slices applied to the one-row `value` (their rows axis dropped)."""
    for r in chain:
        attrs = {k: (v,) + r.attrs[k][1:] for k, v in (("starts", 0), ("steps", 1),
                                                         ("sizes", 1))}
        whole = all(a == 0 and n == d and (s == 1 or d == 1) for a, s, n, d in
                    zip(attrs["starts"], attrs["steps"], attrs["sizes"], value.shape))
        if not whole:
            value = make_node(Op.SLICE, [value], attrs)
    return value


def last_only(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """A stacked output read only through its last row (slices of slices of it included)
    -> keep only the last value; each reading slice reads that value instead."""
    loop = Loop.of(scan)
    if loop.n_steps <= 0:
        return None
    outs = outer.outs.get(scan, {})
    chains: dict[int, list[list[Node]]] = {}
    for item in loop.states + loop.emits:
        node = outs.get(item.index) if item.keep else None
        if node is None or node in outer.outputs:
            continue
        found = _row_readers(node, loop.last_row, outer)
        if found is not None:
            item.keep = False
            chains[item.index] = found
    if not chains:
        return None
    new = loop.mapping(loop.build())
    result = outer.replacing(scan, new)
    for index, found in chains.items():
        last = new[index]
        one = make_node(Op.RESHAPE, [last], {"shape": (1,) + last.shape})
        result[outs[index]] = make_node(Op.BROADCAST_TO, [one],
                                        {"shape": (loop.n_steps,) + last.shape})
        for chain in found:
            result[chain[-1]] = _reslice(one, chain)
    return result


# -- merge: loops over the same steps that share sequences or states -------------------------------
def _same_steps(a: ScanSpec, b: ScanSpec) -> bool:
    return (a.n_steps, a.reverse, a.truncate, a.until) == (b.n_steps, b.reverse, b.truncate,
                                                           b.until)


def _pair_states(a: Loop, b: Loop) -> dict[int, int]:
    """{state of a: state of b} with the same init and taps, by position first."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for i, s in enumerate(a.states):
        fits = [j for j, t in enumerate(b.states)
                if j not in taken and t.init is s.init and t.taps == s.taps]
        if fits:
            j = i if i in fits else fits[0]
            pairs[i] = j
            taken.add(j)
    return pairs


def _match(a: Loop, b: Loop) -> tuple[dict[Node, Node], dict[int, int]]:
    """(a's params -> b's params, a's states -> b's states): inputs that are the same outer
    value, and paired states whose new values agree once a's params read b's."""
    feeds: dict[Node, Node] = {}
    for mine, theirs in ((a.seqs, b.seqs), (a.nonseqs, b.nonseqs)):
        by_value = {f.value: f.param for f in theirs}
        feeds.update({f.param: by_value[f.value] for f in mine if f.value in by_value})
    pairs = _pair_states(a, b)
    while True:
        mapping = dict(feeds)
        for i, j in pairs.items():
            mapping.update(zip(a.states[i].params, b.states[j].params))
        outs = substitute([a.states[i].out for i in pairs], mapping)
        wrong = {i for i, out in zip(pairs, outs) if out is not b.states[pairs[i]].out}
        if not wrong:
            return mapping, pairs
        pairs = {i: j for i, j in pairs.items() if i not in wrong}


def _depends(node: Node, on: Node) -> bool:
    return on in toposort(list(node.inputs))


def _partner(scan: Node, outer: Outer) -> tuple[Node, dict, dict] | None:
    spec, a = scan.attrs["spec"], Loop.of(scan)
    for other in outer.scans:
        if other is scan or not _same_steps(spec, other.attrs["spec"]):
            continue
        b = Loop.of(other)
        mapping, pairs = _match(a, b)
        shares_seq = any(f.param in mapping for f in a.seqs)
        if not (pairs or shares_seq):
            continue
        if a.cond is not None and substitute([a.cond], mapping)[0] is not b.cond:
            continue
        if _depends(scan, other) or _depends(other, scan):
            continue
        return other, mapping, pairs
    return None


def merge(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """Two loops with the same steps sharing a sequence or a state -> one loop computing
    both; what both compute is computed once."""
    found = _partner(scan, outer)
    if found is None:
        return None
    other, mapping, pairs = found
    a, b = Loop.of(scan), Loop.of(other)
    theirs = {p for s in b.states for p in s.params} | {f.param for f in b.feeds()}
    mine = [p for i, s in enumerate(a.states) if i not in pairs for p in s.params] + \
        [f.param for f in a.feeds() if f.param not in mapping]
    mapping.update({p: make_param(p.type, p.attrs["name"], p.loc) for p in mine if p in theirs})
    a.substitute(mapping)
    for s in a.states:
        s.params = [mapping.get(p, p) for p in s.params]
    for f in a.feeds():
        f.param = mapping.get(f.param, f.param)
    wanted = {origin: {x.index: x.keep for x in loop.states + loop.emits}
              for origin, loop in ((scan, a), (other, b))}
    slot: dict[int, Carry | Emit] = {}              # a's SCAN_OUT index -> merged item
    for i, s in enumerate(a.states):
        if i not in pairs:
            b.states.append(replace(s, index=None))
        slot[s.index] = b.states[pairs[i]] if i in pairs else b.states[-1]
    b.seqs += [f for f in a.seqs if f.param not in theirs]
    b.nonseqs += [f for f in a.nonseqs if f.param not in theirs]
    for e in a.emits:
        same = [x for x in b.emits if x.out is e.out]
        if not same:
            b.emits.append(replace(e, index=None))
        slot[e.index] = same[0] if same else b.emits[-1]
    for k, item in slot.items():
        item.keep = item.keep or wanted[scan][k]
    new = b.build()
    items = b.states + b.emits
    result = {}
    for origin, loop, slots in ((scan, a, slot), (other, b, {x.index: x for x in items})):
        for k, node in outer.outs.get(origin, {}).items():
            if k == loop.steps_index:
                result[node] = new[-1]
                continue
            item = slots[k]
            value = new[next(p for p, x in enumerate(items) if x is item)]
            keep = wanted[origin][k]
            result[node] = value if keep == item.keep else last_of(value, b.last_row)
    return result


# -- the passes -----------------------------------------------------------------------------------
def rewrite_loops(graph: Graph, rewrites: list[LoopRewrite] | None = None) -> Graph:
    """`graph` with the loop rewrites (REWRITES, or `rewrites`) applied until none fires:
    each round applies the first rewrite, in order, that fires on some loop. Bodies are
    canonicalized first, so the rewrites see `x`, not `reshape(reshape(x))`."""
    graph = optimize_bodies(graph, lambda body: run_pass(body, CANONICAL))
    for _ in range(MAX_ROUNDS):
        outer = Outer.of(graph)
        mapping = _first_firing(outer, REWRITES if rewrites is None else rewrites)
        if mapping is None:
            return graph
        graph = graph.replace(mapping)
    return graph


def _first_firing(outer: Outer, rewrites: list[LoopRewrite]) -> dict[Node, Node] | None:
    for rule in rewrites:
        for scan in outer.scans:
            mapping = rule(scan, outer)
            if mapping is not None:
                return mapping
    return None


def optimize_bodies(graph: Graph, optimize: Callable[[Graph], Graph]) -> Graph:
    """Every loop's body run through `optimize` (the pipeline, which reaches nested loops)."""
    done: dict[Graph, Graph] = {}

    def fn(node: Node, inputs: tuple[Node, ...]) -> Node | None:
        if node.op is not Op.SCAN:
            return None
        spec = node.attrs["spec"]
        if spec.body not in done:
            done[spec.body] = optimize(spec.body)
        body = done[spec.body]
        if body.outputs == spec.body.outputs and inputs == node.inputs:
            return None
        return make_node(Op.SCAN, inputs, {"spec": replace(spec, body=body)}, node.loc)

    outputs = tuple(rewrite(graph.outputs, fn))
    return graph if outputs == graph.outputs else Graph(graph.inputs, outputs)


REWRITES: list[LoopRewrite] = [merge, prune, fixed, last_only, constants, stored, invariants,
                               seq_dots, sum_dots]

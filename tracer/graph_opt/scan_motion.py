"""Loop rewrites that move work out of a loop's body (see scan.py for the pass).

    constants   a non-sequence that is a constant seen through views (a broadcast scalar)
                -> that constant in the body, where the body's rewrites can see it
    stored      body work that repeats what a loop it reads the states of stacked (the
                backward loop of BPTT recomputing the forward step at each of its rows)
                -> a new sequence: that loop's stacked rows
    invariants  body work that reads only non-sequences (and constants) -> computed once
                before the loop, read as a new non-sequence (never views of constants:
                the two rewrites do not undo each other)
    seq_dots    dot(row_t, w) with w invariant -> one product of the whole sequence
                before the loop, read row by row as a new sequence (x_t @ W)
    sum_dots    a state A' = A + dot(a_t, b_t) [+ dot(c_t, d_t) ...] whose old value
                nothing else reads and whose stack is not kept -> the a_t and b_t rows
                stacked (a sequence's own rows, or new stacked step outputs), and
                A_final = A_init + dot(stacked a, stacked b) after the loop, one product
                contracting the steps too (the weight-gradient sums of BPTT)

The products are the same sums of the same terms in another order: values agree
to rounding, not bit for bit.
"""
from __future__ import annotations

from ..ir import Node, Op, make_node, make_param, substitute, toposort
from ..ir.ops import LAYOUT, LEAF
from ..ir.types import TOKEN
from .loop_view import Emit, Feed, Loop, Outer, read_params

_NO_WORK = LAYOUT | LEAF | {Op.CAST}


def _variant(loop: Loop) -> set[Node]:
    """Body nodes whose value changes from step to step: those reading a tap or a row."""
    seeds = {p for s in loop.states for p in s.params} | {f.param for f in loop.seqs}
    variant: set[Node] = set()
    for node in toposort(loop.body_outputs()):
        if node in seeds or any(i in variant for i in node.inputs):
            variant.add(node)
    return variant


def _readers(outputs: list[Node]) -> dict[Node, list[Node]]:
    """Each body node's readers (a body output counts once per time it is an output)."""
    readers: dict[Node, list[Node]] = {}
    for node in toposort(outputs):
        for inp in node.inputs:
            readers.setdefault(inp, []).append(node)
    for out in outputs:
        readers.setdefault(out, []).append(out)
    return readers


def _outside(loop: Loop, node: Node) -> Node:
    """An invariant body node as the enclosing graph computes it (non-sequence params
    read their outer values)."""
    return substitute([node], {f.param: f.value for f in loop.nonseqs})[0]


def _rebuilt(scan: Node, outer: Outer, loop: Loop) -> dict[Node, Node]:
    return outer.replacing(scan, loop.mapping(loop.build()))


# -- constants and invariants ----------------------------------------------------------------
def constants(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """non-sequence param bound to broadcast_to(const) (views and casts of constants) ->
    that constant expression inside the body."""
    loop = Loop.of(scan)
    inline = {f.param: f.value for f in loop.nonseqs
              if all(n.op in _NO_WORK and n.op is not Op.PARAM for n in toposort([f.value]))}
    if not inline:
        return None
    loop.nonseqs = [f for f in loop.nonseqs if f.param not in inline]
    loop.substitute(inline)
    return _rebuilt(scan, outer, loop)


def _does_work(node: Node, hoisted: set[Node]) -> bool:
    """Whether computing `node` from the non-sequences takes more than views and casts."""
    return any(n.op not in _NO_WORK for n in toposort([node]) if n in hoisted)


def invariants(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """f(non-sequences) in the body -> a new non-sequence computed once before the loop."""
    loop = Loop.of(scan)
    outputs = loop.body_outputs()
    variant = _variant(loop)
    rest = {f.param for f in loop.nonseqs}
    hoisted: set[Node] = set()
    for node in toposort(outputs):
        if node not in variant and (node in rest or any(i in hoisted for i in node.inputs)):
            hoisted.add(node)
    readers = _readers(outputs)
    frontier = [n for n in toposort(outputs)
                if n in hoisted and n.op is not Op.PARAM and n.type != TOKEN
                and any(r in variant or r is n for r in readers.get(n, []))
                and _does_work(n, hoisted)]
    if not frontier:
        return None
    mapping = {}
    for node in frontier:
        param = make_param(node.type, "invariant", node.loc)
        loop.nonseqs.append(Feed(_outside(loop, node), param))
        mapping[node] = param
    loop.substitute(mapping)
    return _rebuilt(scan, outer, loop)


# -- stored ----------------------------------------------------------------------------------
def _history(value: Node) -> tuple[Node, int, int] | None:
    """(loop, state, tap) when `value` holds, row t, what that tap of that state of a
    forward loop read at step t: rows L + tap .. of concatenate([init, stacked state])."""
    if value.op is not Op.SLICE or value.inputs[0].op is not Op.CONCATENATE:
        return None
    cat = value.inputs[0]
    if cat.attrs["axis"] != 0 or len(cat.inputs) != 2 or cat.inputs[1].op is not Op.SCAN_OUT:
        return None
    init, stacked = cat.inputs
    scan, i = stacked.inputs[0], stacked.attrs["index"]
    spec = scan.attrs["spec"]
    starts, steps, sizes = (value.attrs[k] for k in ("starts", "steps", "sizes"))
    if spec.reverse or spec.until or i >= spec.n_states or scan.inputs[i] is not init \
            or not spec.keep[i] \
            or any(starts[1:]) or any(x != 1 for x in steps) or sizes[1:] != cat.shape[1:] \
            or sizes[0] != spec.n_steps:
        return None
    tap = starts[0] - spec.window(i)
    return (scan, i, tap) if tap in spec.taps[i] else None


def _reading(mine: Loop, theirs: Loop, scan: Node) -> dict[Node, Node]:
    """{param of `theirs` (the loop `scan`): param of `mine` holding the same value at each
    step}: its taps through histories, its sequences and non-sequences by outer value."""
    same: dict[Node, Node] = {}
    for f in mine.seqs:
        found = _history(f.value)
        if found is not None and found[0] is scan:
            _, i, tap = found
            same[theirs.states[i].params[theirs.states[i].taps.index(tap)]] = f.param
    for their_feeds, my_feeds in ((theirs.seqs, mine.seqs), (theirs.nonseqs, mine.nonseqs)):
        by_value = {f.value: f.param for f in my_feeds}
        same.update({f.param: by_value[f.value] for f in their_feeds if f.value in by_value})
    return same


def stored(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """f(state_{t-1}, x_t, w) computed in a loop that reads another loop's states, where
    that loop stacks f's value as state_t -> row t of that stack (a new sequence)."""
    loop = Loop.of(scan)
    inside = set(toposort(loop.body_outputs()))
    sources = {h[0] for h in map(_history, [f.value for f in loop.seqs]) if h is not None}
    for other in sources:
        if other.attrs["spec"].n_steps != loop.n_steps:
            continue
        theirs = Loop.of(other)
        same = _reading(loop, theirs, other)
        for k, item in enumerate(theirs.states + theirs.emits):
            if not item.keep or not read_params([item.out]) <= same.keys():
                continue
            node = substitute([item.out], same)[0]
            if node in inside and node.op not in _NO_WORK:
                rows = make_node(Op.SCAN_OUT, [other], {"index": k, "type":
                                                        other.attrs["spec"].output_types()[k]})
                param = make_param(node.type, "row", node.loc)
                loop.seqs.append(Feed(rows, param))
                loop.substitute({node: param})
                return _rebuilt(scan, outer, loop)
    return None


# -- seq_dots ---------------------------------------------------------------------------------
def _row_feed(node: Node, rows: dict[Node, Feed]) -> Feed | None:
    """The sequence whose row `node` is (seen through reshapes), else None."""
    while node.op is Op.RESHAPE:
        node = node.inputs[0]
    return rows.get(node)


def _all_rows(loop: Loop, feed: Feed, like: Node) -> Node:
    """The sequence's rows each reshaped like `like`: (n_steps, *like.shape)."""
    return make_node(Op.RESHAPE, [feed.value], {"shape": (loop.n_steps,) + like.shape})


def _sequence_dot(loop: Loop, dot: Node, side: int, feed: Feed) -> Node:
    """dot(row_t, w) (side 0) or dot(w, row_t) (side 1) for every t: (n_steps, *dot.shape)."""
    row, w = dot.inputs[side], dot.inputs[1 - side]
    lc, rc = dot.attrs["contract"]
    rows = _all_rows(loop, feed, row)
    shift = tuple(c + 1 for c in (lc if side == 0 else rc))
    contract = (shift, rc) if side == 0 else (lc, shift)
    operands = [rows, _outside(loop, w)] if side == 0 else [_outside(loop, w), rows]
    whole = make_node(Op.DOT_GENERAL, operands, {"contract": contract, "batch": ((), ())})
    if side == 0:
        return whole
    n_left = w.ndim - len(lc)              # the steps axis comes after w's free axes
    perm = (n_left,) + tuple(range(n_left)) + tuple(range(n_left + 1, whole.ndim))
    return make_node(Op.TRANSPOSE, [whole], {"perm": perm})


def seq_dots(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """dot(row_t, w) or dot(w, row_t), w invariant -> row t of one product of the whole
    sequence, made before the loop."""
    loop = Loop.of(scan)
    if loop.n_steps < 0:
        return None
    variant = _variant(loop)
    rows = {f.param: f for f in loop.seqs}
    for node in toposort(loop.body_outputs()):
        if node.op is not Op.DOT_GENERAL or node.attrs["batch"] != ((), ()):
            continue
        for side in (0, 1):
            feed = _row_feed(node.inputs[side], rows)
            if feed is None or node.inputs[1 - side] in variant:
                continue
            param = make_param(node.type, "row", node.loc)
            loop.seqs.append(Feed(_sequence_dot(loop, node, side, feed), param))
            loop.substitute({node: param})
            return _rebuilt(scan, outer, loop)
    return None


# -- sum_dots ---------------------------------------------------------------------------------
def _dot_terms(node: Node, variant: set[Node]) -> list[Node] | None:
    """The dots whose sum `node` is (add trees of dots of two step-varying operands)."""
    if node.op is Op.ADD:
        left, right = (_dot_terms(i, variant) for i in node.inputs)
        return left + right if left is not None and right is not None else None
    if node.op is Op.DOT_GENERAL and node.attrs["batch"] == ((), ()) and \
            all(i in variant for i in node.inputs):
        return [node]
    return None


def _sum_of_dots(loop: Loop, readers: dict, variant: set[Node]):
    """(state, its dot terms, whether the old value is added first) for the first state
    A' = A + dots (or dots + A) that only its own update reads, else None."""
    for s in loop.states:
        if s.keep or s.taps != (-1,) or s.out.op is not Op.ADD:
            continue
        (p,), (x, y) = s.params, s.out.inputs
        if readers.get(p) != [s.out] or readers.get(s.out) != [s.out] or p not in (x, y):
            continue
        terms = _dot_terms(y if x is p else x, variant)
        if terms:
            return s, terms, x is p
    return None


def _stacked(loop: Loop, node: Node, rows: dict[Node, Feed]):
    """Every step's value of `node`: a sequence's rows, or a stacked step output (an Emit,
    added when none stacks it yet)."""
    feed = _row_feed(node, rows)
    if feed is not None:
        return _all_rows(loop, feed, node)
    for e in loop.emits:
        if e.out is node and e.keep:
            return e
    loop.emits.append(Emit(node, True))
    return loop.emits[-1]


def sum_dots(scan: Node, outer: Outer) -> dict[Node, Node] | None:
    """A_final = A_init + sum_t dot(a_t, b_t) -> A_init + dot(stacked a, stacked b)."""
    loop = Loop.of(scan)
    if loop.cond is not None or loop.n_steps < 0:
        return None
    outputs = loop.body_outputs()
    found = _sum_of_dots(loop, _readers(outputs), _variant(loop))
    if found is None:
        return None
    state, terms, old_first = found
    rows = {f.param: f for f in loop.seqs}
    stacks = [[_stacked(loop, i, rows) for i in dot.inputs] for dot in terms]
    loop.states.remove(state)
    new = loop.build()
    items = loop.states + loop.emits
    result = outer.replacing(scan, loop.mapping(new))
    total = make_node(Op.RESHAPE, [state.init], {"shape": state.out.shape})
    for dot, operands in zip(terms, stacks):
        operands = [new[next(k for k, x in enumerate(items) if x is o)]
                    if isinstance(o, Emit) else o for o in operands]
        lc, rc = dot.attrs["contract"]
        contract = ((0,) + tuple(c + 1 for c in lc), (0,) + tuple(c + 1 for c in rc))
        product = make_node(Op.DOT_GENERAL, operands, {"contract": contract,
                                                       "batch": ((), ())})
        total = make_node(Op.ADD, [total, product] if old_first else [product, total])
    old = outer.outs.get(scan, {}).get(state.index)
    if old is not None:
        result[old] = total
    return result

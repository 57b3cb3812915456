"""Lazy ifelse: which nodes run under which condition, and the nested program order.

A node's *guard* is the path of (cond, taken) choices under which its value is
needed: () means always; ((c, True),) only when c is true; nested ifelse
lengthens the path. Walking from the outputs back, an IFELSE passes its own
guard plus (cond, True) to its then-input and (cond, False) to its else-input;
every other reader passes its own guard (a cond already on the path is not
repeated; a path asking one cond for both values never holds and asks nothing).
A node's guard is the longest common prefix of what its readers ask, so a
value the other branch or the rest of the graph also needs is computed outside
the branch, once. That is exact for one cond, at any nesting; a value that two
different conds each need in one of their branches is computed outside both
(conservative: a guard is one path, not a disjunction of paths).

`program` then lays the nodes out as a flat list of entries with `if`/`else`/
`end` markers: a branch block is emitted right before the first IFELSE (in
topological order) that reads it, so all IFELSE nodes of one pytree share one
`if`. Backends render the entries; `free_points` says where each value dies,
correct on every path.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..ir import Node, Op

Guard = tuple[tuple[Node, bool], ...]
Reads = Callable[[Node], Sequence[Node]]
MARKERS = ("if", "else", "end")


@dataclass(frozen=True)
class Entry:
    """A node to compute ("node"), or a branch marker ("if"/"else"/"end") on `node` = cond."""

    kind: str
    node: Node
    path: tuple[tuple[int, bool], ...]    # enclosing (index of the "if" entry, side)


def _common(a: Guard, b: Guard) -> Guard:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


def guards(nodes: Sequence[Node], outputs: Iterable[Node]) -> dict[Node, Guard]:
    """The guard of every node in `nodes` (topological, closed under inputs) that an output needs."""
    asked: dict[Node, Guard] = {out: () for out in outputs}
    for node in reversed(nodes):
        mine = asked.get(node)
        if mine is None:
            continue
        for i, inp in enumerate(node.inputs):
            want = mine
            if node.op is Op.IFELSE and i > 0 and (node.inputs[0], i == 1) not in mine:
                want = mine + ((node.inputs[0], i == 1),)
            have = asked.get(inp)
            asked[inp] = want if have is None else _join(have, want)
    return asked


def _possible(g: Guard) -> bool:
    """False when the path asks one cond for both values (an inner ifelse on an outer cond)."""
    return len({c for c, _ in g}) == len(g)


def _join(a: Guard, b: Guard) -> Guard:
    """Needed under a or under b: the common prefix; a path that can never hold asks nothing."""
    if _possible(a) != _possible(b):
        return a if _possible(a) else b
    return _common(a, b)


def program(order: Sequence[Node], guard: dict[Node, Guard],
            reads: Callable[[Node], Sequence[Node]] | None = None) -> list[Entry]:
    """The nodes of `order` (topological) as entries, branch blocks nested and lazy.

    `reads(node)`: the values of `order` its step reads (a fused loop reads its
    leaves, not its inlined members); default node.inputs."""
    out: list[Entry] = []
    _block(list(order), guard, (), (), out, reads or (lambda n: n.inputs))
    return out


def _block(nodes: list[Node], guard: dict[Node, Guard], prefix: Guard,
           path: tuple[tuple[int, bool], ...], out: list[Entry], reads: Reads) -> None:
    depth = len(prefix)
    level = {n: guard.get(n, prefix) for n in nodes}    # an unused input runs where it is
    where = {n: i for i, n in enumerate(nodes)}
    done: set[Node] = set()
    pending: dict[Node, list[Node]] = {}        # cond -> deferred nodes of its branches
    for pos, node in enumerate(nodes):
        if node in done:
            continue
        if len(level[node]) > depth:
            pending.setdefault(level[node][depth][0], []).append(node)
            continue
        if node.op is Op.IFELSE and (pending.get(node.inputs[0]) or _later(nodes, pos, node)):
            cond = node.inputs[0]
            outer, inner, ifelses = _siblings(nodes, pos, node, level, depth, done, reads)
            for n in outer:
                out.append(Entry("node", n, path))
            branch = pending.pop(cond, []) + inner
            if branch:
                branch.sort(key=where.__getitem__)
                _branch(cond, branch, guard, prefix, path, out, reads)
            for n in ifelses:
                out.append(Entry("node", n, path))
            done.update(outer, inner, ifelses)
            continue
        out.append(Entry("node", node, path))
    assert not pending, "a branch node without its ifelse"


def _later(nodes: list[Node], pos: int, node: Node) -> bool:
    cond = node.inputs[0]
    return any(n.op is Op.IFELSE and n.inputs[0] is cond for n in nodes[pos + 1:])


def _siblings(nodes: list[Node], pos: int, first: Node, level: dict[Node, Guard], depth: int,
              done: set[Node], reads: Reads) -> tuple[list[Node], list[Node], list[Node]]:
    """The later ifelse nodes on `first`'s cond that can share its `if` (one pytree).

    A sibling joins when everything it still needs is plain work of this block or
    branch work of this cond: that work moves up (outer nodes before the `if`,
    branch nodes into it). Returns (outer nodes, branch nodes, ifelse nodes)."""
    cond, here = first.inputs[0], set(nodes[pos:])
    taken: set[Node] = set()
    ifelses = [first]
    for sib in nodes[pos + 1:]:
        if sib.op is not Op.IFELSE or sib.inputs[0] is not cond or sib in done or \
                len(level[sib]) != depth:
            continue
        need, stack = set(), [i for i in reads(sib) if i in here]
        while stack:
            n = stack.pop()
            if n in need or n in taken or n in done:
                continue
            deeper = len(level[n]) > depth
            if n.op is Op.IFELSE or (deeper and level[n][depth][0] is not cond):
                break
            need.add(n)
            stack += [i for i in reads(n) if i in here]
        else:
            taken |= need
            ifelses.append(sib)
    order = [n for n in nodes[pos:] if n in taken]
    outer = [n for n in order if len(level[n]) == depth]
    inner = [n for n in order if len(level[n]) > depth]
    return outer, inner, ifelses


def _branch(cond: Node, nodes: list[Node], guard: dict[Node, Guard], prefix: Guard,
            path: tuple[tuple[int, bool], ...], out: list[Entry], reads: Reads) -> None:
    depth = len(prefix)
    here = len(out)
    out.append(Entry("if", cond, path))
    for side in (True, False):
        if not side:
            out.append(Entry("else", cond, path))
        mine = [n for n in nodes if guard.get(n, prefix)[depth] == (cond, side)]
        _block(mine, guard, prefix + ((cond, side),), path + ((here, side),), out, reads)
    out.append(Entry("end", cond, path))


def free_points(entries: Sequence[Entry], touches: dict[object, list[int]]) -> dict[object, int]:
    """For each key, the entry after which it is dead on every path.

    `touches[key]` lists the entries that define or read the value (at least one).
    The answer is the last of them lifted to the innermost block holding all of
    them: an entry in a nested branch lifts to that branch's "end" marker.
    """
    ends = _matching_ends(entries)
    result = {}
    for key, where in touches.items():
        paths = [entries[i].path for i in where]
        common = paths[0]
        for p in paths[1:]:
            n = 0
            while n < min(len(common), len(p)) and common[n] == p[n]:
                n += 1
            common = common[:n]
        depth = len(common)
        lifted = [i if len(entries[i].path) == depth else ends[entries[i].path[depth][0]]
                  for i in where]
        lifted = [ends.get(i, i) for i in lifted]     # a cond read by an "if": after its block
        result[key] = max(lifted)
    return result


def _matching_ends(entries: Sequence[Entry]) -> dict[int, int]:
    stack, ends = [], {}
    for i, e in enumerate(entries):
        if e.kind == "if":
            stack.append(i)
        elif e.kind == "end":
            ends[stack.pop()] = i
    return ends

"""Plain Python loops in a traced function become SCAN nodes.

A traced function's `for` loop runs in Python: every iteration is traced, and
its nodes land in the graph one iteration after another (trace/loop_marks.py
tags each node with the loop iterations that made it). After tracing, this pass
looks at each loop run, outermost first, in program order. When its iterations
repeat one computation (loops/match.py says what may differ: the carried values,
the sequence rows read at each step, per-step constants), the iterations become
one SCAN (loops/rollscan.py): its body is one iteration, and what the rest of the
program reads of the iterations (the final carried values, a list of per-step
values later stacked, a dict of them) reads the SCAN's outputs instead. So the
compiled graph, its code and its compile time do not grow with the trip count.

Which loops are converted: `for` over `range(...)` (also `reversed`), over a
traced array's rows, and `zip`/`enumerate` of these, in any function the traced
function calls, with any number of carried values (pytrees included), the
append-then-stack idiom, accumulators and calls to other functions in the body.
What is not: loops whose iterations differ (a shape that changes, a Python `if`
on the step, a `break`), loops over other Python iterables (lists, dicts), and
loops nested inside a converted loop (they stay unrolled inside its body).
A loop of LONG_LOOP steps or more that is not converted gets a LoopWarning
saying why. What costs O(T) is tracing itself: Python runs every iteration once,
and this pass reads every node once; loops/fastforward.py ends a long top-level loop
after a few steps when Python could not tell the rest apart.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace

from ..ir import Graph, Node, make_node, toposort
from ..ir.node import created_observer
from ..trace.marks import LoopMarks, Run
from ..trace.tracing import TracedFunction
from .match import Iterations, Mismatch
from .rollscan import build_scan
from .simplify import simplified

LONG_LOOP = 16


class LoopWarning(UserWarning):
    """A long Python loop stayed unrolled: the graph grows with its trip count."""


def roll_loops(outputs: Sequence[Node], marks: LoopMarks, first_run: int = 0) -> list[Node]:
    """`outputs` with each rollable loop run among marks.runs[first_run:] made a SCAN."""
    runs = [r for r in marks.runs[first_run:] if not r.rolled]
    if not runs:
        return list(outputs)
    work = _Work(list(outputs), marks)
    for run in sorted(runs, key=lambda r: (r.depth, r.id)):
        work.roll(run)
        run.rolled = True
    return work.outputs


class _Work:
    """The program being rolled: its outputs and every node a loop used (so that dead
    iterations are rebuilt too), with the record of which step used which node kept
    across rebuilds."""

    def __init__(self, outputs: list[Node], marks: LoopMarks):
        self.outputs = outputs
        self.marks = marks

    def iterations(self, run: Run) -> list[list[Node]]:
        d = run.depth
        steps: dict[int, dict[Node, None]] = {}
        for node, tag in self.marks.used:      # what existed before the loop is outer
            if len(tag) > d and tag[d][0] == run.id and node.id >= run.first_id:
                steps.setdefault(tag[d][1], {})[node] = None
        if sorted(steps) != list(range(len(steps))):
            return []
        return [list(steps[i]) for i in range(len(steps))]

    def roll(self, run: Run) -> None:
        nodes = self.iterations(run)
        if len(nodes) < 2:
            return
        its = Iterations(nodes)
        if not any(its.nodes):         # only constants left: an outer SCAN took the loop in
            return
        try:
            try:
                slots = its.slots(0)
            except Mismatch:
                slots = its.slots(1)
            region = {n for it in its.nodes[slots.start:slots.stop] for n in it}
            needed = self._needed(its, slots.start, slots.stop, region)
            rolled = self._made_in(run, lambda: build_scan(its, slots, needed))
        except Mismatch as why:
            if run.steps >= LONG_LOOP:
                _warn(run, nodes, str(why))
            return
        except (ValueError, TypeError, IndexError, KeyError) as err:
            # a case the rolling gets wrong: the unrolled steps are still numpy's program
            _warn(run, nodes, f"tracer could not build its scan ({type(err).__name__}: "
                              f"{str(err).splitlines()[0]}); please report this loop")
            return
        if run.steps >= LONG_LOOP and slots.stop - slots.start < len(nodes) - 1:
            _warn(run, nodes, f"only iterations {slots.start} to {slots.stop - 1} repeat")
        self._rebuild(rolled.replace, region)

    def _needed(self, its: Iterations, start: int, stop: int,
                region: set[Node]) -> dict[int, set[int]]:
        """Slot -> the iterations whose node of that slot the rest of the program reads
        (a node several steps got back from interning counts once, at its first)."""
        where: dict[Node, tuple[int, int]] = {}
        for i in range(start, stop):
            for j, n in enumerate(its.nodes[i]):
                where.setdefault(n, (i, j))
        needed: dict[int, set[int]] = {}
        readers = [o for o in self.outputs if o in region]
        for node in toposort(self.outputs):
            if node not in region:
                readers += [x for x in node.inputs if x in region]
        for x in readers:
            i, j = where[x]
            needed.setdefault(j, set()).add(i)
        return needed

    def _made_in(self, run: Run, build):
        """Run `build`, recording the nodes it makes as used where the loop ran."""
        prefix = next((tag[:run.depth] for _, tag in self.marks.used
                       if len(tag) > run.depth and tag[run.depth][0] == run.id), ())
        used = self.marks.used

        def made(node: Node) -> None:
            if prefix:
                used.append((node, prefix))
        token = created_observer.set(made)
        try:
            return build()
        finally:
            created_observer.reset(token)

    def _rebuild(self, replace: dict[Node, Node], region: set[Node]) -> None:
        """Every root rebuilt with `replace` applied; the record follows the new nodes."""
        used = [(n, tag) for n, tag in self.marks.used if n not in region]
        roots = self.outputs + list(dict.fromkeys(n for n, _ in used))
        done: dict[Node, Node] = {}
        for node in toposort(roots):
            new = replace.get(node)
            if new is None:
                inputs = tuple(done[i] for i in node.inputs)
                new = node if inputs == node.inputs else simplified(
                    make_node(node.op, inputs, node.attrs, node.loc))
            done[node] = new
        self.outputs = [done[o] for o in self.outputs]
        self.marks.used[:] = [(done[n], tag) for n, tag in used]


def _warn(run: Run, nodes: list[list[Node]], why: str) -> None:
    loc = next((n.loc for it in nodes for n in it if n.loc is not None), None)
    message = (f"tracer: a Python loop of {run.steps} steps stays unrolled, so the compiled "
               f"graph grows with its trip count: {why}")
    if loc is None:
        warnings.warn(message, LoopWarning, stacklevel=2)
    else:
        warnings.warn_explicit(message, LoopWarning, loc.file, loc.line)


def rolled_function(traced: TracedFunction) -> TracedFunction:
    """A traced function with its Python loops rolled (the graph's inputs unchanged)."""
    outputs = roll_loops(traced.graph.outputs, traced.trace.marks)
    if list(outputs) == list(traced.graph.outputs):
        return traced
    graph = Graph(traced.graph.inputs, tuple(outputs))
    return replace(traced, graph=graph)

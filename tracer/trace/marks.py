"""The record of a trace's Python loops (made by trace/loop_marks.py, read by loops/roll.py).

While loops run, every node the program makes or gets back (an equal node made
before: nodes are interned) is recorded with the stack of (run, step) of the
loops around it, in program order. A node can so belong to several steps: a
step's nodes are those it used, in the order it used them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Node, toposort
from ..ir.node import last_id


@dataclass
class Run:
    """One execution of one `for` statement."""

    id: int
    key: tuple                    # (frame id, the for statement's bytecode offset)
    depth: int                    # loops around it
    steps: int = 0
    ended: bool = False
    mark: int = 0                 # how many nodes were tagged when its current step began
    rolled: bool = False          # loops/roll.py has looked at it
    first_id: int = 0             # nodes older than this existed before the run: outer values
    start_used: int = 0           # len(used) when the run began


@dataclass
class LoopMarks:
    """The runs of a trace, and each node it used during one, tagged (loops around it)."""

    runs: list[Run] = field(default_factory=list)
    active: list[Run] = field(default_factory=list)
    used: list[tuple[Node, tuple[tuple[int, int], ...]]] = field(default_factory=list)
    # the nodes of loops whose last steps were skipped (loops/fastforward.py), and
    # whether skipping is allowed (not when tracing again after a skipped step escaped)
    forwarded: list[set[Node]] = field(default_factory=list)
    fast_forward: bool = True

    def escaped(self, outputs: list[Node]) -> bool:
        """Does a result read a node of a loop's skipped steps (Python saw a value that
        the skipped steps would have changed)? Then the function is traced again."""
        if not self.forwarded:
            return False
        abandoned = set().union(*self.forwarded)
        return any(n in abandoned for n in toposort(outputs))

    def seen(self, node: Node) -> None:
        """A node made or used now (ir.node's creation observer, Trace.record)."""
        if self.active:
            tag = tuple((run.id, run.steps - 1) for run in self.active)
            if not self.used or self.used[-1] != (node, tag):
                self.used.append((node, tag))

    def step(self, key: tuple, index: int) -> None:
        """Step `index` of the loop at `key` starts (its iterator is about to yield).
        Two iterators of one `zip` both report each step: the second adds nothing."""
        for depth in range(len(self.active) - 1, -1, -1):
            run = self.active[depth]
            if run.key != key:
                continue
            del self.active[depth + 1:]            # inner loops left without StopIteration
            if run.steps == index + 1 and self._since(run) == 0:
                return                             # the same step, from zip's other iterator
            if index > 0:
                run.steps, run.mark = index + 1, len(self.used)
                return
            del self.active[depth:]                # the loop starts again: a new run
            break
        run = Run(len(self.runs), key, len(self.active), 1, first_id=last_id() + 1)
        run.mark = run.start_used = len(self.used)
        self.runs.append(run)
        self.active.append(run)

    def _since(self, run: Run) -> int:
        """Nodes used since the run's current step began."""
        return len(self.used) - run.mark

    def stop(self, key: tuple) -> None:
        for depth in range(len(self.active) - 1, -1, -1):
            if self.active[depth].key == key:
                self.active[depth].ended = True
                del self.active[depth:]
                return

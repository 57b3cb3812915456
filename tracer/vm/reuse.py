"""In-place reuse: a step writes its result into the buffer of an input that dies there.

After build_schedule, a buffer is freed right after its last reader on every path. When
that reader is a step that would allocate a result of exactly the buffer's type, and the
backend says its kernel may overwrite that input as it goes (`in_place(node, input)`: a
plain fused loop reads each element before it writes the same one), the step takes the
dying buffer instead of a new one: no allocation, no free, one vector less at the peak.

Never taken: a caller's input (a param is not an owned buffer; donation is
reusable_inputs' business), a value a later step or the final copies read (its free is
later), a value read on one path of an ifelse and freed after the branch (its free sits
at the branch's end, not at the reader), a buffer the step also reads through a view
(a transpose of it, say), and an output slot (it is not owned).
"""
from __future__ import annotations

from collections.abc import Callable

from ..ir import Node
from .branches import MARKERS
from .schedule import Schedule


def _view_roots(node: Node, schedule: Schedule, kinds: dict[Node, str]) -> set[Node]:
    """The owned buffers a value read by a step may live in (views followed)."""
    out: set[Node] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        kind = kinds.get(n)
        if kind == "compute":
            out.add(n)
        elif kind in ("view", "maybe_view"):
            if kind == "maybe_view":
                out.add(n)
            stack.append(n.inputs[0])
        elif kind == "alias":
            stack.extend(n.inputs[1:])
    return out


def take_dead_buffers(schedule: Schedule, in_place: Callable[[Node, Node], bool]
                      ) -> dict[Node, Node]:
    """node -> the dying input buffer its step takes; updates the steps' frees."""
    kinds = {s.node: s.kind for s in schedule.steps if s.kind not in MARKERS}
    owned = set(schedule.owned)
    takes: dict[Node, Node] = {}
    for step in schedule.steps:
        node = step.node
        if step.kind != "compute" or node not in owned or node in schedule.direct:
            continue
        for dead in step.frees:
            if dead.type != node.type or kinds.get(dead) != "compute" or dead in takes.values():
                continue
            others = [r for r in step.reads if r is not dead]
            if dead not in step.reads or any(dead in _view_roots(r, schedule, kinds)
                                             for r in others):
                continue
            if in_place(node, dead):
                takes[node] = dead
                step.frees.remove(dead)
                break
    return takes

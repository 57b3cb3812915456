"""Graph walks shared by the IR modules."""
from __future__ import annotations

from typing import Iterable

from .node import Node


def toposort(outputs: Iterable[Node]) -> list[Node]:
    """Every node the outputs depend on, inputs before users: depth first from the
    outputs in order, each node's inputs left to right.

    The order depends on the graph alone. Node ids (creation order) are shared by
    every graph alive, so sorting by them made one graph's order, its text and
    its generated code depend on what had been built before it.
    """
    order: list[Node] = []
    seen: set[int] = set()
    for root in outputs:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node.id in seen:
                continue
            seen.add(node.id)
            stack.append((node, True))
            stack.extend((i, False) for i in reversed(node.inputs) if i.id not in seen)
    return order

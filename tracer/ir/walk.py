"""Graph walks shared by the IR modules."""
from __future__ import annotations

from typing import Iterable

from .node import Node


def toposort(outputs: Iterable[Node]) -> list[Node]:
    """Every node the outputs depend on, inputs before users (creation order)."""
    seen: set[int] = set()
    found: list[Node] = []
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        found.append(node)
        stack.extend(node.inputs)
    found.sort(key=lambda n: n.id)
    return found

"""The text form: one line per node, like a jaxpr.

    { lambda %0:f64[4,5] %1:f64[5] .
      %2:f64[4,5] = broadcast_to %1 {shape=(4, 5)}
      %3:f64[4,5] = mul %0, %2
      return %3 }
"""
from __future__ import annotations

from typing import Sequence

from .node import Node
from .ops import Op
from .walk import toposort


def _attr_text(node: Node) -> str:
    items = [(k, v) for k, v in node.attrs.items() if not (node.op is Op.PARAM and k == "uid")]
    if node.op is Op.PARAM:
        items = [(k, v) for k, v in items if v != ""]
    if not items:
        return ""
    return " {" + ", ".join(f"{k}={v}" for k, v in items) + "}"


def graph_text(inputs: Sequence[Node], outputs: Sequence[Node]) -> str:
    body = toposort(outputs)
    names: dict[int, str] = {}

    def name(node: Node) -> str:
        return names.setdefault(node.id, f"%{len(names)}")

    head = " ".join(f"{name(p)}:{p.type}" for p in inputs)
    lines = [f"{{ lambda {head} ."]
    for node in body:
        if node.op is Op.PARAM:
            if node.id not in names:
                lines.append(f"  {name(node)}:{node.type} = free_param{_attr_text(node)}")
            continue
        args = ", ".join(name(i) for i in node.inputs)
        sep = " " if args else ""
        lines.append(f"  {name(node)}:{node.type} = {node.op.value}{sep}{args}{_attr_text(node)}")
    lines.append(f"  return {', '.join(name(o) for o in outputs)} }}")
    return "\n".join(lines)

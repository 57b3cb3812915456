"""The text form: one line per node, like a jaxpr.

    { lambda %0:f64[4,5] %1:f64[5] .
      %2:f64[4,5] = broadcast_to %1 {shape=(4, 5)}
      %3:f64[4,5] = mul %0, %2
      return %3 }
"""
from __future__ import annotations

from typing import Callable, Sequence

from .node import Node
from .ops import NUMPY_FALLBACK, Op
from .walk import toposort


def _attr_text(node: Node) -> str:
    items = [(k, v) for k, v in node.attrs.items() if not (node.op is Op.PARAM and k == "uid")
             and not (node.op is Op.SCAN_OUT and k == "type")]
    if node.op is Op.PARAM:
        items = [(k, v) for k, v in items if v != ""]
    if not items:
        return ""
    return " {" + ", ".join(f"{k}={v}" for k, v in items) + "}"


def _type_text(node: Node) -> str:
    if node.op is Op.SCAN:      # a tuple: the types of what its SCAN_OUTs read
        return "(" + ", ".join(map(str, node.attrs["spec"].output_types())) + ")"
    return str(node.type)


def _body_text(node: Node, numpy_step: Callable[[Node], bool] | None) -> list[str]:
    """A loop's body graph, indented under it."""
    if node.op is not Op.SCAN:
        return []
    body = node.attrs["spec"].body
    text = graph_text(body.inputs, body.outputs, numpy_step)
    return ["    " + line for line in text.split("\n")]


def graph_text(inputs: Sequence[Node], outputs: Sequence[Node],
               numpy_step: Callable[[Node], bool] | None = None) -> str:
    """`numpy_step(node)`: whether a backend runs node by calling numpy (marked so);
    by default the ops in NUMPY_FALLBACK."""
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
        fallback = numpy_step(node) if numpy_step else node.op in NUMPY_FALLBACK
        mark = "  # numpy fallback" if fallback else ""
        lines.append(f"  {name(node)}:{_type_text(node)} = {node.op.value}{sep}{args}"
                     f"{_attr_text(node)}{mark}")
        lines += _body_text(node, numpy_step)
    lines.append(f"  return {', '.join(name(o) for o in outputs)} }}")
    return "\n".join(lines)

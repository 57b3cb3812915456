"""The verifier: every node's type is what its op's rule says, params are inputs."""
from __future__ import annotations

from .graph import Graph
from .ops import Op, infer_type


class VerifyError(AssertionError):
    pass


def verify(graph: Graph) -> None:
    params = set(graph.inputs)
    for node in graph.nodes():
        if node.op is Op.PARAM:
            if node not in params:
                raise VerifyError(f"{node!r} is a param that is not a graph input")
            continue
        if node.op is Op.CONST:
            arr = node.attrs["value"].array
            if (arr.dtype, arr.shape) != (node.dtype, node.shape):
                raise VerifyError(f"{node!r} does not match its value")
            continue
        expected = infer_type(node.op, [i.type for i in node.inputs], node.attrs)
        if expected != node.type:
            raise VerifyError(f"{node!r} should be {expected}")
        if node.op is Op.SCAN:
            verify(node.attrs["spec"].body)
        if node.op is Op.SCAN_OUT:
            scan = node.inputs[0]
            if scan.op is not Op.SCAN or \
                    scan.attrs["spec"].output_types()[node.attrs["index"]] != node.type:
                raise VerifyError(f"{node!r} is not output {node.attrs['index']} of a scan")

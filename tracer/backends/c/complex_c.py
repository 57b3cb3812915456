"""Complex values in the C backend: which steps run in C and which call numpy.

A complex buffer is C99's `double _Complex` (`float _Complex`), laid out as numpy's
complex128 (complex64), so parameters, constants, views, branches and loops carry
complex values as they carry any other. Elementwise work whose numpy formula
complex_ops.py knows runs in the fused C loops; everything else on complex values
(exp, log, trig, powers, reductions, products, indexing) runs as numpy steps
(backends/c/fallback.py), so the C backend gives exactly numpy's answer either way
and the steps around stay in C. FFTs are numpy steps too (ir.ops.NUMPY_FALLBACK): pocketfft is
a C library, one call per transform, not a Python loop per row.
"""
from __future__ import annotations

from ...ir import Node, Op
from ...ir.ops import ELEMENTWISE, NUMPY_FALLBACK
from . import complex_ops

# Steps the entry does itself with pointers and strides, whatever an element is.
_GENERIC = frozenset({Op.PARAM, Op.CONST, Op.RESHAPE, Op.TRANSPOSE, Op.BROADCAST_TO,
                      Op.SLICE, Op.IFELSE, Op.SCAN, Op.SCAN_OUT})


def touches_complex(node: Node) -> bool:
    return node.dtype.kind == "c" or any(i.dtype.kind == "c" for i in node.inputs)


def in_numpy(node: Node) -> bool:
    """Whether the C backend runs `node` by calling its reference implementation: an op
    in NUMPY_FALLBACK, or work on complex values that complex_ops.py cannot do in C."""
    if node.op in NUMPY_FALLBACK:
        return True
    if node.op in _GENERIC or not touches_complex(node):
        return False
    return not (node.op in ELEMENTWISE
                and complex_ops.supported(node.op, node.inputs[-1].dtype, node.dtype))

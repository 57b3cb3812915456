"""Complex numbers on traced values: parts, conjugate, angle, the is*complex tests, and
numpy's complex-to-real cast (a ComplexWarning, then the imaginary part dropped).

The IR has four small primitives for complex numbers (REAL, IMAG, CONJ, COMPLEX);
everything else here composes them with the ufuncs, as numpy's own Python code does.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..proxy import Proxy, operand, wrap
from .ufuncs import call_ufunc


def _node(x: Any) -> tuple[Node, bool]:
    return operand(x)


def real(val: Any) -> Any:
    """np.real / x.real: the real part of a complex value, a real value itself."""
    node, weak = _node(val)
    if node.dtype.kind != "c":
        return val if isinstance(val, Proxy) else wrap(node, weak)
    return wrap(prims.bind(Op.REAL, [node]), weak)


def imag(val: Any) -> Any:
    """np.imag / x.imag: zeros of a real value's dtype (numpy's read-only zeros)."""
    node, weak = _node(val)
    if node.dtype.kind != "c":
        return wrap(prims.full(node.shape, 0, node.dtype), weak)
    return wrap(prims.bind(Op.IMAG, [node]), weak)


def conj(x: Any) -> Any:
    return call_ufunc(np.conjugate, (x,))


def angle(z: Any, deg: bool = False) -> Any:
    """numpy's formula: arctan2(z.imag, z.real), times 180/pi for degrees."""
    node, _ = _node(z)
    if node.dtype.kind == "c":
        a = call_ufunc(np.arctan2, (imag(z), real(z)))
    else:
        a = call_ufunc(np.arctan2, (0, wrap(node)))
    if deg:
        a = call_ufunc(np.multiply, (a, 180 / math.pi))
    return a


def iscomplexobj(x: Any) -> bool:
    return operand(x)[0].dtype.kind == "c"


def isrealobj(x: Any) -> bool:
    return not iscomplexobj(x)


def iscomplex(x: Any) -> Any:
    """Where the imaginary part is nonzero (all False for a real dtype)."""
    node, _ = _node(x)
    if node.dtype.kind != "c":
        return wrap(prims.full(node.shape, False, bool))
    return call_ufunc(np.not_equal, (imag(x), 0))


def isreal(x: Any) -> Any:
    node, _ = _node(x)
    if node.dtype.kind != "c":
        return wrap(prims.full(node.shape, True, bool))
    return call_ufunc(np.equal, (imag(x), 0))


def cast(node: Node, dtype: Any) -> Node:
    """numpy's astype: complex to a real number type warns and keeps the real part
    (the warning is raised once, when the function is traced)."""
    dtype = np.dtype(dtype)
    if node.dtype.kind == "c" and dtype.kind not in "cb":
        warnings.warn("Casting complex values to real discards the imaginary part",
                      np.exceptions.ComplexWarning, stacklevel=4)
        node = prims.bind(Op.REAL, [node])
    return prims.cast(node, dtype)


def make_complex(re: Any, im: Any) -> Any:
    """re + 1j * im without multiplying (inf in one part stays out of the other)."""
    a, b = operand(re)[0], operand(im)[0]
    dtype = np.result_type(a.dtype, b.dtype, np.float32)
    a, b = prims.cast(a, dtype), prims.cast(b, dtype)
    return wrap(prims.bind(Op.COMPLEX, [a, b]))


FUNCTIONS = {
    np.real: real, np.imag: imag, np.angle: angle,
    np.iscomplexobj: iscomplexobj, np.isrealobj: isrealobj,
    np.iscomplex: iscomplex, np.isreal: isreal,
}

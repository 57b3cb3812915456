"""The proxy tensor: what the user's function receives instead of an array.

A Proxy holds one IR node. Every numpy operation on it builds more nodes
(see dispatch.py for the operators, methods and numpy protocols). Anything
that needs a concrete value raises a ConcretizationError naming the line.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node, Op
from ..ir.dtypes import is_supported
from . import prims
from .context import user_loc
from .errors import concretization_error


class Proxy:
    """A traced array. `weak` marks values born as Python scalars (NEP 50)."""

    __slots__ = ("node", "weak")
    __array_priority__ = 1000
    __hash__ = None  # like ndarray: unhashable

    def __init__(self, node: Node, weak: bool = False):
        self.node = node
        self.weak = weak

    # -- static facts ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.node.type.shape

    @property
    def dtype(self) -> np.dtype:
        return self.node.type.dtype

    @property
    def ndim(self) -> int:
        return len(self.node.type.shape)

    @property
    def size(self) -> int:
        return self.node.type.size

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self) -> str:
        return f"Traced<{self.node.type}>"

    # Traced values are immutable nodes: a copy is the same value (setitem rebinds).
    def __copy__(self) -> Proxy:
        return Proxy(self.node, self.weak)

    def __deepcopy__(self, memo: dict) -> Proxy:
        return Proxy(self.node, self.weak)

    # -- what needs a concrete value --------------------------------------
    def __bool__(self) -> bool:
        raise concretization_error("bool", user_loc(), f"bool() of a traced {self.node.type}")

    def __float__(self) -> float:
        raise concretization_error("float", user_loc(), f"float() of a traced {self.node.type}")

    def __int__(self) -> int:
        raise concretization_error("int", user_loc(), f"int() of a traced {self.node.type}")

    def __complex__(self) -> complex:
        raise concretization_error("float", user_loc(), f"complex() of a traced {self.node.type}")

    def __index__(self) -> int:
        raise concretization_error("index", user_loc(), f"a traced {self.node.type} used as an index")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise concretization_error("array", user_loc(), f"np.asarray() of a traced {self.node.type}")

    def item(self, *args: Any) -> Any:
        raise concretization_error("item", user_loc(), f".item() of a traced {self.node.type}")

    def tolist(self) -> Any:
        raise concretization_error("item", user_loc(), f".tolist() of a traced {self.node.type}")


def is_traced(x: Any) -> bool:
    return isinstance(x, Proxy)


def wrap(node: Node, weak: bool = False) -> Proxy:
    return Proxy(node, weak)


def contains_proxy(x: Any) -> bool:
    if isinstance(x, Proxy):
        return True
    if isinstance(x, (list, tuple)):
        return any(contains_proxy(v) for v in x)
    return False


def operand(x: Any) -> tuple[Node, bool]:
    """An argument of a numpy call as (node, weak): proxies, scalars, arrays, lists."""
    if isinstance(x, Proxy):
        return x.node, x.weak
    if isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
        return prims.const(_python_scalar(x)), True
    if isinstance(x, (list, tuple)) and contains_proxy(x):
        return _stack_nested(x), False
    return prims.const(as_concrete_array(x)), False


def to_node(x: Any) -> Node:
    return operand(x)[0]


def _python_scalar(x: bool | int | float) -> np.ndarray:
    if isinstance(x, int) and not isinstance(x, bool):
        if not -(2**63) <= x < 2**64:
            raise OverflowError(f"Python integer {x} out of bounds for int64")
        return np.asarray(x, dtype=np.uint64 if x >= 2**63 else np.int64)
    return np.asarray(x)


def as_concrete_array(x: Any) -> np.ndarray:
    """A non-traced argument as an array of a dtype tracer supports."""
    if isinstance(x, complex):
        raise TypeError("tracer does not support complex numbers yet")
    arr = np.asarray(x)
    if not is_supported(arr.dtype):
        raise TypeError(f"tracer cannot use an array of dtype {arr.dtype} "
                        f"(supported: bool, int8-64, uint8-64, float32, float64)")
    return arr


def _stack_nested(x: list | tuple) -> Node:
    """np.array([p, q, ...]) over proxies: promote, then stack along a new axis."""
    nodes = [_stack_nested(v) if isinstance(v, (list, tuple)) else operand(v)[0] for v in x]
    dtype = np.result_type(*[n.dtype for n in nodes])
    shapes = {n.shape for n in nodes}
    if len(shapes) != 1:
        raise ValueError("setting an array element with a sequence. The requested array "
                         "has an inhomogeneous shape")
    nodes = [prims.expand_dims(prims.cast(n, dtype), [0]) for n in nodes]
    return prims.concatenate(nodes, 0)


def concrete_value(node: Node) -> np.ndarray | None:
    """The value of a constant node, else None."""
    if node.op is Op.CONST:
        return node.attrs["value"].array
    if node.op is Op.BROADCAST_TO and node.inputs[0].op is Op.CONST:
        return np.broadcast_to(node.inputs[0].attrs["value"].array, node.shape)
    return None

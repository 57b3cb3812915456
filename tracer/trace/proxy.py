"""The proxy tensor: what the user's function receives instead of an array.

A Proxy holds one IR node. Every numpy operation on it builds more nodes
(see dispatch.py for the operators, methods and numpy protocols). Anything
that needs a concrete value raises a ConcretizationError naming the line.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir import Node, Op
from ..ir.dtypes import is_supported
from . import prims
from .constant import constant_value
from .context import user_loc
from .errors import concretization_error, none_operand_error
from .loop_marks import MarkingIterator


class Proxy:
    """A traced array. `weak` marks values born as Python scalars (NEP 50).

    Writes (x[k] = v, x += v, out=x, x.sort()) assign `node`. A proxy made by basic
    indexing is a view, as in numpy: `view_of` links it to its base, a write into it
    is written into the base, and a write into the base is seen by it the next time
    its node is read (`_seen` is the base's `_version` its node was read from)."""

    __slots__ = ("_node", "weak", "_view", "_version", "_seen")
    __array_priority__ = 1000
    __hash__ = None  # like ndarray: unhashable

    def __init__(self, node: Node, weak: bool = False):
        self._node = node
        self.weak = weak
        self._view: tuple[Proxy, Callable[[Node], Node], Callable[[Proxy, Node], None]] \
            | None = None
        self._version = 0
        self._seen = 0

    @property
    def node(self) -> Node:
        view = self._view
        if view is not None:
            base, read, _ = view
            base_node = base.node
            if base._version != self._seen:     # the base was written since
                self._node = read(base_node)
                self._seen = base._version
                self._version += 1
        return self._node

    @node.setter
    def node(self, new: Node) -> None:
        self._node = new
        self._version += 1
        view = self._view
        if view is not None:
            base, _, write = view
            write(base, new)
            self._seen = base._version

    def view_of(self, base: Proxy, read: Callable[[Node], Node],
                write: Callable[[Proxy, Node], None]) -> Proxy:
        """Make this proxy (read(base.node)) a view of `base`; write(base, node) stores a
        new value of the view into the base."""
        self._view = (base, read, write)
        self._seen = base._version
        return self

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
        return MarkingIterator(self.__getitem__, range(self.shape[0]))

    def __repr__(self) -> str:
        return f"Traced<{self.node.type}>"

    # Traced values are immutable nodes: a copy is the same value (setitem rebinds).
    def __copy__(self) -> Proxy:
        return Proxy(self.node, self.weak)

    def __deepcopy__(self, memo: dict) -> Proxy:
        return Proxy(self.node, self.weak)

    # -- what needs a concrete value --------------------------------------
    def _known(self, kind: str, what: str) -> np.ndarray:
        """The value of a traced constant (constant.py), else the concretization error;
        `what` says what needed it ({t}: the traced type)."""
        value = constant_value(self.node)
        if value is None:
            raise concretization_error(kind, user_loc(), what.format(t=self.node.type))
        return value

    def __bool__(self) -> bool:
        return bool(self._known("bool", "bool() of a traced {t}"))

    def __float__(self) -> float:
        return float(self._known("float", "float() of a traced {t}"))

    def __int__(self) -> int:
        return int(self._known("int", "int() of a traced {t}"))

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)          # f"{x}" shows the traced type, like repr
        return format(self._known("format", f"format spec {spec!r} applied to a traced {{t}}")[()], spec)

    def __complex__(self) -> complex:
        return complex(self._known("float", "complex() of a traced {t}"))

    def __index__(self) -> int:
        return self._known("index", "a traced {t} used as an index").__index__()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = self._known("array", "np.asarray() of a traced {t}")
        return np.array(value, dtype=dtype, copy=True)

    def item(self, *args: Any) -> Any:
        return self._known("item", ".item() of a traced {t}").item(*args)

    def tolist(self) -> Any:
        return self._known("item", ".tolist() of a traced {t}").tolist()



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
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        return prims.const(_python_scalar(x)), True
    if isinstance(x, (list, tuple)) and contains_proxy(x):
        return _stack_nested(x), False
    return prims.const(as_concrete_array(x)), False


def to_node(x: Any) -> Node:
    return operand(x)[0]


def _python_scalar(x: bool | int | float | complex) -> np.ndarray:
    if isinstance(x, int) and not isinstance(x, bool):
        if not -(2**63) <= x < 2**64:
            raise OverflowError(f"Python integer {x} out of bounds for int64")
        return np.asarray(x, dtype=np.uint64 if x >= 2**63 else np.int64)
    return np.asarray(x)


def as_concrete_array(x: Any) -> np.ndarray:
    """A non-traced argument as an array of a dtype tracer supports."""
    if x is None:
        raise none_operand_error()
    arr = np.asarray(x)
    if not is_supported(arr.dtype):
        raise TypeError(f"tracer cannot use an array of dtype {arr.dtype} "
                        f"(supported: bool, int8-64, uint8-64, float32, float64, complex64, "
                        f"complex128)")
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

"""The one node type of the IR: immutable, interned, single-output.

Building a node goes through `make_node`, which returns the existing node when
one with the same op, inputs and attributes is alive: equal subgraphs are the
same object, so common-subexpression elimination, hashing and cache keys come
free (tinygrad's UOp). Node ids grow with creation, and a node's inputs always
exist before it, so sorting by id is a topological order.

Pickling (compiled functions travel to other processes by their graphs): a node
is rebuilt through `make_node` in the receiving process, so it is interned
there like any other; a param becomes a fresh param (a new uid), once per
pickle stream, since pickle's memo rebuilds an object shared in the stream
once. Cached hashes are never pickled: a hash of strings differs from process
to process (PYTHONHASHSEED).
"""
from __future__ import annotations

import contextvars
import hashlib
import itertools
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from .ops import LEAF, Op, infer_type
from .types import TensorType


@dataclass(frozen=True, slots=True)
class Loc:
    """Where in the user's source a node was traced."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} in {self.function}"


class Attrs(Mapping[str, Any]):
    """An immutable, hashable mapping of an op's static attributes."""

    __slots__ = ("_items", "_dict", "_hash")

    def __init__(self, items: Mapping[str, Any] | None = None):
        self._dict = dict(items or {})
        self._items = tuple(sorted(self._dict.items()))
        self._hash = hash(self._items)

    def __getitem__(self, key: str) -> Any:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Attrs) and self._items == other._items

    def __repr__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self._items)

    def __reduce__(self) -> tuple:
        return (Attrs, (self._dict,))   # the hash is recomputed in the receiver


class ConstValue:
    """A constant array held as an attribute: hashed and compared by content."""

    __slots__ = ("array", "_hash")

    def __init__(self, array: np.ndarray):
        arr = np.array(array, copy=True, order="C")
        arr.setflags(write=False)
        self.array = arr
        digest = hashlib.blake2b(arr.tobytes(), digest_size=16).digest()
        self._hash = hash((arr.dtype.str, arr.shape, digest))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConstValue):
            return False
        a, b = self.array, other.array
        return self._hash == other._hash and a.dtype == b.dtype and a.shape == b.shape \
            and a.tobytes() == b.tobytes()

    def __repr__(self) -> str:
        a = self.array
        if a.size <= 6:
            return np.array2string(a, separator=",").replace("\n", "")
        return f"<{a.dtype}{list(a.shape)}>"

    def __reduce__(self) -> tuple:
        return (ConstValue, (self.array,))   # the hash is recomputed in the receiver


class Node:
    """One value of the graph: `op(*inputs; attrs)` of static type `type`."""

    __slots__ = ("op", "inputs", "attrs", "type", "loc", "id", "__weakref__")

    op: Op
    inputs: tuple[Node, ...]
    attrs: Attrs
    type: TensorType
    loc: Loc | None
    id: int

    def __repr__(self) -> str:
        return f"%{self.id}:{self.type} = {self.op.value}"

    def __reduce__(self) -> tuple:
        """Rebuilt by `make_node` (interned in the receiver; a param gets a fresh uid).
        Pickle a Graph rather than a deep node: it lists the nodes inputs first, so
        no node's pickling recurses through the whole graph."""
        if self.op is Op.PARAM:
            return (make_param, (self.type, self.attrs["name"], self.loc))
        type = self.type if self.op in LEAF else None     # leaves are keyed by type too
        return (make_node, (self.op, self.inputs, self.attrs, self.loc, type))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    @property
    def dtype(self) -> np.dtype:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return len(self.type.shape)


_ids = itertools.count()
_interned: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_last_id = [-1]


def last_id() -> int:
    """The id of the newest node (every node made later has a larger one)."""
    return _last_id[0]


# Told of every node this thread creates while it is set (the tracer's loop marks:
# which iteration of which Python loop made each node).
created_observer: contextvars.ContextVar[Callable[[Node], None] | None] = \
    contextvars.ContextVar("created_observer", default=None)


def make_node(op: Op, inputs: Sequence[Node] = (), attrs: Mapping[str, Any] | None = None,
              loc: Loc | None = None, type: TensorType | None = None) -> Node:
    """The node `op(*inputs; attrs)`, shared with any equal node still alive.

    `type` is given only for leaves (params); every other op infers it.
    """
    inputs = tuple(inputs)
    frozen = attrs if isinstance(attrs, Attrs) else Attrs(attrs)
    key = (op, inputs, frozen, type)
    node = _interned.get(key)
    if node is not None:
        return node
    if type is None:
        type = infer_type(op, [i.type for i in inputs], frozen)
    node = Node.__new__(Node)
    node.op, node.inputs, node.attrs, node.type, node.loc = op, inputs, frozen, type, loc
    node.id = _last_id[0] = next(_ids)
    _interned[key] = node
    observe = created_observer.get()
    if observe is not None:
        observe(node)
    return node


_param_ids = itertools.count()


def make_param(type: TensorType, name: str = "", loc: Loc | None = None) -> Node:
    """A fresh graph input, distinct from every other."""
    return make_node(Op.PARAM, (), {"uid": next(_param_ids), "name": name}, loc, type)


def make_const(value: Any, loc: Loc | None = None) -> Node:
    arr = np.asarray(value)
    cv = ConstValue(arr)
    return make_node(Op.CONST, (), {"value": cv}, loc, TensorType(arr.dtype, arr.shape))

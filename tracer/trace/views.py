"""Writes into traced arrays with numpy's aliasing: views and in-place operators.

numpy's basic indexing (`row = A[i]`, `A[:, 1:3]`, `for row in A`) and its transposes
(`A.T`, np.transpose, np.swapaxes, np.moveaxis) return views: a write into the view
changes the base, and a write into the base is seen through the view. A traced array
is an immutable node, so a view proxy records how it is read from its base and how a
new value of it is written back (Proxy.view_of); proxy.py keeps the two in step.

Augmented assignment on an array (`x += v`, `x[k] *= v`, `x @= m`) writes into x, as
numpy's `np.add(x, v, out=x)`: every name for x, and x's base if x is a view, sees the
new value; the result is cast to x's dtype under numpy's 'same_kind' rule and must
keep x's shape. A 0-d value is rebound instead (numpy's reductions and scalar
arithmetic give immutable scalars, for which Python rebinds the name).

Not tracked (a copy in tracer): views numpy makes only for some memory layouts
(reshape, ravel), and read-only ones (broadcast_to, diagonal).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from . import prims
from .context import user_loc
from .errors import at_line
from .proxy import Proxy, wrap


def _is_int(k: Any) -> bool:
    if isinstance(k, Proxy):
        return k.ndim == 0 and k.dtype.kind in "iu"
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def is_view_key(key: Any, ndim: int) -> bool:
    """Does x[key] give a view in numpy (basic indexing), rather than a copy or a scalar?"""
    items = key if isinstance(key, tuple) else (key,)
    for k in items:
        if not (k is None or k is Ellipsis or _is_int(k) or isinstance(k, slice)
                and not any(isinstance(v, Proxy) for v in (k.start, k.stop, k.step))):
            return False
    return not (len(items) == ndim and all(_is_int(k) for k in items))   # not an element


def _frozen(key: Any) -> Any:
    """The key with its traced indices as they are now (a later write into an index
    array does not move the view)."""
    if isinstance(key, tuple):
        return tuple(_frozen(k) for k in key)
    return Proxy(key.node) if isinstance(key, Proxy) else key


def index_view(base: Proxy, key: Any, getitem: Any, setitem: Any) -> Proxy:
    """base[key] (getitem(node, key) -> node), a view of base when numpy's is one;
    setitem(base, key, value) writes a value of the view back."""
    out = wrap(getitem(base.node, key))
    if not is_view_key(key, base.ndim):
        return out
    key = _frozen(key)
    return out.view_of(base, lambda node: getitem(node, key),
                       lambda b, node: setitem(b, key, Proxy(node)))


def transposed(a: Any, x: Node, perm: tuple[int, ...]) -> Proxy:
    """x transposed by perm; a view of `a` when `a` is a traced array."""
    out = wrap(prims.transpose(x, perm))
    if not isinstance(a, Proxy):
        return out
    inverse = tuple(int(i) for i in np.argsort(perm))

    def write(base: Proxy, node: Node) -> None:
        base.node = prims.transpose(node, inverse)
        base.weak = False
    return out.view_of(a, lambda node: prims.transpose(node, perm), write)


def write_into(out: Proxy, result: Any, what: str) -> Proxy:
    """out= a traced array (np.add(x, v, out=x), x += v): out's value becomes the result,
    cast to out's dtype by numpy's 'same_kind' rule, and keeping out's shape."""
    node = result.node if isinstance(result, Proxy) else prims.const(np.asarray(result))
    if not np.can_cast(node.dtype, out.dtype, "same_kind"):
        raise TypeError(at_line(f"Cannot cast ufunc '{what}' output from {node.dtype!r} to "
                                f"{out.dtype!r} with casting rule 'same_kind'", user_loc()))
    if node.shape != out.shape:
        try:
            both = np.broadcast_shapes(node.shape, out.shape)
        except ValueError:
            both = node.shape
        if both != out.shape:
            raise ValueError(at_line(f"non-broadcastable output operand with shape {out.shape} "
                                     f"doesn't match the broadcast shape {both}", user_loc()))
        node = prims.broadcast_to(node, out.shape)
    out.node = prims.cast(node, out.dtype)
    out.weak = False
    return out


def augmented(binary: Any, what: str) -> Any:
    """`x op= v`: writes into an array x (see the module docstring); rebinds a 0-d x."""
    def apply(self: Proxy, other: Any) -> Any:
        result = binary(self, other)
        if result is NotImplemented or (self.ndim == 0 and self._view is None):
            return result
        return write_into(self, result, what)
    apply.__name__ = f"__i{what}__"
    return apply

"""scipy.special's Python functions on traced values: logsumexp, softmax, log_softmax,
polygamma.

scipy.special's ufuncs (expit, erf, gamma, jv, ...) reach tracer through
__array_ufunc__ (ufuncs.py). These four are Python functions whose first act is
np.asarray, so tracer puts a thin wrapper in their place in scipy.special when
tracer is imported: plain arrays go straight to scipy's own function, traced ones
to the functions here. logsumexp gets the max-shifted form of trace/stable.py (the
nodes the stabilize rewrite builds for a hand-written np.log(np.sum(np.exp(x)))),
softmax and log_softmax scipy's own max-shifted formulas, polygamma the Op.SPECIAL
node its derivatives use. A name bound by `from scipy.special import logsumexp`
before tracer was imported still holds scipy's own function (which then asks for
concrete data).
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ...ir import Op
from .. import prims, stable
from ..context import user_loc
from ..errors import at_line
from ..proxy import contains_proxy, operand, wrap
from .common import install_wrappers, normalize_axes


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """scipy.special.logsumexp over traced values (real inputs)."""
    x = operand(a)[0]
    if x.dtype.kind != "f":
        x = prims.cast(x, np.float64)
    if b is not None:
        w = operand(b)[0]
        dtype = np.result_type(x.dtype, w.dtype if w.dtype.kind == "f" else x.dtype)
        x, w = prims.cast(x, dtype), prims.cast(w, dtype)
        shape = np.broadcast_shapes(x.shape, w.shape)
        x, w = prims.broadcast_to(x, shape), prims.broadcast_to(w, shape)
    if x.ndim == 0:
        x = prims.reshape(x, (1,))
        w = prims.reshape(w, (1,)) if b is not None else None
    axes = normalize_axes(axis, x.ndim)
    bind = prims.bind
    if stable.can_shift(x, axes):
        y, s = stable.shifted(bind, x, axes)
    else:                       # an empty axis: the sum is 0, its log -inf (no shift needed)
        y, s = x, stable.full(bind, 0.0, prims.reduce(Op.REDUCE_SUM, x, axes))
    terms = bind(Op.EXP, [y])
    if b is not None:
        terms = bind(Op.MUL, [w, terms])
    total = prims.reduce(Op.REDUCE_SUM, terms, axes)
    sign = bind(Op.SIGN, [total]) if return_sign else None
    if return_sign:
        total = bind(Op.ABS, [total])
    out = bind(Op.ADD, [bind(Op.LOG, [total]), s])
    if keepdims:
        out = prims.reshape(out, stable.kept_shape(x.shape, axes))
        sign = prims.reshape(sign, out.shape) if sign is not None else None
    return (wrap(out), wrap(sign)) if return_sign else wrap(out)


def _shift(x: Any, axis: Any) -> Any:
    """x - max(x) along axis, the max replaced by 0 where it is not finite (scipy's)."""
    x_max = np.max(x, axis=axis, keepdims=True)
    return x - np.where(np.isfinite(x_max), x_max, 0)


def softmax(x: Any, axis: Any = None) -> Any:
    x = wrap(operand(x)[0])
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def log_softmax(x: Any, axis: Any = None) -> Any:
    tmp = _shift(wrap(operand(x)[0]), axis)
    return tmp - np.log(np.sum(np.exp(tmp), axis=axis, keepdims=True))


def polygamma(n: Any, x: Any) -> Any:
    """psi's n-th derivative; n must be concrete (an order, not data)."""
    order = None if contains_proxy([n]) else np.asarray(n)
    if order is None or order.dtype.kind not in "iu":
        raise TypeError(at_line("scipy.special.polygamma needs a concrete integer order n "
                                "(a Python int or an integer array)", user_loc()))
    node = operand(x)[0]
    if node.dtype.kind != "f":
        node = prims.cast(node, np.float64)
    shape = np.broadcast_shapes(order.shape, node.shape)
    orders = prims.broadcast_to(prims.const(order.astype(node.dtype)), shape)
    return wrap(prims.bind(Op.SPECIAL, [orders, prims.broadcast_to(node, shape)],
                           name="polygamma"))


TRACED = {"logsumexp": logsumexp, "softmax": softmax, "log_softmax": log_softmax,
          "polygamma": polygamma}


def install() -> None:
    """Put the wrappers in scipy.special and the modules that define its functions (once;
    scipy.special is imported by then)."""
    special = sys.modules.get("scipy.special")
    install_wrappers(special, TRACED)

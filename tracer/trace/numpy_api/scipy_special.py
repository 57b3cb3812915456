"""scipy.special.logsumexp on traced values: the nodes the optimizer makes of log(sum(exp)).

scipy.special's ufuncs (expit, erf, ...) reach tracer through __array_ufunc__
(ufuncs.py). logsumexp is a Python function whose first act is np.asarray, so
tracer puts a thin wrapper in its place in scipy.special when tracer is
imported: plain arrays go straight to scipy's own function, traced ones get the
max-shifted form of trace/stable.py, the same nodes the stabilize rewrite
builds for a hand-written np.log(np.sum(np.exp(x))). A name bound by
`from scipy.special import logsumexp` before tracer was imported still holds
scipy's own function (which then asks for concrete data).
"""
from __future__ import annotations

import functools
import sys
from typing import Any

import numpy as np

from ...ir import Op
from .. import prims, stable
from ..proxy import contains_proxy, operand, wrap
from .common import normalize_axes


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


def _wrapper(original: Any) -> Any:
    @functools.wraps(original)
    def logsumexp_any(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
                      return_sign: bool = False) -> Any:
        if contains_proxy(a) or contains_proxy(b):
            return logsumexp(a, axis, b, keepdims, return_sign)
        return original(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    logsumexp_any.__tracer_original__ = original
    return logsumexp_any


def install() -> None:
    """Put the wrapper in scipy.special (once; scipy.special is imported by then)."""
    special = sys.modules.get("scipy.special")
    current = getattr(special, "logsumexp", None)
    if current is None or hasattr(current, "__tracer_original__"):
        return
    wrapped = _wrapper(current)
    special.logsumexp = wrapped
    private = sys.modules.get("scipy.special._logsumexp")
    if private is not None and getattr(private, "logsumexp", None) is current:
        private.logsumexp = wrapped

"""The numpy surface over traced values: numpy function -> implementation.

FUNCTIONS is the table `__array_function__` dispatches on (NEP 18); ufuncs
go through ufuncs.call_ufunc (NEP 13). Each implementation takes numpy's
signature and composes primitives; nothing here knows about backends.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import indexing, linalg, reductions, shapes, ufuncs

FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.sum: reductions.sum, np.prod: reductions.prod, np.mean: reductions.mean,
    np.max: reductions.max, np.min: reductions.min, np.amax: reductions.max,
    np.amin: reductions.min, np.any: reductions.any, np.all: reductions.all,
    np.argmax: reductions.argmax, np.argmin: reductions.argmin, np.std: reductions.std,
    np.var: reductions.var, np.cumsum: reductions.cumsum, np.cumprod: reductions.cumprod,
    np.reshape: shapes.reshape, np.ravel: shapes.ravel, np.transpose: shapes.transpose,
    np.swapaxes: shapes.swapaxes, np.moveaxis: shapes.moveaxis,
    np.expand_dims: shapes.expand_dims, np.squeeze: shapes.squeeze,
    np.broadcast_to: shapes.broadcast_to, np.concatenate: shapes.concatenate,
    np.stack: shapes.stack, np.dot: linalg.dot, np.matmul: linalg.matmul,
}

__all__ = ["FUNCTIONS", "indexing", "linalg", "reductions", "shapes", "ufuncs"]

"""Call signatures: what about the arguments a trace depends on.

A signature is the pytree structure of the traced arguments, each leaf's
(dtype, shape, weak), and the static arguments' values. Two calls with one
signature share one trace and one compiled executable (as in JAX).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Hashable

import numpy as np

from ..ir import TensorType
from ..ir.dtypes import is_supported
from . import pytree
from .proxy import Proxy


@dataclass(frozen=True, slots=True)
class LeafSpec:
    type: TensorType
    weak: bool  # a Python scalar: promotes like one (NEP 50)


def leaf_spec(value: Any, path: str) -> tuple[LeafSpec, Any]:
    """The spec of one argument leaf and the array to pass at run time."""
    if isinstance(value, Proxy):
        return LeafSpec(value.node.type, value.weak), value
    if isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype == np.dtype("uint64") or (isinstance(value, int) and not isinstance(value, bool)
                                              and not -(2**63) <= value < 2**63):
            raise OverflowError(f"argument {path}: Python integer {value} does not fit int64")
        return LeafSpec(TensorType(arr.dtype, ()), True), arr
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, np.generic):
        arr = np.asarray(value)
    else:
        raise TypeError(f"argument {path}: expected an array, a Python scalar or a pytree "
                        f"(tuple/list/dict) of them, got {type(value).__name__}")
    if not arr.dtype.isnative and is_supported(arr.dtype.newbyteorder("=")):
        arr = arr.astype(arr.dtype.newbyteorder("="))      # byte-swapped: numpy's values
    if not is_supported(arr.dtype):
        raise TypeError(f"argument {path}: arrays of dtype {arr.dtype} are not supported "
                        "(supported: bool, int8-64, uint8-64, float32, float64, "
                        "complex64, complex128)")
    return LeafSpec(TensorType(arr.dtype, arr.shape), False), arr


def none_arguments(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[str, ...]:
    """Where a call's arguments (defaults included) hold None, e.g. `y`, `params['b']`.

    None is an empty pytree: the traced function receives it as is (so `if y is None`
    works). These paths name the argument when None then reaches a numpy operation."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        bound.apply_defaults()
        named = list(bound.arguments.items())
    except (TypeError, ValueError):
        named = [(f"args[{i}]", a) for i, a in enumerate(args)] + list(kwargs.items())
    return tuple(name + path for name, value in named for path in _none_paths(value))


def _none_paths(tree: Any, prefix: str = "") -> list[str]:
    if tree is None:
        return [prefix]
    if isinstance(tree, (tuple, list)):
        return [p for i, c in enumerate(tree) for p in _none_paths(c, f"{prefix}[{i}]")]
    if isinstance(tree, dict):
        return [p for k, c in tree.items() for p in _none_paths(c, f"{prefix}[{k!r}]")]
    return []


def check_static(value: Any, name: str) -> Hashable:
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"static argument {name} must be hashable, got "
                        f"{type(value).__name__}; pass a tuple instead of a list") from None
    return value


@dataclass(frozen=True)
class Signature:
    treedef: pytree.TreeDef
    leaves: tuple[LeafSpec, ...]
    static: tuple[Hashable, ...]
